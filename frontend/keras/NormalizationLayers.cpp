//===- NormalizationLayers.cpp - Keras normalization layers -----*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// LayerNormalization on kiln arithmetic (mean and variance over the
// normalized axes). BatchNormalization as one mode-dependent
// `kiln.batch_norm`: moving
// statistics are `State` parameters (non-trainable, updated by the train
// step), gamma and beta trainable weights, in Keras's weight order (gamma,
// beta, moving_mean, moving_variance).
//===----------------------------------------------------------------------===//

#include "frontend/keras/KerasLayers.h"

#include "dialects/kiln/IR/KilnDialect.h"
#include "dialects/kiln/Model/ImportedModel.h"

#include <cmath>

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

/// gamma (`scale`, default true) and beta (`center`, default true) of
/// `shape`, in Keras's order; each left null when its setting is false.
static LogicalResult addScaleAndCenter(LayerBuilder &layer,
                                       ArrayRef<int64_t> shape, Value &gamma,
                                       Value &beta) {
  if (layer.getBoolean("scale").value_or(true)) {
    FailureOr<Value> p =
        layer.addParam("gamma", shape, "gamma_initializer", "ones");
    if (failed(p))
      return failure();
    gamma = *p;
  }
  if (layer.getBoolean("center").value_or(true)) {
    FailureOr<Value> p =
        layer.addParam("beta", shape, "beta_initializer", "zeros");
    if (failed(p))
      return failure();
    beta = *p;
  }
  return success();
}

/// The config's `axis` (an integer or a list, `fallback` when absent) as
/// sorted static non-batch axes of `type`, or an error naming the layer.
static FailureOr<SmallVector<int64_t>>
staticAxes(LayerBuilder &layer, RankedTensorType type, int64_t fallback) {
  int64_t rank = type.getRank();
  SmallVector<int64_t> axes;
  if (const llvm::json::Value *value = layer.config.get("axis");
      value && value->kind() != llvm::json::Value::Null) {
    if (std::optional<int64_t> single = value->getAsInteger())
      axes.push_back(*single);
    else if (const llvm::json::Array *list = value->getAsArray())
      for (const llvm::json::Value &a : *list)
        axes.push_back(a.getAsInteger().value_or(0));
  } else {
    axes.push_back(fallback);
  }
  for (int64_t &axis : axes) {
    if (axis < -rank || axis >= rank || axis == 0 || axis == -rank ||
        ShapedType::isDynamic(type.getDimSize(axis < 0 ? axis + rank : axis))) {
      layer.emitError() << "'axis' must name static non-batch axes of "
                        << formatKerasShape(type.getShape());
      return failure();
    }
    axis = axis < 0 ? axis + rank : axis;
  }
  llvm::sort(axes);
  if (axes.empty() ||
      std::adjacent_find(axes.begin(), axes.end()) != axes.end()) {
    layer.emitError() << "'axis' must name distinct axes";
    return failure();
  }
  return axes;
}

/// A scalar constant of `type`'s element type.
static Value scalarConstant(LayerBuilder &layer, RankedTensorType type,
                            double value) {
  auto scalarType = RankedTensorType::get({}, type.getElementType());
  return ConstantOp::create(
      layer.builder, layer.loc,
      DenseElementsAttr::get(scalarType, static_cast<float>(value)));
}

/// 1 / sqrt(`v`), as Keras's rsqrt computes it.
static Value inverseSqrt(LayerBuilder &layer, RankedTensorType type, Value v) {
  OpBuilder &b = layer.builder;
  return DivOp::create(b, layer.loc, scalarConstant(layer, type, 1.0),
                       SqrtOp::create(b, layer.loc, v));
}

/// The layer's single input and its `axis` config as static non-batch axes
/// (the last when absent).
static FailureOr<std::pair<Value, SmallVector<int64_t>>>
inputAndAxes(LayerBuilder &layer, ArrayRef<Value> inputs) {
  FailureOr<Value> input = singleInput(layer, inputs, 0);
  if (failed(input))
    return failure();
  FailureOr<SmallVector<int64_t>> axes =
      staticAxes(layer, cast<RankedTensorType>(input->getType()), -1);
  if (failed(axes))
    return failure();
  return std::make_pair(*input, std::move(*axes));
}

/// Keras 3's normalization of `x` by its moments over `axes` (kept as size
/// 1): mean and biased variance, inv = rsqrt(variance + epsilon) * gamma,
/// y = x * inv + (beta - mean * inv), computed as (x - mean) * inv + beta:
/// the same value, but its gradient does not cancel in float32 when the
/// mean dwarfs the deviation (Keras's form differentiates to sum(g * x) -
/// mean * sum(g)). `gamma` and `beta` (null when off) broadcast against x.
static Value normalizeByMoments(LayerBuilder &layer, Value x,
                                ArrayRef<int64_t> axes, double epsilon,
                                Value gamma, Value beta) {
  OpBuilder &b = layer.builder;
  Location loc = layer.loc;
  auto type = cast<RankedTensorType>(x.getType());
  Value mean = ReduceMeanOp::create(b, loc, x, axes, /*keep_dims=*/true);
  Value centered = SubOp::create(b, loc, x, mean);
  Value variance = ReduceMeanOp::create(
      b, loc, MulOp::create(b, loc, centered, centered), axes,
      /*keep_dims=*/true);
  Value inv = inverseSqrt(
      layer, type,
      AddOp::create(b, loc, variance, scalarConstant(layer, type, epsilon)));
  if (gamma)
    inv = MulOp::create(b, loc, inv, gamma);
  Value y = MulOp::create(b, loc, centered, inv);
  return beta ? Value(AddOp::create(b, loc, y, beta)) : y;
}

// BatchNormalization(axis=-1, momentum=0.99, epsilon=1e-3, center=True,
// scale=True)
static FailureOr<Value> importBatchNormalization(LayerBuilder &layer,
                                                 ArrayRef<Value> inputs) {
  FailureOr<Value> input = singleInput(layer, inputs, 0);
  if (failed(input))
    return failure();
  Value x = *input;
  auto type = cast<RankedTensorType>(x.getType());
  int64_t rank = type.getRank();
  FailureOr<int64_t> channelAxis = singleAxis(layer, -1, "normalizing");
  if (failed(channelAxis))
    return failure();
  int64_t axis = *channelAxis;
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
  if (failed(addScaleAndCenter(layer, {channels}, gamma, beta)))
    return failure();
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
  // Inside TimeDistributed, Keras 3 normalizes each step by its own batch
  // statistics: the steps unfold from the batch axis, (B*T, ...) ->
  // (B, T, ...), and become the op's step axis.
  Value unfolded = x;
  IntegerAttr stepAxis;
  if (int64_t steps = layer.foldedSteps) {
    SmallVector<int64_t> shape{ShapedType::kDynamic, steps};
    shape.append(type.getShape().begin() + 1, type.getShape().end());
    unfolded = ReshapeOp::create(
        b, layer.loc, RankedTensorType::get(shape, type.getElementType()), x);
    axis = (axis < 0 ? axis + rank : axis) + 1;
    stepAxis = b.getI64IntegerAttr(1);
  }
  auto op = BatchNormOp::create(
      b, layer.loc, unfolded.getType(), unfolded, gamma, beta, *mean, *variance,
      b.getI64IntegerAttr(axis), b.getF64FloatAttr(*epsilon),
      b.getF64FloatAttr(*momentum),
      layer.isTrainable() ? UnitAttr() : b.getUnitAttr(), stepAxis);
  if (unfolded == x)
    return op.getResult();
  return ReshapeOp::create(b, layer.loc, type, op.getResult()).getResult();
}

// LayerNormalization(axis=-1, epsilon=1e-3, center=True, scale=True), as
// Keras 3 computes it: mean and (biased) variance over `axis` kept as size
// 1, inv = rsqrt(variance + epsilon) * gamma, y = x * inv + (beta -
// mean * inv).
static FailureOr<Value> importLayerNormalization(LayerBuilder &layer,
                                                 ArrayRef<Value> inputs) {
  FailureOr<Value> input = singleInput(layer, inputs, 0);
  if (failed(input))
    return failure();
  Value x = *input;
  auto type = cast<RankedTensorType>(x.getType());
  int64_t rank = type.getRank();
  FailureOr<SmallVector<int64_t>> parsedAxes = staticAxes(layer, type, -1);
  if (failed(parsedAxes))
    return failure();
  SmallVector<int64_t> axes = std::move(*parsedAxes);
  if (layer.getBoolean("rms_scaling").value_or(false)) {
    layer.emitError() << "'rms_scaling' is not supported";
    return failure();
  }
  std::optional<double> epsilon = number(layer, "epsilon", 1e-3);
  if (!epsilon || !(*epsilon > 0)) {
    layer.emitError() << "'epsilon' must be positive";
    return failure();
  }
  // gamma and beta have the normalized axes' shape.
  SmallVector<int64_t> paramShape;
  for (int64_t axis : axes)
    paramShape.push_back(type.getDimSize(axis));
  Value gamma, beta;
  if (failed(addScaleAndCenter(layer, paramShape, gamma, beta)))
    return failure();
  OpBuilder &b = layer.builder;
  Location loc = layer.loc;
  // Parameters broadcast against x: their axes in place, 1 elsewhere.
  auto broadcastable = [&](Value p) -> Value {
    if (axes.size() == 1 && axes[0] == rank - 1)
      return p;
    SmallVector<int64_t> shape(rank, 1);
    for (int64_t axis : axes)
      shape[axis] = type.getDimSize(axis);
    return ReshapeOp::create(
        b, loc, RankedTensorType::get(shape, type.getElementType()), p);
  };
  return normalizeByMoments(layer, x, axes, *epsilon,
                            gamma ? broadcastable(gamma) : Value(),
                            beta ? broadcastable(beta) : Value());
}

// UnitNormalization(axis=-1), Keras 3's ops.normalize(order=2, epsilon
// 1e-12): x * min(rsqrt(sum of x^2 over axis), 1e12), so a zero vector
// stays zero.
static FailureOr<Value> importUnitNormalization(LayerBuilder &layer,
                                                ArrayRef<Value> inputs) {
  auto parsed = inputAndAxes(layer, inputs);
  if (failed(parsed))
    return failure();
  auto &[x, axes] = *parsed;
  auto type = cast<RankedTensorType>(x.getType());
  OpBuilder &b = layer.builder;
  Location loc = layer.loc;
  Value squares = ReduceSumOp::create(b, loc, MulOp::create(b, loc, x, x),
                                      axes, /*keep_dims=*/true);
  Value inv = MinimumOp::create(b, loc, inverseSqrt(layer, type, squares),
                                scalarConstant(layer, type, 1e12));
  return MulOp::create(b, loc, x, inv).getResult();
}

// RMSNormalization(axis=-1, epsilon=1e-6), Keras 3's ops.rms_normalization:
// (x * rsqrt(mean of x^2 over `axis` + epsilon)) * scale, `scale` (ones) of
// the axes' shape, broadcast against x from the back as Keras multiplies it.
static FailureOr<Value> importRMSNormalization(LayerBuilder &layer,
                                               ArrayRef<Value> inputs) {
  auto parsed = inputAndAxes(layer, inputs);
  if (failed(parsed))
    return failure();
  Value x = parsed->first;
  ArrayRef<int64_t> axes = parsed->second;
  auto type = cast<RankedTensorType>(x.getType());
  std::optional<double> epsilon = number(layer, "epsilon", 1e-6);
  if (!epsilon || !(*epsilon >= 0) || !std::isfinite(*epsilon)) {
    layer.emitError() << "'epsilon' must be a finite number >= 0";
    return failure();
  }
  SmallVector<int64_t> scaleShape;
  for (int64_t axis : axes)
    scaleShape.push_back(type.getDimSize(axis));
  // Keras multiplies by the scale with NumPy broadcasting (aligned at the
  // back), which only trailing axes fit.
  int64_t rank = type.getRank();
  for (auto [i, axis] : llvm::enumerate(axes))
    if (axis != rank - int64_t(axes.size()) + int64_t(i)) {
      layer.emitError() << "'axis' must be the trailing axes (the scale "
                           "broadcasts against them)";
      return failure();
    }
  FailureOr<Value> scale = layer.addParam("scale", scaleShape, "", "ones");
  if (failed(scale))
    return failure();
  OpBuilder &b = layer.builder;
  Location loc = layer.loc;
  Value meanSquare = ReduceMeanOp::create(
      b, loc, MulOp::create(b, loc, x, x), axes, /*keep_dims=*/true);
  Value inv = inverseSqrt(
      layer, type,
      AddOp::create(b, loc, meanSquare, scalarConstant(layer, type, *epsilon)));
  return MulOp::create(b, loc, MulOp::create(b, loc, x, inv), *scale)
      .getResult();
}

// GroupNormalization(groups=32, axis=-1, epsilon=1e-3, center=True,
// scale=True), as Keras 3 computes it: the channels (`axis`) split into
// `groups` of C / groups, each sample's mean and (biased) variance over
// every axis but the batch and the group, inv = rsqrt(variance + epsilon)
// * gamma, y = x * inv + (beta - mean * inv) (normalizeByMoments).
static FailureOr<Value> importGroupNormalization(LayerBuilder &layer,
                                                 ArrayRef<Value> inputs) {
  FailureOr<Value> input = singleInput(layer, inputs, 0);
  if (failed(input))
    return failure();
  Value x = *input;
  auto type = cast<RankedTensorType>(x.getType());
  const llvm::json::Value *axisValue = layer.config.get("axis");
  if (axisValue && axisValue->getAsArray()) {
    layer.emitError() << "'axis' must be one axis";
    return failure();
  }
  FailureOr<SmallVector<int64_t>> axes = staticAxes(layer, type, -1);
  if (failed(axes))
    return failure();
  int64_t axis = axes->front(), rank = type.getRank();
  int64_t channels = type.getDimSize(axis);
  std::optional<double> groups = number(layer, "groups", 32);
  if (!groups || *groups < 1 || *groups != std::floor(*groups) ||
      channels % int64_t(*groups) != 0) {
    layer.emitError() << "'groups' must be a positive divisor of the "
                      << channels << " channels";
    return failure();
  }
  std::optional<double> epsilon = number(layer, "epsilon", 1e-3);
  if (!epsilon || !(*epsilon > 0)) {
    layer.emitError() << "'epsilon' must be positive";
    return failure();
  }
  Value gamma, beta;
  if (failed(addScaleAndCenter(layer, {channels}, gamma, beta)))
    return failure();
  OpBuilder &b = layer.builder;
  Location loc = layer.loc;
  int64_t g = int64_t(*groups);
  // x with the channels split into (groups, channels / groups).
  SmallVector<int64_t> grouped(type.getShape());
  grouped[axis] = channels / g;
  grouped.insert(grouped.begin() + axis, g);
  auto groupedType = type.clone(grouped);
  Value xg = ReshapeOp::create(b, loc, groupedType, x);
  SmallVector<int64_t> reduced;
  for (int64_t d = 1; d <= rank; ++d)
    if (d != axis)
      reduced.push_back(d);
  // gamma and beta as (groups, channels / groups) at the channels' place.
  SmallVector<int64_t> paramShape(rank + 1, 1);
  paramShape[axis] = g;
  paramShape[axis + 1] = channels / g;
  auto broadcastable = [&](Value p) -> Value {
    if (!p)
      return p;
    return ReshapeOp::create(
        b, loc, RankedTensorType::get(paramShape, type.getElementType()), p);
  };
  Value y = normalizeByMoments(layer, xg, reduced, *epsilon,
                               broadcastable(gamma), broadcastable(beta));
  return ReshapeOp::create(b, loc, type, y).getResult();
}

// Normalization(axis=-1, mean=None, variance=None, invert=False), Keras 3's
// preprocessing layer: (x - mean) / max(sqrt(variance), 1e-7), or with
// invert mean + x * max(sqrt(variance), 1e-7). The statistics come from the
// config when given there, else they are the layer's fixed weights (mean,
// variance, count, as adapt() leaves them).
static FailureOr<Value> importNormalization(LayerBuilder &layer,
                                            ArrayRef<Value> inputs) {
  FailureOr<Value> input = singleInput(layer, inputs, 2);
  if (failed(input))
    return failure();
  Value x = *input;
  auto type = cast<RankedTensorType>(x.getType());
  int64_t rank = type.getRank();
  std::optional<int64_t> axis = -1;
  if (const llvm::json::Value *v = layer.config.get("axis");
      v && v->kind() != llvm::json::Value::Null) {
    axis = v->getAsInteger();
    if (const llvm::json::Array *list = v->getAsArray();
        list && list->size() == 1)
      axis = (*list)[0].getAsInteger();
  }
  if (!axis || (*axis != -1 && *axis != rank - 1)) {
    layer.emitError() << "only 'axis' -1 (the last axis) is supported";
    return failure();
  }
  int64_t channels = type.getShape().back();
  OpBuilder &b = layer.builder;
  Location loc = layer.loc;
  auto vectorType = RankedTensorType::get({channels}, b.getF32Type());
  /// The config's statistic `key` as a constant (a number or a list of
  /// `channels` numbers); null when absent.
  auto fromConfig = [&](StringRef key) -> FailureOr<Value> {
    const llvm::json::Value *v = layer.config.get(key);
    if (!v || v->kind() == llvm::json::Value::Null)
      return Value();
    SmallVector<float> values;
    if (std::optional<double> d = v->getAsNumber())
      values.assign(channels, float(*d));
    else if (const llvm::json::Array *list = v->getAsArray();
             list && static_cast<int64_t>(list->size()) == channels)
      for (const llvm::json::Value &e : *list)
        values.push_back(float(e.getAsNumber().value_or(NAN)));
    if (static_cast<int64_t>(values.size()) != channels ||
        llvm::any_of(values, [](float f) { return !std::isfinite(f); })) {
      layer.emitError() << "'" << key << "' must be a number or " << channels
                        << " numbers";
      return failure();
    }
    return Value(ConstantOp::create(
        b, loc, DenseElementsAttr::get(vectorType, ArrayRef<float>(values))));
  };
  FailureOr<Value> mean = fromConfig("mean");
  FailureOr<Value> variance = fromConfig("variance");
  if (failed(mean) || failed(variance))
    return failure();
  if (bool(*mean) != bool(*variance)) {
    layer.emitError() << "'mean' and 'variance' must be given together";
    return failure();
  }
  if (!*mean) {
    using Role = LayerBuilder::ParamRole;
    FailureOr<Value> m =
        layer.addParam("mean", {channels}, "", "zeros", Role::Fixed);
    FailureOr<Value> v =
        layer.addParam("variance", {channels}, "", "ones", Role::Fixed);
    if (failed(m) || failed(v) ||
        failed(layer.addParam("count", {}, "", "zeros", Role::Fixed)))
      return failure();
    *mean = *m;
    *variance = *v;
  }
  auto scalarType = RankedTensorType::get({}, b.getF32Type());
  Value eps =
      ConstantOp::create(b, loc, DenseElementsAttr::get(scalarType, 1e-7f));
  Value scale =
      MaximumOp::create(b, loc, SqrtOp::create(b, loc, *variance), eps);
  if (layer.getBoolean("invert").value_or(false))
    return AddOp::create(b, loc, *mean, MulOp::create(b, loc, x, scale))
        .getResult();
  return DivOp::create(b, loc, SubOp::create(b, loc, x, *mean), scale)
      .getResult();
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
  static constexpr StringLiteral layerNormKeys[] = {"axis",
                                                    "epsilon",
                                                    "center",
                                                    "scale",
                                                    "rms_scaling",
                                                    "beta_initializer",
                                                    "gamma_initializer",
                                                    "beta_regularizer",
                                                    "gamma_regularizer",
                                                    "beta_constraint",
                                                    "gamma_constraint"};
  registry["LayerNormalization"] = {singleOutput<importLayerNormalization>,
                                    layerNormKeys};
  static constexpr StringLiteral unitNormKeys[] = {"axis"};
  registry["UnitNormalization"] = {singleOutput<importUnitNormalization>,
                                   unitNormKeys};
  static constexpr StringLiteral rmsNormKeys[] = {"axis", "epsilon"};
  registry["RMSNormalization"] = {singleOutput<importRMSNormalization>,
                                  rmsNormKeys};
  static constexpr StringLiteral groupNormKeys[] = {"groups",
                                                    "axis",
                                                    "epsilon",
                                                    "center",
                                                    "scale",
                                                    "beta_initializer",
                                                    "gamma_initializer",
                                                    "beta_regularizer",
                                                    "gamma_regularizer",
                                                    "beta_constraint",
                                                    "gamma_constraint"};
  registry["GroupNormalization"] = {singleOutput<importGroupNormalization>,
                                    groupNormKeys};
  static constexpr StringLiteral normalizationKeys[] = {"axis", "mean",
                                                        "variance", "invert"};
  registry["Normalization"] = {singleOutput<importNormalization>,
                               normalizationKeys};
  // Keras masks pass through these; BatchNormalization's statistics
  // would leave the masked steps out.
  for (StringRef name : {"LayerNormalization", "UnitNormalization",
                         "GroupNormalization", "Normalization"})
    registry[name].masks = MaskUse::Pass;
  registry["BatchNormalization"].masks = MaskUse::Refuse;
}
