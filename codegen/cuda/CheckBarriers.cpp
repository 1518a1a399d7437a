//===- CheckBarriers.cpp - Barriers every thread of a block reaches -------===//
// SPDX-License-Identifier: Apache-2.0
//
// `--kiln-cuda-check-barriers`: a `gpu.barrier` (PTX `bar.sync`) must be
// reached by every thread of the block, or the threads that reach it wait
// forever for the ones that do not. The host loops of `--target
// cuda-on-cpu` cannot show that (each phase is a loop over the threads
// there), so this pass checks the mapped kernels: no `scf.if` around a
// barrier may branch on, and no `scf.for` around one may count with, a
// value that differs between the threads of a block. The tensor cores'
// `nvvm.mma.sync`, which the 32 threads of a warp execute together, are
// held to the same rule. See Passes.td.
//===----------------------------------------------------------------------===//

#include "codegen/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

namespace mlir::kiln {
#define GEN_PASS_DEF_CHECKBARRIERSPASS
#include "codegen/Passes.h.inc"
} // namespace mlir::kiln

using namespace mlir;
using namespace mlir::kiln;

namespace {

/// Which values of a kernel can differ between the threads of a block:
/// those computed from the thread id, or read from a thread's own memory
/// (memref.alloca: registers and local scratch), or chosen by control flow
/// that does. Kernel arguments, block ids and sizes, constants, and
/// loads of shared or global memory at the same place are the same in
/// every thread.
class ThreadDivergence {
public:
  bool isDivergent(Value value) {
    auto [it, inserted] = known.try_emplace(value, false);
    if (!inserted)
      return it->second; // a loop-carried value in progress: not yet
    bool divergent = compute(value);
    known[value] = divergent;
    return divergent;
  }

  /// Whether `op` takes a different path in different threads.
  bool branchesOnThread(Operation *op) {
    if (auto branch = dyn_cast<scf::IfOp>(op))
      return isDivergent(branch.getCondition());
    if (auto loop = dyn_cast<scf::ForOp>(op))
      return isDivergent(loop.getLowerBound()) ||
             isDivergent(loop.getUpperBound()) || isDivergent(loop.getStep());
    // Any other control flow the mapping does not make: not proven.
    return isa<RegionBranchOpInterface>(op) && !isa<gpu::GPUFuncOp>(op);
  }

private:
  bool anyDivergent(ValueRange values) {
    return llvm::any_of(values, [&](Value v) { return isDivergent(v); });
  }

  bool compute(Value value) {
    if (auto arg = dyn_cast<BlockArgument>(value)) {
      Operation *owner = arg.getOwner()->getParentOp();
      if (isa<gpu::GPUFuncOp>(owner))
        return false; // an argument or workgroup buffer
      if (auto loop = dyn_cast<scf::ForOp>(owner)) {
        if (arg == loop.getInductionVar())
          return branchesOnThread(loop);
        unsigned i = arg.getArgNumber() - 1;
        auto yield = cast<scf::YieldOp>(loop.getBody()->getTerminator());
        return branchesOnThread(loop) || isDivergent(loop.getInitArgs()[i]) ||
               isDivergent(yield.getOperand(i));
      }
      return true;
    }
    Operation *def = value.getDefiningOp();
    if (isa<gpu::ThreadIdOp, gpu::LaneIdOp, memref::AllocaOp>(def))
      return true;
    if (auto branch = dyn_cast<scf::IfOp>(def)) {
      unsigned i = cast<OpResult>(value).getResultNumber();
      return branchesOnThread(branch) ||
             isDivergent(branch.thenYield().getOperand(i)) ||
             isDivergent(branch.elseYield().getOperand(i));
    }
    if (auto loop = dyn_cast<scf::ForOp>(def)) {
      unsigned i = cast<OpResult>(value).getResultNumber();
      return branchesOnThread(loop) || isDivergent(loop.getInitArgs()[i]) ||
             isDivergent(loop.getBody()->getTerminator()->getOperand(i));
    }
    if (def->getNumRegions() != 0)
      return true; // not proven
    return anyDivergent(def->getOperands());
  }

  DenseMap<Value, bool> known;
};

struct CheckBarriersPass
    : public kiln::impl::CheckBarriersPassBase<CheckBarriersPass> {
  void runOnOperation() override {
    bool failed = false;
    getOperation().walk([&](gpu::GPUFuncOp kernel) {
      ThreadDivergence divergence;
      kernel.walk([&](Operation *sync) {
        StringRef what;
        if (isa<gpu::BarrierOp>(sync))
          what = "not every thread of the block reaches this barrier: the "
                 "ones that do would wait for the others forever";
        else if (isa<NVVM::MmaOp>(sync))
          what = "not every thread of the block reaches this warp-wide "
                 "mma.sync, which all 32 threads of a warp must execute "
                 "together";
        else
          return;
        for (Operation *op = sync->getParentOp(); op != kernel;
             op = op->getParentOp()) {
          if (!divergence.branchesOnThread(op))
            continue;
          InFlightDiagnostic diag = sync->emitError(what);
          diag.attachNote(op->getLoc())
              << "'" << op->getName() << "' here depends on the thread";
          failed = true;
          break;
        }
      });
    });
    if (failed)
      signalPassFailure();
  }
};

} // namespace
