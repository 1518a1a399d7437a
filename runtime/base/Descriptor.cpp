//===- Descriptor.cpp - Checking a model descriptor -------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// The checks every user of a compiled model's descriptor runs first (the
// session, the datasets built for it, the command line's `info`), and the
// sizes of its tensors. Moved out of Model.cpp so that the data layer can
// check a descriptor without depending on model sessions.
//
//===----------------------------------------------------------------------===//
#include "base/Descriptor.h"
#include "base/Array.h"
#include "base/Status.h"

#include <cinttypes>
#include <cstring>

using namespace kiln;

namespace {

/// What a tensor table holds: inputs/outputs/targets may have a dynamic
/// leading dimension and non-float dtypes, parameters lie in the weights
/// blob, slots are static; both are float32.
enum class TableKind { Io, Param, Slot };

/// True when a tensor of `table` may have `dtype`: float32, or for inputs,
/// outputs and targets also int32, int64 or bool (integer ids, ArgMax's
/// indices, comparisons; fit and evaluate check that outputs and targets are
/// float32, see `checkTrainingDtypes`).
bool isCompiledDtype(TableKind table, int32_t dtype) {
  if (dtype == KILN_DTYPE_F32)
    return true;
  return table == TableKind::Io &&
         (dtype == KILN_DTYPE_I32 || dtype == KILN_DTYPE_I64 ||
          dtype == KILN_DTYPE_BOOL);
}

/// Checks the tensor table `tensors` of `count` entries of the descriptor.
/// Inputs and outputs may have a dynamic (-1) leading dimension; parameters
/// must lie within the `weightsSize`-byte weights blob.
kiln_status_t checkTensors(const char *kind, int64_t count,
                           const kiln_tensor_desc_t *tensors, TableKind table,
                           int64_t weightsSize) {
  bool isParam = table == TableKind::Param;
  if (count < 0 || (count > 0 && !tensors))
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "descriptor: invalid %s table (%" PRId64 " entries)",
                       kind, count);
  for (int64_t i = 0; i < count; ++i) {
    const kiln_tensor_desc_t &tensor = tensors[i];
    if (!tensor.name)
      return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                         "descriptor: %s %" PRId64 " has no name", kind, i);
    const char *name = tensor.name;
    if (!isCompiledDtype(table, tensor.dtype))
      return KILN_STATUS(
          KILN_STATUS_UNIMPLEMENTED, "descriptor: %s '%s' has dtype %s; %s",
          kind, name, kiln_dtype_name(tensor.dtype),
          table == TableKind::Io
              ? "compiled model inputs and outputs are float32, int32, "
                "int64 or bool"
              : "compiled parameters and optimizer slots are float32");
    if (tensor.rank < 0 || tensor.rank > KILN_MAX_RANK ||
        (tensor.rank > 0 && !tensor.dims))
      return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                         "descriptor: %s '%s' has invalid rank %" PRId32, kind,
                         name, tensor.rank);
    for (int32_t d = 0; d < tensor.rank; ++d) {
      bool dynamicOk = table == TableKind::Io && d == 0 && tensor.dims[d] == -1;
      if (tensor.dims[d] < 0 && !dynamicOk)
        return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                           "descriptor: %s '%s' has invalid shape %s; only "
                           "the leading dimension of inputs, outputs and "
                           "targets may be dynamic",
                           kind, name,
                           formatShape(tensor.rank, tensor.dims).c_str());
    }
    int64_t numElements = 0;
    size_t byteSize = 0;
    bool sized = table == TableKind::Io ||
                 computeArraySize(tensor.dtype, tensor.rank, tensor.dims,
                                  numElements, byteSize);
    if (table == TableKind::Slot && !sized)
      return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                         "descriptor: slot '%s' %s is too large", name,
                         formatShape(tensor.rank, tensor.dims).c_str());
    if (!isParam)
      continue;
    if (!sized || tensor.offset < 0 || tensor.offset > weightsSize ||
        byteSize > static_cast<uint64_t>(weightsSize - tensor.offset))
      return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                         "descriptor: parameter '%s' %s at offset %" PRId64
                         " does not fit in the %" PRId64 "-byte weights blob",
                         name, formatShape(tensor.rank, tensor.dims).c_str(),
                         tensor.offset, weightsSize);
  }
  return nullptr;
}

/// Checks the training tables of `desc` (already checked otherwise).
kiln_status_t checkTraining(const kiln_model_desc_t *desc) {
  const kiln_train_desc_t *train = desc->training;
  if ((!train->train_step && !desc->train_unavailable) || !train->eval_step)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "descriptor: training without train_step/eval_step");
  int64_t numTrainable = 0;
  for (int64_t i = 0; i < desc->num_params; ++i)
    numTrainable += isTrainable(desc, i);
  if (train->train_step && numTrainable && train->num_slots % numTrainable != 0)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "descriptor: %" PRId64 " slots for %" PRId64
                       " trainable parameters",
                       train->num_slots, numTrainable);
  if (train->num_hyper < 0 || (train->num_hyper > 0 && !train->hyper) ||
      train->num_metrics < 0 || (train->num_metrics > 0 && !train->metrics))
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "descriptor: invalid hyperparameter or metric table");
  for (int64_t i = 0; i < train->num_hyper; ++i)
    if (!train->hyper[i].name)
      return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                         "descriptor: hyperparameter %" PRId64 " has no name",
                         i);
  for (int64_t i = 0; i < train->num_metrics; ++i) {
    const kiln_metric_desc_t &metric = train->metrics[i];
    if (!metric.name || !metric.kind)
      return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                         "descriptor: metric %" PRId64 " has no name or kind",
                         i);
    if (metric.output < 0 || metric.output >= desc->num_outputs)
      return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                         "descriptor: metric '%s' is of output %" PRId64
                         ", which does not exist",
                         metric.name, metric.output);
  }
  if (train->num_targets != desc->num_outputs)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "descriptor: %" PRId64 " targets for %" PRId64
                       " outputs",
                       train->num_targets, desc->num_outputs);
  KILN_RETURN_IF_ERROR(checkTensors("target", train->num_targets,
                                    train->targets, TableKind::Io, 0));
  return checkTensors("slot", train->num_slots, train->slots, TableKind::Slot,
                      0);
}

} // namespace

kiln_status_t kiln::checkDescriptor(const kiln_model_desc_t *desc) {
  if (!desc)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT, "descriptor is NULL");
  if (desc->abi_version != KILN_MODEL_ABI_VERSION)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "model ABI version %" PRId64
                       " does not match the runtime's %d; recompile the model "
                       "with a matching kiln",
                       desc->abi_version, KILN_MODEL_ABI_VERSION);
  if (desc->weights_size < 0 || (desc->weights_size > 0 && !desc->weights))
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "descriptor: invalid weights blob");
  KILN_RETURN_IF_ERROR(
      checkTensors("input", desc->num_inputs, desc->inputs, TableKind::Io, 0));
  KILN_RETURN_IF_ERROR(checkTensors("output", desc->num_outputs, desc->outputs,
                                    TableKind::Io, 0));
  KILN_RETURN_IF_ERROR(checkTensors("parameter", desc->num_params, desc->params,
                                    TableKind::Param, desc->weights_size));
  return desc->training ? checkTraining(desc) : nullptr;
}

kiln_status_t kiln::checkTrainingDtypes(const kiln_model_desc_t *desc) {
  const kiln_train_desc_t *train = desc->training;
  for (int64_t i = 0; i < desc->num_outputs; ++i) {
    const kiln_tensor_desc_t *tensors[2] = {
        &desc->outputs[i],
        train && i < train->num_targets ? &train->targets[i] : nullptr};
    for (const kiln_tensor_desc_t *tensor : tensors)
      if (tensor && tensor->dtype != KILN_DTYPE_F32)
        return KILN_STATUS(KILN_STATUS_UNIMPLEMENTED,
                           "%s '%s' has dtype %s; fit and evaluate need "
                           "float32 outputs and targets",
                           tensor == tensors[0] ? "output" : "target",
                           tensor->name, kiln_dtype_name(tensor->dtype));
  }
  return nullptr;
}

size_t kiln::tensorByteSize(const kiln_tensor_desc_t &tensor) {
  int64_t count = 0;
  size_t bytes = 0;
  computeArraySize(tensor.dtype, tensor.rank, tensor.dims, count, bytes);
  return bytes;
}

size_t kiln::sampleBytes(const kiln_tensor_desc_t &tensor) {
  return static_cast<size_t>(sampleElements(tensor)) *
         kiln_dtype_size(tensor.dtype);
}

int64_t kiln::sampleElements(const kiln_tensor_desc_t &tensor) {
  int64_t count = 0;
  size_t bytes = 0;
  computeArraySize(tensor.dtype, tensor.rank - 1, tensor.dims + 1, count,
                   bytes);
  return count;
}

int64_t kiln::metricValueCount(const kiln_metric_desc_t &metric) {
  if (!metric.kind)
    return 1;
  if (std::strcmp(metric.kind, "auc") == 0)
    return 2 * kAucThresholds;
  return std::strcmp(metric.kind, "precision") == 0 ||
                 std::strcmp(metric.kind, "recall") == 0
             ? 2
             : 1;
}
