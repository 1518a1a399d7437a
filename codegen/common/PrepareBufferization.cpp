//===- PrepareBufferization.cpp - What bufferization needs ------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Five facts one-shot bufferization must be told:
//  - entry arguments are the caller's parameters and inputs: read-only
//    (`bufferization.writable = false`), never updated in place;
//  - every tensor an scf.for yields must live in its iteration argument's
//    buffer. Recurrent bodies compute the next state into a new tensor; the
//    yield then writes it into the carried buffer
//    (bufferization.materialize_in_destination), one copy per iteration,
//    unless the op that computes it can write it there itself: when every
//    read of the state comes before that op, its fresh destination becomes
//    the state (computeInState) and the copy folds away;
//  - every destination is its user's own: CSE merges the identical
//    `tensor.empty` (and zero `linalg.fill`) inits of all layers into one
//    value, and the analysis compares each in-place write into a value with
//    every other use of it, which made a 300-layer training step take 40 s.
//    Each use gets its own copy of the init, made just before it;
//  - the analysis of every operand enumerates every read of its value, so a
//    tensor read by N ops costs N^2: the learning rate (a 0-d tensor) that
//    every parameter's update reads made a 3000-layer training step take
//    15 s. A 0-d input of a linalg.generic is read once as a scalar
//    (`tensor.extract`) and the generics use that scalar;
//  - every result is a buffer of its own: the out-params that follow
//    bufferization take one allocation each. A value returned twice (a
//    training step's metric that is its loss) is copied for each further
//    place.
//===----------------------------------------------------------------------===//

#include "codegen/Passes.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Dominance.h"
#include "mlir/IR/IRMapping.h"

namespace mlir::kiln {
#define GEN_PASS_DEF_PREPAREBUFFERIZATIONPASS
#include "codegen/Passes.h.inc"
} // namespace mlir::kiln

using namespace mlir;
using namespace mlir::kiln;

/// True when `value` already lives in `state`'s buffer: `state` itself, an
/// insert_slice into it, or an inner loop carrying it (whose own yields
/// this pass handles), in any chain.
static bool writesInto(Value value, Value state) {
  while (value != state) {
    if (auto insert = value.getDefiningOp<tensor::InsertSliceOp>()) {
      value = insert.getDest();
    } else if (auto loop = value.getDefiningOp<scf::ForOp>()) {
      value = loop.getTiedLoopInit(cast<OpResult>(value))->get();
    } else {
      return false;
    }
  }
  return true;
}

/// A fresh destination: `tensor.empty`, or a `linalg.fill` of one.
static bool isFreshInit(Operation *op) {
  if (isa<tensor::EmptyOp>(op))
    return true;
  auto fill = dyn_cast<linalg::FillOp>(op);
  return fill && fill.hasPureTensorSemantics() &&
         fill.getOutputs()[0].getDefiningOp<tensor::EmptyOp>();
}

/// Whether `start`, the init of `op`, can be computed in the buffer of the
/// state `op` computes, right before `op`: an elementwise generic (every
/// map the identity: element i of its result reads element i of each
/// input, the state included) into a fresh `tensor.empty`, whose result
/// only `op` reads.
static bool startsInState(linalg::GenericOp start, linalg::LinalgOp op) {
  if (!start.hasPureTensorSemantics() || start->getBlock() != op->getBlock() ||
      start.getNumDpsInits() != 1 || !start->getResult(0).hasOneUse() ||
      start.getNumParallelLoops() != start.getNumLoops() ||
      !llvm::all_of(start.getIndexingMapsArray(),
                    [](AffineMap map) { return map.isIdentity(); }))
    return false;
  OpOperand *init = start.getDpsInitOperand(0);
  auto empty = init->get().getDefiningOp<tensor::EmptyOp>();
  return empty && !start.payloadUsesValueFromOperand(init);
}

/// Points the op that computes `next`, a loop's next state, at the
/// state's buffer: its fresh destination becomes `state` (a
/// `tensor.empty` it does not read), or a fill of `state` made right
/// before it (a `linalg.fill` of one), when every read of `state` comes
/// before the op. One-shot bufferization
/// then computes the next state where the one it replaces was, and the
/// copy at the yield goes: a recurrent layer's backward time step
/// (dh = dh_next' W^T into dh_next's buffer) and its forward one. An op
/// that adds to an elementwise function of the state (startsInState) has
/// that function computed in the state's buffer, once every other read of
/// the state is done.
static void computeInState(Value next, Value state) {
  auto op = next.getDefiningOp<linalg::LinalgOp>();
  if (!op || !op.hasPureTensorSemantics() ||
      op->getBlock() != state.getParentBlock())
    return;
  OpOperand *init =
      op.getDpsInitOperand(cast<OpResult>(next).getResultNumber());
  if (init->get().getType() != state.getType())
    return;
  for (Operation *user : state.getUsers()) {
    Operation *inBlock = op->getBlock()->findAncestorOpInBlock(*user);
    if (!inBlock || !inBlock->isBeforeInBlock(op))
      return;
  }
  Operation *def = init->get().getDefiningOp();
  if (isa_and_nonnull<tensor::EmptyOp>(def)) {
    if (op.payloadUsesValueFromOperand(init))
      return;
    init->set(state);
    if (def->use_empty())
      def->erase();
  } else if (auto start = dyn_cast_or_null<linalg::GenericOp>(def);
             start && startsInState(start, op)) {
    // What the op adds to (a GRU's backward step: dh z + D U^T), computed
    // elementwise, right before the op, in the state it may read.
    start->moveBefore(op);
    Operation *empty = start.getDpsInitOperand(0)->get().getDefiningOp();
    start.getDpsInitOperand(0)->set(state);
    if (empty->use_empty())
      empty->erase();
  } else if (auto fill = dyn_cast_or_null<linalg::FillOp>(def);
             fill && isFreshInit(fill)) {
    // Its own fill of the state, right before it.
    OpBuilder b(op);
    init->set(linalg::FillOp::create(b, fill.getLoc(), fill.value(), state)
                  .getResult(0));
    if (fill->use_empty()) {
      Operation *empty = fill.getOutputs()[0].getDefiningOp();
      fill->erase();
      if (empty->use_empty())
        empty->erase();
    }
  }
}

/// The slot of the stack `insert` writes into, extracted as early as its
/// offsets allow (so that the ops computing what fills it can be pointed at
/// it too); nothing when they are not defined before `user`.
static Value slotFor(tensor::InsertSliceOp insert, Operation *user,
                     DominanceInfo &dominance) {
  Block *block = insert->getBlock();
  OpBuilder b(block, block->begin());
  for (Value index : insert->getOperands().drop_front(2)) {
    if (!dominance.properlyDominates(index, user))
      return {};
    Operation *def = index.getDefiningOp();
    if (def && def->getBlock() == block &&
        b.getInsertionPoint() != block->end() &&
        !def->isBeforeInBlock(&*b.getInsertionPoint()))
      b.setInsertionPointAfter(def);
  }
  return tensor::ExtractSliceOp::create(
      b, insert.getLoc(), insert.getSourceType(), insert.getDest(),
      insert.getMixedOffsets(), insert.getMixedSizes(),
      insert.getMixedStrides());
}

/// Points the op that computes what `insert` writes into a slice of a
/// loop-carried tensor (a stack of saved states, products or gradients)
/// at that slice: its fresh destination becomes the slice of the insert's
/// destination (or a fill of it), so that one-shot bufferization computes
/// it there and the insert's copy folds away. A value assembled from parts
/// (insert_slices into a `tensor.empty`: the concatenation of an LSTM's
/// gates' gradients) is assembled in the slice. The analysis still copies
/// wherever writing early would change what something reads.
static void computeInSlice(tensor::InsertSliceOp insert,
                           DominanceInfo &dominance) {
  auto carried = dyn_cast<BlockArgument>(insert.getDest());
  if (!carried || !isa<scf::ForOp>(carried.getOwner()->getParentOp()))
    return;
  // Parts inserted into an empty tensor: the slice becomes that tensor.
  if (auto part = insert.getSource().getDefiningOp<tensor::InsertSliceOp>()) {
    while (auto inner = part.getDest().getDefiningOp<tensor::InsertSliceOp>()) {
      if (!inner->hasOneUse())
        return;
      part = inner;
    }
    auto empty = part.getDest().getDefiningOp<tensor::EmptyOp>();
    if (!empty || !empty->hasOneUse() ||
        empty->getBlock() != insert->getBlock())
      return;
    if (Value slice = slotFor(insert, part, dominance)) {
      part.getDestMutable().set(slice);
      empty->erase();
    }
    return;
  }
  auto op = insert.getSource().getDefiningOp<linalg::LinalgOp>();
  if (!op || !op.hasPureTensorSemantics() ||
      op->getBlock() != insert->getBlock())
    return;
  OpOperand *init = op.getDpsInitOperand(
      cast<OpResult>(insert.getSource()).getResultNumber());
  Operation *def = init->get().getDefiningOp();
  if (!def || !isFreshInit(def) || !def->getResult(0).hasOneUse() ||
      (isa<tensor::EmptyOp>(def) && op.payloadUsesValueFromOperand(init)))
    return;
  Value slice = slotFor(insert, op, dominance);
  if (!slice)
    return;
  if (auto fill = dyn_cast<linalg::FillOp>(def)) {
    OpBuilder b(op);
    init->set(linalg::FillOp::create(b, fill.getLoc(), fill.value(), slice)
                  .getResult(0));
    Operation *empty = fill.getOutputs()[0].getDefiningOp();
    fill->erase();
    if (empty->use_empty())
      empty->erase();
    return;
  }
  init->set(slice);
  def->erase();
}

/// Gives every use but the first of the fresh init `op` its own clone
/// (of the fill and of its empty tensor), right before the user.
static void unshareInit(Operation *op) {
  SmallVector<OpOperand *> uses;
  for (OpOperand &use : op->getResult(0).getUses())
    uses.push_back(&use);
  for (OpOperand *use : llvm::drop_begin(uses)) {
    OpBuilder b(use->getOwner());
    IRMapping mapping;
    if (auto fill = dyn_cast<linalg::FillOp>(op)) {
      Operation *empty = fill.getOutputs()[0].getDefiningOp();
      mapping.map(empty->getResult(0), b.clone(*empty)->getResult(0));
    }
    use->set(b.clone(*op, mapping)->getResult(0));
  }
}

/// The 0-d tensor `value` as a scalar, extracted once, right after its
/// definition (`scalars` remembers the extractions made).
static Value scalarOf(Value value, DenseMap<Value, Value> &scalars) {
  Value &scalar = scalars[value];
  if (scalar)
    return scalar;
  OpBuilder b(value.getContext());
  if (Operation *def = value.getDefiningOp())
    b.setInsertionPointAfter(def);
  else
    b.setInsertionPointToStart(cast<BlockArgument>(value).getOwner());
  scalar = tensor::ExtractOp::create(b, value.getLoc(), value, ValueRange());
  return scalar;
}

/// Makes `op` read its 0-d tensor inputs as scalars captured from above:
/// the input, its indexing map and its block argument go.
static void scalarizeZeroDimInputs(linalg::GenericOp op,
                                   DenseMap<Value, Value> &scalars) {
  SmallVector<OpOperand *> zeroDim;
  for (OpOperand *input : op.getDpsInputOperands())
    if (auto type = dyn_cast<RankedTensorType>(input->get().getType());
        type && type.getRank() == 0)
      zeroDim.push_back(input);
  if (zeroDim.empty())
    return;
  Block *body = op.getBlock();
  SmallVector<Attribute> maps(op.getIndexingMaps().getValue());
  // Back to front, so that the indices of the others stay valid.
  for (OpOperand *input : llvm::reverse(zeroDim)) {
    unsigned index = input->getOperandNumber();
    BlockArgument arg = op.getMatchingBlockArgument(input);
    arg.replaceAllUsesWith(scalarOf(input->get(), scalars));
    body->eraseArgument(arg.getArgNumber());
    maps.erase(maps.begin() + index);
    op.getInputsMutable().erase(index);
  }
  op.setIndexingMapsAttr(ArrayAttr::get(op.getContext(), maps));
}

/// Gives each repeated tensor operand of `ret` a copy of its own.
static void copyRepeatedResults(func::ReturnOp ret) {
  llvm::SmallPtrSet<Value, 8> seen;
  OpBuilder b(ret);
  for (OpOperand &operand : ret->getOpOperands()) {
    Value value = operand.get();
    if (!isa<RankedTensorType>(value.getType()) || seen.insert(value).second)
      continue;
    Location loc = value.getLoc();
    auto type = cast<RankedTensorType>(value.getType());
    Value empty = tensor::EmptyOp::create(
        b, loc, tensor::getMixedSizes(b, loc, value), type.getElementType());
    operand.set(linalg::CopyOp::create(b, loc, value, empty).getResult(0));
  }
}

namespace {
struct PrepareBufferizationPass
    : public kiln::impl::PrepareBufferizationPassBase<
          PrepareBufferizationPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    // All at once: setting one argument's attribute copies every one's.
    SmallVector<DictionaryAttr> argAttrs;
    func.getAllArgAttrs(argAttrs);
    for (auto [arg, attrs] : llvm::zip(func.getArguments(), argAttrs)) {
      if (!isa<TensorType>(arg.getType()))
        continue;
      NamedAttrList list(attrs);
      list.set(bufferization::BufferizationDialect::kWritableAttrName,
               BoolAttr::get(func.getContext(), false));
      attrs = list.getDictionary(func.getContext());
    }
    func.setAllArgAttrs(argAttrs);
    func.walk(copyRepeatedResults);
    func.walk([](scf::ForOp loop) {
      auto yield = cast<scf::YieldOp>(loop.getBody()->getTerminator());
      OpBuilder b(yield);
      for (auto [operand, state] :
           llvm::zip(yield->getOpOperands(), loop.getRegionIterArgs())) {
        Value next = operand.get();
        if (!isa<RankedTensorType>(next.getType()) || writesInto(next, state))
          continue;
        computeInState(next, state);
        auto materialize = bufferization::MaterializeInDestinationOp::create(
            b, yield.getLoc(), next, state);
        operand.set(materialize.getResult());
      }
    });
    SmallVector<tensor::InsertSliceOp> inserts;
    func.walk([&](tensor::InsertSliceOp insert) { inserts.push_back(insert); });
    DominanceInfo dominance(func);
    for (tensor::InsertSliceOp insert : inserts)
      computeInSlice(insert, dominance);
    DenseMap<Value, Value> scalars;
    func.walk([&](linalg::GenericOp op) {
      if (op.hasPureTensorSemantics())
        scalarizeZeroDimInputs(op, scalars);
    });
    // Fills first: their clones bring their own empty tensors.
    SmallVector<Operation *> shared;
    func.walk([&](Operation *op) {
      if (isFreshInit(op) && !op->getResult(0).hasOneUse() && !op->use_empty())
        shared.push_back(op);
    });
    std::stable_partition(shared.begin(), shared.end(), [](Operation *op) {
      return isa<linalg::FillOp>(op);
    });
    for (Operation *op : shared)
      unshareInit(op);
  }
};
} // namespace
