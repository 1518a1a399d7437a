//===- CpuJit.cpp - In-memory compilation of lowered modules ----*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//===----------------------------------------------------------------------===//

#include "codegen/cpu/CpuJit.h"
#include "codegen/Passes.h"
#include "codegen/abi/ModelAbi.h"
#include "codegen/cpu/CpuTarget.h"

#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/TargetSelect.h"

using namespace mlir;
using namespace mlir::kiln;

CpuJit::~CpuJit() = default;

llvm::Expected<std::unique_ptr<CpuJit>>
CpuJit::create(ModuleOp module, llvm::ArrayRef<Entry> entries) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  DialectRegistry registry;
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  registerOpenMPDialectTranslation(registry);
  module->getContext()->appendDialectRegistry(registry);

  std::string builderError;
  auto buildModule =
      [&](Operation *op,
          llvm::LLVMContext &context) -> std::unique_ptr<llvm::Module> {
    std::unique_ptr<llvm::Module> llvmModule =
        translateModuleToLLVMIR(op, context, "kiln-jit");
    if (!llvmModule) {
      builderError = "translation to LLVM IR failed";
      return nullptr;
    }
    for (const Entry &entry : entries) {
      llvm::Expected<llvm::Function *> fn =
          emitEntryWrapper(*llvmModule, entry.implName, entry.entryName,
                           entry.buffers, /*exported=*/true);
      if (!fn) {
        builderError = llvm::toString(fn.takeError());
        return nullptr;
      }
    }
    return llvmModule;
  };
  // The host's O3 pipeline and code generation, as `kiln compile` runs
  // them: what runs here is what an executable would run.
  llvm::Expected<std::unique_ptr<CpuTarget>> created = createCpuTarget("");
  if (!created)
    return created.takeError();
  // Owned by the transformer: the engine may keep it past this function.
  std::shared_ptr<CpuTarget> target = std::move(*created);
  auto transformer = [target](llvm::Module *m) -> llvm::Error {
    m->setDataLayout(target->machine->createDataLayout());
    optimizeModule(*m, *target);
    return llvm::Error::success();
  };
  ExecutionEngineOptions options;
  options.llvmModuleBuilder = buildModule;
  options.transformer = transformer;
  options.jitCodeGenOptLevel = llvm::CodeGenOptLevel::Aggressive;
  auto engine = ExecutionEngine::create(module, options);
  if (!engine) {
    std::string message = llvm::toString(engine.takeError());
    return llvm::createStringError(builderError.empty() ? message
                                                        : builderError);
  }
  std::unique_ptr<CpuJit> jit(new CpuJit());
  jit->engine = std::move(*engine);
  llvm::StringMap<WorkspaceSize> sizes = getWorkspaceSizes(module);
  for (const Entry &entry : entries)
    jit->workspaceSizes[entry.entryName] = sizes.lookup(entry.implName);
  return std::move(jit);
}

CpuJit::EntryFn CpuJit::lookup(llvm::StringRef entryName) {
  auto address = engine->lookup(entryName);
  if (!address) {
    llvm::consumeError(address.takeError());
    return nullptr;
  }
  return reinterpret_cast<EntryFn>(*address);
}

int32_t CpuJit::run(llvm::StringRef entryName, int64_t batch,
                    void *const *buffers) {
  EntryFn fn = lookup(entryName);
  if (!fn)
    return -1;
  WorkspaceSize size = workspaceSizes.lookup(entryName);
  // 64 bytes of slack to align the start to a cache line.
  size_t bytes = size_t(size.fixedBytes + size.perSampleBytes * batch) + 64;
  if (workspace.size() * sizeof(uint64_t) < bytes)
    workspace.resize((bytes + sizeof(uint64_t) - 1) / sizeof(uint64_t));
  auto base = reinterpret_cast<uintptr_t>(workspace.data());
  void *aligned = reinterpret_cast<void *>((base + 63) & ~uintptr_t(63));
  return fn(batch, buffers, aligned);
}
