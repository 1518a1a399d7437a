//===- ModelJit.cpp - A whole model compiled in memory ----------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//===----------------------------------------------------------------------===//

#include "codegen/cpu/ModelJit.h"
#include "codegen/Passes.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ExecutionEngine/Orc/LLJIT.h"
#include "llvm/ExecutionEngine/Orc/ThreadSafeModule.h"
#include "llvm/Support/TargetSelect.h"

using namespace mlir;
using namespace mlir::kiln;

ModelJit::~ModelJit() = default;

llvm::Expected<std::unique_ptr<ModelJit>>
ModelJit::compile(ImportedModel &model, const CpuTarget &target,
                  bool gpuMappingOnHost) {
  MLIRContext *ctx = model.module->getContext();
  ModelSignature signature = getModelSignature(model);
  PassManager linalg(ctx);
  linalg.enableVerifier(false);
  buildImportCleanupPipeline(linalg);
  if (gpuMappingOnHost) // the GPU's linalg, as `kiln compile` makes it
    linalg.addNestedPass<func::FuncOp>(createTransposedConvolutionPass());
  buildLinalgPipeline(linalg);
  if (failed(linalg.run(*model.module)) || failed(verify(*model.module)))
    return llvm::createStringError("lowering to linalg failed");
  stripAbiAttributes(*model.module);
  PassManager lowering(ctx);
  lowering.enableVerifier(false);
  CpuLoweringOptions options;
  setLoweringOptions(target, options);
  if (gpuMappingOnHost) {
    CudaLoweringOptions mapping;
    buildGpuMappingOnHostPipeline(lowering, mapping, options);
  } else {
    buildCpuLoweringPipeline(lowering, options);
  }
  if (failed(lowering.run(*model.module)) || failed(verify(*model.module)))
    return llvm::createStringError("lowering to the LLVM dialect failed");

  auto llvmContext = std::make_unique<llvm::LLVMContext>();
  llvm::Expected<std::unique_ptr<llvm::Module>> module =
      translateModel(*model.module, *llvmContext, model, signature, target);
  if (!module)
    return module.takeError();
  optimizeModule(**module, target);

  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  auto machine = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!machine)
    return machine.takeError();
  machine->setCPU(target.machine->getTargetCPU().str());
  std::vector<std::string> features{
      target.machine->getTargetFeatureString().str()};
  machine->addFeatures(features);
  auto jit = llvm::orc::LLJITBuilder()
                 .setJITTargetMachineBuilder(std::move(*machine))
                 .create();
  if (!jit)
    return jit.takeError();
  (*module)->setDataLayout((*jit)->getDataLayout());
  if (llvm::Error error = (*jit)->addIRModule(llvm::orc::ThreadSafeModule(
          std::move(*module), std::move(llvmContext))))
    return std::move(error);
  auto address = (*jit)->lookup("kiln_model_descriptor");
  if (!address)
    return address.takeError();
  std::unique_ptr<ModelJit> result(new ModelJit());
  result->desc = address->toPtr<const kiln_model_desc_t *>();
  result->jit = std::move(*jit);
  return std::move(result);
}
