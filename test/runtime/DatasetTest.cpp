//===- DatasetTest.cpp - Tests of kiln_dataset_t sources --------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Reads every source kind into the fake models of TrainUtil.h: .npy pairs
// with dtype conversion and target reshaping, numpy-written .npz archives
// (np.savez: stored, np.savez_compressed: deflated), MNIST-style IDX files
// raw and gzipped with scaling (inputs, image targets) and target
// reshaping. Checks the errors: sample
// counts, label range, dtypes, shapes, missing files, and every truncation
// of the IDX and .npz fixtures.
//
// The fixtures in Inputs/ were written with numpy 1.24:
//   x = np.arange(12, dtype=np.float32).reshape(6, 2) / 4
//   y = np.array([0, 2, 1, 1, 0, 2], dtype=np.int64)
//   np.savez('xy_stored.npz', x=x, y=y)
//   np.savez_compressed('xy_deflated.npz', x=x, y=y)
//   np.save('c8_3.npy', np.array([1+2j, 3, 4], dtype=np.complex64))
//   images (5, 2, 3) uint8 = arange(30) * 8, labels [3, 1, 4, 1, 5] uint8,
//   written as IDX (big-endian header) raw and with gzip (mtime=0).
//
//===----------------------------------------------------------------------===//
#include "TrainUtil.h"

using namespace kiln::test;

namespace {

struct OpenResult {
  DatasetPtr dataset;
  kiln_status_code_t code;
  std::string message;
};

OpenResult open(const kiln_model_desc_t &desc, const std::string &spec) {
  kiln_dataset_t *dataset = nullptr;
  StatusPtr status(kiln_dataset_open(&desc, spec.c_str(), &dataset));
  if (status) {
    EXPECT_EQ(dataset, nullptr);
  }
  return {DatasetPtr(dataset), kiln_status_code(status.get()),
          kiln_status_message(status.get())};
}

/// An array of `dtype` holding `values`.
ArrayPtr makeArray(int32_t dtype, std::vector<int64_t> dims,
                   const std::vector<double> &values) {
  kiln_array_t *raw = nullptr;
  kiln_array_t *f64 = nullptr;
  StatusPtr status(kiln_array_create(
      KILN_DTYPE_F64, static_cast<int32_t>(dims.size()), dims.data(), &f64));
  EXPECT_EQ(status, nullptr);
  if (!values.empty())
    std::memcpy(kiln_array_data(f64), values.data(), values.size() * 8);
  status.reset(kiln_array_convert(f64, dtype, &raw));
  EXPECT_EQ(status, nullptr) << kiln_status_message(status.get());
  kiln_array_release(f64);
  return ArrayPtr(raw);
}

void writeArray(const std::string &path, int32_t dtype,
                std::vector<int64_t> dims, const std::vector<double> &values) {
  ArrayPtr array = makeArray(dtype, std::move(dims), values);
  KILN_ASSERT_OK(kiln_npy_write(path.c_str(), array.get()));
}

/// Records the inputs and targets that eval_step sees (batch of 64).
std::vector<float> &seenX() {
  static std::vector<float> x;
  return x;
}
std::vector<float> &seenT() {
  static std::vector<float> t;
  return t;
}
int64_t &seenInputSize() {
  static int64_t size = 0;
  return size;
}
int64_t &seenTargetSize() {
  static int64_t size = 0;
  return size;
}

extern "C" int32_t recordingEvalStep(int64_t batch, void *const *buffers,
                                     void *) {
  // params; x; t; loss; pred.
  const auto *x = static_cast<const float *>(buffers[1]);
  const auto *t = static_cast<const float *>(buffers[2]);
  seenX().assign(x, x + batch * seenInputSize());
  seenT().assign(t, t + batch * seenTargetSize());
  *static_cast<float *>(buffers[3]) = 0;
  return 0;
}

/// Evaluates `data` with a recording eval step and returns what it saw.
void readBack(ClassifierFake &fake, const kiln_dataset_t *data,
              int64_t inputSize, int64_t targetSize) {
  fake.train.eval_step = recordingEvalStep;
  seenInputSize() = inputSize;
  seenTargetSize() = targetSize;
  ModelPtr model = createModel(fake.desc);
  ASSERT_TRUE(model);
  kiln_evaluate_options_t options;
  kiln_evaluate_options_initialize(&options);
  options.verbose = 0;
  options.batch_size = 64;
  std::vector<double> values(
      static_cast<size_t>(kiln_model_num_logs(model.get())));
  KILN_ASSERT_OK(
      kiln_model_evaluate(model.get(), data, &options, values.data()));
}

/// A sparse classifier over `classes` classes with input shape `inputDims`.
struct SparseModel {
  SparseModel(std::vector<int64_t> inputDims, int64_t classes)
      : fake(/*sparse=*/true),
        inDims(std::move(inputDims)), outDims{-1, classes} {
    fake.inputs[0].rank = static_cast<int32_t>(inDims.size());
    fake.inputs[0].dims = inDims.data();
    fake.outputs[0].dims = outDims;
    fake.setMetrics({{"accuracy", "sparse_categorical_accuracy"}});
  }
  ClassifierFake fake;
  std::vector<int64_t> inDims;
  int64_t outDims[2];
};

TEST(DatasetTest, NpyPairConvertsAndReshapes) {
  LinearFake fake;
  ScratchDir dir;
  writeArray(dir.file("x.npy"), KILN_DTYPE_F64, {3, 2}, {1, 2, 3, 4, 5, 6});
  writeArray(dir.file("y.npy"), KILN_DTYPE_I64, {3}, {7, 8, 9});
  OpenResult result =
      open(fake.desc, dir.file("x.npy") + "," + dir.file("y.npy"));
  ASSERT_EQ(result.code, KILN_STATUS_OK) << result.message;
  EXPECT_EQ(kiln_dataset_num_samples(result.dataset.get()), 3);
  kiln_dataset_retain(result.dataset.get());
  kiln_dataset_release(result.dataset.get());

  // Read the samples back through evaluate.
  double values[2];
  ModelPtr model = createModel(fake.desc);
  ASSERT_TRUE(model);
  kiln_evaluate_options_t options;
  kiln_evaluate_options_initialize(&options);
  options.verbose = 0;
  KILN_ASSERT_OK(
      kiln_model_evaluate(model.get(), result.dataset.get(), &options, values));
  // pred = 0.5 x0 - 0.25 x1 + 0.1: 0.1, 0.6, 1.1 vs targets 7, 8, 9.
  double expected =
      (std::pow(0.1 - 7, 2) + std::pow(0.6 - 8, 2) + std::pow(1.1 - 9, 2)) / 3;
  EXPECT_NEAR(values[0], expected, 1e-4);

  // Wrong per-sample shape of an input.
  writeArray(dir.file("x3.npy"), KILN_DTYPE_F32, {3, 3},
             {1, 2, 3, 4, 5, 6, 7, 8, 9});
  result = open(fake.desc, dir.file("x3.npy") + "," + dir.file("y.npy"));
  EXPECT_EQ(result.code, KILN_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(result.message,
            dir.file("x3.npy") +
                ": samples of shape (None, 3) do not fit input 'x' of shape "
                "(None, 2) (an input's sample shape must match, in every data "
                "format, up to a trailing or leading dimension of 1; reshape "
                "the data, "
                "or the model with a Flatten/Reshape layer)");
  // A target's sample shape must match up to dimensions of 1.
  writeArray(dir.file("y2.npy"), KILN_DTYPE_F32, {3, 2}, {1, 2, 3, 4, 5, 6});
  result = open(fake.desc, dir.file("x.npy") + "," + dir.file("y2.npy"));
  EXPECT_EQ(result.message, dir.file("y2.npy") +
                                ": samples of shape (None, 2) do not fit "
                                "target 'y_true' of shape (None, 1) (a "
                                "target's sample shape must match, up to "
                                "dimensions of 1)");
  // (N, 1, 1) feeds (None, 1); (N, 3, 2) does not feed (None, 2, 3) though
  // the element counts agree (Keras refuses it too).
  writeArray(dir.file("y11.npy"), KILN_DTYPE_F32, {3, 1, 1}, {7, 8, 9});
  result = open(fake.desc, dir.file("x.npy") + "," + dir.file("y11.npy"));
  EXPECT_EQ(result.code, KILN_STATUS_OK) << result.message;
  ClassifierFake swapped(/*sparse=*/false);
  int64_t targetDims[3] = {-1, 2, 3};
  swapped.outputs[0].rank = swapped.targets[0].rank = 3;
  swapped.outputs[0].dims = swapped.targets[0].dims = targetDims;
  writeArray(dir.file("x6.npy"), KILN_DTYPE_F32, {1, 3}, {1, 2, 3});
  writeArray(dir.file("y32.npy"), KILN_DTYPE_F32, {1, 3, 2},
             {1, 2, 3, 4, 5, 6});
  result = open(swapped.desc, dir.file("x6.npy") + "," + dir.file("y32.npy"));
  EXPECT_EQ(result.message, dir.file("y32.npy") +
                                ": samples of shape (None, 3, 2) do not fit "
                                "target 'labels' of shape (None, 2, 3) (a "
                                "target's sample shape must match, up to "
                                "dimensions of 1)");
}

TEST(DatasetTest, NpyErrors) {
  LinearFake fake;
  ScratchDir dir;
  writeArray(dir.file("x.npy"), KILN_DTYPE_F32, {5, 2},
             std::vector<double>(10));
  writeArray(dir.file("y.npy"), KILN_DTYPE_F32, {4, 1}, std::vector<double>(4));
  std::string x = dir.file("x.npy"), y = dir.file("y.npy");
  OpenResult result = open(fake.desc, x + "," + y);
  EXPECT_EQ(result.code, KILN_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(result.message, "sample counts differ: '" + x +
                                "' has 5 samples, '" + y + "' has 4");

  result = open(fake.desc, x);
  EXPECT_EQ(result.message, "dataset '" + x +
                                "' has 1 file(s); the model needs 1 input(s) "
                                "then 1 target(s)");
  result = open(fake.desc, x + ",");
  EXPECT_EQ(result.code, KILN_STATUS_INVALID_ARGUMENT);
  result = open(fake.desc, dir.file("nope.npy") + "," + y);
  EXPECT_EQ(result.code, KILN_STATUS_NOT_FOUND);
  EXPECT_EQ(result.message, "cannot open '" + dir.file("nope.npy") +
                                "': No such file or directory");
  result = open(fake.desc, dir.path + "," + y);
  EXPECT_EQ(result.code, KILN_STATUS_IO_ERROR);

  std::string complex = inputPath("c8_3.npy");
  result = open(fake.desc, complex + "," + y);
  EXPECT_EQ(result.code, KILN_STATUS_UNIMPLEMENTED);
  EXPECT_EQ(result.message.rfind(complex + ": unsupported dtype '<c8'", 0), 0u)
      << result.message;

  writeBytes(dir.file("junk.bin"), {'h', 'e', 'l', 'l', 'o'});
  result = open(fake.desc, dir.file("junk.bin") + "," + y);
  EXPECT_EQ(result.code, KILN_STATUS_DATA_LOSS);
  EXPECT_EQ(result.message, dir.file("junk.bin") +
                                ": not a .npy, .npz or IDX file (unknown "
                                "magic bytes)");

  writeArray(dir.file("s.npy"), KILN_DTYPE_F32, {}, {1});
  result = open(fake.desc, dir.file("s.npy") + "," + y);
  EXPECT_EQ(result.message,
            dir.file("s.npy") + ": a scalar has no sample dimension");
  writeArray(dir.file("e.npy"), KILN_DTYPE_F32, {0, 2}, {});
  writeArray(dir.file("ey.npy"), KILN_DTYPE_F32, {0, 1}, {});
  std::string spec = dir.file("e.npy") + "," + dir.file("ey.npy");
  result = open(fake.desc, spec);
  EXPECT_EQ(result.message, "dataset '" + spec + "' has no samples");

  // A model compiled without a loss.
  FakeModel plain;
  result = open(plain.desc, x + "," + y);
  EXPECT_EQ(result.code, KILN_STATUS_UNIMPLEMENTED);
  EXPECT_EQ(result.message, "model 'fake' was compiled without a loss; "
                            "recompile it with one to train or evaluate");
}

TEST(DatasetTest, SparseLabelRange) {
  SparseModel model({-1, 2}, 3);
  ScratchDir dir;
  writeArray(dir.file("x.npy"), KILN_DTYPE_F32, {4, 2}, std::vector<double>(8));
  std::string x = dir.file("x.npy");
  writeArray(dir.file("y.npy"), KILN_DTYPE_I64, {4}, {0, 2, 3, -1});
  OpenResult result = open(model.fake.desc, x + "," + dir.file("y.npy"));
  EXPECT_EQ(result.code, KILN_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(result.message, dir.file("y.npy") +
                                ": label 3 at index 2 is not a class index in "
                                "[0, 3) (output 'probs' has 3 classes)");
  writeArray(dir.file("y.npy"), KILN_DTYPE_F64, {4}, {0, 1.5, 1, 1});
  result = open(model.fake.desc, x + "," + dir.file("y.npy"));
  EXPECT_EQ(result.message, dir.file("y.npy") +
                                ": label 1.5 at index 1 is not a class index "
                                "in [0, 3) (output 'probs' has 3 classes)");
  // (N, 1) labels fit (None,) targets.
  writeArray(dir.file("y.npy"), KILN_DTYPE_U8, {4, 1}, {0, 1, 2, 2});
  result = open(model.fake.desc, x + "," + dir.file("y.npy"));
  EXPECT_EQ(result.code, KILN_STATUS_OK) << result.message;
}

TEST(DatasetTest, NpzStoredAndDeflated) {
  for (const char *name : {"xy_stored.npz", "xy_deflated.npz"}) {
    SparseModel model({-1, 2}, 3);
    OpenResult result = open(model.fake.desc, inputPath(name));
    ASSERT_EQ(result.code, KILN_STATUS_OK) << result.message;
    EXPECT_EQ(kiln_dataset_num_samples(result.dataset.get()), 6);
    readBack(model.fake, result.dataset.get(), 2, 1);
    std::vector<float> x;
    for (int i = 0; i < 12; ++i)
      x.push_back(static_cast<float>(i) / 4);
    EXPECT_EQ(seenX(), x);
    EXPECT_EQ(seenT(), (std::vector<float>{0, 2, 1, 1, 0, 2}));

    // Two classes: label 2 at index 1 is out of range.
    SparseModel two({-1, 2}, 2);
    result = open(two.fake.desc, inputPath(name));
    EXPECT_EQ(result.message, inputPath(name) +
                                  ":y: label 2 at index 1 is not a class "
                                  "index in [0, 2) (output 'probs' has 2 "
                                  "classes)");
  }
  // Two inputs look for x0, x1.
  SparseModel model({-1, 2}, 3);
  kiln_tensor_desc_t inputs[2] = {model.fake.inputs[0], model.fake.inputs[0]};
  model.fake.desc.num_inputs = 2;
  model.fake.desc.inputs = inputs;
  OpenResult result = open(model.fake.desc, inputPath("xy_stored.npz"));
  EXPECT_EQ(result.message, inputPath("xy_stored.npz") +
                                ": no array 'x0' in the archive (members: "
                                "'x.npy', 'y.npy')");
  result = open(model.fake.desc,
                inputPath("xy_stored.npz") + "," + inputPath("f4_2x3.npy"));
  EXPECT_EQ(result.code, KILN_STATUS_INVALID_ARGUMENT);
}

TEST(DatasetTest, NpzCorruption) {
  SparseModel model({-1, 2}, 3);
  ScratchDir dir;
  for (const char *name : {"xy_stored.npz", "xy_deflated.npz"}) {
    std::vector<uint8_t> bytes = readBytes(inputPath(name));
    ASSERT_GT(bytes.size(), 100u);
    for (size_t size = 0; size < bytes.size(); ++size) {
      writeBytes(dir.file("t.npz"),
                 std::vector<uint8_t>(bytes.begin(), bytes.begin() + size));
      OpenResult result = open(model.fake.desc, dir.file("t.npz"));
      EXPECT_NE(result.code, KILN_STATUS_OK) << name << " size " << size;
    }
    // Flip each byte of the member data area: CRC or inflate errors, or a
    // still-valid file, but never a crash.
    for (size_t i = 0; i < bytes.size(); ++i) {
      std::vector<uint8_t> flipped = bytes;
      flipped[i] ^= 0x40;
      writeBytes(dir.file("t.npz"), flipped);
      open(model.fake.desc, dir.file("t.npz"));
    }
  }
  // A flipped bit in the deflated data of x.npy fails the CRC or inflate.
  std::vector<uint8_t> bytes = readBytes(inputPath("xy_deflated.npz"));
  bytes[30 + 5 + 20 + 40] ^= 0x01;
  writeBytes(dir.file("t.npz"), bytes);
  OpenResult result = open(model.fake.desc, dir.file("t.npz"));
  EXPECT_EQ(result.code, KILN_STATUS_DATA_LOSS) << result.message;
}

TEST(DatasetTest, IdxRawAndGzip) {
  for (const char *suffix : {"", ".gz"}) {
    std::string spec = inputPath(std::string("images-idx3-ubyte") + suffix) +
                       "," +
                       inputPath(std::string("labels-idx1-ubyte") + suffix);
    // (2, 3) images feed (None, 2, 3) and (None, 2, 3, 1) inputs.
    for (std::vector<int64_t> dims :
         {std::vector<int64_t>{-1, 2, 3}, std::vector<int64_t>{-1, 2, 3, 1}}) {
      SparseModel model(dims, 6);
      OpenResult result = open(model.fake.desc, spec);
      ASSERT_EQ(result.code, KILN_STATUS_OK) << result.message;
      EXPECT_EQ(kiln_dataset_num_samples(result.dataset.get()), 5);
      readBack(model.fake, result.dataset.get(), 6, 1);
      ASSERT_EQ(seenX().size(), 30u);
      for (int i = 0; i < 30; ++i)
        EXPECT_EQ(seenX()[i], static_cast<float>(i * 8) / 255.0f);
      EXPECT_EQ(seenT(), (std::vector<float>{3, 1, 4, 1, 5}));
    }
    // One rule for every format: no reshape to another shape with the
    // same element count (as .npy and TFRecord data).
    OpenResult result;
    for (std::vector<int64_t> dims :
         {std::vector<int64_t>{-1, 7}, std::vector<int64_t>{-1, 6},
          std::vector<int64_t>{-1, 3, 2}}) {
      SparseModel wrong(dims, 6);
      result = open(wrong.fake.desc, spec);
      std::string shape = dims.size() == 2
                              ? "(None, " + std::to_string(dims[1]) + ")"
                              : std::string("(None, 3, 2)");
      EXPECT_EQ(result.message,
                inputPath(std::string("images-idx3-ubyte") + suffix) +
                    ": samples of shape (None, 2, 3) do not fit input 'x' of "
                    "shape " +
                    shape +
                    " (an input's sample shape must match, in every data "
                    "format, up to a trailing or leading dimension of 1; "
                    "reshape the data, or the model with a Flatten/Reshape "
                    "layer)");
    }
    // IDX images as targets (an autoencoder's) are scaled like inputs:
    // numpy's np.arange(30, dtype=np.uint8) * 8 / np.float32(255).
    ClassifierFake autoencoder(/*sparse=*/false);
    int64_t imageDims[3] = {-1, 2, 3};
    autoencoder.inputs[0].rank = autoencoder.outputs[0].rank =
        autoencoder.targets[0].rank = 3;
    autoencoder.inputs[0].dims = autoencoder.outputs[0].dims =
        autoencoder.targets[0].dims = imageDims;
    std::string images = inputPath(std::string("images-idx3-ubyte") + suffix);
    result = open(autoencoder.desc, images + "," + images);
    ASSERT_EQ(result.code, KILN_STATUS_OK) << result.message;
    readBack(autoencoder, result.dataset.get(), 6, 6);
    ASSERT_EQ(seenT().size(), 30u);
    for (int i = 0; i < 30; ++i)
      EXPECT_EQ(seenT()[i], static_cast<float>(i * 8) / 255.0f);
    SparseModel five({-1, 2, 3}, 5);
    result = open(five.fake.desc, spec);
    EXPECT_EQ(result.message,
              inputPath(std::string("labels-idx1-ubyte") + suffix) +
                  ": label 5 at index 4 is not a class index in [0, 5) "
                  "(output 'probs' has 5 classes)");
  }
}

TEST(DatasetTest, IdxTruncations) {
  SparseModel model({-1, 6}, 6);
  ScratchDir dir;
  for (const char *name : {"images-idx3-ubyte", "images-idx3-ubyte.gz"}) {
    std::vector<uint8_t> bytes = readBytes(inputPath(name));
    std::string labels = inputPath("labels-idx1-ubyte");
    for (size_t size = 0; size < bytes.size(); ++size) {
      writeBytes(dir.file("t"),
                 std::vector<uint8_t>(bytes.begin(), bytes.begin() + size));
      OpenResult result = open(model.fake.desc, dir.file("t") + "," + labels);
      EXPECT_NE(result.code, KILN_STATUS_OK) << name << " size " << size;
    }
  }
  std::vector<uint8_t> bytes = readBytes(inputPath("images-idx3-ubyte"));
  writeBytes(dir.file("t"),
             std::vector<uint8_t>(bytes.begin(), bytes.end() - 1));
  OpenResult result = open(model.fake.desc, dir.file("t") + "," +
                                                inputPath("labels-idx1-ubyte"));
  EXPECT_EQ(result.code, KILN_STATUS_DATA_LOSS);
  EXPECT_EQ(result.message, dir.file("t") +
                                ": truncated IDX data of shape (5, 2, 3) "
                                "needs 30 bytes, the file has 29");
  bytes[2] = 0x0d; // float32 elements
  writeBytes(dir.file("t"), bytes);
  result = open(model.fake.desc,
                dir.file("t") + "," + inputPath("labels-idx1-ubyte"));
  EXPECT_EQ(result.code, KILN_STATUS_UNIMPLEMENTED);
  // A gzip file whose deflate stream is cut short.
  std::vector<uint8_t> gz = readBytes(inputPath("images-idx3-ubyte.gz"));
  writeBytes(dir.file("t.gz"), std::vector<uint8_t>(gz.begin(), gz.end() - 12));
  result = open(model.fake.desc,
                dir.file("t.gz") + "," + inputPath("labels-idx1-ubyte"));
  EXPECT_EQ(result.code, KILN_STATUS_DATA_LOSS) << result.message;
}

} // namespace
