//===- ContractionToLinalg.cpp - kiln.matmul to linalg ----------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Contractions: kiln.matmul becomes a zero fill + `linalg.matmul`, which the
// CPU pipeline turns into vector FMA micro kernels.
//===----------------------------------------------------------------------===//

#include "codegen/common/LinalgBuilders.h"

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::lowering;

namespace {

// matmul(A, B) -> linalg.matmul ins(A, B) outs(fill(0))
struct MatMulLowering : public OpConversionPattern<MatMulOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(MatMulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType type = op.getType();
    Value empty = buildEmpty(rewriter, loc, type, adaptor.getLhs());
    // buildEmpty aligns trailing dims; the batch dim of the result is lhs's.
    Value zero = constLike(rewriter, loc, empty, 0.0);
    Value init =
        linalg::FillOp::create(rewriter, loc, zero, empty).getResult(0);
    rewriter.replaceOpWithNewOp<linalg::MatmulOp>(
        op, TypeRange{type}, ValueRange{adaptor.getLhs(), adaptor.getRhs()},
        ValueRange{init});
    return success();
  }
};

} // namespace

void mlir::kiln::populateContractionToLinalgPatterns(
    RewritePatternSet &patterns) {
  patterns.add<MatMulLowering>(patterns.getContext());
}
