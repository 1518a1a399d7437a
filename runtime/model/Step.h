//===- Step.h - Train steps on a model's parameters -------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// `TrainState` calls a model's compiled `train_step` in the buffer order of
// kiln/model.h and keeps the new parameters and slots it writes: a second
// set of the updated tensors (trainable parameters and state, the slots),
// swapped with the current one after each step, so no step copies the
// model. `sync` makes the model's own buffers current again. Both the
// Keras fit loop (train/Train.cpp) and a compiled library's train step and
// fit over caller buffers (model/Library.cpp) step through it.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_MODEL_STEP_H
#define KILN_RUNTIME_MODEL_STEP_H

#include "base/Memory.h"
#include "model/Model.h"

#include <vector>

namespace kiln {

class TrainState {
public:
  explicit TrainState(kiln_model_t *model)
      : model(model), current(model->paramPointers,
                              model->paramPointers + model->desc->num_params) {}
  TrainState(const TrainState &) = delete;
  TrainState &operator=(const TrainState &) = delete;
  ~TrainState();

  /// Allocates the second parameter/slot set; an error when the model has
  /// no train step (train_unavailable says why).
  kiln_status_t init();

  /// Runs `train_step` on `batch` samples: `inputs`, `targets` and
  /// `predictions` hold one buffer per model input, target and output, in
  /// descriptor order, `metricValues` one f32 scalar per entry of the
  /// descriptor's metrics; `*loss` receives the batch loss. The step's
  /// randomness is keyed by (`seed`, the model's iteration count), which
  /// it then increments.
  kiln_status_t step(int64_t batch, void *const *inputs, void *const *targets,
                     void *const *predictions, void *const *metricValues,
                     float learningRate, int64_t seed, float *loss);

  /// `step` in two halves: submit queues the step on the model's device
  /// (on the host, runs it), finish waits for it. In between, the
  /// step's buffers (inputs, targets, predictions, metric values, loss)
  /// must stay as they are, and the caller may prepare the next batch
  /// elsewhere. A step that fails at finish leaves the parameters as they
  /// were.
  /// `prefetched`: the device copied `inputs` and `targets` in ahead
  /// (DeviceExecutor::prefetch), and the step reads those copies.
  kiln_status_t submit(int64_t batch, void *const *inputs, void *const *targets,
                       void *const *predictions, void *const *metricValues,
                       float learningRate, int64_t seed, float *loss,
                       bool prefetched = false);
  [[nodiscard]] kiln_status_t finish();

  /// The current parameters, in descriptor order.
  void *const *params() const { return current.data(); }

  /// Makes the model's own buffers hold the current parameters and slots
  /// (from the device first, when one trains); an error when the device
  /// could not return them.
  [[nodiscard]] kiln_status_t sync();

private:
  /// Makes the next parameter/slot set current (and the current next).
  void swapSets();

  kiln_model_t *model;
  // Indices of the parameters the step updates (trainable ones and state);
  // `next[k]` is the next buffer of parameter `trained[k]`.
  std::vector<int64_t> trained;
  void *altParams = nullptr, *altSlots = nullptr;
  // The current and next parameters/slots: the model's own buffers and the
  // `alt` ones, alternating each step; `usingAlt` when current is `alt`.
  // Non-trainable parameters stay in the model's buffers.
  std::vector<void *> current, slots, next, nextSlots;
  bool usingAlt = false;
  bool submitted = false; // a step is queued on the device
  // The model's iteration count when its own buffers last held the
  // current values (init, or the last sync that got them back).
  int64_t syncedIterations = 0;
  // Learning rate, iteration, rng (2 x int64): ordinary memory (a
  // library's TrainState outlives a device switch; three small copies in).
  Buffer scalars;
  Buffer workspace; // the entry's scratch memory, grown on demand
  std::vector<void *> buffers;
};

/// An error saying why, unless the model has a train step.
kiln_status_t checkCanTrain(const kiln_model_desc_t *desc);

/// The compiled "learning_rate" of a training model; false when it has
/// none.
bool compiledLearningRate(const kiln_model_desc_t *desc, float &rate);

} // namespace kiln

#endif // KILN_RUNTIME_MODEL_STEP_H
