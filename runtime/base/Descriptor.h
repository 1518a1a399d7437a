//===- Descriptor.h - Checking a model descriptor ---------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Validation of the descriptor a compiled object defines (kiln/model.h) and
// the sizes of its tensors: shared by model sessions, datasets and the
// command line's `info`, which validates without creating a session.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_BASE_DESCRIPTOR_H
#define KILN_RUNTIME_BASE_DESCRIPTOR_H

#include "kiln/runtime.h"

#include <cstddef>
#include <cstdint>

namespace kiln {

/// Checks `desc`: ABI version, tensor tables (names; dtypes: float32, or for
/// inputs, outputs and targets also int32, int64 or bool; ranks; only the
/// leading dimension of inputs/outputs may be -1) and that every parameter
/// lies within the weights blob.
kiln_status_t checkDescriptor(const kiln_model_desc_t *desc);

/// UNIMPLEMENTED, naming the output or target and its dtype, unless every
/// output (and target) of the checked `desc` is float32: what fit, evaluate
/// and their datasets need (targets, predictions and metrics are float32).
kiln_status_t checkTrainingDtypes(const kiln_model_desc_t *desc);

/// The byte size of tensor `tensor` of a checked descriptor whose dims are
/// all static.
size_t tensorByteSize(const kiln_tensor_desc_t &tensor);

/// True when parameter `i` of `desc` is updated by the optimizer.
inline bool isTrainable(const kiln_model_desc_t *desc, int64_t i) {
  return (desc->params[i].flags & KILN_TENSOR_NON_TRAINABLE) == 0;
}

/// True when `train_step` returns a new value of parameter `i`: trainable
/// parameters and non-trainable state (BatchNormalization's moving
/// statistics).
inline bool isUpdatedByStep(const kiln_model_desc_t *desc, int64_t i) {
  return isTrainable(desc, i) || (desc->params[i].flags & KILN_TENSOR_STATE);
}

/// The element count of one sample of `tensor` (all dims after the first).
int64_t sampleElements(const kiln_tensor_desc_t &tensor);
/// The bytes of one sample of `tensor` in its dtype (float32, int32, int64 or
/// bool).
size_t sampleBytes(const kiln_tensor_desc_t &tensor);

/// Keras's AUC thresholds (num_thresholds).
constexpr int64_t kAucThresholds = KILN_AUC_THRESHOLDS;

/// The f32 values a step returns for `metric` (model.h, metric_values): 2
/// for "precision" and "recall" (a numerator and a denominator, summed over
/// the epoch), 2 * kAucThresholds for "auc" (true, then false positives at
/// each threshold), else 1.
int64_t metricValueCount(const kiln_metric_desc_t &metric);

} // namespace kiln

#endif // KILN_RUNTIME_BASE_DESCRIPTOR_H
