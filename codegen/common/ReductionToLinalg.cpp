//===- ReductionToLinalg.cpp - reduce_sum/mean to linalg --------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// reduce_sum and reduce_mean: one reduction `linalg.generic` over the axes
// (divided by the element count for the mean), expanded back to size-1
// dimensions for keep_dims; cumsum, a reduction over the axis's triangle.
//===----------------------------------------------------------------------===//

#include "codegen/common/LinalgBuilders.h"

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::lowering;

namespace {

// reduce_sum / reduce_mean -> a reduction generic (then / count for the
// mean), expanded back to size-1 dims for keep_dims.
template <typename OpTy, bool isMean>
struct ReduceLowering : public OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;
  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto inType = cast<RankedTensorType>(input.getType());
    SmallVector<int64_t> axes = op.getNormalizedAxes();
    int64_t rank = inType.getRank();
    Reduction reduction(rewriter, loc, input, axes);
    auto reducedType =
        RankedTensorType::get(reduction.shape, inType.getElementType());
    Value init = reduction.filled(
        rewriter, loc, rewriter.getFloatAttr(inType.getElementType(), 0.0));
    Value result =
        linalg::GenericOp::create(
            rewriter, loc, reducedType, input, init,
            ArrayRef<AffineMap>{reduction.inputMap, reduction.resultMap},
            reduction.iterators,
            [](OpBuilder &b, Location l, ValueRange args) {
              Value sum = arith::AddFOp::create(b, l, args[0], args[1]);
              linalg::YieldOp::create(b, l, sum);
            })
            .getResult(0);
    if (isMean) {
      // count = product of the reduced dimensions (the batch may be one).
      Value count = arith::ConstantIndexOp::create(rewriter, loc, 1);
      for (int64_t axis : axes)
        count = arith::MulIOp::create(
            rewriter, loc, count,
            tensor::DimOp::create(rewriter, loc, input, axis));
      Type elementType = inType.getElementType();
      Value countF = arith::UIToFPOp::create(
          rewriter, loc, elementType,
          arith::IndexCastOp::create(rewriter, loc, rewriter.getI64Type(),
                                     count));
      result = buildElementwise(
          rewriter, loc, reducedType, result,
          [&](OpBuilder &b, Location l, ValueRange args) -> Value {
            return arith::DivFOp::create(b, l, args[0], countF);
          });
    }
    if (op.getKeepDims())
      result = tensor::ExpandShapeOp::create(rewriter, loc, op.getType(),
                                             result, keptDimGroups(rank, axes));
    rewriter.replaceOp(op, result);
    return success();
  }
};

// cumsum(x) along axis a -> a reduction generic over (..., i, ..., j):
// result[..., i, ...] += (j in i's range) ? x[..., j, ...] : 0, the range
// j <= i (j < i exclusive; j >= i, j > i reverse). Each output sums the
// inputs in order along the axis, the excluded ones as exact zeros.
struct CumSumLowering : public OpConversionPattern<CumSumOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(CumSumOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    RankedTensorType type = op.getType();
    Type element = type.getElementType();
    int64_t rank = type.getRank(), axis = op.getNormalizedAxis();
    MLIRContext *ctx = rewriter.getContext();
    // Loops: the result's dimensions, then j (the summed position).
    SmallVector<AffineExpr> inputExprs, resultExprs;
    for (int64_t d = 0; d < rank; ++d) {
      resultExprs.push_back(getAffineDimExpr(d, ctx));
      inputExprs.push_back(getAffineDimExpr(d == axis ? rank : d, ctx));
    }
    SmallVector<AffineMap> maps = {
        AffineMap::get(rank + 1, 0, inputExprs, ctx),
        AffineMap::get(rank + 1, 0, resultExprs, ctx)};
    SmallVector<utils::IteratorType> iterators(rank,
                                               utils::IteratorType::parallel);
    iterators.push_back(utils::IteratorType::reduction);
    SmallVector<Value> dynamicDims;
    for (int64_t d = 0; d < rank; ++d)
      if (type.isDynamicDim(d))
        dynamicDims.push_back(tensor::DimOp::create(rewriter, loc, input, d));
    Value empty = tensor::EmptyOp::create(rewriter, loc, type.getShape(),
                                          element, dynamicDims);
    Value zero =
        isa<FloatType>(element)
            ? floatConst(rewriter, loc, element, 0.0)
            : Value(arith::ConstantIntOp::create(rewriter, loc, element, 0));
    Value init =
        linalg::FillOp::create(rewriter, loc, zero, empty).getResult(0);
    bool exclusive = op.getExclusive(), reverse = op.getReverse();
    auto predicate = reverse ? (exclusive ? arith::CmpIPredicate::ugt
                                          : arith::CmpIPredicate::uge)
                             : (exclusive ? arith::CmpIPredicate::ult
                                          : arith::CmpIPredicate::ule);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, type, input, init, maps, iterators,
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value i = linalg::IndexOp::create(b, l, axis);
          Value j = linalg::IndexOp::create(b, l, rank);
          Value in = arith::CmpIOp::create(b, l, predicate, j, i);
          Value term = arith::SelectOp::create(b, l, in, args[0], zero);
          Value sum = isa<FloatType>(element)
                          ? Value(arith::AddFOp::create(b, l, args[1], term))
                          : Value(arith::AddIOp::create(b, l, args[1], term));
          linalg::YieldOp::create(b, l, sum);
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

} // namespace

void mlir::kiln::populateReductionToLinalgPatterns(
    RewritePatternSet &patterns) {
  patterns.add<ReduceLowering<ReduceSumOp, /*isMean=*/false>,
               ReduceLowering<ReduceMeanOp, /*isMean=*/true>, CumSumLowering>(
      patterns.getContext());
}
