//===- Dataset.h - The kiln_dataset_t object --------------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// A dataset is the (inputs, targets) arrays of a training model, already
// float32 and shaped (N, <model sample shape>), so reading it only gathers
// rows (the integer ids of an int32/int64 input too, checked to be integers
// float32 holds exactly, and a bool input's 0s and 1s; the step converts
// them). Every source (.npy, .npz,
// IDX, in-memory arrays) goes through the same checks when the dataset is
// built.
//
// A streaming dataset instead holds a `StreamSource` (`stream`): only the
// file and how to decode it. TFRecordDataset.cpp implements one for TFRecord
// files; this file and Pipeline.cpp see only the interface.
//
// Both kinds are read the same way, as tf.data's
// `dataset.shuffle(buffer, seed).batch(b, drop_remainder).repeat(passes)
// .prefetch(p)`: a `BatchStream` (Pipeline.cpp) runs a background thread
// that reads each pass through a `SlotReader` of the dataset into a bounded
// shuffle buffer (Shuffle.h) and assembles batches ahead of the consumer.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_DATA_DATASET_H
#define KILN_RUNTIME_DATA_DATASET_H

#include "kiln/runtime.h"

#include <atomic>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

namespace kiln {
class StreamSource;

/// Samples held by a dataset's streams (shuffle buffers and ready batches)
/// and the most there ever were, for the memory bound of streaming.
struct SampleGauge {
  std::atomic<int64_t> held{0}, peak{0};
  void add(int64_t count) {
    int64_t now = held.fetch_add(count, std::memory_order_relaxed) + count;
    int64_t seen = peak.load(std::memory_order_relaxed);
    while (now > seen &&
           !peak.compare_exchange_weak(seen, now, std::memory_order_relaxed))
      ;
  }
};
} // namespace kiln

struct kiln_dataset_t {
  std::atomic<int32_t> refCount{1};
  int64_t numSamples = 0;
  std::vector<kiln_array_t *> inputs;  // float32 (N, input sample shape)
  std::vector<kiln_array_t *> targets; // float32 (N, target sample shape)
  std::string name;                    // the spec, for messages
  // Set for a streaming dataset; `inputs`/`targets` are then empty and
  // `numSamples` is the count of usable records found on open.
  kiln::StreamSource *stream = nullptr; // owned
  mutable kiln::SampleGauge gauge;
};

namespace kiln {

/// One array read from a file, before it is checked against the model.
struct DatasetSource {
  std::string name;              // file, or "file.npz:x"
  kiln_array_t *array = nullptr; // owned
  bool idx = false;              // IDX file: bytes of images scale to [0, 1]
};

/// Checks that `desc` is a training model with dynamic batch dimensions and
/// float32 outputs and targets.
kiln_status_t checkTrainingModel(const kiln_model_desc_t *desc);

/// Checks `sources` (the model's inputs then its targets, in order; not
/// consumed) against `desc` and builds the dataset named `spec`.
kiln_status_t buildDataset(const kiln_model_desc_t *desc, const char *spec,
                           const std::vector<DatasetSource> &sources,
                           kiln_dataset_t **outDataset);

/// Checks that `dataset` was built for a model shaped like `desc`.
kiln_status_t checkDatasetFits(const kiln_model_desc_t *desc,
                               const kiln_dataset_t *dataset);

/// True when training `target` holds class indices (its output's loss is
/// sparse).
bool takesClassIndices(const kiln_tensor_desc_t &target);

/// The one shape rule for an input's samples, in every data format: the
/// sample dims (`dims[1..rank)`; dims[0] is the batch) equal the input's,
/// up to one trailing dimension of 1 on either side (Keras 3's
/// `_adjust_input_rank`) or one leading one (channels-first models). Data
/// is never reshaped otherwise.
bool inputShapeFits(int32_t rank, const int64_t *dims,
                    const kiln_tensor_desc_t &tensor);
/// What an error about that rule adds after the two shapes.
extern const char *const kInputShapeRule;

/// The shape rule for a target's samples: the sample dims equal the
/// target's once every dimension of 1 is dropped on both sides ((N,) feeds
/// (None, 1) and (N, 1) feeds (None,); (N, 3, 2) does not feed (None, 2, 3),
/// as in Keras). Such samples are reshaped to the target's shape.
bool targetShapeFits(int32_t rank, const int64_t *dims,
                     const kiln_tensor_desc_t &tensor);
/// What an error about that rule adds after the two shapes.
extern const char *const kTargetShapeRule;

/// The class count of `output` (its last dimension) that sparse labels of
/// it index; INVALID_ARGUMENT when it has no class dimension.
kiln_status_t sparseClassCount(const kiln_tensor_desc_t &output,
                               int64_t &numClasses);

/// The largest integer id (in magnitude) of an int32/int64 model input that
/// datasets accept: 2^24, the last integer float32 batches hold exactly.
constexpr int64_t kMaxExactId = int64_t(1) << 24;

/// True when `label` is a class index in [0, `numClasses`).
inline bool isClassIndex(float label, int64_t numClasses) {
  return label >= 0 && label < static_cast<float>(numClasses) &&
         label == std::floor(label);
}

/// The default shuffle buffer of a streaming dataset, in samples.
constexpr int64_t kDefaultStreamShuffleBuffer = 10000;
/// The default number of batches a stream prepares ahead.
constexpr int64_t kDefaultPrefetch = 2;

/// Reads one dataset's samples pass by pass, in storage order, into the
/// slots of a shuffle buffer. Used by one thread at a time.
class SlotReader {
public:
  virtual ~SlotReader() = default;
  /// Starts a pass over the samples (re-opening a file).
  virtual kiln_status_t beginPass() = 0;
  /// Reads the pass's next sample into slot `slot`.
  virtual kiln_status_t fill(int64_t slot) = 0;
  /// Writes the sample in `slot` out: tensor t (inputs, then targets),
  /// `sampleCounts(dataset)[t]` floats, to `rows[t]`.
  virtual kiln_status_t emit(int64_t slot, float *const *rows) = 0;
  /// A hint: the sample in `slot` is emitted next (start loading it).
  virtual void prefetch(int64_t slot) const = 0;
};

/// Asks the CPU to start loading `bytes` bytes at `data` into its caches.
inline void prefetchBytes(const void *data, size_t bytes) {
  const char *begin = static_cast<const char *>(data);
  for (size_t offset = 0; offset < bytes; offset += 64)
    __builtin_prefetch(begin + offset);
}

/// The samples of a streaming dataset, left in their file and read pass by
/// pass (TFRecordDataset.cpp: TFRecord files of tf.train.Example records).
/// Immutable once the dataset is built; owned by the dataset.
class StreamSource {
public:
  virtual ~StreamSource() = default;
  /// Floats per sample of each tensor: the inputs, then the targets.
  virtual std::vector<int64_t> sampleCounts() const = 0;
  /// True when the samples have the shapes of `desc`'s inputs and targets.
  virtual bool fits(const kiln_model_desc_t *desc) const = 0;
  /// A reader of `dataset` (whose source this is) with `slots` slots.
  virtual kiln_status_t
  openSlotReader(const kiln_dataset_t *dataset, int64_t slots,
                 std::unique_ptr<SlotReader> &reader) const = 0;
  /// Records passed over as corrupt when the source was opened.
  virtual int64_t numSkipped() const = 0;
  /// The same as a line for a warning (TFRecordReader::skipReport).
  virtual const std::string &skipReport() const = 0;
};

/// A reader of `dataset` with `slots` shuffle-buffer slots.
kiln_status_t openSlotReader(const kiln_dataset_t *dataset, int64_t slots,
                             std::unique_ptr<SlotReader> &reader);

/// Floats per sample of each tensor of `dataset`: inputs, then targets.
std::vector<int64_t> sampleCounts(const kiln_dataset_t *dataset);

/// One batch of a stream: `size` samples, tensor t (the model's inputs,
/// then its targets) at `values.data() + offsets[t]`, (size, sample shape).
struct StreamBatch {
  std::vector<float> values;
  int64_t size = 0;
};

/// What a `BatchStream` reads.
struct StreamPlan {
  int64_t batchSize = 32;
  bool shuffle = false;
  uint64_t seed = 0;
  int64_t shuffleBuffer = kDefaultStreamShuffleBuffer; // samples, >= 1
  int64_t prefetch = kDefaultPrefetch;                 // batches, >= 1
  bool dropRemainder = false; // drop each pass's last, partial batch
  int64_t firstPass = 0;      // the pass to start with
  int64_t skipBatches = 0;    // batches of `firstPass` to skip
  int64_t passes = 1;         // passes firstPass, firstPass+1, ...
  bool endless = false;       // ... without end (`passes` ignored)
};

/// The batches of passes over a dataset, in the order of Shuffle.h,
/// prepared by a background thread at most `prefetch` ahead. No batch spans
/// two passes: the last one of a pass is partial, or dropped with
/// `dropRemainder`. Destroying the stream stops and joins the thread.
class BatchStream {
public:
  BatchStream();
  BatchStream(const BatchStream &) = delete;
  BatchStream &operator=(const BatchStream &) = delete;
  ~BatchStream();

  /// Starts reading `dataset` (which must outlive the stream).
  kiln_status_t start(const kiln_dataset_t *dataset, const StreamPlan &plan);
  /// Waits for the next batch; `*batch` is NULL after the last pass. The
  /// first error of the reader thread comes back here, naming the file and
  /// the record. Give the batch back with `recycle`.
  kiln_status_t next(StreamBatch *&batch);
  void recycle(StreamBatch *batch);
  /// Where tensor `t` (inputs, then targets) starts in a batch's values.
  size_t offset(size_t t) const;

  struct State;

private:
  std::unique_ptr<State> state;
};

/// Batches in one pass of `n` samples.
inline int64_t passBatchCount(int64_t n, int64_t batchSize,
                              bool dropRemainder) {
  return dropRemainder ? n / batchSize : (n + batchSize - 1) / batchSize;
}

/// The most samples `dataset`'s streams held at once (shuffle buffers plus
/// prepared batches) since it was opened.
int64_t streamPeakSamples(const kiln_dataset_t *dataset);

} // namespace kiln

#endif // KILN_RUNTIME_DATA_DATASET_H
