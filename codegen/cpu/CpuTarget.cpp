//===- CpuTarget.cpp - x86-64 code generation and packaging -----*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//===----------------------------------------------------------------------===//

#include "codegen/cpu/CpuTarget.h"
#include "codegen/Passes.h"
#include "codegen/abi/OutputFile.h"

#include "llvm/ADT/ScopeExit.h"
#include "llvm/Support/Signals.h"

#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/TargetParser/Host.h"

using namespace mlir;
using namespace mlir::kiln;

/// An error carrying `message` (kiln's compiler errors are llvm::Error,
/// printed once by the driver).
static llvm::Error targetError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

llvm::Expected<std::unique_ptr<CpuTarget>>
mlir::kiln::createCpuTarget(llvm::StringRef cpu) {
  std::string error;
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  llvm::Triple triple(llvm::sys::getDefaultTargetTriple());
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return targetError(error);
  std::string cpuName, features;
  if (cpu.empty() || cpu == "native") {
    cpuName = llvm::sys::getHostCPUName().str();
    llvm::SubtargetFeatures featureSet;
    for (const auto &[feature, enabled] : llvm::sys::getHostCPUFeatures())
      featureSet.AddFeature(feature, enabled);
    features = featureSet.getString();
  } else {
    cpuName = cpu.str();
    // Check the name first: LLVM only warns about unknown CPUs.
    std::unique_ptr<llvm::MCSubtargetInfo> generic(
        target->createMCSubtargetInfo(triple, "", ""));
    if (!generic || !generic->isCPUStringValid(cpuName)) {
      return targetError("unknown target CPU '" + cpuName + "' for " +
                         triple.str());
    }
  }
  auto result = std::make_unique<CpuTarget>();
  result->machine.reset(target->createTargetMachine(
      triple, cpuName, features, llvm::TargetOptions(), llvm::Reloc::PIC_,
      std::nullopt, llvm::CodeGenOptLevel::Aggressive));
  if (!result->machine) {
    return targetError("cannot create a target machine for " + triple.str());
  }
  const llvm::MCSubtargetInfo *sti = result->machine->getMCSubtargetInfo();
  result->vectorWidth = sti->checkFeatures("+avx512f") ? 16 : 8;
  return std::move(result);
}

llvm::Expected<std::unique_ptr<llvm::Module>> mlir::kiln::translateModel(
    ModuleOp module, llvm::LLVMContext &context, const ImportedModel &model,
    const ModelSignature &signature, const CpuTarget &target) {
  DialectRegistry registry;
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  module->getContext()->appendDialectRegistry(registry);
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, context, model.name);
  if (!llvmModule)
    return targetError("translation to LLVM IR failed");
  llvmModule->setTargetTriple(target.machine->getTargetTriple());
  llvmModule->setDataLayout(target.machine->createDataLayout());
  // The workspace sizes the lowering recorded complete the signature.
  ModelSignature complete = signature;
  complete.workspace = getWorkspaceSizes(module);
  if (llvm::Error error =
          emitModelAbi(*llvmModule, model, complete, kPredictFuncName))
    return std::move(error);
  return std::move(llvmModule);
}

/// LLVM's O3 without `called-value-propagation`: it only annotates indirect
/// calls, of which generated code has none, and its solver's time grows
/// with the square of the call sites (40 s of a 1000-layer model's compile).
static llvm::ModulePassManager
buildO3Pipeline(llvm::PassBuilder &pb,
                llvm::PassInstrumentationCallbacks &callbacks) {
  llvm::ModulePassManager o3 =
      pb.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O3);
  std::string text;
  llvm::raw_string_ostream os(text);
  o3.printPipeline(os, [&](llvm::StringRef className) {
    llvm::StringRef name = callbacks.getPassNameForClassName(className);
    return name.empty() ? className : name;
  });
  llvm::StringRef pass = "called-value-propagation";
  size_t at = text.find(pass);
  if (at == std::string::npos)
    return o3;
  text.erase(at, pass.size() + (text.compare(at + pass.size(), 1, ",") == 0));
  llvm::ModulePassManager trimmed;
  if (llvm::Error error = pb.parsePassPipeline(trimmed, text)) {
    llvm::consumeError(std::move(error)); // as printed, it always parses
    return o3;
  }
  return trimmed;
}

void mlir::kiln::optimizeModule(llvm::Module &module, const CpuTarget &target) {
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PassInstrumentationCallbacks callbacks;
  llvm::PassBuilder pb(target.machine.get(), llvm::PipelineTuningOptions(),
                       std::nullopt, &callbacks);
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  llvm::ModulePassManager mpm = buildO3Pipeline(pb, callbacks);
  mpm.run(module, mam);
}

llvm::Error mlir::kiln::emitMachineCode(llvm::Module &module,
                                        const CpuTarget &target, bool assembly,
                                        llvm::StringRef path) {
  // Atomic: an interrupted compile leaves the old file or none.
  return writeOutputFile(
      path, /*binary=*/!assembly,
      [&](llvm::raw_pwrite_stream &os) -> llvm::Error {
        llvm::legacy::PassManager pm;
        if (target.machine->addPassesToEmitFile(
                pm, os, nullptr,
                assembly ? llvm::CodeGenFileType::AssemblyFile
                         : llvm::CodeGenFileType::ObjectFile))
          return targetError("the target cannot emit this file type");
        pm.run(module);
        return llvm::Error::success();
      });
}

/// The directory holding libkiln_runtime_*.a: $KILN_RUNTIME_DIR, else
/// `<dir of this executable>/../lib`.
static std::string runtimeLibraryDir() {
  if (const char *dir = std::getenv("KILN_RUNTIME_DIR"))
    return dir;
  static int anchor;
  std::string exe = llvm::sys::fs::getMainExecutable("kiln", &anchor);
  llvm::SmallString<256> dir(
      llvm::sys::path::parent_path(llvm::sys::path::parent_path(exe)));
  llvm::sys::path::append(dir, "lib");
  return dir.str().str();
}

llvm::Error mlir::kiln::linkExecutable(llvm::StringRef objectPath,
                                       llvm::StringRef outputPath) {
  std::string libDir = runtimeLibraryDir();
  // The runtime's archives, each before the ones it depends on
  // (runtime/README.md): main() first, the session and base archives last.
  llvm::SmallVector<std::string> libs;
  for (llvm::StringRef layer :
       {"main", "cli", "train", "data", "model", "formats", "base"}) {
    llvm::SmallString<256> lib(libDir);
    llvm::sys::path::append(lib, "libkiln_runtime_" + layer + ".a");
    if (!llvm::sys::fs::exists(lib)) {
      return targetError("kiln runtime library '" + lib +
                         "' not found (set KILN_RUNTIME_DIR)");
    }
    libs.push_back(lib.str().str());
  }
  llvm::ErrorOr<std::string> driver = llvm::sys::findProgramByName("c++");
  if (!driver)
    driver = llvm::sys::findProgramByName("g++");
  if (!driver) {
    return targetError(
        "no system C++ compiler driver (c++ or g++) to link with");
  }
  // Link to a unique temporary beside the (resolved) output, then rename:
  // concurrent compiles to one output never share it. A device or FIFO
  // output (/dev/null) is never replaced: the linker writes a temporary in
  // TMPDIR whose bytes are then written to it in place.
  std::string target = resolveOutputPath(outputPath);
  bool special = isSpecialFile(target);
  llvm::SmallString<128> tempDir;
  llvm::sys::path::system_temp_directory(/*ErasedOnReboot=*/true, tempDir);
  llvm::Expected<std::string> temporary =
      special ? createOwnedTemporary(tempDir, "kiln-link", ".tmp", outputPath)
              : createTemporaryBeside(target, ".link.tmp");
  if (!temporary)
    return temporary.takeError();
  std::string tmp = *temporary;
  llvm::sys::RemoveFileOnSignal(tmp);
  auto release =
      llvm::make_scope_exit([&] { llvm::sys::DontRemoveFileOnSignal(tmp); });
  llvm::SmallVector<llvm::StringRef> args = {*driver, "-o", tmp, objectPath};
  args.append(libs.begin(), libs.end());
  // zlib (gzip data, npz, checksums) is linked statically so that the
  // executable needs only the C/C++ runtime libraries.
  args.append({"-Wl,-Bstatic", "-lz", "-Wl,-Bdynamic", "-lm",
               "-static-libstdc++", "-static-libgcc"});
#ifdef KILN_RUNTIME_SANITIZE
  // This kiln was built with -DKILN_SANITIZE, and so were the runtime
  // archives beside it: the sanitizers' own libraries link with them.
  args.push_back("-fsanitize=" KILN_RUNTIME_SANITIZE);
#endif
  // The linker's own words go to a log: on failure they are reported with
  // the user's path in place of the temporary's.
  llvm::Expected<std::string> log =
      createOwnedTemporary(tempDir, "kiln-link", ".log", outputPath);
  if (!log)
    return log.takeError();
  llvm::FileRemover removeLog(*log);
  std::optional<llvm::StringRef> redirects[] = {std::nullopt, *log, *log};
  std::string message;
  int rc = llvm::sys::ExecuteAndWait(*driver, args, std::nullopt, redirects, 0,
                                     0, &message);
  if (rc != 0) {
    llvm::sys::fs::remove(tmp);
    std::string said;
    if (llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> text =
            llvm::MemoryBuffer::getFile(*log))
      said = (*text)->getBuffer().trim().str();
    if (llvm::StringRef(said).contains("No space left on device"))
      return targetError("cannot write '" + outputPath +
                         "': No space left on device");
    for (size_t at; (at = said.find(tmp)) != std::string::npos;)
      said.replace(at, tmp.size(), outputPath.str());
    return targetError("cannot write '" + outputPath + "': linking failed (" +
                       *driver + " exited with " + std::to_string(rc) +
                       (message.empty() ? "" : ": " + message) + ")" +
                       (said.empty() ? "" : ":\n" + said));
  }
  if (special) {
    llvm::FileRemover remove(tmp);
    llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> linked =
        llvm::MemoryBuffer::getFile(tmp, /*IsText=*/false,
                                    /*RequiresNullTerminator=*/false);
    if (!linked)
      return targetError("cannot read the linked executable: " +
                         linked.getError().message());
    return writeOutputFile(outputPath, /*binary=*/true,
                           [&](llvm::raw_pwrite_stream &os) {
                             os << (*linked)->getBuffer();
                             return llvm::Error::success();
                           });
  }
  if (std::error_code ec = llvm::sys::fs::rename(tmp, target)) {
    llvm::sys::fs::remove(tmp);
    return targetError("cannot write '" + outputPath + "': " + ec.message());
  }
  return llvm::Error::success();
}
