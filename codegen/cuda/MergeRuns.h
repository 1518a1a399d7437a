//===- MergeRuns.h - Neighbouring ops on buffers as one kernel --*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// The CUDA passes that merge neighbouring linalg ops on buffers into one
// kernel (kiln-cuda-merge-elementwise, kiln-cuda-merge-independent) walk a
// block the same way: a run of the ops a group takes, with only ops that
// touch no memory between them (index arithmetic, views and allocations,
// which stay where they are: the merged op, where the last member was,
// sees them all), becomes one. kiln-cuda-fuse-rows walks it likewise but
// also moves independent ops to make runs (FuseRows.cpp, fuseRuns).
//===----------------------------------------------------------------------===//

#ifndef KILN_CODEGEN_CUDA_MERGERUNS_H
#define KILN_CODEGEN_CUDA_MERGERUNS_H

#include "codegen/cuda/Contraction.h"

namespace mlir::kiln {

/// The bytes of kernel parameters `value` takes when a merged kernel reads
/// it: a memref descriptor (two pointers, the offset, a size and a stride
/// per dimension), or 8 bytes for a scalar.
inline int64_t kernelParamBytes(Value value) {
  auto type = dyn_cast<MemRefType>(value.getType());
  return 8 * (type ? 3 + 2 * type.getRank() : 1);
}

/// Merges the runs of candidates in `block` (and in the blocks nested in
/// it) that a `GroupT` takes. `GroupT` has a type `Op` of its members, a
/// static `candidate(Op)`, `accepts(Op)` (whether the members so far take
/// it), `add(Op)` and `merge()` (builds the merged op from two or more
/// members, and empties the group).
template <typename GroupT> void mergeRuns(Block &block, const GroupT &empty) {
  GroupT group = empty;
  for (Operation &op : llvm::make_early_inc_range(block)) {
    for (Region &region : op.getRegions())
      for (Block &nested : region)
        mergeRuns(nested, empty);
    auto member = dyn_cast<typename GroupT::Op>(&op);
    if (member && GroupT::candidate(member)) {
      if (!group.accepts(member))
        group.merge();
      group.add(member);
      continue;
    }
    if (touchesMemory(&op))
      group.merge();
  }
  group.merge();
}

} // namespace mlir::kiln

#endif // KILN_CODEGEN_CUDA_MERGERUNS_H
