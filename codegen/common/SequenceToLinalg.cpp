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

/// Offsets, sizes and strides of time step `step` of `sequence`.
struct StepSlice {
  SmallVector<OpFoldResult> offsets, sizes, strides;

  StepSlice(OpBuilder &b, Location loc, Value sequence, Value step) {
    auto type = cast<RankedTensorType>(sequence.getType());
    for (int64_t d = 0; d < type.getRank(); ++d) {
      offsets.push_back(d == 1 ? OpFoldResult(step) : b.getIndexAttr(0));
      strides.push_back(b.getIndexAttr(1));
      if (d == 1)
        sizes.push_back(b.getIndexAttr(1));
      else if (type.isDynamicDim(d))
        sizes.push_back(tensor::DimOp::create(b, loc, sequence, d).getResult());
      else
        sizes.push_back(b.getIndexAttr(type.getDimSize(d)));
    }
  }
};

// sequence_step(x, t) -> extract_slice x[:, t] (rank-reducing)
struct SequenceStepLowering : public OpConversionPattern<SequenceStepOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(SequenceStepOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    StepSlice slice(rewriter, op.getLoc(), adaptor.getInput(),
                    adaptor.getStep());
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
    StepSlice slice(rewriter, op.getLoc(), adaptor.getSequence(),
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
