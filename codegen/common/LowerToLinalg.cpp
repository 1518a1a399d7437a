//===- LowerToLinalg.cpp - kiln ops to linalg on tensors --------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// `--kiln-lower-to-linalg`: lowers every kiln op to linalg/tensor/arith/math
// on tensors, the common entry of both targets' pipelines. The patterns live
// with their op family in `<Family>ToLinalg.cpp` (helpers they share in
// LinalgBuilders.h); `populateKilnToLinalgPatterns` below is the one list of
// families. The whole kiln dialect is illegal, so an op no family lowers
// (e.g. a `kiln.dropout` that `--kiln-specialize-mode` did not replace) fails
// the conversion instead of passing through.
//===----------------------------------------------------------------------===//

#include "codegen/Passes.h"
#include "codegen/common/LinalgBuilders.h" // the dialects lowered to

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

namespace mlir::kiln {
#define GEN_PASS_DEF_LOWERTOLINALGPASS
#include "codegen/Passes.h.inc"
} // namespace mlir::kiln

using namespace mlir;
using namespace mlir::kiln;

void mlir::kiln::populateKilnToLinalgPatterns(RewritePatternSet &patterns) {
  populateConstantToLinalgPatterns(patterns);
  populateContractionToLinalgPatterns(patterns);
  populateElementwiseBinaryToLinalgPatterns(patterns);
  populateElementwiseUnaryToLinalgPatterns(patterns);
  populateReductionToLinalgPatterns(patterns);
  populateNormalizationToLinalgPatterns(patterns);
  populateShapeToLinalgPatterns(patterns);
  populateLossToLinalgPatterns(patterns);
  populateRandomToLinalgPatterns(patterns);
  populateWindowToLinalgPatterns(patterns);
  populateSequenceToLinalgPatterns(patterns);
  populateGatherToLinalgPatterns(patterns);
  populateImageToLinalgPatterns(patterns);
  populateComparisonToLinalgPatterns(patterns);
}

void mlir::kiln::populateKilnToLinalgLegality(ConversionTarget &target) {
  target.addIllegalDialect<KilnDialect>();
  target.addLegalDialect<arith::ArithDialect, linalg::LinalgDialect,
                         math::MathDialect, scf::SCFDialect,
                         tensor::TensorDialect>();
}

// --kiln-lower-to-linalg
namespace {
struct LowerToLinalgPass
    : public kiln::impl::LowerToLinalgPassBase<LowerToLinalgPass> {
  void runOnOperation() override {
    ConversionTarget target(getContext());
    populateKilnToLinalgLegality(target);
    RewritePatternSet patterns(&getContext());
    populateKilnToLinalgPatterns(patterns);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
