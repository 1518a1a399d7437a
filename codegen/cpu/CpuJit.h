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

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/SmallVector.h"

#include <memory>
#include <string>

namespace mlir {
class ExecutionEngine;
} // namespace mlir

namespace mlir::kiln {

class CpuJit {
public:
  using EntryFn = void (*)(int64_t batch, void *const *buffers);

  /// An exported entry point wrapping the lowered function `implName`.
  struct Entry {
    std::string implName;
    std::string entryName;
    /// One row-major buffer per memref argument (dims[0] == -1: batch).
    llvm::SmallVector<llvm::SmallVector<int64_t>> buffers;
  };

  /// Compiles `module` (LLVM dialect) with `entries` added. Returns null with
  /// `error` set on failure.
  static std::unique_ptr<CpuJit> create(ModuleOp module,
                                        llvm::ArrayRef<Entry> entries,
                                        std::string &error);
  ~CpuJit();

  /// The address of an entry point, or null.
  EntryFn lookup(llvm::StringRef entryName);

private:
  CpuJit() = default;
  std::unique_ptr<ExecutionEngine> engine;
};

} // namespace mlir::kiln

#endif // KILN_CODEGEN_CPU_CPUJIT_H
