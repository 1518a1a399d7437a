//===- TestUtil.h - Shared helpers of the runtime tests ---------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// RAII owners for runtime handles, a per-test scratch directory, file byte
// helpers, and a fake compiled model: y = x * w + b elementwise over 4
// features, whose predict records every batch size it is called with.
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
