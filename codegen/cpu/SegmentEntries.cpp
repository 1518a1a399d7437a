//===- SegmentEntries.cpp - entries as a chain of bounded functions -------===//
// SPDX-License-Identifier: Apache-2.0
//
// Keeps every function the later passes and LLVM see bounded in size: a
// long entry becomes a chain of calls of private segments of at most
// `max-ops` operations each (see Passes.td).
//===----------------------------------------------------------------------===//

#include "codegen/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/RegionUtils.h"

namespace mlir::kiln {
#define GEN_PASS_DEF_SEGMENTENTRIESPASS
#include "codegen/Passes.h.inc"
} // namespace mlir::kiln

using namespace mlir;
using namespace mlir::kiln;

namespace {

/// The operations of one entry that a segment may recompute instead of
/// receiving: free of memory effects and regions, and computed from the
/// entry's arguments only (constants, index arithmetic, `memref.dim`,
/// views of the workspace).
class Rematerializable {
public:
  /// Operations a value's computation may take before it is cheaper to
  /// pass it (an offset into the workspace adds up every buffer before it).
  static constexpr unsigned kMaxCost = 16;

  explicit Rematerializable(Block &body) {
    for (Operation &op : body) {
      if (op.getNumRegions() != 0 || !isMemoryEffectFree(&op))
        continue;
      unsigned total = 1;
      bool fromArguments = llvm::all_of(op.getOperands(), [&](Value operand) {
        Operation *def = operand.getDefiningOp();
        if (!def)
          return true;
        auto it = cost.find(def);
        if (it == cost.end())
          return false;
        total += it->second;
        return true;
      });
      if (fromArguments)
        cost[&op] = std::min(total, kMaxCost + 1);
    }
  }
  bool contains(Operation *op) const { return cost.contains(op); }
  /// Whether a segment recomputes `op`: a cheap computation, or a view
  /// (five or more scalars as an argument; its operands decide for
  /// themselves).
  bool recomputed(Operation *op) const {
    auto it = cost.find(op);
    return it != cost.end() &&
           (it->second <= kMaxCost ||
            llvm::any_of(op->getResultTypes(), llvm::IsaPred<MemRefType>));
  }

private:
  llvm::DenseMap<Operation *, unsigned> cost;
};

/// Moves the consecutive operations `chunk` of an entry into a function
/// `name`, inserted after `previous`, and replaces them with a call.
/// Values the chunk uses from before it are recomputed in the segment when
/// rematerializable and passed otherwise; values it defines and a later
/// operation uses are returned.
class SegmentBuilder {
public:
  SegmentBuilder(const Rematerializable &remat, ArrayRef<Operation *> chunk)
      : remat(remat), chunk(chunk.begin(), chunk.end()) {}

  void build(StringRef name, Operation *&previous, SymbolTable &symbols) {
    Block *entryBlock = chunk.front()->getBlock();
    Location loc = chunk.front()->getLoc();
    MLIRContext *ctx = loc.getContext();

    // The function first, typed once its arguments and results are known.
    OpBuilder builder(ctx);
    builder.setInsertionPointAfter(previous);
    auto segment = func::FuncOp::create(builder, loc, name,
                                        builder.getFunctionType({}, {}));
    segment.setPrivate();
    segment->setAttr("llvm.linkage",
                     LLVM::LinkageAttr::get(ctx, LLVM::Linkage::Internal));
    // One call site each: LLVM's inliner would rebuild the long entry.
    segment->setAttr("passthrough",
                     builder.getArrayAttr({builder.getStringAttr("noinline")}));
    symbols.insert(segment);
    previous = segment;

    Block *body = segment.addEntryBlock();
    builder.setInsertionPointToEnd(body);
    for (Operation *op : chunk) {
      llvm::SetVector<Value> used(op->operand_begin(), op->operand_end());
      getUsedValuesDefinedAbove(op->getRegions(), used);
      for (Value value : used)
        materialize(value, builder, *body);
      builder.clone(*op, mapping);
    }
    SmallVector<Value> results;
    for (Operation *op : chunk)
      for (Value result : op->getResults())
        if (llvm::any_of(result.getUsers(), [&](Operation *user) {
              return !chunk.contains(entryBlock->findAncestorOpInBlock(*user));
            }))
          results.push_back(result);
    SmallVector<Value> returned = llvm::map_to_vector(
        results, [&](Value result) { return mapping.lookup(result); });
    func::ReturnOp::create(builder, loc, returned);
    segment.setFunctionType(builder.getFunctionType(
        ValueRange(arguments).getTypes(), ValueRange(results).getTypes()));

    builder.setInsertionPoint(chunk.front());
    auto call = func::CallOp::create(builder, loc, segment, arguments);
    for (auto [result, replacement] : llvm::zip(results, call.getResults()))
      result.replaceUsesWithIf(replacement, [&](OpOperand &use) {
        return !chunk.contains(
            entryBlock->findAncestorOpInBlock(*use.getOwner()));
      });
    for (Operation *op : llvm::reverse(chunk))
      op->erase();
  }

private:
  /// Makes `value` available in the segment: cloned in order (defined by
  /// the chunk), recomputed (rematerializable) or an argument.
  void materialize(Value value, OpBuilder &builder, Block &body) {
    if (mapping.contains(value))
      return;
    Operation *def = value.getDefiningOp();
    if (def && chunk.contains(def))
      return;
    if (def && remat.recomputed(def)) {
      for (Value operand : def->getOperands())
        materialize(operand, builder, body);
      builder.clone(*def, mapping);
      return;
    }
    arguments.push_back(value);
    mapping.map(value, body.addArgument(value.getType(), value.getLoc()));
  }

  const Rematerializable &remat;
  llvm::SetVector<Operation *> chunk;
  IRMapping mapping;
  SmallVector<Value> arguments;
};

/// Splits `entry` into segments of at most `maxOps` operations that are
/// not rematerializable; those in between stay in the entry (and go when
/// nothing uses them any more).
void segmentEntry(func::FuncOp entry, int64_t maxOps, SymbolTable &symbols) {
  Block &block = entry.getBody().front();
  Rematerializable remat(block);
  SmallVector<Operation *> work;
  for (Operation &op : block.without_terminator()) {
    if (remat.contains(&op))
      continue;
    // A buffer allocated on a segment's stack must not outlive it.
    if (isa<memref::AllocaOp, memref::AllocaScopeOp>(op))
      return;
    work.push_back(&op);
  }
  if (static_cast<int64_t>(work.size()) <= maxOps)
    return;
  // Rematerializable operations depend on the arguments only: hoisted in
  // order to the top, those a segment receives instead of recomputing
  // dominate its call wherever it goes.
  Operation *hoistPoint = nullptr;
  for (Operation &op : llvm::make_early_inc_range(block.without_terminator())) {
    if (!remat.contains(&op))
      continue;
    if (hoistPoint)
      op.moveAfter(hoistPoint);
    else
      op.moveBefore(&block, block.begin());
    hoistPoint = &op;
  }
  Operation *previous = entry;
  for (int64_t begin = 0, index = 0, end = work.size(); begin < end;
       begin += maxOps, ++index) {
    ArrayRef<Operation *> chunk =
        ArrayRef(work).slice(begin, std::min(maxOps, end - begin));
    SegmentBuilder(remat, chunk)
        .build((entry.getSymName() + "__seg" + Twine(index)).str(), previous,
               symbols);
  }
  SmallVector<Operation *> left;
  for (Operation &op : block.without_terminator())
    left.push_back(&op);
  for (Operation *op : llvm::reverse(left))
    if (remat.contains(op) && op->use_empty())
      op->erase();
}

struct SegmentEntriesPass
    : public kiln::impl::SegmentEntriesPassBase<SegmentEntriesPass> {
  using Base::Base;

  void runOnOperation() override {
    if (maxOps < 1) {
      getOperation().emitError("max-ops must be at least 1");
      return signalPassFailure();
    }
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    SmallVector<func::FuncOp> entries(module.getOps<func::FuncOp>());
    for (func::FuncOp entry : entries)
      if (!entry.isDeclaration() && entry.getBody().hasOneBlock())
        segmentEntry(entry, maxOps, symbols);
  }
};

} // namespace
