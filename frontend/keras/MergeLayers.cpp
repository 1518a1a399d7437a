//===- MergeLayers.cpp - Keras merge layers ---------------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Concatenate (kiln.concat) and the elementwise merges Add, Subtract,
// Multiply, Average, Maximum and Minimum, folded left to right over the
// inputs as Keras does (Average: the sum, then divided by the count), with
// NumPy broadcasting. Dot is not supported.
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
  return ConcatOp::create(layer.builder, layer.loc, inputs, axis).getResult();
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
}
