//===- GradientRulesLoss.cpp - clip/one_hot VJPs ----------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Vector-Jacobian products of the ops Keras losses are built from besides
// the arithmetic: clip (epsilon clipping) and one_hot (sparse labels).
// `g` is the gradient with respect to the op's result (conventions: the
// `rule` comment in GradientBuilder.h).
//===----------------------------------------------------------------------===//

#include "passes/autodiff/GradientBuilder.h"

namespace mlir::kiln {
using Grads = SmallVectorImpl<Value>;

// clip'(x) = 1 where min <= x <= max, else 0 (TensorFlow's clip_by_value):
// 1 - step(min - x) - step(x - max)
static void rule(ClipOp op, GradientBuilder &m, Value g, Grads &d) {
  Value x = op.getInput();
  Value below = m.step(m.sub(m.scalar(x, op.getMin().convertToDouble()), x));
  Value above = m.step(m.sub(x, m.scalar(x, op.getMax().convertToDouble())));
  Value inside = m.sub(m.sub(m.scalar(x, 1), below), above);
  d.push_back(m.mul(g, inside));
}
// one_hot: class indices get no gradient.
static void rule(OneHotOp, GradientBuilder &, Value, Grads &d) {
  d.push_back({});
}

} // namespace mlir::kiln

void mlir::kiln::registerLossGradientRules(DialectRegistry &registry) {
  addVjpRules<ClipOp, OneHotOp>(registry);
}
