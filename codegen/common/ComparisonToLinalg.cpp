//===- ComparisonToLinalg.cpp - Non-float ops to linalg ---------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// The ops of booleans and indices: comparisons (arith.cmpf with ordered
// predicates, arith.cmpi signed), the logical ops, select, cast, and
// argmax/argmin, a reduction generic carrying (best value, its index).
// Booleans are i1 tensors; bufferized, an i1 element takes a byte, NumPy's
// `bool`.
//===----------------------------------------------------------------------===//

#include "codegen/common/LinalgBuilders.h"

#include <limits>

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::lowering;

namespace {

/// `lhs <pred> rhs` for float (ordered) or signed integer operands.
Value compare(OpBuilder &b, Location loc, arith::CmpFPredicate fpred,
              arith::CmpIPredicate ipred, Value lhs, Value rhs) {
  if (isa<FloatType>(lhs.getType()))
    return arith::CmpFOp::create(b, loc, fpred, lhs, rhs);
  return arith::CmpIOp::create(b, loc, ipred, lhs, rhs);
}

#define KILN_COMPARE_LOWERING(NAME, OP, FPRED, IPRED)                          \
  KILN_ELEMENTWISE_LOWERING(                                                   \
      NAME, OP,                                                                \
      return compare(b, loc, arith::CmpFPredicate::FPRED,                      \
                     arith::CmpIPredicate::IPRED, args[0], args[1]);)
KILN_COMPARE_LOWERING(EqualLowering, EqualOp, OEQ, eq)
KILN_COMPARE_LOWERING(LessLowering, LessOp, OLT, slt)
KILN_COMPARE_LOWERING(LessEqualLowering, LessEqualOp, OLE, sle)
KILN_COMPARE_LOWERING(GreaterLowering, GreaterOp, OGT, sgt)
KILN_COMPARE_LOWERING(GreaterEqualLowering, GreaterEqualOp, OGE, sge)
#undef KILN_COMPARE_LOWERING

KILN_ELEMENTWISE_LOWERING(LogicalAndLowering, LogicalAndOp,
                          return arith::AndIOp::create(b, loc, args[0],
                                                       args[1]);)
KILN_ELEMENTWISE_LOWERING(LogicalOrLowering, LogicalOrOp,
                          return arith::OrIOp::create(b, loc, args[0],
                                                      args[1]);)
KILN_ELEMENTWISE_LOWERING(LogicalXorLowering, LogicalXorOp,
                          return arith::XOrIOp::create(b, loc, args[0],
                                                       args[1]);)
KILN_ELEMENTWISE_LOWERING(LogicalNotLowering, LogicalNotOp,
                          return arith::XOrIOp::create(
                              b, loc, args[0],
                              arith::ConstantOp::create(b, loc,
                                                        b.getBoolAttr(true)));)
KILN_ELEMENTWISE_LOWERING(SelectLowering, SelectOp,
                          return arith::SelectOp::create(b, loc, args[0],
                                                         args[1], args[2]);)

/// A float converted to integer type `to` by truncation toward zero,
/// saturating at the type's limits, NaN to 0 (what arith.fptosi leaves
/// undefined).
Value floatToInt(OpBuilder &b, Location loc, Value x, IntegerType to) {
  Type from = x.getType();
  unsigned bits = to.getWidth();
  auto limit = [&](bool upper) {
    APInt v =
        upper ? APInt::getSignedMaxValue(bits) : APInt::getSignedMinValue(bits);
    return arith::ConstantOp::create(b, loc, b.getIntegerAttr(to, v));
  };
  // -2^(bits-1) is exact in any float type; 2^(bits-1) is the first value
  // above the range.
  double bound = std::ldexp(1.0, bits - 1);
  Value low = floatConst(b, loc, from, -bound);
  Value high = floatConst(b, loc, from, bound);
  Value inRange = arith::AndIOp::create(
      b, loc, arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGE, x, low),
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, x, high));
  // Out of range, x is clamped into it before the conversion, so that the
  // conversion is always defined; the selects below pick the limits.
  Value zero = floatConst(b, loc, from, 0.0);
  Value safe = arith::SelectOp::create(b, loc, inRange, x, zero);
  Value converted = arith::FPToSIOp::create(b, loc, to, safe);
  Value isHigh =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGE, x, high);
  Value isLow =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, x, low);
  Value result =
      arith::SelectOp::create(b, loc, isHigh, limit(true), converted);
  return arith::SelectOp::create(b, loc, isLow, limit(false), result);
}

/// One element of kiln.cast.
Value castElement(OpBuilder &b, Location loc, Value x, Type to) {
  Type from = x.getType();
  if (from == to)
    return x;
  if (to.isInteger(1)) {
    if (isa<FloatType>(from)) // nonzero (NaN too) is true
      return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNE, x,
                                   floatConst(b, loc, from, 0.0));
    return arith::CmpIOp::create(
        b, loc, arith::CmpIPredicate::ne, x,
        arith::ConstantOp::create(b, loc, b.getIntegerAttr(from, 0)));
  }
  if (auto toFloat = dyn_cast<FloatType>(to))
    return from.isInteger(1)
               ? Value(arith::UIToFPOp::create(b, loc, toFloat, x))
               : Value(arith::SIToFPOp::create(b, loc, toFloat, x));
  auto toInt = cast<IntegerType>(to);
  if (isa<FloatType>(from))
    return floatToInt(b, loc, x, toInt);
  unsigned fromBits = from.getIntOrFloatBitWidth();
  if (from.isInteger(1))
    return arith::ExtUIOp::create(b, loc, toInt, x);
  if (fromBits < toInt.getWidth())
    return arith::ExtSIOp::create(b, loc, toInt, x);
  return arith::TruncIOp::create(b, loc, toInt, x);
}

KILN_ELEMENTWISE_LOWERING(CastLowering, CastOp,
                          return castElement(b, loc, args[0],
                                             op.getType().getElementType());)

/// argmax/argmin: a reduction generic over the axis whose two outputs are
/// the best value so far (from -inf / +inf) and its index (from 0).
template <typename OpTy, bool isMax>
struct ArgReduceLowering : public OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;
  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto inType = cast<RankedTensorType>(input.getType());
    int64_t rank = inType.getRank(), axis = op.getNormalizedAxis();

    Reduction reduction(rewriter, loc, input, ArrayRef<int64_t>{axis});
    Type elementType = inType.getElementType();
    double start = isMax ? -std::numeric_limits<double>::infinity()
                         : std::numeric_limits<double>::infinity();
    Value bestInit = reduction.filled(
        rewriter, loc, rewriter.getFloatAttr(elementType, start));
    Value indexInit =
        reduction.filled(rewriter, loc, rewriter.getI64IntegerAttr(0));
    bool last = op.getSelectLastIndex();
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{bestInit.getType(), indexInit.getType()},
        input, ValueRange{bestInit, indexInit},
        ArrayRef<AffineMap>{reduction.inputMap, reduction.resultMap,
                            reduction.resultMap},
        reduction.iterators, [&](OpBuilder &b, Location l, ValueRange args) {
          Value x = args[0], best = args[1], bestIndex = args[2];
          using P = arith::CmpFPredicate;
          P strict = isMax ? P::OGT : P::OLT, loose = isMax ? P::OGE : P::OLE;
          Value better =
              arith::CmpFOp::create(b, l, last ? loose : strict, x, best);
          // NumPy's rule: the first NaN is the extremum.
          Value xNaN = arith::CmpFOp::create(b, l, P::UNO, x, x);
          Value bestOrdered = arith::CmpFOp::create(b, l, P::ORD, best, best);
          Value take = arith::AndIOp::create(
              b, l, arith::OrIOp::create(b, l, better, xNaN), bestOrdered);
          Value index = arith::IndexCastOp::create(
              b, l, b.getI64Type(), linalg::IndexOp::create(b, l, axis));
          linalg::YieldOp::create(
              b, l,
              ValueRange{
                  arith::SelectOp::create(b, l, take, x, best),
                  arith::SelectOp::create(b, l, take, index, bestIndex)});
        });
    Value result = generic.getResult(1);
    if (op.getKeepDims())
      result = tensor::ExpandShapeOp::create(
          rewriter, loc, op.getType(), result,
          keptDimGroups(rank, ArrayRef<int64_t>{axis}));
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void mlir::kiln::populateComparisonToLinalgPatterns(
    RewritePatternSet &patterns) {
  patterns.add<EqualLowering, LessLowering, LessEqualLowering, GreaterLowering,
               GreaterEqualLowering, LogicalAndLowering, LogicalOrLowering,
               LogicalXorLowering, LogicalNotLowering, SelectLowering,
               CastLowering, ArgReduceLowering<ArgMaxOp, /*isMax=*/true>,
               ArgReduceLowering<ArgMinOp, /*isMax=*/false>>(
      patterns.getContext());
}
