//===- CudaTarget.cpp - The GPU part of a model object ----------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//===----------------------------------------------------------------------===//

#include "codegen/cuda/CudaTarget.h"
#include "codegen/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Target/LLVM/NVVM/Target.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/GPU/GPUToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/NVVM/NVVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"

using namespace mlir;
using namespace mlir::kiln;

/// The lowered entries' names in the CUDA module once translated: apart
/// from the CPU module's, which it is linked into.
static constexpr llvm::StringLiteral kImplPrefix = "kiln_cuda_";

bool mlir::kiln::isKnownGpuArch(llvm::StringRef arch) {
  return !ptxFeaturesFor(arch).empty();
}

bool mlir::kiln::hasTf32AndBf16Mma(llvm::StringRef arch) {
  // Volta and Turing's tensor cores multiply f16 only.
  return isKnownGpuArch(arch) && arch != "sm_70" && arch != "sm_75";
}

void mlir::kiln::registerCudaTranslations(DialectRegistry &registry) {
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  registerGPUDialectTranslation(registry);
  gpu::registerOffloadingLLVMTranslationInterfaceExternalModels(registry);
  registerNVVMDialectTranslation(registry);
  NVVM::registerNVVMTargetInterfaceExternalModels(registry);
}

llvm::Expected<llvm::SmallVector<GpuPtx>>
mlir::kiln::extractPtx(ModuleOp module) {
  llvm::SmallVector<GpuPtx> objects;
  for (auto binary : module.getOps<gpu::BinaryOp>())
    for (Attribute attr : binary.getObjects()) {
      auto object = dyn_cast<gpu::ObjectAttr>(attr);
      auto target =
          object ? dyn_cast<NVVM::NVVMTargetAttr>(object.getTarget()) : nullptr;
      if (!target)
        continue;
      std::string ptx = object.getObject().getValue().str();
      // A call nothing defines (a libdevice function: kiln links none, so
      // that compiling needs no CUDA toolkit) would fail only in the
      // driver's JIT, on the user's machine.
      size_t at = ptx.find(".extern .func");
      if (at != std::string::npos) {
        size_t end = ptx.find('\n', at);
        return llvm::createStringError(
            "the GPU kernels call a function kiln does not provide: '" +
            llvm::StringRef(ptx).slice(at, end).str() + "'");
      }
      objects.push_back({target.getChip().str(), std::move(ptx)});
    }
  if (objects.empty())
    return llvm::createStringError("the lowered module has no PTX");
  return objects;
}

llvm::Expected<std::unique_ptr<llvm::Module>> mlir::kiln::translateGpuModel(
    ModuleOp module, llvm::LLVMContext &context, const ImportedModel &model,
    const ModelSignature &signature, llvm::ArrayRef<GpuPtx> ptx,
    const CpuTarget &target, llvm::StringRef matmulPrecision) {
  DialectRegistry registry;
  registerCudaTranslations(registry);
  module->getContext()->appendDialectRegistry(registry);
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, context, model.name + "_cuda");
  if (!llvmModule)
    return llvm::createStringError("translation of the CUDA host code to "
                                   "LLVM IR failed");
  llvmModule->setTargetTriple(target.machine->getTargetTriple());
  llvmModule->setDataLayout(target.machine->createDataLayout());
  for (llvm::StringRef entry :
       {llvm::StringRef(kPredictFuncName), llvm::StringRef("train_step"),
        llvm::StringRef("eval_step")})
    if (llvm::Function *fn = llvmModule->getFunction(entry))
      fn->setName(kImplPrefix + entry);
  ModelSignature complete = signature;
  complete.workspace = getWorkspaceSizes(module);
  if (llvm::Error error = emitGpuAbi(*llvmModule, model, complete, ptx,
                                     kImplPrefix, matmulPrecision))
    return std::move(error);
  return std::move(llvmModule);
}
