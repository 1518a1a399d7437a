//===- Pipelines.cpp - kiln pass pipelines ----------------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// The target-independent pipelines on kiln IR, each a flat list of passes.
// The pipelines from linalg down are codegen's (codegen/Pipelines.cpp).
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "passes/autodiff/GradientBuilder.h"

#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"

#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void mlir::kiln::buildImportCleanupPipeline(OpPassManager &pm) {
  pm.addNestedPass<func::FuncOp>(createSpecializeModePass());
  // CSE first: canonicalization patterns match one value used alike (a
  // recurrent cell's gates, each the state, made anew per gate, times its
  // slice of the kernel: one product by the kernel).
  pm.addPass(createCSEPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void mlir::kiln::registerKilnPasses() {
  registerKilnTransformsPasses();
  PassPipelineRegistration<>(
      "kiln-import-cleanup-pipeline",
      "Specialize mode-dependent ops, canonicalize and CSE kiln IR",
      buildImportCleanupPipeline);
}

void mlir::kiln::registerKilnDialects(DialectRegistry &registry) {
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registry.insert<KilnDialect>();
  registerGradientRules(registry);
}
