//===- Synthetic.h - Train steps on synthetic data --------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// What `./model bench --entry train_step` needs from training: the compiled
// train step, set up as `fit` sets it up (double-buffered parameters and
// optimizer slots, the compiled learning rate), on one batch of synthetic
// data that stays in place, so that timing it measures the step alone.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_TRAIN_SYNTHETIC_H
#define KILN_RUNTIME_TRAIN_SYNTHETIC_H

#include "kiln/runtime.h"

#include <functional>

namespace kiln {

/// A call that runs one step.
using StepFn = std::function<kiln_status_t()>;

/// Sets up `model`'s train step for batches of `batch` synthetic samples
/// (inputs uniform in [0, 1), ids and bools 0; targets uniform in [0, 1),
/// or class indices for sparse losses, drawn from a fixed seed) and calls
/// `run` with a function that runs one step. The model's parameters are
/// trained by those steps. An error when the model cannot train.
kiln_status_t withSyntheticTrainStep(
    kiln_model_t *model, int64_t batch,
    const std::function<kiln_status_t(const StepFn &step)> &run);

} // namespace kiln

#endif // KILN_RUNTIME_TRAIN_SYNTHETIC_H
