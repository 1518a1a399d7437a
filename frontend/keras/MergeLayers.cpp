//===- MergeLayers.cpp - Keras merge layers ---------------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Concatenate (kiln.concat) and the elementwise merges Add, Subtract,
// Multiply, Average, Maximum and Minimum, folded left to right over the
// inputs as Keras does (Average: the sum, then divided by the count), with
// NumPy broadcasting; Dot of inputs of rank 2 or 3 (kiln.batch_matmul).
//===----------------------------------------------------------------------===//

#include "frontend/keras/KerasLayers.h"

#include "dialects/kiln/IR/KilnDialect.h"
#include "dialects/kiln/Model/ImportedModel.h"

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::keras;

namespace {

/// Checks the input count: at least two (exactly two for Subtract).
LogicalResult checkInputs(LayerBuilder &layer, ArrayRef<Value> inputs,
                          bool exactlyTwo) {
  if (exactlyTwo ? inputs.size() == 2 : inputs.size() >= 2)
    return success();
  layer.emitError() << "expects " << (exactlyTwo ? "exactly" : "at least")
                    << " 2 inputs, got " << inputs.size();
  return failure();
}

/// Folds `inputs` left to right with the broadcasting binary op `OpTy`,
/// checking the shapes first (an error names them, not an op).
template <typename OpTy>
FailureOr<Value> fold(LayerBuilder &layer, ArrayRef<Value> inputs) {
  Value result = inputs.front();
  for (Value input : inputs.drop_front()) {
    std::string reason;
    auto lhs = cast<RankedTensorType>(result.getType()),
         rhs = cast<RankedTensorType>(input.getType());
    if (failed(broadcastShapes(lhs.getShape(), rhs.getShape(), reason))) {
      layer.emitError() << "inputs of shapes "
                        << formatKerasShape(lhs.getShape()) << " and "
                        << formatKerasShape(rhs.getShape())
                        << " do not broadcast";
      return failure();
    }
    result = OpTy::create(layer.builder, layer.loc, result, input);
  }
  return result;
}

template <typename OpTy, bool ExactlyTwo = false>
FailureOr<Value> importElementwise(LayerBuilder &layer,
                                   ArrayRef<Value> inputs) {
  if (failed(checkInputs(layer, inputs, ExactlyTwo)))
    return failure();
  return fold<OpTy>(layer, inputs);
}

// Average: (x_1 + ... + x_n) / n
FailureOr<Value> importAverage(LayerBuilder &layer, ArrayRef<Value> inputs) {
  if (failed(checkInputs(layer, inputs, false)))
    return failure();
  FailureOr<Value> sum = fold<AddOp>(layer, inputs);
  if (failed(sum))
    return failure();
  auto type = RankedTensorType::get({}, layer.builder.getF32Type());
  Value count = ConstantOp::create(
      layer.builder, layer.loc,
      DenseElementsAttr::get(type, static_cast<float>(inputs.size())));
  return DivOp::create(layer.builder, layer.loc, *sum, count).getResult();
}

// Concatenate(axis=-1)
FailureOr<Value> importConcatenate(LayerBuilder &layer,
                                   ArrayRef<Value> inputs) {
  if (failed(checkInputs(layer, inputs, false)))
    return failure();
  int64_t axis = layer.getInteger("axis").value_or(-1);
  SmallVector<ArrayRef<int64_t>> shapes;
  int64_t rank = cast<RankedTensorType>(inputs[0].getType()).getRank();
  bool ok = axis >= -rank && axis < rank && axis != 0 && axis != -rank;
  int64_t a = axis < 0 ? axis + rank : axis;
  for (Value input : inputs) {
    auto type = cast<RankedTensorType>(input.getType());
    ok &= type.getRank() == rank;
    for (int64_t d = 1; ok && d < rank; ++d)
      ok &= d == a ||
            type.getDimSize(d) ==
                cast<RankedTensorType>(inputs[0].getType()).getDimSize(d);
  }
  if (!ok) {
    InFlightDiagnostic diag = layer.emitError();
    diag << "cannot concatenate shapes ";
    llvm::interleaveComma(inputs, diag, [&](Value v) {
      diag << formatKerasShape(cast<RankedTensorType>(v.getType()).getShape());
    });
    diag << " along axis " << axis;
    return failure();
  }
  OpBuilder &b = layer.builder;
  Location loc = layer.loc;
  if (llvm::any_of(layer.inputMasks, [](Value m) { return bool(m); })) {
    // Keras's compute_mask: each input's mask broadcast over its last axis
    // (all ones for an input without one), concatenated like the inputs,
    // then whether any entry along the last axis is set: along the time
    // axis the masks concatenated, along the features their logical or.
    SmallVector<Value> parts;
    auto scalarType = RankedTensorType::get({}, b.getF32Type());
    Value one =
        ConstantOp::create(b, loc, DenseElementsAttr::get(scalarType, 1.0f));
    for (auto [i, input] : llvm::enumerate(inputs)) {
      auto type = cast<RankedTensorType>(input.getType());
      Value zeros = ZerosOp::create(b, loc, type, input);
      Value mask = layer.inputMask(i);
      if (mask && cast<RankedTensorType>(mask.getType()).getShape() !=
                      type.getShape().drop_back()) {
        layer.emitError() << "input " << i << "'s mask has shape "
                          << formatKerasShape(cast<RankedTensorType>(
                                                  mask.getType())
                                                  .getShape())
                          << ", expected "
                          << formatKerasShape(type.getShape().drop_back());
        return failure();
      }
      if (mask) {
        SmallVector<int64_t> column(type.getShape().drop_back());
        column.push_back(1);
        mask = ReshapeOp::create(b, loc, type.clone(column), mask);
      }
      parts.push_back(AddOp::create(b, loc, zeros, mask ? mask : one));
    }
    layer.outputMasks.push_back(
        anyMask(b, loc, ConcatOp::create(b, loc, parts, axis), rank - 1));
  }
  return ConcatOp::create(b, loc, inputs, axis).getResult();
}

// Dot(axes, normalize=False) of two inputs of rank 2 or 3 over one axis
// each, as Keras's batch_dot: (B, K) . (B, K) -> (B, 1), (B, M, K) .
// (B, K, N) -> (B, M, N) (other axes by transposes), a rank-2 input's axis
// dropped from the result. With normalize, each input is first scaled by
// min(1 / ||x||, 1 / epsilon) along its axis, Keras 3's ops.normalize
// (epsilon 1e-7).
FailureOr<Value> importDot(LayerBuilder &layer, ArrayRef<Value> inputs) {
  if (failed(checkInputs(layer, inputs, /*exactlyTwo=*/true)))
    return failure();
  auto a = cast<RankedTensorType>(inputs[0].getType()),
       b = cast<RankedTensorType>(inputs[1].getType());
  int64_t ra = a.getRank(), rb = b.getRank();
  SmallVector<int64_t> axes;
  if (const llvm::json::Value *v = layer.config.get("axes")) {
    if (std::optional<int64_t> n = v->getAsInteger())
      axes = {*n, *n};
    else if (const llvm::json::Array *list = v->getAsArray())
      for (const llvm::json::Value &e : *list)
        axes.push_back(e.getAsInteger().value_or(0));
  }
  if (axes.size() != 2) {
    layer.emitError() << "'axes' must be an integer or a list of two";
    return failure();
  }
  if (ra < 2 || ra > 3 || rb < 2 || rb > 3) {
    layer.emitError() << "supports inputs of rank 2 or 3, got "
                      << formatKerasShape(a.getShape()) << " and "
                      << formatKerasShape(b.getShape());
    return failure();
  }
  // Negative axes count from the back; axis 0 is the batch.
  int64_t axisA = axes[0] < 0 ? axes[0] + ra : axes[0];
  int64_t axisB = axes[1] < 0 ? axes[1] + rb : axes[1];
  if (axisA <= 0 || axisA >= ra || axisB <= 0 || axisB >= rb ||
      a.getDimSize(axisA) != b.getDimSize(axisB)) {
    layer.emitError() << "cannot dot inputs of shapes "
                      << formatKerasShape(a.getShape()) << " and "
                      << formatKerasShape(b.getShape()) << " over axes ["
                      << axes[0] << ", " << axes[1] << "]";
    return failure();
  }
  OpBuilder &builder = layer.builder;
  Location loc = layer.loc;
  // normalize=True: x / max(||x||, 1e-7) along the dotted axis (Keras's
  // l2 normalization, epsilon backend.epsilon()).
  auto normalize = [&](Value x, int64_t axis) -> Value {
    if (!layer.getBoolean("normalize").value_or(false))
      return x;
    Value squares =
        ReduceSumOp::create(builder, loc, MulOp::create(builder, loc, x, x),
                            ArrayRef<int64_t>{axis}, true);
    auto type = RankedTensorType::get({}, builder.getF32Type());
    Value one =
        ConstantOp::create(builder, loc, DenseElementsAttr::get(type, 1.0f));
    Value cap =
        ConstantOp::create(builder, loc, DenseElementsAttr::get(type, 1e7f));
    Value inv =
        DivOp::create(builder, loc, one, SqrtOp::create(builder, loc, squares));
    return MulOp::create(builder, loc, x,
                         MinimumOp::create(builder, loc, inv, cap));
  };
  Value lhs = normalize(inputs[0], axisA);
  Value rhs = normalize(inputs[1], axisB);
  // (batch, features) . (batch, features): the rows' dot products, (B, 1).
  if (ra == 2 && rb == 2)
    return ReduceSumOp::create(builder, loc,
                               MulOp::create(builder, loc, lhs, rhs),
                               ArrayRef<int64_t>{1}, true)
        .getResult();
  // Keras's batch_dot: lhs as (B, M, K) with the dotted axis last, rhs as
  // (B, K, N) with it first (a rank-2 input gains a size-1 M or N), one
  // matrix product per sample, then the added axes dropped again.
  auto reshape = [&](Value x, ArrayRef<int64_t> shape) -> Value {
    return ReshapeOp::create(
        builder, loc, RankedTensorType::get(shape, a.getElementType()), x);
  };
  constexpr int64_t dyn = ShapedType::kDynamic;
  int64_t k = a.getDimSize(axisA);
  if (ra == 2)
    lhs = reshape(lhs, {dyn, 1, k});
  else if (axisA == 1)
    lhs = TransposeOp::create(builder, loc, lhs, ArrayRef<int64_t>{0, 2, 1});
  if (rb == 2)
    rhs = reshape(rhs, {dyn, k, 1});
  else if (axisB == 2)
    rhs = TransposeOp::create(builder, loc, rhs, ArrayRef<int64_t>{0, 2, 1});
  Value product = BatchMatMulOp::create(builder, loc, lhs, rhs);
  if (ra == 3 && rb == 3)
    return product;
  auto type = cast<RankedTensorType>(product.getType());
  return reshape(product,
                 {dyn, ra == 3 ? type.getDimSize(1) : type.getDimSize(2)});
}

} // namespace

void mlir::kiln::keras::registerMergeLayers(LayerRegistry &registry) {
  static constexpr StringLiteral concatKeys[] = {"axis"};
  registry["Concatenate"] = {singleOutput<importConcatenate>, concatKeys};
  registry["Add"] = {singleOutput<importElementwise<AddOp>>, {}};
  registry["Subtract"] = {singleOutput<importElementwise<SubOp, true>>, {}};
  registry["Multiply"] = {singleOutput<importElementwise<MulOp>>, {}};
  registry["Maximum"] = {singleOutput<importElementwise<MaximumOp>>, {}};
  registry["Minimum"] = {singleOutput<importElementwise<MinimumOp>>, {}};
  registry["Average"] = {singleOutput<importAverage>, {}};
  static constexpr StringLiteral dotKeys[] = {"axes", "normalize"};
  registry["Dot"] = {singleOutput<importDot>, dotKeys};
  // Keras masks: the elementwise merges carry the logical or of their
  // inputs'; Concatenate concatenates or ors them by axis (its handler);
  // Dot ends them (its handler sets none).
  for (StringRef name :
       {"Add", "Subtract", "Multiply", "Maximum", "Minimum", "Average"})
    registry[name].masks = MaskUse::Merge;
  registry["Concatenate"].masks = MaskUse::Handle;
  registry["Dot"].masks = MaskUse::Handle;
}
