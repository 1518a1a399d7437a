//===- GradCheck.h - `kiln gradcheck` ---------------------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Compares the gradients kiln derives (passes/autodiff) with float64 central
// finite differences, JIT-compiling both the loss and its gradient function.
//===----------------------------------------------------------------------===//

#ifndef KILN_TOOLS_KILN_GRADCHECK_H
#define KILN_TOOLS_KILN_GRADCHECK_H

#include "dialects/kiln/Model/ImportedModel.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace mlir::kiln {

struct GradCheckOptions {
  int64_t batch = 3;       ///< size of dynamic batch dimensions
  uint64_t seed = 0;       ///< random inputs and cotangents
  double tolerance = 1e-5; ///< worst relative error allowed
  int64_t maxChecks = 32;  ///< finite differences per argument
  double inputMin = -1.0;  ///< random inputs are uniform in [min, max]
  double inputMax = 1.0;
};

/// Checks `loss` (result #0 a scalar; other functions of the module are
/// ignored). Arguments tagged `kiln.param` are differentiated (all float
/// arguments if none is); `initialValues` optionally gives their values by
/// argument index (others are random). Prints a report; returns the exit
/// code: 0 when every error is within tolerance, 1 otherwise.
int runGradCheck(
    ModuleOp module, func::FuncOp loss,
    llvm::ArrayRef<std::pair<unsigned, const ParamData *>> initialValues,
    const GradCheckOptions &options);

/// Turns an imported model's @predict into a scalar loss for gradcheck:
/// `sum_i sum(output_i * cotangent_i)` with the cotangents as extra
/// arguments, so the check covers the model's whole Jacobian.
func::FuncOp buildProjectionLoss(ImportedModel &model);

/// Gives the mode-dependent ops of `func` (BatchNormalization, Dropout, ...)
/// the forms the check covers: the training forms that `fit` differentiates,
/// keyed as the first step of a run seeded with `seed` (batch statistics,
/// fixed dropout masks), or the inference forms of `predict` and
/// `evaluate`; says how many ops it specialized. Fails with an error on
/// `func` where a layer has no training form.
LogicalResult specializeForGradCheck(func::FuncOp func, bool training,
                                     uint64_t seed);

} // namespace mlir::kiln

#endif // KILN_TOOLS_KILN_GRADCHECK_H
