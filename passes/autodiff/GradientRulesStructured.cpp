//===- GradientRulesStructured.cpp - VJPs of structured ops -----*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Vector-Jacobian products of matmul, softmax, the reductions and the shape
// ops. `g` is the gradient with respect to the op's result.
//===----------------------------------------------------------------------===//

#include "passes/autodiff/GradientBuilder.h"

using namespace mlir;
using namespace mlir::kiln;

namespace mlir::kiln {
using Grads = SmallVectorImpl<Value>;


static RankedTensorType typeOf(Value v) { return cast<RankedTensorType>(v.getType()); }

// d(A @ B) = (g @ B^T, A^T @ g)
static void rule(MatMulOp op, GradientBuilder &m, Value g, Grads &d) {
  d.push_back(m.matmul(g, m.transpose(op.getRhs(), {1, 0})));
  d.push_back(m.matmul(m.transpose(op.getLhs(), {1, 0}), g));
}
// softmax'(x)^T g = y * (g - sum(g * y, axis))
static void rule(SoftmaxOp op, GradientBuilder &m, Value g, Grads &d) {
  Value y = op.getResult();
  Value dot = m.reduceSum(m.mul(g, y), {op.getNormalizedAxis()},
                          /*keepDims=*/true);
  d.push_back(m.mul(y, m.sub(g, dot)));
}
// log_softmax'(x)^T g = g - exp(y) * sum(g, axis)
static void rule(LogSoftmaxOp op, GradientBuilder &m, Value g, Grads &d) {
  Value sum = m.reduceSum(g, {op.getNormalizedAxis()}, /*keepDims=*/true);
  Value softmax = m.exp(op.getResult());
  d.push_back(m.sub(g, m.mul(softmax, sum)));
}
// one_hot: class indices get no gradient.
static void rule(OneHotOp, GradientBuilder &, Value, Grads &d) {
  d.push_back({});
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

/// The gradient of a reduction's result, reshaped to keep-dims form.
template <typename OpTy>
static Value keepDims(OpTy op, GradientBuilder &m, Value g) {
  if (op.getKeepDims())
    return g;
  SmallVector<int64_t> shape(typeOf(op.getInput()).getShape());
  for (int64_t axis : op.getNormalizedAxes())
    shape[axis] = 1;
  return m.reshape(g, RankedTensorType::get(shape, typeOf(g).getElementType()));
}
// d sum(x) = broadcast(g)
static void rule(ReduceSumOp op, GradientBuilder &m, Value g, Grads &d) {
  d.push_back(m.broadcast(keepDims(op, m, g), op.getInput()));
}
// d mean(x) = broadcast(g / count), count = sum(ones) over the axes
static void rule(ReduceMeanOp op, GradientBuilder &m, Value g, Grads &d) {
  Value x = op.getInput();
  Value ones = m.broadcast(m.scalar(x, 1), x);
  Value count = m.reduceSum(ones, op.getNormalizedAxes(), /*keepDims=*/true);
  Value mean = m.div(keepDims(op, m, g), count);
  d.push_back(m.broadcast(mean, x));
}

} // namespace mlir::kiln

void mlir::kiln::registerStructuredGradientRules(MLIRContext *context) {
  attachVjpRules<MatMulOp, SoftmaxOp, LogSoftmaxOp, OneHotOp, ReshapeOp, TransposeOp, BroadcastOp,
         ReduceSumOp, ReduceMeanOp>(context);
}
