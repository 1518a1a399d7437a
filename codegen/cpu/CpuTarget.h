//===- CpuTarget.h - x86-64 code generation and packaging -------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// The back half of the CPU path: an in-process LLVM TargetMachine for the
// host (or `--target-cpu`), translation of the LLVM-dialect module to LLVM
// IR with the model ABI added, LLVM's O3 pipeline, object/assembly emission,
// and linking an object with the kiln runtime into a standalone executable.
//===----------------------------------------------------------------------===//

#ifndef KILN_CODEGEN_CPU_CPUTARGET_H
#define KILN_CODEGEN_CPU_CPUTARGET_H

#include "codegen/Passes.h"
#include "codegen/abi/ModelAbi.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Target/TargetMachine.h"

#include "llvm/Support/Error.h"

#include <memory>
#include <string>
#include <vector>

namespace mlir::kiln {

struct CpuTarget {
  std::unique_ptr<llvm::TargetMachine> machine;
  /// f32 lanes of the widest vector registers (16 with AVX-512, else 8).
  int64_t vectorWidth = 8;
  /// One core's L2 cache in bytes: the host's, or a common size (512 KiB)
  /// for another `--target-cpu`. Sizes the packed blocks of GEMMs.
  int64_t l2Bytes = 512 * 1024;
};

/// The CPU pipeline's options for `target` (vector width, packing sizes).
void setLoweringOptions(const CpuTarget &target, CpuLoweringOptions &options);

/// A TargetMachine for `cpu` ("" or "native" = the host, with its features).
/// An error for an unknown CPU.
llvm::Expected<std::unique_ptr<CpuTarget>> createCpuTarget(llvm::StringRef cpu);

/// Translates the LLVM-dialect `module` (the lowered @predict) to LLVM IR and
/// adds the weights, entry point and descriptor. `gpuPart`, when given (the
/// CUDA host code of translateGpuModel), is linked in first and the
/// descriptor points at its entries.
llvm::Expected<std::unique_ptr<llvm::Module>>
translateModel(ModuleOp module, llvm::LLVMContext &context,
               const ImportedModel &model, const ModelSignature &signature,
               const CpuTarget &target,
               std::unique_ptr<llvm::Module> gpuPart = nullptr);

/// Runs LLVM's O3 pipeline for `target`.
void optimizeModule(llvm::Module &module, const CpuTarget &target);

/// Optimizes (O3) and compiles `module` to object files on up to `threads`
/// threads: llvm::SplitModule cuts it into balanced parts by function
/// (locals become hidden globals), and each part is optimized and compiled
/// in its own LLVMContext and TargetMachine for `cpu`. The objects are
/// temporaries in `dir` named after `forPath` (createOwnedTemporary: removed
/// on a signal), written by the calling thread once every part is compiled;
/// the caller removes them (removeTemporary). One part (and `threads` <= 1)
/// compiles in place.
llvm::Expected<std::vector<std::string>>
compileObjects(std::unique_ptr<llvm::Module> module, llvm::StringRef cpu,
               unsigned threads, llvm::StringRef dir, llvm::StringRef forPath);

/// Writes `module` as an object file or assembly to `os`.
llvm::Error emitMachineCode(llvm::Module &module, const CpuTarget &target,
                            bool assembly, llvm::raw_pwrite_stream &os);

/// Writes `module` as an object file or assembly to `path`, atomically.
llvm::Error emitMachineCode(llvm::Module &module, const CpuTarget &target,
                            bool assembly, llvm::StringRef path);

/// Links `objects` with the kiln runtime into the executable `outputPath`
/// using the system C++ compiler driver. The output appears atomically.
llvm::Error linkExecutable(llvm::ArrayRef<std::string> objects,
                           llvm::StringRef outputPath);

/// Links `objects` (a model's objects with its library functions,
/// codegen/abi/Library.h) with the runtime a library needs (base, model,
/// and gpu when `cuda`) into the shared object `outputPath`, exporting only
/// the `name`_* functions. The output appears atomically.
llvm::Error linkSharedLibrary(llvm::ArrayRef<std::string> objects,
                              llvm::StringRef outputPath, llvm::StringRef name,
                              bool cuda);

/// The C++ driver options a program linking the runtime archives needs
/// besides them (libkiln_runtime.ldflags beside them: a sanitized
/// runtime's sanitizers; usually none). kiln's own links add them, and a
/// library's NAME.pc and NAMEConfig.cmake hand them to applications.
llvm::Expected<llvm::SmallVector<std::string>> runtimeLinkFlags();

/// Writes the static library `outputPath`: the objects as members `name`.o,
/// `name`.1.o, ..., then every member of the runtime archives a library
/// needs.
llvm::Error writeLibraryArchive(llvm::ArrayRef<std::string> objects,
                                llvm::StringRef outputPath,
                                llvm::StringRef name, bool cuda);

} // namespace mlir::kiln

#endif // KILN_CODEGEN_CPU_CPUTARGET_H
