//===- SequenceToLinalg.cpp - Sequence steps to tensor slices ---*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// sequence_step and sequence_insert: a rank-reducing `tensor.extract_slice`
// / `tensor.insert_slice` of the time step [:, t] (offset t in dimension 1,
// size 1). In a loop, bufferization writes the insert in place into the
// carried sequence's buffer.
//===----------------------------------------------------------------------===//

#include "codegen/common/LinalgBuilders.h"

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::lowering;

namespace {

/// Time step `step` of `sequence`: [step, step + 1) along dimension 1.
static AxisSlice stepSlice(OpBuilder &b, Location loc, Value sequence,
                           Value step) {
  return AxisSlice(b, loc, sequence, /*axis=*/1, step, /*size=*/1);
}

// sequence_step(x, t) -> extract_slice x[:, t] (rank-reducing)
struct SequenceStepLowering : public OpConversionPattern<SequenceStepOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(SequenceStepOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    AxisSlice slice =
        stepSlice(rewriter, op.getLoc(), adaptor.getInput(), adaptor.getStep());
    rewriter.replaceOpWithNewOp<tensor::ExtractSliceOp>(
        op, op.getType(), adaptor.getInput(), slice.offsets, slice.sizes,
        slice.strides);
    return success();
  }
};

// sequence_insert(v, s, t) -> insert_slice v into s[:, t]
struct SequenceInsertLowering : public OpConversionPattern<SequenceInsertOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(SequenceInsertOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    AxisSlice slice = stepSlice(rewriter, op.getLoc(), adaptor.getSequence(),
                                adaptor.getStep());
    rewriter.replaceOpWithNewOp<tensor::InsertSliceOp>(
        op, adaptor.getValue(), adaptor.getSequence(), slice.offsets,
        slice.sizes, slice.strides);
    return success();
  }
};

} // namespace

void mlir::kiln::populateSequenceToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<SequenceStepLowering, SequenceInsertLowering>(
      patterns.getContext());
}
