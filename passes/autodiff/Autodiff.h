//===- Autodiff.h - Reverse-mode automatic differentiation ------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// The generic reverse walk. It knows no op: every op provides its
// vector-Jacobian product through GradientOpInterface (rules in
// GradientRules*.cpp), and the walk accumulates gradients of values with
// several uses and sums broadcast gradients back to operand shapes.
//===----------------------------------------------------------------------===//

#ifndef KILN_PASSES_AUTODIFF_AUTODIFF_H
#define KILN_PASSES_AUTODIFF_AUTODIFF_H

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace mlir::kiln {

/// Adds to `forward`'s module a function `gradName` with `forward`'s
/// arguments that returns `forward`'s results (the first a scalar loss, the
/// others passed through, e.g. predictions) followed by the gradient of the
/// loss with respect to each argument in `wrt`. Emits an
/// error on `forward` and fails if the loss is not a scalar or an op on the
/// path is not differentiable.
FailureOr<func::FuncOp> buildGradientFunction(func::FuncOp forward,
                                              ArrayRef<unsigned> wrt,
                                              StringRef gradName);

} // namespace mlir::kiln

#endif // KILN_PASSES_AUTODIFF_AUTODIFF_H
