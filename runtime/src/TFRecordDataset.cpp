//===- TFRecordDataset.cpp - Datasets from tf.train.Example -----*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// `kiln_dataset_open_tfrecord` opens a streaming dataset over a TFRecord
// file of tf.train.Example records, with `tf.io.FixedLenFeature` semantics:
// each model input and target is one feature given as
//   name:dtype[d0,d1,...][=default]
// where dtype is float32 or int64 (int64 values become float32), the shape
// is per sample (`[]` or no brackets: a scalar) and the optional default,
// one number or one per element, stands in for a missing feature. The name
// is everything before the last ':' ahead of the dtype, so names may
// contain ':'.
//
// Opening checks the specs against the model (shapes as for .npy data in
// Dataset.cpp) and reads the file once, decoding and checking every record
// without keeping it, to count the samples and report bad records before
// training starts. Errors name the file, the record index and the feature:
// a missing feature without a default, a value list of the wrong kind
// (int64 vs float, bytes) or length, a sparse label out of range.
//
// Training and evaluation then stream (tf.data's
// `TFRecordDataset(...).shuffle(buffer, seed).batch(b).prefetch(p)`): a
// `BatchStream` runs a thread that re-opens the file for every pass, decodes
// records in file order into a shuffle buffer (Shuffle.h) and assembles
// batches, at most `prefetch` of them ahead of the training loop. The source
// holds at most buffer + prefetch * batch samples, whatever the file size.
//
//===----------------------------------------------------------------------===//
#include "Array.h"
#include "Dataset.h"
#include "Example.h"
#include "Model.h"
#include "Shuffle.h"
#include "Status.h"
#include "TFRecord.h"

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cmath>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <mutex>
#include <new>
#include <pthread.h>

using namespace kiln;

namespace {

/// One parsed feature spec.
struct FeatureSpec {
  std::string text; // as given, for messages
  std::string name;
  bool isInt = false;
  std::vector<int64_t> shape;
  int64_t count = 1; // elements per sample
  bool hasDefault = false;
  std::vector<float> defaults; // `count` values
  int64_t numClasses = 0;      // > 0: a sparse label below this
  std::string output;          // the output of a sparse label
};

kiln_status_t specError(const std::string &text, const char *why) {
  return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                     "feature spec '%s': %s (expected "
                     "'name:float32|int64[d0,d1,...][=default]')",
                     text.c_str(), why);
}

/// Parses a comma-separated list of numbers (`integers`: of integers).
bool parseNumbers(const std::string &text, bool integers,
                  std::vector<double> &out) {
  size_t pos = 0;
  while (true) {
    size_t comma = text.find(',', pos);
    std::string item = text.substr(
        pos, comma == std::string::npos ? std::string::npos : comma - pos);
    if (item.empty())
      return false;
    char *end = nullptr;
    errno = 0;
    double value =
        integers ? static_cast<double>(std::strtoll(item.c_str(), &end, 10))
                 : std::strtod(item.c_str(), &end);
    if (errno || *end)
      return false;
    out.push_back(value);
    if (comma == std::string::npos)
      return true;
    pos = comma + 1;
  }
}

kiln_status_t parseFeatureSpec(const char *text, FeatureSpec &spec) {
  if (!text)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT, "feature spec is NULL");
  spec.text = text;
  std::string rest = text;
  size_t equals = rest.find(
      '=', rest.rfind(':') == std::string::npos ? 0 : rest.rfind(':'));
  std::string defaultText;
  if (equals != std::string::npos) {
    defaultText = rest.substr(equals + 1);
    rest.resize(equals);
    spec.hasDefault = true;
  }
  std::string shapeText;
  bool hasShape = false;
  if (!rest.empty() && rest.back() == ']') {
    size_t open = rest.rfind('[');
    if (open == std::string::npos)
      return specError(spec.text, "unbalanced ']'");
    shapeText = rest.substr(open + 1, rest.size() - open - 2);
    rest.resize(open);
    hasShape = true;
  }
  size_t colon = rest.rfind(':');
  if (colon == std::string::npos || colon == 0)
    return specError(spec.text, "no 'name:' before the dtype");
  spec.name = rest.substr(0, colon);
  std::string dtype = rest.substr(colon + 1);
  if (dtype == "int64")
    spec.isInt = true;
  else if (dtype != "float32")
    return specError(spec.text, "the dtype must be float32 or int64");
  if (hasShape && !shapeText.empty()) {
    std::vector<double> dims;
    if (!parseNumbers(shapeText, /*integers=*/true, dims))
      return specError(spec.text, "the shape is not a list of integers");
    for (double dim : dims) {
      if (dim < 0 || dim > double(INT32_MAX))
        return specError(spec.text, "a dimension is negative or too large");
      spec.shape.push_back(static_cast<int64_t>(dim));
    }
  }
  if (spec.shape.size() + 1 > KILN_MAX_RANK)
    return specError(spec.text, "too many dimensions");
  for (int64_t dim : spec.shape) {
    if (dim && spec.count > (int64_t(1) << 40) / dim)
      return specError(spec.text, "too many elements");
    spec.count *= dim;
  }
  if (spec.hasDefault) {
    std::vector<double> values;
    if (!parseNumbers(defaultText, /*integers=*/false, values))
      return specError(spec.text, "the default is not a list of numbers");
    if (values.size() != 1 && static_cast<int64_t>(values.size()) != spec.count)
      return specError(spec.text, "the default needs one value or one per "
                                  "element");
    for (int64_t i = 0; i < spec.count; ++i)
      spec.defaults.push_back(
          static_cast<float>(values[values.size() == 1 ? 0 : size_t(i)]));
  }
  return nullptr;
}

const char *kindName(int32_t kind) {
  return kind == KILN_FEATURE_BYTES   ? "bytes"
         : kind == KILN_FEATURE_FLOAT ? "float32"
         : kind == KILN_FEATURE_INT64 ? "int64"
                                      : "empty";
}

/// Writes the `spec.count` values of `spec` in the record `index`
/// (`features`) to `out`.
kiln_status_t gatherFeature(const char *path, int64_t index,
                            const std::vector<ExampleFeature> &features,
                            const FeatureSpec &spec, float *out) {
  const ExampleFeature *found = nullptr;
  for (const ExampleFeature &feature : features)
    if (feature.name == spec.name)
      found = &feature;
  if (!found || (found->kind == KILN_FEATURE_NONE && spec.count != 0)) {
    if (!spec.hasDefault)
      return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                         "%s: record %" PRId64
                         ": feature '%s' is missing and has no default "
                         "(give one as '%s=VALUE')",
                         path, index, spec.name.c_str(), spec.text.c_str());
    std::copy(spec.defaults.begin(), spec.defaults.end(), out);
    return nullptr;
  }
  int32_t want = spec.isInt ? KILN_FEATURE_INT64 : KILN_FEATURE_FLOAT;
  if (found->kind != want && found->size() != 0)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "%s: record %" PRId64
                       ": feature '%s' holds %s values, not %s as in '%s'",
                       path, index, spec.name.c_str(), kindName(found->kind),
                       kindName(want), spec.text.c_str());
  auto size = static_cast<int64_t>(found->size());
  if (size != spec.count)
    return KILN_STATUS(
        KILN_STATUS_INVALID_ARGUMENT,
        "%s: record %" PRId64 ": feature '%s' has %" PRId64
        " value(s); shape %s needs %" PRId64,
        path, index, spec.name.c_str(), size,
        formatShape(static_cast<int32_t>(spec.shape.size()), spec.shape.data())
            .c_str(),
        spec.count);
  if (found->kind == KILN_FEATURE_FLOAT)
    std::copy(found->floats.begin(), found->floats.end(), out);
  else
    for (size_t i = 0; i < found->ints.size(); ++i)
      out[i] = static_cast<float>(found->ints[i]);
  if (spec.numClasses > 0) {
    for (int64_t i = 0; i < spec.count; ++i) {
      float label = out[i];
      if (label >= 0 && label < static_cast<float>(spec.numClasses) &&
          label == std::floor(label))
        continue;
      return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                         "%s: record %" PRId64 ": feature '%s': label %g is "
                         "not a class index in [0, %" PRId64
                         ") (output '%s' has %" PRId64 " classes)",
                         path, index, spec.name.c_str(),
                         static_cast<double>(label), spec.numClasses,
                         spec.output.c_str(), spec.numClasses);
    }
  }
  return nullptr;
}


/// Decodes the record `index` (`data[size]`) into one sample: the values of
/// every spec of `specs`, in order, at `out`.
kiln_status_t decodeSample(const char *path,
                           const std::vector<FeatureSpec> &specs,
                           int64_t index, const uint8_t *data, size_t size,
                           std::vector<ExampleFeature> &decoded, float *out) {
  if (kiln_status_t status = decodeExample(data, size, decoded)) {
    kiln_status_t named =
        KILN_STATUS(kiln_status_code(status), "%s: record %" PRId64 ": %s",
                    path, index, kiln_status_message(status));
    kiln_status_free(status);
    return named;
  }
  for (const FeatureSpec &spec : specs) {
    KILN_RETURN_IF_ERROR(gatherFeature(path, index, decoded, spec, out));
    out += spec.count;
  }
  return nullptr;
}

/// Checks that samples of `spec` fit `tensor` (an input exactly, a target
/// when the element counts match), as Dataset.cpp checks arrays.
kiln_status_t checkSpecFits(const char *path, const FeatureSpec &spec,
                            const kiln_tensor_desc_t &tensor, bool isInput) {
  int32_t rank = static_cast<int32_t>(spec.shape.size()) + 1;
  bool fits = rank == tensor.rank;
  for (int32_t d = 1; fits && d < rank; ++d)
    fits = spec.shape[size_t(d - 1)] == tensor.dims[d];
  if (fits || (!isInput && spec.count == sampleElements(tensor)))
    return nullptr;
  int64_t dims[KILN_MAX_RANK];
  dims[0] = -1;
  for (int32_t d = 1; d < rank; ++d)
    dims[d] = spec.shape[size_t(d - 1)];
  return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                     "%s: feature '%s': samples of shape %s do not fit %s "
                     "'%s' of shape %s%s",
                     path, spec.name.c_str(), formatShape(rank, dims).c_str(),
                     isInput ? "input" : "target", tensor.name,
                     formatShape(tensor.rank, tensor.dims).c_str(),
                     isInput ? "" : " (element counts differ)");
}

} // namespace

/// The file and feature specs of a streaming dataset. Immutable after open
/// except for the sample counters, which the stream threads update.
struct kiln::TFRecordSource {
  std::string path;
  std::vector<FeatureSpec> specs; // the model's inputs, then its targets
  int64_t sampleFloats = 0;       // floats per sample, all specs
  std::atomic<int64_t> held{0};   // samples in buffers and batches
  std::atomic<int64_t> peak{0};   // the most `held` ever was

  void add(int64_t count) {
    int64_t now = held.fetch_add(count, std::memory_order_relaxed) + count;
    int64_t seen = peak.load(std::memory_order_relaxed);
    while (now > seen &&
           !peak.compare_exchange_weak(seen, now, std::memory_order_relaxed))
      ;
  }
};

//===----------------------------------------------------------------------===//
// BatchStream
//===----------------------------------------------------------------------===//

struct kiln::BatchStream::State {
  const kiln_dataset_t *dataset = nullptr;
  TFRecordSource *source = nullptr;
  StreamPlan plan;
  std::vector<size_t> offsets; // tensor t in a batch
  size_t batchFloats = 0;

  std::mutex mutex;
  std::condition_variable changed;
  std::deque<StreamBatch *> ready;
  std::vector<StreamBatch *> spare;
  std::vector<StreamBatch *> owned;
  bool stop = false, done = false, failed = false;
  kiln_status_t error = nullptr;
  pthread_t thread{};
  bool running = false;

  ~State() {
    for (StreamBatch *batch : owned)
      delete batch;
    kiln_status_ignore(error);
  }

  /// A batch to fill once fewer than `prefetch` are ready (counting the one
  /// being filled); NULL when told to stop.
  StreamBatch *acquire() {
    std::unique_lock<std::mutex> lock(mutex);
    changed.wait(lock, [&] {
      return stop || static_cast<int64_t>(ready.size()) < plan.prefetch;
    });
    if (stop)
      return nullptr;
    if (!spare.empty()) {
      StreamBatch *batch = spare.back();
      spare.pop_back();
      return batch;
    }
    auto *batch = new (std::nothrow) StreamBatch;
    if (!batch)
      return nullptr;
    owned.push_back(batch);
    batch->values.resize(batchFloats);
    return batch;
  }

  void push(StreamBatch *batch) {
    std::lock_guard<std::mutex> lock(mutex);
    ready.push_back(batch);
    changed.notify_all();
  }

  bool stopping() {
    std::lock_guard<std::mutex> lock(mutex);
    return stop;
  }

  void run();
};

void kiln::BatchStream::State::run() {
  const char *path = source->path.c_str();
  const int64_t n = dataset->numSamples;
  const int64_t slotCount =
      shuffleSlots(n, plan.shuffle, plan.shuffleBuffer);
  const auto floats = static_cast<size_t>(source->sampleFloats);
  std::vector<float> slots(static_cast<size_t>(slotCount) * floats);
  std::vector<ExampleFeature> decoded;
  int64_t skip = plan.skipBatches * plan.batchSize;
  StreamBatch *building = nullptr;
  int64_t inBuffer = 0; // samples in `slots`
  kiln_status_t status = nullptr;
  bool outOfMemory = false;
  kiln_tfrecord_options_t options;
  kiln_tfrecord_options_initialize(&options);
  for (int64_t pass = plan.firstPass;; ++pass) {
    TFRecordReader reader;
    status = reader.open(path, options);
    if (status)
      break;
    int64_t record = 0;
    auto fill = [&](int64_t slot) {
      if (stopping())
        return false;
      const uint8_t *data = nullptr;
      size_t size = 0;
      bool end = false;
      status = reader.next(data, size, end);
      if (!status && end)
        status = KILN_STATUS(KILN_STATUS_DATA_LOSS,
                             "%s: record %" PRId64 ": the file ended; it had "
                             "%" PRId64 " records when opened",
                             path, record, n);
      if (!status)
        status = decodeSample(path, source->specs, record, data, size,
                              decoded,
                              slots.data() + static_cast<size_t>(slot) * floats);
      if (status)
        return false;
      ++record;
      ++inBuffer;
      source->add(1);
      return true;
    };
    auto emit = [&](int64_t slot) {
      if (skip > 0) {
        --skip;
        --inBuffer;
        source->add(-1);
        return true;
      }
      if (!building) {
        building = acquire();
        if (!building) {
          outOfMemory = !stopping();
          return false;
        }
        building->size = 0;
      }
      --inBuffer; // now in `building`
      const float *sample = slots.data() + static_cast<size_t>(slot) * floats;
      for (size_t t = 0; t < source->specs.size(); ++t) {
        auto count = static_cast<size_t>(source->specs[t].count);
        std::memcpy(building->values.data() + offsets[t] +
                        static_cast<size_t>(building->size) * count,
                    sample, count * sizeof(float));
        sample += count;
      }
      if (++building->size == plan.batchSize) {
        push(building);
        building = nullptr;
      }
      return true;
    };
    if (!runPass(n, plan.shuffle, plan.seed, pass, plan.shuffleBuffer, fill,
                 emit))
      break;
    if (building) {
      push(building);
      building = nullptr;
    }
    if (!plan.endless)
      break;
  }
  if (!status && outOfMemory)
    status = KILN_STATUS(KILN_STATUS_OUT_OF_MEMORY,
                         "%s: out of memory preparing a batch", path);
  std::lock_guard<std::mutex> lock(mutex);
  if (building) {
    source->add(-building->size);
    spare.push_back(building);
  }
  // Samples left in the shuffle buffer are dropped with it.
  source->add(-inBuffer);
  error = status;
  done = true;
  changed.notify_all();
}

namespace {

void *runStream(void *state) {
  static_cast<kiln::BatchStream::State *>(state)->run();
  return nullptr;
}

} // namespace

kiln::BatchStream::BatchStream() = default;

kiln::BatchStream::~BatchStream() {
  if (!state)
    return;
  if (state->running) {
    {
      std::lock_guard<std::mutex> lock(state->mutex);
      state->stop = true;
      state->changed.notify_all();
    }
    pthread_join(state->thread, nullptr);
  }
  for (StreamBatch *batch : state->ready)
    state->source->add(-batch->size);
}

kiln_status_t kiln::BatchStream::start(const kiln_dataset_t *dataset,
                                       const StreamPlan &plan) {
  if (state || !dataset || !dataset->tfrecord)
    return KILN_STATUS(KILN_STATUS_INTERNAL,
                       "BatchStream::start: not a streaming dataset, or "
                       "started twice");
  if (plan.batchSize < 1 || plan.shuffleBuffer < 1 || plan.prefetch < 1)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "batch size, shuffle buffer and prefetch must be "
                       "positive");
  std::unique_ptr<State> fresh(new (std::nothrow) State);
  if (!fresh)
    return KILN_STATUS(KILN_STATUS_OUT_OF_MEMORY, "out of memory");
  fresh->dataset = dataset;
  fresh->source = dataset->tfrecord;
  fresh->plan = plan;
  size_t offset = 0;
  for (const FeatureSpec &spec : fresh->source->specs) {
    fresh->offsets.push_back(offset);
    offset += static_cast<size_t>(spec.count) *
              static_cast<size_t>(plan.batchSize);
  }
  fresh->batchFloats = offset ? offset : 1;
  int error = pthread_create(&fresh->thread, nullptr, runStream, fresh.get());
  if (error)
    return KILN_STATUS(KILN_STATUS_INTERNAL,
                       "%s: cannot start the reader thread: %s",
                       fresh->source->path.c_str(), std::strerror(error));
  fresh->running = true;
  state = std::move(fresh);
  return nullptr;
}

kiln_status_t kiln::BatchStream::next(StreamBatch *&batch) {
  batch = nullptr;
  if (!state)
    return KILN_STATUS(KILN_STATUS_INTERNAL, "BatchStream::next: not started");
  std::unique_lock<std::mutex> lock(state->mutex);
  state->changed.wait(lock,
                      [&] { return !state->ready.empty() || state->done; });
  if (!state->ready.empty()) {
    batch = state->ready.front();
    state->ready.pop_front();
    state->source->add(-batch->size);
    state->changed.notify_all();
    return nullptr;
  }
  if (state->failed)
    return KILN_STATUS(KILN_STATUS_INTERNAL,
                       "%s: the stream already failed",
                       state->source->path.c_str());
  if (state->error) {
    state->failed = true;
    kiln_status_t error = state->error;
    state->error = nullptr;
    return error;
  }
  return nullptr;
}

void kiln::BatchStream::recycle(StreamBatch *batch) {
  if (!state || !batch)
    return;
  std::lock_guard<std::mutex> lock(state->mutex);
  batch->size = 0;
  state->spare.push_back(batch);
}

size_t kiln::BatchStream::offset(size_t t) const {
  return state ? state->offsets[t] : 0;
}

bool kiln::streamFits(const kiln_model_desc_t *desc,
                      const kiln_dataset_t *dataset) {
  const TFRecordSource *source = dataset->tfrecord;
  if (!source || !desc->training)
    return false;
  int64_t numInputs = desc->num_inputs,
          numTargets = desc->training->num_targets;
  if (static_cast<int64_t>(source->specs.size()) != numInputs + numTargets)
    return false;
  for (int64_t i = 0; i < numInputs + numTargets; ++i) {
    const kiln_tensor_desc_t &tensor =
        i < numInputs ? desc->inputs[i]
                      : desc->training->targets[i - numInputs];
    if (source->specs[size_t(i)].count != sampleElements(tensor))
      return false;
  }
  return true;
}

void kiln::destroyTFRecordSource(TFRecordSource *source) { delete source; }

int64_t kiln::streamPeakSamples(const kiln_dataset_t *dataset) {
  return dataset && dataset->tfrecord
             ? dataset->tfrecord->peak.load(std::memory_order_relaxed)
             : 0;
}

extern "C" kiln_status_t
kiln_dataset_open_tfrecord(const kiln_model_desc_t *desc, const char *path,
                           const char *const *features, int64_t num_features,
                           const char *const *labels, int64_t num_labels,
                           kiln_dataset_t **out_dataset) {
  if (!path || !out_dataset || (num_features && !features) ||
      (num_labels && !labels) || num_features < 0 || num_labels < 0)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "path, out_dataset, features and labels must not be "
                       "NULL");
  KILN_RETURN_IF_ERROR(checkTrainingModel(desc));
  if (num_features != desc->num_inputs ||
      num_labels != desc->training->num_targets)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "%s: %" PRId64 " feature(s) and %" PRId64
                       " label(s) given; the model needs %" PRId64
                       " input(s) and %" PRId64 " target(s)",
                       path, num_features, num_labels, desc->num_inputs,
                       desc->training->num_targets);
  std::unique_ptr<TFRecordSource> source(new (std::nothrow) TFRecordSource);
  if (!source)
    return KILN_STATUS(KILN_STATUS_OUT_OF_MEMORY, "out of memory");
  source->path = path;
  std::vector<FeatureSpec> &specs = source->specs;
  specs.resize(static_cast<size_t>(num_features + num_labels));
  for (size_t i = 0; i < specs.size(); ++i)
    KILN_RETURN_IF_ERROR(parseFeatureSpec(
        i < size_t(num_features) ? features[i]
                                 : labels[i - size_t(num_features)],
        specs[i]));
  bool sparse = isSparseTraining(desc->training);
  for (size_t i = 0; i < specs.size(); ++i) {
    bool isInput = static_cast<int64_t>(i) < num_features;
    size_t t = i - static_cast<size_t>(num_features);
    const kiln_tensor_desc_t &tensor =
        isInput ? desc->inputs[i] : desc->training->targets[t];
    KILN_RETURN_IF_ERROR(checkSpecFits(path, specs[i], tensor, isInput));
    if (!isInput && sparse) {
      const kiln_tensor_desc_t &output = desc->outputs[t];
      int64_t numClasses =
          output.rank >= 2 ? output.dims[output.rank - 1] : 0;
      if (numClasses <= 0)
        return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                           "output '%s' of shape %s has no class dimension "
                           "for sparse labels",
                           output.name,
                           formatShape(output.rank, output.dims).c_str());
      specs[i].numClasses = numClasses;
      specs[i].output = output.name;
    }
    source->sampleFloats += specs[i].count;
  }

  // One pass that decodes and checks every record, keeping none.
  kiln_tfrecord_options_t options;
  kiln_tfrecord_options_initialize(&options);
  TFRecordReader reader;
  KILN_RETURN_IF_ERROR(reader.open(path, options));
  std::vector<ExampleFeature> decoded;
  std::vector<float> sample(static_cast<size_t>(source->sampleFloats) + 1);
  int64_t records = 0;
  while (true) {
    const uint8_t *data = nullptr;
    size_t size = 0;
    bool end = false;
    KILN_RETURN_IF_ERROR(reader.next(data, size, end));
    if (end)
      break;
    KILN_RETURN_IF_ERROR(
        decodeSample(path, specs, records, data, size, decoded, sample.data()));
    ++records;
  }
  if (records == 0)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT, "%s: no records", path);

  auto *dataset = new (std::nothrow) kiln_dataset_t;
  if (!dataset)
    return KILN_STATUS(KILN_STATUS_OUT_OF_MEMORY, "out of memory");
  dataset->numSamples = records;
  dataset->name = path;
  dataset->tfrecord = source.release();
  *out_dataset = dataset;
  return nullptr;
}
