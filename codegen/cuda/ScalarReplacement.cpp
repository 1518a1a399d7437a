//===- ScalarReplacement.cpp - One thread's elements in registers ---------===//
// SPDX-License-Identifier: Apache-2.0
//
// See ScalarReplacement.h.
//===----------------------------------------------------------------------===//

#include "codegen/cuda/ScalarReplacement.h"
#include "codegen/cuda/Contraction.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/Dominance.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/CSE.h"
#include "mlir/Transforms/LoopInvariantCodeMotionUtils.h"

using namespace mlir;
using namespace mlir::kiln;

namespace {

/// The buffers (`bufferOf`) an op and the ops nested in it may read and
/// write; `unknown` when one of them touches memory it does not name.
struct Effects {
  llvm::SmallDenseSet<Value> read, written;
  bool unknown = false;
};

Effects effectsOf(Operation *op) {
  Effects effects;
  op->walk([&](Operation *nested) {
    auto interface = dyn_cast<MemoryEffectOpInterface>(nested);
    if (!interface) {
      if (!nested->hasTrait<OpTrait::HasRecursiveMemoryEffects>())
        effects.unknown = true;
      return;
    }
    SmallVector<MemoryEffects::EffectInstance> instances;
    interface.getEffects(instances);
    for (MemoryEffects::EffectInstance &instance : instances) {
      bool read = isa<MemoryEffects::Read>(instance.getEffect());
      if (!read && !isa<MemoryEffects::Write>(instance.getEffect()))
        continue; // allocation, free
      Value value = instance.getValue();
      if (!value || !isa<BaseMemRefType>(value.getType())) {
        effects.unknown = true;
        continue;
      }
      (read ? effects.read : effects.written).insert(bufferOf(value));
    }
  });
  return effects;
}

bool sameElement(memref::StoreOp store, memref::LoadOp load) {
  return store.getMemRef() == load.getMemRef() &&
         llvm::equal(store.getIndices(), load.getIndices());
}

/// Whether `loop` runs its body at least once.
bool runsAtLeastOnce(scf::ForOp loop) {
  std::optional<int64_t> lower = getConstantIntValue(loop.getLowerBound());
  std::optional<int64_t> upper = getConstantIntValue(loop.getUpperBound());
  return lower && upper && *upper > *lower;
}

void promoteIn(scf::ForOp loop) {
  Block *body = loop.getBody();
  // Per buffer: the loads and stores directly in the body, and whether
  // anything else (a nested op) touches it.
  struct Accesses {
    SmallVector<memref::LoadOp> loads;
    SmallVector<memref::StoreOp> stores;
    bool other = false;
  };
  llvm::MapVector<Value, Accesses> buffers;
  for (Operation &op : body->without_terminator()) {
    if (auto load = dyn_cast<memref::LoadOp>(op)) {
      buffers[bufferOf(load.getMemRef())].loads.push_back(load);
      continue;
    }
    if (auto store = dyn_cast<memref::StoreOp>(op)) {
      buffers[bufferOf(store.getMemRef())].stores.push_back(store);
      continue;
    }
    Effects effects = effectsOf(&op);
    if (effects.unknown)
      return;
    for (Value buffer : llvm::concat<Value>(effects.read, effects.written))
      buffers[buffer].other = true;
  }
  auto invariant = [&](auto access) {
    return loop.isDefinedOutsideOfLoop(access.getMemRef()) &&
           llvm::all_of(access.getIndices(), [&](Value index) {
             return loop.isDefinedOutsideOfLoop(index);
           });
  };

  SmallVector<std::pair<memref::LoadOp, memref::StoreOp>> carried;
  for (auto &[buffer, accesses] : buffers) {
    if (accesses.other)
      continue;
    if (accesses.stores.empty()) {
      // Loaded only: once, before the loop, when the loop runs (the
      // indices may be meaningless when it does not).
      if (!runsAtLeastOnce(loop))
        continue;
      for (memref::LoadOp load : accesses.loads)
        if (invariant(load))
          load->moveBefore(loop);
      continue;
    }
    // One element loaded and stored at every step: carried. The indices
    // are fixed before the loop, and the element is the one the body
    // would read and write (an op's own output element): loading it and
    // storing it back is harmless when the loop does not run.
    if (accesses.loads.size() != 1 || accesses.stores.size() != 1)
      continue;
    memref::LoadOp load = accesses.loads.front();
    memref::StoreOp store = accesses.stores.front();
    if (sameElement(store, load) && invariant(load) &&
        load->isBeforeInBlock(store))
      carried.emplace_back(load, store);
  }
  if (carried.empty())
    return;

  IRRewriter rewriter(loop.getContext());
  rewriter.setInsertionPoint(loop);
  SmallVector<Value> inits;
  for (auto [load, store] : carried)
    inits.push_back(memref::LoadOp::create(
        rewriter, load.getLoc(), load.getMemRef(), load.getIndices()));
  FailureOr<LoopLikeOpInterface> replaced = loop.replaceWithAdditionalYields(
      rewriter, inits, /*replaceInitOperandUsesInLoop=*/false,
      [&](OpBuilder &, Location, ArrayRef<BlockArgument>) {
        SmallVector<Value> yielded;
        for (auto [load, store] : carried)
          yielded.push_back(store.getValueToStore());
        return yielded;
      });
  if (failed(replaced))
    return;
  auto promoted = cast<scf::ForOp>(replaced->getOperation());
  auto values = promoted.getRegionIterArgs().take_back(carried.size());
  auto results = promoted.getResults().take_back(carried.size());
  rewriter.setInsertionPointAfter(promoted);
  for (auto [access, value, result] :
       llvm::zip_equal(carried, values, results)) {
    auto [load, store] = access;
    memref::StoreOp::create(rewriter, store.getLoc(), result, store.getMemRef(),
                            store.getIndices());
    rewriter.replaceOp(load, value);
    rewriter.eraseOp(store);
  }
}

/// The elements a block walk knows the values of (stored or loaded
/// earlier), which later loads of the same element take, and the stores a
/// later store of the same element may remove.
class Forwarder {
public:
  void run(Block &block) {
    for (Operation &op : llvm::make_early_inc_range(block)) {
      if (auto load = dyn_cast<memref::LoadOp>(op)) {
        visit(load);
        continue;
      }
      if (auto store = dyn_cast<memref::StoreOp>(op)) {
        visit(store);
        continue;
      }
      if (auto branch = dyn_cast<scf::IfOp>(op)) {
        // The branches see the values before them; they may not run, so
        // they cannot remove the stores before them.
        for (Region &region : branch->getRegions())
          for (Block &nested : region) {
            Forwarder inner = *this;
            for (Known &entry : inner.known)
              entry.read = true;
            inner.run(nested);
          }
      }
      Effects effects = effectsOf(&op);
      if (effects.unknown) {
        known.clear();
        continue;
      }
      for (Known &entry : known)
        entry.read |= effects.read.contains(entry.buffer);
      llvm::erase_if(known, [&](const Known &entry) {
        return effects.written.contains(entry.buffer);
      });
    }
  }

private:
  /// An element's value: stored by `store`, or loaded.
  struct Known {
    Value memref;
    SmallVector<Value> indices;
    Value value;
    Value buffer;
    memref::StoreOp store; // null: loaded
    bool read = false;     // since the store
  };

  template <typename AccessOp> Known *find(AccessOp access) {
    for (Known &entry : known)
      if (entry.memref == access.getMemRef() &&
          llvm::equal(entry.indices, access.getIndices()))
        return &entry;
    return nullptr;
  }

  void visit(memref::LoadOp load) {
    if (Known *entry = find(load)) {
      load.replaceAllUsesWith(entry->value);
      load.erase();
      return;
    }
    Value buffer = bufferOf(load.getMemRef());
    for (Known &entry : known)
      entry.read |= entry.buffer == buffer;
    known.push_back({load.getMemRef(), load.getIndices(), load.getResult(),
                     buffer, nullptr});
  }

  void visit(memref::StoreOp store) {
    Value buffer = bufferOf(store.getMemRef());
    memref::StoreOp overwritten;
    if (Known *entry = find(store); entry && entry->store && !entry->read)
      overwritten = entry->store;
    llvm::erase_if(known,
                   [&](const Known &entry) { return entry.buffer == buffer; });
    if (overwritten)
      overwritten.erase();
    known.push_back({store.getMemRef(), store.getIndices(),
                     store.getValueToStore(), buffer, store});
  }

  SmallVector<Known> known;
};

} // namespace

void mlir::kiln::keepInRegisters(Operation *loop) {
  IRRewriter rewriter(loop->getContext());
  DominanceInfo dominance(loop);
  eliminateCommonSubExpressions(rewriter, dominance, loop);
  // Index arithmetic out of the loops first: loads at indices the loop
  // does not change can then follow it.
  loop->walk([](LoopLikeOpInterface nested) { moveLoopInvariantCode(nested); });
  SmallVector<scf::ForOp> loops;
  loop->walk(
      [&](scf::ForOp nested) { loops.push_back(nested); }); // inner first
  for (scf::ForOp nested : loops)
    promoteIn(nested);
  for (Region &region : loop->getRegions())
    for (Block &block : region)
      Forwarder().run(block);
}
