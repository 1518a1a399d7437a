//===- GradientRulesElementwiseBinary.cpp - Binary VJPs ---------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Vector-Jacobian products of the broadcasting binary ops (and select). Each
// operand's gradient is at the broadcast result shape: the generic walk sums it
// back to the operand's shape.
// `g` is the gradient with respect to the op's result (conventions: the
// `rule` comment in GradientBuilder.h).
//===----------------------------------------------------------------------===//

#include "passes/autodiff/GradientBuilder.h"

namespace mlir::kiln {
using Grads = SmallVectorImpl<Value>;

// d(a + b) = (g, g)
static void rule(AddOp, GradientBuilder &, Value g, Grads &d) {
  d.append({g, g});
}
// d(a - b) = (g, -g)
static void rule(SubOp, GradientBuilder &m, Value g, Grads &d) {
  d.append({g, m.neg(g)});
}
// d(a * b) = (g * b, g * a)
static void rule(MulOp op, GradientBuilder &m, Value g, Grads &d) {
  d.append({m.mul(g, op.getRhs()), m.mul(g, op.getLhs())});
}
// d(a / b) = (g / b, -g * y / b)
static void rule(DivOp op, GradientBuilder &m, Value g, Grads &d) {
  Value ga = m.div(g, op.getRhs());
  d.append({ga, m.neg(m.mul(ga, op.getResult()))});
}
// d fmod(a, b) = (g, -g * trunc(a / b)), trunc(a / b) = (a - y) / b
// (TensorFlow's FloorMod rule, for the truncated quotient)
static void rule(RemOp op, GradientBuilder &m, Value g, Grads &d) {
  Value quotient = m.div(m.sub(op.getLhs(), op.getResult()), op.getRhs());
  d.append({g, m.neg(m.mul(g, quotient))});
}

// d max(a, b): g to a where a >= b, else to b (TensorFlow's tie rule)
static void rule(MaximumOp op, GradientBuilder &m, Value g, Grads &d) {
  Value toRhs = m.mul(g, m.step(m.sub(op.getRhs(), op.getLhs())));
  d.append({m.sub(g, toRhs), toRhs});
}
// d min(a, b): g to a where a <= b, else to b
static void rule(MinimumOp op, GradientBuilder &m, Value g, Grads &d) {
  Value toRhs = m.mul(g, m.step(m.sub(op.getLhs(), op.getRhs())));
  d.append({m.sub(g, toRhs), toRhs});
}

// d(c ? a : b) = (none, c ? g : 0, c ? 0 : g)
static void rule(SelectOp op, GradientBuilder &m, Value g, Grads &d) {
  Value zero = m.scalar(g, 0.0), c = op.getCondition();
  d.append({Value(), SelectOp::create(m.builder(), m.location(), c, g, zero),
            SelectOp::create(m.builder(), m.location(), c, zero, g)});
}

} // namespace mlir::kiln

void mlir::kiln::registerElementwiseBinaryGradientRules(
    DialectRegistry &registry) {
  addVjpRules<AddOp, SubOp, MulOp, DivOp, RemOp, MaximumOp, MinimumOp,
              SelectOp>(registry);
}
