//===- GradientRulesNormalization.cpp - Softmax VJPs ------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Vector-Jacobian products of the normalizations (softmax, log_softmax)
// along their axis.
// `g` is the gradient with respect to the op's result (conventions: the
// `rule` comment in GradientBuilder.h).
//===----------------------------------------------------------------------===//

#include "passes/autodiff/GradientBuilder.h"

namespace mlir::kiln {
using Grads = SmallVectorImpl<Value>;

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

} // namespace mlir::kiln

void mlir::kiln::registerNormalizationGradientRules(DialectRegistry &registry) {
  addVjpRules<SoftmaxOp, LogSoftmaxOp>(registry);
}
