//===- NormalizationLayers.cpp - Keras normalization layers -----*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// BatchNormalization as one mode-dependent `kiln.batch_norm`: moving
// statistics are `State` parameters (non-trainable, updated by the train
// step), gamma and beta trainable weights, in Keras's weight order (gamma,
// beta, moving_mean, moving_variance).
//===----------------------------------------------------------------------===//

#include "frontend/keras/KerasLayers.h"

#include "dialects/kiln/IR/KilnDialect.h"
#include "dialects/kiln/Model/ImportedModel.h"

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::keras;

/// A config number, Keras's `fallback` when absent.
static std::optional<double> number(LayerBuilder &layer, StringRef key,
                                    double fallback) {
  const llvm::json::Value *value = layer.config.get(key);
  if (!value || value->kind() == llvm::json::Value::Null)
    return fallback;
  return value->getAsNumber();
}

// BatchNormalization(axis=-1, momentum=0.99, epsilon=1e-3, center=True,
// scale=True)
static FailureOr<Value> importBatchNormalization(LayerBuilder &layer,
                                                 ArrayRef<Value> inputs) {
  if (inputs.size() != 1) {
    layer.emitError() << "expects 1 input, got " << inputs.size();
    return failure();
  }
  Value x = inputs[0];
  auto type = cast<RankedTensorType>(x.getType());
  int64_t rank = type.getRank();
  // `axis`: an integer, or (Keras 2) a list of one.
  int64_t axis = -1;
  if (const llvm::json::Value *value = layer.config.get("axis")) {
    const llvm::json::Array *list = value->getAsArray();
    std::optional<int64_t> single =
        list ? (list->size() == 1 ? (*list)[0].getAsInteger() : std::nullopt)
             : value->getAsInteger();
    if (!single) {
      layer.emitError() << "'axis' must be one integer (normalizing over "
                           "several axes is not supported)";
      return failure();
    }
    axis = *single;
  }
  if (rank < 2 || axis < -rank || axis >= rank || axis == 0 || axis == -rank) {
    layer.emitError() << "'axis' " << axis << " is not a channel axis of "
                      << formatKerasShape(type.getShape());
    return failure();
  }
  for (StringRef key : {"renorm", "virtual_batch_size", "adjustment"})
    if (const llvm::json::Value *value = layer.config.get(key);
        value && value->kind() != llvm::json::Value::Null &&
        value->getAsBoolean() != std::optional<bool>(false)) {
      layer.emitError() << "'" << key << "' is not supported";
      return failure();
    }
  std::optional<double> momentum = number(layer, "momentum", 0.99);
  std::optional<double> epsilon = number(layer, "epsilon", 1e-3);
  if (!momentum || !(*momentum >= 0 && *momentum <= 1) || !epsilon ||
      !(*epsilon > 0)) {
    layer.emitError() << "'momentum' must be in [0, 1] and 'epsilon' "
                         "positive";
    return failure();
  }
  int64_t channels = type.getDimSize(axis < 0 ? axis + rank : axis);
  using Role = LayerBuilder::ParamRole;
  Value gamma, beta;
  if (layer.getBoolean("scale").value_or(true)) {
    FailureOr<Value> p =
        layer.addParam("gamma", {channels}, "gamma_initializer", "ones");
    if (failed(p))
      return failure();
    gamma = *p;
  }
  if (layer.getBoolean("center").value_or(true)) {
    FailureOr<Value> p =
        layer.addParam("beta", {channels}, "beta_initializer", "zeros");
    if (failed(p))
      return failure();
    beta = *p;
  }
  FailureOr<Value> mean =
      layer.addParam("moving_mean", {channels}, "moving_mean_initializer",
                     "zeros", Role::State);
  if (failed(mean))
    return failure();
  FailureOr<Value> variance =
      layer.addParam("moving_variance", {channels},
                     "moving_variance_initializer", "ones", Role::State);
  if (failed(variance))
    return failure();
  OpBuilder &b = layer.builder;
  auto op = BatchNormOp::create(
      b, layer.loc, type, x, gamma, beta, *mean, *variance,
      b.getI64IntegerAttr(axis), b.getF64FloatAttr(*epsilon),
      b.getF64FloatAttr(*momentum),
      layer.isTrainable() ? UnitAttr() : b.getUnitAttr());
  return op.getResult();
}

void mlir::kiln::keras::registerNormalizationLayers(LayerRegistry &registry) {
  // `renorm_clipping`, `renorm_momentum`: used only with `renorm`, which
  // the handler refuses. `synchronized`: one device, nothing to sync.
  static constexpr StringLiteral keys[] = {"axis",
                                           "momentum",
                                           "epsilon",
                                           "center",
                                           "scale",
                                           "beta_initializer",
                                           "gamma_initializer",
                                           "moving_mean_initializer",
                                           "moving_variance_initializer",
                                           "beta_regularizer",
                                           "gamma_regularizer",
                                           "beta_constraint",
                                           "gamma_constraint",
                                           "renorm",
                                           "renorm_clipping",
                                           "renorm_momentum",
                                           "virtual_batch_size",
                                           "adjustment",
                                           "synchronized"};
  registry["BatchNormalization"] = {singleOutput<importBatchNormalization>,
                                    keys};
}
