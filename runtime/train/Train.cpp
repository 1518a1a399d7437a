//===- Train.cpp - Keras's fit and evaluate over compiled steps -*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// `kiln_model_fit` is Keras's `model.fit` driving the compiled `train_step`
// of the model (buffer order in kiln/model.h):
//
//   - An epoch is `steps_per_epoch` batches, by default one pass over the
//     data: ceil(N / batch_size) batches, the last one partial (or
//     floor(N / batch_size) with `drop_remainder`).
//   - Batches come from an endless stream of passes over the data, read
//     ahead on a thread by the input pipeline (BatchStream, Pipeline.cpp),
//     whatever the source. Pass p is a permutation of the samples: the
//     identity without shuffling, else a Fisher-Yates shuffle seeded from
//     (seed, p), or with a `shuffle_buffer` smaller than the data, tf.data's
//     bounded shuffle buffer (Shuffle.h; 10000 samples by default for a
//     streaming TFRecord dataset). Global batch g is batch g % P of pass
//     g / P (P batches per pass). With K steps per epoch,
//     epochs take the stream's batches in order, as Keras 3's fit does over
//     arrays or a finite dataset: an epoch runs K batches but ends early
//     when its pass runs out ("Your input ran out of data"), and the next
//     epoch starts the next pass; so a pass holds ceil(P / K) epochs, the
//     last one short. With `repeat` (tf.data's `dataset.repeat()`), epoch e
//     runs batches e*K .. e*K+K-1, across passes. Either way the batches of
//     an epoch depend only on (seed, e) (`epochSpan`): resuming from a
//     checkpoint replays exactly what an uninterrupted run does.
//   - Epochs are numbered initial_epoch+1 .. epochs, as Keras prints them.
//     Resuming without an explicit initial_epoch (-1) starts after the
//     checkpoint's epoch (an explicit one, 0 too, wins); without an explicit
//     seed it reuses its seed.
//   - The loop is Keras 3's fit over a list of callbacks
//     (train/callbacks/Callback.h): epoch begin, steps (a callback may stop
//     after any step), validation, epoch end (a callback may stop), train
//     end. Each step passes the learning rate (the override, else the
//     compiled "learning_rate", changed by callbacks such as
//     ReduceLROnPlateau) and the 1-based iteration count, then swaps the
//     new parameters/slots in (double buffering, no copy per step).
//   - The epoch loss is the batch-size-weighted mean of the batch losses
//     (Keras's Mean metric); the steps return each metric's batch mean,
//     averaged the same way (weighted by rows, Metrics.h). Validation runs
//     `eval_step` after each epoch and adds "val_" logs. The progress bar,
//     history, checkpoints, TensorBoard logs and the other Keras callbacks live
//     in train/callbacks/, one file each.
//
// `kiln_model_evaluate` runs `eval_step` over consecutive batches the same
// way and reports the same logs.
//
//===----------------------------------------------------------------------===//
#include "base/Descriptor.h"
#include "base/File.h"
#include "base/Memory.h"
#include "base/Options.h"
#include "base/Status.h"
#include "data/Dataset.h"
#include "data/Shuffle.h"
#include "formats/Events.h"
#include "model/Model.h"
#include "model/Step.h"
#include "model/Weights.h"
#include "train/Metrics.h"
#include "train/Progress.h"
#include "train/Synthetic.h"
#include "train/callbacks/Callback.h"

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cmath>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <fcntl.h>
#include <unistd.h>
#include <utility>

using namespace kiln;

namespace {

constexpr int64_t kDefaultBatchSize = 32;

//===----------------------------------------------------------------------===//
// Steps
//===----------------------------------------------------------------------===//

/// The batch buffers and the second parameter/slot set of a run, and the
/// calls of the compiled steps in the ABI order of kiln/model.h. With a
/// device, two sets of batch buffers in page-locked memory: while the
/// device runs a step on one, the host loads the next batch into the other
/// and the device starts copying it in (prefetch).
class Stepper {
public:
  explicit Stepper(kiln_model_t *model)
      : model(model), desc(model->desc), train(model->desc->training),
        state(model) {}
  Stepper(const Stepper &) = delete;
  Stepper &operator=(const Stepper &) = delete;
  ~Stepper() { kiln_status_free(finishEvalStep()); } // an error said why

  /// Checks the metrics and allocates buffers for batches of `maxBatch`;
  /// `training` also allocates the second parameter/slot set.
  kiln_status_t init(int64_t maxBatch, bool training);

  /// Whether the next batch can load while a step runs (a device runs the
  /// steps): load(..., ahead) then fills the other set.
  bool pipelined() const { return model->device != nullptr; }
  /// Copies a streamed batch into the batch buffers the next step reads,
  /// or with `ahead` into those of the step after it, which the device
  /// then starts copying in.
  kiln_status_t load(const BatchStream &stream, const StreamBatch &batch,
                     bool ahead = false);
  /// Queues `train_step` on the loaded batch (runs it, on the host).
  kiln_status_t submitTrainStep(int64_t batch, float learningRate);
  /// Waits for it: its loss and predictions are then in.
  [[nodiscard]] kiln_status_t finishTrainStep() { return state.finish(); }
  /// Queues `eval_step` on the loaded batch (runs it, on the host), and
  /// waits for it.
  kiln_status_t submitEvalStep(int64_t batch);
  [[nodiscard]] kiln_status_t finishEvalStep();
  /// Fills the batch buffers with `batch` synthetic samples drawn from
  /// `random` (train/Synthetic.h).
  void fillSynthetic(int64_t batch, Random &random);
  /// The run's seed: with the step, the key of training-mode randomness.
  int64_t seed = 0;
  /// Adds the last step's loss and metrics to the running means, then
  /// moves on to the set loaded ahead, if one was.
  void accumulate(int64_t batch);
  void resetLogs();
  /// "loss" and the metrics: their running means.
  LogValues logs(const char *prefix) const;
  /// Makes the model's own buffers hold the current parameters and slots.
  [[nodiscard]] kiln_status_t syncModel() { return state.sync(); }

private:
  /// One batch's buffers: what a step reads and writes besides the model.
  struct BatchSet {
    std::vector<HostBuffer> inputs, targets, predictions;
    HostBuffer loss;
    // One f32 scalar per descriptor metric entry, in its order.
    std::vector<HostBuffer> metricValues;
    std::vector<void *> inputPointers, targetPointers, predictionPointers,
        metricPointers;
    // Inputs then targets: what prefetch copies in.
    std::vector<const void *> copiedIn;
    // The device holds a copy of this set's inputs and targets, made
    // after the host last wrote them: the next step reads that copy.
    bool prefetched = false;
    float *lossValue() const { return loss.floats(); }
  };
  BatchSet &active() { return sets[current]; }

  kiln_model_t *model;
  const kiln_model_desc_t *desc;
  const kiln_train_desc_t *train;
  BatchSet sets[2]; // [1] only when pipelined
  int current = 0;  // the set the next step reads
  bool loadedAhead = false;
  bool evalSubmitted = false; // an eval_step is queued on the device
  Buffer evalWorkspace;       // eval_step's scratch memory
  // After the sets: a queued step ends before they go. They live no longer
  // than the fit, during which the device that gave them cannot change.
  TrainState state;
  std::vector<void *> buffers;
  std::vector<Metric> metrics; // one per descriptor metric entry
  // Per metric entry, its values (rows) per sample; 0 for an output's loss,
  // which counts once per batch.
  std::vector<int64_t> metricRowsPerSample;
  std::vector<int64_t> rowSizes;
  // Bytes per sample of each of a set's `copiedIn`, and of a batch's.
  std::vector<size_t> copiedSampleBytes, copiedBytes;
  double lossTotal = 0, lossCount = 0;
};

kiln_status_t Stepper::init(int64_t maxBatch, bool training) {
  // Rows per output (a metric's values per sample), and that targets fit
  // the predictions of each metric's output.
  for (int64_t o = 0; o < desc->num_outputs; ++o) {
    const kiln_tensor_desc_t &output = desc->outputs[o];
    rowSizes.push_back(output.rank >= 2 ? output.dims[output.rank - 1] : 1);
  }
  for (int64_t m = 0; m < train->num_metrics; ++m) {
    const kiln_metric_desc_t &metric = train->metrics[m];
    if (std::strcmp(metric.kind, "loss") == 0) {
      metrics.emplace_back(); // an output's loss: its target fits
      metricRowsPerSample.push_back(0);
      continue;
    }
    MetricKind kind;
    if (!parseMetricKind(metric.kind, kind))
      return KILN_STATUS(KILN_STATUS_UNIMPLEMENTED,
                         "metric '%s' of kind '%s' is not supported",
                         metric.name, metric.kind);
    metrics.emplace_back(Metric::formOf(kind));
    const kiln_tensor_desc_t &output = desc->outputs[metric.output];
    int64_t perSample = sampleElements(output);
    int64_t rowSize = rowSizes[static_cast<size_t>(metric.output)];
    int64_t targetPerSample = sampleElements(train->targets[metric.output]);
    bool fits = rowSize > 0 &&
                (isSparseMetric(kind) ? targetPerSample * rowSize == perSample
                                      : targetPerSample == perSample);
    if (!fits)
      return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                         "metric '%s' (%s): target '%s' does not fit output "
                         "'%s'",
                         metric.name, metric.kind,
                         train->targets[metric.output].name, output.name);
    metricRowsPerSample.push_back(perSample / rowSize);
  }

  DeviceExecutor *device = model->device.get();
  auto allocateBatch = [&](const kiln_tensor_desc_t &tensor,
                           HostBuffer &buffer) {
    size_t bytes = sampleBytes(tensor) * static_cast<size_t>(maxBatch);
    return buffer.allocate(device, bytes ? bytes : sizeof(float));
  };
  bool ok = evalWorkspace.allocate(static_cast<size_t>(
      kiln_workspace_bytes(train->eval_workspace, maxBatch)));
  for (int s = 0; s < (pipelined() ? 2 : 1); ++s) {
    BatchSet &set = sets[s];
    set.inputs.resize(static_cast<size_t>(desc->num_inputs));
    set.targets.resize(static_cast<size_t>(train->num_targets));
    set.predictions.resize(static_cast<size_t>(desc->num_outputs));
    set.metricValues.resize(metrics.size());
    ok = ok && set.loss.allocate(device, sizeof(float));
    for (int64_t m = 0; m < train->num_metrics; ++m)
      ok = ok && set.metricValues[static_cast<size_t>(m)].allocate(
                     device, sizeof(float) * static_cast<size_t>(
                                                 metricValueCount(
                                                     train->metrics[m])));
    for (int64_t i = 0; ok && i < desc->num_inputs; ++i)
      ok = allocateBatch(desc->inputs[i], set.inputs[i]);
    // The steps compute the metrics: nothing reads the predictions, so a
    // device keeps them (a null host buffer) and only the loss and the
    // metric values come back each step.
    for (int64_t i = 0; ok && i < train->num_targets; ++i)
      ok = allocateBatch(train->targets[i], set.targets[i]) &&
           (pipelined() || allocateBatch(desc->outputs[i], set.predictions[i]));
    for (HostBuffer &buffer : set.inputs)
      set.inputPointers.push_back(buffer.data());
    for (HostBuffer &buffer : set.targets)
      set.targetPointers.push_back(buffer.data());
    for (HostBuffer &buffer : set.predictions)
      set.predictionPointers.push_back(buffer.data());
    for (HostBuffer &buffer : set.metricValues)
      set.metricPointers.push_back(buffer.data());
    set.copiedIn.assign(set.inputPointers.begin(), set.inputPointers.end());
    set.copiedIn.insert(set.copiedIn.end(), set.targetPointers.begin(),
                        set.targetPointers.end());
  }
  for (int64_t i = 0; i < desc->num_inputs; ++i)
    copiedSampleBytes.push_back(sampleBytes(desc->inputs[i]));
  for (int64_t i = 0; i < train->num_targets; ++i)
    copiedSampleBytes.push_back(sampleBytes(train->targets[i]));
  copiedBytes.resize(copiedSampleBytes.size());
  if (!ok)
    return KILN_STATUS(KILN_STATUS_OUT_OF_MEMORY,
                       "out of memory allocating batches of %" PRId64,
                       maxBatch);
  return training ? state.init() : nullptr;
}

kiln_status_t Stepper::load(const BatchStream &stream, const StreamBatch &batch,
                            bool ahead) {
  BatchSet &set = sets[ahead ? 1 - current : current];
  loadedAhead = ahead;
  set.prefetched = false;
  // Batches carry float32; an input of integer ids or bools gets them
  // converted (the dataset checked they are integers that float32 holds
  // exactly, or 0s and 1s).
  auto copy = [&](size_t t, HostBuffer &buffer,
                  const kiln_tensor_desc_t &tensor) {
    const float *from = batch.values.data() + stream.offset(t);
    int64_t count = batch.size * sampleElements(tensor);
    if (tensor.dtype == KILN_DTYPE_I32) {
      auto *to = reinterpret_cast<int32_t *>(buffer.data());
      for (int64_t i = 0; i < count; ++i)
        to[i] = static_cast<int32_t>(from[i]);
    } else if (tensor.dtype == KILN_DTYPE_I64) {
      auto *to = reinterpret_cast<int64_t *>(buffer.data());
      for (int64_t i = 0; i < count; ++i)
        to[i] = static_cast<int64_t>(from[i]);
    } else if (tensor.dtype == KILN_DTYPE_BOOL) {
      auto *to = buffer.data();
      for (int64_t i = 0; i < count; ++i)
        to[i] = from[i] != 0;
    } else if (count) {
      std::memcpy(buffer.data(), from,
                  static_cast<size_t>(count) * sizeof(float));
    }
  };
  size_t numInputs = static_cast<size_t>(desc->num_inputs);
  for (size_t i = 0; i < numInputs; ++i)
    copy(i, set.inputs[i], desc->inputs[i]);
  for (size_t i = 0; i < static_cast<size_t>(train->num_targets); ++i)
    copy(numInputs + i, set.targets[i], train->targets[i]);
  if (!ahead || !model->device)
    return nullptr;
  // The step in flight reads the other set; this one goes to the device
  // meanwhile.
  for (size_t i = 0; i < copiedBytes.size(); ++i)
    copiedBytes[i] = copiedSampleBytes[i] * static_cast<size_t>(batch.size);
  KILN_RETURN_IF_ERROR(model->device->prefetch(
      set.copiedIn.data(), copiedBytes.data(), set.copiedIn.size()));
  set.prefetched = true;
  return nullptr;
}

kiln_status_t Stepper::submitTrainStep(int64_t batch, float learningRate) {
  BatchSet &set = active();
  return state.submit(batch, set.inputPointers.data(),
                      set.targetPointers.data(), set.predictionPointers.data(),
                      set.metricPointers.data(), learningRate, seed,
                      set.lossValue(), std::exchange(set.prefetched, false));
}

void Stepper::fillSynthetic(int64_t batch, Random &random) {
  BatchSet &set = active();
  set.prefetched = false;
  auto uniform = [&] {
    return static_cast<float>(random.next() >> 40) * 0x1p-24f;
  };
  for (int64_t i = 0; i < desc->num_inputs; ++i)
    if (desc->inputs[i].dtype == KILN_DTYPE_F32)
      for (int64_t k = 0; k < batch * sampleElements(desc->inputs[i]); ++k)
        set.inputs[static_cast<size_t>(i)].floats()[k] = uniform();
  for (int64_t o = 0; o < train->num_targets; ++o) {
    bool sparse = train->targets[o].flags & KILN_TENSOR_CLASS_INDICES;
    float *to = set.targets[static_cast<size_t>(o)].floats();
    uint64_t classes = static_cast<uint64_t>(rowSizes[static_cast<size_t>(o)]);
    for (int64_t k = 0; k < batch * sampleElements(train->targets[o]); ++k)
      to[k] = sparse ? static_cast<float>(random.below(classes)) : uniform();
  }
}

kiln_status_t Stepper::finishEvalStep() {
  if (!evalSubmitted)
    return nullptr;
  evalSubmitted = false;
  return model->device->finish();
}

kiln_status_t Stepper::submitEvalStep(int64_t batch) {
  BatchSet &set = active();
  buffers.assign(state.params(), state.params() + desc->num_params);
  buffers.insert(buffers.end(), set.inputPointers.begin(),
                 set.inputPointers.end());
  buffers.insert(buffers.end(), set.targetPointers.begin(),
                 set.targetPointers.end());
  buffers.push_back(set.lossValue());
  buffers.insert(buffers.end(), set.predictionPointers.begin(),
                 set.predictionPointers.end());
  buffers.insert(buffers.end(), set.metricPointers.begin(),
                 set.metricPointers.end());
  if (!model->device)
    return runEntry(model, EntryKind::EvalStep, batch, buffers.data(),
                    evalWorkspace);
  // The parameters are the model's own (evaluate, or validation after
  // sync): the device keeps its copy between batches.
  KILN_RETURN_IF_ERROR(model->device->submit(
      desc, EntryKind::EvalStep, batch, buffers.data(),
      model->paramsVersion.load(std::memory_order_acquire),
      std::exchange(set.prefetched, false)));
  evalSubmitted = true;
  return nullptr;
}

void Stepper::accumulate(int64_t batch) {
  BatchSet &set = active();
  lossTotal +=
      static_cast<double>(*set.lossValue()) * static_cast<double>(batch);
  lossCount += static_cast<double>(batch);
  // Keras weighs a metric's batch mean by its values (rows). An output's
  // loss is the mean of its batch means: Keras's tracker weighs it by the
  // batch's static size, which a traced TensorFlow step does not know
  // (None: no weight), so a short last batch counts as much as the others.
  for (size_t m = 0; m < metrics.size(); ++m) {
    int64_t perSample = metricRowsPerSample[m];
    metrics[m].update(set.metricValues[m].floats(),
                      perSample ? batch * perSample : 1);
  }
  if (loadedAhead)
    current = 1 - current;
  loadedAhead = false;
}

void Stepper::resetLogs() {
  lossTotal = lossCount = 0;
  for (Metric &metric : metrics)
    metric.reset();
}

LogValues Stepper::logs(const char *prefix) const {
  LogValues values;
  values.emplace_back(prefix + model->logNames[0],
                      lossCount ? lossTotal / lossCount : 0.0);
  for (size_t m = 0; m < metrics.size(); ++m)
    values.emplace_back(prefix + model->logNames[m + 1], metrics[m].result());
  return values;
}

kiln_status_t checkModelAndData(kiln_model_t *model,
                                const kiln_dataset_t *data) {
  if (!model || !data)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "model and data must not be NULL");
  const kiln_model_desc_t *desc = model->desc;
  if ((!desc->training || !model->slotPointers) && desc->train_unavailable)
    return KILN_STATUS(KILN_STATUS_UNIMPLEMENTED,
                       "model '%s' cannot train or evaluate: %s",
                       desc->name ? desc->name : "", desc->train_unavailable);
  if (!desc->training || !model->slotPointers)
    return KILN_STATUS(KILN_STATUS_UNIMPLEMENTED,
                       "model '%s' was compiled without a loss; recompile "
                       "it with one to train or evaluate",
                       desc->name ? desc->name : "");
  KILN_RETURN_IF_ERROR(checkTrainingDtypes(desc));
  return checkDatasetFits(desc, data);
}

/// Takes the next batch of `stream` into `stepper`'s buffers (with
/// `ahead`, those of the step after the next); it must hold `batch`
/// samples.
kiln_status_t loadNext(BatchStream &stream, Stepper &stepper, int64_t batch,
                       const kiln_dataset_t *data, bool ahead = false) {
  StreamBatch *streamed = nullptr;
  KILN_RETURN_IF_ERROR(stream.next(streamed));
  if (!streamed || streamed->size != batch) {
    stream.recycle(streamed);
    return KILN_STATUS(KILN_STATUS_INTERNAL, "%s: the stream ended early",
                       data->name.c_str());
  }
  kiln_status_t status = stepper.load(stream, *streamed, ahead);
  stream.recycle(streamed);
  return status;
}

/// Runs `eval_step` over one pass of `data` in batches of `batchSize` and
/// leaves the means in `stepper`.
kiln_status_t evaluateInto(Stepper &stepper, const kiln_dataset_t *data,
                           int64_t batchSize, int64_t prefetch,
                           ProgressBar *bar) {
  stepper.resetLogs();
  int64_t n = data->numSamples, steps = (n + batchSize - 1) / batchSize;
  BatchStream stream;
  StreamPlan plan;
  plan.batchSize = batchSize;
  plan.prefetch = prefetch;
  KILN_RETURN_IF_ERROR(stream.start(data, plan));
  auto batchOf = [&](int64_t step) {
    int64_t start = step * batchSize;
    return n - start < batchSize ? n - start : batchSize;
  };
  bool loaded = false; // as in fit: the next batch loads during a step
  for (int64_t step = 0; step < steps; ++step) {
    int64_t batch = batchOf(step);
    if (!loaded)
      KILN_RETURN_IF_ERROR(loadNext(stream, stepper, batch, data));
    KILN_RETURN_IF_ERROR(stepper.submitEvalStep(batch));
    loaded = stepper.pipelined() && step + 1 < steps;
    kiln_status_t status =
        loaded ? loadNext(stream, stepper, batchOf(step + 1), data,
                          /*ahead=*/true)
               : nullptr;
    kiln_status_t finished = stepper.finishEvalStep();
    if (status) {
      kiln_status_free(finished);
      return status;
    }
    KILN_RETURN_IF_ERROR(finished);
    stepper.accumulate(batch);
    if (bar)
      bar->update(step + 1, stepper.logs(""));
  }
  return nullptr;
}

kiln_status_t checkVerbose(int32_t verbose) {
  if (verbose < 0 || verbose > 2)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "verbose must be 0, 1 or 2, got %" PRId32, verbose);
  return nullptr;
}

/// Where epoch `epoch` starts in the stream of batches (global batch
/// `first`, pass after pass of `passBatches`) and how many steps it runs,
/// for `steps` per epoch (header comment).
struct EpochSpan {
  int64_t first;
  int64_t steps;
};
EpochSpan epochSpan(int64_t epoch, int64_t steps, int64_t passBatches,
                    bool repeat) {
  if (repeat)
    return {epoch * steps, steps};
  int64_t perPass = (passBatches + steps - 1) / steps;
  int64_t begin = epoch % perPass * steps;
  return {epoch / perPass * passBatches + begin,
          std::min(steps, passBatches - begin)};
}

/// Keras 3's fit loop over `callbacks` (train/callbacks/Callback.h).
kiln_status_t fit(kiln_model_t *model, const kiln_dataset_t *data,
                  const kiln_fit_options_t &options, CallbackList &callbacks) {
  KILN_RETURN_IF_ERROR(checkModelAndData(model, data));
  const kiln_model_desc_t *desc = model->desc;
  const kiln_train_desc_t *train = desc->training;
  if (!train->train_step)
    return KILN_STATUS(KILN_STATUS_UNIMPLEMENTED, "model '%s' cannot train: %s",
                       desc->name ? desc->name : "",
                       desc->train_unavailable ? desc->train_unavailable
                                               : "no train_step");
  const kiln_dataset_t *validation = options.validation_data;
  if (validation)
    KILN_RETURN_IF_ERROR(checkDatasetFits(desc, validation));
  KILN_RETURN_IF_ERROR(checkVerbose(options.verbose));
  if (options.epochs < 0 || options.initial_epoch < -1 ||
      options.steps_per_epoch < 0 || options.log_every < 0 ||
      options.histogram_freq < 0)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "epochs, steps_per_epoch, log_every and "
                       "histogram_freq must not be negative, initial_epoch "
                       "not below -1 (the default)");
  int64_t batchSize =
      options.batch_size > 0 ? options.batch_size : kDefaultBatchSize;
  if (options.shuffle_buffer < 0 || options.prefetch < 0)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "shuffle_buffer and prefetch must not be negative");
  int64_t prefetch = options.prefetch > 0 ? options.prefetch : kDefaultPrefetch;

  float learningRate = static_cast<float>(options.learning_rate);
  if (!(options.learning_rate >= 0) &&
      !compiledLearningRate(desc, learningRate))
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "model '%s' has no compiled learning_rate; pass one",
                       desc->name ? desc->name : "");

  std::string resumedState;
  if (options.resume_path)
    KILN_RETURN_IF_ERROR(
        loadWeights(model, options.resume_path, &resumedState));
  // An explicit initial_epoch (0 included) wins over the checkpoint's.
  int64_t initialEpoch = options.initial_epoch;
  if (initialEpoch < 0)
    initialEpoch = options.resume_path ? model->epoch : 0;
  int64_t seed = options.seed >= 0  ? options.seed
                 : model->seed >= 0 ? model->seed
                                    : randomSeed();
  model->seed = seed;

  int64_t n = data->numSamples;
  int64_t largest =
      validation && validation->numSamples > n ? validation->numSamples : n;
  int64_t maxBatch = batchSize < largest ? batchSize : largest;
  Stepper stepper(model);
  stepper.seed = seed;
  KILN_RETURN_IF_ERROR(stepper.init(maxBatch, /*training=*/true));
  bool streaming = data->stream != nullptr;
  int64_t shuffleBuffer = options.shuffle_buffer > 0 ? options.shuffle_buffer
                          : streaming ? kDefaultStreamShuffleBuffer
                                      : n;
  bool dropRemainder = options.drop_remainder != 0;
  int64_t passBatches = passBatchCount(n, batchSize, dropRemainder);
  if (passBatches == 0)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "%s: %" PRId64 " sample(s) make no full batch of "
                       "%" PRId64 " and drop_remainder drops the partial one",
                       data->name.c_str(), n, batchSize);

  FitContext context;
  context.model = model;
  context.options = &options;
  context.epochs = options.epochs;
  context.steps =
      options.steps_per_epoch > 0 ? options.steps_per_epoch : passBatches;
  context.hasValidation = validation != nullptr;
  context.learningRate = learningRate;
  context.callbacks = &callbacks;
  context.initialEpoch = initialEpoch;
  int64_t steps = context.steps;
  bool repeat = options.repeat != 0;
  if (!repeat && initialEpoch < options.epochs && passBatches % steps != 0)
    warn(std::string("steps_per_epoch ") + std::to_string(steps) +
         (steps > passBatches ? " exceeds" : " does not divide") +
         " a pass over the data (" + std::to_string(passBatches) +
         " batches): an epoch ends early when its pass runs out, as in "
         "Keras's fit (\"Your input ran out of data\"); with repeat "
         "(train --repeat) every epoch runs " +
         std::to_string(steps) + " steps, across passes");
  KILN_RETURN_IF_ERROR(callbacks.trainBegin(context));
  callbacks.restore(context, resumedState);

  BatchStream stream;
  if (initialEpoch < options.epochs) {
    StreamPlan plan;
    plan.batchSize = batchSize;
    plan.shuffle = options.shuffle != 0;
    plan.seed = uint64_t(seed);
    plan.shuffleBuffer = shuffleBuffer;
    plan.prefetch = prefetch;
    plan.dropRemainder = dropRemainder;
    int64_t first = epochSpan(initialEpoch, steps, passBatches, repeat).first;
    plan.firstPass = first / passBatches;
    plan.skipBatches = first % passBatches;
    plan.endless = true;
    KILN_RETURN_IF_ERROR(stream.start(data, plan));
  }
  for (int64_t epoch = initialEpoch; epoch < options.epochs; ++epoch) {
    KILN_RETURN_IF_ERROR(callbacks.epochBegin(context, epoch));
    stepper.resetLogs();
    EpochSpan span = epochSpan(epoch, steps, passBatches, repeat);
    auto batchOf = [&](int64_t step) {
      int64_t start = ((span.first + step) % passBatches) * batchSize;
      return n - start < batchSize ? n - start : batchSize;
    };
    bool loaded = false; // the step's batch was loaded during the last one
    for (int64_t step = 0; step < span.steps; ++step) {
      int64_t batch = batchOf(step);
      if (!loaded)
        KILN_RETURN_IF_ERROR(loadNext(stream, stepper, batch, data));
      KILN_RETURN_IF_ERROR(
          stepper.submitTrainStep(batch, context.learningRate));
      // While a device runs the step, the next batch of the epoch loads
      // into the other buffers.
      loaded = stepper.pipelined() && step + 1 < span.steps;
      if (loaded)
        KILN_RETURN_IF_ERROR(loadNext(stream, stepper, batchOf(step + 1), data,
                                      /*ahead=*/true));
      KILN_RETURN_IF_ERROR(stepper.finishTrainStep());
      stepper.accumulate(batch);
      KILN_RETURN_IF_ERROR(
          callbacks.trainBatchEnd(context, step, stepper.logs("")));
      if (context.stopTraining)
        break;
    }
    KILN_RETURN_IF_ERROR(stepper.syncModel());
    model->epoch = epoch + 1;
    LogValues logs = stepper.logs("");
    if (validation) {
      KILN_RETURN_IF_ERROR(
          evaluateInto(stepper, validation, batchSize, prefetch, nullptr));
      LogValues validationLogs = stepper.logs("val_");
      logs.insert(logs.end(), validationLogs.begin(), validationLogs.end());
    }
    KILN_RETURN_IF_ERROR(callbacks.epochEnd(context, epoch, logs));
    if (context.stopTraining)
      break;
  }
  KILN_RETURN_IF_ERROR(callbacks.trainEnd(context));
  if (options.save_weights_path)
    KILN_RETURN_IF_ERROR(saveWeights(model, options.save_weights_path));
  return nullptr;
}

} // namespace

extern "C" {

void kiln_fit_options_initialize(kiln_fit_options_t *options) {
  if (!options)
    return;
  std::memset(options, 0, sizeof(*options));
  options->struct_size = sizeof(*options);
  options->epochs = 1;
  options->batch_size = kDefaultBatchSize;
  options->shuffle = 1;
  options->verbose = 1;
  options->seed = -1;
  options->initial_epoch = -1;
  options->learning_rate = -1;
}

void kiln_evaluate_options_initialize(kiln_evaluate_options_t *options) {
  if (!options)
    return;
  std::memset(options, 0, sizeof(*options));
  options->struct_size = sizeof(*options);
  options->batch_size = kDefaultBatchSize;
  options->verbose = 1;
}

kiln_status_t kiln_model_fit(kiln_model_t *model, const kiln_dataset_t *data,
                             const kiln_fit_options_t *options,
                             char **out_history_json) {
  kiln_fit_options_t effective;
  KILN_RETURN_IF_ERROR(completeOptions(options, kiln_fit_options_initialize,
                                       "kiln_fit_options_initialize",
                                       effective));
  CallbackList callbacks;
  History *history = nullptr;
  KILN_RETURN_IF_ERROR(makeCallbacks(effective, callbacks, history));
  KILN_RETURN_IF_ERROR(fit(model, data, effective, callbacks));
  if (out_history_json) {
    std::string json = history->json();
    char *text = static_cast<char *>(std::malloc(json.size() + 1));
    if (!text)
      return KILN_STATUS(KILN_STATUS_OUT_OF_MEMORY, "out of memory");
    std::memcpy(text, json.c_str(), json.size() + 1);
    *out_history_json = text;
  }
  return nullptr;
}

kiln_status_t kiln_model_evaluate(kiln_model_t *model,
                                  const kiln_dataset_t *data,
                                  const kiln_evaluate_options_t *options,
                                  double *out_values) {
  KILN_RETURN_IF_ERROR(checkModelAndData(model, data));
  if (!out_values)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT, "out_values is NULL");
  kiln_evaluate_options_t effective;
  KILN_RETURN_IF_ERROR(
      completeOptions(options, kiln_evaluate_options_initialize,
                      "kiln_evaluate_options_initialize", effective));
  KILN_RETURN_IF_ERROR(checkVerbose(effective.verbose));
  int64_t batchSize =
      effective.batch_size > 0 ? effective.batch_size : kDefaultBatchSize;
  int64_t n = data->numSamples;
  int64_t maxBatch = batchSize < n ? batchSize : n;
  Stepper stepper(model);
  KILN_RETURN_IF_ERROR(stepper.init(maxBatch, /*training=*/false));
  int64_t steps = (n + batchSize - 1) / batchSize;
  ProgressBar bar(steps, effective.verbose);
  KILN_RETURN_IF_ERROR(
      evaluateInto(stepper, data, batchSize, kDefaultPrefetch, &bar));
  LogValues logs = stepper.logs("");
  bar.finish(steps, logs);
  for (size_t k = 0; k < logs.size(); ++k)
    out_values[k] = logs[k].second;
  return nullptr;
}

} // extern "C"

//===----------------------------------------------------------------------===//
// Synthetic steps (./model bench)
//===----------------------------------------------------------------------===//

kiln_status_t kiln::withSyntheticTrainStep(
    kiln_model_t *model, int64_t batch,
    const std::function<kiln_status_t(const StepFn &step)> &run) {
  const kiln_model_desc_t *desc = model->desc;
  KILN_RETURN_IF_ERROR(checkCanTrain(desc));
  KILN_RETURN_IF_ERROR(checkTrainingDtypes(desc));
  float learningRate = 0;
  compiledLearningRate(desc, learningRate);
  Stepper stepper(model);
  KILN_RETURN_IF_ERROR(stepper.init(batch, /*training=*/true));
  Random random(0x6b696c6eull); // "kiln"
  stepper.fillSynthetic(batch, random);
  return run([&]() -> kiln_status_t {
    KILN_RETURN_IF_ERROR(stepper.submitTrainStep(batch, learningRate));
    return stepper.finishTrainStep();
  });
}
