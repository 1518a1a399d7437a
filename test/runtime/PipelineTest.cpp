//===- PipelineTest.cpp - Input pipeline, Example decoding -*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// kiln_batches_* over the fake linear model's data (TrainUtil.h), in memory
// and as a TFRecord file: both give the same batches, shuffled or not (with
// a shuffle buffer smaller or larger than the data); batches are the
// samples in order without shuffling, the last one partial or dropped with
// drop_remainder; several and endless passes never mix, shuffled passes are
// different permutations; option errors; releasing a stream mid-pass. Then
// kiln_fit_options_t.drop_remainder against the reference loop,
// VarLenFeature specs (padding, missing features, errors), and the fast and
// general Example decode paths of SampleDecoder on hand-built records: the
// fast path either declines or agrees with the general one bit for bit, and
// decode() always answers as the general path does.
//
//===----------------------------------------------------------------------===//
#include "TrainUtil.h"
#include "data/FeatureSpec.h"
#include "data/Shuffle.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <set>

using namespace kiln::test;

namespace {

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

struct BatchesDeleter {
  void operator()(kiln_batches_t *batches) const {
    kiln_batches_release(batches);
  }
};
using BatchesPtr = std::unique_ptr<kiln_batches_t, BatchesDeleter>;

struct ExampleDeleter {
  void operator()(kiln_example_t *example) const {
    kiln_example_release(example);
  }
};
using ExamplePtr = std::unique_ptr<kiln_example_t, ExampleDeleter>;

/// The message of a failed `status` (empty when it succeeded), checking its
/// code.
std::string failure(kiln_status_t status,
                    kiln_status_code_t code = KILN_STATUS_INVALID_ARGUMENT) {
  StatusPtr owned(status);
  EXPECT_EQ(kiln_status_code(status), code) << kiln_status_message(status);
  return kiln_status_message(status);
}

bool contains(const std::string &text, const std::string &part) {
  return text.find(part) != std::string::npos;
}

ExamplePtr newExample() {
  kiln_example_t *example = nullptr;
  StatusPtr status(kiln_example_create(&example));
  EXPECT_EQ(status, nullptr) << kiln_status_message(status.get());
  return ExamplePtr(example);
}

/// The serialization of `example` (`packed` value lists or one field per
/// value).
std::string encode(const kiln_example_t *example, bool packed = true) {
  uint8_t *data = nullptr;
  size_t size = 0;
  StatusPtr status(kiln_example_encode(example, packed, &data, &size));
  EXPECT_EQ(status, nullptr) << kiln_status_message(status.get());
  std::string bytes(reinterpret_cast<const char *>(data), size);
  kiln_free(data);
  return bytes;
}

/// Writes `records` to the TFRecord file `path`.
void writeRecords(const std::string &path,
                  const std::vector<std::string> &records) {
  kiln_tfrecord_writer_t *writer = nullptr;
  KILN_ASSERT_OK(kiln_tfrecord_writer_open(path.c_str(), nullptr, &writer));
  for (const std::string &record : records)
    KILN_ASSERT_OK(
        kiln_tfrecord_writer_write(writer, record.data(), record.size()));
  KILN_ASSERT_OK(kiln_tfrecord_writer_close(writer));
  kiln_tfrecord_writer_release(writer);
}

/// Sample `i` of the linear data set as a record: x float[2], y float and
/// an unrelated int64 "id".
std::string linearRecord(int64_t i) {
  ExamplePtr example = newExample();
  float x[2] = {linearX(i, 0), linearX(i, 1)}, y = linearT(i);
  EXPECT_EQ(kiln_example_set_float(example.get(), "x", x, 2), nullptr);
  EXPECT_EQ(kiln_example_set_float(example.get(), "y", &y, 1), nullptr);
  EXPECT_EQ(kiln_example_set_int64(example.get(), "id", &i, 1), nullptr);
  return encode(example.get());
}

kiln_status_t openTFRecord(const kiln_model_desc_t &desc,
                           const std::string &path, const char *x,
                           const char *y, DatasetPtr &out) {
  const char *features[1] = {x}, *labels[1] = {y};
  kiln_dataset_t *dataset = nullptr;
  kiln_status_t status = kiln_dataset_open_tfrecord(
      &desc, path.c_str(), features, 1, labels, 1, &dataset);
  out.reset(dataset);
  return status;
}

/// The linear data set of `n` samples as a TFRecord dataset in `dir`.
DatasetPtr linearTFRecord(const kiln_model_desc_t &desc, const ScratchDir &dir,
                          int64_t n) {
  std::vector<std::string> records;
  for (int64_t i = 0; i < n; ++i)
    records.push_back(linearRecord(i));
  std::string path = dir.file("linear.tfrecord");
  writeRecords(path, records);
  DatasetPtr dataset;
  StatusPtr status(
      openTFRecord(desc, path, "x:float32[2]", "y:float32", dataset));
  EXPECT_EQ(status, nullptr) << kiln_status_message(status.get());
  return dataset;
}

kiln_batch_options_t batchOptions(int64_t batchSize) {
  kiln_batch_options_t options;
  kiln_batch_options_initialize(&options);
  options.batch_size = batchSize;
  return options;
}

/// One batch of the linear model: its size, x (size * 2) and y (size).
struct Batch {
  int64_t size = 0;
  std::vector<float> x, y;

  bool operator==(const Batch &other) const {
    return size == other.size && x == other.x && y == other.y;
  }
  /// The sample ids (x0 * 8) of the batch.
  std::vector<int64_t> ids() const {
    std::vector<int64_t> out;
    for (int64_t n = 0; n < size; ++n)
      out.push_back(static_cast<int64_t>(std::lround(x[size_t(2 * n)] * 8)));
    return out;
  }
};

/// Reads the batches of `dataset` under `options` until the end of the
/// stream (which is checked to stay ended) or `limit` batches.
void readBatches(const kiln_dataset_t *dataset,
                 const kiln_batch_options_t &options, std::vector<Batch> &out,
                 size_t limit = 1000) {
  out.clear();
  kiln_batches_t *raw = nullptr;
  KILN_ASSERT_OK(kiln_batches_open(dataset, &options, &raw));
  BatchesPtr batches(raw);
  while (out.size() < limit) {
    int64_t size = -1;
    const float *tensors[2] = {nullptr, nullptr};
    KILN_ASSERT_OK(kiln_batches_next(batches.get(), &size, tensors));
    if (size == 0) {
      // Ended for good.
      KILN_ASSERT_OK(kiln_batches_next(batches.get(), &size, tensors));
      ASSERT_EQ(size, 0);
      return;
    }
    ASSERT_GT(size, 0);
    Batch batch;
    batch.size = size;
    batch.x.assign(tensors[0], tensors[0] + 2 * size);
    batch.y.assign(tensors[1], tensors[1] + size);
    out.push_back(std::move(batch));
  }
}

/// Checks that every row of `batch` is a whole linear sample (x and y of
/// the same id, exactly).
void expectWholeSamples(const Batch &batch) {
  std::vector<int64_t> ids = batch.ids();
  for (int64_t n = 0; n < batch.size; ++n) {
    int64_t id = ids[size_t(n)];
    EXPECT_EQ(batch.x[size_t(2 * n)], linearX(id, 0)) << "row " << n;
    EXPECT_EQ(batch.x[size_t(2 * n + 1)], linearX(id, 1)) << "row " << n;
    EXPECT_EQ(batch.y[size_t(n)], linearT(id)) << "row " << n;
  }
}

std::vector<int64_t> iota(int64_t begin, int64_t end) {
  std::vector<int64_t> out;
  for (int64_t i = begin; i < end; ++i)
    out.push_back(i);
  return out;
}

std::vector<int64_t> sizes(const std::vector<Batch> &batches) {
  std::vector<int64_t> out;
  for (const Batch &batch : batches)
    out.push_back(batch.size);
  return out;
}

/// The ids of `batches[begin, end)` in order.
std::vector<int64_t> idsOf(const std::vector<Batch> &batches, size_t begin,
                           size_t end) {
  std::vector<int64_t> out;
  for (size_t b = begin; b < end && b < batches.size(); ++b)
    for (int64_t id : batches[b].ids())
      out.push_back(id);
  return out;
}

std::vector<int64_t> sorted(std::vector<int64_t> values) {
  std::sort(values.begin(), values.end());
  return values;
}

//===----------------------------------------------------------------------===//
// kiln_batches_*
//===----------------------------------------------------------------------===//

TEST(PipelineTest, DefaultOptions) {
  kiln_batch_options_t options;
  std::memset(&options, 0xff, sizeof(options));
  kiln_batch_options_initialize(&options);
  EXPECT_EQ(options.struct_size, sizeof(options));
  EXPECT_EQ(options.batch_size, 32);
  EXPECT_EQ(options.shuffle, 0);
  EXPECT_EQ(options.drop_remainder, 0);
  EXPECT_EQ(options.seed, 0u);
  EXPECT_EQ(options.shuffle_buffer, 0);
  EXPECT_EQ(options.passes, 1);
  EXPECT_EQ(options.prefetch, 0);
}

TEST(PipelineTest, InOrderBatchesAndDropRemainder) {
  LinearFake fake;
  ScratchDir dir;
  DatasetPtr arrays = linearDataset(fake.desc, 10);
  DatasetPtr records = linearTFRecord(fake.desc, dir, 10);
  ASSERT_TRUE(arrays && records);
  for (const kiln_dataset_t *dataset : {arrays.get(), records.get()}) {
    SCOPED_TRACE(dataset == arrays.get() ? "arrays" : "tfrecord");
    std::vector<Batch> batches;
    kiln_batch_options_t options = batchOptions(4);
    ASSERT_NO_FATAL_FAILURE(readBatches(dataset, options, batches));
    ASSERT_EQ(sizes(batches), (std::vector<int64_t>{4, 4, 2}));
    for (size_t b = 0; b < 3; ++b) {
      EXPECT_EQ(batches[b].ids(),
                iota(int64_t(b) * 4, std::min<int64_t>(10, b * 4 + 4)));
      expectWholeSamples(batches[b]);
    }

    options.drop_remainder = 1;
    ASSERT_NO_FATAL_FAILURE(readBatches(dataset, options, batches));
    ASSERT_EQ(sizes(batches), (std::vector<int64_t>{4, 4}));
    EXPECT_EQ(idsOf(batches, 0, 2), iota(0, 8));

    // A batch size that divides the data: nothing to drop.
    for (int32_t drop : {0, 1}) {
      options = batchOptions(5);
      options.drop_remainder = drop;
      ASSERT_NO_FATAL_FAILURE(readBatches(dataset, options, batches));
      EXPECT_EQ(sizes(batches), (std::vector<int64_t>{5, 5}));
      EXPECT_EQ(idsOf(batches, 0, 2), iota(0, 10));
    }

    // Larger than the data: one partial batch, or none at all.
    options = batchOptions(16);
    ASSERT_NO_FATAL_FAILURE(readBatches(dataset, options, batches));
    ASSERT_EQ(sizes(batches), (std::vector<int64_t>{10}));
    EXPECT_EQ(batches[0].ids(), iota(0, 10));
    expectWholeSamples(batches[0]);
    options.drop_remainder = 1;
    ASSERT_NO_FATAL_FAILURE(readBatches(dataset, options, batches));
    EXPECT_TRUE(batches.empty());
  }
}

TEST(PipelineTest, TFRecordMatchesArrays) {
  LinearFake fake;
  ScratchDir dir;
  const int64_t n = 10;
  DatasetPtr arrays = linearDataset(fake.desc, n);
  DatasetPtr records = linearTFRecord(fake.desc, dir, n);
  ASSERT_TRUE(arrays && records);
  struct Config {
    int32_t shuffle;
    int64_t buffer;
    uint64_t seed;
    int64_t batchSize;
    int32_t drop;
  };
  // Buffers smaller than, equal to and larger than the data; 0 is the
  // default (the whole data in memory, 10000 records for a file).
  const Config configs[] = {
      {0, 0, 0, 4, 0},  {0, 3, 9, 3, 1},  {1, 3, 7, 4, 0},  {1, 1, 7, 4, 0},
      {1, 9, 11, 3, 1}, {1, 10, 7, 4, 0}, {1, 64, 7, 4, 0}, {1, 0, 123, 3, 0}};
  for (const Config &config : configs) {
    SCOPED_TRACE(::testing::Message()
                 << "shuffle " << config.shuffle << " buffer " << config.buffer
                 << " seed " << config.seed << " batch " << config.batchSize
                 << " drop " << config.drop);
    kiln_batch_options_t options = batchOptions(config.batchSize);
    options.shuffle = config.shuffle;
    options.shuffle_buffer = config.buffer;
    options.seed = config.seed;
    options.drop_remainder = config.drop;
    options.passes = 2;
    std::vector<Batch> fromArrays, fromRecords;
    ASSERT_NO_FATAL_FAILURE(readBatches(arrays.get(), options, fromArrays));
    ASSERT_NO_FATAL_FAILURE(readBatches(records.get(), options, fromRecords));
    EXPECT_EQ(fromArrays, fromRecords);

    int64_t perPass = config.drop
                          ? n / config.batchSize
                          : (n + config.batchSize - 1) / config.batchSize;
    ASSERT_EQ(fromArrays.size(), size_t(2 * perPass));
    for (const Batch &batch : fromArrays)
      expectWholeSamples(batch);
    for (int64_t pass = 0; pass < 2; ++pass) {
      std::vector<int64_t> ids = idsOf(fromArrays, size_t(pass * perPass),
                                       size_t(pass * perPass + perPass));
      if (config.drop) {
        ASSERT_EQ(int64_t(ids.size()), perPass * config.batchSize);
        std::set<int64_t> unique(ids.begin(), ids.end());
        EXPECT_EQ(unique.size(), ids.size()) << "pass " << pass;
        continue;
      }
      EXPECT_EQ(sorted(ids), iota(0, n)) << "pass " << pass;
      if (!config.shuffle) {
        EXPECT_EQ(ids, iota(0, n));
        continue;
      }
      // tf.data's shuffle(B): the k-th sample out was among the first
      // k + B read (so a buffer of 1 keeps the order).
      int64_t buffer = config.buffer ? config.buffer : n;
      if (buffer == 1) {
        EXPECT_EQ(ids, iota(0, n)) << "pass " << pass;
      } else {
        EXPECT_NE(ids, iota(0, n)) << "pass " << pass << " is not shuffled";
      }
      for (size_t k = 0; k < ids.size(); ++k)
        EXPECT_LT(ids[k], int64_t(k) + buffer) << "position " << k;
      // The order of Shuffle.h, seeded from (seed, pass).
      std::vector<int64_t> order(static_cast<size_t>(n));
      kiln::bufferedPassOrder(order.data(), n, true, config.seed, pass, buffer);
      EXPECT_EQ(ids, order) << "pass " << pass;
    }
  }
}

TEST(PipelineTest, PassesNeverMix) {
  LinearFake fake;
  ScratchDir dir;
  DatasetPtr arrays = linearDataset(fake.desc, 10);
  DatasetPtr records = linearTFRecord(fake.desc, dir, 10);
  ASSERT_TRUE(arrays && records);
  for (const kiln_dataset_t *dataset : {arrays.get(), records.get()}) {
    SCOPED_TRACE(dataset == arrays.get() ? "arrays" : "tfrecord");
    std::vector<Batch> batches;
    kiln_batch_options_t options = batchOptions(4);
    options.passes = 2;
    ASSERT_NO_FATAL_FAILURE(readBatches(dataset, options, batches));
    ASSERT_EQ(sizes(batches), (std::vector<int64_t>{4, 4, 2, 4, 4, 2}));
    EXPECT_EQ(idsOf(batches, 0, 3), iota(0, 10));
    EXPECT_EQ(idsOf(batches, 3, 6), iota(0, 10));
    options.drop_remainder = 1;
    ASSERT_NO_FATAL_FAILURE(readBatches(dataset, options, batches));
    ASSERT_EQ(sizes(batches), (std::vector<int64_t>{4, 4, 4, 4}));
    EXPECT_EQ(batches[2].ids(), iota(0, 4));

    // Endless: five passes' worth, and it keeps going.
    options = batchOptions(4);
    options.passes = 0;
    options.prefetch = 1;
    ASSERT_NO_FATAL_FAILURE(readBatches(dataset, options, batches, 16));
    ASSERT_EQ(batches.size(), 16u);
    for (size_t b = 0; b < 15; ++b) {
      EXPECT_EQ(batches[b].size, b % 3 == 2 ? 2 : 4) << "batch " << b;
      if (b % 3 == 0) {
        EXPECT_EQ(idsOf(batches, b, b + 3), iota(0, 10)) << "batch " << b;
      }
    }
    EXPECT_EQ(batches[15].ids(), iota(0, 4));

    // Shuffled passes: permutations of every sample, each different.
    options = batchOptions(3);
    options.shuffle = 1;
    options.seed = 2024;
    options.passes = 0;
    options.shuffle_buffer = 4;
    ASSERT_NO_FATAL_FAILURE(readBatches(dataset, options, batches, 20));
    ASSERT_EQ(batches.size(), 20u);
    std::set<std::vector<int64_t>> orders;
    for (size_t pass = 0; pass < 5; ++pass) {
      std::vector<int64_t> ids = idsOf(batches, pass * 4, pass * 4 + 4);
      EXPECT_EQ(batches[pass * 4 + 3].size, 1) << "pass " << pass;
      EXPECT_EQ(sorted(ids), iota(0, 10)) << "pass " << pass;
      orders.insert(ids);
    }
    EXPECT_EQ(orders.size(), 5u);
  }
}

TEST(PipelineTest, Errors) {
  LinearFake fake;
  DatasetPtr data = linearDataset(fake.desc, 10);
  ASSERT_TRUE(data);
  kiln_batches_t *batches = nullptr;
  kiln_batch_options_t options = batchOptions(0);
  failure(kiln_batches_open(data.get(), &options, &batches));
  options.batch_size = -3;
  failure(kiln_batches_open(data.get(), &options, &batches));
  options = batchOptions(4);
  options.struct_size = 0;
  failure(kiln_batches_open(data.get(), &options, &batches));
  options = batchOptions(4);
  options.passes = -1;
  failure(kiln_batches_open(data.get(), &options, &batches));
  options = batchOptions(4);
  options.shuffle_buffer = -1;
  failure(kiln_batches_open(data.get(), &options, &batches));
  options = batchOptions(4);
  options.prefetch = -1;
  failure(kiln_batches_open(data.get(), &options, &batches));
  // Repeating a pass that drops its only, partial batch would never yield.
  options = batchOptions(11);
  options.drop_remainder = 1;
  options.passes = 0;
  EXPECT_NE(failure(kiln_batches_open(data.get(), &options, &batches))
                .find("repeating it would never yield a batch"),
            std::string::npos);
  // One such pass simply ends.
  options.passes = 1;
  KILN_ASSERT_OK(kiln_batches_open(data.get(), &options, &batches));
  {
    BatchesPtr once(batches);
    int64_t none = -1;
    const float *rows[2];
    KILN_ASSERT_OK(kiln_batches_next(batches, &none, rows));
    EXPECT_EQ(none, 0);
  }
  batches = nullptr;
  options = batchOptions(4);
  failure(kiln_batches_open(nullptr, &options, &batches));
  failure(kiln_batches_open(data.get(), &options, nullptr));
  EXPECT_EQ(batches, nullptr);
  int64_t size = 0;
  const float *tensors[2];
  failure(kiln_batches_next(nullptr, &size, tensors));
  kiln_batches_release(nullptr);

  // NULL options are the defaults: one pass in batches of 32.
  std::vector<Batch> read;
  KILN_ASSERT_OK(kiln_batches_open(data.get(), nullptr, &batches));
  BatchesPtr owned(batches);
  failure(kiln_batches_next(batches, nullptr, tensors));
  failure(kiln_batches_next(batches, &size, nullptr));
  KILN_ASSERT_OK(kiln_batches_next(batches, &size, tensors));
  EXPECT_EQ(size, 10);
  KILN_ASSERT_OK(kiln_batches_next(batches, &size, tensors));
  EXPECT_EQ(size, 0);

  // An older, shorter struct: the fields past its size keep their
  // defaults (one pass, no shuffle).
  options = batchOptions(3);
  options.struct_size = offsetof(kiln_batch_options_t, shuffle);
  options.shuffle = 1;
  options.drop_remainder = 1;
  options.passes = 7;
  ASSERT_NO_FATAL_FAILURE(readBatches(data.get(), options, read));
  EXPECT_EQ(sizes(read), (std::vector<int64_t>{3, 3, 3, 1}));
  EXPECT_EQ(idsOf(read, 0, 4), iota(0, 10));
}

TEST(PipelineTest, ReleaseMidStream) {
  LinearFake fake;
  ScratchDir dir;
  DatasetPtr arrays = linearDataset(fake.desc, 10);
  DatasetPtr records = linearTFRecord(fake.desc, dir, 10);
  ASSERT_TRUE(arrays && records);
  for (const kiln_dataset_t *dataset : {arrays.get(), records.get()}) {
    SCOPED_TRACE(dataset == arrays.get() ? "arrays" : "tfrecord");
    for (int taken = 0; taken < 3; ++taken) {
      // An endless stream whose reader is blocked on a full queue.
      kiln_batch_options_t options = batchOptions(3);
      options.passes = 0;
      options.prefetch = 1;
      options.shuffle = taken == 2;
      kiln_batches_t *batches = nullptr;
      KILN_ASSERT_OK(kiln_batches_open(dataset, &options, &batches));
      for (int k = 0; k < taken; ++k) {
        int64_t size = 0;
        const float *tensors[2];
        KILN_ASSERT_OK(kiln_batches_next(batches, &size, tensors));
        EXPECT_EQ(size, 3);
      }
      auto start = std::chrono::steady_clock::now();
      kiln_batches_release(batches);
      auto elapsed = std::chrono::steady_clock::now() - start;
      EXPECT_LT(elapsed, std::chrono::seconds(2));
    }
    // The dataset still reads.
    EXPECT_EQ(kiln_dataset_num_samples(dataset), 10);
    std::vector<Batch> batches;
    ASSERT_NO_FATAL_FAILURE(readBatches(dataset, batchOptions(4), batches));
    EXPECT_EQ(sizes(batches), (std::vector<int64_t>{4, 4, 2}));
    EXPECT_EQ(idsOf(batches, 0, 3), iota(0, 10));
  }

  // The stream keeps its dataset alive.
  kiln_batches_t *raw = nullptr;
  kiln_batch_options_t options = batchOptions(10);
  KILN_ASSERT_OK(kiln_batches_open(records.get(), &options, &raw));
  BatchesPtr batches(raw);
  records.reset();
  int64_t size = 0;
  const float *tensors[2];
  KILN_ASSERT_OK(kiln_batches_next(batches.get(), &size, tensors));
  ASSERT_EQ(size, 10);
  EXPECT_EQ(tensors[1][9], linearT(9));
}

//===----------------------------------------------------------------------===//
// kiln_fit_options_t.drop_remainder
//===----------------------------------------------------------------------===//

std::vector<std::vector<int64_t>> recordedBatches() {
  std::vector<std::vector<int64_t>> out;
  for (const LinearCall &call : linearCalls())
    out.push_back(call.ids);
  return out;
}

TEST(PipelineFitTest, DropRemainderRunsFullBatches) {
  LinearFake fake;
  EXPECT_EQ(quietOptions(nullptr).drop_remainder, 0);
  ModelPtr model = createModel(fake.desc);
  DatasetPtr data = linearDataset(fake.desc, 10);
  std::vector<EpochLog> logs;
  kiln_fit_options_t options = quietOptions(&logs);
  options.epochs = 3;
  options.batch_size = 4;
  options.shuffle = 0;
  options.drop_remainder = 1;
  KILN_ASSERT_OK(kiln_model_fit(model.get(), data.get(), &options, nullptr));

  // Two steps of 4 per epoch; samples 8 and 9 are never seen.
  const std::vector<std::vector<int64_t>> epochBatches = {iota(0, 4),
                                                          iota(4, 8)};
  ASSERT_EQ(linearCalls().size(), 6u);
  for (size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(linearCalls()[i].ids, epochBatches[i % 2]) << "step " << i;
    EXPECT_EQ(linearCalls()[i].iteration, float(i + 1));
  }
  EXPECT_EQ(kiln_model_iterations(model.get()), 6);
  EXPECT_EQ(kiln_model_epoch(model.get()), 3);
  ASSERT_EQ(logs.size(), 3u);
  LinearState state = LinearFake::initialState();
  int64_t iteration = 0;
  for (size_t epoch = 0; epoch < 3; ++epoch) {
    auto [loss, mae] = referenceEpoch(state, epochBatches, 0.05f, iteration);
    EXPECT_EQ(logs[epoch].values[0], loss) << "epoch " << epoch;
    EXPECT_EQ(logs[epoch].values[1], mae) << "epoch " << epoch;
  }
  EXPECT_EQ(kiln_model_param_data(model.get(), 1)[0], state.b);

  // A steps_per_epoch beyond the pass ends each epoch with its pass (as
  // Keras does); with repeat it continues into the next pass, still in
  // full batches.
  model = createModel(fake.desc);
  linearCalls().clear();
  options.epochs = 2;
  options.steps_per_epoch = 3;
  KILN_ASSERT_OK(kiln_model_fit(model.get(), data.get(), &options, nullptr));
  EXPECT_EQ(recordedBatches(),
            (std::vector<std::vector<int64_t>>{iota(0, 4), iota(4, 8),
                                               iota(0, 4), iota(4, 8)}));
  model = createModel(fake.desc);
  linearCalls().clear();
  options.repeat = 1;
  KILN_ASSERT_OK(kiln_model_fit(model.get(), data.get(), &options, nullptr));
  EXPECT_EQ(recordedBatches(), (std::vector<std::vector<int64_t>>{
                                   iota(0, 4), iota(4, 8), iota(0, 4),
                                   iota(4, 8), iota(0, 4), iota(4, 8)}));
  options.repeat = 0;

  // Shuffled: every step 4 distinct samples, the epoch's 8 distinct; the
  // logs are the reference loop's on the recorded batches.
  model = createModel(fake.desc);
  linearCalls().clear();
  logs.clear();
  options.epochs = 3;
  options.steps_per_epoch = 0;
  options.shuffle = 1;
  options.seed = 99;
  KILN_ASSERT_OK(kiln_model_fit(model.get(), data.get(), &options, nullptr));
  std::vector<std::vector<int64_t>> recorded = recordedBatches();
  ASSERT_EQ(recorded.size(), 6u);
  ASSERT_EQ(logs.size(), 3u);
  state = LinearFake::initialState();
  iteration = 0;
  std::set<std::vector<int64_t>> epochs; // each epoch's order
  for (size_t epoch = 0; epoch < 3; ++epoch) {
    std::vector<std::vector<int64_t>> batches(recorded.begin() + 2 * epoch,
                                              recorded.begin() + 2 * epoch + 2);
    std::set<int64_t> seen;
    for (const std::vector<int64_t> &ids : batches) {
      EXPECT_EQ(ids.size(), 4u);
      for (int64_t id : ids) {
        EXPECT_TRUE(id >= 0 && id < 10) << id;
        seen.insert(id);
      }
    }
    EXPECT_EQ(seen.size(), 8u) << "epoch " << epoch;
    std::vector<int64_t> order = batches[0];
    order.insert(order.end(), batches[1].begin(), batches[1].end());
    epochs.insert(order);
    auto [loss, mae] = referenceEpoch(state, batches, 0.05f, iteration);
    EXPECT_EQ(logs[epoch].values[0], loss) << "epoch " << epoch;
    EXPECT_EQ(logs[epoch].values[1], mae) << "epoch " << epoch;
  }
  EXPECT_EQ(epochs.size(), 3u) << "epochs are shuffled differently";

  // A TFRecord dataset trains the same.
  ScratchDir dir;
  DatasetPtr records = linearTFRecord(fake.desc, dir, 10);
  ASSERT_TRUE(records);
  std::string histories[2];
  for (int k = 0; k < 2; ++k) {
    model = createModel(fake.desc);
    char *json = nullptr;
    options.on_epoch_end = nullptr;
    KILN_ASSERT_OK(kiln_model_fit(model.get(), k ? records.get() : data.get(),
                                  &options, &json));
    histories[k] = json;
    kiln_free(json);
    EXPECT_EQ(kiln_model_iterations(model.get()), 6);
  }
  EXPECT_EQ(histories[0], histories[1]);
}

TEST(PipelineFitTest, DropRemainderNeedsAFullBatch) {
  LinearFake fake;
  ModelPtr model = createModel(fake.desc);
  DatasetPtr data = linearDataset(fake.desc, 3);
  kiln_fit_options_t options = quietOptions(nullptr);
  options.on_epoch_end = nullptr;
  options.batch_size = 4;
  options.drop_remainder = 1;
  std::string message =
      failure(kiln_model_fit(model.get(), data.get(), &options, nullptr));
  EXPECT_TRUE(contains(message, "drop_remainder")) << message;
  EXPECT_TRUE(linearCalls().empty());
  EXPECT_EQ(kiln_model_iterations(model.get()), 0);
  // Without it, one partial batch of 3.
  options.drop_remainder = 0;
  KILN_ASSERT_OK(kiln_model_fit(model.get(), data.get(), &options, nullptr));
  ASSERT_EQ(linearCalls().size(), 1u);
  EXPECT_EQ(sorted(linearCalls()[0].ids), iota(0, 3));
}

//===----------------------------------------------------------------------===//
// VarLenFeature specs
//===----------------------------------------------------------------------===//

/// Record `i` of the variable-length data: "v" holds i % 3 floats 10 * i +
/// 1, 10 * i + 2 (none at all when i % 4 == 3), "w" int64 i (or none when
/// i % 5 == 4).
std::string varLenRecord(int64_t i) {
  ExamplePtr example = newExample();
  float v[2] = {10.0f * float(i) + 1, 10.0f * float(i) + 2};
  if (i % 4 != 3) {
    EXPECT_EQ(kiln_example_set_float(example.get(), "v", v, size_t(i % 3)),
              nullptr);
  }
  if (i % 5 != 4) {
    EXPECT_EQ(kiln_example_set_int64(example.get(), "w", &i, 1), nullptr);
  }
  return encode(example.get(), /*packed=*/i % 2 == 0);
}

TEST(PipelineVarLenTest, PadsToTheShape) {
  LinearFake fake;
  ScratchDir dir;
  const int64_t n = 12;
  std::vector<std::string> records;
  for (int64_t i = 0; i < n; ++i)
    records.push_back(varLenRecord(i));
  std::string path = dir.file("varlen.tfrecord");
  writeRecords(path, records);
  // An int64 feature's pad is an integer (as its values are).
  for (float pad : {0.0f, -1.5f}) {
    SCOPED_TRACE(::testing::Message() << "pad " << pad);
    std::string x = "v:varlen(float32)[2]", y = "w:varlen(int64)[1,1]";
    float intPad = pad != 0 ? -2.0f : 0.0f;
    if (pad != 0) {
      x += "=-1.5";
      y += "=-2";
    }
    DatasetPtr dataset;
    KILN_ASSERT_OK(
        openTFRecord(fake.desc, path, x.c_str(), y.c_str(), dataset));
    ASSERT_EQ(kiln_dataset_num_samples(dataset.get()), n);
    std::vector<Batch> batches;
    ASSERT_NO_FATAL_FAILURE(
        readBatches(dataset.get(), batchOptions(n), batches));
    ASSERT_EQ(batches.size(), 1u);
    for (int64_t i = 0; i < n; ++i) {
      int64_t count = i % 4 == 3 ? 0 : i % 3;
      for (int64_t k = 0; k < 2; ++k)
        EXPECT_EQ(batches[0].x[size_t(2 * i + k)],
                  k < count ? 10.0f * float(i) + float(k + 1) : pad)
            << "record " << i << " value " << k;
      EXPECT_EQ(batches[0].y[size_t(i)], i % 5 == 4 ? intPad : float(i))
          << "record " << i;
    }
  }
}

TEST(PipelineVarLenTest, Errors) {
  LinearFake fake;
  ScratchDir dir;
  std::string path = dir.file("varlen.tfrecord");
  DatasetPtr dataset;

  // Record 2 holds three values; the shape holds two.
  std::vector<std::string> records;
  for (int64_t i = 0; i < 4; ++i) {
    ExamplePtr example = newExample();
    float v[3] = {1, 2, 3}, y = 0;
    EXPECT_EQ(kiln_example_set_float(example.get(), "v", v, i == 2 ? 3 : 2),
              nullptr);
    EXPECT_EQ(kiln_example_set_float(example.get(), "y", &y, 1), nullptr);
    records.push_back(encode(example.get()));
  }
  writeRecords(path, records);
  std::string message = failure(openTFRecord(
      fake.desc, path, "v:varlen(float32)[2]", "y:float32", dataset));
  EXPECT_TRUE(contains(message, path)) << message;
  EXPECT_TRUE(contains(message, "record 2")) << message;
  EXPECT_TRUE(contains(message, "'v'")) << message;
  EXPECT_TRUE(contains(message, "holds at most 2")) << message;
  EXPECT_EQ(dataset, nullptr);
  // Float values for an int64 spec.
  message = failure(openTFRecord(fake.desc, path, "v:varlen(int64)[2]",
                                 "y:float32", dataset));
  EXPECT_TRUE(contains(message, "record 0")) << message;
  EXPECT_TRUE(contains(message, "float32")) << message;
  EXPECT_TRUE(contains(message, "int64")) << message;
  // Bad spec text.
  for (const char *spec :
       {"x:varlen(int8)[2]", "x:varlen(float32[2]", "x:varlen()[2]",
        "x:varlen(float32)[2]=1,2,3", "x:varlen(float32)[a]"}) {
    message =
        failure(openTFRecord(fake.desc, path, spec, "y:float32", dataset));
    EXPECT_TRUE(contains(message, "feature spec")) << spec << ": " << message;
  }
  // A varlen spec must still fit the model.
  message = failure(openTFRecord(fake.desc, path, "v:varlen(float32)[3]",
                                 "y:float32", dataset));
  EXPECT_TRUE(contains(message, "do not fit")) << message;
}

//===----------------------------------------------------------------------===//
// SampleDecoder: the fast and the general path
//===----------------------------------------------------------------------===//

// Protobuf wire format, by hand.
std::string varint(uint64_t value) {
  std::string out;
  while (value >= 0x80) {
    out += static_cast<char>((value & 0x7f) | 0x80);
    value >>= 7;
  }
  out += static_cast<char>(value);
  return out;
}

std::string tag(uint32_t field, uint32_t wire) {
  return varint(uint64_t(field) << 3 | wire);
}

/// A length-delimited field.
std::string field(uint32_t number, const std::string &payload) {
  return tag(number, 2) + varint(payload.size()) + payload;
}

std::string fixed32(float value) {
  char bytes[4];
  std::memcpy(bytes, &value, 4);
  return std::string(bytes, 4);
}

/// FloatList { value = 1 } (packed, or one fixed32 field per value).
std::string floatList(const std::vector<float> &values, bool packed = true) {
  std::string out;
  for (float value : values)
    out += packed ? fixed32(value) : tag(1, 5) + fixed32(value);
  return packed && !values.empty() ? field(1, out) : out;
}

/// Int64List { value = 1 } (packed, or one varint field per value).
std::string intList(const std::vector<int64_t> &values, bool packed = true) {
  std::string out;
  for (int64_t value : values)
    out += (packed ? "" : tag(1, 0)) + varint(uint64_t(value));
  return packed && !values.empty() ? field(1, out) : out;
}

std::string floatFeature(const std::vector<float> &values, bool packed = true) {
  return field(2, floatList(values, packed));
}

std::string intFeature(const std::vector<int64_t> &values, bool packed = true) {
  return field(3, intList(values, packed));
}

std::string bytesFeature(const std::vector<std::string> &values) {
  std::string list;
  for (const std::string &value : values)
    list += field(1, value);
  return field(1, list);
}

/// A map entry { key = 1; value = 2 } of Features.
std::string entry(const std::string &key, const std::string &feature) {
  return field(1, field(1, key) + field(2, feature));
}

std::string example(const std::vector<std::string> &entries) {
  std::string features;
  for (const std::string &item : entries)
    features += item;
  return field(1, features);
}

/// What one decoding path made of a record.
struct Decoded {
  kiln_status_code_t code = KILN_STATUS_OK;
  std::string message;
  std::vector<std::vector<float>> values; // per spec
};

bool sameBits(const std::vector<std::vector<float>> &a,
              const std::vector<std::vector<float>> &b) {
  if (a.size() != b.size())
    return false;
  for (size_t s = 0; s < a.size(); ++s)
    if (a[s].size() != b[s].size() ||
        (!a[s].empty() &&
         std::memcmp(a[s].data(), b[s].data(), a[s].size() * 4)))
      return false;
  return true;
}

std::string show(const std::vector<std::vector<float>> &values) {
  std::string out;
  for (const std::vector<float> &spec : values) {
    out += "[";
    for (float value : spec)
      out += std::to_string(value) + " ";
    out += "] ";
  }
  return out;
}

/// Buffers for every spec's values, filled with a sentinel.
std::vector<std::vector<float>>
scratch(const std::vector<kiln::FeatureSpec> &specs) {
  std::vector<std::vector<float>> out;
  for (const kiln::FeatureSpec &spec : specs)
    out.emplace_back(size_t(spec.count), 1234.5f);
  return out;
}

std::vector<float *> pointers(std::vector<std::vector<float>> &buffers) {
  std::vector<float *> out;
  for (std::vector<float> &buffer : buffers)
    out.push_back(buffer.data());
  return out;
}

Decoded fromStatus(kiln_status_t status,
                   std::vector<std::vector<float>> values) {
  StatusPtr owned(status);
  Decoded out;
  out.code = kiln_status_code(status);
  out.message = kiln_status_message(status);
  if (!status)
    out.values = std::move(values);
  return out;
}

/// Decodes `record` (record 3 of "f.tfrecord") under `specTexts` (with
/// `numClasses` set on the last spec when > 0) by every path of a
/// SampleDecoder and checks that decode() (both overloads) answers exactly
/// as decodeGeneral() does, and that the fast path, when it takes the
/// record, agrees with the general one. Returns the general path's result
/// in `general` and whether the fast path took the record in `fast`.
void decodeAll(const std::vector<std::string> &specTexts,
               const std::string &record, Decoded &general, bool &fast,
               int64_t numClasses = 0) {
  std::vector<kiln::FeatureSpec> specs(specTexts.size());
  for (size_t s = 0; s < specs.size(); ++s)
    KILN_ASSERT_OK(kiln::parseFeatureSpec(specTexts[s].c_str(), specs[s]));
  if (numClasses > 0)
    specs.back().numClasses = numClasses;
  const auto *data = reinterpret_cast<const uint8_t *>(record.data());
  kiln::SampleDecoder decoder(specs);

  // (The status before the values: argument order is unspecified.)
  std::vector<std::vector<float>> buffers = scratch(specs);
  kiln_status_t status = decoder.decodeGeneral(
      "f.tfrecord", 3, data, record.size(), pointers(buffers).data());
  general = fromStatus(status, buffers);

  buffers = scratch(specs);
  fast = decoder.decodeFast(data, record.size(), pointers(buffers).data());
  if (fast) {
    EXPECT_EQ(general.code, KILN_STATUS_OK)
        << "the fast path took a record the general path refuses: "
        << general.message;
    EXPECT_TRUE(sameBits(buffers, general.values))
        << "fast " << show(buffers) << "vs general " << show(general.values);
  }

  buffers = scratch(specs);
  status = decoder.decode("f.tfrecord", 3, data, record.size(),
                          pointers(buffers).data());
  Decoded decoded = fromStatus(status, buffers);
  EXPECT_EQ(decoded.code, general.code);
  EXPECT_EQ(decoded.message, general.message);
  EXPECT_TRUE(sameBits(decoded.values, general.values))
      << "decode " << show(decoded.values) << "vs general "
      << show(general.values);

  // The contiguous overload.
  size_t total = 0;
  for (const kiln::FeatureSpec &spec : specs)
    total += size_t(spec.count);
  std::vector<float> flat(total + 1, 1234.5f);
  status = decoder.decode("f.tfrecord", 3, data, record.size(), flat.data());
  std::vector<std::vector<float>> split;
  size_t offset = 0;
  for (const kiln::FeatureSpec &spec : specs) {
    split.emplace_back(flat.begin() + long(offset),
                       flat.begin() + long(offset + size_t(spec.count)));
    offset += size_t(spec.count);
  }
  decoded = fromStatus(status, split);
  EXPECT_EQ(decoded.code, general.code);
  EXPECT_EQ(decoded.message, general.message);
  EXPECT_TRUE(sameBits(decoded.values, general.values))
      << "decode " << show(decoded.values) << "vs general "
      << show(general.values);
}

/// Which path a record should take.
enum class Path { Fast, General, Either };

/// Decodes `record` with decodeAll and expects the path `path` and the
/// values `expected`.
void expectDecodes(const std::vector<std::string> &specs,
                   const std::string &record, Path path,
                   const std::vector<std::vector<float>> &expected) {
  Decoded general;
  bool fast = false;
  ASSERT_NO_FATAL_FAILURE(decodeAll(specs, record, general, fast));
  if (path != Path::Either) {
    EXPECT_EQ(fast, path == Path::Fast);
  }
  ASSERT_EQ(general.code, KILN_STATUS_OK) << general.message;
  EXPECT_TRUE(sameBits(general.values, expected))
      << "got " << show(general.values) << "expected " << show(expected);
}

/// Decodes `record` with decodeAll, expects the fast path to decline and
/// returns the general path's error message.
std::string expectError(const std::vector<std::string> &specs,
                        const std::string &record,
                        kiln_status_code_t code = KILN_STATUS_INVALID_ARGUMENT,
                        int64_t numClasses = 0) {
  Decoded general;
  bool fast = true;
  decodeAll(specs, record, general, fast, numClasses);
  EXPECT_FALSE(fast);
  EXPECT_EQ(general.code, code) << general.message;
  return general.message;
}

const std::vector<std::string> kSpecs = {"a:float32[3]", "b:int64[2]",
                                         "c:float32"};

TEST(PipelineDecoderTest, CanonicalRecordsTakeTheFastPath) {
  // Written by the runtime's encoder, packed, as TensorFlow writes them;
  // -0.0, NaN and int64 values past 2^32 come through bit for bit.
  ExamplePtr built = newExample();
  const float nan = std::nanf("0x123");
  float a[3] = {0.5f, -0.0f, nan}, c = 3;
  int64_t b[2] = {-1, int64_t(5000000000)};
  KILN_ASSERT_OK(kiln_example_set_float(built.get(), "a", a, 3));
  KILN_ASSERT_OK(kiln_example_set_int64(built.get(), "b", b, 2));
  KILN_ASSERT_OK(kiln_example_set_float(built.get(), "c", &c, 1));
  std::vector<std::vector<float>> expected = {
      {0.5f, -0.0f, nan}, {-1.0f, 5000000000.0f}, {3.0f}};
  expectDecodes(kSpecs, encode(built.get()), Path::Fast, expected);

  // The same by hand, entries out of name order.
  std::string record = example({entry("c", floatFeature({3})),
                                entry("b", intFeature({-1, 5000000000})),
                                entry("a", floatFeature({0.5f, -0.0f, nan}))});
  expectDecodes(kSpecs, record, Path::Fast, expected);

  // Extra features, bytes ones included, names that share a prefix, unknown
  // fields of Example and Features, a repeated unrelated key.
  KILN_ASSERT_OK(kiln_example_set_float(built.get(), "aa", a, 2));
  const uint8_t *bytes[2] = {reinterpret_cast<const uint8_t *>("xyz"),
                             reinterpret_cast<const uint8_t *>("")};
  size_t bytesSizes[2] = {3, 0};
  KILN_ASSERT_OK(
      kiln_example_set_bytes(built.get(), "a ", bytes, bytesSizes, 2));
  KILN_ASSERT_OK(
      kiln_example_set_bytes(built.get(), "zz", bytes, bytesSizes, 1));
  KILN_ASSERT_OK(kiln_example_set_int64(built.get(), "", b, 1));
  expectDecodes(kSpecs, encode(built.get()), Path::Fast, expected);
  record = tag(7, 0) + varint(99) +
           field(1, entry("zz", bytesFeature({"\x01\x02", ""})) + tag(2, 5) +
                        fixed32(1) + entry("c", floatFeature({3})) +
                        entry("zz", floatFeature({1, 2, 3, 4})) +
                        entry("a", floatFeature({0.5f, -0.0f, nan})) +
                        entry("b", intFeature({-1, 5000000000}))) +
           field(9, "ignored");
  expectDecodes(kSpecs, record, Path::Fast, expected);

  // Defaults stand in for missing features.
  expectDecodes({"a:float32[3]", "m:float32[2]=3,4", "n:int64=-7"},
                example({entry("a", floatFeature({1, 2, 3}))}), Path::Fast,
                {{1, 2, 3}, {3, 4}, {-7}});
  expectDecodes({"m:float32[2]=3,4", "n:varlen(int64)[2]"}, "", Path::Fast,
                {{3, 4}, {0, 0}});
}

TEST(PipelineDecoderTest, OtherRecordsTakeTheGeneralPath) {
  const std::vector<std::vector<float>> expected = {{4, 5, 6}, {7, 8}, {9}};
  auto withA = [](const std::string &a) {
    return example(
        {a, entry("b", intFeature({7, 8})), entry("c", floatFeature({9}))});
  };
  // A repeated key: the later entry wins.
  expectDecodes(
      kSpecs,
      example({entry("a", floatFeature({1, 2, 3})),
               entry("b", intFeature({7, 8})), entry("c", floatFeature({9})),
               entry("a", floatFeature({4, 5, 6}))}),
      Path::General, expected);
  // ... also across two Features messages.
  expectDecodes(kSpecs,
                withA(entry("a", floatFeature({1}))) +
                    example({entry("a", floatFeature({4, 5, 6}))}),
                Path::General, expected);
  // A feature split over two FloatLists, over two packed value fields, and
  // packed plus unpacked values: protobuf merges them.
  expectDecodes(kSpecs,
                withA(entry("a", floatFeature({4, 5}) + floatFeature({6}))),
                Path::General, expected);
  expectDecodes(kSpecs,
                withA(entry("a", field(2, floatList({4}) + floatList({5, 6})))),
                Path::General, expected);
  expectDecodes(
      kSpecs,
      withA(entry("a", field(2, floatList({4, 5}) + floatList({6}, false)))),
      Path::General, expected);
  // Unpacked values.
  expectDecodes(kSpecs,
                example({entry("a", floatFeature({4, 5, 6}, false)),
                         entry("b", intFeature({7, 8}, false)),
                         entry("c", floatFeature({9}, false))}),
                Path::General, expected);
  ExamplePtr built = newExample();
  float a[3] = {4, 5, 6}, c = 9;
  int64_t b[2] = {7, 8};
  KILN_ASSERT_OK(kiln_example_set_float(built.get(), "a", a, 3));
  KILN_ASSERT_OK(kiln_example_set_int64(built.get(), "b", b, 2));
  KILN_ASSERT_OK(kiln_example_set_float(built.get(), "c", &c, 1));
  expectDecodes(kSpecs, encode(built.get(), /*packed=*/false), Path::General,
                expected);
  // The map entry's value before its key.
  expectDecodes(
      kSpecs,
      withA(field(1, field(2, floatFeature({4, 5, 6})) + field(1, "a"))),
      Path::General, expected);
  // The oneof switching kind keeps the last kind's values only.
  expectDecodes(
      kSpecs,
      withA(entry("a", intFeature({1, 2, 3}) + floatFeature({4, 5, 6}))),
      Path::General, expected);
  expectDecodes(kSpecs,
                example({entry("a", floatFeature({4, 5, 6})),
                         entry("b", floatFeature({1, 2}) + intFeature({7}) +
                                        intFeature({8})),
                         entry("c", floatFeature({9}))}),
                Path::General, expected);
  // An unknown field inside a map entry.
  expectDecodes(
      kSpecs,
      withA(field(1, field(1, "a") + field(2, floatFeature({4, 5, 6})) +
                         tag(3, 0) + varint(1))),
      Path::General, expected);
}

TEST(PipelineDecoderTest, ErrorsMatchTheGeneralPath) {
  // A wrong value count.
  std::string message =
      expectError(kSpecs, example({entry("a", floatFeature({1, 2})),
                                   entry("b", intFeature({7, 8})),
                                   entry("c", floatFeature({9}))}));
  EXPECT_TRUE(contains(message, "f.tfrecord: record 3")) << message;
  EXPECT_TRUE(contains(message, "'a' has 2 value(s)")) << message;
  EXPECT_TRUE(contains(message, "needs 3")) << message;
  expectError(kSpecs, example({entry("a", floatFeature({1, 2, 3, 4})),
                               entry("b", intFeature({7, 8})),
                               entry("c", floatFeature({9}))}));
  expectError(kSpecs, example({entry("a", floatFeature({1, 2, 3})),
                               entry("b", intFeature({7, 8, 9})),
                               entry("c", floatFeature({9}))}));
  // The wrong kind.
  message = expectError(kSpecs, example({entry("a", floatFeature({1, 2, 3})),
                                         entry("b", floatFeature({7, 8})),
                                         entry("c", floatFeature({9}))}));
  EXPECT_TRUE(contains(message, "'b' holds float32 values, not int64"))
      << message;
  expectError(kSpecs, example({entry("a", bytesFeature({"1", "2", "3"})),
                               entry("b", intFeature({7, 8})),
                               entry("c", floatFeature({9}))}));
  // Missing without a default.
  message = expectError(kSpecs, example({entry("a", floatFeature({1, 2, 3})),
                                         entry("c", floatFeature({9}))}));
  EXPECT_TRUE(contains(message, "'b' is missing")) << message;
  // Malformed: a truncated record, a length past the end.
  std::string record =
      example({entry("a", floatFeature({1, 2, 3})),
               entry("b", intFeature({7, 8})), entry("c", floatFeature({9}))});
  message = expectError(kSpecs, record.substr(0, record.size() - 1),
                        KILN_STATUS_DATA_LOSS);
  EXPECT_TRUE(contains(message, "f.tfrecord: record 3")) << message;
  expectError(kSpecs, record + "\x0a\x7f", KILN_STATUS_DATA_LOSS);
  // A sparse label out of range.
  message = expectError({"a:float32[3]", "c:int64"},
                        example({entry("a", floatFeature({1, 2, 3})),
                                 entry("c", intFeature({3}))}),
                        KILN_STATUS_INVALID_ARGUMENT, /*numClasses=*/3);
  EXPECT_TRUE(contains(message, "label 3")) << message;
}

TEST(PipelineDecoderTest, VarLenFeatures) {
  const std::vector<std::string> specs = {"v:varlen(float32)[3]=-1",
                                          "w:varlen(int64)[2,1]"};
  for (bool packed : {true, false}) {
    SCOPED_TRACE(packed ? "packed" : "unpacked");
    for (int count = 0; count <= 3; ++count) {
      std::vector<float> v(static_cast<size_t>(count));
      std::vector<int64_t> w;
      std::vector<float> expectedV = {-1, -1, -1}, expectedW = {0, 0};
      for (int k = 0; k < count; ++k) {
        v[size_t(k)] = 0.25f * float(k + 1);
        expectedV[size_t(k)] = v[size_t(k)];
        if (k < 2) {
          w.push_back(-100 * (k + 1));
          expectedW[size_t(k)] = -100.0f * float(k + 1);
        }
      }
      // Empty lists are packed and unpacked alike: the fast path takes
      // them.
      Path path = packed || count == 0 ? Path::Fast : Path::General;
      expectDecodes(specs,
                    example({entry("v", floatFeature(v, packed)),
                             entry("w", intFeature(w, packed))}),
                    path, {expectedV, expectedW});
    }
  }
  // Missing: all padding. An empty Feature (no list at all) too.
  expectDecodes(specs, example({}), Path::Fast, {{-1, -1, -1}, {0, 0}});
  expectDecodes(specs, example({entry("v", ""), entry("w", intFeature({5}))}),
                Path::General, {{-1, -1, -1}, {5, 0}});
  // More values than the shape holds.
  std::string message =
      expectError(specs, example({entry("v", floatFeature({1, 2, 3, 4}))}));
  EXPECT_TRUE(contains(message, "f.tfrecord: record 3")) << message;
  EXPECT_TRUE(contains(message, "'v' has 4 value(s)")) << message;
  EXPECT_TRUE(contains(message, "holds at most 3")) << message;
  message = expectError(specs, example({entry("w", intFeature({1, 2, 3}))}));
  EXPECT_TRUE(contains(message, "holds at most 2")) << message;
  // The wrong kind.
  message = expectError(specs, example({entry("w", floatFeature({1}))}));
  EXPECT_TRUE(contains(message, "'w' holds float32 values, not int64"))
      << message;
  // An empty list of the wrong kind too, as tf.io.parse_example refuses it
  // ("Data types don't match"); only a Feature with no list is padding.
  message = expectError(specs, example({entry("v", bytesFeature({}))}));
  EXPECT_TRUE(contains(message, "'v' holds bytes values, not float32"))
      << message;
  message = expectError(specs, example({entry("w", floatFeature({}))}));
  EXPECT_TRUE(contains(message, "'w' holds float32 values, not int64"))
      << message;
}

TEST(PipelineDecoderTest, SpecsSharingAFeature) {
  // An autoencoder's input and target may name the same feature; every spec
  // gets its values, not its default or padding.
  const std::string record = example({entry("x", floatFeature({1.5f, 2.5f}))});
  expectDecodes({"x:float32[2]", "x:float32[2]"}, record, Path::Either,
                {{1.5f, 2.5f}, {1.5f, 2.5f}});
  expectDecodes({"x:float32[2]", "x:float32[2]=0"}, record, Path::Either,
                {{1.5f, 2.5f}, {1.5f, 2.5f}});
  expectDecodes({"x:varlen(float32)[3]", "x:varlen(float32)[2]"}, record,
                Path::Either, {{1.5f, 2.5f, 0}, {1.5f, 2.5f}});

  // Through a dataset: the target repeats the input's first value.
  LinearFake fake;
  ScratchDir dir;
  std::string path = dir.file("shared.tfrecord");
  writeRecords(path, {example({entry("v", floatFeature({5}))})});
  DatasetPtr dataset;
  KILN_ASSERT_OK(openTFRecord(fake.desc, path, "v:varlen(float32)[2]",
                              "v:float32[1]=0", dataset));
  std::vector<Batch> batches;
  ASSERT_NO_FATAL_FAILURE(readBatches(dataset.get(), batchOptions(1), batches));
  ASSERT_EQ(batches.size(), 1u);
  EXPECT_EQ(batches[0].x, (std::vector<float>{5, 0}));
  EXPECT_EQ(batches[0].y, (std::vector<float>{5}));
}

// tf.data's shuffle buffer written the textbook way (a buffer of sample
// ids, the same generator): runPass must emit exactly this order, and its
// `upcoming` hint must name the slot of the next emit.
TEST(PipelineShuffleTest, BufferOrderAndHints) {
  for (int64_t n = 1; n < 40; ++n) {
    for (int64_t buffer : {1, 2, 3, 7, 16, 39, 64}) {
      for (int64_t pass = 0; pass < 3; ++pass) {
        const uint64_t seed = 11;
        std::vector<int64_t> want;
        if (buffer >= n) {
          want.resize(size_t(n));
          kiln::passOrder(want.data(), n, true, seed, pass);
        } else {
          kiln::Random random = kiln::passRandom(seed, pass);
          std::vector<int64_t> held;
          for (int64_t i = 0; i < buffer; ++i)
            held.push_back(i);
          for (int64_t i = buffer; i < n; ++i) {
            auto r = size_t(random.below(uint64_t(buffer)));
            want.push_back(held[r]);
            held[r] = i;
          }
          for (int64_t k = buffer; k > 0; --k) {
            auto j = size_t(random.below(uint64_t(k)));
            want.push_back(held[j]);
            held[j] = held[size_t(k - 1)];
          }
        }
        std::vector<int64_t> slotSample(size_t(std::min(n, buffer)));
        std::vector<int64_t> got, emittedSlots, hinted;
        int64_t next = 0;
        kiln::runPass(
            n, true, seed, pass, buffer,
            [&](int64_t slot) {
              slotSample[size_t(slot)] = next++;
              return true;
            },
            [&](int64_t slot) {
              got.push_back(slotSample[size_t(slot)]);
              emittedSlots.push_back(slot);
              return true;
            },
            [&](int64_t slot) { hinted.push_back(slot); });
        SCOPED_TRACE("n " + std::to_string(n) + " buffer " +
                     std::to_string(buffer) + " pass " + std::to_string(pass));
        EXPECT_EQ(got, want);
        ASSERT_EQ(hinted.size() + 1, emittedSlots.size());
        EXPECT_TRUE(
            std::equal(hinted.begin(), hinted.end(), emittedSlots.begin() + 1));
      }
    }
  }
}

} // namespace
