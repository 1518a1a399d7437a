//===- TFRecordDatasetTest.cpp - Datasets from tf.train.Example -*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// kiln_dataset_open_tfrecord on small TFRecord files written by the runtime's
// own writer for the fake linear model (x: 2 floats, y: 1): the arrays equal
// the in-memory dataset's, int64 and scalar specs, defaults, gzip, training
// gives the same history as the arrays, and every error names the record
// and feature. The dataset streams: fit/evaluate match the in-memory arrays
// exactly (shuffled or not, with a small shuffle buffer, steps_per_epoch,
// initial_epoch, validation data), the shuffle buffer is deterministic and
// visits every sample once per pass, the source's memory stays bounded by
// buffer + prefetched batches, and a record corrupted after opening stops
// training with an error naming it. A bool input (the masked fake) takes
// int64 features of 0s and 1s only; defaults are checked like values.
//
//===----------------------------------------------------------------------===//
#include "TrainUtil.h"
#include "data/Dataset.h"
#include "data/Shuffle.h"

#include <algorithm>

using namespace kiln::test;

namespace {

#define KILN_EXPECT_OK(expr)                                                   \
  do {                                                                         \
    ::kiln::test::StatusPtr status_(expr);                                     \
    EXPECT_EQ(status_, nullptr) << kiln_status_message(status_.get());         \
  } while (0)

/// Encodes `example` (packed), appends it to `writer` and releases it.
void appendExample(kiln_tfrecord_writer_t *writer, kiln_example_t *example) {
  uint8_t *data = nullptr;
  size_t size = 0;
  KILN_EXPECT_OK(kiln_example_encode(example, 1, &data, &size));
  KILN_EXPECT_OK(kiln_tfrecord_writer_write(writer, data, size));
  kiln_free(data);
  kiln_example_release(example);
}

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
    appendExample(writer, example);
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

/// The values of tensor `t` (0: x, 1: y) of every sample of the streaming
/// `dataset`, read in file order in one batch.
std::vector<float> column(const kiln_dataset_t *dataset, size_t t) {
  kiln::BatchStream stream;
  kiln::StreamPlan plan;
  plan.batchSize = kiln_dataset_num_samples(dataset);
  KILN_EXPECT_OK(stream.start(dataset, plan));
  kiln::StreamBatch *batch = nullptr;
  KILN_EXPECT_OK(stream.next(batch));
  if (!batch)
    return {};
  size_t end = t + 1 < 2 ? stream.offset(t + 1) : batch->values.size();
  std::vector<float> values(batch->values.begin() + stream.offset(t),
                            batch->values.begin() + end);
  stream.recycle(batch);
  return values;
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
      EXPECT_EQ(column(dataset.get(), 0), floats(reference->inputs[0]));
      EXPECT_EQ(column(dataset.get(), 1), floats(reference->targets[0]));
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
    ModelPtr model = createModel(fake.desc);
    ASSERT_TRUE(model);
    kiln_fit_options_t options = quietOptions();
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
  std::vector<float> y = column(dataset.get(), 1);
  ASSERT_EQ(y.size(), 4u);
  EXPECT_EQ(y[0], float(std::lround(linearT(0))));
  EXPECT_EQ(y[2], -5.0f);
  EXPECT_EQ(y[3], float(std::lround(linearT(3))));
  // An int64 feature may feed an input too; "id" is 0..3, and a default list
  // has one value per element.
  writeLinear(path, 4, /*intLabels=*/false, 1, Twist::NoY);
  KILN_ASSERT_OK(openTFRecord(fake.desc, path, "x:float32[2]",
                              "y:float32[1]=2.5", dataset));
  EXPECT_EQ(column(dataset.get(), 1)[1], 2.5f);
  KILN_ASSERT_OK(openTFRecord(fake.desc, path, "missing:float32[2]=1,-1",
                              "id:int64", dataset));
  EXPECT_EQ(column(dataset.get(), 0),
            (std::vector<float>{1, -1, 1, -1, 1, -1, 1, -1}));
  EXPECT_EQ(column(dataset.get(), 1), (std::vector<float>{0, 1, 2, 3}));
}

TEST(TFRecordDatasetTest, DefaultsCheckedLikeValues) {
  ScratchDir dir;
  std::string path = dir.file("data.tfrecord");
  writeLinear(path, 4);
  DatasetPtr dataset;
  // A sparse label's default (or pad value) is a class index, as a label
  // value is: "lab" is missing from every record.
  ClassifierFake classifier(/*sparse=*/true);
  EXPECT_EQ(failure(openTFRecord(classifier.desc, path, "m:float32[3]=0",
                                 "lab:int64=3", dataset)),
            path + ": feature 'lab': default label 3 is not a class index in "
                   "[0, 3) (output 'probs' has 3 classes)");
  EXPECT_EQ(failure(openTFRecord(classifier.desc, path, "m:float32[3]=0",
                                 "lab:varlen(int64)[1]=-1", dataset)),
            path + ": feature 'lab': default label -1 is not a class index in "
                   "[0, 3) (output 'probs' has 3 classes)");
  KILN_ASSERT_OK(openTFRecord(classifier.desc, path, "m:float32[3]=0",
                              "lab:int64=2", dataset));
  // An int64 spec's default is integers; an id default within float32's
  // exact integers, as an id value is.
  LinearFake fake;
  EXPECT_EQ(failure(openTFRecord(fake.desc, path, "x:float32[2]",
                                 "lab:int64=0.5", dataset)),
            "feature spec 'lab:int64=0.5': the default of an int64 feature "
            "must be integers (expected "
            "'name:float32|int64[d0,d1,...][=default]' or "
            "'name:varlen(float32|int64)[d0,...][=pad]')");
  fake.inputs[0].dtype = KILN_DTYPE_I64;
  EXPECT_EQ(failure(openTFRecord(fake.desc, path, "m:int64[2]=16777218",
                                 "y:float32", dataset)),
            path + ": feature 'm': default id 16777218 is beyond 16777216, "
                   "the largest id kiln's batches carry (input 'x')");
  KILN_ASSERT_OK(openTFRecord(fake.desc, path, "m:int64[2]=-16777216",
                              "y:float32", dataset));
}

TEST(TFRecordDatasetTest, TargetShapes) {
  ScratchDir dir;
  std::string path = dir.file("data.tfrecord");
  writeLinear(path, 4);
  DatasetPtr dataset;
  // A target's shape matches up to dimensions of 1 ((1, 1) feeds (None, 1));
  // (3, 2) does not feed (None, 2, 3), whatever the element counts.
  LinearFake fake;
  KILN_ASSERT_OK(
      openTFRecord(fake.desc, path, "x:float32[2]", "y:float32[1,1]", dataset));
  ClassifierFake swapped(/*sparse=*/false);
  int64_t targetDims[3] = {-1, 2, 3};
  swapped.outputs[0].rank = swapped.targets[0].rank = 3;
  swapped.outputs[0].dims = swapped.targets[0].dims = targetDims;
  EXPECT_EQ(failure(openTFRecord(swapped.desc, path, "m:float32[3]=0",
                                 "t:float32[3,2]=0", dataset)),
            path + ": feature 't': samples of shape (None, 3, 2) do not fit "
                   "target 'labels' of shape (None, 2, 3) (a target's sample "
                   "shape must match, up to dimensions of 1)");
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
      openTFRecord(fake.desc, path, "x:float32[2,2]", "y:float32", dataset));
  EXPECT_TRUE(contains(message, "feature 'x'")) << message;
  EXPECT_TRUE(contains(message, "do not fit input 'x'")) << message;
  EXPECT_TRUE(contains(message, "must match, in every data format, up to a "
                                "trailing or leading dimension of 1"))
      << message;
  // The same rule as for arrays: a trailing 1 may be added or dropped, and
  // a leading one (channels-first).
  KILN_ASSERT_OK(
      openTFRecord(fake.desc, path, "x:float32[2,1]", "y:float32", dataset));
  KILN_ASSERT_OK(
      openTFRecord(fake.desc, path, "x:float32[1,2]", "y:float32", dataset));

  // Bad specs.
  for (const char *spec :
       {"x", "x:float64[2]", "x:float32[2", "x:float32[a]",
        "x:float32[2]=1,2,3", "x:float32[-1]", ":float32", "x:float32[2]=z"}) {
    message =
        failure(openTFRecord(fake.desc, path, spec, "y:float32", dataset));
    EXPECT_TRUE(contains(message, "feature spec")) << spec << ": " << message;
  }
  // A shape without ']' is named as such (it was a dtype error).
  for (const char *spec : {"x:float32[2", "x:float32[2=0"}) {
    message =
        failure(openTFRecord(fake.desc, path, spec, "y:float32", dataset));
    EXPECT_TRUE(contains(message, std::string("feature spec '") + spec +
                                      "': missing ']': the shape opened by "
                                      "'[' at character 10 is not closed"))
        << message;
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

/// Writes `n` records of the masked data set to `path`: x float[2], m int64[2]
/// (the mask), y float; record `twisted` gets m = {1, `badValue`}, or no m.
void writeMasked(const std::string &path, int64_t n, int64_t twisted = -1,
                 int64_t badValue = -1) {
  kiln_tfrecord_writer_t *writer = nullptr;
  KILN_ASSERT_OK(kiln_tfrecord_writer_open(path.c_str(), nullptr, &writer));
  for (int64_t i = 0; i < n; ++i) {
    kiln_example_t *example = nullptr;
    KILN_ASSERT_OK(kiln_example_create(&example));
    float x[2] = {MaskedFake::x(i, 0), MaskedFake::x(i, 1)};
    KILN_ASSERT_OK(kiln_example_set_float(example, "x", x, 2));
    int64_t m[2] = {MaskedFake::mask(i, 0), MaskedFake::mask(i, 1)};
    if (i == twisted)
      m[1] = badValue;
    if (i != twisted || badValue >= 0)
      KILN_ASSERT_OK(kiln_example_set_int64(example, "m", m, 2));
    float y = MaskedFake::t(i);
    KILN_ASSERT_OK(kiln_example_set_float(example, "y", &y, 1));
    appendExample(writer, example);
  }
  KILN_ASSERT_OK(kiln_tfrecord_writer_close(writer));
  kiln_tfrecord_writer_release(writer);
}

kiln_status_t openMasked(const kiln_model_desc_t &desc, const std::string &path,
                         const char *mask, DatasetPtr &out) {
  const char *features[2] = {"x:float32[2]", mask};
  const char *labels[1] = {"y:float32"};
  kiln_dataset_t *dataset = nullptr;
  kiln_status_t status = kiln_dataset_open_tfrecord(
      &desc, path.c_str(), features, 2, labels, 1, &dataset);
  out.reset(dataset);
  return status;
}

TEST(TFRecordDatasetTest, BoolInputs) {
  MaskedFake fake;
  ScratchDir dir;
  std::string path = dir.file("masked.tfrecord");
  writeMasked(path, 6);
  DatasetPtr dataset;
  KILN_ASSERT_OK(openMasked(fake.desc, path, "m:int64[2]", dataset));
  ModelPtr model = createModel(fake.desc);
  ASSERT_TRUE(model);
  kiln_fit_options_t options = quietOptions();
  options.batch_size = 4;
  options.shuffle = 0;
  KILN_ASSERT_OK(kiln_model_fit(model.get(), dataset.get(), &options, nullptr));
  std::vector<uint8_t> expected;
  for (int64_t i = 0; i < 6; ++i)
    for (int k = 0; k < 2; ++k)
      expected.push_back(MaskedFake::mask(i, k));
  EXPECT_EQ(maskedBytes(), expected);

  // A value other than 0 or 1 is an error naming the record, never true.
  writeMasked(path, 6, /*twisted=*/4, /*badValue=*/2);
  EXPECT_EQ(failure(openMasked(fake.desc, path, "m:int64[2]", dataset)),
            path + ": record 4: feature 'm': value 2 is not 0 or 1 (a bool "
                   "input)");
  // Float features, and defaults or padding other than 0 and 1, are
  // refused when opening.
  writeMasked(path, 6, /*twisted=*/1);
  EXPECT_EQ(failure(openMasked(fake.desc, path, "m:float32[2]", dataset)),
            path + ": feature 'm' is float32, but input 'mask' takes bool "
                   "values 0 and 1 (give it as int64)");
  EXPECT_EQ(failure(openMasked(fake.desc, path, "m:int64[2]=0.5", dataset)),
            "feature spec 'm:int64[2]=0.5': the default of an int64 feature "
            "must be integers (expected "
            "'name:float32|int64[d0,d1,...][=default]' or "
            "'name:varlen(float32|int64)[d0,...][=pad]')");
  EXPECT_EQ(
      failure(openMasked(fake.desc, path, "m:varlen(int64)[2]=2", dataset)),
      path + ": feature 'm': default 2 is not 0 or 1, but input 'mask' takes "
             "bool");
  // A missing mask takes a default of 0s and 1s.
  KILN_ASSERT_OK(openMasked(fake.desc, path, "m:int64[2]=1,0", dataset));
  std::vector<float> mask = column(dataset.get(), 1); // m, then y
  ASSERT_EQ(mask.size(), 12u + 6u);
  EXPECT_EQ(mask[2], 1.0f);
  EXPECT_EQ(mask[3], 0.0f);
}

/// The history JSON of a fit of a fresh linear model on `data` (validation
/// `check`), and the evaluation of the result on `data`.
std::string fitHistory(const LinearFake &fake, const kiln_dataset_t *data,
                       const kiln_dataset_t *check, kiln_fit_options_t options,
                       std::vector<double> &evaluation) {
  kiln_model_t *raw = nullptr;
  EXPECT_EQ(kiln_model_create(&fake.desc, &raw), nullptr);
  ModelPtr model(raw);
  options.verbose = 0;
  options.validation_data = check;
  char *json = nullptr;
  KILN_EXPECT_OK(kiln_model_fit(model.get(), data, &options, &json));
  std::string history = json ? json : "";
  kiln_free(json);
  kiln_evaluate_options_t evaluate;
  kiln_evaluate_options_initialize(&evaluate);
  evaluate.verbose = 0;
  evaluate.batch_size = 4;
  evaluation.assign(size_t(kiln_model_num_logs(model.get())), 0.0);
  KILN_EXPECT_OK(
      kiln_model_evaluate(model.get(), data, &evaluate, evaluation.data()));
  return history;
}

TEST(TFRecordDatasetTest, StreamsLikeArrays) {
  LinearFake fake;
  ScratchDir dir;
  struct Case {
    int64_t n, batch, steps, initial, buffer, prefetch;
    int32_t shuffle;
  };
  const Case cases[] = {{9, 4, 0, 0, 0, 0, 0},  {9, 4, 0, 0, 0, 0, 1},
                        {10, 3, 0, 0, 4, 1, 1}, {10, 3, 5, 1, 0, 3, 1},
                        {10, 3, 5, 2, 3, 2, 1}, {10, 3, 7, 1, 0, 1, 0},
                        {10, 32, 0, 0, 2, 0, 1}};
  for (const Case &c : cases) {
    SCOPED_TRACE("n=" + std::to_string(c.n) + " batch=" +
                 std::to_string(c.batch) + " steps=" + std::to_string(c.steps) +
                 " initial=" + std::to_string(c.initial) +
                 " buffer=" + std::to_string(c.buffer) +
                 " shuffle=" + std::to_string(c.shuffle));
    std::string path = dir.file("data.tfrecord");
    writeLinear(path, c.n);
    DatasetPtr records, arrays = linearDataset(fake.desc, c.n);
    KILN_ASSERT_OK(
        openTFRecord(fake.desc, path, "x:float32[2]", "y:float32", records));
    kiln_fit_options_t options;
    kiln_fit_options_initialize(&options);
    options.epochs = 4;
    options.batch_size = c.batch;
    options.seed = 11;
    options.shuffle = c.shuffle;
    options.steps_per_epoch = c.steps;
    options.initial_epoch = c.initial;
    options.shuffle_buffer = c.buffer;
    options.prefetch = c.prefetch;
    std::vector<double> fromArrays, fromRecords;
    std::string expected =
        fitHistory(fake, arrays.get(), arrays.get(), options, fromArrays);
    std::string streamed =
        fitHistory(fake, records.get(), records.get(), options, fromRecords);
    EXPECT_EQ(streamed, expected);
    EXPECT_NE(expected.find("val_loss"), std::string::npos);
    EXPECT_EQ(fromRecords, fromArrays);
  }
}

/// The sample ids (x0 * 8) of pass `pass` of the streaming `dataset`.
std::vector<int64_t> passIds(const kiln_dataset_t *dataset, bool shuffle,
                             uint64_t seed, int64_t pass, int64_t buffer) {
  kiln::BatchStream stream;
  kiln::StreamPlan plan;
  plan.batchSize = 7;
  plan.shuffle = shuffle;
  plan.seed = seed;
  plan.firstPass = pass;
  plan.shuffleBuffer = buffer;
  KILN_EXPECT_OK(stream.start(dataset, plan));
  std::vector<int64_t> ids;
  while (true) {
    kiln::StreamBatch *batch = nullptr;
    KILN_EXPECT_OK(stream.next(batch));
    if (!batch)
      break;
    for (int64_t j = 0; j < batch->size; ++j)
      ids.push_back(std::lround(batch->values[size_t(2 * j)] * 8));
    stream.recycle(batch);
  }
  return ids;
}

TEST(TFRecordDatasetTest, ShuffleBuffer) {
  LinearFake fake;
  ScratchDir dir;
  std::string path = dir.file("data.tfrecord");
  const int64_t n = 100;
  writeLinear(path, n);
  DatasetPtr dataset;
  KILN_ASSERT_OK(
      openTFRecord(fake.desc, path, "x:float32[2]", "y:float32", dataset));
  std::vector<int64_t> identity(n);
  for (int64_t i = 0; i < n; ++i)
    identity[size_t(i)] = i;
  // Without shuffling: file order.
  EXPECT_EQ(passIds(dataset.get(), false, 5, 0, 10), identity);
  std::vector<int64_t> a = passIds(dataset.get(), true, 5, 0, 10);
  // Same seed and pass: the same order; every sample once.
  EXPECT_EQ(passIds(dataset.get(), true, 5, 0, 10), a);
  std::vector<int64_t> sorted = a;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted, identity);
  EXPECT_NE(a, identity);
  // Another seed or pass: another order, still a permutation.
  for (std::vector<int64_t> b : {passIds(dataset.get(), true, 6, 0, 10),
                                 passIds(dataset.get(), true, 5, 1, 10)}) {
    EXPECT_NE(b, a);
    std::sort(b.begin(), b.end());
    EXPECT_EQ(b, identity);
  }
  // A buffer of B samples cannot emit sample i before position i - B + 1.
  for (int64_t k = 0; k < n; ++k)
    EXPECT_LE(a[size_t(k)], k + 9) << "position " << k;
  // The in-memory order through the same buffer is the same.
  std::vector<int64_t> order(n);
  kiln::bufferedPassOrder(order.data(), n, true, 5, 0, 10);
  EXPECT_EQ(order, a);
  // A buffer as large as the data: the in-memory full shuffle.
  kiln::passOrder(order.data(), n, true, 5, 3);
  EXPECT_EQ(passIds(dataset.get(), true, 5, 3, 100), order);
  EXPECT_EQ(passIds(dataset.get(), true, 5, 3, 10000), order);
}

TEST(TFRecordDatasetTest, MemoryStaysBounded) {
  LinearFake fake;
  ScratchDir dir;
  std::string path = dir.file("big.tfrecord");
  const int64_t n = 100000;
  writeLinear(path, n);
  DatasetPtr dataset;
  KILN_ASSERT_OK(
      openTFRecord(fake.desc, path, "x:float32[2]", "y:float32", dataset));
  ASSERT_EQ(kiln_dataset_num_samples(dataset.get()), n);
  EXPECT_EQ(kiln::streamPeakSamples(dataset.get()), 0);
  ModelPtr model = createModel(fake.desc);
  ASSERT_TRUE(model);
  kiln_fit_options_t options = quietOptions();
  options.batch_size = 32;
  options.seed = 3;
  options.shuffle_buffer = 1000;
  options.prefetch = 2;
  KILN_ASSERT_OK(kiln_model_fit(model.get(), dataset.get(), &options, nullptr));
  EXPECT_EQ(kiln_model_iterations(model.get()), (n + 31) / 32);
  int64_t peak = kiln::streamPeakSamples(dataset.get());
  EXPECT_GE(peak, 1000);
  EXPECT_LE(peak, 1000 + 2 * 32);
  // Evaluation streams in file order with the default prefetch.
  kiln_evaluate_options_t evaluate;
  kiln_evaluate_options_initialize(&evaluate);
  evaluate.verbose = 0;
  evaluate.batch_size = 32;
  std::vector<double> logs(size_t(kiln_model_num_logs(model.get())));
  KILN_ASSERT_OK(
      kiln_model_evaluate(model.get(), dataset.get(), &evaluate, logs.data()));
  EXPECT_LE(kiln::streamPeakSamples(dataset.get()), 1000 + 2 * 32);
}

TEST(TFRecordDatasetTest, CorruptRecordMidEpoch) {
  LinearFake fake;
  ScratchDir dir;
  std::string path = dir.file("data.tfrecord");
  const int64_t n = 50;
  writeLinear(path, n);
  // Every record has the same size (ids below 128 are one varint byte).
  std::vector<uint8_t> clean = readBytes(path);
  ASSERT_EQ(clean.size() % n, 0u);
  size_t recordSize = clean.size() / n;
  auto contains = [](const std::string &text, const std::string &part) {
    return text.find(part) != std::string::npos;
  };
  // Also with a device whose steps finish later: the batch that fails
  // loads while a step is queued, which must still finish.
  for (int run = 0; run < 6; ++run) {
    SCOPED_TRACE(run);
    int variant = run % 3;
    bool device = run >= 3;
    writeBytes(path, clean);
    DatasetPtr dataset;
    KILN_ASSERT_OK(
        openTFRecord(fake.desc, path, "x:float32[2]", "y:float32", dataset));
    // The file changes after opening: a flipped payload byte of record 30
    // (bad CRC), a record 30 with one x value (valid framing), or a file
    // cut after record 30.
    if (variant == 0) {
      std::vector<uint8_t> bytes = clean;
      bytes[30 * recordSize + 14] ^= 0x40;
      writeBytes(path, bytes);
    } else if (variant == 1) {
      writeLinear(path, n, false, 30, Twist::ShortX);
    } else {
      writeBytes(path, std::vector<uint8_t>(clean.begin(),
                                            clean.begin() + 30 * recordSize));
    }
    ModelPtr model = createModel(fake.desc);
    ASSERT_TRUE(model);
    if (device)
      deferSteps(model.get());
    kiln_fit_options_t options = quietOptions();
    options.batch_size = 4;
    options.epochs = 3;
    options.shuffle = 0;
    options.prefetch = 2;
    std::string message = failure(
        kiln_model_fit(model.get(), dataset.get(), &options, nullptr),
        variant == 1 ? KILN_STATUS_INVALID_ARGUMENT : KILN_STATUS_DATA_LOSS);
    EXPECT_TRUE(contains(message, path)) << message;
    EXPECT_TRUE(contains(message, "record 30")) << message;
    // The batches before the bad record trained; the epoch did not finish.
    EXPECT_GE(kiln_model_iterations(model.get()), 6);
    EXPECT_LT(kiln_model_iterations(model.get()), 13);
    EXPECT_EQ(kiln_model_epoch(model.get()), 0);
    // Evaluation stops the same way.
    kiln_evaluate_options_t evaluate;
    kiln_evaluate_options_initialize(&evaluate);
    evaluate.verbose = 0;
    std::vector<double> logs(size_t(kiln_model_num_logs(model.get())));
    message = failure(
        kiln_model_evaluate(model.get(), dataset.get(), &evaluate, logs.data()),
        variant == 1 ? KILN_STATUS_INVALID_ARGUMENT : KILN_STATUS_DATA_LOSS);
    EXPECT_TRUE(contains(message, "record 30")) << message;
  }
}

TEST(TFRecordDatasetTest, StreamStopsEarly) {
  LinearFake fake;
  ScratchDir dir;
  std::string path = dir.file("data.tfrecord");
  writeLinear(path, 1000);
  DatasetPtr dataset;
  KILN_ASSERT_OK(
      openTFRecord(fake.desc, path, "x:float32[2]", "y:float32", dataset));
  // Streams dropped with a full queue, mid-pass, or before the first batch
  // stop their reader and join it.
  for (int taken = 0; taken < 3; ++taken) {
    kiln::BatchStream stream;
    kiln::StreamPlan plan;
    plan.batchSize = 8;
    plan.shuffle = true;
    plan.shuffleBuffer = 100;
    plan.prefetch = 1;
    plan.endless = true;
    KILN_ASSERT_OK(stream.start(dataset.get(), plan));
    for (int k = 0; k < taken * 50; ++k) {
      kiln::StreamBatch *batch = nullptr;
      KILN_ASSERT_OK(stream.next(batch));
      ASSERT_NE(batch, nullptr);
      if (k % 2)
        stream.recycle(batch);
    }
  }
  EXPECT_LE(kiln::streamPeakSamples(dataset.get()), 100 + 8);
}

TEST(TFRecordDatasetTest, SkipCorruptIgnoresBadRecords) {
  LinearFake fake;
  ScratchDir dir;
  std::string path = dir.file("data.tfrecord");
  const int64_t n = 12;
  writeLinear(path, n, false, 4, Twist::ShortX); // record 4: one x value
  std::vector<uint8_t> bytes = readBytes(path);
  // Flip a payload bit of record 9 (every record but 4 has the same size,
  // 4 is 4 bytes shorter: one float fewer).
  size_t recordSize = (bytes.size() + 4) / n;
  bytes[9 * recordSize - 4 + 20] ^= 0x10;
  writeBytes(path, bytes);

  const char *features[1] = {"x:float32[2]"}, *labels[1] = {"y:float32"};
  kiln_dataset_t *raw = nullptr;
  StatusPtr refused(kiln_dataset_open_tfrecord(&fake.desc, path.c_str(),
                                               features, 1, labels, 1, &raw));
  EXPECT_EQ(kiln_status_code(refused.get()), KILN_STATUS_INVALID_ARGUMENT);
  kiln_tfrecord_options_t options;
  kiln_tfrecord_options_initialize(&options);
  options.skip_corrupt = 1;
  KILN_ASSERT_OK(kiln_dataset_open_tfrecord_with_options(
      &fake.desc, path.c_str(), features, 1, labels, 1, &options, &raw));
  DatasetPtr dataset(raw);
  EXPECT_EQ(kiln_dataset_num_samples(dataset.get()), n - 2);
  EXPECT_EQ(kiln_dataset_num_skipped(dataset.get()), 2);

  // Two shuffled passes skip the same two records: each is a permutation
  // of the ten good samples, x = linearX(i, .) for i not 4 or 9.
  kiln_batch_options_t batching;
  kiln_batch_options_initialize(&batching);
  batching.batch_size = n;
  batching.shuffle = 1;
  batching.seed = 5;
  batching.passes = 2;
  kiln_batches_t *batches = nullptr;
  KILN_ASSERT_OK(kiln_batches_open(dataset.get(), &batching, &batches));
  std::vector<float> want;
  for (int64_t i = 0; i < n; ++i)
    if (i != 4 && i != 9)
      want.push_back(linearX(i, 0));
  std::sort(want.begin(), want.end());
  for (int pass = 0; pass < 2; ++pass) {
    int64_t size = 0;
    const float *tensors[2];
    StatusPtr status(kiln_batches_next(batches, &size, tensors));
    ASSERT_EQ(status, nullptr) << kiln_status_message(status.get());
    ASSERT_EQ(size, n - 2);
    std::vector<float> got;
    for (int64_t j = 0; j < size; ++j)
      got.push_back(tensors[0][2 * j]);
    std::sort(got.begin(), got.end());
    EXPECT_EQ(got, want) << "pass " << pass;
  }
  kiln_batches_release(batches);
  EXPECT_EQ(kiln_dataset_num_skipped(nullptr), 0);
}

} // namespace
