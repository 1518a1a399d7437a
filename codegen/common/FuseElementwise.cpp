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
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::kiln {
#define GEN_PASS_DEF_FUSEELEMENTWISEPASS
#include "codegen/Passes.h.inc"
} // namespace mlir::kiln

using namespace mlir;
using namespace mlir::kiln;

/// True when `body` is `yield addf(arg0, arg1)` (either order): the sum of
/// a generic's first two operands, nothing else.
static bool isSumOfFirstTwoArgs(Block &body) {
  auto add = dyn_cast<arith::AddFOp>(body.front());
  if (!add || add->getNextNode() != body.getTerminator() ||
      body.getTerminator()->getOperand(0) != add.getResult())
    return false;
  ValueRange operands{add.getLhs(), add.getRhs()};
  return llvm::is_contained(operands, body.getArgument(0)) &&
         llvm::is_contained(operands, body.getArgument(1));
}

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
    if (!isSumOfFirstTwoArgs(op.getRegion().front()))
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

/// The value every element of `v` holds, when it is a splat: a
/// `linalg.fill`, or a generic without inputs that yields a value from
/// outside its body. Null otherwise.
static Value splatValue(Value v) {
  if (auto fill = v.getDefiningOp<linalg::FillOp>())
    return fill.getInputs()[0];
  auto generic = v.getDefiningOp<linalg::GenericOp>();
  if (!generic || generic.getNumDpsInputs() != 0 ||
      generic->getNumResults() != 1)
    return {};
  Block &body = generic.getRegion().front();
  if (&body.front() != body.getTerminator())
    return {};
  Value yielded = body.getTerminator()->getOperand(0);
  return yielded.getParentRegion() == &generic.getRegion() ? Value() : yielded;
}

/// A generic without inputs that yields one value from outside its body
/// (a constant tensor the lowering wrote as a loop) -> `linalg.fill`: the
/// fill folds into its consumers (FoldFillWithGenericOp) and through
/// reshapes.
struct GenericSplatToFill : public OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::GenericOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureTensorSemantics() || op.getNumDpsInits() != 1)
      return failure();
    Value value = splatValue(op->getResult(0));
    if (!value)
      return failure();
    rewriter.replaceOpWithNewOp<linalg::FillOp>(op, value, op.getDpsInits()[0]);
    return success();
  }
};

/// A sum over a splat `s` -> `init + s * R`, R the product of the reduced
/// extents: the count of a mean's gradient (a reduce_sum of ones) is the
/// batch size, not a reduction over a tensor of ones written for it.
struct SumOfSplat : public OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::GenericOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureTensorSemantics() || op.getNumDpsInputs() != 1 ||
        op.getNumDpsInits() != 1 || op.getNumReductionLoops() == 0 ||
        !op.getIndexingMapsArray().back().isProjectedPermutation())
      return failure();
    if (!isSumOfFirstTwoArgs(op.getRegion().front()))
      return failure();
    Value splat = splatValue(op.getDpsInputs()[0]);
    if (!splat)
      return failure();
    Location loc = op.getLoc();
    // R: the reduced loops' extents, as the element type.
    SmallVector<Range, 4> ranges = cast<linalg::LinalgOp>(op.getOperation())
                                       .createLoopRanges(rewriter, loc);
    Value count = arith::ConstantIndexOp::create(rewriter, loc, 1);
    for (auto [range, iterator] : llvm::zip(ranges, op.getIteratorTypesArray()))
      if (iterator == utils::IteratorType::reduction)
        count = arith::MulIOp::create(
            rewriter, loc, count,
            getValueOrCreateConstantIndexOp(rewriter, loc, range.size));
    Type element = splat.getType();
    Value total = arith::MulFOp::create(
        rewriter, loc, splat,
        arith::UIToFPOp::create(
            rewriter, loc, element,
            arith::IndexCastUIOp::create(rewriter, loc, rewriter.getI64Type(),
                                         count)));
    // An empty sum is 0 where s * 0 is not (s infinite or NaN): unless s is
    // a finite constant, R = 0 selects 0.
    APFloat constant(0.0f);
    if (!matchPattern(splat, m_ConstantFloat(&constant)) ||
        !constant.isFinite())
      total = arith::SelectOp::create(
          rewriter, loc,
          arith::CmpIOp::create(
              rewriter, loc, arith::CmpIPredicate::eq, count,
              arith::ConstantIndexOp::create(rewriter, loc, 0)),
          arith::ConstantOp::create(rewriter, loc,
                                    rewriter.getZeroAttr(element)),
          total);
    Value init = op.getDpsInits()[0];
    if (Value start = splatValue(init)) {
      if (!matchPattern(start, m_AnyZeroFloat()))
        total = arith::AddFOp::create(rewriter, loc, start, total);
      rewriter.replaceOpWithNewOp<linalg::FillOp>(op, total, init);
      return success();
    }
    auto type = cast<RankedTensorType>(init.getType());
    AffineMap identity = rewriter.getMultiDimIdentityMap(type.getRank());
    rewriter.replaceOpWithNewOp<linalg::GenericOp>(
        op, type, ValueRange{}, ValueRange{init}, ArrayRef<AffineMap>{identity},
        SmallVector<utils::IteratorType>(type.getRank(),
                                         utils::IteratorType::parallel),
        [&](OpBuilder &b, Location l, ValueRange args) {
          linalg::YieldOp::create(
              b, l, arith::AddFOp::create(b, l, args[0], total).getResult());
        });
    return success();
  }
};

struct FuseElementwisePass
    : public kiln::impl::FuseElementwisePassBase<FuseElementwisePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    // Fuse a producer only into its single user: fusing into several would
    // recompute it in each. A scalar computation on scalars (no loops, 0-d
    // inputs: an optimizer's step size from its step count) fuses into all
    // of them: each recomputes a few flops, loop-invariant (hoisted from a
    // CPU loop), where it would otherwise be a kernel of one thread on a
    // GPU and a round trip through memory.
    linalg::ControlFusionFn control = [](OpOperand *fused) {
      auto producer = fused->get().getDefiningOp<linalg::GenericOp>();
      if (!producer)
        return false;
      if (producer->hasOneUse())
        return true;
      auto isScalar = [](Value v) {
        auto type = dyn_cast<RankedTensorType>(v.getType());
        return type && type.getRank() == 0;
      };
      return producer.getNumLoops() == 0 &&
             llvm::all_of(producer.getDpsInputs(), isScalar);
    };
    patterns.add<AccumulateIntoMatmul>(&getContext());
    patterns.add<GenericSplatToFill, SumOfSplat>(&getContext());
    linalg::populateElementwiseOpsFusionPatterns(patterns, control);
    linalg::FillOp::getCanonicalizationPatterns(patterns, &getContext());
    tensor::DimOp::getCanonicalizationPatterns(patterns, &getContext());
    tensor::EmptyOp::getCanonicalizationPatterns(patterns, &getContext());
    linalg::populateEraseUnusedOperandsAndResultsPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
