//===- Library.h - A compiled model packaged as a C library -----*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// `kiln compile --emit lib|shared -o DIR/NAME` (the use case of XLA's
// tfcompile): what makes a model object a library, all of it generated from
// the model descriptor alone (contract 1):
//   - NAME.h: self-contained C (C99 and C++17), one typed function per
//     entry, named after the model's inputs and outputs, with shapes and
//     dtypes in comments, and a RAII wrapper under __cplusplus;
//   - the functions themselves, emitted into the model's LLVM module: each
//     gathers its buffers into arrays and forwards to the runtime's
//     `kiln_lib_*` (runtime/model/Library.cpp); the descriptor becomes
//     `NAME_model_descriptor`, so several models link into one program;
//   - NAME.pc (pkg-config) and NAMEConfig.cmake (find_package(NAME), target
//     NAME::NAME), both relative to their own folder.
// The archive and the shared object are built in codegen/cpu/CpuTarget.h.
//===----------------------------------------------------------------------===//

#ifndef KILN_CODEGEN_ABI_LIBRARY_H
#define KILN_CODEGEN_ABI_LIBRARY_H

#include "kiln/model.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <string>

namespace llvm {
class Module;
} // namespace llvm

namespace mlir::kiln {

/// What a library is and what it links with.
struct LibraryInfo {
  std::string name;    ///< NAME: a C identifier, the prefix of every function
  bool shared = false; ///< libNAME.so rather than libNAME.a
  bool cuda = false;   ///< the model has GPU entries (NAME_set_device)
  bool openmp = false; ///< its code calls libomp (parallel loops)
  /// Options an application's link needs besides the library (a sanitized
  /// runtime's sanitizers: runtimeLinkFlags()).
  llvm::SmallVector<std::string> linkFlags;
};

/// An error unless `name` can prefix C identifiers (and so name a library).
llvm::Error checkLibraryName(llvm::StringRef name);

/// Whether the model's code calls LLVM's OpenMP runtime.
bool usesOpenMP(const llvm::Module &module);

/// Emits NAME_create, NAME_predict, ... (the functions NAME.h declares)
/// into `module` and renames its descriptor NAME_model_descriptor.
llvm::Error emitLibraryFunctions(llvm::Module &module,
                                 const kiln_model_desc_t &desc,
                                 const LibraryInfo &info);

/// NAME.h for `desc`.
std::string libraryHeader(const kiln_model_desc_t &desc,
                          const LibraryInfo &info);

/// NAME.pc and NAMEConfig.cmake.
std::string pkgConfigFile(const kiln_model_desc_t &desc,
                          const LibraryInfo &info);
std::string cmakeConfigFile(const LibraryInfo &info);

} // namespace mlir::kiln

#endif // KILN_CODEGEN_ABI_LIBRARY_H
