//===- ApproximateMath.cpp - Vector-friendly transcendental functions -----===//
// SPDX-License-Identifier: Apache-2.0
//
// Replaces tanh, exp, expm1, log and log1p by MLIR's polynomial
// approximations (range reduction plus a minimax polynomial, within a few
// ulp of the correctly rounded result), so that a vector of them stays a
// vector of FMAs (see Passes.td). Left to LLVM, `llvm.tanh.v16f32` and its
// kin are split into 16 libm calls: a SimpleRNN's forward pass spent 80% of
// its time in glibc's tanhf.
//===----------------------------------------------------------------------===//

#include "codegen/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Approximation.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::kiln {
#define GEN_PASS_DEF_APPROXIMATEMATHPASS
#include "codegen/Passes.h.inc"
} // namespace mlir::kiln

using namespace mlir;
using namespace mlir::kiln;

namespace {

struct ApproximateMathPass
    : public kiln::impl::ApproximateMathPassBase<ApproximateMathPass> {
  using ApproximateMathPassBase::ApproximateMathPassBase;

  void runOnOperation() override {
    bool all = allFunctions;
    auto approximated = [all](StringRef name) {
      // rsqrt's rewrite is a vector-only AVX2 one; the others are exact
      // enough for any target.
      if (all)
        return name != math::RsqrtOp::getOperationName();
      return llvm::is_contained(
          {math::TanhOp::getOperationName(), math::ExpOp::getOperationName(),
           math::ExpM1Op::getOperationName(), math::LogOp::getOperationName(),
           math::Log1pOp::getOperationName()},
          name);
    };
    RewritePatternSet patterns(&getContext());
    // MLIR has no polynomial for tan: sin / cos, each a polynomial.
    if (all)
      math::populateExpansionPatterns(patterns, {"tan"});
    populateMathPolynomialApproximationPatterns(patterns, approximated);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
