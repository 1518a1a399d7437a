//===- GradientRulesElementwiseUnary.cpp - Unary VJPs -----------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Vector-Jacobian products of the elementwise unary ops (activations).
// Notation: x is the operand, y the op's result.
// `g` is the gradient with respect to the op's result (conventions: the
// `rule` comment in GradientBuilder.h).
//===----------------------------------------------------------------------===//

#include "passes/autodiff/GradientBuilder.h"

#include <cmath>

namespace mlir::kiln {
using Grads = SmallVectorImpl<Value>;

// relu'(x) = step(x) = step(y): read off the result, the pre-activation
// need not be kept, and the forward pass fuses it into relu (a bias add and
// relu on a convolution's output: one pass over it, not three).
static void rule(ReluOp op, GradientBuilder &m, Value g, Grads &d) {
  d.push_back(m.mul(g, m.step(op.getResult())));
}
// sigmoid'(x) = y * (1 - y)
static void rule(SigmoidOp op, GradientBuilder &m, Value g, Grads &d) {
  Value y = op.getResult();
  Value gy = m.mul(g, y);
  d.push_back(m.mul(gy, m.sub(m.scalar(y, 1), y)));
}
// tanh'(x) = 1 - y^2
static void rule(TanhOp op, GradientBuilder &m, Value g, Grads &d) {
  Value y = op.getResult();
  Value one = m.scalar(y, 1);
  d.push_back(m.mul(g, m.sub(one, m.mul(y, y))));
}
// exp'(x) = y
static void rule(ExpOp op, GradientBuilder &m, Value g, Grads &d) {
  d.push_back(m.mul(g, op.getResult()));
}
// log'(x) = 1 / x
static void rule(LogOp op, GradientBuilder &m, Value g, Grads &d) {
  d.push_back(m.div(g, op.getInput()));
}
// (-x)' = -1
static void rule(NegOp, GradientBuilder &m, Value g, Grads &d) {
  d.push_back(m.neg(g));
}
// |x|' = sign(x)
static void rule(AbsOp op, GradientBuilder &m, Value g, Grads &d) {
  d.push_back(m.mul(g, m.sign(op.getInput())));
}
// sqrt'(x) = 1 / (2 y)
static void rule(SqrtOp op, GradientBuilder &m, Value g, Grads &d) {
  Value y = op.getResult();
  Value two = m.scalar(y, 2);
  d.push_back(m.div(g, m.mul(two, y)));
}
// softplus'(x) = sigmoid(x)
static void rule(SoftplusOp op, GradientBuilder &m, Value g, Grads &d) {
  d.push_back(m.mul(g, m.sigmoid(op.getInput())));
}
// erf'(x) = 2 / sqrt(pi) * exp(-x^2)
static void rule(ErfOp op, GradientBuilder &m, Value g, Grads &d) {
  Value x = op.getInput();
  Value e = m.exp(m.neg(m.mul(x, x)));
  Value scale = m.scalar(x, M_2_SQRTPI);
  d.push_back(m.mul(g, m.mul(scale, e)));
}
// gelu'(x) = Phi(x) + x phi(x), Phi(x) = (1 + erf(x / sqrt 2)) / 2,
// phi(x) = exp(-x^2 / 2) / sqrt(2 pi)
static void rule(GeluOp op, GradientBuilder &m, Value g, Grads &d) {
  Value x = op.getInput();
  Value half = m.scalar(x, 0.5), one = m.scalar(x, 1);
  Value erf = m.erf(m.mul(x, m.scalar(x, M_SQRT1_2)));
  Value cdf = m.mul(half, m.add(one, erf));
  Value xx = m.mul(x, x);
  Value gauss = m.exp(m.mul(m.scalar(x, -0.5), xx));
  Value pdf = m.mul(m.scalar(x, 0.5 * M_2_SQRTPI * M_SQRT1_2), gauss);
  d.push_back(m.mul(g, m.add(cdf, m.mul(x, pdf))));
}
// elu'(x) = x > 0 ? 1 : y + alpha
static void rule(EluOp op, GradientBuilder &m, Value g, Grads &d) {
  Value x = op.getInput(), y = op.getResult();
  Value s = m.step(x);
  Value alpha = m.scalar(x, op.getAlpha().convertToDouble());
  Value notS = m.sub(m.scalar(x, 1), s);
  Value negative = m.mul(notS, m.add(y, alpha));
  d.push_back(m.mul(g, m.add(s, negative)));
}
// selu'(x) = x > 0 ? scale : y + scale * alpha (Keras's constants)
static void rule(SeluOp op, GradientBuilder &m, Value g, Grads &d) {
  constexpr double alpha = 1.67326324235437728481,
                   scale = 1.05070098735548049342;
  Value x = op.getInput(), y = op.getResult();
  Value s = m.step(x);
  Value positive = m.mul(s, m.scalar(x, scale));
  Value notS = m.sub(m.scalar(x, 1), s);
  Value negative = m.mul(notS, m.add(y, m.scalar(x, scale * alpha)));
  d.push_back(m.mul(g, m.add(positive, negative)));
}
// step and sign are flat almost everywhere: no gradient flows.
static void rule(StepOp, GradientBuilder &, Value, Grads &d) {
  d.push_back({});
}
static void rule(SignOp, GradientBuilder &, Value, Grads &d) {
  d.push_back({});
}


template <typename OpTy> static Value apply(GradientBuilder &m, Value x) {
  return OpTy::create(m.builder(), m.location(), x);
}
/// 1 / sqrt(s)
static Value inverseRoot(GradientBuilder &m, Value s) {
  return m.div(m.scalar(s, 1), apply<SqrtOp>(m, s));
}
// sin'(x) = cos(x)
static void rule(SinOp op, GradientBuilder &m, Value g, Grads &d) {
  d.push_back(m.mul(g, apply<CosOp>(m, op.getInput())));
}
// cos'(x) = -sin(x)
static void rule(CosOp op, GradientBuilder &m, Value g, Grads &d) {
  d.push_back(m.neg(m.mul(g, apply<SinOp>(m, op.getInput()))));
}
// tan'(x) = 1 + y^2
static void rule(TanOp op, GradientBuilder &m, Value g, Grads &d) {
  Value y = op.getResult();
  d.push_back(m.mul(g, m.add(m.scalar(y, 1), m.mul(y, y))));
}
// asin'(x) = 1 / sqrt(1 - x^2)
static void rule(AsinOp op, GradientBuilder &m, Value g, Grads &d) {
  Value x = op.getInput();
  d.push_back(m.mul(g, inverseRoot(m, m.sub(m.scalar(x, 1), m.mul(x, x)))));
}
// acos'(x) = -1 / sqrt(1 - x^2)
static void rule(AcosOp op, GradientBuilder &m, Value g, Grads &d) {
  Value x = op.getInput();
  d.push_back(
      m.neg(m.mul(g, inverseRoot(m, m.sub(m.scalar(x, 1), m.mul(x, x))))));
}
// atan'(x) = 1 / (1 + x^2)
static void rule(AtanOp op, GradientBuilder &m, Value g, Grads &d) {
  Value x = op.getInput();
  d.push_back(m.div(g, m.add(m.scalar(x, 1), m.mul(x, x))));
}
// sinh'(x) = cosh(x)
static void rule(SinhOp op, GradientBuilder &m, Value g, Grads &d) {
  d.push_back(m.mul(g, apply<CoshOp>(m, op.getInput())));
}
// cosh'(x) = sinh(x)
static void rule(CoshOp op, GradientBuilder &m, Value g, Grads &d) {
  d.push_back(m.mul(g, apply<SinhOp>(m, op.getInput())));
}
// asinh'(x) = 1 / sqrt(x^2 + 1)
static void rule(AsinhOp op, GradientBuilder &m, Value g, Grads &d) {
  Value x = op.getInput();
  d.push_back(m.mul(g, inverseRoot(m, m.add(m.mul(x, x), m.scalar(x, 1)))));
}
// acosh'(x) = 1 / (sqrt(x - 1) sqrt(x + 1)) (no x^2 to overflow)
static void rule(AcoshOp op, GradientBuilder &m, Value g, Grads &d) {
  Value x = op.getInput(), one = m.scalar(x, 1);
  d.push_back(m.mul(g, m.mul(inverseRoot(m, m.sub(x, one)),
                             inverseRoot(m, m.add(x, one)))));
}
// atanh'(x) = 1 / (1 - x^2)
static void rule(AtanhOp op, GradientBuilder &m, Value g, Grads &d) {
  Value x = op.getInput();
  d.push_back(m.div(g, m.sub(m.scalar(x, 1), m.mul(x, x))));
}
// Rounding is flat almost everywhere: no gradient flows (TensorFlow's and
// PyTorch's zeros).
static void rule(FloorOp, GradientBuilder &, Value, Grads &d) {
  d.push_back({});
}
static void rule(CeilOp, GradientBuilder &, Value, Grads &d) {
  d.push_back({});
}
static void rule(RoundOp, GradientBuilder &, Value, Grads &d) {
  d.push_back({});
}

} // namespace mlir::kiln

void mlir::kiln::registerElementwiseUnaryGradientRules(
    DialectRegistry &registry) {
  addVjpRules<ReluOp, SigmoidOp, TanhOp, ExpOp, LogOp, NegOp, AbsOp, SqrtOp,
              SoftplusOp, ErfOp, GeluOp, EluOp, SeluOp, StepOp, SignOp,
              SinOp, CosOp, TanOp, AsinOp, AcosOp, AtanOp, SinhOp, CoshOp,
              AsinhOp, AcoshOp, AtanhOp, FloorOp, CeilOp, RoundOp>(registry);
}
