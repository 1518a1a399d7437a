//===- GradientRulesShape.cpp - Shape op VJPs -------------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Vector-Jacobian products of the shape ops: the inverse reshape or
// permutation of the gradient.
// `g` is the gradient with respect to the op's result (conventions: the
// `rule` comment in GradientBuilder.h).
//===----------------------------------------------------------------------===//

#include "passes/autodiff/GradientBuilder.h"

namespace mlir::kiln {
using Grads = SmallVectorImpl<Value>;

static RankedTensorType typeOf(Value v) {
  return cast<RankedTensorType>(v.getType());
}

// reshape: reshape the gradient back.
static void rule(ReshapeOp op, GradientBuilder &m, Value g, Grads &d) {
  d.push_back(m.reshape(g, typeOf(op.getInput())));
}
// transpose: transpose back with the inverse permutation.
static void rule(TransposeOp op, GradientBuilder &m, Value g, Grads &d) {
  ArrayRef<int64_t> perm = op.getPermutation();
  SmallVector<int64_t> inverse(perm.size());
  for (auto [i, p] : llvm::enumerate(perm))
    inverse[p] = i;
  d.push_back(m.transpose(g, inverse));
}
// broadcast: g at the broadcast shape (the walk sums it back); the
// reference only lends its shape.
static void rule(BroadcastOp, GradientBuilder &, Value g, Grads &d) {
  d.append({g, Value()});
}

// concat: each input's slice of the gradient.
static void rule(ConcatOp op, GradientBuilder &m, Value g, Grads &d) {
  int64_t axis = op.getNormalizedAxis();
  int64_t start = 0;
  for (Value input : op.getInputs()) {
    int64_t size = cast<RankedTensorType>(input.getType()).getDimSize(axis);
    d.push_back(
        SliceOp::create(m.builder(), m.location(), g, axis, start, size));
    start += size;
  }
}
// slice: the gradient in its range, zeros around it.
static void rule(SliceOp op, GradientBuilder &m, Value g, Grads &d) {
  int64_t axis = op.getNormalizedAxis();
  SmallVector<Value> parts;
  auto zeros = [&](int64_t size) {
    return Value(SliceOp::create(m.builder(), m.location(),
                                 m.zerosLike(op.getInput()), axis, 0, size));
  };
  int64_t start = static_cast<int64_t>(op.getStart()),
          size = static_cast<int64_t>(op.getSize());
  if (start > 0)
    parts.push_back(zeros(start));
  parts.push_back(g);
  int64_t after = op.getInput().getType().getDimSize(axis) - start - size;
  if (after > 0)
    parts.push_back(zeros(after));
  d.push_back(parts.size() == 1
                  ? g
                  : ConcatOp::create(m.builder(), m.location(), parts, axis)
                        .getResult());
}
// zeros: constant in its operand, which only lends its batch size.
static void rule(ZerosOp, GradientBuilder &, Value, Grads &d) {
  d.push_back(Value());
}

} // namespace mlir::kiln

void mlir::kiln::registerShapeGradientRules(DialectRegistry &registry) {
  addVjpRules<ReshapeOp, TransposeOp, BroadcastOp, ZerosOp, ConcatOp, SliceOp>(
      registry);
}
