//===- TransposedConvolution.cpp - Input gradients as convolutions --------===//
// SPDX-License-Identifier: Apache-2.0
//
// `--kiln-cuda-transposed-convolution`: `fold_patches(g @ W2^T)`, a stride-1
// convolution's input gradient as autodiff writes it, becomes a convolution
// of g with the flipped kernel, which the GPU runs as an implicit GEMM. See
// Passes.td.
//===----------------------------------------------------------------------===//

#include "codegen/Passes.h"
#include "dialects/kiln/IR/KilnDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::kiln {
#define GEN_PASS_DEF_TRANSPOSEDCONVOLUTIONPASS
#include "codegen/Passes.h.inc"
} // namespace mlir::kiln

using namespace mlir;
using namespace mlir::kiln;

namespace {

/// dx[n, y, c] = sum_{k, f} g[n, y + pad_low - k dil, f] W[k, c, f] (stride
/// 1) is, with k' = K - 1 - k, the convolution of g with W'[k', f, c] =
/// W[K - 1 - k', c, f], padded by (K - 1) dil - pad_low before and
/// (K - 1) dil - pad_high after: that gives x's sizes back.
struct FoldToConvolution : public OpRewritePattern<FoldPatchesOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(FoldPatchesOp fold,
                                PatternRewriter &rewriter) const override {
    // The patches' gradient g @ W2^T, W2 the kernel as (taps * C, F).
    auto product = fold.getPatches().getDefiningOp<MatMulOp>();
    if (!product)
      return rewriter.notifyMatchFailure(fold, "the patches are no product");
    auto transpose = product.getRhs().getDefiningOp<TransposeOp>();
    if (!transpose || transpose.getPermutation() != ArrayRef<int64_t>{1, 0})
      return rewriter.notifyMatchFailure(fold, "not a transposed matrix");
    auto reshape = transpose.getInput().getDefiningOp<ReshapeOp>();
    if (!reshape)
      return rewriter.notifyMatchFailure(fold, "not a reshaped kernel");
    Value kernel = reshape.getInput();
    auto kernelType = cast<RankedTensorType>(kernel.getType());
    auto likeType = cast<RankedTensorType>(fold.getLike().getType());
    auto gType = cast<RankedTensorType>(product.getLhs().getType());
    WindowGeometry geometry = fold.getGeometry();
    int64_t rank = geometry.rank();
    if (kernelType.getRank() != rank + 2 ||
        kernelType.getShape().take_front(rank) != ArrayRef(geometry.window) ||
        kernelType.getDimSize(rank) != likeType.getShape().back() ||
        kernelType.getDimSize(rank + 1) != gType.getShape().back() ||
        gType.getRank() != likeType.getRank())
      return rewriter.notifyMatchFailure(fold, "not the kernel of the window");
    SmallVector<int64_t> padLow, padHigh;
    for (int64_t i = 0; i < rank; ++i) {
      int64_t reach = (geometry.window[i] - 1) * geometry.dilations[i];
      if (geometry.strides[i] != 1 || geometry.padLow[i] > reach ||
          geometry.padHigh[i] > reach)
        return rewriter.notifyMatchFailure(
            fold, "a stride above 1 or padding wider than the window");
      padLow.push_back(reach - geometry.padLow[i]);
      padHigh.push_back(reach - geometry.padHigh[i]);
    }

    Location loc = fold.getLoc();
    int64_t taps = geometry.taps();
    int64_t channels = kernelType.getDimSize(rank);
    int64_t filters = kernelType.getDimSize(rank + 1);
    Type element = kernelType.getElementType();
    // The taps reversed along every spatial axis at once: row t of the
    // (taps, C * F) kernel becomes row taps - 1 - t.
    auto rowsType = RankedTensorType::get({taps, channels * filters}, element);
    Value rows = ReshapeOp::create(rewriter, loc, rowsType, kernel);
    SmallVector<int32_t> reversed;
    for (int64_t t = taps - 1; t >= 0; --t)
      reversed.push_back(static_cast<int32_t>(t));
    auto indexType = RankedTensorType::get({taps}, rewriter.getI32Type());
    Value indices = ConstantOp::create(
        rewriter, loc,
        DenseIntElementsAttr::get(indexType, ArrayRef(reversed)));
    Value flipped = GatherOp::create(rewriter, loc, rowsType, rows, indices);
    flipped = ReshapeOp::create(rewriter, loc, kernelType, flipped);
    SmallVector<int64_t> swap = llvm::to_vector(llvm::seq<int64_t>(0, rank));
    swap.append({rank + 1, rank});
    Value swapped = TransposeOp::create(rewriter, loc, flipped, swap);
    rewriter.replaceOpWithNewOp<ConvOp>(fold, fold.getType(), product.getLhs(),
                                        swapped, SmallVector<int64_t>(rank, 1),
                                        geometry.dilations, padLow, padHigh);
    return success();
  }
};

struct TransposedConvolutionPass
    : public kiln::impl::TransposedConvolutionPassBase<
          TransposedConvolutionPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FoldToConvolution>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
