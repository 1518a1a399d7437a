//===- ElementwiseUnaryToLinalg.cpp - Activations to linalg -----*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// The elementwise unary ops (activations): one `linalg.generic` each whose
// body is the scalar formula in arith/math.
//===----------------------------------------------------------------------===//

#include "codegen/common/LinalgBuilders.h"

#include <cmath>

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::lowering;

namespace {

// relu(x) = x > 0 ? x : 0 (unordered compare: NaN propagates like TF)
KILN_ELEMENTWISE_LOWERING(ReluLowering, ReluOp, {
  Value zero = constLike(b, loc, args[0], 0.0);
  Value positive =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UGT, args[0], zero);
  return arith::SelectOp::create(b, loc, positive, args[0], zero);
})
// sigmoid(x) = 1 / (1 + exp(-x))
KILN_ELEMENTWISE_LOWERING(SigmoidLowering, SigmoidOp, {
  Value one = constLike(b, loc, args[0], 1.0);
  Value e = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, args[0]));
  return arith::DivFOp::create(b, loc, one,
                               arith::AddFOp::create(b, loc, one, e));
})
KILN_ELEMENTWISE_LOWERING(TanhLowering, TanhOp,
                          return math::TanhOp::create(b, loc, args[0]);)
KILN_ELEMENTWISE_LOWERING(ExpLowering, ExpOp,
                          return math::ExpOp::create(b, loc, args[0]);)
KILN_ELEMENTWISE_LOWERING(LogLowering, LogOp,
                          return math::LogOp::create(b, loc, args[0]);)
KILN_ELEMENTWISE_LOWERING(ErfLowering, ErfOp,
                          return math::ErfOp::create(b, loc, args[0]);)
// step(x) = x > 0 ? 1 : 0
KILN_ELEMENTWISE_LOWERING(StepLowering, StepOp, {
  Value positive =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, args[0],
                            constLike(b, loc, args[0], 0));
  return arith::SelectOp::create(b, loc, positive,
                                 constLike(b, loc, args[0], 1),
                                 constLike(b, loc, args[0], 0));
})
// sign(x) = x > 0 ? 1 : (x < 0 ? -1 : 0)
KILN_ELEMENTWISE_LOWERING(SignLowering, SignOp, {
  Value zero = constLike(b, loc, args[0], 0);
  Value positive =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, args[0], zero);
  Value negative =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, args[0], zero);
  Value inner = arith::SelectOp::create(b, loc, negative,
                                        constLike(b, loc, args[0], -1), zero);
  return arith::SelectOp::create(b, loc, positive,
                                 constLike(b, loc, args[0], 1), inner);
})
KILN_ELEMENTWISE_LOWERING(NegLowering, NegOp,
                          return arith::NegFOp::create(b, loc, args[0]);)
KILN_ELEMENTWISE_LOWERING(AbsLowering, AbsOp,
                          return math::AbsFOp::create(b, loc, args[0]);)
KILN_ELEMENTWISE_LOWERING(SqrtLowering, SqrtOp,
                          return math::SqrtOp::create(b, loc, args[0]);)
// softplus(x) = max(x, 0) + log1p(exp(-|x|)), stable for large |x|
KILN_ELEMENTWISE_LOWERING(SoftplusLowering, SoftplusOp, {
  Value x = args[0];
  Value zero = constLike(b, loc, args[0], 0.0);
  Value relu = arith::MaxNumFOp::create(b, loc, x, zero);
  Value negAbs = arith::NegFOp::create(b, loc, math::AbsFOp::create(b, loc, x));
  Value tail =
      math::Log1pOp::create(b, loc, math::ExpOp::create(b, loc, negAbs));
  return arith::AddFOp::create(b, loc, relu, tail);
})
// gelu(x) = x * (1 + erf(x / sqrt(2))) / 2 (Keras's exact, approximate=False)
KILN_ELEMENTWISE_LOWERING(GeluLowering, GeluOp, {
  Value x = args[0];
  Value scaled =
      arith::MulFOp::create(b, loc, x, constLike(b, loc, args[0], M_SQRT1_2));
  Value erf = math::ErfOp::create(b, loc, scaled);
  Value onePlus =
      arith::AddFOp::create(b, loc, constLike(b, loc, args[0], 1.0), erf);
  Value half =
      arith::MulFOp::create(b, loc, x, constLike(b, loc, args[0], 0.5));
  return arith::MulFOp::create(b, loc, half, onePlus);
})

/// x > 0 ? scale * x : scale * alpha * expm1(x)
static Value buildElu(OpBuilder &b, Location loc, Value x, double alpha,
                      double scale) {
  Value zero = constLike(b, loc, x, 0.0);
  Value positive =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x, zero);
  Value negative = arith::MulFOp::create(b, loc, constLike(b, loc, x, alpha),
                                         math::ExpM1Op::create(b, loc, x));
  Value select = arith::SelectOp::create(b, loc, positive, x, negative);
  if (scale == 1.0)
    return select;
  return arith::MulFOp::create(b, loc, constLike(b, loc, x, scale), select);
}
KILN_ELEMENTWISE_LOWERING(EluLowering, EluOp,
                          return buildElu(b, loc, args[0],
                                          op.getAlpha().convertToDouble(),
                                          1.0);)
// Keras's selu constants.
KILN_ELEMENTWISE_LOWERING(SeluLowering, SeluOp,
                          return buildElu(b, loc, args[0],
                                          1.67326324235437728481,
                                          1.05070098735548049342);)

/// f(x) of an odd f from `ofAbs` = f(|x|): f(|x|) times x's sign (-0
/// and NaN's included).
static Value oddFrom(OpBuilder &b, Location loc, Value x, Value ofAbs) {
  Value sign = math::CopySignOp::create(b, loc, constLike(b, loc, x, 1.0), x);
  return arith::MulFOp::create(b, loc, ofAbs, sign);
}

// The trigonometric functions and their inverses are math's (libm on the
// CPU; on the GPU polynomials, tan as sin / cos: buildCudaMappingPipeline).
// sin and tan are taken of |x|: MLIR's polynomial reduces a small negative
// x by -pi/2 and keeps only its absolute accuracy (sin(-3e-6) 3% off).
KILN_ELEMENTWISE_LOWERING(SinLowering, SinOp, {
  Value a = math::AbsFOp::create(b, loc, args[0]);
  return oddFrom(b, loc, args[0], math::SinOp::create(b, loc, a));
})
KILN_ELEMENTWISE_LOWERING(CosLowering, CosOp,
                          return math::CosOp::create(b, loc, args[0]);)
KILN_ELEMENTWISE_LOWERING(TanLowering, TanOp, {
  Value a = math::AbsFOp::create(b, loc, args[0]);
  return oddFrom(b, loc, args[0], math::TanOp::create(b, loc, a));
})
KILN_ELEMENTWISE_LOWERING(AsinLowering, AsinOp,
                          return math::AsinOp::create(b, loc, args[0]);)
KILN_ELEMENTWISE_LOWERING(AcosLowering, AcosOp,
                          return math::AcosOp::create(b, loc, args[0]);)
KILN_ELEMENTWISE_LOWERING(AtanLowering, AtanOp,
                          return math::AtanOp::create(b, loc, args[0]);)

// The hyperbolic functions from exp, expm1, log and log1p, the same on every
// target and accurate near 0 (no exp(x) - exp(-x) cancellation) and where
// exp(x) or x^2 would overflow before the result does. Odd functions are
// computed on |x| (oddFrom).
/// exp(a) / 2 as (exp(a / 2) / 2) exp(a / 2): finite up to sinh's and
/// cosh's own overflow (a < 89.4), and exact to a few ulp (exp(a - ln 2)
/// would round a - ln 2 first).
static Value halfExp(OpBuilder &b, Location loc, Value a) {
  Value e = math::ExpOp::create(
      b, loc, arith::MulFOp::create(b, loc, a, constLike(b, loc, a, 0.5)));
  return arith::MulFOp::create(
      b, loc, arith::MulFOp::create(b, loc, e, constLike(b, loc, a, 0.5)), e);
}
/// a > `bound` ? `large` : `small`
static Value above(OpBuilder &b, Location loc, Value a, double bound,
                   Value large, Value small) {
  Value isLarge = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, a,
                                        constLike(b, loc, a, bound));
  return arith::SelectOp::create(b, loc, isLarge, large, small);
}
// sinh(a) = (e + e / (e + 1)) / 2, e = expm1(a); exp(a) / 2 beyond 20,
// where exp(-a) is below f32's precision.
KILN_ELEMENTWISE_LOWERING(SinhLowering, SinhOp, {
  Value a = math::AbsFOp::create(b, loc, args[0]);
  Value e = math::ExpM1Op::create(b, loc, a);
  Value ratio = arith::DivFOp::create(
      b, loc, e, arith::AddFOp::create(b, loc, e, constLike(b, loc, a, 1.0)));
  Value small = arith::MulFOp::create(b, loc, constLike(b, loc, a, 0.5),
                                      arith::AddFOp::create(b, loc, e, ratio));
  return oddFrom(b, loc, args[0], above(b, loc, a, 20, halfExp(b, loc, a), small));
})
// cosh(a) = (exp(a) + 1 / exp(a)) / 2; exp(a) / 2 beyond 20.
KILN_ELEMENTWISE_LOWERING(CoshLowering, CoshOp, {
  Value a = math::AbsFOp::create(b, loc, args[0]);
  Value e = math::ExpOp::create(b, loc, a);
  Value sum = arith::AddFOp::create(
      b, loc, e,
      arith::DivFOp::create(b, loc, constLike(b, loc, a, 1.0), e));
  Value small =
      arith::MulFOp::create(b, loc, constLike(b, loc, a, 0.5), sum);
  return above(b, loc, a, 20, halfExp(b, loc, a), small);
})
/// log(2 a): asinh's and acosh's value beyond 2^28, where a^2 + 1 = a^2.
static Value logTwice(OpBuilder &b, Location loc, Value a) {
  return arith::AddFOp::create(b, loc, math::LogOp::create(b, loc, a),
                               constLike(b, loc, a, M_LN2));
}
// asinh(a) = log1p(a + a^2 / (1 + sqrt(1 + a^2))); log(2a) beyond 2^28.
KILN_ELEMENTWISE_LOWERING(AsinhLowering, AsinhOp, {
  Value a = math::AbsFOp::create(b, loc, args[0]);
  Value one = constLike(b, loc, a, 1.0);
  Value square = arith::MulFOp::create(b, loc, a, a);
  Value root = math::SqrtOp::create(
      b, loc, arith::AddFOp::create(b, loc, one, square));
  Value small = math::Log1pOp::create(
      b, loc,
      arith::AddFOp::create(
          b, loc, a,
          arith::DivFOp::create(b, loc, square,
                                arith::AddFOp::create(b, loc, one, root))));
  return oddFrom(b, loc, args[0],
                 above(b, loc, a, 0x1p28, logTwice(b, loc, a), small));
})
// acosh(x) = log1p(t + sqrt(2t + t^2)), t = x - 1 (exact near 1); log(2x)
// beyond 2^28; NaN below 1 (where t^2 may overflow to a finite-looking
// infinity).
KILN_ELEMENTWISE_LOWERING(AcoshLowering, AcoshOp, {
  Value x = args[0];
  Value t = arith::SubFOp::create(b, loc, x, constLike(b, loc, x, 1.0));
  Value inner = arith::MulFOp::create(
      b, loc, t,
      arith::AddFOp::create(b, loc, t, constLike(b, loc, x, 2.0)));
  Value small = math::Log1pOp::create(
      b, loc,
      arith::AddFOp::create(b, loc, t, math::SqrtOp::create(b, loc, inner)));
  Value below = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, x,
                                      constLike(b, loc, x, 1.0));
  return arith::SelectOp::create(
      b, loc, below, constLike(b, loc, x, std::nan("")),
      above(b, loc, x, 0x1p28, logTwice(b, loc, x), small));
})
// atanh(a) = log1p(2a / (1 - a)) / 2: infinite at 1, NaN beyond.
KILN_ELEMENTWISE_LOWERING(AtanhLowering, AtanhOp, {
  Value a = math::AbsFOp::create(b, loc, args[0]);
  Value one = constLike(b, loc, a, 1.0);
  Value ratio = arith::DivFOp::create(
      b, loc, arith::AddFOp::create(b, loc, a, a),
      arith::SubFOp::create(b, loc, one, a));
  Value half = arith::MulFOp::create(b, loc, constLike(b, loc, a, 0.5),
                                     math::Log1pOp::create(b, loc, ratio));
  return oddFrom(b, loc, args[0], half);
})

KILN_ELEMENTWISE_LOWERING(FloorLowering, FloorOp,
                          return math::FloorOp::create(b, loc, args[0]);)
KILN_ELEMENTWISE_LOWERING(CeilLowering, CeilOp,
                          return math::CeilOp::create(b, loc, args[0]);)
KILN_ELEMENTWISE_LOWERING(RoundLowering, RoundOp,
                          return math::RoundEvenOp::create(b, loc, args[0]);)

} // namespace

void mlir::kiln::populateElementwiseUnaryToLinalgPatterns(
    RewritePatternSet &patterns) {
  patterns.add<ReluLowering, SigmoidLowering, TanhLowering, ExpLowering,
               LogLowering, ErfLowering, StepLowering, SignLowering,
               NegLowering, AbsLowering, SqrtLowering, SoftplusLowering,
               GeluLowering, EluLowering, SeluLowering, SinLowering,
               CosLowering, TanLowering, AsinLowering, AcosLowering,
               AtanLowering, SinhLowering, CoshLowering, AsinhLowering,
               AcoshLowering, AtanhLowering, FloorLowering, CeilLowering,
               RoundLowering>(patterns.getContext());
}
