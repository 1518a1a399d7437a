//===- VerifyBuffers.cpp - Buffers the CUDA buffer passes can tell apart --===//
// SPDX-License-Identifier: Apache-2.0
//
// `--kiln-cuda-verify-buffers`: the CUDA buffer passes decide what may be
// merged, fused, moved or kept in registers by comparing the buffers that
// accesses view (rootBuffer, bufferOf in Contraction.h): two accesses
// touch the same memory only through views of the same allocation or
// argument. That holds only if every memref is such a view; one carried by
// a loop or chosen by an scf.if may be either of two buffers, and treated
// as a third it would let a pass reorder accesses that conflict. This pass
// checks the premise once, before those passes run. See Passes.td.
//===----------------------------------------------------------------------===//

#include "codegen/Passes.h"
#include "codegen/cuda/Contraction.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace mlir::kiln {
#define GEN_PASS_DEF_VERIFYBUFFERSPASS
#include "codegen/Passes.h.inc"
} // namespace mlir::kiln

using namespace mlir;
using namespace mlir::kiln;

namespace {

/// Whether `value` is a buffer of its own: an allocation, a global or an
/// argument of the function.
bool isIdentified(Value value, func::FuncOp func) {
  if (auto arg = dyn_cast<BlockArgument>(value))
    return arg.getOwner() == &func.getBody().front();
  return isa<memref::AllocOp, memref::AllocaOp, memref::GetGlobalOp>(
      value.getDefiningOp());
}

struct VerifyBuffersPass
    : public kiln::impl::VerifyBuffersPassBase<VerifyBuffersPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    auto unidentified = [&](Value value) {
      return isa<MemRefType>(value.getType()) &&
             !isIdentified(rootBuffer(value), func);
    };
    WalkResult walked = func.walk([&](Operation *op) {
      for (Region &region : op->getRegions())
        for (Block &block : region)
          for (BlockArgument arg : block.getArguments())
            if (unidentified(arg)) {
              op->emitError("cannot tell which buffer block argument #")
                  << arg.getArgNumber()
                  << " views (a memref carried by a loop or passed between "
                     "blocks): kiln's GPU buffer passes need every memref "
                     "to view one allocation or argument";
              return WalkResult::interrupt();
            }
      for (Value result : op->getResults())
        if (unidentified(result)) {
          op->emitError("cannot tell which buffer this result views (a "
                        "memref chosen by control flow or made by an op "
                        "that is not a view): kiln's GPU buffer passes need "
                        "every memref to view one allocation or argument");
          return WalkResult::interrupt();
        }
      return WalkResult::advance();
    });
    if (walked.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
