//===- Passes.h - kiln passes and pipelines ---------------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// The single registry of kiln's target-independent passes and of every
// pipeline. Pass ordering exists only in Pipelines.cpp: the driver and
// `kiln-opt --kiln-<stage>-pipeline` build the same pass lists.
//===----------------------------------------------------------------------===//

#ifndef KILN_PASSES_PASSES_H
#define KILN_PASSES_PASSES_H

#include "dialects/kiln/IR/KilnDialect.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"

namespace mlir::kiln {

#define GEN_PASS_DECL
#define GEN_PASS_REGISTRATION
#include "passes/Passes.h.inc"

/// Kiln IR before lowering: mode-dependent ops specialized per function
/// (--kiln-specialize-mode), canonicalization and CSE.
void buildImportCleanupPipeline(OpPassManager &pm);

/// Registers kiln's passes and pipelines with the global registry.
void registerKilnPasses();

/// Everything a kiln tool's context needs: MLIR's dialects and extensions,
/// the kiln dialect and its gradient rules (kiln, kiln-opt, the ONNX
/// conformance runner).
void registerKilnDialects(DialectRegistry &registry);

} // namespace mlir::kiln

#endif // KILN_PASSES_PASSES_H
