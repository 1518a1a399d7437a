//===- Autodiff.cpp - Reverse-mode automatic differentiation ----*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//===----------------------------------------------------------------------===//

#include "passes/autodiff/Autodiff.h"

#include "dialects/kiln/IR/KilnDialect.h"
#include "passes/Passes.h"
#include "passes/autodiff/GradientBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/Dominance.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/CSE.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/RegionUtils.h"

namespace mlir::kiln {
#define GEN_PASS_DEF_DIFFERENTIATEPASS
#include "passes/Passes.h.inc"
} // namespace mlir::kiln

using namespace mlir;
using namespace mlir::kiln;

/// True for values gradients flow through (float tensors).
static bool isDifferentiable(Value v) {
  auto type = dyn_cast<RankedTensorType>(v.getType());
  return type && isa<FloatType>(type.getElementType());
}

namespace {

/// An iteration's gradient `X^T D` of a value a loop captures, where X is
/// the slot k (or k + 1) of a stack the recording loop filled: a recurrent
/// kernel's gradient, the saved state times the pre-activation's adjoint.
/// Or, column block by column block, `(X * M_b)^T D_b` side by side, D_b
/// consecutive columns of D and M_b a mask from outside the loop: a
/// recurrent kernel in Keras's implementation 1 with recurrent dropout,
/// each gate its mask and its columns.
struct StepProduct {
  /// The recorded stack that X is a slot of.
  Value stack;
  /// X is slot k + 1 (what iteration k yields), else slot k.
  bool next;
  /// D, rank 2 with a static row length.
  Value d;
  struct Columns {
    /// A value from outside the loop that X is the slot times (elementwise,
    /// of its type): a recurrent dropout mask, drawn once per sequence.
    Value mask;
    int64_t start, size;
  };
  /// One block of all of D's columns, or D's blocks in order.
  SmallVector<Columns> blocks;
};

/// `x` as slot(stack, k or k + 1) of one of `stacks`, or that times a value
/// from outside the loop whose body is `body`: the slot, and the mask (or
/// null).
std::optional<std::pair<tensor::ExtractSliceOp, Value>>
matchMaskedSlot(Value x, Block *body, ValueRange stacks) {
  Value mask;
  if (auto masked = x.getDefiningOp<MulOp>();
      masked && masked->getBlock() == body &&
      masked.getLhs().getType() == masked.getRhs().getType() &&
      masked.getLhs().getType() == x.getType()) {
    for (auto [slot, other] : {std::pair(masked.getLhs(), masked.getRhs()),
                               std::pair(masked.getRhs(), masked.getLhs())}) {
      Operation *def = other.getDefiningOp();
      bool outside = def ? !body->getParentOp()->isAncestor(def)
                         : !body->getParentOp()->isAncestor(
                               other.getParentBlock()->getParentOp());
      if (outside && slot.getDefiningOp<tensor::ExtractSliceOp>()) {
        x = slot;
        mask = other;
        break;
      }
    }
  }
  auto slot = x.getDefiningOp<tensor::ExtractSliceOp>();
  if (!slot || !llvm::is_contained(stacks, slot.getSource()) ||
      slot.getSourceType().getRank() != 3)
    return std::nullopt;
  return std::pair(slot, mask);
}

/// Matches `g = matmul(transpose(X), D)` built in `body` (the reverse
/// loop's), X = slot(stack, k or k + 1) of one of `stacks` (the recording
/// loop's), or that times a value from outside the loop; or the
/// concatenation along columns of such products of one slot, each by a
/// block of D's columns (consecutive slices of one D that they cover, else
/// D is made here, their concatenation).
std::optional<StepProduct> matchStepProduct(Value g, Block *body,
                                            ValueRange stacks, Value k,
                                            Value kNext) {
  if (!g)
    return std::nullopt;
  SmallVector<Value> parts{g};
  if (auto concat = g.getDefiningOp<ConcatOp>();
      concat && concat->getBlock() == body && concat.getType().getRank() == 2 &&
      concat.getNormalizedAxis() == 1)
    parts.assign(concat.getInputs().begin(), concat.getInputs().end());
  StepProduct result;
  SmallVector<Value> blocks;
  int64_t columns = 0;
  for (Value part : parts) {
    auto product = part.getDefiningOp<MatMulOp>();
    if (!product || product->getBlock() != body)
      return std::nullopt;
    auto transpose = product.getLhs().getDefiningOp<TransposeOp>();
    if (!transpose || transpose.getPermutation() != ArrayRef<int64_t>{1, 0})
      return std::nullopt;
    std::optional<std::pair<tensor::ExtractSliceOp, Value>> x =
        matchMaskedSlot(transpose.getInput(), body, stacks);
    if (!x)
      return std::nullopt;
    auto [slot, mask] = *x;
    auto at = dyn_cast<Value>(slot.getMixedOffsets().front());
    if (!at || (at != k && at != kNext))
      return std::nullopt;
    if (blocks.empty()) {
      result.stack = slot.getSource();
      result.next = at == kNext;
    } else if (slot.getSource() != result.stack ||
               result.next != (at == kNext)) {
      return std::nullopt;
    }
    auto dType = cast<RankedTensorType>(product.getRhs().getType());
    if (dType.getRank() != 2 || dType.isDynamicDim(1))
      return std::nullopt;
    result.blocks.push_back({mask, columns, dType.getDimSize(1)});
    columns += dType.getDimSize(1);
    blocks.push_back(product.getRhs());
  }
  if (blocks.size() == 1) {
    result.d = blocks.front();
    return result;
  }
  // D: what the blocks are consecutive slices of, or their concatenation.
  for (auto [block, value] : llvm::zip(result.blocks, blocks)) {
    auto slice = value.getDefiningOp<SliceOp>();
    if (!slice || slice.getNormalizedAxis() != 1 ||
        static_cast<int64_t>(slice.getStart()) != block.start ||
        (result.d && slice.getInput() != result.d)) {
      result.d = {};
      break;
    }
    result.d = slice.getInput();
  }
  if (!result.d ||
      cast<RankedTensorType>(result.d.getType()).getDimSize(1) != columns) {
    OpBuilder b(g.getDefiningOp());
    result.d = ConcatOp::create(b, g.getLoc(), blocks, 1);
  }
  return result;
}

/// A bias's gradient in an iteration: the sum of D's rows, reshaped to
/// `type` (or not, or several times), and maybe placed among zeros of static
/// shapes by a concatenation (the gradient of a slice of the bias: a GRU's
/// recurrent bias is row 1 of its bias).
struct SummedRows {
  Value d;
  RankedTensorType type;
  /// The concatenation: its axis, the types of its parts, and which part
  /// is the sum (the others are zeros).
  std::optional<int64_t> axis;
  SmallVector<RankedTensorType> parts;
  unsigned position = 0;
};

/// Matches SummedRows `g` built in `body`.
std::optional<SummedRows> matchRowSum(Value g, Block *body) {
  if (!g)
    return std::nullopt;
  SummedRows sum;
  if (auto concat = g.getDefiningOp<ConcatOp>();
      concat && concat->getBlock() == body) {
    std::optional<unsigned> position;
    for (auto [i, part] : llvm::enumerate(concat.getInputs())) {
      auto type = cast<RankedTensorType>(part.getType());
      sum.parts.push_back(type);
      if (isZeros(part) && type.hasStaticShape())
        continue;
      if (position)
        return std::nullopt;
      position = i;
    }
    if (!position)
      return std::nullopt;
    sum.axis = concat.getAxis();
    sum.position = *position;
    g = concat.getInputs()[*position];
  }
  sum.type = cast<RankedTensorType>(g.getType());
  while (auto reshape = g.getDefiningOp<ReshapeOp>())
    g = reshape.getInput();
  auto rows = g.getDefiningOp<ReduceSumOp>();
  if (!rows || rows->getBlock() != body ||
      rows.getAxes() != ArrayRef<int64_t>{0} ||
      cast<RankedTensorType>(rows.getInput().getType()).getRank() != 2)
    return std::nullopt;
  sum.d = rows.getInput();
  return sum;
}

/// The value an iteration reads of a captured sequence at its own step,
/// scattered back by sequence_step's VJP: `g = sequence_insert(v, zeros,
/// iv)` built in `body`, `iv` the iteration's step. Only v's dimension 0
/// (the batch) may be dynamic.
Value matchStepGradient(Value g, Block *body, Value iv) {
  auto insert = g ? g.getDefiningOp<SequenceInsertOp>() : SequenceInsertOp();
  if (!insert || insert->getBlock() != body || insert.getStep() != iv ||
      !isZeros(insert.getSequence()))
    return {};
  auto type = cast<RankedTensorType>(insert.getValue().getType());
  if (type.getRank() == 0 ||
      llvm::any_of(type.getShape().drop_front(), ShapedType::isDynamic))
    return {};
  return insert.getValue();
}

/// True if `loop` runs %i = 0, 1, ..., T - 1 over the T steps of
/// `sequence` (tensor<B x T x ...>), so that iteration k is step k.
bool stepsThrough(scf::ForOp loop, Value sequence) {
  auto type = cast<RankedTensorType>(sequence.getType());
  if (type.getRank() < 2 || getConstantIntValue(loop.getLowerBound()) != 0 ||
      getConstantIntValue(loop.getStep()) != 1)
    return false;
  if (auto dim = loop.getUpperBound().getDefiningOp<tensor::DimOp>())
    return dim.getSource() == sequence && dim.getConstantIndex() == 1;
  return !type.isDynamicDim(1) &&
         getConstantIntValue(loop.getUpperBound()) == type.getDimSize(1);
}

/// Offsets, sizes and strides of slot `k` of a stack (tensor<S x T>) of
/// values like `like` (tensor<T>). The dynamic sizes are `like`'s, or, given
/// `stack`, the stack's (available where `like` is not yet).
void slotOf(OpBuilder &b, Location loc, Value k, Value like,
            SmallVector<OpFoldResult> &offsets,
            SmallVector<OpFoldResult> &sizes,
            SmallVector<OpFoldResult> &strides, Value stack = {}) {
  auto type = cast<RankedTensorType>(like.getType());
  offsets.assign({k});
  sizes.assign({b.getIndexAttr(1)});
  strides.assign(type.getRank() + 1, b.getIndexAttr(1));
  for (int64_t d = 0; d < type.getRank(); ++d) {
    offsets.push_back(b.getIndexAttr(0));
    sizes.push_back(
        type.isDynamicDim(d)
            ? OpFoldResult(tensor::DimOp::create(b, loc, stack ? stack : like,
                                                 stack ? d + 1 : d)
                               .getResult())
            : OpFoldResult(b.getIndexAttr(type.getDimSize(d))));
  }
}

/// An empty stack of `slots` values of `type` (tensor<slots x type>);
/// `sizes`: the dynamic sizes of `type`, in order.
Value emptyStack(OpBuilder &b, Location loc, Value slots, RankedTensorType type,
                 ValueRange sizes) {
  SmallVector<int64_t> shape{ShapedType::kDynamic};
  shape.append(type.getShape().begin(), type.getShape().end());
  SmallVector<Value> all{slots};
  all.append(sizes.begin(), sizes.end());
  return tensor::EmptyOp::create(b, loc, shape, type.getElementType(), all);
}

/// Grows `loop` by one iteration argument per stack of `empties`: each
/// iteration inserts `values[i]` (values of its body) into slot
/// `slotIndex(...)` of stack i, an index it computes in the body.
scf::ForOp appendStacks(OpBuilder &builder, scf::ForOp loop, ValueRange empties,
                        ArrayRef<Value> values,
                        function_ref<Value(OpBuilder &, Location)> slotIndex) {
  IRRewriter rewriter(builder);
  FailureOr<LoopLikeOpInterface> grown = loop.replaceWithAdditionalYields(
      rewriter, empties, /*replaceInitOperandUsesInLoop=*/false,
      [&](OpBuilder &b, Location bodyLoc, ArrayRef<BlockArgument> stacks) {
        Value at = slotIndex(b, bodyLoc);
        SmallVector<Value> filled;
        for (auto [value, stack] : llvm::zip(values, stacks)) {
          SmallVector<OpFoldResult> offsets, sizes, strides;
          slotOf(b, bodyLoc, at, value, offsets, sizes, strides);
          filled.push_back(tensor::InsertSliceOp::create(
              b, bodyLoc, value, stack, offsets, sizes, strides));
        }
        return filled;
      });
  assert(succeeded(grown) && "scf.for takes more iter_args");
  return cast<scf::ForOp>(grown->getOperation());
}

/// Erases the op of `block` defining `value` if it is dead, and then what
/// it used in `block` that died with it.
void eraseDeadChain(Value value, Block *block) {
  llvm::SetVector<Operation *> worklist;
  if (Operation *def = value.getDefiningOp(); def && def->getBlock() == block)
    worklist.insert(def);
  while (!worklist.empty()) {
    Operation *op = worklist.pop_back_val();
    if (!isOpTriviallyDead(op))
      continue;
    SmallVector<Operation *> defs;
    for (Value operand : op->getOperands())
      if (Operation *def = operand.getDefiningOp();
          def && def->getBlock() == block)
        defs.push_back(def);
    op->erase();
    worklist.insert(defs.begin(), defs.end());
  }
}

/// A value defined outside `loop` and its dimension that equal dimension
/// `d` of `v`, a value of the loop's body, followed back through the ops a
/// recurrent cell is made of (elementwise ops, products, steps of a
/// sequence, the carried values' inits); nothing when it cannot tell.
std::optional<std::pair<Value, int64_t>> outerDim(scf::ForOp loop, Value v,
                                                  int64_t d) {
  while (true) {
    if (!loop->isAncestor(v.getParentRegion()->getParentOp()))
      return std::make_pair(v, d);
    if (auto arg = dyn_cast<BlockArgument>(v)) {
      if (arg.getOwner() != loop.getBody() || arg.getArgNumber() == 0)
        return std::nullopt;
      v = loop.getInitArgs()[arg.getArgNumber() - 1];
      continue;
    }
    Operation *op = v.getDefiningOp();
    auto type = cast<RankedTensorType>(v.getType());
    if (auto product = dyn_cast<MatMulOp>(op)) {
      if (d == type.getRank() - 1)
        return std::nullopt;
      v = product.getLhs();
      continue;
    }
    if (auto stepOf = dyn_cast<SequenceStepOp>(op)) {
      v = stepOf.getInput();
      d = d == 0 ? 0 : d + 1;
      continue;
    }
    if (!isa<AddOp, SubOp, MulOp, DivOp, RemOp, MaximumOp, MinimumOp>(op) &&
        !op->hasTrait<OpTrait::Elementwise>())
      return std::nullopt;
    Value same;
    for (Value operand : op->getOperands()) {
      auto operandType = dyn_cast<RankedTensorType>(operand.getType());
      if (operandType && operandType.getRank() == type.getRank() &&
          operandType.isDynamicDim(d)) {
        same = operand;
        break;
      }
    }
    if (!same)
      return std::nullopt;
    v = same;
  }
}

/// How the adjoint of a value a loop captures leaves its reverse loop.
struct HoistedGradient {
  enum Kind {
    /// Accumulated by the reverse loop.
    None,
    /// X^T D (StepProduct), summed after the loop.
    Product,
    /// The sum of the rows of a Product's D.
    RowSum,
    /// A sequence's: the stacked steps' gradients (matchStepGradient), D,
    /// with their stack's dimensions 0 and 1 swapped.
    Steps
  } kind = None;
  /// D's stack among those the reverse loop fills.
  unsigned dSlot = 0;
  /// Product: where X comes from.
  StepProduct product;
  /// RowSum: how the sum is shaped and placed.
  std::optional<SummedRows> rowSum;
};

/// A value the reverse loop stacks (slot k of iteration k), and a value
/// defined before the loop whose dimension `rowsDim` is the value's
/// dimension 0 (the value's only dynamic one).
struct StackedValue {
  Value value;
  Value rowsLike;
  int64_t rowsDim;
};

/// Whether each value of `body` depends on one of `roots` (the arguments
/// differentiated with respect to): activity analysis. Only active values
/// carry gradients anyone reads; a value computed from the data and
/// constants alone (a dropout mask, drawn outside a recurrent loop) does
/// not, and a loop need not sum its gradient. Ops are visited in order, so
/// a loop is active (its iteration arguments and results) when an init or
/// a value its body uses from above is.
///
/// The result lives on the IR, not in a map keyed by Value: the reverse
/// walk erases ops and creates others, and a new value may take the
/// address of an erased one, which a map would then answer for (a
/// gradient silently dropped, depending on the allocator). An inactive op
/// carries `kInactiveAttr` (its results and its regions' arguments are
/// inactive; a clone of it is too); the body's own inactive arguments are
/// listed by number. An op the walk creates is active.
constexpr StringLiteral kInactiveAttr = "kiln.inactive";

class Activity {
public:
  Activity(Block &body, ArrayRef<Value> roots) : body(body) {
    DenseMap<Value, bool> active;
    for (BlockArgument arg : body.getArguments()) {
      active[arg] = llvm::is_contained(roots, arg);
      if (!active[arg])
        inactiveArgs.insert(arg.getArgNumber());
    }
    body.walk<WalkOrder::PreOrder>([&](Operation *op) {
      bool in = llvm::any_of(op->getOperands(),
                             [&](Value v) { return active.lookup(v); });
      if (!in && op->getNumRegions() != 0) {
        llvm::SetVector<Value> used;
        for (Region &region : op->getRegions())
          getUsedValuesDefinedAbove(region, used);
        in = llvm::any_of(used, [&](Value v) { return active.lookup(v); });
      }
      for (Value result : op->getResults())
        active[result] = in;
      for (Region &region : op->getRegions())
        for (Block &block : region)
          for (Value arg : block.getArguments())
            active[arg] = in;
      if (!in)
        op->setAttr(kInactiveAttr, UnitAttr::get(op->getContext()));
    });
  }
  Activity(const Activity &) = delete;
  /// Takes the marks off again.
  ~Activity() {
    body.walk([](Operation *op) { op->removeAttr(kInactiveAttr); });
  }

  bool isActive(Value v) const {
    if (auto arg = dyn_cast<BlockArgument>(v)) {
      if (arg.getOwner() == &body)
        return !inactiveArgs.contains(arg.getArgNumber());
      Operation *parent = arg.getOwner()->getParentOp();
      return !parent || !parent->hasAttr(kInactiveAttr);
    }
    Operation *def = v.getDefiningOp();
    return !def || !def->hasAttr(kInactiveAttr);
  }

private:
  Block &body;
  llvm::SmallDenseSet<unsigned> inactiveArgs;
};

/// Propagates adjoints backwards over a list of ops. Ops with
/// GradientOpInterface contribute their VJPs; `scf.for` loops are reversed
/// with their intermediates saved (see reverseLoop).
class ReverseWalker {
public:
  /// `active`: the activity of the function walked (a value the walk made
  /// counts as active).
  ReverseWalker(OpBuilder &builder, Location loc, const Activity &active)
      : builder(builder), m(builder, loc), active(active) {}

  /// Walks `ops` (in forward order) backwards, emitting VJPs at the
  /// builder's insertion point and accumulating into `adjoint`. A loop the
  /// walk reverses is erased: its entry of `ops` becomes null and its
  /// results leave `adjoint` (a value made later may take an erased one's
  /// address; a map keyed by it would answer for the new one).
  LogicalResult run(MutableArrayRef<Operation *> ops,
                    DenseMap<Value, Value> &adjoint);

private:
  /// Adds `g` to the adjoint of `value`. An inactive value (computed from
  /// data and constants alone) gets none: nothing reads it, and the ops
  /// that compute it are then never reached (an augmentation's resampling
  /// of the input, which has no gradient rule, included).
  void accumulate(DenseMap<Value, Value> &adjoint, Value value, Value g) {
    if (!g || !isDifferentiable(value) || !isActive(value))
      return;
    g = m.sumToShape(g, cast<RankedTensorType>(value.getType()));
    Value &acc = adjoint[value];
    acc = acc ? m.accumulate(acc, g) : g;
  }
  LogicalResult reverseLoop(scf::ForOp loop, DenseMap<Value, Value> &adjoint);
  scf::ForOp stackStepValues(scf::ForOp reverse, Value k, Value count,
                             ArrayRef<StackedValue> values);
  void saveProducts(scf::ForOp loop, scf::ForOp &recording, IRMapping &recorded,
                    ArrayRef<Operation *> alive, Value k, Value count);
  Value slotsOf(Value stack, Value first, Value count);
  Value rowsOf(Value stack, Value first, Value count);

  bool isActive(Value v) const { return active.isActive(v); }

  OpBuilder &builder;
  GradientBuilder m;
  const Activity &active;
};

} // namespace

LogicalResult ReverseWalker::run(MutableArrayRef<Operation *> ops,
                                 DenseMap<Value, Value> &adjoint) {
  for (Operation *&op : llvm::reverse(ops)) {
    SmallVector<Value> resultGrads;
    bool reached = false;
    for (Value result : op->getResults()) {
      Value g = adjoint.lookup(result);
      reached |= bool(g);
      resultGrads.push_back(g);
    }
    if (!reached)
      continue;
    if (auto loop = dyn_cast<scf::ForOp>(op)) {
      if (failed(reverseLoop(loop, adjoint)))
        return failure();
      op = nullptr;
      continue;
    }
    if (llvm::none_of(op->getOperands(), isDifferentiable))
      continue;
    auto iface = dyn_cast<GradientOpInterface>(op);
    if (!iface)
      return op->emitOpError("is not differentiable (no gradient rule)"),
             failure();
    for (auto [g, result] : llvm::zip(resultGrads, op->getResults()))
      if (!g)
        g = m.zerosLike(result);
    SmallVector<Value> operandGrads;
    if (failed(iface.buildVjp(builder, resultGrads, operandGrads)))
      return failure();
    assert(operandGrads.size() == op->getNumOperands() &&
           "a VJP rule returns one gradient per operand");
    for (auto [operand, g] : llvm::zip(op->getOperands(), operandGrads))
      accumulate(adjoint, operand, g);
  }
  return success();
}

/// Reverses `scf.for %i = lb to ub step s iter_args(%a = init) { body }`:
///  1. the forward loop is rebuilt to also record every iteration's
///     differentiable iter_args in stacks (tensor<N+1 x T>, N the trip
///     count): the inits in slot 0, and what iteration k yields in slot
///     k + 1, inserted after the op that computes it (so that one kernel
///     can store both), slot N the final values;
///  2. a reverse loop runs k = N-1 .. 0: it reloads a_k from the stacks,
///     recomputes the body on it, and walks the body backwards from the
///     adjoints of its yields, carrying the adjoints of the iter_args and
///     summing those of the values the body captures from above; the
///     VJPs read the values the body yields from the stacks too (slot
///     k + 1), so what only computed those is not recomputed;
///  3. the adjoints of the inits and of the captured values join `adjoint`.
/// Memory is one saved state per iteration (the carried values only), plus
/// the matrix products the VJPs read (an LSTM's gates read their
/// pre-activation, h w + x + b: saveProducts); the body's other
/// intermediates, elementwise, are recomputed, as checkpointing at
/// iteration granularity does.
/// A captured value whose gradient an iteration computes as `X_k^T D_k`, X_k
/// a saved state (a recurrent kernel's: the state times the adjoint of the
/// pre-activation), or one times a mask from outside the loop (recurrent
/// dropout), is not summed in the reverse loop: the loop stacks D_k
/// (slot k of a tensor<N x ...>) and one product after it sums over every
/// iteration's rows at once, `X^T D` with X the states' stack (times the mask)
/// and D the D_k's, each seen as (N * rows, columns); a sum of D_k's rows (a
/// bias the iteration adds) becomes one sum over D's rows. One large product
/// instead of N small ones and N accumulations of the kernel's size. Likewise a
/// sequence that iteration k reads step k of (a recurrent layer's input
/// projection): its gradient is the stack of the steps' gradients with
/// time and batch swapped, not a sequence of zeros the loop adds each step
/// into (a fill and N step-sized adds); the stack is D's when the step's
/// gradient is D_k.
LogicalResult ReverseWalker::reverseLoop(scf::ForOp loop,
                                         DenseMap<Value, Value> &adjoint) {
  Location loc = loop.getLoc();
  OpBuilder::InsertionGuard guard(builder);
  OpBuilder::InsertPoint walkPoint = builder.saveInsertionPoint();
  SmallVector<Value> resultGrads;
  for (Value result : loop.getResults())
    resultGrads.push_back(adjoint.lookup(result));

  // Which iter_args carry gradients, and the captured values.
  SmallVector<unsigned> carried;
  for (auto [t, arg] : llvm::enumerate(loop.getRegionIterArgs())) {
    if (isDifferentiable(arg))
      carried.push_back(t);
    else if (!arg.use_empty())
      return loop.emitOpError("carries a non-float value (iter_arg #")
                 << t << ") that its body reads; autodiff saves float "
                 << "tensors only",
             failure();
  }
  llvm::SetVector<Value> capturedSet;
  getUsedValuesDefinedAbove(loop.getRegion(), capturedSet);
  // The captured values whose gradients are read: not a dropout mask.
  SmallVector<Value> captured;
  for (Value v : capturedSet)
    if (isDifferentiable(v) && isActive(v))
      captured.push_back(v);

  // 1. The forward loop, recording each iteration's carried values.
  builder.setInsertionPoint(loop);
  Value lb = loop.getLowerBound(), ub = loop.getUpperBound(),
        step = loop.getStep();
  if (!lb.getType().isIndex())
    return loop.emitOpError("differentiation needs index-typed bounds"),
           failure();
  Value c0 = arith::ConstantIndexOp::create(builder, loc, 0);
  Value c1 = arith::ConstantIndexOp::create(builder, loc, 1);
  Value span = arith::SubIOp::create(builder, loc, ub, lb);
  Value count = arith::MaxSIOp::create(
      builder, loc, c0, arith::CeilDivSIOp::create(builder, loc, span, step));
  // A carried value that the body only writes steps into, as the sequence
  // of a `kiln.sequence_insert` yielded straight back (a return_sequences
  // layer's outputs), is never read by the body or by its VJPs (they need
  // the step and the value's shape only): it gets no stack. Saving it would
  // copy the whole sequence at every step, T^2 of memory traffic.
  Operation *terminator = loop.getBody()->getTerminator();
  auto writtenOnly = [&](unsigned t) {
    BlockArgument arg = loop.getRegionIterArgs()[t];
    if (!arg.hasOneUse())
      return false;
    auto insert = dyn_cast<SequenceInsertOp>(*arg.getUsers().begin());
    if (!insert || insert.getSequence() != arg ||
        !insert.getResult().hasOneUse())
      return false;
    OpOperand &use = *insert.getResult().getUses().begin();
    return use.getOwner() == terminator && use.getOperandNumber() == t;
  };
  // stackOf[n]: the stack of carried[n], or -1.
  SmallVector<int> stackOf;
  SmallVector<unsigned> saved;
  for (unsigned t : carried) {
    stackOf.push_back(writtenOnly(t) ? -1 : int(saved.size()));
    if (stackOf.back() >= 0)
      saved.push_back(t);
  }
  SmallVector<Value> stacks;
  for (unsigned t : saved) {
    Value init = loop.getInitArgs()[t];
    auto type = cast<RankedTensorType>(init.getType());
    SmallVector<Value> sizes;
    for (int64_t d = 0; d < type.getRank(); ++d)
      if (type.isDynamicDim(d))
        sizes.push_back(tensor::DimOp::create(builder, loc, init, d));
    stacks.push_back(emptyStack(builder, loc,
                                arith::AddIOp::create(builder, loc, count, c1),
                                type, sizes));
  }
  // Slot 0 of each stack: the initial value; iteration k then saves what
  // it yields in slot k + 1, beside the op that computes it (a kernel
  // that can also store the copy), so that slot N is the final value.
  SmallVector<Value> inits(loop.getInitArgs());
  for (auto [n, t] : llvm::enumerate(saved)) {
    Value init = loop.getInitArgs()[t];
    SmallVector<OpFoldResult> offsets, sizes, strides;
    slotOf(builder, loc, c0, init, offsets, sizes, strides);
    inits.push_back(tensor::InsertSliceOp::create(builder, loc, init, stacks[n],
                                                  offsets, sizes, strides));
  }
  // The recording loop's copies of the body's values (saveProducts).
  IRMapping recorded;
  auto recording = scf::ForOp::create(
      builder, loc, lb, ub, step, inits,
      [&](OpBuilder &b, Location bodyLoc, Value iv, ValueRange args) {
        IRMapping &mapping = recorded;
        mapping.map(loop.getInductionVar(), iv);
        mapping.map(loop.getRegionIterArgs(),
                    args.take_front(loop.getNumRegionIterArgs()));
        for (Operation &op : loop.getBody()->without_terminator())
          b.clone(op, mapping);
        SmallVector<Value> yields;
        for (Value v : loop.getBody()->getTerminator()->getOperands())
          yields.push_back(mapping.lookupOrDefault(v));
        Value kNext = arith::AddIOp::create(
            b, bodyLoc,
            arith::DivSIOp::create(
                b, bodyLoc, arith::SubIOp::create(b, bodyLoc, iv, lb), step),
            c1);
        for (auto [n, t] : llvm::enumerate(saved)) {
          Value value = yields[t];
          SmallVector<OpFoldResult> offsets, sizes, strides;
          slotOf(b, bodyLoc, kNext, value, offsets, sizes, strides);
          yields.push_back(tensor::InsertSliceOp::create(
              b, bodyLoc, value, args[loop.getNumRegionIterArgs() + n], offsets,
              sizes, strides));
        }
        scf::YieldOp::create(b, bodyLoc, yields);
      });
  for (auto [old, now] : llvm::zip(loop.getResults(), recording.getResults()))
    old.replaceAllUsesWith(now);

  // 2. The reverse loop, after the forward one (at the walk's position).
  builder.restoreInsertionPoint(walkPoint);
  SmallVector<Value> reverseInits;
  for (unsigned t : carried)
    reverseInits.push_back(
        resultGrads[t] ? resultGrads[t] : m.zerosLike(recording.getResult(t)));
  for (Value c : captured)
    reverseInits.push_back(m.zerosLike(c));
  // The body is filled after the loop exists: walking nested loops needs
  // their parents in place.
  auto reverse = scf::ForOp::create(builder, loc, c0, count, c1, reverseInits);
  SmallVector<HoistedGradient> hoisted(captured.size());
  DenseMap<Value, unsigned> dSlot;
  SmallVector<StackedValue> stackedD;
  bool hoistedAny = false;
  Value stepIndex;
  {
    Block *reverseBody = reverse.getBody();
    if (!reverseBody->empty() && reverseBody->mightHaveTerminator())
      reverseBody->getTerminator()->erase();
    Location bodyLoc = loc;
    Value j = reverse.getInductionVar();
    ValueRange args = reverse.getRegionIterArgs();
    OpBuilder::InsertionGuard inner(builder);
    builder.setInsertionPointToEnd(reverseBody);
    OpBuilder &b = builder;
    // k = N - 1 - j, i = lb + k * step
    Value k = arith::SubIOp::create(
        b, bodyLoc, arith::SubIOp::create(b, bodyLoc, count, c1), j);
    Value iv = arith::AddIOp::create(
        b, bodyLoc, lb, arith::MulIOp::create(b, bodyLoc, k, step));
    IRMapping mapping;
    mapping.map(loop.getInductionVar(), iv);
    // Slot `at` of carried[n]'s stack.
    auto savedAt = [&](unsigned n, Value at) -> Value {
      Value like = loop.getInitArgs()[carried[n]];
      auto type = cast<RankedTensorType>(like.getType());
      SmallVector<OpFoldResult> offsets, sizes, strides;
      slotOf(b, bodyLoc, at, like, offsets, sizes, strides);
      return tensor::ExtractSliceOp::create(
          b, bodyLoc, type,
          recording.getResult(loop.getNumRegionIterArgs() + stackOf[n]),
          offsets, sizes, strides);
    };
    // What iteration k yields for each saved carried value: the state the
    // forward loop saved at k + 1.
    SmallVector<Value> yieldedSaved(carried.size());
    Value kNext = arith::AddIOp::create(b, bodyLoc, k, c1);
    for (auto [n, t] : llvm::enumerate(carried)) {
      // Unsaved (written only): any value of its type stands in, its
      // elements are never read; the forward loop's result is at hand.
      if (stackOf[n] < 0) {
        mapping.map(loop.getRegionIterArgs()[t], recording.getResult(t));
        continue;
      }
      mapping.map(loop.getRegionIterArgs()[t], savedAt(n, k));
      yieldedSaved[n] = savedAt(n, kNext);
    }
    // Recompute the body on the saved state.
    SmallVector<Operation *> ops;
    for (Operation &op : loop.getBody()->without_terminator())
      ops.push_back(b.clone(op, mapping));
    // Seed the yields' adjoints and walk the body backwards.
    DenseMap<Value, Value> local;
    Operation *yield = loop.getBody()->getTerminator();
    for (auto [n, t] : llvm::enumerate(carried)) {
      Value yielded = mapping.lookupOrDefault(yield->getOperand(t));
      Value &acc = local[yielded];
      acc = acc ? m.add(acc, args[n]) : args[n];
    }
    // Which of `ops` computes each carried value the body yields (a nested
    // loop among them is gone after the walk).
    SmallVector<std::optional<size_t>> yieldedBy(carried.size());
    for (auto [n, t] : llvm::enumerate(carried))
      if (Operation *def =
              mapping.lookupOrDefault(yield->getOperand(t)).getDefiningOp())
        if (const auto *at = llvm::find(ops, def); at != ops.end())
          yieldedBy[n] = at - ops.begin();
    if (failed(run(ops, local)))
      return failure();
    // The VJPs read the yielded values (tanh's, 1 - y^2) from the stacks
    // instead of their recomputation, whose ops then go unless something
    // else needs them: a SimpleRNN's backward step no longer multiplies
    // the state by the recurrent kernel again.
    for (auto [n, t] : llvm::enumerate(carried))
      if (yieldedSaved[n] && yieldedBy[n] && ops[*yieldedBy[n]])
        mapping.lookupOrDefault(yield->getOperand(t))
            .replaceAllUsesWith(yieldedSaved[n]);
    // (A nested loop the walk reversed is gone already: null.)
    SmallVector<Operation *> alive(ops.size());
    for (int64_t i = static_cast<int64_t>(ops.size()) - 1; i >= 0; --i) {
      if (!ops[i])
        continue;
      if (!isOpTriviallyDead(ops[i])) {
        alive[i] = ops[i];
        continue;
      }
      for (Value result : ops[i]->getResults())
        local.erase(result);
      ops[i]->erase();
    }
    saveProducts(loop, recording, recorded, alive, k, count);
    SmallVector<Value> next;
    for (auto [n, t] : llvm::enumerate(carried)) {
      Value state = mapping.lookup(loop.getRegionIterArgs()[t]);
      Value g = local.lookup(state);
      next.push_back(g ? g : m.zerosLike(state));
    }
    // The captured values' gradients summed after the loop (products of
    // saved states, and sums of the rows of a product's D), whose
    // accumulators pass through unchanged.
    ValueRange recordedStacks =
        recording.getResults().drop_front(loop.getNumRegionIterArgs());
    for (auto [n, c] : llvm::enumerate(captured)) {
      Value g = local.lookup(c);
      std::optional<StepProduct> p =
          matchStepProduct(g, reverseBody, recordedStacks, k, kNext);
      if (!p)
        continue;
      auto [it, fresh] = dSlot.try_emplace(p->d, stackedD.size());
      if (fresh)
        stackedD.push_back({p->d, p->stack, 1});
      hoisted[n] = {HoistedGradient::Product, it->second, *p, std::nullopt};
    }
    // A sequence read a step an iteration: its gradient is the steps'
    // gradients stacked, not a sum into a sequence of zeros.
    for (auto [n, c] : llvm::enumerate(captured)) {
      if (hoisted[n].kind != HoistedGradient::None || !stepsThrough(loop, c))
        continue;
      Value d = matchStepGradient(local.lookup(c), reverseBody, iv);
      if (!d)
        continue;
      auto [it, fresh] = dSlot.try_emplace(d, stackedD.size());
      if (fresh)
        stackedD.push_back({d, c, 0});
      hoisted[n] = {HoistedGradient::Steps, it->second, {}, std::nullopt};
    }
    for (auto [n, c] : llvm::enumerate(captured)) {
      if (hoisted[n].kind != HoistedGradient::None)
        continue;
      std::optional<SummedRows> sum = matchRowSum(local.lookup(c), reverseBody);
      if (sum && dSlot.count(sum->d))
        hoisted[n] = {
            HoistedGradient::RowSum, dSlot.at(sum->d), {}, std::move(sum)};
    }
    for (auto [n, c] : llvm::enumerate(captured)) {
      Value acc = args[carried.size() + n];
      Value g = local.lookup(c);
      if (hoisted[n].kind != HoistedGradient::None) {
        hoistedAny = true;
        g = Value();
      }
      next.push_back(g ? m.accumulate(acc, g) : acc);
    }
    scf::YieldOp::create(builder, bodyLoc, next);
    stepIndex = k;
  }
  if (!stackedD.empty())
    reverse = stackStepValues(reverse, stepIndex, count, stackedD);
  // What the loop no longer sums, and what only that read (once D is
  // stacked: it may have been their only user).
  if (hoistedAny)
    for (Operation &op :
         llvm::make_early_inc_range(llvm::reverse(*reverse.getBody())))
      if (isOpTriviallyDead(&op))
        op.erase();

  // 3. The inits' and captured values' adjoints.
  for (auto [n, t] : llvm::enumerate(carried))
    accumulate(adjoint, loop.getInitArgs()[t], reverse.getResult(n));
  SmallVector<Value> dRowsOf(stackedD.size());
  for (auto [n, c] : llvm::enumerate(captured)) {
    const HoistedGradient &h = hoisted[n];
    if (h.kind == HoistedGradient::None) {
      accumulate(adjoint, c, reverse.getResult(carried.size() + n));
      continue;
    }
    Value stacked = reverse.getResults().take_back(stackedD.size())[h.dSlot];
    if (h.kind == HoistedGradient::Steps) {
      // Slot k is step k: (T, B, ...) to the sequence's (B, T, ...).
      SmallVector<int64_t> permutation{1, 0};
      for (int64_t d = 2; d < cast<RankedTensorType>(c.getType()).getRank();
           ++d)
        permutation.push_back(d);
      accumulate(adjoint, c,
                 tensor::CastOp::create(builder, loc, c.getType(),
                                        m.transpose(stacked, permutation)));
      continue;
    }
    // Summed over every iteration's rows: D as the reverse loop stacked it.
    Value &dRows = dRowsOf[h.dSlot];
    if (!dRows)
      dRows = rowsOf(stacked, {}, {});
    if (h.kind == HoistedGradient::RowSum) {
      const SummedRows &sum = *h.rowSum;
      Value g = m.reshape(m.reduceSum(dRows, {0}, /*keepDims=*/true), sum.type);
      if (sum.axis) {
        SmallVector<Value> parts;
        for (auto [i, type] : llvm::enumerate(sum.parts))
          parts.push_back(i == sum.position ? g : m.zeros(type));
        g = ConcatOp::create(builder, loc, parts, *sum.axis);
      }
      accumulate(adjoint, c, g);
      continue;
    }
    Value first = h.product.next ? c1 : c0;
    // The slots as rows, unmasked, and as slots (for a mask to multiply):
    // one view each for every block.
    Value xRows, slots;
    SmallVector<Value> columns;
    for (const StepProduct::Columns &block : h.product.blocks) {
      Value rows;
      if (block.mask) {
        if (!slots)
          slots = slotsOf(h.product.stack, first, count);
        rows = rowsOf(m.mul(slots, block.mask), {}, {});
      } else {
        if (!xRows)
          xRows = rowsOf(h.product.stack, first, count);
        rows = xRows;
      }
      // D's rows, or this block's columns of them.
      Value d =
          h.product.blocks.size() == 1
              ? dRows
              : SliceOp::create(builder, loc, dRows, 1, block.start, block.size)
                    .getResult();
      columns.push_back(m.matmul(m.transpose(rows, {1, 0}), d));
    }
    accumulate(adjoint, c,
               columns.size() == 1
                   ? columns.front()
                   : ConcatOp::create(builder, loc, columns, 1).getResult());
  }
  for (Value result : loop.getResults())
    adjoint.erase(result);
  loop.erase();
  return success();
}

/// The products of the reverse body that survive its clean-up (the VJPs
/// read what they feed: an LSTM's gates) are not recomputed: the recording
/// loop also saves each one, followed down the chain of single-use
/// elementwise ops it starts (the gates' pre-activation, input and bias
/// added), in slot k of a stack, and the reverse body reads the slot
/// instead; what only recomputed it goes. `alive[i]`: the reverse body's
/// copy of the loop body's op i, or null once erased. Values whose row
/// count outerDim cannot tell stay recomputed.
void ReverseWalker::saveProducts(scf::ForOp loop, scf::ForOp &recording,
                                 IRMapping &recorded,
                                 ArrayRef<Operation *> alive, Value k,
                                 Value count) {
  DenseMap<Operation *, unsigned> index;
  for (auto [i, op] : llvm::enumerate(loop.getBody()->without_terminator()))
    index[&op] = i;
  SmallVector<unsigned> saved;
  for (auto [i, op] : llvm::enumerate(loop.getBody()->without_terminator())) {
    if (!isa<MatMulOp>(op) || !alive[i])
      continue;
    Operation *end = &op;
    while (end->getResult(0).hasOneUse()) {
      Operation *user = *end->getResult(0).getUsers().begin();
      if (user->getBlock() != loop.getBody() || !alive[index.at(user)] ||
          user->getNumResults() != 1 ||
          user->getResult(0).getType() != end->getResult(0).getType() ||
          !(isa<AddOp, SubOp, MulOp, DivOp>(user) ||
            user->hasTrait<OpTrait::Elementwise>()))
        break;
      end = user;
    }
    unsigned at = index.at(end);
    if (!llvm::is_contained(saved, at))
      saved.push_back(at);
  }
  // In body order: replacing a copy erases what only computed it, all of
  // it before the copy, so no later copy goes.
  llvm::sort(saved);
  // The stacks, each of known size.
  SmallVector<Operation *> originals, copies;
  SmallVector<Value> empties;
  Location loc = loop.getLoc();
  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPoint(recording);
  for (unsigned at : saved) {
    Operation *original = &*std::next(loop.getBody()->begin(), at);
    auto type = cast<RankedTensorType>(original->getResult(0).getType());
    SmallVector<Value> sizes;
    for (int64_t d = 0; d < type.getRank(); ++d) {
      if (!type.isDynamicDim(d))
        continue;
      std::optional<std::pair<Value, int64_t>> dim =
          outerDim(loop, original->getResult(0), d);
      if (!dim)
        break;
      sizes.push_back(
          tensor::DimOp::create(builder, loc, dim->first, dim->second));
    }
    if (sizes.size() != static_cast<size_t>(type.getNumDynamicDims()))
      continue;
    originals.push_back(original);
    copies.push_back(alive[at]);
    empties.push_back(emptyStack(builder, loc, count, type, sizes));
  }
  if (originals.empty())
    return;
  SmallVector<Value> recordedValues;
  for (Operation *original : originals)
    recordedValues.push_back(recorded.lookup(original->getResult(0)));
  Value iv = recording.getInductionVar(), lb = recording.getLowerBound(),
        step = recording.getStep();
  recording = appendStacks(
      builder, recording, empties, recordedValues,
      [&](OpBuilder &b, Location bodyLoc) -> Value {
        return arith::DivSIOp::create(
            b, bodyLoc, arith::SubIOp::create(b, bodyLoc, iv, lb), step);
      });
  // The reverse body reads slot k instead of recomputing.
  ValueRange stacks = recording.getResults().take_back(originals.size());
  for (auto [copy, stack] : llvm::zip(copies, stacks)) {
    builder.setInsertionPoint(copy);
    Value value = copy->getResult(0);
    SmallVector<OpFoldResult> offsets, sizes, strides;
    slotOf(builder, loc, k, value, offsets, sizes, strides, stack);
    value.replaceAllUsesWith(tensor::ExtractSliceOp::create(
        builder, loc, cast<RankedTensorType>(value.getType()), stack, offsets,
        sizes, strides));
    eraseDeadChain(value, copy->getBlock());
  }
}

/// Grows `reverse` by one stack (tensor<N x ...>, N its trip count) per
/// value of `values`, which the iteration with index `k` stores at slot k.
scf::ForOp ReverseWalker::stackStepValues(scf::ForOp reverse, Value k,
                                          Value count,
                                          ArrayRef<StackedValue> values) {
  Location loc = reverse.getLoc();
  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPoint(reverse);
  SmallVector<Value> empties, stacked;
  for (const StackedValue &v : values) {
    auto type = cast<RankedTensorType>(v.value.getType());
    SmallVector<Value> sizes;
    if (type.isDynamicDim(0))
      sizes.push_back(
          tensor::DimOp::create(builder, loc, v.rowsLike, v.rowsDim));
    empties.push_back(emptyStack(builder, loc, count, type, sizes));
    stacked.push_back(v.value);
  }
  return appendStacks(builder, reverse, empties, stacked,
                      [&](OpBuilder &, Location) { return k; });
}

/// Slots [first, first + count) of `stack` (tensor<S x R x C>).
Value ReverseWalker::slotsOf(Value stack, Value first, Value count) {
  Location loc = m.location();
  auto type = cast<RankedTensorType>(stack.getType());
  SmallVector<OpFoldResult> offsets{first, builder.getIndexAttr(0),
                                    builder.getIndexAttr(0)};
  SmallVector<OpFoldResult> sizes{
      count, builder.createOrFold<tensor::DimOp>(loc, stack, 1),
      type.isDynamicDim(2)
          ? builder.createOrFold<tensor::DimOp>(loc, stack, 2)
          : OpFoldResult(builder.getIndexAttr(type.getDimSize(2)))};
  SmallVector<OpFoldResult> strides(3, builder.getIndexAttr(1));
  return tensor::ExtractSliceOp::create(builder, loc, stack, offsets, sizes,
                                        strides);
}

/// The rows of slots [first, first + count) of `stack` (tensor<S x R x C>)
/// as one (count * R) x C matrix; without `first`, every slot's.
Value ReverseWalker::rowsOf(Value stack, Value first, Value count) {
  Location loc = m.location();
  Value rows = tensor::CollapseShapeOp::create(
      builder, loc, stack, SmallVector<ReassociationIndices>{{0, 1}, {2}});
  if (!first)
    return rows;
  Value perSlot = builder.createOrFold<tensor::DimOp>(loc, stack, 1);
  auto type = cast<RankedTensorType>(rows.getType());
  SmallVector<OpFoldResult> offsets{
      builder.createOrFold<arith::MulIOp>(loc, first, perSlot),
      builder.getIndexAttr(0)};
  SmallVector<OpFoldResult> sizes{
      builder.createOrFold<arith::MulIOp>(loc, count, perSlot),
      builder.getIndexAttr(type.getDimSize(1))};
  SmallVector<OpFoldResult> strides(2, builder.getIndexAttr(1));
  return tensor::ExtractSliceOp::create(builder, loc, rows, offsets, sizes,
                                        strides);
}

/// What the reverse pass should see once, not many times: identical ops
/// merged (a recurrent dropout mask that each gate draws alike, Keras's
/// implementation 1, is one mask), and a cell's gates' products by slices
/// of one kernel one product by the kernel (kiln.concat's canonicalization):
/// the reverse pass then saves the masked state once and computes the
/// kernel's gradient as one product, as for a cell without dropout.
static void simplifyForward(func::FuncOp func) {
  IRRewriter rewriter(func.getContext());
  DominanceInfo dominance(func);
  eliminateCommonSubExpressions(rewriter, dominance, func);
  RewritePatternSet patterns(func.getContext());
  ConcatOp::getCanonicalizationPatterns(patterns, func.getContext());
  GreedyRewriteConfig config;
  config.enableFolding(false).enableConstantCSE(false);
  (void)applyPatternsGreedily(func, std::move(patterns), config);
}

FailureOr<func::FuncOp>
mlir::kiln::buildGradientFunction(func::FuncOp forward, ArrayRef<unsigned> wrt,
                                  StringRef gradName) {
  FunctionType forwardType = forward.getFunctionType();
  if (forwardType.getNumResults() == 0 || !forward.getBody().hasOneBlock())
    return forward.emitOpError("needs one block and a loss result to "
                               "differentiate"),
           failure();
  auto lossType = dyn_cast<RankedTensorType>(forwardType.getResult(0));
  if (!lossType || lossType.getRank() != 0 ||
      !isa<FloatType>(lossType.getElementType()))
    return forward.emitOpError("result #0 must be a scalar float loss, got ")
               << forwardType.getResult(0),
           failure();

  // The gradient function: forward's arguments -> (results..., grads...).
  SmallVector<Type> resultTypes(forwardType.getResults());
  for (unsigned i : wrt)
    resultTypes.push_back(forwardType.getInput(i));
  OpBuilder builder(forward);
  builder.setInsertionPointAfter(forward);
  auto grad = func::FuncOp::create(
      builder, forward.getLoc(), gradName,
      builder.getFunctionType(forwardType.getInputs(), resultTypes));
  if (ArrayAttr argAttrs = forward.getAllArgAttrs())
    grad.setAllArgAttrs(argAttrs);
  IRMapping mapping;
  forward.getBody().cloneInto(&grad.getBody(), mapping);
  simplifyForward(grad);
  Block &body = grad.getBody().front();
  auto ret = cast<func::ReturnOp>(body.getTerminator());
  Value loss = ret.getOperand(0);

  // Reverse walk over the forward ops, emitting VJPs before the return.
  builder.setInsertionPoint(ret);
  GradientBuilder m(builder, forward.getLoc());
  DenseMap<Value, Value> adjoint;
  adjoint[loss] = m.scalar(loss, 1.0);
  SmallVector<Operation *> ops;
  for (Operation &op : body.without_terminator())
    ops.push_back(&op);
  SmallVector<Value> roots;
  for (unsigned i : wrt)
    roots.push_back(body.getArgument(i));
  {
    Activity active(body, roots);
    ReverseWalker walker(builder, forward.getLoc(), active);
    if (failed(walker.run(ops, adjoint)))
      return failure();
  }

  SmallVector<Value> results(ret.getOperands());
  for (unsigned i : wrt) {
    Value arg = body.getArgument(i);
    Value g = adjoint.lookup(arg);
    results.push_back(g ? g : m.zerosLike(arg));
  }
  func::ReturnOp::create(builder, ret.getLoc(), results);
  ret.erase();
  return grad;
}

// --kiln-differentiate
namespace {
struct DifferentiatePass
    : public kiln::impl::DifferentiatePassBase<DifferentiatePass> {
  void runOnOperation() override {
    SmallVector<func::FuncOp> targets;
    getOperation().walk([&](func::FuncOp f) {
      if (f->hasAttr("kiln.differentiate"))
        targets.push_back(f);
    });
    SymbolTable symbols(getOperation());
    for (func::FuncOp f : targets) {
      SmallVector<unsigned> wrt, floats;
      for (unsigned i = 0; i < f.getNumArguments(); ++i) {
        if (!isDifferentiable(f.getArgument(i)))
          continue;
        floats.push_back(i);
        if (f.getArgAttr(i, kParamAttrName))
          wrt.push_back(i);
      }
      FailureOr<func::FuncOp> grad = buildGradientFunction(
          f, wrt.empty() ? floats : wrt, (f.getName() + "_grad").str());
      if (failed(grad))
        return signalPassFailure();
      symbols.insert(*grad);
    }
  }
};
} // namespace
