//===- WorkspaceAllocation.cpp - Scratch memory from the caller -*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Contract 2: generated entry points never allocate. After bufferization,
// every `memref.alloc` of an entry function becomes a `memref.view` into one
// workspace buffer that the runtime allocates once per model (and batch
// size) and passes as the entry's last argument. Allocations are laid out
// one after another at 64-byte aligned offsets; since kiln's only dynamic
// dimension is the batch, the workspace an entry needs is
// `fixed + per_sample * batch` bytes. The pass records both numbers per
// function in the module attribute `kiln.workspace` for the descriptor.
// An allocation whose size is not of that form is an error, not a fallback
// to malloc.
//===----------------------------------------------------------------------===//

#include "codegen/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"
#include "mlir/Interfaces/ControlFlowInterfaces.h"
#include "mlir/Interfaces/LoopLikeInterface.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "llvm/Support/MathExtras.h"

#include <map>
#include <numeric>

namespace mlir::kiln {
#define GEN_PASS_DEF_WORKSPACEALLOCATIONPASS
#include "codegen/Passes.h.inc"
} // namespace mlir::kiln

using namespace mlir;
using namespace mlir::kiln;

namespace {

constexpr int64_t kWorkspaceAlignment = 64;

/// Sizes are tracked as "rows per sample": a size that is the batch has 1,
/// one that is the batch times T (leading dimensions merged into it) has T.
using Rows = std::optional<int64_t>;

static Rows rowsOfDim0(Value source);

/// The rows per sample of `size` when it is the batch times a constant:
/// `memref.dim` of dimension 0 of an argument whose leading dimension is
/// dynamic (seen through reshapes, slices, views and loop-carried buffers),
/// possibly multiplied or divided by a constant.
static Rows rowsOf(Value size) {
  if (auto dim = size.getDefiningOp<memref::DimOp>()) {
    std::optional<int64_t> index = dim.getConstantIndex();
    if (!index || *index != 0)
      return std::nullopt;
    return rowsOfDim0(dim.getSource());
  }
  auto constantOf = [](Value v) -> std::optional<int64_t> {
    if (auto c = v.getDefiningOp<arith::ConstantIndexOp>())
      return c.value();
    return std::nullopt;
  };
  if (auto mul = size.getDefiningOp<arith::MulIOp>()) {
    Rows rows = rowsOf(mul.getLhs());
    std::optional<int64_t> factor = constantOf(mul.getRhs());
    if (rows && factor && *factor > 0)
      return *rows * *factor;
    return std::nullopt;
  }
  if (auto div = size.getDefiningOp<arith::DivUIOp>()) {
    Rows rows = rowsOf(div.getLhs());
    std::optional<int64_t> factor = constantOf(div.getRhs());
    if (rows && factor && *factor > 0 && *rows % *factor == 0)
      return *rows / *factor;
    return std::nullopt;
  }
  return std::nullopt;
}

/// The rows per sample of dimension 0 of the buffer `source`.
static Rows rowsOfDim0(Value source) {
  int64_t factor = 1;
  while (Operation *op = source.getDefiningOp()) {
    if (auto collapse = dyn_cast<memref::CollapseShapeOp>(op)) {
      // Dimension 0 is the source's first dimension times static ones.
      ArrayRef<int64_t> shape = collapse.getSrcType().getShape();
      // A named vector: the range below must not outlive it.
      SmallVector<ReassociationIndices> groups =
          collapse.getReassociationIndices();
      for (int64_t d : llvm::drop_begin(groups.front())) {
        if (ShapedType::isDynamic(shape[d]))
          return std::nullopt;
        factor *= shape[d];
      }
      source = collapse.getSrc();
    } else if (auto expand = dyn_cast<memref::ExpandShapeOp>(op)) {
      OpFoldResult first = expand.getMixedOutputShape().front();
      auto value = dyn_cast<Value>(first);
      Rows rows = value ? rowsOf(value) : std::nullopt;
      return rows ? Rows(*rows * factor) : std::nullopt;
    } else if (auto subview = dyn_cast<memref::SubViewOp>(op)) {
      // Result dimension 0 is the first source dimension kept.
      llvm::SmallBitVector dropped = subview.getDroppedDims();
      SmallVector<OpFoldResult> sizes = subview.getMixedSizes();
      for (unsigned d = 0; d < sizes.size(); ++d)
        if (!dropped.test(d)) {
          auto value = dyn_cast<Value>(sizes[d]);
          Rows rows = value ? rowsOf(value) : std::nullopt;
          return rows ? Rows(*rows * factor) : std::nullopt;
        }
      return std::nullopt;
    } else if (auto cast = dyn_cast<memref::CastOp>(op)) {
      source = cast.getSource();
    } else if (auto view = dyn_cast<memref::ViewOp>(op); // an earlier buffer
               view && view.getType().isDynamicDim(0)) {
      Rows rows = rowsOf(view.getSizes().front());
      return rows ? Rows(*rows * factor) : std::nullopt;
    } else if (auto alloc = dyn_cast<memref::AllocOp>(op);
               alloc && alloc.getType().isDynamicDim(0)) {
      Rows rows = rowsOf(alloc.getDynamicSizes().front());
      return rows ? Rows(*rows * factor) : std::nullopt;
    } else {
      return std::nullopt;
    }
  }
  auto arg = cast<BlockArgument>(source);
  auto type = dyn_cast<MemRefType>(source.getType());
  if (!type || type.getRank() == 0 || !type.isDynamicDim(0))
    return std::nullopt;
  // A loop-carried buffer has its init's shape.
  if (auto loop = dyn_cast<scf::ForOp>(arg.getOwner()->getParentOp())) {
    OpOperand *init = loop.getTiedLoopInit(arg);
    Rows rows = init ? rowsOfDim0(init->get()) : std::nullopt;
    return rows ? Rows(*rows * factor) : std::nullopt;
  }
  if (!isa<func::FuncOp>(arg.getOwner()->getParentOp()))
    return std::nullopt;
  return factor;
}

struct WorkspaceAllocationPass
    : public kiln::impl::WorkspaceAllocationPassBase<WorkspaceAllocationPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    Builder b(module.getContext());
    SmallVector<NamedAttribute> sizes;
    for (func::FuncOp func : module.getOps<func::FuncOp>()) {
      if (func.isExternal())
        continue;
      FailureOr<std::pair<int64_t, int64_t>> size = rewrite(func);
      if (failed(size))
        return signalPassFailure();
      sizes.push_back(b.getNamedAttr(
          func.getName(), b.getDenseI64ArrayAttr({size->first, size->second})));
    }
    module->setAttr(kWorkspaceAttrName, b.getDictionaryAttr(sizes));
  }

  /// Fails, naming the reason, when `alloc` may hold two buffers at once:
  /// in a parallel loop (one per iteration), or carried by a loop to its
  /// next iteration (directly, through views or through an scf.if), where
  /// the next one is allocated while the iteration reads it.
  static LogicalResult verifyOneAtATime(memref::AllocOp alloc) {
    if (alloc->getParentOfType<scf::ParallelOp>() ||
        alloc->getParentOfType<scf::ForallOp>())
      return alloc.emitError("cannot place an allocation inside a parallel "
                             "loop in the workspace: its iterations would "
                             "share one buffer");
    SmallVector<Value> worklist{alloc.getResult()};
    llvm::SmallPtrSet<Value, 8> seen;
    while (!worklist.empty()) {
      Value value = worklist.pop_back_val();
      if (!seen.insert(value).second)
        continue;
      for (OpOperand &use : value.getUses()) {
        Operation *user = use.getOwner();
        if (auto view = dyn_cast<ViewLikeOpInterface>(user)) {
          if (view.getViewSource() == value)
            worklist.push_back(view->getResult(0));
          continue;
        }
        if (!user->hasTrait<OpTrait::IsTerminator>() ||
            !isa<RegionBranchTerminatorOpInterface>(user))
          continue;
        Operation *parent = user->getParentOp();
        if (isa<LoopLikeOpInterface>(parent))
          return alloc.emitError("cannot place an allocation that a loop "
                                 "carries to its next iteration in the "
                                 "workspace: the next one would overwrite it");
        if (isa<scf::IfOp, scf::IndexSwitchOp, scf::ExecuteRegionOp>(parent))
          worklist.push_back(parent->getResult(use.getOperandNumber()));
      }
    }
    return success();
  }

  /// Gives `func` a trailing workspace argument and turns its allocations
  /// into views of it; returns (fixed bytes, bytes per sample).
  FailureOr<std::pair<int64_t, int64_t>> rewrite(func::FuncOp func) {
    MLIRContext *ctx = func.getContext();
    auto workspaceType =
        MemRefType::get({ShapedType::kDynamic}, IntegerType::get(ctx, 8));
    Block &entry = func.getBody().front();
    if (failed(func.insertArgument(func.getNumArguments(), workspaceType,
                                   DictionaryAttr::get(ctx), func.getLoc())))
      return failure();
    Value workspace = entry.getArguments().back();

    SmallVector<memref::AllocOp> allocs;
    bool ok = true;
    func.walk([&](Operation *op) {
      if (auto alloc = dyn_cast<memref::AllocOp>(op))
        allocs.push_back(alloc);
      else if (isa<memref::DeallocOp>(op))
        op->erase();
      else if (isa<memref::ReallocOp>(op)) {
        op->emitError("reallocation inside a compiled entry point");
        ok = false;
      }
    });
    if (!ok)
      return failure();
    // One range per allocation op: an op that runs again while what it
    // allocated last time is still in use cannot have one.
    for (memref::AllocOp alloc : allocs)
      if (failed(verifyOneAtATime(alloc)))
        return failure();

    // Offsets are computed at the top of the function, each in closed
    // form: constant bytes plus, per rounding class k, a constant times the
    // batch rounded up to a multiple of k. A buffer of b bytes per sample
    // takes b * roundUp(batch, k) bytes with k = 64 / gcd(b, 64), a multiple
    // of the alignment. An offset is then a few operations from the batch
    // wherever it is needed, not the sum of every buffer before it (which
    // later passes would have to carry from the entry to each segment).
    OpBuilder builder = OpBuilder::atBlockBegin(&entry);
    Location loc = func.getLoc();
    Value batch;
    for (BlockArgument arg : entry.getArguments())
      if (auto type = dyn_cast<MemRefType>(arg.getType());
          type && type.getRank() > 0 && type.isDynamicDim(0) && !batch)
        batch = memref::DimOp::create(builder, loc, arg, 0);
    auto constant = [&](int64_t v) -> Value {
      return arith::ConstantIndexOp::create(builder, loc, v);
    };
    // New ops go before an anchor that stays: inserting before the block's
    // first op would leave the builder pointing at an allocation that is
    // erased below (a function without a batch argument starts with one).
    builder.setInsertionPoint(constant(0).getDefiningOp());
    llvm::SmallDenseMap<int64_t, Value> roundedBatches;
    auto roundedBatch = [&](int64_t k) -> Value {
      Value &rounded = roundedBatches[k];
      if (!rounded && k == 1)
        rounded = batch;
      if (!rounded) {
        Value padded =
            arith::AddIOp::create(builder, loc, batch, constant(k - 1));
        rounded = arith::MulIOp::create(
            builder, loc,
            arith::DivUIOp::create(builder, loc, padded, constant(k)),
            constant(k));
      }
      return rounded;
    };
    // Bytes so far: constant, and per rounding class (k -> bytes per
    // rounded sample).
    int64_t fixedBytes = 0;
    std::map<int64_t, int64_t> perClass;
    for (memref::AllocOp alloc : allocs) {
      MemRefType type = alloc.getType();
      // Booleans (i1) take a byte each in memory, as LLVM stores them.
      if (!type.getLayout().isIdentity() ||
          !type.getElementType().isIntOrFloat() ||
          (type.getElementTypeBitWidth() % 8 &&
           !type.getElementType().isInteger(1))) {
        return alloc.emitError("cannot place ")
               << type << " in the workspace (needs an identity layout and "
               << "a byte-sized or i1 element type)";
      }
      int64_t bytes = llvm::divideCeil(type.getElementTypeBitWidth(), 8);
      for (int64_t d : type.getShape())
        if (!ShapedType::isDynamic(d))
          bytes *= d;
      Rows rows = type.getNumDynamicDims() == 1 && batch
                      ? rowsOf(alloc.getDynamicSizes()[0])
                      : std::nullopt;
      if (type.getNumDynamicDims() != 0 && !rows) {
        return alloc.emitError("cannot place ")
               << type << " in the workspace: its size is not a constant "
               << "times the batch";
      }
      Value start;
      if (fixedBytes != 0 || perClass.empty())
        start = constant(fixedBytes);
      for (auto [k, perRounded] : perClass) {
        Value term = arith::MulIOp::create(builder, loc, roundedBatch(k),
                                           constant(perRounded));
        start = start ? arith::AddIOp::create(builder, loc, start, term) : term;
      }
      if (type.getNumDynamicDims() == 0)
        fixedBytes += llvm::alignTo(bytes, kWorkspaceAlignment);
      else if (int64_t perSample = bytes * *rows; perSample != 0)
        perClass[kWorkspaceAlignment /
                 std::gcd(perSample, kWorkspaceAlignment)] += perSample;
      OpBuilder at(alloc);
      Value view = memref::ViewOp::create(at, alloc.getLoc(), type, workspace,
                                          start, alloc.getDynamicSizes());
      alloc.replaceAllUsesWith(view);
      alloc.erase();
    }
    // roundUp(batch, k) < batch + k: the rounding is fixed bytes.
    int64_t fixed = fixedBytes, perSample = 0;
    for (auto [k, perRounded] : perClass) {
      fixed += perRounded * (k - 1);
      perSample += perRounded;
    }
    return std::make_pair(fixed, perSample);
  }
};

} // namespace

llvm::StringMap<WorkspaceSize> mlir::kiln::getWorkspaceSizes(ModuleOp module) {
  llvm::StringMap<WorkspaceSize> sizes;
  if (auto all = module->getAttrOfType<DictionaryAttr>(kWorkspaceAttrName))
    for (NamedAttribute entry : all)
      if (auto pair = dyn_cast<DenseI64ArrayAttr>(entry.getValue());
          pair && pair.size() == 2)
        sizes[entry.getName()] = {pair[0], pair[1]};
  return sizes;
}
