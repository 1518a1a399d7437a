//===- kiln-opt.cpp - mlir-opt with kiln registered -------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// The kiln dialect, kiln's passes and pipelines, and every upstream dialect
// and pass, behind MlirOptMain: what lit tests and debugging sessions run.
//===----------------------------------------------------------------------===//

#include "codegen/Passes.h"
#include "dialects/kiln/IR/KilnDialect.h"
#include "passes/Passes.h"
#include "passes/autodiff/GradientBuilder.h"

#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Target/LLVM/NVVM/Target.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  mlir::kiln::registerKilnDialects(registry);
  // gpu-module-to-binary: PTX from LLVM's NVPTX backend, in process.
  mlir::registerAllToLLVMIRTranslations(registry);
  mlir::NVVM::registerNVVMTargetInterfaceExternalModels(registry);
  mlir::registerAllPasses();
  mlir::kiln::registerKilnPasses();
  mlir::kiln::registerCodegenPipelines();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "kiln optimizer driver\n", registry));
}
