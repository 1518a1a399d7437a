//===- LossToLinalg.cpp - clip/one_hot to linalg ----------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// The ops Keras losses are built from besides the arithmetic: clip (epsilon
// clipping of probabilities) and one_hot (sparse class labels).
//===----------------------------------------------------------------------===//

#include "codegen/common/LinalgBuilders.h"

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::lowering;

namespace {

// clip(x) = min(max(x, lo), hi); NaN stays NaN
KILN_ELEMENTWISE_LOWERING(ClipLowering, ClipOp, {
  Value lo = constLike(b, loc, args[0], op.getMin().convertToDouble());
  Value hi = constLike(b, loc, args[0], op.getMax().convertToDouble());
  return arith::MinimumFOp::create(
      b, loc, arith::MaximumFOp::create(b, loc, args[0], lo), hi);
})

// one_hot(i)[..., c] = (i == c) ? 1 : 0
struct OneHotLowering : public OpConversionPattern<OneHotOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(OneHotOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType type = op.getType();
    MLIRContext *ctx = rewriter.getContext();
    int64_t rank = type.getRank();
    // The result is the input's shape plus the class dimension.
    SmallVector<Value> dynamicDims;
    for (int64_t i = 0; i + 1 < rank; ++i)
      if (type.isDynamicDim(i))
        dynamicDims.push_back(
            tensor::DimOp::create(rewriter, loc, adaptor.getInput(), i));
    Value empty = tensor::EmptyOp::create(rewriter, loc, type.getShape(),
                                          type.getElementType(), dynamicDims);
    AffineMap inMap =
        AffineMap::getMultiDimIdentityMap(rank, ctx).dropResult(rank - 1);
    Value result = buildMapped(
        rewriter, loc, adaptor.getInput(), empty, inMap,
        [&](OpBuilder &b, Location l, Value label) -> Value {
          Value c = linalg::IndexOp::create(b, l, rank - 1);
          Value cInt = arith::IndexCastOp::create(b, l, b.getI64Type(), c);
          Value cFloat = arith::SIToFPOp::create(b, l, label.getType(), cInt);
          Value hit = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OEQ,
                                            label, cFloat);
          return arith::SelectOp::create(b, l, hit, constLike(b, l, label, 1),
                                         constLike(b, l, label, 0));
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void mlir::kiln::populateLossToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<ClipLowering, OneHotLowering>(patterns.getContext());
}
