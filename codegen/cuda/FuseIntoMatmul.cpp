//===- FuseIntoMatmul.cpp - Gathers and fills into products -*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// `--kiln-cuda-fuse-into-matmul`: a gathered factor of a matrix product
// (im2col's patches) computed where the product reads it, and a zero fill
// of a product's output folded into the product. See Passes.td.
//===----------------------------------------------------------------------===//

#include "codegen/Passes.h"
#include "codegen/cuda/Contraction.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Dominance.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include <limits>

namespace mlir::kiln {
#define GEN_PASS_DEF_FUSEINTOMATMULPASS
#include "codegen/Passes.h.inc"
} // namespace mlir::kiln

using namespace mlir;
using namespace mlir::kiln;

namespace {

/// Whether `op` (or an op nested in it) may read (`reads`) or write
/// buffer `root`; an op that does not say what it touches may.
bool mayTouch(Operation *op, Value root, bool reads) {
  llvm::SmallDenseSet<Value> read, written;
  if (!collectBuffers(op, read, written))
    return true;
  return written.contains(root) || (reads && read.contains(root));
}

/// Whether an op strictly between `first` and `last` (one block) may write
/// one of `roots` (or, with `reads`, read it).
bool touchedBetween(Operation *first, Operation *last, ArrayRef<Value> roots,
                    bool reads) {
  for (Operation *op = first->getNextNode(); op != last; op = op->getNextNode())
    for (Value root : roots)
      if (mayTouch(op, root, reads))
        return true;
  return false;
}

//===----------------------------------------------------------------------===//
// Zero fills
//===----------------------------------------------------------------------===//

/// The matrix product or shared sum that `fill` (of +0.0) initializes: the
/// first op after it that touches the buffer, if that is a product, or a
/// sum that kiln-cuda-map-to-gpu shares among threads (worthBlockReduction:
/// a bias gradient, a loss), accumulating into exactly the filled value.
/// Both mappings store their sums where the output starts from zeros.
linalg::LinalgOp productAfter(linalg::FillOp fill) {
  if (!matchPattern(fill.value(), m_PosZeroFloat()) ||
      !fill.hasPureBufferSemantics())
    return nullptr;
  Value filled = fill.getDpsInits()[0];
  Value root = rootBuffer(filled);
  for (Operation *op = fill->getNextNode(); op; op = op->getNextNode()) {
    if (!mayTouch(op, root, /*reads=*/true))
      continue;
    auto product = dyn_cast<linalg::LinalgOp>(op);
    if (!product || product.getNumDpsInits() != 1 ||
        product.getDpsInits()[0] != filled)
      return nullptr;
    if (!matchContraction(product) && !matchSharedSum(product))
      return nullptr;
    return product;
  }
  return nullptr;
}

void foldZeroFills(func::FuncOp func) {
  SmallVector<linalg::FillOp> fills;
  func.walk([&](linalg::FillOp fill) { fills.push_back(fill); });
  for (linalg::FillOp fill : fills) {
    linalg::LinalgOp product = productAfter(fill);
    if (!product)
      continue;
    product->setAttr(kZeroInitAttrName, UnitAttr::get(func.getContext()));
    fill->erase();
  }
}

//===----------------------------------------------------------------------===//
// Implicit GEMM
//===----------------------------------------------------------------------===//

/// A gather: a parallel generic that writes every element of a fresh
/// buffer (an allocation, through its identity map) from its loop indices,
/// its inputs' elements (at permuted indices) and loads from buffers,
/// choosing among them with selects and computing nothing from them.
bool isGather(linalg::GenericOp gather) {
  if (gather.getNumDpsInits() != 1 || !gather.hasPureBufferSemantics() ||
      gather.getNumLoops() != gather.getNumParallelLoops() ||
      !gather.getDpsInits()[0].getDefiningOp<memref::AllocOp>() ||
      !gather.getMatchingIndexingMap(gather.getDpsInitOperand(0))
           .isIdentity() ||
      !gather.getBlock()->getArguments().back().use_empty())
    return false;
  for (OpOperand *input : gather.getDpsInputOperands())
    if (!gather.getMatchingIndexingMap(input).isProjectedPermutation())
      return false;
  for (Operation &op : gather.getBlock()->without_terminator()) {
    if (isa<linalg::IndexOp, memref::LoadOp, arith::SelectOp>(op))
      continue;
    bool elements = llvm::any_of(
        op.getResultTypes(), [](Type type) { return !type.isIntOrIndex(); });
    if (elements || !isPure(&op) || op.getNumRegions() != 0)
      return false;
  }
  return true;
}

/// The reshapes from the gathered buffer to the value a product reads,
/// outermost last; each collapses (static inner sizes: an index of the
/// result splits into the source's by division).
std::optional<SmallVector<memref::CollapseShapeOp>> collapsesFrom(Value buffer,
                                                                  Value read) {
  SmallVector<memref::CollapseShapeOp> chain;
  while (read != buffer) {
    auto collapse = read.getDefiningOp<memref::CollapseShapeOp>();
    if (!collapse)
      return std::nullopt;
    MemRefType source = collapse.getSrcType();
    for (ReassociationIndices group : collapse.getReassociationIndices())
      for (int64_t d : ArrayRef(group).drop_front())
        if (source.isDynamicDim(d))
          return std::nullopt;
    chain.push_back(collapse);
    read = collapse.getSrc();
  }
  std::reverse(chain.begin(), chain.end());
  return chain;
}

/// A matrix product that reads the gathered buffer as one factor.
struct Reader {
  linalg::LinalgOp product;
  unsigned input; // the factor's input number
  SmallVector<memref::CollapseShapeOp> collapses;
};

/// Every reader of `gather`'s buffer, if each is a matrix product that may
/// compute its factor instead: after the gather in its block, with no op
/// between them writing what the gather reads.
std::optional<SmallVector<Reader>> readersOf(linalg::GenericOp gather) {
  Value buffer = gather.getDpsInits()[0];
  // What the gather reads, and where.
  SmallVector<Value> sources;
  for (Value input : gather.getDpsInputs())
    sources.push_back(rootBuffer(input));
  gather.getBlock()->walk([&](memref::LoadOp load) {
    sources.push_back(rootBuffer(load.getMemRef()));
  });

  SmallVector<Reader> readers;
  SmallVector<Value> views{buffer};
  while (!views.empty()) {
    Value view = views.pop_back_val();
    for (OpOperand &use : view.getUses()) {
      Operation *user = use.getOwner();
      if (user == gather.getOperation() || isa<memref::DeallocOp>(user))
        continue;
      // A size read at a constant index is computed from the allocation's.
      if (auto dim = dyn_cast<memref::DimOp>(user)) {
        if (!dim.getConstantIndex())
          return std::nullopt;
        continue;
      }
      if (auto collapse = dyn_cast<memref::CollapseShapeOp>(user)) {
        views.push_back(collapse.getResult());
        continue;
      }
      auto product = dyn_cast<linalg::LinalgOp>(user);
      std::optional<Contraction> contraction =
          product ? matchContraction(product) : std::nullopt;
      // A product computes one factor at most: the other one stays an
      // operand, which also gives the loops their sizes.
      if (!contraction || !contraction->lhs.operand ||
          !contraction->rhs.operand ||
          product->getBlock() != gather->getBlock() ||
          !gather->isBeforeInBlock(product) ||
          touchedBetween(gather, product, sources, /*reads=*/false) ||
          llvm::is_contained(sources, rootBuffer(product.getDpsInits()[0])))
        return std::nullopt;
      // The buffer is one factor (read at loop dimensions) and nothing else.
      OpOperand *factor = nullptr;
      for (OpOperand *operand :
           {contraction->lhs.operand, contraction->rhs.operand})
        if (operand && operand->get() == view)
          factor = operand;
      if (!factor || llvm::count_if(product->getOperands(), [&](Value v) {
                       return rootBuffer(v) == buffer;
                     }) != 1)
        return std::nullopt;
      for (AffineExpr expr :
           product.getMatchingIndexingMap(factor).getResults())
        if (!isa<AffineDimExpr>(expr))
          return std::nullopt;
      std::optional<SmallVector<memref::CollapseShapeOp>> collapses =
          collapsesFrom(buffer, view);
      if (!collapses)
        return std::nullopt;
      readers.push_back({product, factor->getOperandNumber(), *collapses});
    }
  }
  if (readers.empty())
    return std::nullopt;
  return readers;
}

/// Replaces `reader`'s factor by `gather`'s body, evaluated at the indices
/// the product reads.
void computeFactor(linalg::GenericOp gather, const Reader &reader) {
  IRRewriter rewriter(gather.getContext());
  linalg::LinalgOp product = reader.product;
  rewriter.setInsertionPoint(product);
  auto generic = dyn_cast<linalg::GenericOp>(product.getOperation());
  if (!generic) // operands keep their order
    generic = *linalg::generalizeNamedOp(rewriter, product);
  unsigned input = reader.input;
  AffineMap read = generic.getIndexingMapsArray()[input];

  // The same op without the input; the body moves over.
  SmallVector<Value> inputs(generic.getDpsInputs());
  inputs.erase(inputs.begin() + input);
  SmallVector<AffineMap> maps = generic.getIndexingMapsArray();
  maps.erase(maps.begin() + input);
  auto fused = linalg::GenericOp::create(
      rewriter, generic.getLoc(), generic.getResultTypes(), inputs,
      generic.getDpsInits(), maps, generic.getIteratorTypesArray());
  fused->setDiscardableAttrs(generic->getDiscardableAttrDictionary());
  fused.getRegion().takeBody(generic.getRegion());
  rewriter.eraseOp(generic);
  Block &body = fused.getRegion().front();
  Location loc = gather.getLoc();
  rewriter.setInsertionPointToStart(&body);

  // The indices of the value read, then of the buffer under its reshapes.
  SmallVector<Value> indices;
  for (AffineExpr expr : read.getResults())
    indices.push_back(linalg::IndexOp::create(
        rewriter, loc, cast<AffineDimExpr>(expr).getPosition()));
  for (memref::CollapseShapeOp collapse : llvm::reverse(reader.collapses))
    indices = splitIndices(rewriter, loc, collapse.getSrcType(),
                           collapse.getReassociationIndices(), indices);

  // The gather's body at those indices (its loop indices: an identity
  // output map), its inputs loaded.
  Block *gathered = gather.getBlock();
  IRMapping mapping;
  for (OpOperand *operand : gather.getDpsInputOperands()) {
    SmallVector<Value> at;
    for (AffineExpr expr : gather.getMatchingIndexingMap(operand).getResults())
      at.push_back(indices[cast<AffineDimExpr>(expr).getPosition()]);
    mapping.map(gathered->getArgument(operand->getOperandNumber()),
                memref::LoadOp::create(rewriter, loc, operand->get(), at));
  }
  for (Operation &op : gathered->without_terminator()) {
    if (auto index = dyn_cast<linalg::IndexOp>(op))
      mapping.map(index.getResult(), indices[index.getDim()]);
    else
      rewriter.clone(op, mapping);
  }
  Value element = mapping.lookup(gathered->getTerminator()->getOperand(0));
  body.getArgument(input).replaceAllUsesWith(element);
  body.eraseArgument(input);
  // What the element does not need (indices of unit dimensions): the body
  // is then exactly the factors, product and sum that MapToGpu matches.
  SmallVector<Operation *> ops;
  for (Operation &op : body.without_terminator())
    ops.push_back(&op);
  for (Operation *op : llvm::reverse(ops))
    if (op->use_empty() && isPure(op))
      rewriter.eraseOp(op);
}

/// The size of dimension `dim` of `view` (the allocation `buffer` or a
/// collapse of it), from the allocation's sizes.
Value sizeOf(OpBuilder &b, Location loc, memref::AllocOp buffer, Value view,
             unsigned dim) {
  if (view == buffer.getResult()) {
    MemRefType type = buffer.getType();
    if (!type.isDynamicDim(dim))
      return arith::ConstantIndexOp::create(b, loc, type.getDimSize(dim));
    return buffer.getDynamicSizes()[type.getDynamicDimIndex(dim)];
  }
  auto collapse = view.getDefiningOp<memref::CollapseShapeOp>();
  SmallVector<ReassociationIndices> groups = collapse.getReassociationIndices();
  Value size;
  for (int64_t d : groups[dim]) {
    Value factor = sizeOf(b, loc, buffer, collapse.getSrc(), d);
    size = size ? arith::MulIOp::create(b, loc, size, factor) : factor;
  }
  return size;
}

/// Erases the gather, its buffer and the views of it: sizes read from them
/// are computed from the allocation's.
void eraseGathered(linalg::GenericOp gather) {
  auto buffer = gather.getDpsInits()[0].getDefiningOp<memref::AllocOp>();
  gather.erase();
  SmallVector<Operation *> dead;
  SmallVector<Value> views{buffer.getResult()};
  while (!views.empty()) {
    Value view = views.pop_back_val();
    for (Operation *user : llvm::make_early_inc_range(view.getUsers())) {
      if (auto dim = dyn_cast<memref::DimOp>(user)) {
        OpBuilder b(dim);
        dim.replaceAllUsesWith(
            sizeOf(b, dim.getLoc(), buffer, view, *dim.getConstantIndex()));
        dim.erase();
        continue;
      }
      dead.push_back(user);
      if (auto collapse = dyn_cast<memref::CollapseShapeOp>(user))
        views.push_back(collapse.getResult());
    }
  }
  for (Operation *op : llvm::reverse(dead))
    op->erase();
  buffer.erase();
}

//===----------------------------------------------------------------------===//
// Epilogues
//===----------------------------------------------------------------------===//

/// The other way round, for an epilogue that writes a view of a buffer
/// the product does not touch (a slot of a stack of saved values, as a
/// recurrent layer's gates' pre-activation): the product sums into that
/// view instead of its fresh buffer `read`, and the epilogue updates the
/// view in place. Nothing between them may touch the view's buffer, nor
/// the epilogue read it; its subview moves before the product when its
/// operands allow.
bool sumIntoOutput(linalg::LinalgOp product, linalg::GenericOp epilogue,
                   Value read, DominanceInfo &dominance) {
  Value sums = product.getDpsInits()[0];
  Value target = epilogue.getDpsInits()[0];
  auto targetType = dyn_cast<MemRefType>(target.getType());
  if (read != sums || !targetType ||
      targetType.getShape() != cast<MemRefType>(sums.getType()).getShape())
    return false;
  Value root = bufferOf(target);
  if (!root || mayTouch(product, root, /*reads=*/true) ||
      touchedBetween(product, epilogue, {root}, /*reads=*/true))
    return false;
  // Nor may the epilogue read that buffer: the sums would replace what it
  // reads there (the value a sum adds to; another product's sums, moved
  // there already).
  llvm::SmallDenseSet<Value> reads, writes;
  if (!collectBuffers(epilogue, reads, writes) ||
      reads.contains(rootBuffer(target)))
    return false;
  if (!dominance.properlyDominates(target, product)) {
    auto view = target.getDefiningOp<memref::SubViewOp>();
    if (!view || view->getBlock() != product->getBlock() ||
        llvm::any_of(view->getOperands(), [&](Value operand) {
          return !dominance.properlyDominates(operand, product);
        }))
      return false;
    view->moveBefore(product);
  }
  sums.replaceAllUsesWith(target);
  sums.getDefiningOp()->erase();
  return true;
}

/// An elementwise epilogue of a product: a parallel generic `epilogue`
/// that is the only reader of the product's output `sums` (a fresh
/// buffer, maybe through one expand_shape: `read`) and writes a fresh
/// buffer of `read`'s type. Making it write `read` in place instead (its
/// output's other uses follow) leaves the sums to their epilogue alone,
/// which kiln-cuda-map-to-gpu then applies as it stores them.
bool updateInPlace(linalg::LinalgOp product, DominanceInfo &dominance) {
  Value sums = product.getDpsInits()[0];
  if (!sums.getDefiningOp<memref::AllocOp>())
    return false;
  linalg::GenericOp epilogue;
  Value read;
  SmallVector<Value> views{sums};
  while (!views.empty()) {
    Value view = views.pop_back_val();
    for (Operation *user : view.getUsers()) {
      if (user == product.getOperation() || isa<memref::DimOp>(user))
        continue;
      if (auto expand = dyn_cast<memref::ExpandShapeOp>(user);
          expand && view == sums) {
        views.push_back(expand.getResult());
        continue;
      }
      auto generic = dyn_cast<linalg::GenericOp>(user);
      if (!generic || epilogue)
        return false;
      epilogue = generic;
      read = view;
    }
  }
  if (!epilogue || epilogue->getBlock() != product->getBlock() ||
      epilogue.getNumDpsInits() != 1 ||
      epilogue.getNumLoops() != epilogue.getNumParallelLoops() ||
      !epilogue.getBlock()->getArguments().back().use_empty())
    return false;
  OpOperand *output = epilogue.getDpsInitOperand(0);
  if (!epilogue.getMatchingIndexingMap(output).isIdentity())
    return false;
  // The sums are read once, element for element.
  OpOperand *input = nullptr;
  for (OpOperand *operand : epilogue.getDpsInputOperands()) {
    if (operand->get() != read)
      continue;
    if (input || !epilogue.getMatchingIndexingMap(operand).isIdentity())
      return false;
    input = operand;
  }
  if (!input)
    return false;
  auto fresh = output->get().getDefiningOp<memref::AllocOp>();
  if (!fresh)
    return sumIntoOutput(product, epilogue, read, dominance);
  if (fresh.getType() != read.getType())
    return false;
  // The output's other uses read what the epilogue wrote: they come after
  // it (sizes read from it, only after the sums' view). A write before it
  // (another product whose epilogue this is too, already made to sum into
  // the output) would land in the sums.
  for (Operation *user : fresh->getUsers()) {
    if (user == epilogue.getOperation())
      continue;
    if (isa<memref::DimOp>(user)
            ? !dominance.properlyDominates(read, user)
            : !dominance.properlyDominates(epilogue.getOperation(), user))
      return false;
  }
  fresh.replaceAllUsesWith(read);
  fresh.erase();
  return true;
}

void updateEpiloguesInPlace(func::FuncOp func) {
  DominanceInfo dominance(func);
  SmallVector<linalg::LinalgOp> products;
  func.walk([&](linalg::LinalgOp op) {
    if (!op->hasAttr(kSplitKAttrName) && matchContraction(op))
      products.push_back(op);
  });
  for (linalg::LinalgOp product : products)
    updateInPlace(product, dominance);
}

struct FuseIntoMatmulPass
    : public kiln::impl::FuseIntoMatmulPassBase<FuseIntoMatmulPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    SmallVector<linalg::GenericOp> gathers;
    func.walk([&](linalg::GenericOp generic) {
      if (isGather(generic))
        gathers.push_back(generic);
    });
    // When both factors of a product are gathered (a convolution's input
    // gradient: g's patches and the flipped kernel), the larger one is
    // computed in the product: batch-sized (dynamic) before static.
    auto elements = [](linalg::GenericOp gather) {
      auto type = cast<MemRefType>(gather.getDpsInits()[0].getType());
      return type.hasStaticShape() ? type.getNumElements()
                                   : std::numeric_limits<int64_t>::max();
    };
    llvm::stable_sort(gathers, [&](linalg::GenericOp a, linalg::GenericOp b) {
      return elements(a) > elements(b);
    });
    for (linalg::GenericOp gather : gathers) {
      std::optional<SmallVector<Reader>> readers = readersOf(gather);
      if (!readers)
        continue;
      for (const Reader &reader : *readers)
        computeFactor(gather, reader);
      eraseGathered(gather);
    }
    foldZeroFills(func);
    updateEpiloguesInPlace(func);
  }
};

} // namespace
