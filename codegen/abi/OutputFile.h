//===- OutputFile.h - Outputs that appear whole or not at all ---*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Every file the compiler writes (objects, assembly, IR, executables) goes
// through here: the content is written to a unique temporary file beside the
// output and renamed over it only when complete, so an interrupted or failed
// compile leaves the old file or none — never a truncated one — and two
// compiles to one output never share a temporary. A symlinked output is
// written at its target; an existing non-regular output (/dev/null, a FIFO)
// is written in place; "-" is stdout.
//===----------------------------------------------------------------------===//

#ifndef KILN_CODEGEN_ABI_OUTPUTFILE_H
#define KILN_CODEGEN_ABI_OUTPUTFILE_H

#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <string>

namespace mlir::kiln {

/// Writes `path` through `write` atomically (see above). `binary` selects
/// the file mode.
llvm::Error writeOutputFile(
    llvm::StringRef path, bool binary,
    llvm::function_ref<llvm::Error(llvm::raw_pwrite_stream &)> write);

/// True when `path` exists and is not a regular file (a device, a FIFO):
/// such an output is written in place, never replaced by a rename.
bool isSpecialFile(llvm::StringRef path);

/// A unique temporary `<dir>/<stem>-<pid>-<random><suffix>`, created empty
/// and registered with llvm::sys::RemoveFileOnSignal before it exists (so no
/// signal leaves it behind), after removing those of `stem` whose process is
/// gone (killed runs). A caller that renames it away calls
/// llvm::sys::DontRemoveFileOnSignal; one that is done with it calls
/// removeTemporary. Errors name `forPath`, the user's file it is for.
/// Temporaries are created and written by the main thread only: Linux runs a
/// termination signal's handler there, between two of its steps, whereas a
/// worker's open or rename could race the handler's removals.
llvm::Expected<std::string> createOwnedTemporary(llvm::StringRef dir,
                                                 llvm::StringRef stem,
                                                 llvm::StringRef suffix,
                                                 llvm::StringRef forPath);

/// A unique temporary path beside `path` (same directory, so that a rename
/// is atomic), created empty and registered for removal on a signal like
/// createOwnedTemporary's; `suffix` ends its name. Temporaries of `path`
/// that a killed run left behind are removed first.
llvm::Expected<std::string> createTemporaryBeside(llvm::StringRef path,
                                                  llvm::StringRef suffix);

/// Removes a temporary of createOwnedTemporary and its registration.
void removeTemporary(llvm::StringRef path);

/// removeTemporary when it goes out of scope.
class TemporaryRemover {
public:
  explicit TemporaryRemover(std::string path) : path(std::move(path)) {}
  TemporaryRemover(const TemporaryRemover &) = delete;
  TemporaryRemover &operator=(const TemporaryRemover &) = delete;
  ~TemporaryRemover() { removeTemporary(path); }

private:
  std::string path;
};

/// Where writing `path` lands: its symlink target, or `path` itself.
std::string resolveOutputPath(llvm::StringRef path);

/// An error when `output` is the same file as `input` (by device and inode,
/// links followed): an output must never destroy an input.
llvm::Error checkNotSameFile(llvm::StringRef output, llvm::StringRef input,
                             llvm::StringRef what);

} // namespace mlir::kiln

#endif // KILN_CODEGEN_ABI_OUTPUTFILE_H
