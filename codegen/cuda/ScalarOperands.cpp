//===- ScalarOperands.cpp - Host scalar loads as linalg operands ----------===//
// SPDX-License-Identifier: Apache-2.0
//
// `--kiln-cuda-scalar-operands`: a scalar that a linalg.generic's body reads
// from a buffer loaded outside it (the learning rate, a loss's element
// count, a reduced maximum) becomes an operand of the generic read through
// a constant indexing map, and so does one it reads through host
// arithmetic (a dropout mask's key, from the seed), which moves into it. On
// a GPU the host cannot load from device buffers; as an operand, the value
// is read inside the kernel, and the workspace allocator sees the use and
// keeps the buffer alive until then.
//===----------------------------------------------------------------------===//

#include "codegen/Passes.h"
#include "codegen/cuda/Contraction.h"
#include "codegen/cuda/GenericInputs.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/RegionUtils.h"

namespace mlir::kiln {
#define GEN_PASS_DEF_SCALAROPERANDSPASS
#include "codegen/Passes.h.inc"
} // namespace mlir::kiln

using namespace mlir;
using namespace mlir::kiln;

std::pair<linalg::GenericOp, BlockArgument>
mlir::kiln::appendGenericInput(linalg::GenericOp generic, Value value,
                               AffineMap map) {
  OpBuilder b(generic);
  SmallVector<Value> inputs(generic.getDpsInputs());
  inputs.push_back(value);
  SmallVector<AffineMap> maps = generic.getIndexingMapsArray();
  maps.insert(maps.begin() + generic.getNumDpsInputs(), map);
  auto replacement = linalg::GenericOp::create(
      b, generic.getLoc(), generic.getResultTypes(), inputs,
      generic.getDpsInits(), maps, generic.getIteratorTypesArray());
  replacement->setDiscardableAttrs(generic->getDiscardableAttrDictionary());
  replacement.getRegion().takeBody(generic.getRegion());
  Block &body = replacement.getRegion().front();
  BlockArgument element = body.insertArgument(
      generic.getNumDpsInputs(),
      cast<ShapedType>(value.getType()).getElementType(), value.getLoc());
  generic.replaceAllUsesWith(replacement.getResults());
  generic.erase();
  return {replacement, element};
}

namespace {

/// The load's indices as constants, if they all are.
std::optional<SmallVector<int64_t>> constantIndices(memref::LoadOp load) {
  SmallVector<int64_t> indices;
  for (Value index : load.getIndices()) {
    std::optional<int64_t> value = getConstantIntValue(index);
    if (!value)
      return std::nullopt;
    indices.push_back(*value);
  }
  return indices;
}

/// Adds `load`'s buffer as an input of `generic` whose element replaces the
/// uses of `load` in its body.
void addScalarOperand(linalg::GenericOp generic, memref::LoadOp load,
                      ArrayRef<int64_t> indices) {
  MLIRContext *ctx = generic.getContext();
  SmallVector<AffineExpr> results;
  for (int64_t index : indices)
    results.push_back(getAffineConstantExpr(index, ctx));
  AffineMap map =
      AffineMap::get(generic.getNumLoops(), /*symbolCount=*/0, results, ctx);
  auto [replacement, element] =
      appendGenericInput(generic, load.getMemRef(), map);
  load.getResult().replaceUsesWithIf(element, [&](OpOperand &use) {
    return replacement->isProperAncestor(use.getOwner());
  });
}

/// Whether `generic` would read another value than `load` did, reading the
/// buffer itself: an op from the load to the generic (the generic
/// included) may write it.
bool writtenBefore(memref::LoadOp load, linalg::GenericOp generic) {
  Value buffer = rootBuffer(load.getMemRef());
  for (Operation *op = load->getNextNode(); op; op = op->getNextNode()) {
    llvm::SmallDenseSet<Value> reads, writes;
    if (!collectBuffers(op, reads, writes) || writes.contains(buffer))
      return true;
    if (op == generic.getOperation())
      return false;
  }
  return true;
}

/// Whether `op` computes scalars from scalars and nothing else.
bool isScalarArithmetic(Operation *op) {
  auto scalar = [](Type type) { return !isa<ShapedType>(type); };
  return isPure(op) && op->getNumRegions() == 0 &&
         llvm::all_of(op->getOperandTypes(), scalar) &&
         llvm::all_of(op->getResultTypes(), scalar);
}

/// Clones into `generic`'s body the host arithmetic (in its block) that
/// computes a value the body reads from loaded scalars: a dropout mask's
/// key, mixed from the seed. The loads are then read in the body, and
/// become operands like any other; the host computes nothing it would
/// have to read from the device for.
void sinkLoadedArithmetic(linalg::GenericOp generic) {
  Block *block = generic->getBlock();
  llvm::SetVector<Value> captured;
  getUsedValuesDefinedAbove(generic.getRegion(), captured);
  llvm::SetVector<Operation *> slice;
  bool readsLoad = false;
  SmallVector<Value> worklist(captured.begin(), captured.end());
  while (!worklist.empty()) {
    Operation *def = worklist.pop_back_val().getDefiningOp();
    if (!def || def->getBlock() != block)
      continue;
    if (isa<memref::LoadOp>(def)) {
      readsLoad = true;
      continue;
    }
    if (!isScalarArithmetic(def) || !slice.insert(def))
      continue;
    llvm::append_range(worklist, def->getOperands());
  }
  if (!readsLoad)
    return;
  SmallVector<Operation *> ops(slice.begin(), slice.end());
  llvm::sort(ops,
             [](Operation *a, Operation *b) { return a->isBeforeInBlock(b); });
  Block &body = generic.getRegion().front();
  OpBuilder b(&body, body.begin());
  IRMapping mapping;
  for (Operation *op : ops)
    b.clone(*op, mapping);
  for (Operation *op : ops)
    for (Value result : op->getResults())
      result.replaceUsesWithIf(mapping.lookup(result), [&](OpOperand &use) {
        return generic->isProperAncestor(use.getOwner());
      });
  for (Operation *op : llvm::reverse(ops))
    if (isOpTriviallyDead(op))
      op->erase();
}

struct ScalarOperandsPass
    : public kiln::impl::ScalarOperandsPassBase<ScalarOperandsPass> {
  void runOnOperation() override {
    SmallVector<linalg::GenericOp> generics;
    getOperation().walk([&](linalg::GenericOp generic) {
      if (!generic->getParentOfType<linalg::LinalgOp>())
        generics.push_back(generic);
    });
    for (linalg::GenericOp generic : generics)
      sinkLoadedArithmetic(generic);
    SmallVector<memref::LoadOp> loads;
    getOperation().walk([&](memref::LoadOp load) {
      if (!load->getParentOfType<linalg::LinalgOp>())
        loads.push_back(load);
    });
    for (memref::LoadOp load : loads) {
      std::optional<SmallVector<int64_t>> indices = constantIndices(load);
      if (!indices)
        continue;
      // Every generic whose body reads the value.
      SetVector<linalg::GenericOp> readers;
      for (Operation *user : load->getUsers())
        if (auto generic = user->getParentOfType<linalg::GenericOp>();
            generic && generic->getBlock() == load->getBlock())
          readers.insert(generic);
      // Not where the buffer changes in between: the generic keeps the
      // value loaded, and kiln-cuda-map-to-gpu says the host reads it.
      for (linalg::GenericOp generic : readers)
        if (!writtenBefore(load, generic))
          addScalarOperand(generic, load, *indices);
      if (load.use_empty())
        load.erase();
    }
  }
};

} // namespace
