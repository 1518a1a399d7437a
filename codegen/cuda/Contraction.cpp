//===- Contraction.cpp - Sums and matrix products on buffers ----*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//===----------------------------------------------------------------------===//

#include "codegen/cuda/Contraction.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

#include <limits>

using namespace mlir;
using namespace mlir::kiln;

std::optional<SumReduction> mlir::kiln::matchSumReduction(linalg::LinalgOp op) {
  if (op.getNumDpsInits() != 1 || op.getNumReductionLoops() == 0 ||
      !op.hasPureBufferSemantics() || !op.getBlock())
    return std::nullopt;
  Block *body = op.getBlock();
  auto yield = cast<linalg::YieldOp>(body->getTerminator());
  if (yield.getNumOperands() != 1)
    return std::nullopt;
  auto add = yield.getOperand(0).getDefiningOp<arith::AddFOp>();
  BlockArgument out = body->getArguments().back();
  if (!add || add->getBlock() != body || !add.getType().isF32() ||
      !out.hasOneUse())
    return std::nullopt;
  Value term = add.getLhs() == out ? add.getRhs() : add.getLhs();
  if (term == out || (add.getLhs() != out && add.getRhs() != out))
    return std::nullopt;
  // Each output element is one sum over the reduction dimensions: the
  // output is indexed by parallel dimensions only (else each step of the
  // "reduction" updates an element of its own).
  AffineMap output = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  SmallVector<unsigned> dims;
  for (auto [d, kind] : llvm::enumerate(op.getIteratorTypesArray())) {
    if (kind != utils::IteratorType::reduction)
      continue;
    if (output.isFunctionOfDim(d))
      return std::nullopt;
    dims.push_back(d);
  }
  return SumReduction{op, dims, add, term};
}

bool mlir::kiln::worthBlockReduction(const SumReduction &reduction) {
  linalg::LinalgOp op = reduction.op;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  int64_t parallel = 1, length = 1;
  for (auto [d, extent] : llvm::enumerate(ranges)) {
    if (reduction.isReduction(d)) {
      length = ShapedType::isDynamic(extent) || ShapedType::isDynamic(length)
                   ? ShapedType::kDynamic
                   : length * extent;
      continue;
    }
    if (ShapedType::isDynamic(extent))
      return false; // batch-sized outputs: threads enough
    parallel *= extent;
  }
  // Up to 64 blocks of 256 threads, one-thread-per-element kernels leave
  // most of a GPU idle (an LSTM's 128 x 512 gradient already fills it).
  return parallel <= (int64_t(1) << 14) &&
         (ShapedType::isDynamic(length) || length > 512);
}

std::optional<SumReduction> mlir::kiln::matchSharedSum(linalg::LinalgOp op) {
  std::optional<SumReduction> sum = matchSumReduction(op);
  if (!sum || !worthBlockReduction(*sum))
    return std::nullopt;
  return sum;
}

int64_t mlir::kiln::reductionOutputs(const SumReduction &reduction) {
  int64_t outputs = 1;
  linalg::LinalgOp op = reduction.op;
  for (auto [d, extent] : llvm::enumerate(op.getStaticLoopRanges()))
    if (!reduction.isReduction(d) && !ShapedType::isDynamic(extent))
      outputs *= extent;
  return outputs;
}

int64_t mlir::kiln::reductionLanes(const SumReduction &reduction) {
  int64_t outputs = reductionOutputs(reduction);
  if (outputs >= 1024)
    return 32;
  linalg::LinalgOp op = reduction.op;
  std::optional<unsigned> inner;
  for (unsigned d = 0; d < op.getNumLoops(); ++d)
    if (!reduction.isReduction(d))
      inner = d;
  if (!inner || outputs == 1)
    return 1;
  bool neighbours =
      llvm::any_of(op.getDpsInputOperands(), [&](OpOperand *input) {
        ArrayRef<AffineExpr> indices =
            op.getMatchingIndexingMap(input).getResults();
        if (indices.empty())
          return false;
        auto last = dyn_cast<AffineDimExpr>(indices.back());
        return last && last.getPosition() == *inner;
      });
  return neighbours
             ? std::min<int64_t>(32, llvm::PowerOf2Ceil(uint64_t(outputs)))
             : 1;
}

namespace {

/// `value`, an operand of `op`'s multiplication, as a factor: the element
/// of one of the first `inputs` inputs, or a value computed in the body
/// from loop indices, values from outside and loads of buffers from
/// outside (no block argument, nothing else with effects).
std::optional<Factor> matchFactor(linalg::LinalgOp op, Value value,
                                  unsigned inputs) {
  Block *body = op.getBlock();
  unsigned loops = op.getNumLoops();
  Factor factor;
  factor.dims.resize(loops);
  if (auto arg = dyn_cast<BlockArgument>(value)) {
    if (arg.getOwner() != body || arg.getArgNumber() >= inputs)
      return std::nullopt;
    factor.operand = op.getDpsInputOperand(arg.getArgNumber());
    for (AffineExpr expr :
         op.getMatchingIndexingMap(factor.operand).getResults())
      expr.walk([&](AffineExpr e) {
        if (auto d = dyn_cast<AffineDimExpr>(e))
          factor.dims.set(d.getPosition());
      });
    return factor;
  }
  // The ops of the body that `value` depends on.
  llvm::SmallPtrSet<Operation *, 16> needed;
  SmallVector<Value> work{value};
  while (!work.empty()) {
    Value v = work.pop_back_val();
    if (isa<BlockArgument>(v)) {
      if (cast<BlockArgument>(v).getOwner() == body)
        return std::nullopt; // an element: not a computed factor
      continue;
    }
    Operation *def = v.getDefiningOp();
    if (!body->findAncestorOpInBlock(*def))
      continue; // from outside the op
    if (def->getBlock() != body || def->getNumRegions() != 0)
      return std::nullopt;
    if (!needed.insert(def).second)
      continue;
    if (auto index = dyn_cast<linalg::IndexOp>(def)) {
      factor.dims.set(index.getDim());
      continue;
    }
    // A load's buffer comes from outside too: its operands are checked
    // like any other.
    if (!isa<memref::LoadOp>(def) && !isPure(def))
      return std::nullopt;
    llvm::append_range(work, def->getOperands());
  }
  factor.computed = value;
  for (Operation &nested : *body)
    if (needed.contains(&nested))
      factor.slice.push_back(&nested);
  return factor;
}

} // namespace

std::optional<Contraction>
mlir::kiln::matchContraction(const SumReduction &sum) {
  linalg::LinalgOp op = sum.op;
  Block *body = op.getBlock();
  if (op.getNumLoops() != 3 || sum.reductionDims.size() != 1)
    return std::nullopt;
  unsigned inputs = op.getNumDpsInputs();
  if (op->hasAttr(kSplitKAttrName)) {
    // The partial sums: rank 3, unread by the body.
    if (inputs == 0 ||
        cast<MemRefType>(op.getDpsInputs().back().getType()).getRank() != 3 ||
        !body->getArgument(inputs - 1).use_empty())
      return std::nullopt;
    --inputs;
  }
  auto mul = sum.term.getDefiningOp<arith::MulFOp>();
  if (!mul || mul->getBlock() != body)
    return std::nullopt;
  std::optional<Factor> x = matchFactor(op, mul.getLhs(), inputs);
  std::optional<Factor> y = matchFactor(op, mul.getRhs(), inputs);
  if (!x || !y || (x->operand && x->operand == y->operand))
    return std::nullopt;
  // The body is the factors' computations, mul and add: nothing else to
  // evaluate per term.
  llvm::SmallPtrSet<Operation *, 16> computing(x->slice.begin(),
                                               x->slice.end());
  computing.insert(y->slice.begin(), y->slice.end());
  if (body->getOperations().size() != computing.size() + 3)
    return std::nullopt;
  unsigned k = sum.reductionDims.front();
  // A computed factor need not read the index of a dimension of one step,
  // which canonicalization folds to 0 (a transposed convolution of one
  // input channel: k; a resize to one row: m). It reads along k all the
  // same, and along a unit m or n that the other factor does not.
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  for (auto [factor, other] : {std::pair(&*x, &*y), std::pair(&*y, &*x)}) {
    if (!factor->computed)
      continue;
    if (ranges[k] == 1)
      factor->dims.set(k);
    for (unsigned d = 0; d < 3 && factor->dims.count() < 2; ++d)
      if (d != k && ranges[d] == 1 && !factor->dims.test(d) &&
          !other->dims.test(d))
        factor->dims.set(d);
  }
  if (!x->dims.test(k) || !y->dims.test(k) || x->dims.count() != 2 ||
      y->dims.count() != 2 || (x->dims & y->dims).count() != 1)
    return std::nullopt;
  unsigned m = 3, n = 3;
  for (unsigned d = 0; d < 3; ++d) {
    if (d == k)
      continue;
    (x->dims.test(d) ? m : n) = d;
  }
  // The output reads (m, n) only.
  if (!op.getMatchingIndexingMap(op.getDpsInitOperand(0))
           .isProjectedPermutation())
    return std::nullopt;
  return Contraction{sum, m, n, k, std::move(*x), std::move(*y)};
}

std::optional<Contraction> mlir::kiln::matchContraction(linalg::LinalgOp op) {
  std::optional<SumReduction> sum = matchSumReduction(op);
  return sum ? matchContraction(*sum) : std::nullopt;
}

SmallVector<Value> mlir::kiln::applyMap(OpBuilder &b, AffineMap map,
                                        ArrayRef<Value> dims) {
  SmallVector<Value> indices;
  for (unsigned i = 0; i < map.getNumResults(); ++i) {
    // A loop index as it is: accesses at the same indices then use the
    // same values (ScalarReplacement.h compares them).
    if (auto dim = dyn_cast<AffineDimExpr>(map.getResult(i))) {
      indices.push_back(dims[dim.getPosition()]);
      continue;
    }
    indices.push_back(affine::AffineApplyOp::create(b, b.getUnknownLoc(),
                                                    map.getSubMap({i}), dims));
  }
  return indices;
}

void mlir::kiln::mapInputsAt(OpBuilder &b, linalg::LinalgOp op,
                             ArrayRef<Value> dims, IRMapping &mapping) {
  Block *body = op.getBlock();
  for (OpOperand *input : op.getDpsInputOperands()) {
    Value value = input->get();
    if (isa<MemRefType>(value.getType()))
      value = memref::LoadOp::create(
          b, op.getLoc(), value,
          applyMap(b, op.getMatchingIndexingMap(input), dims));
    mapping.map(body->getArgument(input->getOperandNumber()), value);
  }
}

void mlir::kiln::emitIterationAt(OpBuilder &b, linalg::LinalgOp op,
                                 ArrayRef<Value> dims) {
  Location loc = op.getLoc();
  Block *body = op.getBlock();
  IRMapping mapping;
  mapInputsAt(b, op, dims, mapping);
  for (OpOperand &init : op.getDpsInitsMutable()) {
    BlockArgument element = body->getArgument(init.getOperandNumber());
    if (!element.use_empty())
      mapping.map(element,
                  memref::LoadOp::create(
                      b, loc, init.get(),
                      applyMap(b, op.getMatchingIndexingMap(&init), dims)));
  }
  for (Operation &nested : body->without_terminator()) {
    if (auto dim = dyn_cast<linalg::IndexOp>(nested)) {
      mapping.map(dim.getResult(), dims[dim.getDim()]);
      continue;
    }
    b.clone(nested, mapping);
  }
  for (auto [init, value] : llvm::zip_equal(
           op.getDpsInitsMutable(), body->getTerminator()->getOperands()))
    memref::StoreOp::create(
        b, loc, mapping.lookupOrDefault(value), init.get(),
        applyMap(b, op.getMatchingIndexingMap(&init), dims));
}

SmallVector<Value>
mlir::kiln::splitIndices(OpBuilder &b, Location loc, MemRefType expanded,
                         ArrayRef<ReassociationIndices> groups,
                         ValueRange collapsed) {
  SmallVector<Value> split(expanded.getRank());
  for (auto [index, group] : llvm::zip_equal(collapsed, groups)) {
    Value rest = index;
    for (int64_t d : llvm::reverse(ArrayRef(group).drop_front())) {
      if (expanded.getDimSize(d) == 1) {
        split[d] = arith::ConstantIndexOp::create(b, loc, 0);
        continue;
      }
      Value size =
          arith::ConstantIndexOp::create(b, loc, expanded.getDimSize(d));
      split[d] = arith::RemUIOp::create(b, loc, rest, size);
      rest = arith::DivUIOp::create(b, loc, rest, size);
    }
    split[group.front()] = rest;
  }
  return split;
}

int64_t mlir::kiln::matmulSharedBytes(TileShape shape, int64_t kStep,
                                      int64_t padding) {
  return 2 * kStep * (shape.rows + shape.cols + 2 * padding) * 4;
}

TileShape mlir::kiln::matmulTileShape(int64_t tile, int64_t kStep, bool narrow,
                                      int64_t m, int64_t n) {
  const TileShape square{tile, tile};
  if (!narrow || ShapedType::isDynamic(n))
    return square;
  // Elements of C a shape computes: rows (m padded; 1 per row when m is
  // dynamic, where all shapes pad about alike) times n padded.
  auto computed = [&](TileShape shape) {
    int64_t rows = ShapedType::isDynamic(m)
                       ? 1
                       : llvm::divideCeil(m, shape.rows) * shape.rows;
    return rows * (llvm::divideCeil(n, shape.cols) * shape.cols);
  };
  TileShape best = square;
  for (TileShape shape{2 * tile, tile / 2}; shape.cols >= 16;
       shape = {2 * shape.rows, shape.cols / 2}) {
    if (shape.cols * kStep % kBlockThreads ||
        matmulSharedBytes(shape, kStep, 0) > kBlockSharedBytes)
      break;
    if (computed(shape) < computed(best))
      best = shape;
  }
  // A narrower tile loads more of A and B per multiply-add: worth it only
  // where it computes at most half as many elements.
  return 2 * computed(best) <= computed(square) ? best : square;
}

std::string mlir::kiln::tilingOptionsIssue(const TilingPolicy &policy) {
  if (!llvm::is_contained({32, 64, 128}, policy.base.tile))
    return "matmul-tile must be 32, 64 or 128, not " +
           std::to_string(policy.base.tile);
  if (!llvm::is_contained({8, 16, 32}, policy.base.kStep))
    return "matmul-k-step must be 8, 16 or 32, not " +
           std::to_string(policy.base.kStep);
  if (policy.wideMinTiles < 0)
    return "wide-tile-min-tiles must be at least 0, not " +
           std::to_string(policy.wideMinTiles);
  return "";
}

std::optional<MatmulTiling> mlir::kiln::matmulTiling(const TilingPolicy &policy,
                                                     int64_t m, int64_t n) {
  const MatmulTiling base = policy.base;
  if (policy.wideMinTiles > 0 && base != policy.wide &&
      !ShapedType::isDynamic(n) && n >= kWideTileMinColumns) {
    int64_t minRows = wideTileMinRows(policy.wideMinTiles, n);
    if (ShapedType::isDynamic(m) &&
        minRows != std::numeric_limits<int64_t>::max())
      return std::nullopt;
    if (!ShapedType::isDynamic(m) && m >= minRows)
      return policy.wide;
  }
  if (policy.small && base != kSmallTiling && !ShapedType::isDynamic(m) &&
      !ShapedType::isDynamic(n)) {
    // Elements of C and its padding that the tiles of `tiling` compute.
    auto computed = [&](MatmulTiling tiling) {
      TileShape shape =
          matmulTileShape(tiling.tile, tiling.kStep, policy.narrow, m, n);
      return llvm::divideCeil(m, shape.rows) * shape.rows *
             (llvm::divideCeil(n, shape.cols) * shape.cols);
    };
    if (4 * computed(kSmallTiling) <= computed(base))
      return kSmallTiling;
  }
  return base;
}

int64_t mlir::kiln::wideTileMinRows(int64_t minTiles, int64_t n) {
  int64_t tilesN = llvm::divideCeil(n, kWideTiling.tile);
  // ceil(m / tile) * tilesN >= minTiles  <=>  m > (ceil(minTiles / tilesN)
  // - 1) * tile; more rows than an index holds: never.
  int64_t rowTiles = llvm::divideCeil(minTiles, tilesN);
  if (rowTiles - 1 > (std::numeric_limits<int64_t>::max() - 1) /
                         kWideTiling.tile)
    return std::numeric_limits<int64_t>::max();
  return (rowTiles - 1) * kWideTiling.tile + 1;
}

Value mlir::kiln::rootBuffer(Value value) {
  while (auto view = value.getDefiningOp<ViewLikeOpInterface>())
    value = view.getViewSource();
  return value;
}

Value mlir::kiln::bufferOf(Value value) {
  while (auto view = value.getDefiningOp<ViewLikeOpInterface>()) {
    if (isa<memref::ViewOp>(view))
      break;
    value = view.getViewSource();
  }
  return value;
}

bool mlir::kiln::collectBuffers(Operation *op,
                                llvm::SmallDenseSet<Value> &reads,
                                llvm::SmallDenseSet<Value> &writes,
                                Value (*buffer)(Value)) {
  WalkResult result = op->walk([&](Operation *nested) {
    auto interface = dyn_cast<MemoryEffectOpInterface>(nested);
    if (!interface)
      return nested->hasTrait<OpTrait::HasRecursiveMemoryEffects>()
                 ? WalkResult::advance()
                 : WalkResult::interrupt();
    SmallVector<MemoryEffects::EffectInstance> effects;
    interface.getEffects(effects);
    for (const MemoryEffects::EffectInstance &effect : effects) {
      bool read = isa<MemoryEffects::Read>(effect.getEffect());
      if (!read && !isa<MemoryEffects::Write>(effect.getEffect()))
        continue;
      Value value = effect.getValue();
      if (!value || !isa<MemRefType>(value.getType()))
        return WalkResult::interrupt();
      (read ? reads : writes).insert(buffer(value));
    }
    return WalkResult::advance();
  });
  return !result.wasInterrupted();
}

/// Whether `op` or an op nested in it reads or writes memory.
bool mlir::kiln::touchesMemory(Operation *op) {
  WalkResult result = op->walk([](Operation *nested) {
    auto effects = dyn_cast<MemoryEffectOpInterface>(nested);
    if (!effects) {
      // An op that does not say is assumed to, unless its regions say.
      return nested->hasTrait<OpTrait::HasRecursiveMemoryEffects>()
                 ? WalkResult::advance()
                 : WalkResult::interrupt();
    }
    if (effects.hasEffect<MemoryEffects::Read>() ||
        effects.hasEffect<MemoryEffects::Write>())
      return WalkResult::interrupt();
    return WalkResult::advance();
  });
  return result.wasInterrupted();
}

Operation *mlir::kiln::nextTouchingMemory(Operation *op) {
  Operation *next = op->getNextNode();
  while (next && !touchesMemory(next))
    next = next->getNextNode();
  return next;
}
