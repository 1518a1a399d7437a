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

} // namespace

void mlir::kiln::populateElementwiseUnaryToLinalgPatterns(
    RewritePatternSet &patterns) {
  patterns.add<ReluLowering, SigmoidLowering, TanhLowering, ExpLowering,
               LogLowering, ErfLowering, StepLowering, SignLowering,
               NegLowering, AbsLowering, SqrtLowering, SoftplusLowering,
               GeluLowering, EluLowering, SeluLowering>(patterns.getContext());
}
