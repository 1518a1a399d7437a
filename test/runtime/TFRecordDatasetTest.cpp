//===- TFRecordDatasetTest.cpp - Datasets from tf.train.Example -*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// kiln_dataset_open_tfrecord on small TFRecord files written by the runtime's
// own writer for the fake linear model (x: 2 floats, y: 1): the arrays equal
// the in-memory dataset's, int64 and scalar specs, defaults, gzip, training
// gives the same history as the arrays, and every error names the record
// and feature.
//
//===----------------------------------------------------------------------===//
#include "Dataset.h"
#include "TrainUtil.h"

using namespace kiln::test;

namespace {

/// How record `i` deviates from the plain linear sample.
enum class Twist { None, NoY, IntY, ShortX, BytesX };

/// Writes `n` records of the linear data set to `path`: x float[2], y float
/// (or int64 when `intLabels`, y rounded); record `twisted` gets `twist`.
void writeLinear(const std::string &path, int64_t n, bool intLabels = false,
                 int64_t twisted = -1, Twist twist = Twist::None) {
  kiln_tfrecord_writer_t *writer = nullptr;
  KILN_ASSERT_OK(kiln_tfrecord_writer_open(path.c_str(), nullptr, &writer));
  for (int64_t i = 0; i < n; ++i) {
    Twist t = i == twisted ? twist : Twist::None;
    kiln_example_t *example = nullptr;
    KILN_ASSERT_OK(kiln_example_create(&example));
    float x[2] = {linearX(i, 0), linearX(i, 1)};
    if (t == Twist::BytesX) {
      const uint8_t *values[1] = {reinterpret_cast<const uint8_t *>("ab")};
      size_t sizes[1] = {2};
      KILN_ASSERT_OK(kiln_example_set_bytes(example, "x", values, sizes, 1));
    } else {
      KILN_ASSERT_OK(
          kiln_example_set_float(example, "x", x, t == Twist::ShortX ? 1 : 2));
    }
    if (t != Twist::NoY) {
      float y = linearT(i);
      if (intLabels || t == Twist::IntY) {
        int64_t label = static_cast<int64_t>(std::lround(y));
        KILN_ASSERT_OK(kiln_example_set_int64(example, "y", &label, 1));
      } else {
        KILN_ASSERT_OK(kiln_example_set_float(example, "y", &y, 1));
      }
    }
    int64_t extra = i;
    KILN_ASSERT_OK(kiln_example_set_int64(example, "id", &extra, 1));
    uint8_t *data = nullptr;
    size_t size = 0;
    KILN_ASSERT_OK(kiln_example_encode(example, 1, &data, &size));
    KILN_ASSERT_OK(kiln_tfrecord_writer_write(writer, data, size));
    kiln_free(data);
    kiln_example_release(example);
  }
  KILN_ASSERT_OK(kiln_tfrecord_writer_close(writer));
  kiln_tfrecord_writer_release(writer);
}

kiln_status_t openTFRecord(const kiln_model_desc_t &desc,
                           const std::string &path, const char *x,
                           const char *y, DatasetPtr &out) {
  const char *features[1] = {x};
  const char *labels[1] = {y};
  kiln_dataset_t *dataset = nullptr;
  kiln_status_t status = kiln_dataset_open_tfrecord(
      &desc, path.c_str(), features, 1, labels, 1, &dataset);
  out.reset(dataset);
  return status;
}

std::vector<float> floats(const kiln_array_t *array) {
  const auto *data = static_cast<const float *>(kiln_array_data(array));
  return {data, data + kiln_array_num_elements(array)};
}

/// The message of a failed `status` (empty when it succeeded).
std::string failure(kiln_status_t status,
                    kiln_status_code_t code = KILN_STATUS_INVALID_ARGUMENT) {
  StatusPtr owned(status);
  EXPECT_EQ(kiln_status_code(status), code) << kiln_status_message(status);
  return kiln_status_message(status);
}

TEST(TFRecordDatasetTest, MatchesArrays) {
  LinearFake fake;
  ScratchDir dir;
  for (const char *name : {"data.tfrecord", "data.tfrecord.gz"}) {
    std::string path = dir.file(name);
    writeLinear(path, 7);
    for (const char *ySpec : {"y:float32[1]", "y:float32", "y:float32[]"}) {
      DatasetPtr dataset;
      KILN_ASSERT_OK(
          openTFRecord(fake.desc, path, "x:float32[2]", ySpec, dataset));
      DatasetPtr reference = linearDataset(fake.desc, 7);
      ASSERT_EQ(kiln_dataset_num_samples(dataset.get()), 7);
      EXPECT_EQ(floats(dataset->inputs[0]), floats(reference->inputs[0]));
      EXPECT_EQ(floats(dataset->targets[0]), floats(reference->targets[0]));
      EXPECT_EQ(kiln_array_rank(dataset->targets[0]), 2);
    }
  }
}

TEST(TFRecordDatasetTest, TrainsLikeArrays) {
  LinearFake fake;
  ScratchDir dir;
  std::string path = dir.file("data.tfrecord");
  writeLinear(path, 9);
  DatasetPtr records, arrays = linearDataset(fake.desc, 9);
  KILN_ASSERT_OK(
      openTFRecord(fake.desc, path, "x:float32[2]", "y:float32", records));
  std::string histories[2];
  for (int k = 0; k < 2; ++k) {
    kiln_model_t *raw = nullptr;
    KILN_ASSERT_OK(kiln_model_create(&fake.desc, &raw));
    ModelPtr model(raw);
    kiln_fit_options_t options;
    kiln_fit_options_initialize(&options);
    options.verbose = 0;
    options.epochs = 3;
    options.batch_size = 4;
    options.seed = 7;
    char *json = nullptr;
    KILN_ASSERT_OK(kiln_model_fit(model.get(), k ? records.get() : arrays.get(),
                                  &options, &json));
    histories[k] = json;
    kiln_free(json);
  }
  EXPECT_EQ(histories[0], histories[1]);
}

TEST(TFRecordDatasetTest, Int64AndDefaults) {
  LinearFake fake;
  ScratchDir dir;
  std::string path = dir.file("data.tfrecord");
  writeLinear(path, 4, /*intLabels=*/true, /*twisted=*/2, Twist::NoY);
  DatasetPtr dataset;
  KILN_ASSERT_OK(
      openTFRecord(fake.desc, path, "x:float32[2]", "y:int64=-5", dataset));
  std::vector<float> y = floats(dataset->targets[0]);
  ASSERT_EQ(y.size(), 4u);
  EXPECT_EQ(y[0], float(std::lround(linearT(0))));
  EXPECT_EQ(y[2], -5.0f);
  EXPECT_EQ(y[3], float(std::lround(linearT(3))));
  // An int64 feature may feed an input too; "id" is 0..3, and a default list
  // has one value per element.
  writeLinear(path, 4, /*intLabels=*/false, 1, Twist::NoY);
  KILN_ASSERT_OK(openTFRecord(fake.desc, path, "x:float32[2]",
                              "y:float32[1]=2.5", dataset));
  EXPECT_EQ(floats(dataset->targets[0])[1], 2.5f);
  KILN_ASSERT_OK(openTFRecord(fake.desc, path, "missing:float32[2]=1,-1",
                              "id:int64", dataset));
  EXPECT_EQ(floats(dataset->inputs[0]),
            (std::vector<float>{1, -1, 1, -1, 1, -1, 1, -1}));
  EXPECT_EQ(floats(dataset->targets[0]), (std::vector<float>{0, 1, 2, 3}));
}

TEST(TFRecordDatasetTest, Errors) {
  LinearFake fake;
  ScratchDir dir;
  std::string path = dir.file("data.tfrecord");
  DatasetPtr dataset;
  auto contains = [](const std::string &text, const std::string &part) {
    return text.find(part) != std::string::npos;
  };

  writeLinear(path, 5, false, 3, Twist::NoY);
  std::string message = failure(
      openTFRecord(fake.desc, path, "x:float32[2]", "y:float32", dataset));
  EXPECT_TRUE(contains(message, "record 3: feature 'y' is missing and has no "
                                "default"))
      << message;
  EXPECT_TRUE(contains(message, path)) << message;

  writeLinear(path, 5, false, 1, Twist::IntY);
  message = failure(
      openTFRecord(fake.desc, path, "x:float32[2]", "y:float32", dataset));
  EXPECT_TRUE(contains(message, "record 1: feature 'y' holds int64 values, "
                                "not float32"))
      << message;
  message =
      failure(openTFRecord(fake.desc, path, "x:int64[2]", "y:int64", dataset));
  EXPECT_TRUE(contains(message, "record 0: feature 'x' holds float32 values, "
                                "not int64"))
      << message;

  writeLinear(path, 5, false, 4, Twist::BytesX);
  message = failure(
      openTFRecord(fake.desc, path, "x:float32[2]", "y:float32", dataset));
  EXPECT_TRUE(contains(message, "record 4: feature 'x' holds bytes values"))
      << message;

  writeLinear(path, 5, false, 2, Twist::ShortX);
  message = failure(
      openTFRecord(fake.desc, path, "x:float32[2]", "y:float32", dataset));
  EXPECT_TRUE(contains(message, "record 2: feature 'x' has 1 value(s); shape "
                                "(2,) needs 2"))
      << message;

  // A consistent feature that does not fit the model's input.
  writeLinear(path, 5);
  message = failure(
      openTFRecord(fake.desc, path, "x:float32[1,2]", "y:float32", dataset));
  EXPECT_TRUE(contains(message, "feature 'x'")) << message;
  EXPECT_TRUE(contains(message, "do not fit input 'x'")) << message;

  // Bad specs.
  for (const char *spec :
       {"x", "x:float64[2]", "x:float32[2", "x:float32[a]",
        "x:float32[2]=1,2,3", "x:float32[-1]", ":float32", "x:float32[2]=z"}) {
    message =
        failure(openTFRecord(fake.desc, path, spec, "y:float32", dataset));
    EXPECT_TRUE(contains(message, "feature spec")) << spec << ": " << message;
  }
  // kiln_dataset_open recognizes a TFRecord file and points to the specs.
  kiln_dataset_t *opened = nullptr;
  message = failure(kiln_dataset_open(&fake.desc, path.c_str(), &opened));
  EXPECT_TRUE(contains(message, "a TFRecord file; read it with feature specs"))
      << message;

  // Counts, files.
  const char *one[1] = {"x:float32[2]"};
  kiln_dataset_t *raw = nullptr;
  message = failure(kiln_dataset_open_tfrecord(&fake.desc, path.c_str(), one, 1,
                                               nullptr, 0, &raw));
  EXPECT_TRUE(contains(message, "the model needs 1 input(s) and 1 target(s)"))
      << message;
  failure(openTFRecord(fake.desc, dir.file("none.tfrecord"), "x:float32[2]",
                       "y:float32", dataset),
          KILN_STATUS_NOT_FOUND);
  std::vector<uint8_t> bytes = readBytes(path);
  bytes[20] ^= 1;
  writeBytes(path, bytes);
  failure(openTFRecord(fake.desc, path, "x:float32[2]", "y:float32", dataset),
          KILN_STATUS_DATA_LOSS);
  writeLinear(path, 0);
  message = failure(
      openTFRecord(fake.desc, path, "x:float32[2]", "y:float32", dataset));
  EXPECT_TRUE(contains(message, "no records")) << message;
}

} // namespace
