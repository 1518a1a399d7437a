//===- TestUtil.h - Shared helpers of the runtime tests ---------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// RAII owners for runtime handles, a per-test scratch directory, file byte
// helpers, and fake compiled models: y = x * w + b elementwise over 4
// features, whose predict records every batch size it is called with, and
// one with int64, int32 and bool outputs and a bool input.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TEST_RUNTIME_TESTUTIL_H
#define KILN_TEST_RUNTIME_TESTUTIL_H

#include "kiln/runtime.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include <dirent.h>
#include <unistd.h>

namespace kiln::test {

struct StatusDeleter {
  void operator()(kiln_status_handle_t *status) const {
    kiln_status_free(status);
  }
};
using StatusPtr = std::unique_ptr<kiln_status_handle_t, StatusDeleter>;

struct ArrayDeleter {
  void operator()(kiln_array_t *array) const { kiln_array_release(array); }
};
using ArrayPtr = std::unique_ptr<kiln_array_t, ArrayDeleter>;

struct ModelDeleter {
  void operator()(kiln_model_t *model) const { kiln_model_release(model); }
};
using ModelPtr = std::unique_ptr<kiln_model_t, ModelDeleter>;

/// A session of `desc`; a failure is a test failure and NULL.
inline ModelPtr createModel(const kiln_model_desc_t &desc) {
  kiln_model_t *model = nullptr;
  StatusPtr status(kiln_model_create(&desc, &model));
  EXPECT_EQ(status, nullptr) << kiln_status_message(status.get());
  return ModelPtr(model);
}

/// Asserts `expr` returned OK, printing the message otherwise.
#define KILN_ASSERT_OK(expr)                                                   \
  do {                                                                         \
    ::kiln::test::StatusPtr status_(expr);                                     \
    ASSERT_EQ(status_, nullptr) << kiln_status_message(status_.get());         \
  } while (0)

inline std::string inputPath(const std::string &name) {
  return std::string(KILN_RUNTIME_TEST_INPUTS) + "/" + name;
}

inline std::vector<uint8_t> readBytes(const std::string &path) {
  std::ifstream file(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(file),
          std::istreambuf_iterator<char>()};
}

inline void writeBytes(const std::string &path,
                       const std::vector<uint8_t> &bytes) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file.write(reinterpret_cast<const char *>(bytes.data()),
             static_cast<std::streamsize>(bytes.size()));
}

/// A fresh directory removed (with its files) at the end of the test.
class ScratchDir {
public:
  ScratchDir() {
    const char *base = std::getenv("TMPDIR");
    std::string pattern = std::string(base ? base : "/tmp") + "/kiln-rt-XXXXXX";
    std::vector<char> buffer(pattern.begin(), pattern.end());
    buffer.push_back('\0');
    if (mkdtemp(buffer.data()))
      path = buffer.data();
  }
  ScratchDir(const ScratchDir &) = delete;
  ScratchDir &operator=(const ScratchDir &) = delete;
  ~ScratchDir() {
    for (const std::string &name : list())
      std::remove((path + "/" + name).c_str());
    rmdir(path.c_str());
  }
  std::string file(const std::string &name) const { return path + "/" + name; }
  /// The names in the directory, without "." and "..".
  std::vector<std::string> list() const {
    std::vector<std::string> names;
    if (DIR *dir = opendir(path.c_str())) {
      while (dirent *entry = readdir(dir))
        if (std::strcmp(entry->d_name, ".") && std::strcmp(entry->d_name, ".."))
          names.emplace_back(entry->d_name);
      closedir(dir);
    }
    return names;
  }
  std::string path;
};

//===----------------------------------------------------------------------===//
// Fake model: y = x * w + b over 4 features, batch dimension dynamic.
//===----------------------------------------------------------------------===//

inline std::vector<int64_t> &fakeBatches() {
  static std::vector<int64_t> batches;
  return batches;
}

extern "C" inline int32_t fakePredict(int64_t batch, void *const *buffers,
                                      void *) {
  fakeBatches().push_back(batch);
  const auto *w = static_cast<const float *>(buffers[0]);
  const auto *b = static_cast<const float *>(buffers[1]);
  const auto *x = static_cast<const float *>(buffers[2]);
  auto *y = static_cast<float *>(buffers[3]);
  for (int64_t n = 0; n < batch; ++n)
    for (int k = 0; k < 4; ++k)
      y[n * 4 + k] = x[n * 4 + k] * w[k] + b[k];
  return 0;
}

struct FakeModel {
  FakeModel() {
    // The blob starts one byte into `storage` so the parameters are
    // misaligned, as they may be in a model object.
    const float w[4] = {1, 2, 3, 4}, b[4] = {0.5f, -1, 0, 10};
    std::memcpy(storage + 1, w, sizeof(w));
    std::memcpy(storage + 1 + sizeof(w), b, sizeof(b));
    inputs[0] = {"x", KILN_DTYPE_F32, 2, ioDims, 0};
    outputs[0] = {"y", KILN_DTYPE_F32, 2, ioDims, 0};
    params[0] = {"dense/kernel", KILN_DTYPE_F32, 1, paramDims, 0};
    params[1] = {"dense/bias", KILN_DTYPE_F32, 1, paramDims, 16};
    layers[0] = {"dense", "Dense", "(None, 4)", "", 8, 8};
    desc.abi_version = KILN_MODEL_ABI_VERSION;
    desc.name = "fake";
    desc.kind = "Sequential";
    desc.num_inputs = 1;
    desc.inputs = inputs;
    desc.num_outputs = 1;
    desc.outputs = outputs;
    desc.num_params = 2;
    desc.params = params;
    desc.num_layers = 1;
    desc.layers = layers;
    desc.weights_size = 32;
    desc.weights = storage + 1;
    desc.predict = fakePredict;
    fakeBatches().clear();
  }
  FakeModel(const FakeModel &) = delete;
  FakeModel &operator=(const FakeModel &) = delete;

  /// The expected output for input value `x` at feature `k`.
  static float expected(float x, int k) {
    const float w[4] = {1, 2, 3, 4}, b[4] = {0.5f, -1, 0, 10};
    return x * w[k] + b[k];
  }

  int64_t ioDims[2] = {-1, 4};
  int64_t paramDims[1] = {4};
  uint8_t storage[40] = {};
  kiln_tensor_desc_t inputs[1];
  kiln_tensor_desc_t outputs[1];
  kiln_tensor_desc_t params[2];
  kiln_layer_desc_t layers[1];
  kiln_model_desc_t desc = {};
};

//===----------------------------------------------------------------------===//
// Fake model with non-float inputs and outputs (ONNX ArgMax, Greater, Where,
// a Cast to int32), one parameter `scale`:
//   inputs  x: float32 (None, 3), mask: bool (None, 3)
//   outputs argmax: int64 (None,)    the index of each row's largest x
//           positive: bool (None, 3) x > 0
//           masked: float32 (None, 3) mask ? x * scale : 0
//           count: int32 (None,)     the true elements of each mask row
//===----------------------------------------------------------------------===//

extern "C" inline int32_t mixedPredict(int64_t batch, void *const *buffers,
                                       void *) {
  fakeBatches().push_back(batch);
  const float scale = *static_cast<const float *>(buffers[0]);
  const auto *x = static_cast<const float *>(buffers[1]);
  const auto *mask = static_cast<const uint8_t *>(buffers[2]);
  auto *argmax = static_cast<int64_t *>(buffers[3]);
  auto *positive = static_cast<uint8_t *>(buffers[4]);
  auto *masked = static_cast<float *>(buffers[5]);
  auto *count = static_cast<int32_t *>(buffers[6]);
  for (int64_t n = 0; n < batch; ++n) {
    argmax[n] = 0;
    count[n] = 0;
    for (int64_t k = 0; k < 3; ++k) {
      int64_t i = n * 3 + k;
      if (x[i] > x[n * 3 + argmax[n]])
        argmax[n] = k;
      positive[i] = x[i] > 0;
      if (mask[i] > 1)
        return KILN_STATUS_INTERNAL; // the runtime passes 0 or 1 only
      masked[i] = mask[i] ? x[i] * scale : 0.0f;
      count[n] += mask[i];
    }
  }
  return 0;
}

struct MixedFake {
  MixedFake() {
    const float scale = 2;
    std::memcpy(storage, &scale, sizeof(scale));
    inputs[0] = {"x", KILN_DTYPE_F32, 2, rowDims, 0};
    inputs[1] = {"mask", KILN_DTYPE_BOOL, 2, rowDims, 0};
    outputs[0] = {"argmax", KILN_DTYPE_I64, 1, batchDims, 0};
    outputs[1] = {"positive", KILN_DTYPE_BOOL, 2, rowDims, 0};
    outputs[2] = {"masked", KILN_DTYPE_F32, 2, rowDims, 0};
    outputs[3] = {"count", KILN_DTYPE_I32, 1, batchDims, 0};
    params[0] = {"scale", KILN_DTYPE_F32, 1, scaleDims, 0};
    desc.abi_version = KILN_MODEL_ABI_VERSION;
    desc.name = "mixed";
    desc.kind = "Functional";
    desc.num_inputs = 2;
    desc.inputs = inputs;
    desc.num_outputs = 4;
    desc.outputs = outputs;
    desc.num_params = 1;
    desc.params = params;
    desc.weights_size = 4;
    desc.weights = storage;
    desc.predict = mixedPredict;
    fakeBatches().clear();
  }
  MixedFake(const MixedFake &) = delete;
  MixedFake &operator=(const MixedFake &) = delete;

  /// x of sample `n`: rows whose largest element moves, signs that vary.
  static float x(int64_t n, int64_t k) {
    return static_cast<float>((n * 7 + k * 5) % 11) - 4.5f;
  }
  /// mask of sample `n`.
  static bool mask(int64_t n, int64_t k) { return (n + k) % 3 != 0; }

  int64_t rowDims[2] = {-1, 3};
  int64_t batchDims[1] = {-1};
  int64_t scaleDims[1] = {1};
  uint8_t storage[4] = {};
  kiln_tensor_desc_t inputs[2], outputs[4], params[1];
  kiln_model_desc_t desc = {};
};

/// Creates an (n, 4) float32 array with element i equal to i.
inline ArrayPtr makeIota(int64_t n, int64_t features = 4) {
  int64_t dims[2] = {n, features};
  kiln_array_t *array = nullptr;
  StatusPtr status(kiln_array_create(KILN_DTYPE_F32, 2, dims, &array));
  EXPECT_EQ(status, nullptr) << kiln_status_message(status.get());
  auto *data = static_cast<float *>(kiln_array_data(array));
  for (int64_t i = 0; i < n * features; ++i)
    data[i] = static_cast<float>(i);
  return ArrayPtr(array);
}

} // namespace kiln::test

#endif // KILN_TEST_RUNTIME_TESTUTIL_H
