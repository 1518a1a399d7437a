//===- FuseRows.cpp - Ops over the same rows as one kernel ------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// `--kiln-cuda-fuse-rows`: neighbouring linalg ops on buffers whose every
// access to what they write is at the row of their leading parallel
// dimensions become one parallel loop over the rows, each thread running
// the ops for its row in turn; the values that pass from op to op within a
// row then stay in registers (ScalarReplacement.h). See Passes.td.
//===----------------------------------------------------------------------===//

#include "codegen/Passes.h"
#include "codegen/cuda/Contraction.h"
#include "codegen/cuda/MergeRuns.h"
#include "codegen/cuda/ScalarReplacement.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/Support/MathExtras.h"

#include <functional>

namespace mlir::kiln {
#define GEN_PASS_DEF_FUSEROWSPASS
#include "codegen/Passes.h.inc"
} // namespace mlir::kiln

using namespace mlir;
using namespace mlir::kiln;

namespace {

/// The loops of `op` that index its first output's leading dimensions, as
/// long as they are parallel: the rows a thread could own.
SmallVector<unsigned> rowLoopsOf(linalg::LinalgOp op) {
  SmallVector<unsigned> rows;
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  AffineMap map = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  for (AffineExpr result : map.getResults()) {
    auto dim = dyn_cast<AffineDimExpr>(result);
    if (!dim || iterators[dim.getPosition()] != utils::IteratorType::parallel ||
        llvm::is_contained(rows, dim.getPosition()))
      break;
    rows.push_back(dim.getPosition());
  }
  return rows;
}

/// An access of a member to a buffer: the view it goes through, the
/// buffer, and how many of its leading indices are the member's rows in
/// order (none for a load in the body: any element).
struct Access {
  Value view;
  Value buffer;
  unsigned depth;
};

/// A candidate, with what a group needs to know of it.
struct Member {
  mutable linalg::LinalgOp op; // its accessors are not const
  SmallVector<unsigned> rows;
  SmallVector<int64_t> extents; // of its loops, static or dynamic
  SmallVector<Access> accesses;
};

Member describe(linalg::LinalgOp op) {
  Member member{op, rowLoopsOf(op), op.getStaticLoopRanges(), {}};
  for (OpOperand &operand : op->getOpOperands()) {
    if (!isa<MemRefType>(operand.get().getType()))
      continue;
    AffineMap map = op.getMatchingIndexingMap(&operand);
    unsigned depth = 0;
    while (depth < member.rows.size() && depth < map.getNumResults() &&
           map.getResult(depth) ==
               getAffineDimExpr(member.rows[depth], op.getContext()))
      ++depth;
    member.accesses.push_back(
        {operand.get(), rootBuffer(operand.get()), depth});
  }
  op.getBlock()->walk([&](memref::LoadOp load) {
    member.accesses.push_back(
        {load.getMemRef(), rootBuffer(load.getMemRef()), 0});
  });
  return member;
}

/// Whether `op` updates the output of the matrix product right before it:
/// kiln-cuda-map-to-gpu applies it as the product's epilogue.
bool followsProductInPlace(linalg::LinalgOp op) {
  Operation *previous = op->getPrevNode();
  while (previous && !touchesMemory(previous))
    previous = previous->getPrevNode();
  auto product = dyn_cast_or_null<linalg::LinalgOp>(previous);
  if (!product || product.getNumDpsInits() != 1 || !matchContraction(product))
    return false;
  Value sums = rootBuffer(product.getDpsInits()[0]);
  return llvm::any_of(op.getDpsInits(),
                      [&](Value output) { return rootBuffer(output) == sums; });
}

/// Whether two loop extents are the same: equal constants or values, or
/// the same dimension of the same buffer (createLoopRanges makes a
/// memref.dim each time it is asked).
bool sameExtent(OpFoldResult a, OpFoldResult b) {
  if (isEqualConstantIntOrValue(a, b))
    return true;
  auto dimOf = [](OpFoldResult extent) -> std::pair<Value, int64_t> {
    auto value = dyn_cast<Value>(extent);
    auto dim = value ? value.getDefiningOp<memref::DimOp>() : nullptr;
    std::optional<int64_t> index = dim ? dim.getConstantIndex() : std::nullopt;
    return index ? std::make_pair(dim.getSource(), *index)
                 : std::make_pair(Value(), int64_t(-1));
  };
  auto [source, index] = dimOf(a);
  return source && std::make_pair(source, index) == dimOf(b);
}

/// Where `view` starts: a static number of elements after the start of
/// `base`, the first view up its chain of subviews at static offsets whose
/// own offset is dynamic (a slot of a stack: the gates of the slot), or
/// null when the offset itself is static.
std::pair<Value, int64_t> startOf(Value view) {
  int64_t after = 0;
  while (true) {
    SmallVector<int64_t> strides;
    int64_t offset;
    if (succeeded(cast<MemRefType>(view.getType())
                      .getStridesAndOffset(strides, offset)) &&
        !ShapedType::isDynamic(offset))
      return {Value(), after + offset};
    auto subview = view.getDefiningOp<memref::SubViewOp>();
    if (!subview ||
        failed(subview.getSourceType().getStridesAndOffset(strides, offset)))
      return {view, after};
    int64_t step = 0;
    for (auto [at, stride] : llvm::zip(subview.getStaticOffsets(), strides)) {
      if (ShapedType::isDynamic(at) || ShapedType::isDynamic(stride))
        return {view, after};
      step += at * stride;
    }
    after += step;
    view = subview.getSource();
  }
}

/// A view as the rows see it: its strides along the rows (the first
/// `depth` dimensions), where it starts (`offset` elements after the start
/// of `base`, startOf), and the span of the rest (the elements from the
/// first of a row to the last).
struct RowLayout {
  SmallVector<int64_t> strides;
  Value base;
  int64_t offset;
  int64_t span = 0;
};

std::optional<RowLayout> rowLayoutOf(Value view, size_t depth) {
  auto type = cast<MemRefType>(view.getType());
  SmallVector<int64_t> strides;
  int64_t offset;
  if (static_cast<int64_t>(depth) > type.getRank() ||
      failed(type.getStridesAndOffset(strides, offset)))
    return std::nullopt;
  auto [base, start] = startOf(view);
  RowLayout layout{{}, base, start};
  for (auto [d, stride] : llvm::enumerate(strides)) {
    if (ShapedType::isDynamic(stride) || stride < 0)
      return std::nullopt;
    if (d < depth) {
      layout.strides.push_back(stride);
      continue;
    }
    if (type.isDynamicDim(d))
      return std::nullopt;
    layout.span += stride * std::max<int64_t>(type.getDimSize(d) - 1, 0);
  }
  return layout;
}

/// Whether two different rows t and u (|t_j - u_j| < extents[j], the first
/// extent possibly unknown) may meet: strides . (t - u) in [lo, hi]. The
/// differences are searched dimension by dimension, outermost first,
/// keeping those from which the interval is still in reach; a search too
/// long to finish says they may.
bool rowsMayMeet(ArrayRef<int64_t> strides, ArrayRef<int64_t> extents,
                 int64_t lo, int64_t hi) {
  size_t rank = strides.size();
  // reach[j]: the most the dimensions from j on add (all but the first
  // have static extents).
  SmallVector<int64_t> reach(rank + 1, 0);
  for (size_t j = rank; j-- > 1;) {
    if (ShapedType::isDynamic(extents[j]))
      return true;
    reach[j] = reach[j + 1] + strides[j] * (extents[j] - 1);
  }
  int64_t budget = 1 << 16;
  std::function<bool(size_t, int64_t, bool)> search = [&](size_t j, int64_t sum,
                                                          bool moved) -> bool {
    if (--budget < 0)
      return true;
    if (j == rank)
      return moved && lo <= sum && sum <= hi;
    int64_t stride = strides[j], rest = reach[j + 1];
    if (stride == 0)
      return true; // rows along it share their elements
    int64_t from = llvm::divideCeilSigned(lo - sum - rest, stride);
    int64_t to = llvm::divideFloorSigned(hi - sum + rest, stride);
    if (!ShapedType::isDynamic(extents[j])) {
      from = std::max(from, 1 - extents[j]);
      to = std::min(to, extents[j] - 1);
    }
    for (int64_t step = from; step <= to; ++step)
      if (search(j + 1, sum + stride * step, moved || step != 0))
        return true;
    return false;
  };
  return search(0, 0, false);
}

/// Whether thread r, touching row r of each of `views` (one buffer's),
/// touches no element another thread does: the views have static strides
/// and offsets (or offsets a static distance apart: startOf), the same
/// strides along the rows, and no two different
/// rows of theirs (within `extents`) reach one element (an LSTM's four
/// gates, column slices of one buffer, are disjoint).
bool rowsDisjoint(ArrayRef<Value> views, ArrayRef<int64_t> extents) {
  SmallVector<RowLayout> layouts;
  for (Value view : llvm::SetVector<Value>(llvm::from_range, views)) {
    std::optional<RowLayout> layout = rowLayoutOf(view, extents.size());
    if (!layout ||
        (!layouts.empty() && (layout->strides != layouts.front().strides ||
                              layout->base != layouts.front().base)))
      return false;
    layouts.push_back(*layout);
  }
  for (const RowLayout &a : layouts)
    for (const RowLayout &b : layouts) {
      int64_t apart = b.offset - a.offset;
      if (rowsMayMeet(a.strides, extents, apart - a.span, apart + b.span))
        return false;
    }
  return true;
}

/// A run of candidates that one parallel loop over their rows runs.
class RowGroup {
public:
  using Op = linalg::LinalgOp;

  RowGroup(int64_t maxRowElements, int64_t maxParamBytes)
      : maxRowElements(maxRowElements), maxParamBytes(maxParamBytes) {}

  /// Fills, copies and generics that kiln-cuda-map-to-gpu would run one
  /// thread per output element, whose bodies compute and load.
  static bool candidate(linalg::LinalgOp op) {
    if (!isa<linalg::GenericOp, linalg::FillOp, linalg::CopyOp>(op) ||
        !op.hasPureBufferSemantics() || op->getNumResults() != 0 ||
        op.getNumDpsInits() == 0 || op->hasAttr(kSplitKAttrName) ||
        op->hasAttr(kZeroInitAttrName) || rowLoopsOf(op).empty())
      return false;
    if (std::optional<SumReduction> sum = matchSumReduction(op))
      if (worthBlockReduction(*sum) || matchContraction(*sum))
        return false;
    for (Operation &nested : op.getBlock()->without_terminator())
      if (nested.getNumRegions() != 0 ||
          !(isPure(&nested) || isa<memref::LoadOp>(nested)))
        return false;
    return !followsProductInPlace(op);
  }

  bool accepts(linalg::LinalgOp op) const {
    SmallVector<Member> joined(members);
    joined.push_back(describe(op));
    return depthOf(joined) > 0 && paramBytes(joined) <= maxParamBytes;
  }

  void add(linalg::LinalgOp op) { members.push_back(describe(op)); }

  bool empty() const { return members.empty(); }

  /// The members in order.
  SmallVector<Operation *> ops() const {
    return llvm::map_to_vector(
        members, [](const Member &member) { return member.op.getOperation(); });
  }

  /// Replaces two or more members by one loop where the last one was.
  void merge() {
    if (members.size() >= 2)
      if (size_t depth = depthOf(members))
        build(depth);
    members.clear();
  }

private:
  /// The rows `members` share: the most leading dimensions at which every
  /// access to a buffer one of them writes is indexed by its rows, through
  /// views that agree on them, of the same size in each member where it
  /// is static, leaving each member at most maxRowElements
  /// elements outside the rows and its reductions, and only static loops
  /// to run serially. 0: they cannot run as one.
  size_t depthOf(ArrayRef<Member> members) const {
    size_t depth = std::numeric_limits<size_t>::max();
    llvm::SmallDenseSet<Value> written;
    for (const Member &member : members) {
      depth = std::min(depth, member.rows.size());
      for (Value output : member.op.getDpsInits())
        written.insert(rootBuffer(output));
    }
    llvm::MapVector<Value, SmallVector<Value>> views;
    for (const Member &member : members)
      for (const Access &access : member.accesses)
        if (written.contains(access.buffer)) {
          depth = std::min<size_t>(depth, access.depth);
          views[access.buffer].push_back(access.view);
        }
    // Rows of different static sizes would leave threads idle (a pooling's
    // input and output): only the batch, sized at run time, may differ.
    SmallVector<int64_t> extents;
    for (size_t d = 0; d < depth; ++d) {
      std::optional<int64_t> size;
      bool dynamic = false;
      for (const Member &member : members) {
        int64_t extent = member.extents[member.rows[d]];
        dynamic |= ShapedType::isDynamic(extent);
        if (!ShapedType::isDynamic(extent) && size && *size != extent) {
          depth = d;
          break;
        }
        if (!ShapedType::isDynamic(extent))
          size = extent;
      }
      if (d < depth)
        extents.push_back(dynamic || !size ? ShapedType::kDynamic : *size);
    }
    // Each written buffer's views split into rows, thread r touching row r
    // of each and nothing another thread touches.
    for (auto &[buffer, seen] : views) {
      if (llvm::all_equal(seen))
        continue;
      while (depth > 0 &&
             !rowsDisjoint(seen, ArrayRef(extents).take_front(depth)))
        --depth;
    }
    if (depth == 0)
      return 0;
    for (const Member &member : members) {
      SmallVector<utils::IteratorType> iterators =
          member.op.getIteratorTypesArray();
      int64_t elements = 1;
      for (auto [d, extent] : llvm::enumerate(member.extents)) {
        if (llvm::is_contained(ArrayRef(member.rows).take_front(depth), d))
          continue;
        if (ShapedType::isDynamic(extent))
          return 0;
        if (iterators[d] == utils::IteratorType::parallel)
          elements *= extent;
      }
      if (elements > maxRowElements)
        return 0;
    }
    return depth;
  }

  /// The kernel parameters of `members`' operands and of the values their
  /// bodies use from outside (constants are not: the kernel has its own).
  static int64_t paramBytes(ArrayRef<Member> members) {
    llvm::SmallDenseSet<Value> seen;
    int64_t bytes = 0;
    auto add = [&](Value value) {
      if (!matchPattern(value, m_Constant()) && seen.insert(value).second)
        bytes += kernelParamBytes(value);
    };
    for (const Member &member : members) {
      for (Value operand : member.op->getOperands())
        add(operand);
      Block *body = member.op.getBlock();
      body->walk([&](Operation *nested) {
        for (Value operand : nested->getOperands())
          if (operand.getParentBlock() != body)
            add(operand);
      });
    }
    return bytes;
  }

  /// One loop over the members' first `depth` rows (depthOf).
  void build(size_t depth) {
    linalg::LinalgOp last = members.back().op;
    Location loc = last.getLoc();
    OpBuilder b(last);
    auto index = [&](int64_t v) -> Value {
      return arith::ConstantIndexOp::create(b, loc, v);
    };
    // Each member's extents along the rows, and the loop's: the largest.
    SmallVector<SmallVector<OpFoldResult>> extents;
    for (const Member &member : members) {
      SmallVector<Range> ranges = member.op.createLoopRanges(b, loc);
      extents.emplace_back();
      for (unsigned d : ArrayRef(member.rows).take_front(depth))
        extents.back().push_back(ranges[d].size);
    }
    SmallVector<OpFoldResult> bounds = extents.front();
    for (ArrayRef<OpFoldResult> own : ArrayRef(extents).drop_front())
      for (auto [bound, extent] : llvm::zip_equal(bounds, own))
        if (!sameExtent(bound, extent))
          bound = b.createOrFold<arith::MaxUIOp>(
              loc, getValueOrCreateConstantIndexOp(b, loc, bound),
              getValueOrCreateConstantIndexOp(b, loc, extent));
    SmallVector<Value> lower(depth, index(0)), step(depth, index(1));
    auto loop = scf::ParallelOp::create(
        b, loc, lower, getValueOrCreateConstantIndexOp(b, loc, bounds), step);
    SmallVector<Value> rows(loop.getInductionVars());

    // The members in order; a run of them with the same extents under one
    // bound check where they fall short of the loop's.
    std::optional<ArrayRef<OpFoldResult>> checked;
    for (auto [member, own] : llvm::zip_equal(members, extents)) {
      if (!checked || !llvm::equal(*checked, own, sameExtent)) {
        b.setInsertionPoint(loop.getBody()->getTerminator());
        Value inside;
        for (auto [row, bound, extent] : llvm::zip_equal(rows, bounds, own)) {
          if (sameExtent(bound, extent))
            continue;
          Value in = arith::CmpIOp::create(
              b, loc, arith::CmpIPredicate::ult, row,
              getValueOrCreateConstantIndexOp(b, loc, extent));
          inside = inside ? arith::AndIOp::create(b, loc, inside, in) : in;
        }
        if (inside) {
          auto branch = scf::IfOp::create(b, loc, inside, /*withElse=*/false);
          b.setInsertionPoint(branch.thenBlock()->getTerminator());
        }
        checked = own;
      }
      SmallVector<Value> dims(member.op.getNumLoops());
      for (auto [d, row] :
           llvm::zip_equal(ArrayRef(member.rows).take_front(depth), rows))
        dims[d] = row;
      emitLoops(b, member, dims);
    }

    llvm::SetVector<Value> written;
    for (const Member &member : members) {
      for (Value output : member.op.getDpsInits())
        written.insert(rootBuffer(output));
      member.op->erase();
    }
    keepInRegisters(loop);
    for (Value buffer : written)
      eraseUnreadStores(buffer, loop);
  }

  /// `member`'s loops outside the rows (those without an index in `dims`),
  /// in order, each serial, around its iteration.
  static void emitLoops(OpBuilder &b, const Member &member,
                        SmallVector<Value> &dims) {
    auto serial = llvm::find(dims, Value());
    if (serial == dims.end()) {
      emitIterationAt(b, member.op, dims);
      return;
    }
    Location loc = member.op.getLoc();
    int64_t extent = member.extents[serial - dims.begin()];
    auto loop =
        scf::ForOp::create(b, loc, arith::ConstantIndexOp::create(b, loc, 0),
                           arith::ConstantIndexOp::create(b, loc, extent),
                           arith::ConstantIndexOp::create(b, loc, 1));
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(loop.getBody()->getTerminator());
    *serial = loop.getInductionVar();
    emitLoops(b, member, dims);
  }

  /// Erases the stores of `loop` into `buffer`, an allocation, when
  /// nothing reads it any more (its values were all passed on in
  /// registers): no load, no other op but views and sizes.
  static void eraseUnreadStores(Value buffer, scf::ParallelOp loop) {
    if (!buffer.getDefiningOp<memref::AllocOp>())
      return;
    SmallVector<Operation *> stores;
    SmallVector<Value> worklist{buffer};
    while (!worklist.empty()) {
      Value value = worklist.pop_back_val();
      for (Operation *user : value.getUsers()) {
        if (auto view = dyn_cast<ViewLikeOpInterface>(user);
            view && view.getViewSource() == value) {
          worklist.append(user->result_begin(), user->result_end());
          continue;
        }
        auto store = dyn_cast<memref::StoreOp>(user);
        if (store && store.getMemRef() == value &&
            loop->isProperAncestor(store)) {
          stores.push_back(store);
          continue;
        }
        if (!isa<memref::DimOp>(user))
          return;
      }
    }
    for (Operation *store : stores)
      store->erase();
  }

  int64_t maxRowElements, maxParamBytes;
  SmallVector<Member> members;
};

/// What some ops read and write, to tell whether others may move past them.
struct Footprint {
  llvm::SmallDenseSet<Value> reads, writes;
  bool known = true;

  void add(Operation *op) { known &= collectBuffers(op, reads, writes); }

  /// Whether `op` and these ops may run in either order: neither writes a
  /// buffer the other reads or writes.
  bool independentOf(Operation *op) const {
    Footprint other;
    other.add(op);
    if (!known || !other.known)
      return false;
    auto meets = [](const llvm::SmallDenseSet<Value> &a,
                    const llvm::SmallDenseSet<Value> &b) {
      return llvm::any_of(a, [&](Value v) { return b.contains(v); });
    };
    return !meets(writes, other.reads) && !meets(writes, other.writes) &&
           !meets(reads, other.writes);
  }
};

/// Moves `op` before `point` with the ops that define its operands (and
/// the values its regions use) between the two, when those touch no
/// memory; false (and nothing moved) otherwise.
bool hoistBefore(Operation *op, Operation *point) {
  SmallVector<Operation *> defs;
  std::function<bool(Operation *)> visit = [&](Operation *user) {
    llvm::SetVector<Value> used(llvm::from_range, user->getOperands());
    for (Region &region : user->getRegions())
      getUsedValuesDefinedAbove(region, used);
    for (Value value : used) {
      Operation *def = value.getDefiningOp();
      if (!def || def->getBlock() != point->getBlock() ||
          def->isBeforeInBlock(point) || llvm::is_contained(defs, def))
        continue;
      if (def->getNumRegions() != 0 || touchesMemory(def) || !visit(def))
        return false;
      defs.push_back(def);
    }
    return true;
  };
  if (!visit(op))
    return false;
  // Definitions first, in their order.
  llvm::sort(defs,
             [](Operation *a, Operation *b) { return a->isBeforeInBlock(b); });
  for (Operation *def : defs)
    def->moveBefore(point);
  op->moveBefore(point);
  return true;
}

/// Whether the members of `group` may move after `op`: it touches no
/// buffer they write and writes none they read, and it is not a matrix
/// product whose in-place epilogue follows it (the members would come
/// between the two).
bool maySinkPast(const RowGroup &group, Operation *op) {
  if (op->hasTrait<OpTrait::IsTerminator>())
    return false;
  Footprint members;
  for (Operation *member : group.ops())
    members.add(member);
  if (!members.independentOf(op))
    return false;
  auto after = dyn_cast_or_null<linalg::LinalgOp>(nextTouchingMemory(op));
  return !after || !followsProductInPlace(after);
}

/// How many memory-touching ops pullForward looks past.
constexpr int kPullWindow = 16;

/// The ops a group at `blocked` (an op it cannot take) could still take,
/// moved up before `blocked`: later candidates it accepts whose way up
/// crosses only ops they are independent of, within kPullWindow
/// memory-touching ops.
void pullForward(RowGroup &group, Operation *blocked) {
  Footprint crossed;
  int window = kPullWindow;
  for (Operation *op = blocked; op && window > 0;) {
    Operation *next = op->getNextNode();
    if (!touchesMemory(op)) {
      op = next;
      continue;
    }
    auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
    if (op != blocked && linalgOp && RowGroup::candidate(linalgOp) &&
        group.accepts(linalgOp) && crossed.independentOf(op) &&
        hoistBefore(op, blocked)) {
      group.add(linalgOp);
      op = next;
      continue;
    }
    crossed.add(op);
    if (!crossed.known || op->hasTrait<OpTrait::IsTerminator>())
      return;
    --window;
    op = next;
  }
}

/// mergeRuns (MergeRuns.h) that also reorders independent ops so that ops
/// over the same rows become neighbours: when an op breaks a run, later
/// ops the run takes move up before it if nothing between conflicts with
/// them (an LSTM's gate gradient added into its input's gradient and
/// copied for the recurrent kernel's gradient, with a bias update between
/// them); and a run moves down past a memory-touching op that it does not
/// conflict with when the next op joins it (a recurrent layer's saved
/// state, copied before the step's product, and its activation after).
void fuseRuns(Block &block, const RowGroup &empty) {
  RowGroup group = empty;
  for (Operation *op = block.empty() ? nullptr : &block.front(); op;) {
    for (Region &region : op->getRegions())
      for (Block &nested : region)
        fuseRuns(nested, empty);
    auto member = dyn_cast<linalg::LinalgOp>(op);
    if (member && RowGroup::candidate(member)) {
      if (!group.accepts(member)) {
        pullForward(group, op);
        group.merge();
      }
      group.add(member);
      op = op->getNextNode();
      continue;
    }
    if (touchesMemory(op) && !group.empty()) {
      pullForward(group, op);
      // The run past `op`, when the next memory-touching op would join it.
      auto joining = dyn_cast_or_null<linalg::LinalgOp>(nextTouchingMemory(op));
      if (joining && RowGroup::candidate(joining) && group.accepts(joining) &&
          maySinkPast(group, op)) {
        Operation *after = op;
        for (Operation *moved : group.ops()) {
          moved->moveAfter(after);
          after = moved;
        }
        op = after->getNextNode();
        continue;
      }
      group.merge();
    }
    op = op->getNextNode();
  }
  group.merge();
}

struct FuseRowsPass : public kiln::impl::FuseRowsPassBase<FuseRowsPass> {
  using FuseRowsPassBase::FuseRowsPassBase;
  void runOnOperation() override {
    for (Block &block : getOperation().getBody())
      fuseRuns(block, RowGroup(maxRowElements, maxParamBytes));
  }
};

} // namespace
