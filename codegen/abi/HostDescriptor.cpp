//===- HostDescriptor.cpp - A model descriptor in the compiler's memory ---===//
// SPDX-License-Identifier: Apache-2.0
//===----------------------------------------------------------------------===//

#include "codegen/abi/HostDescriptor.h"

#include "codegen/abi/ModelAbi.h"

#include "llvm/ADT/STLExtras.h"

using namespace mlir;
using namespace mlir::kiln;

static kiln_tensor_desc_t tensorOf(const TensorSignature &t) {
  return {t.name.c_str(),
          descriptorDtype(t),
          int32_t(t.dims.size()),
          t.dims.data(),
          0,
          0};
}

HostDescriptor::HostDescriptor(const ImportedModel &model,
                               const ModelSignature *signature) {
  for (const LayerRow &row : model.layers)
    layers.push_back({row.name.c_str(), row.className.c_str(),
                      row.outputShape.c_str(), row.connectedTo.c_str(),
                      row.numParams, row.numTrainableParams});
  layOutWeights(model, blob, offsets);
  for (auto [param, offset] : llvm::zip(model.params, offsets))
    params.push_back({param.name.c_str(), KILN_DTYPE_F32,
                      int32_t(param.shape.size()), param.shape.data(), offset,
                      descriptorFlags(param)});
  desc.abi_version = KILN_MODEL_ABI_VERSION;
  desc.name = model.name.c_str();
  desc.kind = model.kind.c_str();
  desc.num_layers = int64_t(layers.size());
  desc.layers = layers.data();
  desc.num_params = int64_t(params.size());
  desc.params = params.data();
  desc.weights_size = int64_t(blob.size());
  desc.weights = reinterpret_cast<const uint8_t *>(blob.data());
  for (const ParamData &param : model.params)
    keras3Paths.push_back(param.keras3Path.empty() ? nullptr
                                                   : param.keras3Path.c_str());
  if (llvm::any_of(keras3Paths, [](const char *p) { return p != nullptr; }))
    desc.keras3_paths = keras3Paths.data();
  if (!signature)
    return;
  for (const TensorSignature &t : signature->inputs)
    inputs.push_back(tensorOf(t));
  for (const TensorSignature &t : signature->outputs)
    outputs.push_back(tensorOf(t));
  desc.num_inputs = int64_t(inputs.size());
  desc.inputs = inputs.data();
  desc.num_outputs = int64_t(outputs.size());
  desc.outputs = outputs.data();
  if (!signature->trainUnavailable.empty())
    desc.train_unavailable = signature->trainUnavailable.c_str();
  if (!signature->training)
    return;
  const TrainingSignature &t = *signature->training;
  for (const auto &[name, value] : t.hyper)
    hyper.push_back({name.c_str(), value});
  for (const TrainingSignature::Log &log : t.logs)
    metrics.push_back({log.name.c_str(), log.kind.c_str(), log.output});
  for (auto [target, classIndices] :
       llvm::zip(t.targets, t.classIndexTargets)) {
    targets.push_back(tensorOf(target));
    targets.back().flags = classIndices ? KILN_TENSOR_CLASS_INDICES : 0;
  }
  for (const TensorSignature &slot : t.slots)
    slots.push_back(tensorOf(slot));
  training.loss = t.loss.c_str();
  training.from_logits = t.fromLogits;
  training.optimizer = t.optimizer.c_str();
  training.num_hyper = int64_t(hyper.size());
  training.hyper = hyper.data();
  training.num_metrics = int64_t(metrics.size());
  training.metrics = metrics.data();
  training.num_targets = int64_t(targets.size());
  training.targets = targets.data();
  training.num_slots = int64_t(slots.size());
  training.slots = slots.data();
  desc.training = &training;
}
