//===- Pipeline.cpp - Batches of any dataset, on a reader thread -*- C++
//-*-===//
// SPDX-License-Identifier: Apache-2.0
//
// The one input pipeline of fit, evaluate and `kiln_batches_*`, whatever
// the dataset's source: tf.data's
//   dataset.shuffle(buffer, seed).batch(b, drop_remainder).repeat(passes)
//          .prefetch(p)
// A `BatchStream` thread reads each pass through the dataset's
// `SlotReader` into a shuffle buffer (Shuffle.h: the same order for every
// source, so in-memory and TFRecord data train identically), copies emitted
// samples into batches (prefetching the next emitted sample into the cache
// while copying the current one) and queues at most `prefetch` of them.
// In-memory arrays keep only sample indices in the buffer; a TFRecord file
// keeps decoded samples, so its memory is bounded by buffer + prefetch
// batches.
//
//===----------------------------------------------------------------------===//
#include "base/Array.h"
#include "base/Options.h"
#include "base/Status.h"
#include "data/Dataset.h"
#include "data/Shuffle.h"

#include <atomic>
#include <cinttypes>
#include <condition_variable>
#include <cstddef>
#include <cstring>
#include <deque>
#include <mutex>
#include <new>
#include <pthread.h>

using namespace kiln;

namespace {

/// In-memory arrays: a slot holds a sample index.
class ArraySlotReader final : public SlotReader {
public:
  ArraySlotReader(const kiln_dataset_t *dataset, int64_t slots)
      : indices(static_cast<size_t>(slots)), counts(sampleCounts(dataset)) {
    for (kiln_array_t *array : dataset->inputs)
      arrays.push_back(static_cast<const float *>(kiln_array_data(array)));
    for (kiln_array_t *array : dataset->targets)
      arrays.push_back(static_cast<const float *>(kiln_array_data(array)));
  }
  kiln_status_t beginPass() override {
    next = 0;
    return nullptr;
  }
  kiln_status_t fill(int64_t slot) override {
    indices[static_cast<size_t>(slot)] = next++;
    return nullptr;
  }
  void prefetch(int64_t slot) const override {
    int64_t index = indices[static_cast<size_t>(slot)];
    for (size_t t = 0; t < arrays.size(); ++t)
      prefetchBytes(arrays[t] + index * counts[t],
                    static_cast<size_t>(counts[t]) * sizeof(float));
  }
  kiln_status_t emit(int64_t slot, float *const *rows) override {
    int64_t index = indices[static_cast<size_t>(slot)];
    for (size_t t = 0; t < arrays.size(); ++t)
      std::memcpy(rows[t], arrays[t] + index * counts[t],
                  static_cast<size_t>(counts[t]) * sizeof(float));
    return nullptr;
  }

private:
  std::vector<int64_t> indices;
  std::vector<int64_t> counts;
  std::vector<const float *> arrays;
  int64_t next = 0;
};

} // namespace

std::vector<int64_t> kiln::sampleCounts(const kiln_dataset_t *dataset) {
  if (dataset->stream)
    return dataset->stream->sampleCounts();
  std::vector<int64_t> counts;
  int64_t n = dataset->numSamples > 0 ? dataset->numSamples : 1;
  for (const auto *arrays : {&dataset->inputs, &dataset->targets})
    for (kiln_array_t *array : *arrays)
      counts.push_back(kiln_array_num_elements(array) / n);
  return counts;
}

kiln_status_t kiln::openSlotReader(const kiln_dataset_t *dataset, int64_t slots,
                                   std::unique_ptr<SlotReader> &reader) {
  if (dataset->stream)
    return dataset->stream->openSlotReader(dataset, slots, reader);
  reader.reset(new (std::nothrow) ArraySlotReader(dataset, slots));
  if (!reader)
    return KILN_STATUS(KILN_STATUS_OUT_OF_MEMORY, "out of memory");
  return nullptr;
}

int64_t kiln::streamPeakSamples(const kiln_dataset_t *dataset) {
  return dataset ? dataset->gauge.peak.load(std::memory_order_relaxed) : 0;
}

//===----------------------------------------------------------------------===//
// BatchStream
//===----------------------------------------------------------------------===//

struct kiln::BatchStream::State {
  const kiln_dataset_t *dataset = nullptr;
  SampleGauge *gauge = nullptr;
  StreamPlan plan;
  std::vector<int64_t> counts; // floats per sample of tensor t
  std::vector<size_t> offsets; // tensor t in a batch
  size_t batchFloats = 0;

  std::mutex mutex;
  std::condition_variable changed;
  std::deque<StreamBatch *> ready;
  std::vector<StreamBatch *> spare;
  std::vector<StreamBatch *> owned;
  std::atomic<bool> stop{false};
  bool done = false, failed = false;
  // Who sleeps on `changed`: a wake-up costs tens of microseconds on some
  // machines, so each side signals only a waiting other side.
  bool producerWaits = false, consumerWaits = false;
  kiln_status_t error = nullptr;
  pthread_t thread{};
  bool running = false;

  ~State() {
    for (StreamBatch *batch : owned)
      delete batch;
    kiln_status_ignore(error);
  }

  /// A batch to fill once fewer than `prefetch` are ready (counting the one
  /// being filled); NULL when told to stop or out of memory.
  StreamBatch *acquire() {
    std::unique_lock<std::mutex> lock(mutex);
    while (!stop && static_cast<int64_t>(ready.size()) >= plan.prefetch) {
      producerWaits = true;
      changed.wait(lock);
      producerWaits = false;
    }
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
    if (consumerWaits)
      changed.notify_all();
  }

  void run();
};

void kiln::BatchStream::State::run() {
  const int64_t n = dataset->numSamples;
  std::unique_ptr<SlotReader> reader;
  kiln_status_t status = openSlotReader(
      dataset, shuffleSlots(n, plan.shuffle, plan.shuffleBuffer), reader);
  int64_t skip = plan.skipBatches * plan.batchSize;
  StreamBatch *building = nullptr;
  int64_t inBuffer = 0; // samples in the shuffle buffer
  bool outOfMemory = false;
  std::vector<float *> rows(counts.size());
  auto fill = [&](int64_t slot) {
    if (stop.load(std::memory_order_relaxed))
      return false;
    status = reader->fill(slot);
    if (status)
      return false;
    ++inBuffer;
    gauge->add(1);
    return true;
  };
  auto emit = [&](int64_t slot) {
    --inBuffer;
    if (skip > 0) {
      --skip;
      gauge->add(-1);
      return true;
    }
    if (!building) {
      building = acquire();
      if (!building) {
        outOfMemory = !stop;
        gauge->add(-1);
        return false;
      }
      building->size = 0;
    }
    for (size_t t = 0; t < counts.size(); ++t)
      rows[t] = building->values.data() + offsets[t] +
                static_cast<size_t>(building->size * counts[t]);
    status = reader->emit(slot, rows.data());
    if (status)
      return false;
    if (++building->size == plan.batchSize) {
      push(building);
      building = nullptr;
    }
    return true;
  };
  for (int64_t pass = plan.firstPass;
       !status && (plan.endless || pass < plan.firstPass + plan.passes);
       ++pass) {
    status = reader ? reader->beginPass() : status;
    auto upcoming = [&](int64_t slot) { reader->prefetch(slot); };
    if (status || !runPass(n, plan.shuffle, plan.seed, pass, plan.shuffleBuffer,
                           fill, emit, upcoming))
      break;
    if (building && plan.dropRemainder) {
      gauge->add(-building->size);
      building->size = 0;
    } else if (building) {
      push(building);
      building = nullptr;
    }
  }
  if (!status && outOfMemory)
    status = KILN_STATUS(KILN_STATUS_OUT_OF_MEMORY,
                         "%s: out of memory preparing a batch",
                         dataset->name.c_str());
  std::lock_guard<std::mutex> lock(mutex);
  if (building) {
    gauge->add(-building->size);
    spare.push_back(building);
  }
  // Samples left in the shuffle buffer are dropped with it.
  gauge->add(-inBuffer);
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
    state->gauge->add(-batch->size);
}

kiln_status_t kiln::BatchStream::start(const kiln_dataset_t *dataset,
                                       const StreamPlan &plan) {
  if (state || !dataset)
    return KILN_STATUS(KILN_STATUS_INTERNAL,
                       "BatchStream::start: no dataset, or started twice");
  if (plan.batchSize < 1 || plan.shuffleBuffer < 1 || plan.prefetch < 1 ||
      plan.passes < 0)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "batch size, shuffle buffer and prefetch must be "
                       "positive, passes not negative");
  if (plan.endless && plan.dropRemainder &&
      passBatchCount(dataset->numSamples, plan.batchSize, true) == 0)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "%s: %" PRId64 " sample(s) make no full batch of "
                       "%" PRId64 " and drop_remainder drops the partial one; "
                       "repeating it would never yield a batch",
                       dataset->name.c_str(), dataset->numSamples,
                       plan.batchSize);
  std::unique_ptr<State> fresh(new (std::nothrow) State);
  if (!fresh)
    return KILN_STATUS(KILN_STATUS_OUT_OF_MEMORY, "out of memory");
  fresh->dataset = dataset;
  fresh->gauge = &dataset->gauge;
  fresh->plan = plan;
  fresh->counts = sampleCounts(dataset);
  // Batches never span passes, so one holds at most a pass of samples:
  // buffers follow min(batch size, samples), not the flag alone.
  int64_t rows = plan.batchSize;
  if (dataset->numSamples > 0 && dataset->numSamples < rows)
    rows = dataset->numSamples;
  size_t offset = 0;
  for (int64_t count : fresh->counts) {
    fresh->offsets.push_back(offset);
    offset += static_cast<size_t>(count) * static_cast<size_t>(rows);
  }
  fresh->batchFloats = offset ? offset : 1;
  int error = pthread_create(&fresh->thread, nullptr, runStream, fresh.get());
  if (error)
    return KILN_STATUS(KILN_STATUS_INTERNAL,
                       "%s: cannot start the reader thread: %s",
                       dataset->name.c_str(), std::strerror(error));
  fresh->running = true;
  state = std::move(fresh);
  return nullptr;
}

kiln_status_t kiln::BatchStream::next(StreamBatch *&batch) {
  batch = nullptr;
  if (!state)
    return KILN_STATUS(KILN_STATUS_INTERNAL, "BatchStream::next: not started");
  std::unique_lock<std::mutex> lock(state->mutex);
  while (state->ready.empty() && !state->done) {
    state->consumerWaits = true;
    state->changed.wait(lock);
    state->consumerWaits = false;
  }
  if (!state->ready.empty()) {
    batch = state->ready.front();
    state->ready.pop_front();
    state->gauge->add(-batch->size);
    if (state->producerWaits)
      state->changed.notify_all();
    return nullptr;
  }
  if (state->failed)
    return KILN_STATUS(KILN_STATUS_INTERNAL, "%s: the stream already failed",
                       state->dataset->name.c_str());
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

//===----------------------------------------------------------------------===//
// kiln_batches_t
//===----------------------------------------------------------------------===//

struct kiln_batches_t {
  kiln_dataset_t *dataset = nullptr; // retained
  BatchStream stream;
  StreamBatch *current = nullptr; // handed out, recycled on the next call
  size_t numTensors = 0;
  bool ended = false;

  ~kiln_batches_t() {
    stream.recycle(current);
    current = nullptr;
  }
};

extern "C" {

void kiln_batch_options_initialize(kiln_batch_options_t *options) {
  if (!options)
    return;
  std::memset(options, 0, sizeof(*options));
  options->struct_size = sizeof(*options);
  options->batch_size = 32;
  options->passes = 1;
}

kiln_status_t kiln_batches_open(const kiln_dataset_t *dataset,
                                const kiln_batch_options_t *options,
                                kiln_batches_t **out_batches) {
  if (!dataset || !out_batches)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "dataset and out_batches must not be NULL");
  kiln_batch_options_t effective;
  KILN_RETURN_IF_ERROR(completeOptions(options, kiln_batch_options_initialize,
                                       "kiln_batch_options_initialize",
                                       effective));
  if (effective.batch_size < 1 || effective.shuffle_buffer < 0 ||
      effective.passes < 0 || effective.prefetch < 0)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "batch_size must be positive; shuffle_buffer, passes "
                       "and prefetch not negative");
  StreamPlan plan;
  plan.batchSize = effective.batch_size;
  plan.shuffle = effective.shuffle != 0;
  plan.seed = effective.seed;
  plan.shuffleBuffer = effective.shuffle_buffer > 0 ? effective.shuffle_buffer
                       : dataset->stream ? kDefaultStreamShuffleBuffer
                                         : dataset->numSamples;
  if (plan.shuffleBuffer < 1)
    plan.shuffleBuffer = 1;
  plan.prefetch =
      effective.prefetch > 0 ? effective.prefetch : kDefaultPrefetch;
  plan.dropRemainder = effective.drop_remainder != 0;
  plan.passes = effective.passes;
  plan.endless = effective.passes == 0;
  std::unique_ptr<kiln_batches_t> batches(new (std::nothrow) kiln_batches_t);
  if (!batches)
    return KILN_STATUS(KILN_STATUS_OUT_OF_MEMORY, "out of memory");
  batches->numTensors = sampleCounts(dataset).size();
  KILN_RETURN_IF_ERROR(batches->stream.start(dataset, plan));
  batches->dataset = const_cast<kiln_dataset_t *>(dataset);
  kiln_dataset_retain(batches->dataset);
  *out_batches = batches.release();
  return nullptr;
}

kiln_status_t kiln_batches_next(kiln_batches_t *batches, int64_t *out_size,
                                const float **out_tensors) {
  if (!batches || !out_size || !out_tensors)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "batches, out_size and out_tensors must not be NULL");
  *out_size = 0;
  batches->stream.recycle(batches->current);
  batches->current = nullptr;
  if (batches->ended)
    return nullptr;
  kiln_status_t status = batches->stream.next(batches->current);
  if (status || !batches->current) {
    batches->ended = true;
    return status;
  }
  *out_size = batches->current->size;
  for (size_t t = 0; t < batches->numTensors; ++t)
    out_tensors[t] =
        batches->current->values.data() + batches->stream.offset(t);
  return nullptr;
}

void kiln_batches_release(kiln_batches_t *batches) {
  if (!batches)
    return;
  kiln_dataset_t *dataset = batches->dataset;
  delete batches; // joins the thread before the dataset can go
  kiln_dataset_release(dataset);
}

} // extern "C"
