//===- OutlineKernels.cpp - one function per top-level loop nest ---------===//
// SPDX-License-Identifier: Apache-2.0
//
// Keeps LLVM's work linear in the model's size: each top-level loop nest
// (or linalg op on buffers) of an entry becomes a private, non-inlinable
// function (see Passes.td). Kernels whose rows are independent (elementwise
// ops, pooling, im2col and its adjoint, most of a CNN's time besides its
// matmuls) also run on all threads, called on slices of rows by a
// dispatcher: on the Fashion-MNIST CNN this took the serial share of a
// training step from about 40% to 6%.
//===----------------------------------------------------------------------===//

#include "codegen/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Transforms/RegionUtils.h"

namespace mlir::kiln {
#define GEN_PASS_DEF_OUTLINEKERNELSPASS
#include "codegen/Passes.h.inc"
} // namespace mlir::kiln

using namespace mlir;
using namespace mlir::kiln;

namespace {

/// A loop nest, or a linalg op on buffers that will become one: outlined
/// before lowering to loops, a repeated layer's op is lowered (and
/// canonicalized, and converted to LLVM) once, in its kernel.
bool isKernel(Operation *op) {
  if (auto linalgOp = dyn_cast<linalg::LinalgOp>(op))
    return linalgOp.hasPureBufferSemantics();
  return isa<scf::ForOp, scf::ParallelOp, affine::AffineForOp>(op);
}

/// A constant without operands is cheaper to clone than to pass, and keeps
/// the kernel's bounds static for LLVM.
bool isClonedConstant(Value value) {
  Operation *def = value.getDefiningOp();
  return def && def->getNumOperands() == 0 &&
         def->hasTrait<OpTrait::ConstantLike>();
}

/// Kernels already made, by their text without a name: a model that
/// repeats a layer compiles each of its loop nests once.
using KernelCache = llvm::StringMap<func::FuncOp>;

std::string kernelKey(func::FuncOp kernel) {
  std::string key;
  llvm::raw_string_ostream os(key);
  os << kernel.getFunctionType();
  OpPrintingFlags flags;
  flags.useLocalScope().assumeVerified();
  // One printer state for the kernel: each op's own would name (and find
  // the aliases of) the whole kernel again.
  AsmState state(kernel, flags);
  for (Operation &op : kernel.getBody().front())
    op.print(os, state);
  return key;
}

/// A `linalg.fill` whose buffer the next kernel, a `linalg.matmul` or
/// `linalg.generic`, accumulates into, with only side-effect-free ops
/// (views, index arithmetic) in between: outlined together, the matmul's
/// micro kernel or the generic's reduction starts from the fill's value in
/// registers instead of reading back the filled buffer.
bool fillsInitOf(Operation *op, Operation *next) {
  auto fill = dyn_cast<linalg::FillOp>(op);
  if (!fill || !isa<linalg::MatmulOp, linalg::GenericOp>(next) ||
      !llvm::is_contained(cast<linalg::LinalgOp>(next).getDpsInits(),
                          fill.getOutputs()[0]))
    return false;
  for (Operation *between = op->getNextNode(); between != next;
       between = between->getNextNode())
    if (!isMemoryEffectFree(between))
      return false;
  return true;
}

/// Iterations of one call on a slice of rows, at least: a call's own work
/// outweighs its overhead.
constexpr int64_t kSliceElements = 4096;

/// Rows of a batch, at most, that a sliced kernel needs to reach the
/// parallel threshold.
constexpr int64_t kMaxSlicedRows = 1024;

/// How a kernel's rows are split among threads: the buffers it reads and
/// writes by rows of its outermost loop, and the elements of one row.
struct RowSlices {
  llvm::SmallPtrSet<Value, 4> sliced;
  Value extentOf;      ///< a sliced buffer: its dimension 0 is the rows
  int64_t rowElements; ///< iterations of the other loops per row
};

/// Whether an index computed in a linalg op's body depends on the row (its
/// loop 0) or on data (block arguments, loads); constants, values from
/// above and the other loops' indices do not.
bool dependsOnRowOrData(Value value, Operation *op) {
  Operation *def = value.getDefiningOp();
  if (!def)
    return op->isAncestor(value.getParentBlock()->getParentOp());
  if (!op->isAncestor(def))
    return false;
  if (auto index = dyn_cast<linalg::IndexOp>(def))
    return index.getDim() == 0;
  if (!isMemoryEffectFree(def) || def->getNumRegions() != 0)
    return true;
  return llvm::any_of(def->getOperands(), [&](Value operand) {
    return dependsOnRowOrData(operand, op);
  });
}

/// How `op`'s body reads `buffer` (a memref from above): by rows (every
/// use a load at row `linalg.index 0` and other indices independent of it),
/// whole (no index depends on the row), or neither.
enum class BodyRead { Rows, Whole, Neither };
BodyRead bodyRead(Operation *op, Value buffer) {
  bool rows = false, whole = false;
  for (OpOperand &use : buffer.getUses()) {
    Operation *user = use.getOwner();
    if (!op->isProperAncestor(user))
      continue;
    auto load = dyn_cast<memref::LoadOp>(user);
    if (!load || load.getIndices().empty())
      return BodyRead::Neither;
    for (Value index : llvm::drop_begin(load.getIndices()))
      if (dependsOnRowOrData(index, op))
        return BodyRead::Neither;
    auto first = load.getIndices()[0].getDefiningOp<linalg::IndexOp>();
    if (first && first.getDim() == 0 && op->isAncestor(first))
      rows = true;
    else if (!dependsOnRowOrData(load.getIndices()[0], op))
      whole = true;
    else
      return BodyRead::Neither;
  }
  if (rows && whole)
    return BodyRead::Neither;
  return rows ? BodyRead::Rows : BodyRead::Whole;
}

/// The row slicing of `group` when every thread can take its own rows: the
/// group is linalg.fill/copy/generic ops on buffers (no matmul: it splits
/// its own rows, around one packed copy of B) whose outermost loop is
/// parallel with the same range in all of them, every buffer either read
/// and written by rows of that loop (an operand indexed by it in its
/// dimension 0 alone; a buffer from above that the body loads at row
/// `linalg.index 0`) or not by rows at all, and the other loops static.
/// Each element is then computed by one call, in the same order whatever
/// the split: the results do not depend on the threads.
std::optional<RowSlices> rowSlices(ArrayRef<Operation *> group) {
  RowSlices slices;
  slices.rowElements = 0;
  llvm::SmallPtrSet<Value, 4> whole;
  auto use = [&](Value value, bool byRows) {
    (byRows ? slices.sliced : whole).insert(value);
    if (byRows && !slices.extentOf)
      slices.extentOf = value;
  };
  for (Operation *op : group) {
    if (!isa<linalg::GenericOp, linalg::FillOp, linalg::CopyOp>(op))
      return std::nullopt;
    auto linalgOp = cast<linalg::LinalgOp>(op);
    if (!linalgOp.hasPureBufferSemantics() || op->getNumResults() != 0 ||
        linalgOp.getNumLoops() == 0 ||
        linalgOp.getIteratorTypesArray()[0] != utils::IteratorType::parallel)
      return std::nullopt;
    int64_t rowElements = 1;
    SmallVector<int64_t, 4> ranges = linalgOp.getStaticLoopRanges();
    for (int64_t range : llvm::drop_begin(ranges)) {
      if (ShapedType::isDynamic(range))
        return std::nullopt;
      rowElements *= range;
    }
    slices.rowElements += rowElements;
    for (OpOperand &operand : op->getOpOperands()) {
      AffineMap map = linalgOp.getMatchingIndexingMap(&operand);
      if (!map.isFunctionOfDim(0)) {
        use(operand.get(), false);
        continue;
      }
      if (!isa<MemRefType>(operand.get().getType()) ||
          map.getResult(0) != getAffineDimExpr(0, op->getContext()))
        return std::nullopt;
      for (AffineExpr expr : llvm::drop_begin(map.getResults()))
        if (expr.isFunctionOfDim(0))
          return std::nullopt;
      use(operand.get(), true);
    }
    llvm::SetVector<Value> above;
    getUsedValuesDefinedAbove(op->getRegions(), above);
    for (Value value : above) {
      if (!isa<MemRefType>(value.getType()))
        continue;
      BodyRead read = bodyRead(op, value);
      if (read == BodyRead::Neither)
        return std::nullopt;
      use(value, read == BodyRead::Rows);
    }
  }
  if (!slices.extentOf)
    return std::nullopt;
  for (Value value : whole)
    if (slices.sliced.contains(value))
      return std::nullopt;
  return slices;
}

/// `value` from row `offset`, `size` rows.
Value sliceRows(OpBuilder &b, Location loc, Value value, Value offset,
                Value size) {
  auto type = cast<MemRefType>(value.getType());
  SmallVector<OpFoldResult> offsets(type.getRank(), b.getIndexAttr(0)), sizes,
      strides(type.getRank(), b.getIndexAttr(1));
  offsets[0] = offset;
  sizes.push_back(size);
  for (int64_t d = 1; d < type.getRank(); ++d)
    sizes.push_back(memref::getMixedSize(b, loc, value, d));
  return memref::SubViewOp::create(b, loc, value, offsets, sizes, strides);
}

/// The type of `sliceRows` of a `type` buffer: rows and offset dynamic.
MemRefType slicedType(MemRefType type) {
  SmallVector<int64_t> offsets(type.getRank(), 0), sizes(type.getShape()),
      strides(type.getRank(), 1);
  offsets[0] = ShapedType::kDynamic;
  sizes[0] = ShapedType::kDynamic;
  return memref::SubViewOp::inferResultType(type, offsets, sizes, strides);
}

/// `kernel`, or an identical kernel made before (then `kernel` is erased);
/// a new one becomes `previous`.
func::FuncOp dedupe(func::FuncOp kernel, Operation *&previous,
                    SymbolTable &symbols, KernelCache &cache) {
  auto [known, inserted] = cache.try_emplace(kernelKey(kernel), kernel);
  if (inserted) {
    previous = kernel;
    return kernel;
  }
  symbols.erase(kernel);
  return known->second;
}

/// A private, non-inlinable kernel function `name` of `type` after
/// `previous`, with an entry block.
func::FuncOp createKernel(OpBuilder &builder, Location loc, StringRef name,
                          FunctionType type, Operation *previous,
                          SymbolTable &symbols) {
  MLIRContext *ctx = builder.getContext();
  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPointAfter(previous);
  auto kernel = func::FuncOp::create(builder, loc, name, type);
  kernel.setPrivate();
  kernel->setAttr("llvm.linkage",
                  LLVM::LinkageAttr::get(ctx, LLVM::Linkage::Internal));
  kernel->setAttr("passthrough",
                  builder.getArrayAttr({builder.getStringAttr("noinline")}));
  symbols.insert(kernel);
  kernel.addEntryBlock();
  return kernel;
}

/// The kernel the entry calls for a row-sliced `body`: on all of its
/// buffers (the types of `arguments`), it calls `body` on slices of rows
/// in an scf.parallel when the rows have `parallelElements` iterations or
/// more, else once on all rows. Kept out of the entry, the parallel region
/// (an outlined function and a fork) exists once per distinct kernel, not
/// once per call.
func::FuncOp emitRowDispatcher(func::FuncOp body, const RowSlices &slices,
                               ArrayRef<Value> arguments, StringRef name,
                               Operation *&previous, SymbolTable &symbols,
                               KernelCache &cache, int64_t parallelElements) {
  OpBuilder builder(body.getContext());
  Location loc = body.getLoc();
  auto type = builder.getFunctionType(ValueRange(arguments).getTypes(), {});
  func::FuncOp kernel = createKernel(builder, loc, (name + "__rows").str(),
                                     type, previous, symbols);
  builder.setInsertionPointToStart(&kernel.getBody().front());
  ValueRange args = kernel.getArguments();
  auto isSliced = [&](unsigned i) {
    return slices.sliced.contains(arguments[i]);
  };
  auto callOnRows = [&](OpBuilder &b, Value offset, Value size) {
    SmallVector<Value> operands;
    for (unsigned i = 0; i < args.size(); ++i)
      operands.push_back(isSliced(i) ? sliceRows(b, loc, args[i], offset, size)
                                     : args[i]);
    func::CallOp::create(b, loc, body, operands);
  };
  auto index = [&](int64_t v) -> Value {
    return arith::ConstantIndexOp::create(builder, loc, v);
  };
  unsigned extentArg =
      llvm::find(arguments, slices.extentOf) - arguments.begin();
  Value rows = memref::DimOp::create(builder, loc, args[extentArg], 0);
  int64_t chunk = std::max<int64_t>(
      1, llvm::divideCeil(kSliceElements, slices.rowElements));
  Value large = arith::CmpIOp::create(
      builder, loc, arith::CmpIPredicate::sge,
      arith::MulIOp::create(builder, loc, rows, index(slices.rowElements)),
      index(parallelElements));
  scf::IfOp::create(
      builder, loc, large,
      [&](OpBuilder &tb, Location l) {
        scf::ParallelOp::create(
            tb, l, ValueRange{index(0)}, ValueRange{rows},
            ValueRange{index(chunk)},
            [&](OpBuilder &pb, Location pl, ValueRange ivs) {
              Value size = arith::MinSIOp::create(
                  pb, pl, index(chunk),
                  arith::SubIOp::create(pb, pl, rows, ivs[0]));
              callOnRows(pb, ivs[0], size);
            });
        scf::YieldOp::create(tb, l);
      },
      [&](OpBuilder &eb, Location l) {
        callOnRows(eb, index(0), rows);
        scf::YieldOp::create(eb, l);
      });
  func::ReturnOp::create(builder, loc);
  return dedupe(kernel, previous, symbols, cache);
}

/// Moves `group` (a loop, or a fill and its matmul) into a function `name`
/// inserted after `previous` (the entry or its last kernel), or reuses an
/// identical one, and replaces it with a call where its last op was. With
/// `parallelElements`, a group whose rows can be split (rowSlices) and that
/// has at least that many iterations runs as calls on slices of rows in
/// an scf.parallel; below it, one call on all rows. The kernel exists once.
void outline(ArrayRef<Operation *> group, Operation *&previous, StringRef name,
             SymbolTable &symbols, KernelCache &cache,
             int64_t parallelElements) {
  Operation *loop = group.back();
  // Only the last op may have results.
  assert(llvm::all_of(group.drop_back(),
                      [](Operation *op) { return op->getNumResults() == 0; }));
  // What the kernel needs from the entry: the ops' own operands and every
  // value their regions use from above, each once, in first-use order.
  llvm::SetVector<Value> captured;
  for (Operation *op : group) {
    captured.insert(op->operand_begin(), op->operand_end());
    getUsedValuesDefinedAbove(op->getRegions(), captured);
  }
  SmallVector<Value> arguments, constants;
  for (Value value : captured)
    (isClonedConstant(value) ? constants : arguments).push_back(value);
  std::optional<RowSlices> slices;
  if (parallelElements > 0)
    slices = rowSlices(group);
  // Rows so short that only batches of thousands would reach the threshold
  // (a softmax over 10 classes) stay serial.
  if (slices && slices->rowElements * kMaxSlicedRows < parallelElements)
    slices.reset();
  SmallVector<Type> argumentTypes;
  for (Value value : arguments)
    argumentTypes.push_back(slices && slices->sliced.contains(value)
                                ? slicedType(cast<MemRefType>(value.getType()))
                                : value.getType());

  OpBuilder builder(loop->getContext());
  auto type = builder.getFunctionType(argumentTypes, loop->getResultTypes());
  func::FuncOp kernel =
      createKernel(builder, loop->getLoc(), name, type, previous, symbols);
  Block *body = &kernel.getBody().front();
  builder.setInsertionPointToStart(body);
  IRMapping mapping;
  mapping.map(arguments, body->getArguments());
  for (Value constant : constants)
    mapping.map(constant,
                builder.clone(*constant.getDefiningOp())
                    ->getResult(cast<OpResult>(constant).getResultNumber()));
  Operation *moved = nullptr;
  for (Operation *op : group)
    moved = builder.clone(*op, mapping);
  func::ReturnOp::create(builder, loop->getLoc(), moved->getResults());

  kernel = dedupe(kernel, previous, symbols, cache);
  if (slices)
    kernel = emitRowDispatcher(kernel, *slices, arguments, name, previous,
                               symbols, cache, parallelElements);

  builder.setInsertionPoint(loop);
  auto call = func::CallOp::create(builder, loop->getLoc(), kernel, arguments);
  loop->replaceAllUsesWith(call.getResults());
  for (Operation *op : llvm::reverse(group))
    op->erase();
}

struct OutlineKernelsPass
    : public kiln::impl::OutlineKernelsPassBase<OutlineKernelsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (parallelElements < 0) {
      module.emitError("kiln-cpu-outline-kernels: parallel-elements must not "
                       "be negative (0 keeps every kernel serial)");
      return signalPassFailure();
    }
    SymbolTable symbols(module);
    KernelCache cache;
    SmallVector<func::FuncOp> entries(module.getOps<func::FuncOp>());
    for (func::FuncOp entry : entries) {
      if (entry.isDeclaration() || !entry.getBody().hasOneBlock())
        continue;
      SmallVector<SmallVector<Operation *, 2>> groups;
      for (Operation &op : entry.getBody().front()) {
        if (!isKernel(&op))
          continue;
        if (!groups.empty() && fillsInitOf(groups.back().back(), &op))
          groups.back().push_back(&op);
        else
          groups.push_back({&op});
      }
      if (static_cast<int64_t>(groups.size()) < minLoops)
        continue;
      Operation *previous = entry;
      for (auto [index, group] : llvm::enumerate(groups))
        outline(group, previous,
                (entry.getSymName() + "__kernel" + Twine(index)).str(), symbols,
                cache, parallelElements);
    }
  }
};

} // namespace
