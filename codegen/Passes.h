//===- Passes.h - kiln codegen passes ---------------------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// The single registry of codegen/'s passes and pattern sets.
//===----------------------------------------------------------------------===//

#ifndef KILN_CODEGEN_PASSES_H
#define KILN_CODEGEN_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir {
class ConversionTarget;
class RewritePatternSet;

namespace kiln {

#define GEN_PASS_DECL
#define GEN_PASS_REGISTRATION
#include "codegen/Passes.h.inc"

/// Patterns lowering every kiln op to linalg/tensor/arith/math on tensors.
void populateKilnToLinalgPatterns(RewritePatternSet &patterns);
/// Marks kiln illegal and the dialects the lowering produces legal.
void populateKilnToLinalgLegality(ConversionTarget &target);

} // namespace kiln
} // namespace mlir

#endif // KILN_CODEGEN_PASSES_H
