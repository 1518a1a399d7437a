//===- OutlineKernels.cpp - one function per top-level loop nest ---------===//
// SPDX-License-Identifier: Apache-2.0
//
// Keeps LLVM's work linear in the model's size: each top-level loop nest
// (or linalg op on buffers) of an entry becomes a private, non-inlinable
// function (see Passes.td).
//===----------------------------------------------------------------------===//

#include "codegen/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
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

/// Moves `group` (a loop, or a fill and its matmul) into a function `name`
/// inserted after `previous` (the entry or its last kernel), or reuses an
/// identical one, and replaces it with a call where its last op was.
void outline(ArrayRef<Operation *> group, Operation *&previous, StringRef name,
             SymbolTable &symbols, KernelCache &cache) {
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

  MLIRContext *ctx = loop->getContext();
  OpBuilder builder(ctx);
  builder.setInsertionPointAfter(previous);
  auto type = builder.getFunctionType(ValueRange(arguments).getTypes(),
                                      loop->getResultTypes());
  auto kernel = func::FuncOp::create(builder, loop->getLoc(), name, type);
  kernel.setPrivate();
  kernel->setAttr("llvm.linkage",
                  LLVM::LinkageAttr::get(ctx, LLVM::Linkage::Internal));
  kernel->setAttr("passthrough",
                  builder.getArrayAttr({builder.getStringAttr("noinline")}));
  symbols.insert(kernel);

  Block *body = kernel.addEntryBlock();
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

  auto [known, inserted] = cache.try_emplace(kernelKey(kernel), kernel);
  if (inserted) {
    previous = kernel;
  } else {
    symbols.erase(kernel);
    kernel = known->second;
  }

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
                cache);
    }
  }
};

} // namespace
