//===- GradientBuilder.cpp - Building kiln math in gradient rules -*- C++ -*-=//
// SPDX-License-Identifier: Apache-2.0
//===----------------------------------------------------------------------===//

#include "passes/autodiff/GradientBuilder.h"

using namespace mlir;
using namespace mlir::kiln;

static RankedTensorType typeOf(Value v) {
  return cast<RankedTensorType>(v.getType());
}

Value GradientBuilder::scalar(Value like, double value) {
  Type element = typeOf(like).getElementType();
  auto type = RankedTensorType::get({}, element);
  return ConstantOp::create(
      b, loc, DenseElementsAttr::get(type, b.getFloatAttr(element, value)));
}

// The ops infer their result types (each shape rule lives in its op).
template <typename OpTy> Value GradientBuilder::binary(Value lhs, Value rhs) {
  return OpTy::create(b, loc, lhs, rhs);
}

template Value GradientBuilder::binary<AddOp>(Value, Value);
template Value GradientBuilder::binary<SubOp>(Value, Value);
template Value GradientBuilder::binary<MulOp>(Value, Value);
template Value GradientBuilder::binary<DivOp>(Value, Value);

Value GradientBuilder::matmul(Value lhs, Value rhs) {
  return MatMulOp::create(b, loc, lhs, rhs);
}

Value GradientBuilder::transpose(Value x, ArrayRef<int64_t> permutation) {
  return TransposeOp::create(b, loc, x, permutation);
}

Value GradientBuilder::rows(Value x) {
  auto type = cast<RankedTensorType>(x.getType());
  if (type.getRank() == 2)
    return x;
  int64_t lead = ShapedType::kDynamic;
  if (type.hasStaticShape()) {
    lead = 1;
    for (int64_t dim : type.getShape().drop_back())
      lead *= dim;
  }
  return reshape(x, RankedTensorType::get({lead, type.getShape().back()},
                                          type.getElementType()));
}

Value GradientBuilder::reshape(Value x, RankedTensorType type) {
  auto target =
      RankedTensorType::get(type.getShape(), typeOf(x).getElementType());
  if (target == typeOf(x))
    return x;
  return ReshapeOp::create(b, loc, target, x);
}

Value GradientBuilder::broadcast(Value x, Value reference) {
  auto type = RankedTensorType::get(typeOf(reference).getShape(),
                                    typeOf(x).getElementType());
  if (type == typeOf(x))
    return x;
  return BroadcastOp::create(b, loc, type, x, reference);
}

Value GradientBuilder::reduceSum(Value x, ArrayRef<int64_t> axes,
                                 bool keepDims) {
  return ReduceSumOp::create(b, loc, x, axes, keepDims);
}

Value GradientBuilder::sumToShape(Value grad, RankedTensorType type) {
  RankedTensorType gradType = typeOf(grad);
  if (gradType.getShape() == type.getShape())
    return grad;
  int64_t lead = gradType.getRank() - type.getRank();
  SmallVector<int64_t> axes;
  for (int64_t i = 0; i < gradType.getRank(); ++i)
    if (i < lead ||
        (type.getDimSize(i - lead) == 1 && gradType.getDimSize(i) != 1))
      axes.push_back(i);
  Value summed = axes.empty() ? grad : reduceSum(grad, axes, /*keepDims=*/true);
  return reshape(summed, type);
}

Value GradientBuilder::zerosLike(Value like) {
  RankedTensorType type = typeOf(like);
  if (type.hasStaticShape())
    return ConstantOp::create(
        b, loc,
        DenseElementsAttr::get(type,
                               b.getFloatAttr(type.getElementType(), 0.0)));
  return broadcast(scalar(like, 0.0), like);
}
