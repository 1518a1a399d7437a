//===- GradientRulesReduction.cpp - Reduction VJPs --------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Vector-Jacobian products of the reductions: the gradient is broadcast
// back over the reduced axes.
// `g` is the gradient with respect to the op's result (conventions: the
// `rule` comment in GradientBuilder.h).
//===----------------------------------------------------------------------===//

#include "passes/autodiff/GradientBuilder.h"

namespace mlir::kiln {
using Grads = SmallVectorImpl<Value>;

static RankedTensorType typeOf(Value v) {
  return cast<RankedTensorType>(v.getType());
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

// d cumsum(x) = the gradient's running sums the other way (the same
// exclusiveness): x[j] reaches result[i] exactly when g[i] reaches dx[j].
static void rule(CumSumOp op, GradientBuilder &m, Value g, Grads &d) {
  d.push_back(CumSumOp::create(m.builder(), m.location(), g, op.getAxis(),
                               op.getExclusive(), !op.getReverse()));
}

} // namespace mlir::kiln

void mlir::kiln::registerReductionGradientRules(DialectRegistry &registry) {
  addVjpRules<ReduceSumOp, ReduceMeanOp, CumSumOp>(registry);
}
