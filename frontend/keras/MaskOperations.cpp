//===- MaskOperations.cpp - Keras 3's mask operations -----------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// A Keras 3 functional graph records how it computes its masks as
// operation nodes (keras.ops): NotEqual of Embedding's ids and 0
// (mask_zero), Any over the features of NotEqual(x, mask_value) (Masking),
// LogicalOr of the inputs' masks (the elementwise merges), LogicalAnd,
// ConvertToTensor (the query's mask after Attention), and ExpandDims,
// ZerosLike and Concatenate (Concatenate's masks); a
// layer that reads a mask gets it as its call's `mask` argument. kiln
// imports these operations on masks only: their results are booleans held
// as float 0/1 (the importer's mask format), which only these operations
// and `mask` arguments may take.
//===----------------------------------------------------------------------===//

#include "frontend/keras/KerasLayers.h"

#include "dialects/kiln/IR/KilnDialect.h"

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::keras;

namespace {

RankedTensorType typeOf(Value v) {
  return cast<RankedTensorType>(v.getType());
}

/// Float 0/1 of a boolean tensor.
Value toMask(OpBuilder &b, Location loc, Value predicate) {
  return CastOp::create(b, loc, typeOf(predicate).clone(b.getF32Type()),
                        predicate);
}

/// NotEqual(x, c): x a tensor, c a number (the call's second positional
/// argument), compared in x's element type.
FailureOr<Value> importNotEqual(LayerBuilder &layer, ArrayRef<Value> inputs) {
  const llvm::json::Array *args = layer.positionalArguments;
  std::optional<double> constant;
  if (args && args->size() == 2)
    constant = (*args)[1].getAsNumber();
  if (inputs.size() != 1 || !constant) {
    layer.emitError() << "kiln imports NotEqual of a tensor and a number "
                         "only (how Keras computes a mask)";
    return failure();
  }
  OpBuilder &b = layer.builder;
  Location loc = layer.loc;
  RankedTensorType type = typeOf(inputs[0]);
  auto scalar = RankedTensorType::get({}, type.getElementType());
  Attribute c = isa<FloatType>(type.getElementType())
                    ? Attribute(b.getFloatAttr(type.getElementType(), *constant))
                    : Attribute(b.getIntegerAttr(type.getElementType(),
                                                 static_cast<int64_t>(*constant)));
  if (!isa<FloatType>(type.getElementType()) &&
      static_cast<double>(static_cast<int64_t>(*constant)) != *constant) {
    layer.emitError() << "compares integers with " << *constant;
    return failure();
  }
  Value constantOp =
      ConstantOp::create(b, loc, DenseElementsAttr::get(scalar, {c}));
  return toMask(b, loc,
                LogicalNotOp::create(
                    b, loc, EqualOp::create(b, loc, inputs[0], constantOp)));
}

/// Any(x, axis): whether any entry along `axis` is true.
FailureOr<Value> importAny(LayerBuilder &layer, ArrayRef<Value> inputs) {
  std::optional<int64_t> axis = layer.getInteger("axis");
  bool keepDims = layer.getBoolean("keepdims").value_or(false);
  int64_t rank = inputs.size() == 1 ? typeOf(inputs[0]).getRank() : 0;
  if (axis && *axis < 0)
    *axis += rank;
  if (inputs.size() != 1 || !axis || *axis < 1 || *axis >= rank) {
    layer.emitError() << "kiln imports Any over one axis after the batch "
                         "only";
    return failure();
  }
  return anyMask(layer.builder, layer.loc, inputs[0], *axis, keepDims);
}

/// LogicalOr / LogicalAnd of two masks: their maximum / product.
template <bool Or>
FailureOr<Value> importLogical(LayerBuilder &layer, ArrayRef<Value> inputs) {
  if (inputs.size() != 2) {
    layer.emitError() << "expects two masks, got " << inputs.size()
                      << " inputs";
    return failure();
  }
  OpBuilder &b = layer.builder;
  if (Or)
    return MaximumOp::create(b, layer.loc, inputs[0], inputs[1]).getResult();
  return MulOp::create(b, layer.loc, inputs[0], inputs[1]).getResult();
}

/// ExpandDims(x, axis): a unit axis inserted.
FailureOr<Value> importExpandDims(LayerBuilder &layer, ArrayRef<Value> inputs) {
  std::optional<int64_t> axis = layer.getInteger("axis");
  int64_t rank = inputs.size() == 1 ? typeOf(inputs[0]).getRank() : 0;
  if (axis && *axis < 0)
    *axis += rank + 1;
  if (inputs.size() != 1 || !axis || *axis < 1 || *axis > rank) {
    layer.emitError() << "kiln imports ExpandDims of one tensor at an axis "
                         "after the batch only";
    return failure();
  }
  RankedTensorType type = typeOf(inputs[0]);
  SmallVector<int64_t> shape(type.getShape());
  shape.insert(shape.begin() + *axis, 1);
  return ReshapeOp::create(layer.builder, layer.loc, type.clone(shape),
                           inputs[0])
      .getResult();
}

/// ZerosLike(x, dtype="bool"): false everywhere, shaped like x (how Keras
/// broadcasts a mask over the features before concatenating).
FailureOr<Value> importZerosLike(LayerBuilder &layer, ArrayRef<Value> inputs) {
  if (inputs.size() != 1 || layer.getString("dtype") != "bool") {
    layer.emitError() << "kiln imports ZerosLike of one tensor with dtype "
                         "bool only (a mask)";
    return failure();
  }
  RankedTensorType type = typeOf(inputs[0]);
  return ZerosOp::create(layer.builder, layer.loc,
                         type.clone(layer.builder.getF32Type()), inputs[0])
      .getResult();
}

/// Concatenate of masks (Keras's Concatenate.compute_mask) along `axis`.
FailureOr<Value> importConcatenateMasks(LayerBuilder &layer,
                                        ArrayRef<Value> inputs) {
  int64_t axis = layer.getInteger("axis").value_or(-1);
  int64_t rank = inputs.empty() ? 0 : typeOf(inputs[0]).getRank();
  bool ok = !inputs.empty() && axis >= -rank && axis < rank &&
            axis != 0 && axis != -rank;
  int64_t a = axis < 0 ? axis + rank : axis;
  for (Value input : inputs)
    for (int64_t d = 1; ok && d < rank; ++d)
      ok = typeOf(input).getRank() == rank &&
           (d == a || typeOf(input).getDimSize(d) ==
                          typeOf(inputs[0]).getDimSize(d));
  if (!ok) {
    layer.emitError() << "cannot concatenate its masks along axis " << axis;
    return failure();
  }
  return ConcatOp::create(layer.builder, layer.loc, inputs, axis).getResult();
}

/// ConvertToTensor of a mask (Attention's compute_mask): the mask.
FailureOr<Value> importConvertToTensor(LayerBuilder &layer,
                                       ArrayRef<Value> inputs) {
  if (inputs.size() != 1) {
    layer.emitError() << "expects 1 input, got " << inputs.size();
    return failure();
  }
  return inputs[0];
}

} // namespace

Value mlir::kiln::keras::anyMask(OpBuilder &b, Location loc, Value mask,
                                 int64_t axis, bool keepDims) {
  Value count =
      ReduceSumOp::create(b, loc, mask, ArrayRef<int64_t>{axis}, keepDims);
  auto scalar = RankedTensorType::get({}, b.getF32Type());
  Value zero = ConstantOp::create(b, loc, DenseElementsAttr::get(scalar, 0.0f));
  return toMask(b, loc, GreaterOp::create(b, loc, count, zero));
}

void mlir::kiln::keras::registerMaskOperations(LayerRegistry &registry) {
  static constexpr StringLiteral anyKeys[] = {"axis", "keepdims"};
  static constexpr StringLiteral axisKeys[] = {"axis"};
  static constexpr StringLiteral dtypeKeys[] = {"dtype"};
  registry["ops.NotEqual"] = {singleOutput<importNotEqual>, {}, nullptr,
                              /*integerInputs=*/true};
  registry["ops.Any"] = {singleOutput<importAny>, anyKeys};
  registry["ops.LogicalOr"] = {singleOutput<importLogical<true>>, {}};
  registry["ops.LogicalAnd"] = {singleOutput<importLogical<false>>, {}};
  // Their outputs count as booleans (what a float fed to them would be
  // refused as downstream).
  registry["ops.ConvertToTensor"] = {singleOutput<importConvertToTensor>, {}};
  registry["ops.ExpandDims"] = {singleOutput<importExpandDims>, axisKeys};
  registry["ops.ZerosLike"] = {singleOutput<importZerosLike>, dtypeKeys,
                               nullptr, /*integerInputs=*/true};
  registry["ops.Concatenate"] = {singleOutput<importConcatenateMasks>,
                                 axisKeys};
  for (StringRef name :
       {"NotEqual", "Any", "LogicalOr", "LogicalAnd", "ConvertToTensor",
        "ExpandDims", "ZerosLike", "Concatenate"}) {
    LayerKind &kind = registry["ops." + name.str()];
    kind.logical = true;
    // Masks of masks: none (their handlers set no output mask).
    kind.masks = MaskUse::Handle;
  }
}
