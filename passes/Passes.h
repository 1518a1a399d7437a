//===- Passes.h - kiln passes and pipelines ---------------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// The single registry of kiln's target-independent passes and of every
// pipeline. Pass ordering exists only in Pipelines.cpp: the driver and
// `kiln-opt --kiln-<stage>-pipeline` build the same pass lists.
//===----------------------------------------------------------------------===//

#ifndef KILN_PASSES_PASSES_H
#define KILN_PASSES_PASSES_H

#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/PassOptions.h"
#include "dialects/kiln/IR/KilnDialect.h"

namespace mlir::kiln {

#define GEN_PASS_DECL
#define GEN_PASS_REGISTRATION
#include "passes/Passes.h.inc"

/// Options of the CPU lowering pipeline.
struct CpuLoweringOptions : public PassPipelineOptions<CpuLoweringOptions> {
  PassOptions::Option<int64_t> vectorWidth{
      *this, "vector-width",
      llvm::cl::desc("f32 lanes per vector of the matmul micro kernel"),
      llvm::cl::init(16)};
};

/// Import cleanup on kiln IR: canonicalization and CSE.
void buildImportCleanupPipeline(OpPassManager &pm);

/// kiln -> linalg on tensors with elementwise fusion, the target-independent
/// half of codegen (`--kiln-lower-to-linalg-pipeline`).
void buildLinalgPipeline(OpPassManager &pm);

/// Linalg on tensors -> bufferization with caller-owned results
/// (out-params), vectorized matmul, loops, and the LLVM dialect
/// (`--kiln-lower-cpu-pipeline`).
void buildCpuLoweringPipeline(OpPassManager &pm,
                              const CpuLoweringOptions &options);

/// Registers kiln's passes and pipelines with the global registry.
void registerKilnPasses();

} // namespace mlir::kiln

#endif // KILN_PASSES_PASSES_H
