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
/// those computed from the thread id (or a lane, subgroup or global id),
/// or read from a thread's own memory (memref.alloca: registers and local
/// scratch), or returned by an atomic (each thread gets its own old
/// value), or chosen by control flow that does. Kernel arguments, block
/// ids and sizes, constants, and loads of shared or global memory at the
/// same place are the same in every thread.
///
/// A forward fixpoint from those sources, through the ops that use them:
/// a loop-carried value is divergent as soon as its init or what the body
/// yields is, however the uses are visited.
class ThreadDivergence {
public:
  explicit ThreadDivergence(gpu::GPUFuncOp kernel) {
    kernel.walk([&](Operation *op) {
      if (isa<gpu::ThreadIdOp, gpu::LaneIdOp, gpu::GlobalIdOp,
              gpu::SubgroupIdOp, gpu::ShuffleOp, NVVM::ThreadIdXOp,
              NVVM::ThreadIdYOp, NVVM::ThreadIdZOp, NVVM::LaneIdOp,
              memref::AllocaOp>(op) ||
          (op->getNumRegions() == 0 && op->getNumResults() != 0 &&
           writesMemory(op)) ||
          (op->getNumRegions() != 0 && !isa<scf::IfOp, scf::ForOp>(op)))
        markAll(op->getResults());
      for (Region &region : op->getRegions())
        for (Block &block : region)
          if (!isa<gpu::GPUFuncOp, scf::ForOp, scf::IfOp>(op) ||
              !block.isEntryBlock())
            markAll(block.getArguments()); // not proven
    });
    while (!worklist.empty()) {
      Value value = worklist.pop_back_val();
      for (OpOperand &use : value.getUses())
        propagate(use);
    }
  }

  bool isDivergent(Value value) const { return divergent.contains(value); }

  /// Whether `op` takes a different path in different threads.
  bool branchesOnThread(Operation *op) const {
    if (auto branch = dyn_cast<scf::IfOp>(op))
      return isDivergent(branch.getCondition());
    if (auto loop = dyn_cast<scf::ForOp>(op))
      return isDivergent(loop.getLowerBound()) ||
             isDivergent(loop.getUpperBound()) || isDivergent(loop.getStep());
    // Any other control flow the mapping does not make: not proven.
    return isa<RegionBranchOpInterface>(op) && !isa<gpu::GPUFuncOp>(op);
  }

private:
  static bool writesMemory(Operation *op) {
    auto effects = dyn_cast<MemoryEffectOpInterface>(op);
    return !effects || effects.hasEffect<MemoryEffects::Write>();
  }

  void mark(Value value) {
    if (divergent.insert(value).second)
      worklist.push_back(value);
  }
  void markAll(ValueRange values) {
    for (Value value : values)
      mark(value);
  }

  /// What a divergent operand makes divergent.
  void propagate(OpOperand &use) {
    Operation *user = use.getOwner();
    unsigned i = use.getOperandNumber();
    if (isa<scf::YieldOp>(user)) {
      Operation *parent = user->getParentOp();
      if (isa<scf::IfOp>(parent)) {
        mark(parent->getResult(i));
      } else if (auto loop = dyn_cast<scf::ForOp>(parent)) {
        mark(loop.getRegionIterArgs()[i]);
        mark(loop->getResult(i));
      }
      return;
    }
    if (auto branch = dyn_cast<scf::IfOp>(user)) {
      markAll(branch.getResults()); // the condition
      return;
    }
    if (auto loop = dyn_cast<scf::ForOp>(user)) {
      if (i < loop.getNumControlOperands()) {
        mark(loop.getInductionVar());
        markAll(loop.getRegionIterArgs());
        markAll(loop.getResults());
        return;
      }
      unsigned carried = i - loop.getNumControlOperands();
      mark(loop.getRegionIterArgs()[carried]);
      mark(loop->getResult(carried));
      return;
    }
    markAll(user->getResults());
  }

  llvm::DenseSet<Value> divergent;
  SmallVector<Value> worklist;
};

struct CheckBarriersPass
    : public kiln::impl::CheckBarriersPassBase<CheckBarriersPass> {
  void runOnOperation() override {
    bool failed = false;
    getOperation().walk([&](gpu::GPUFuncOp kernel) {
      ThreadDivergence divergence(kernel);
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
