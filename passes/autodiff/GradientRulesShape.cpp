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

// zeros: constant in its operand, which only lends its batch size.
static void rule(ZerosOp, GradientBuilder &, Value, Grads &d) {
  d.push_back(Value());
}

} // namespace mlir::kiln

void mlir::kiln::registerShapeGradientRules(DialectRegistry &registry) {
  addVjpRules<ReshapeOp, TransposeOp, BroadcastOp, ZerosOp>(registry);
}
