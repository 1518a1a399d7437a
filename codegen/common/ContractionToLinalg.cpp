//===- ContractionToLinalg.cpp - kiln.matmul to linalg ----------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Contractions: kiln.matmul becomes a zero fill + `linalg.matmul`, which the
// CPU pipeline turns into vector FMA micro kernels; kiln.batch_matmul a zero
// fill + `linalg.batch_matmul`. A 2-D lhs that is a
// `kiln.transpose` is read through transposed indexing maps instead of
// being copied (weight gradients X^T @ G), and so is a static rhs that is
// one (input gradients G @ W^T).
//===----------------------------------------------------------------------===//

#include "codegen/common/LinalgBuilders.h"

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::lowering;

namespace {

/// Replaces `op` by `linalg.matmul` of `lhs` and `rhs` into `init`, either
/// operand read transposed (through its indexing map, without a copy).
void replaceByMatmul(ConversionPatternRewriter &rewriter, MatMulOp op,
                     Value lhs, Value rhs, Value init, bool transposedLhs,
                     bool transposedRhs) {
  MLIRContext *ctx = rewriter.getContext();
  AffineExpr m = getAffineDimExpr(0, ctx), n = getAffineDimExpr(1, ctx),
             k = getAffineDimExpr(2, ctx);
  SmallVector<NamedAttribute> attrs;
  if (transposedLhs || transposedRhs) {
    AffineMap lhsMap = transposedLhs ? AffineMap::get(3, 0, {k, m}, ctx)
                                     : AffineMap::get(3, 0, {m, k}, ctx);
    AffineMap rhsMap = transposedRhs ? AffineMap::get(3, 0, {n, k}, ctx)
                                     : AffineMap::get(3, 0, {k, n}, ctx);
    attrs.push_back(rewriter.getNamedAttr(
        "indexing_maps",
        rewriter.getAffineMapArrayAttr(
            {lhsMap, rhsMap, AffineMap::get(3, 0, {m, n}, ctx)})));
  }
  rewriter.replaceOpWithNewOp<linalg::MatmulOp>(op, TypeRange{op.getType()},
                                                ValueRange{lhs, rhs},
                                                ValueRange{init}, attrs);
}

// matmul(A, B) -> linalg.matmul ins(A, B) outs(fill(0)); an lhs of rank > 2
// is collapsed to rows first and the product expanded back.
struct MatMulLowering : public OpConversionPattern<MatMulOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(MatMulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType type = op.getType();
    auto lhsType = cast<RankedTensorType>(adaptor.getLhs().getType());
    if (lhsType.getRank() > 2) {
      // (..., K) x (K, N): rows of lhs through a 2-D matmul, then back.
      int64_t rank = lhsType.getRank();
      SmallVector<ReassociationIndices> rows{
          llvm::to_vector(llvm::seq<int64_t>(0, rank - 1)), {rank - 1}};
      Value lhs2d = tensor::CollapseShapeOp::create(rewriter, loc,
                                                    adaptor.getLhs(), rows);
      auto flatType = RankedTensorType::get(
          {cast<RankedTensorType>(lhs2d.getType()).getDimSize(0),
           type.getShape().back()},
          type.getElementType());
      Value empty = buildEmpty(rewriter, loc, flatType, lhs2d);
      Value zero = constLike(rewriter, loc, empty, 0.0);
      Value init =
          linalg::FillOp::create(rewriter, loc, zero, empty).getResult(0);
      Value product = linalg::MatmulOp::create(
                          rewriter, loc, TypeRange{flatType},
                          ValueRange{lhs2d, adaptor.getRhs()}, ValueRange{init})
                          .getResult(0);
      SmallVector<OpFoldResult> shape;
      for (int64_t d = 0; d < rank - 1; ++d)
        shape.push_back(
            lhsType.isDynamicDim(d)
                ? OpFoldResult(
                      tensor::DimOp::create(rewriter, loc, adaptor.getLhs(), d)
                          .getResult())
                : OpFoldResult(rewriter.getIndexAttr(lhsType.getDimSize(d))));
      shape.push_back(rewriter.getIndexAttr(type.getShape().back()));
      rewriter.replaceOpWithNewOp<tensor::ExpandShapeOp>(op, type, product,
                                                         rows, shape);
      return success();
    }
    if (auto transpose = op.getLhs().getDefiningOp<TransposeOp>();
        transpose && transpose.getPermutation() == ArrayRef<int64_t>{1, 0}) {
      // matmul(transpose(X), B): read X transposed instead of copying it
      // (weight gradients X^T @ G, whose rows are the batch).
      Value x = rewriter.getRemappedValue(transpose.getInput());
      SmallVector<Value> dynamicDims;
      if (type.isDynamicDim(0))
        dynamicDims.push_back(tensor::DimOp::create(rewriter, loc, x, 1));
      if (type.isDynamicDim(1))
        dynamicDims.push_back(
            tensor::DimOp::create(rewriter, loc, adaptor.getRhs(), 1));
      Value empty = tensor::EmptyOp::create(rewriter, loc, type.getShape(),
                                            type.getElementType(), dynamicDims);
      Value init =
          linalg::FillOp::create(rewriter, loc,
                                 constLike(rewriter, loc, empty, 0.0), empty)
              .getResult(0);
      replaceByMatmul(rewriter, op, x, adaptor.getRhs(), init,
                      /*transposedLhs=*/true, /*transposedRhs=*/false);
      return success();
    }
    Value empty = buildEmpty(rewriter, loc, type, adaptor.getLhs());
    // buildEmpty aligns trailing dims; the batch dim of the result is lhs's.
    Value zero = constLike(rewriter, loc, empty, 0.0);
    Value init =
        linalg::FillOp::create(rewriter, loc, zero, empty).getResult(0);
    if (auto transpose = op.getRhs().getDefiningOp<TransposeOp>();
        transpose && transpose.getPermutation() == ArrayRef<int64_t>{1, 0} &&
        transpose.getInput().getType().hasStaticShape()) {
      // matmul(A, transpose(W)): read W transposed instead of copying it
      // (input gradients G @ W^T); its shape is static (a weight).
      replaceByMatmul(rewriter, op, adaptor.getLhs(),
                      rewriter.getRemappedValue(transpose.getInput()), init,
                      /*transposedLhs=*/false, /*transposedRhs=*/true);
      return success();
    }
    replaceByMatmul(rewriter, op, adaptor.getLhs(), adaptor.getRhs(), init,
                    /*transposedLhs=*/false, /*transposedRhs=*/false);
    return success();
  }
};

// batch_matmul(A, B) -> linalg.batch_matmul ins(A, B) outs(fill(0))
struct BatchMatMulLowering : public OpConversionPattern<BatchMatMulOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(BatchMatMulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType type = op.getType();
    // The result's dynamic batch is lhs's.
    Value empty = buildEmpty(rewriter, loc, type, adaptor.getLhs());
    Value init = linalg::FillOp::create(
                     rewriter, loc, constLike(rewriter, loc, empty, 0.0), empty)
                     .getResult(0);
    rewriter.replaceOpWithNewOp<linalg::BatchMatmulOp>(
        op, TypeRange{type}, ValueRange{adaptor.getLhs(), adaptor.getRhs()},
        ValueRange{init});
    return success();
  }
};

} // namespace

void mlir::kiln::populateContractionToLinalgPatterns(
    RewritePatternSet &patterns) {
  patterns.add<MatMulLowering, BatchMatMulLowering>(patterns.getContext());
}
