//===- FuseElementwise.cpp - Elementwise fusion, no reshapes ----*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// `--kiln-fuse-elementwise`: upstream's elementwise producer-consumer fusion
// of linalg generics, without the reshape propagation that turns a
// `linalg.matmul` behind a `tensor.collapse_shape` into a generic
// contraction (see Passes.td). First, an add of a zero-filled matmul's
// product to another tensor becomes the matmul accumulating into that tensor
// (AccumulateIntoMatmul).
//===----------------------------------------------------------------------===//

#include "codegen/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::kiln {
#define GEN_PASS_DEF_FUSEELEMENTWISEPASS
#include "codegen/Passes.h.inc"
} // namespace mlir::kiln

using namespace mlir;
using namespace mlir::kiln;

namespace {

/// `add(acc, matmul(A, B) outs(fill 0))` -> `matmul(A, B) outs(acc)` when the
/// product has no other use: the matmul accumulates into `acc` directly (a
/// gradient summed over a recurrent loop's steps, a residual add), with no
/// zero fill, no separate pass over the sum, and, in a loop, no copy of the
/// accumulator. Tried before fusion, which would absorb the add.
struct AccumulateIntoMatmul : public OpRewritePattern<linalg::GenericOp> {
  AccumulateIntoMatmul(MLIRContext *ctx)
      : OpRewritePattern(ctx, /*benefit=*/2) {}

  LogicalResult matchAndRewrite(linalg::GenericOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureTensorSemantics() || op.getNumDpsInputs() != 2 ||
        op.getNumDpsInits() != 1 ||
        op.getNumParallelLoops() != op.getNumLoops() ||
        !llvm::all_of(op.getIndexingMapsArray(),
                      [](AffineMap map) { return map.isIdentity(); }))
      return failure();
    Block &body = op.getRegion().front();
    auto yield = cast<linalg::YieldOp>(body.getTerminator());
    auto add = yield.getValues()[0].getDefiningOp<arith::AddFOp>();
    if (!add || &body.front() != add.getOperation() ||
        add->getNextNode() != yield.getOperation() ||
        !llvm::is_contained(ValueRange{add.getLhs(), add.getRhs()},
                            body.getArgument(0)) ||
        !llvm::is_contained(ValueRange{add.getLhs(), add.getRhs()},
                            body.getArgument(1)))
      return failure();
    for (unsigned i = 0; i < 2; ++i) {
      Value product = op.getDpsInputs()[i], acc = op.getDpsInputs()[1 - i];
      auto matmul = product.getDefiningOp<linalg::MatmulOp>();
      if (!matmul || !product.hasOneUse() || acc.getType() != product.getType())
        continue;
      auto fill = matmul.getDpsInits()[0].getDefiningOp<linalg::FillOp>();
      auto zero = fill ? fill.getInputs()[0].getDefiningOp<arith::ConstantOp>()
                       : arith::ConstantOp();
      auto value = zero ? dyn_cast<FloatAttr>(zero.getValue()) : FloatAttr();
      if (!value || !value.getValue().isZero())
        continue;
      auto accumulating = cast<linalg::MatmulOp>(rewriter.clone(*matmul));
      accumulating.getDpsInitsMutable()[0].set(acc);
      rewriter.replaceOp(op, accumulating->getResults());
      rewriter.eraseOp(matmul);
      return success();
    }
    return failure();
  }
};

struct FuseElementwisePass
    : public kiln::impl::FuseElementwisePassBase<FuseElementwisePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    // Fuse a producer only into its single user: fusing into several would
    // recompute it in each.
    linalg::ControlFusionFn singleUse = [](OpOperand *fused) {
      Operation *producer = fused->get().getDefiningOp();
      return producer && producer->hasOneUse();
    };
    patterns.add<AccumulateIntoMatmul>(&getContext());
    linalg::populateElementwiseOpsFusionPatterns(patterns, singleUse);
    linalg::populateEraseUnusedOperandsAndResultsPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
