//===- CpuJit.h - In-memory compilation of lowered modules ------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// JIT-compiles an LLVM-dialect module for the host, with the same entry-point
// ABI as ahead-of-time objects (`void(int64_t batch, void *const *buffers)`,
// codegen/abi), for tools that run generated code in-process: `kiln
// gradcheck` today.
//===----------------------------------------------------------------------===//

#ifndef KILN_CODEGEN_CPU_CPUJIT_H
#define KILN_CODEGEN_CPU_CPUJIT_H

#include "dialects/kiln/Model/ImportedModel.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/SmallVector.h"

#include "llvm/ADT/StringMap.h"

#include <memory>
#include <string>
#include <vector>

namespace mlir {
class ExecutionEngine;
} // namespace mlir

namespace mlir::kiln {

class CpuJit {
public:
  /// The C entry point (kiln_entry_fn of kiln/model.h).
  using EntryFn = int32_t (*)(int64_t batch, void *const *buffers,
                              void *workspace);

  /// An exported entry point wrapping the lowered function `implName`.
  struct Entry {
    std::string implName;
    std::string entryName;
    /// One row-major buffer per memref argument (dims[0] == -1: batch).
    llvm::SmallVector<llvm::SmallVector<int64_t>> buffers;
  };

  /// Compiles `module` (LLVM dialect) with `entries` added.
  static llvm::Expected<std::unique_ptr<CpuJit>>
  create(ModuleOp module, llvm::ArrayRef<Entry> entries);
  ~CpuJit();

  /// The address of an entry point, or null.
  EntryFn lookup(llvm::StringRef entryName);

  /// Calls entry `entryName` with a workspace of the size the lowered
  /// function recorded (kiln.workspace); returns its status, or -1 when
  /// there is no such entry.
  int32_t run(llvm::StringRef entryName, int64_t batch, void *const *buffers);

private:
  CpuJit() = default;
  std::unique_ptr<ExecutionEngine> engine;
  /// Per entry name: (fixed bytes, bytes per sample) of its workspace.
  llvm::StringMap<WorkspaceSize> workspaceSizes;
  std::vector<uint64_t> workspace; // 8-byte aligned; grown on demand
};

} // namespace mlir::kiln

#endif // KILN_CODEGEN_CPU_CPUJIT_H
