//===- VectorizeGeneric.cpp - linalg.generic on buffers, lane-parallel ----===//
// SPDX-License-Identifier: Apache-2.0
//
// Rewrites a `linalg.generic` on buffers whose innermost loop is parallel
// with a static trip count (the channels of an NHWC activation, the units of
// a Dense layer) into scalar loops over the outer dimensions and vector
// operations along the innermost one (see Passes.td).
//
// Lowered to scalar loops instead, these kernels (bias and activation,
// pooling, im2col and its adjoint, activation gradients, optimizer updates)
// ran 5-10x below the machine: LLVM fully unrolls the short channel loop and
// then cannot prove that the kernel's memref arguments do not overlap, so
// neither of its vectorizers applies. Here the vectorization is legal by the
// op's own semantics: every iteration of a parallel dimension is independent.
//
// The body is classified value by value:
//   uniform  - the same for all lanes of a chunk (constants, indices of
//              outer loops, loads at uniform indices): stays scalar;
//   lane     - `linalg.index` of the innermost dimension plus a uniform
//              offset: as the last index of a load, a contiguous vector load;
//   vector   - everything else, one value per lane.
// Loads whose other indices vary, or whose varying last index is not a
// lane index, leave the op to the scalar path.
//
// When the outer dimensions are parallel and then only reductions (a
// pooling window, col2im's taps), each output vector is read once, carried
// through the reduction loops as an `scf.for` iteration argument, and
// written once; a fill of that output just before the op (outlined into the
// same kernel) becomes the accumulator's initial value instead of a memset.
//===----------------------------------------------------------------------===//

#include "codegen/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"

namespace mlir::kiln {
#define GEN_PASS_DEF_VECTORIZEGENERICPASS
#include "codegen/Passes.h.inc"
} // namespace mlir::kiln

using namespace mlir;
using namespace mlir::kiln;

namespace {

enum class Lanes { Uniform, LaneIndex, Vector };

/// True for element types whose vectors are laid out like their memrefs:
/// an i1 element of a memref takes a byte, of a vector a bit, so a vector
/// load of booleans would read the bytes as packed bits.
bool isByteSized(Type type) {
  return !type.isIntOrFloat() || type.getIntOrFloatBitWidth() % 8 == 0;
}

/// True when the memref's last dimension is contiguous.
bool hasUnitLastStride(MemRefType type) {
  if (type.getRank() == 0)
    return false;
  if (type.getLayout().isIdentity())
    return true;
  SmallVector<int64_t> strides;
  int64_t offset;
  return succeeded(type.getStridesAndOffset(strides, offset)) &&
         strides.back() == 1;
}

/// The per-value classification of a generic's body, and whether the op
/// can be vectorized along its innermost dimension `lastDim`.
struct BodyPlan {
  llvm::DenseMap<Value, Lanes> lanes;
  /// For LaneIndex values: the uniform offset added to the lane index (null
  /// for the index itself).
  llvm::DenseMap<Value, Value> laneOffset;

  Lanes of(Value v) const {
    auto it = lanes.find(v);
    // Values from outside the body (kernel arguments, constants) are
    // uniform.
    return it == lanes.end() ? Lanes::Uniform : it->second;
  }
};

/// Whether operand `map` reads along `lastDim` (as its last result, the
/// only place that is contiguous), is independent of it, or neither.
FailureOr<bool> readsAlongLastDim(AffineMap map, unsigned lastDim) {
  for (auto [i, expr] : llvm::enumerate(map.getResults())) {
    if (isa<AffineConstantExpr>(expr))
      continue;
    auto dim = dyn_cast<AffineDimExpr>(expr);
    if (!dim)
      return failure();
    if (dim.getPosition() == lastDim && i + 1 != map.getNumResults())
      return failure();
  }
  return map.getNumResults() > 0 &&
         map.getResults().back() == getAffineDimExpr(lastDim, map.getContext());
}

FailureOr<BodyPlan> planBody(linalg::GenericOp op, unsigned lastDim) {
  BodyPlan plan;
  Block &body = op.getRegion().front();
  for (OpOperand &operand : op->getOpOperands()) {
    FailureOr<bool> along =
        readsAlongLastDim(op.getMatchingIndexingMap(&operand), lastDim);
    if (failed(along))
      return failure();
    auto type = dyn_cast<MemRefType>(operand.get().getType());
    if (!type)
      return failure();
    bool isInit = op.isDpsInit(&operand);
    // Every output is written along the lanes.
    if (isInit && !*along)
      return failure();
    if (*along && !hasUnitLastStride(type))
      return failure();
    if (!VectorType::isValidElementType(type.getElementType()) ||
        !isByteSized(type.getElementType()))
      return failure();
    plan.lanes[op.getMatchingBlockArgument(&operand)] =
        *along ? Lanes::Vector : Lanes::Uniform;
  }

  for (Operation &inner : body.without_terminator()) {
    if (auto index = dyn_cast<linalg::IndexOp>(inner)) {
      bool lane = index.getDim() == lastDim;
      plan.lanes[index] = lane ? Lanes::LaneIndex : Lanes::Uniform;
      continue;
    }
    if (inner.getNumRegions() != 0 || inner.getNumResults() != 1)
      return failure();
    Value result = inner.getResult(0);
    if (auto add = dyn_cast<arith::AddIOp>(inner)) {
      Lanes l = plan.of(add.getLhs()), r = plan.of(add.getRhs());
      if (l == Lanes::Uniform && r == Lanes::Uniform) {
        plan.lanes[result] = Lanes::Uniform;
        continue;
      }
      // lane + uniform (either way round) stays a lane index.
      if ((l == Lanes::LaneIndex && r == Lanes::Uniform) ||
          (l == Lanes::Uniform && r == Lanes::LaneIndex)) {
        plan.lanes[result] = Lanes::LaneIndex;
        continue;
      }
      plan.lanes[result] = Lanes::Vector;
      continue;
    }
    if (auto load = dyn_cast<memref::LoadOp>(inner)) {
      ValueRange indices = load.getIndices();
      if (plan.of(load.getMemref()) != Lanes::Uniform)
        return failure();
      for (Value index : indices.drop_back())
        if (plan.of(index) != Lanes::Uniform)
          return failure();
      Lanes last = indices.empty() ? Lanes::Uniform : plan.of(indices.back());
      if (last == Lanes::Vector)
        return failure(); // a gather: left to the scalar path
      if (last == Lanes::LaneIndex &&
          (!hasUnitLastStride(load.getMemRefType()) ||
           !VectorType::isValidElementType(load.getType()) ||
           !isByteSized(load.getType())))
        return failure();
      plan.lanes[result] =
          last == Lanes::Uniform ? Lanes::Uniform : Lanes::Vector;
      continue;
    }
    if (inner.hasTrait<OpTrait::ConstantLike>()) {
      plan.lanes[result] = Lanes::Uniform;
      continue;
    }
    if (!OpTrait::hasElementwiseMappableTraits(&inner) ||
        !isMemoryEffectFree(&inner) ||
        !VectorType::isValidElementType(result.getType()))
      return failure();
    bool uniform = llvm::all_of(inner.getOperands(), [&](Value v) {
      return plan.of(v) == Lanes::Uniform;
    });
    plan.lanes[result] = uniform ? Lanes::Uniform : Lanes::Vector;
  }
  return plan;
}

/// Emits the vector code of one generic op.
class GenericVectorizer {
public:
  /// `firstReduction`: the outer dimensions [firstReduction, lastDim) are
  /// all reductions and those before it all parallel: each output vector
  /// is then accumulated in registers across the reduction loops, starting
  /// from `initValues[i]` (a folded fill of output i) or from memory.
  GenericVectorizer(linalg::GenericOp op, const BodyPlan &plan,
                    unsigned lastDim, int64_t size, int64_t width,
                    unsigned firstReduction, ArrayRef<TypedAttr> initValues)
      : op(op), plan(plan), lastDim(lastDim), size(size), width(width),
        firstReduction(firstReduction), initValues(initValues) {}

  void emit(OpBuilder &b) {
    Location loc = op.getLoc();
    SmallVector<Range, 4> ranges =
        cast<linalg::LinalgOp>(op.getOperation()).createLoopRanges(b, loc);
    for (unsigned d = 0; d < lastDim; ++d) {
      lbs.push_back(getValueOrCreateConstantIndexOp(b, loc, ranges[d].offset));
      ubs.push_back(getValueOrCreateConstantIndexOp(b, loc, ranges[d].size));
      steps.push_back(
          getValueOrCreateConstantIndexOp(b, loc, ranges[d].stride));
    }
    scf::buildLoopNest(b, loc, ArrayRef(lbs).take_front(firstReduction),
                       ArrayRef(ubs).take_front(firstReduction),
                       ArrayRef(steps).take_front(firstReduction),
                       [&](OpBuilder &nb, Location nl, ValueRange ivs) {
                         emitChunks(nb, nl, ivs);
                       });
  }

private:
  void emitChunks(OpBuilder &b, Location loc, ValueRange outerIvs) {
    int64_t fullChunks = size / width, tail = size % width;
    auto index = [&](int64_t v) -> Value {
      return arith::ConstantIndexOp::create(b, loc, v);
    };
    // A few chunks are unrolled; more become a loop.
    if (fullChunks <= 4) {
      for (int64_t c = 0; c < fullChunks; ++c)
        emitChunk(b, loc, outerIvs, index(c * width), /*activeLanes=*/width);
    } else {
      scf::ForOp::create(
          b, loc, index(0), index(fullChunks * width), index(width),
          ValueRange{},
          [&](OpBuilder &lb, Location ll, Value base, ValueRange) {
            emitChunk(lb, ll, outerIvs, base, width);
            scf::YieldOp::create(lb, ll);
          });
    }
    if (tail > 0)
      emitChunk(b, loc, outerIvs, index(fullChunks * width), tail);
  }

  /// The indices of an operand read or written with `map` in the chunk at
  /// `base` (the innermost dimension's index of lane 0).
  SmallVector<Value> indicesOf(OpBuilder &b, Location loc, AffineMap map,
                               ValueRange outerIvs, Value base) {
    SmallVector<Value> indices;
    for (AffineExpr expr : map.getResults()) {
      if (auto cst = dyn_cast<AffineConstantExpr>(expr)) {
        indices.push_back(
            arith::ConstantIndexOp::create(b, loc, cst.getValue()));
        continue;
      }
      unsigned dim = cast<AffineDimExpr>(expr).getPosition();
      indices.push_back(dim == lastDim ? base : outerIvs[dim]);
    }
    return indices;
  }

  void emitChunk(OpBuilder &b, Location loc, ValueRange outerIvs, Value base,
                 int64_t activeLanes) {
    Value mask;
    if (activeLanes < width)
      mask = vector::ConstantMaskOp::create(
          b, loc, VectorType::get({width}, b.getI1Type()),
          ArrayRef<int64_t>{activeLanes});
    if (firstReduction == lastDim) {
      // Every outer dimension is a loop around this chunk: outputs are read
      // and written once per iteration.
      SmallVector<Value> results =
          emitBody(b, loc, outerIvs, base, mask, /*outputs=*/{});
      storeOutputs(b, loc, outerIvs, base, mask, results);
      return;
    }
    // The outputs' vectors accumulate in registers across the reduction
    // loops: from the folded fill's value or from memory.
    SmallVector<Value> initial;
    for (auto [i, init] : llvm::enumerate(op.getDpsInitsMutable())) {
      auto type = VectorType::get(
          {width}, cast<MemRefType>(init.get().getType()).getElementType());
      if (initValues[i]) {
        initial.push_back(vector::BroadcastOp::create(
            b, loc, type, arith::ConstantOp::create(b, loc, initValues[i])));
        continue;
      }
      SmallVector<Value> indices =
          indicesOf(b, loc, op.getMatchingIndexingMap(&init), outerIvs, base);
      initial.push_back(loadVector(b, loc, init.get(), indices, mask));
    }
    scf::LoopNest nest = scf::buildLoopNest(
        b, loc, ArrayRef(lbs).drop_front(firstReduction),
        ArrayRef(ubs).drop_front(firstReduction),
        ArrayRef(steps).drop_front(firstReduction), initial,
        [&](OpBuilder &nb, Location nl, ValueRange reductionIvs,
            ValueRange accumulators) -> scf::ValueVector {
          SmallVector<Value> ivs(outerIvs);
          ivs.append(reductionIvs.begin(), reductionIvs.end());
          return emitBody(nb, nl, ivs, base, mask, accumulators);
        });
    storeOutputs(b, loc, outerIvs, base, mask, nest.results);
  }

  Value loadVector(OpBuilder &b, Location loc, Value memref, ValueRange indices,
                   Value mask) {
    auto type = VectorType::get(
        {width}, cast<MemRefType>(memref.getType()).getElementType());
    if (!mask)
      return vector::LoadOp::create(b, loc, type, memref, indices);
    Value passThru =
        arith::ConstantOp::create(b, loc, cast<TypedAttr>(b.getZeroAttr(type)));
    return vector::MaskedLoadOp::create(b, loc, type, memref, indices, mask,
                                        passThru);
  }

  void storeOutputs(OpBuilder &b, Location loc, ValueRange outerIvs, Value base,
                    Value mask, ValueRange results) {
    for (auto [vec, init] : llvm::zip(results, op.getDpsInitsMutable())) {
      SmallVector<Value> indices =
          indicesOf(b, loc, op.getMatchingIndexingMap(&init), outerIvs, base);
      if (mask)
        vector::MaskedStoreOp::create(b, loc, init.get(), indices, mask, vec);
      else
        vector::StoreOp::create(b, loc, vec, init.get(), indices);
    }
  }

  /// The body at iteration `ivs` (all outer dimensions) of the chunk at
  /// `base`; the outputs' current vectors are `outputs` (read from memory
  /// when empty). Returns the yielded vectors.
  SmallVector<Value> emitBody(OpBuilder &b, Location loc, ValueRange outerIvs,
                              Value base, Value mask, ValueRange outputs) {
    auto vectorOf = [&](Type scalar) {
      return VectorType::get({width}, scalar);
    };
    IRMapping scalars;                     // uniform values
    llvm::DenseMap<Value, Value> vectors;  // vector values
    llvm::DenseMap<Value, Value> laneBase; // lane indices: their lane-0 value
    auto broadcast = [&](Value v) -> Value {
      auto it = vectors.find(v);
      if (it != vectors.end())
        return it->second;
      Lanes kind = plan.of(v);
      Value result;
      if (kind == Lanes::LaneIndex) {
        // lane 0's index + [0, 1, ..., width-1]
        Value first = laneBase.lookup(v);
        auto type = vectorOf(first.getType());
        Value step = vector::StepOp::create(b, loc, type);
        result = arith::AddIOp::create(
            b, loc, vector::BroadcastOp::create(b, loc, type, first), step);
      } else {
        Value scalar = scalars.lookupOrDefault(v);
        result = vector::BroadcastOp::create(b, loc, vectorOf(scalar.getType()),
                                             scalar);
      }
      vectors[v] = result;
      return result;
    };

    // The block arguments: the operands' elements of this chunk, read only
    // when the body uses them.
    for (OpOperand &operand : op->getOpOperands()) {
      BlockArgument arg = op.getMatchingBlockArgument(&operand);
      if (arg.use_empty())
        continue;
      if (!outputs.empty() && op.isDpsInit(&operand)) {
        vectors[arg] =
            outputs[operand.getOperandNumber() - op.getNumDpsInputs()];
        continue;
      }
      SmallVector<Value> indices = indicesOf(
          b, loc, op.getMatchingIndexingMap(&operand), outerIvs, base);
      if (plan.of(arg) == Lanes::Vector)
        vectors[arg] = loadVector(b, loc, operand.get(), indices, mask);
      else
        scalars.map(arg,
                    memref::LoadOp::create(b, loc, operand.get(), indices));
    }

    Block &body = op.getRegion().front();
    for (Operation &inner : body.without_terminator()) {
      Value result = inner.getResult(0);
      Lanes kind = plan.of(result);
      if (auto index = dyn_cast<linalg::IndexOp>(inner)) {
        if (kind == Lanes::LaneIndex)
          laneBase[result] = base;
        else
          scalars.map(result, outerIvs[index.getDim()]);
        continue;
      }
      if (kind == Lanes::Uniform) {
        b.clone(inner, scalars);
        continue;
      }
      if (kind == Lanes::LaneIndex) {
        auto add = cast<arith::AddIOp>(inner);
        bool lhsLane = plan.of(add.getLhs()) == Lanes::LaneIndex;
        Value lane = lhsLane ? add.getLhs() : add.getRhs();
        Value offset = lhsLane ? add.getRhs() : add.getLhs();
        laneBase[result] = arith::AddIOp::create(
            b, loc, laneBase.lookup(lane), scalars.lookupOrDefault(offset));
        continue;
      }
      if (auto load = dyn_cast<memref::LoadOp>(inner)) {
        SmallVector<Value> indices;
        for (Value index : load.getIndices().drop_back())
          indices.push_back(scalars.lookupOrDefault(index));
        indices.push_back(laneBase.lookup(load.getIndices().back()));
        vectors[result] = loadVector(b, loc, load.getMemref(), indices, mask);
        continue;
      }
      // An elementwise op on vectors.
      OperationState state(inner.getLoc(), inner.getName());
      for (Value operand : inner.getOperands())
        state.addOperands(broadcast(operand));
      state.addAttributes(inner.getAttrs());
      state.addTypes(vectorOf(result.getType()));
      vectors[result] = b.create(state)->getResult(0);
    }

    auto yield = cast<linalg::YieldOp>(body.getTerminator());
    SmallVector<Value> results;
    for (Value value : yield.getValues())
      results.push_back(broadcast(value));
    return results;
  }

  linalg::GenericOp op;
  const BodyPlan &plan;
  unsigned lastDim;
  int64_t size, width;
  unsigned firstReduction;
  ArrayRef<TypedAttr> initValues;
  SmallVector<Value> lbs, ubs, steps;
};

struct VectorizeGenericPass
    : public kiln::impl::VectorizeGenericPassBase<VectorizeGenericPass> {
  using VectorizeGenericPassBase::VectorizeGenericPassBase;
  void runOnOperation() override {
    if (vectorWidth < 1) {
      getOperation().emitError(
          "kiln-cpu-vectorize-generic: vector-width must be positive");
      return signalPassFailure();
    }
    SmallVector<linalg::GenericOp> candidates;
    getOperation().walk([&](linalg::GenericOp op) {
      if (op.hasPureBufferSemantics() && op.getNumLoops() > 0)
        candidates.push_back(op);
    });
    for (linalg::GenericOp op : candidates) {
      unsigned lastDim = op.getNumLoops() - 1;
      if (op.getIteratorTypesArray()[lastDim] != utils::IteratorType::parallel)
        continue;
      int64_t size = op.getStaticLoopRanges()[lastDim];
      // Fewer than four lanes are not worth a vector.
      if (ShapedType::isDynamic(size) || size < 4)
        continue;
      FailureOr<BodyPlan> plan = planBody(op, lastDim);
      if (failed(plan))
        continue;
      int64_t width = std::min<int64_t>(vectorWidth, llvm::PowerOf2Ceil(size));
      // Outer parallel dimensions, then only reductions (a pooling window,
      // col2im's taps): the outputs accumulate in registers, and a fill of
      // an output just before (outlined with the op) is folded into the
      // accumulators' initial value.
      auto iterators = op.getIteratorTypesArray();
      unsigned firstReduction = 0;
      while (firstReduction < lastDim &&
             iterators[firstReduction] == utils::IteratorType::parallel)
        ++firstReduction;
      if (!llvm::all_of(ArrayRef(iterators).slice(firstReduction,
                                                  lastDim - firstReduction),
                        [](utils::IteratorType t) {
                          return t == utils::IteratorType::reduction;
                        }))
        firstReduction = lastDim;
      SmallVector<TypedAttr> initValues(op.getNumDpsInits());
      linalg::FillOp fill;
      if (firstReduction < lastDim)
        fill = dyn_cast_or_null<linalg::FillOp>(op->getPrevNode());
      if (fill && fill.hasPureBufferSemantics()) {
        auto constant = fill.getInputs()[0].getDefiningOp<arith::ConstantOp>();
        for (auto [i, init] : llvm::enumerate(op.getDpsInits()))
          if (constant && init == fill.getOutputs()[0])
            initValues[i] = constant.getValue();
        if (llvm::none_of(initValues, [](TypedAttr a) { return bool(a); }))
          fill = nullptr;
      } else {
        fill = nullptr;
      }
      OpBuilder b(op);
      GenericVectorizer(op, *plan, lastDim, size, width, firstReduction,
                        initValues)
          .emit(b);
      op.erase();
      if (fill)
        fill.erase();
    }
  }
};

} // namespace
