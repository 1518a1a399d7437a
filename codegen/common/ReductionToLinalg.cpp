//===- ReductionToLinalg.cpp - reduce_sum/mean to linalg --------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// reduce_sum and reduce_mean: one reduction `linalg.generic` over the axes
// (divided by the element count for the mean), expanded back to size-1
// dimensions for keep_dims.
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

} // namespace

void mlir::kiln::populateReductionToLinalgPatterns(
    RewritePatternSet &patterns) {
  patterns.add<ReduceLowering<ReduceSumOp, /*isMean=*/false>,
               ReduceLowering<ReduceMeanOp, /*isMean=*/true>>(
      patterns.getContext());
}
