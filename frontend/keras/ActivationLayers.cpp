//===- ActivationLayers.cpp - Keras activation layers -----------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// The activation layers, on kiln's elementwise ops:
//  - ReLU(max_value, negative_slope, threshold): relu(x) - slope * relu(-x),
//    clipped to [0, max_value] first (exact: one of the two terms is zero);
//    with a threshold t, as Keras computes it: x * (x > t), clipped, minus
//    slope * relu(t - x);
//  - LeakyReLU(negative_slope, Keras 2's alpha): relu(x) - slope * relu(-x);
//  - PReLU: the same with a learned slope per element (shared_axes
//    broadcast one slope);
//  - ELU(alpha), Softmax(axis);
//  - Rescaling(scale, offset): x * scale + offset.
//===----------------------------------------------------------------------===//

#include "frontend/keras/KerasLayers.h"

#include "dialects/kiln/IR/KilnDialect.h"
#include "dialects/kiln/Model/ImportedModel.h"

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::keras;

namespace {

/// A number config value; `fallback` when absent or null, failure (with an
/// error) when it is not a finite number.
FailureOr<double> number(LayerBuilder &layer, StringRef key,
                         std::optional<double> fallback) {
  const llvm::json::Value *v = layer.config.get(key);
  if ((!v || v->kind() == llvm::json::Value::Null) && fallback)
    return *fallback;
  if (v)
    if (std::optional<double> d = v->getAsNumber(); d && std::isfinite(*d))
      return *d;
  layer.emitError() << "'" << key << "' must be a finite number";
  return failure();
}

Value scalar(LayerBuilder &layer, double value) {
  auto type = RankedTensorType::get({}, layer.builder.getF32Type());
  return ConstantOp::create(layer.builder, layer.loc,
                            DenseElementsAttr::get(type, float(value)));
}

/// relu(x) - slope * relu(-x), slope a scalar or a tensor.
Value leaky(LayerBuilder &layer, Value x, Value slope) {
  OpBuilder &b = layer.builder;
  Location loc = layer.loc;
  Value pos = ReluOp::create(b, loc, x);
  Value neg = ReluOp::create(b, loc, NegOp::create(b, loc, x));
  return SubOp::create(b, loc, pos, MulOp::create(b, loc, neg, slope));
}

// ReLU(max_value=None, negative_slope=0, threshold=0)
FailureOr<Value> importReLU(LayerBuilder &layer, ArrayRef<Value> inputs) {
  FailureOr<Value> x = singleInput(layer, inputs, 0);
  FailureOr<double> slope = number(layer, "negative_slope", 0.0);
  FailureOr<double> threshold = number(layer, "threshold", 0.0);
  if (failed(x) || failed(slope) || failed(threshold))
    return failure();
  if (*threshold < 0) {
    layer.emitError() << "'threshold' must not be negative";
    return failure();
  }
  std::optional<double> maxValue;
  if (const llvm::json::Value *v = layer.config.get("max_value");
      v && v->kind() != llvm::json::Value::Null) {
    FailureOr<double> m = number(layer, "max_value", std::nullopt);
    if (failed(m))
      return failure();
    if (*m < 0) {
      layer.emitError() << "'max_value' must not be negative";
      return failure();
    }
    maxValue = *m;
  }
  OpBuilder &b = layer.builder;
  Location loc = layer.loc;
  if (*threshold != 0) {
    // x * (x > t): the comparison selects, its gradient is the mask.
    auto type = cast<RankedTensorType>(x->getType());
    Value above = CastOp::create(
        b, loc, type,
        GreaterOp::create(b, loc, *x, scalar(layer, *threshold)));
    Value y = MulOp::create(b, loc, *x, above);
    if (maxValue)
      y = ClipOp::create(b, loc, y, b.getF64FloatAttr(0.0),
                         b.getF64FloatAttr(*maxValue));
    if (*slope == 0)
      return y;
    Value below = ReluOp::create(
        b, loc, SubOp::create(b, loc, scalar(layer, *threshold), *x));
    return SubOp::create(b, loc, y,
                         MulOp::create(b, loc, below, scalar(layer, *slope)))
        .getResult();
  }
  Value pos =
      maxValue ? Value(ClipOp::create(b, layer.loc, *x, b.getF64FloatAttr(0.0),
                                      b.getF64FloatAttr(*maxValue)))
               : Value(ReluOp::create(b, layer.loc, *x));
  if (*slope == 0)
    return pos;
  Value neg = ReluOp::create(b, layer.loc, NegOp::create(b, layer.loc, *x));
  return SubOp::create(b, layer.loc, pos,
                       MulOp::create(b, layer.loc, neg, scalar(layer, *slope)))
      .getResult();
}

// LeakyReLU(negative_slope=0.3); Keras 2 names it alpha.
FailureOr<Value> importLeakyReLU(LayerBuilder &layer, ArrayRef<Value> inputs) {
  FailureOr<Value> x = singleInput(layer, inputs, 0);
  if (failed(x))
    return failure();
  StringRef key = layer.config.get("alpha") ? "alpha" : "negative_slope";
  FailureOr<double> slope = number(layer, key, 0.3);
  if (failed(slope))
    return failure();
  return leaky(layer, *x, scalar(layer, *slope));
}

// PReLU(alpha_initializer=zeros, shared_axes=None)
FailureOr<Value> importPReLU(LayerBuilder &layer, ArrayRef<Value> inputs) {
  FailureOr<Value> x = singleInput(layer, inputs, 2);
  if (failed(x))
    return failure();
  ArrayRef<int64_t> shape = cast<RankedTensorType>(x->getType()).getShape();
  SmallVector<int64_t> alphaShape(shape.drop_front());
  if (const llvm::json::Value *v = layer.config.get("shared_axes");
      v && v->kind() != llvm::json::Value::Null) {
    const llvm::json::Array *axes = v->getAsArray();
    std::optional<int64_t> single = v->getAsInteger();
    SmallVector<int64_t> list;
    if (single)
      list.push_back(*single);
    else if (axes)
      for (const llvm::json::Value &a : *axes)
        list.push_back(a.getAsInteger().value_or(0));
    for (int64_t axis : list) {
      if (axis < 1 || axis >= static_cast<int64_t>(shape.size()) ||
          (!single && !axes)) {
        layer.emitError() << "'shared_axes' must name axes 1.."
                          << shape.size() - 1;
        return failure();
      }
      alphaShape[axis - 1] = 1;
    }
  }
  if (llvm::any_of(alphaShape, ShapedType::isDynamic)) {
    layer.emitError() << "expects an input with known sizes, got "
                      << formatKerasShape(shape);
    return failure();
  }
  FailureOr<Value> alpha =
      layer.addParam("alpha", alphaShape, "alpha_initializer", "zeros");
  if (failed(alpha))
    return failure();
  return leaky(layer, *x, *alpha);
}

// ELU(alpha=1.0)
FailureOr<Value> importELU(LayerBuilder &layer, ArrayRef<Value> inputs) {
  FailureOr<Value> x = singleInput(layer, inputs, 0);
  FailureOr<double> alpha = number(layer, "alpha", 1.0);
  if (failed(x) || failed(alpha))
    return failure();
  return EluOp::create(layer.builder, layer.loc, *x,
                       layer.builder.getF32FloatAttr(*alpha))
      .getResult();
}

// Softmax(axis=-1)
FailureOr<Value> importSoftmax(LayerBuilder &layer, ArrayRef<Value> inputs) {
  FailureOr<Value> x = singleInput(layer, inputs, 1);
  if (failed(x))
    return failure();
  int64_t rank = cast<RankedTensorType>(x->getType()).getRank();
  FailureOr<int64_t> softmaxAxis = singleAxis(layer, -1, "a softmax");
  if (failed(softmaxAxis))
    return failure();
  int64_t axis = *softmaxAxis;
  if (axis < -rank || axis >= rank) {
    layer.emitError() << "'axis' " << axis << " is out of range for rank "
                      << rank << " (one integer axis is supported)";
    return failure();
  }
  return SoftmaxOp::create(layer.builder, layer.loc, *x,
                           layer.builder.getI64IntegerAttr(axis))
      .getResult();
}

// Rescaling(scale, offset=0): x * scale + offset
FailureOr<Value> importRescaling(LayerBuilder &layer, ArrayRef<Value> inputs) {
  FailureOr<Value> x = singleInput(layer, inputs, 0);
  FailureOr<double> scale = number(layer, "scale", std::nullopt);
  FailureOr<double> offset = number(layer, "offset", 0.0);
  if (failed(x) || failed(scale) || failed(offset))
    return failure();
  OpBuilder &b = layer.builder;
  Value y = MulOp::create(b, layer.loc, *x, scalar(layer, *scale));
  return AddOp::create(b, layer.loc, y, scalar(layer, *offset)).getResult();
}

} // namespace

void mlir::kiln::keras::registerActivationLayers(LayerRegistry &registry) {
  static constexpr StringLiteral reluKeys[] = {"max_value", "negative_slope",
                                               "threshold"};
  static constexpr StringLiteral leakyKeys[] = {"negative_slope", "alpha"};
  static constexpr StringLiteral preluKeys[] = {
      "alpha_initializer", "alpha_regularizer", "alpha_constraint",
      "shared_axes"};
  static constexpr StringLiteral eluKeys[] = {"alpha"};
  static constexpr StringLiteral softmaxKeys[] = {"axis"};
  static constexpr StringLiteral rescalingKeys[] = {"scale", "offset"};
  registry["ReLU"] = {singleOutput<importReLU>, reluKeys};
  registry["LeakyReLU"] = {singleOutput<importLeakyReLU>, leakyKeys};
  registry["PReLU"] = {singleOutput<importPReLU>, preluKeys};
  registry["ELU"] = {singleOutput<importELU>, eluKeys};
  registry["Softmax"] = {singleOutput<importSoftmax>, softmaxKeys};
  registry["Rescaling"] = {singleOutput<importRescaling>, rescalingKeys};
  // Keras masks pass through; its Softmax adds -1e9 where they are 0.
  for (StringRef name : {"ReLU", "LeakyReLU", "PReLU", "ELU", "Rescaling"})
    registry[name].masks = MaskUse::Pass;
  registry["Softmax"].masks = MaskUse::Refuse;
}
