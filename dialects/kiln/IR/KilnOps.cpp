//===- KilnOps.cpp - kiln op verifiers, folders, patterns -------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// The shape rules of every kiln op (verifiers whose messages name the
// dimensions involved), folders, and canonicalization patterns.
//===----------------------------------------------------------------------===//

#include "dialects/kiln/IR/KilnDialect.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>

using namespace mlir;
using namespace mlir::kiln;

#define GET_OP_CLASSES
#include "dialects/kiln/IR/KilnOps.cpp.inc"

/// Renders a shape as Keras/NumPy do: "(4, ?, 3)".
static std::string formatShape(ArrayRef<int64_t> shape) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << '(';
  llvm::interleaveComma(shape, os, [&](int64_t dim) {
    if (ShapedType::isDynamic(dim))
      os << '?';
    else
      os << dim;
  });
  os << (shape.size() == 1 ? ",)" : ")");
  return text;
}

/// True when two dimensions may be equal at run time.
static bool compatibleDims(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}

/// Checks that `actual` matches the shape a rule derived, dimension by
/// dimension, and names the first mismatch.
static LogicalResult verifyResultShape(Operation *op, ArrayRef<int64_t> actual,
                                       ArrayRef<int64_t> expected) {
  if (actual.size() != expected.size())
    return op->emitOpError("result rank ")
           << actual.size() << " does not match expected rank "
           << expected.size() << " of shape " << formatShape(expected);
  for (auto [i, pair] : llvm::enumerate(llvm::zip(actual, expected)))
    if (!compatibleDims(std::get<0>(pair), std::get<1>(pair)))
      return op->emitOpError("result shape ")
             << formatShape(actual) << " does not match expected shape "
             << formatShape(expected) << " (dimension " << i << ")";
  return success();
}

FailureOr<SmallVector<int64_t>>
mlir::kiln::broadcastShapes(ArrayRef<int64_t> lhs, ArrayRef<int64_t> rhs,
                            std::string &reason) {
  size_t rank = std::max(lhs.size(), rhs.size());
  SmallVector<int64_t> result(rank);
  for (size_t i = 0; i < rank; ++i) {
    // Align at the trailing dimension; missing leading dimensions are 1.
    int64_t l = i < rank - lhs.size() ? 1 : lhs[i - (rank - lhs.size())];
    int64_t r = i < rank - rhs.size() ? 1 : rhs[i - (rank - rhs.size())];
    if (l == 1) {
      result[i] = r;
    } else if (r == 1) {
      result[i] = l;
    } else if (ShapedType::isDynamic(l)) {
      result[i] = r;
    } else if (ShapedType::isDynamic(r) || l == r) {
      result[i] = l;
    } else {
      llvm::raw_string_ostream os(reason);
      os << "operands are not broadcast-compatible: " << formatShape(lhs)
         << " vs " << formatShape(rhs) << " (result dimension " << i << " is "
         << l << " vs " << r << ")";
      return failure();
    }
  }
  return result;
}

//===----------------------------------------------------------------------===//
// ConstantOp
//===----------------------------------------------------------------------===//

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

//===----------------------------------------------------------------------===//
// MatMulOp
//===----------------------------------------------------------------------===//

/// Accepts any result type: the verifier compares it with the inferred one
/// and names the mismatching dimension.
static bool deferToVerifier(TypeRange, TypeRange) { return true; }

/// Appends the result type a shape rule derived for `op` ("kiln.matmul"),
/// or reports why it could not.
static LogicalResult addInferred(StringRef op, std::optional<Location> loc,
                                 FailureOr<SmallVector<int64_t>> shape,
                                 StringRef reason, Type element,
                                 SmallVectorImpl<Type> &types) {
  if (failed(shape))
    return emitOptionalError(loc, "'", op, "' op ", reason);
  types.push_back(RankedTensorType::get(*shape, element));
  return success();
}

/// The operands' ranked types, or failure for unranked operands (which the
/// ODS constraints reject with their own message).
static std::optional<RankedTensorType> rankedType(Value v) {
  if (auto type = dyn_cast<RankedTensorType>(v.getType()))
    return type;
  return std::nullopt;
}

/// The result shape of matmul: (..., K) x (K, N) -> (..., N); the leading
/// dimensions of lhs are kept (Keras applies Dense to the last axis).
static FailureOr<SmallVector<int64_t>>
matmulShape(RankedTensorType lhs, RankedTensorType rhs, std::string &reason) {
  llvm::raw_string_ostream os(reason);
  if (lhs.getRank() < 2 || rhs.getRank() != 2) {
    os << "expects an lhs of rank >= 2 and a rank-2 rhs, got "
       << formatShape(lhs.getShape()) << " and " << formatShape(rhs.getShape());
    return failure();
  }
  for (int64_t d : lhs.getShape().drop_front().drop_back())
    if (ShapedType::isDynamic(d)) {
      os << "only the leading dimension of lhs may be dynamic, got "
         << formatShape(lhs.getShape());
      return failure();
    }
  int64_t lhsInner = lhs.getShape().back(), rhsInner = rhs.getDimSize(0);
  if (!compatibleDims(lhsInner, rhsInner)) {
    os << "inner dimensions differ: " << lhsInner << " vs " << rhsInner;
    return failure();
  }
  SmallVector<int64_t> shape(lhs.getShape().drop_back());
  shape.push_back(rhs.getDimSize(1));
  return shape;
}

/// The result type of a contraction `op` of `lhs` and `rhs` by its shape
/// rule `shapeOf`.
template <typename ShapeFn>
static LogicalResult inferContraction(StringRef op, std::optional<Location> loc,
                                      Value lhsValue, Value rhsValue,
                                      ShapeFn shapeOf,
                                      SmallVectorImpl<Type> &types) {
  auto lhs = rankedType(lhsValue), rhs = rankedType(rhsValue);
  if (!lhs || !rhs)
    return failure();
  std::string reason;
  auto shape = shapeOf(*lhs, *rhs, reason);
  return addInferred(op, loc, shape, reason, lhs->getElementType(), types);
}

LogicalResult MatMulOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  return inferContraction("kiln.matmul", loc, adaptor.getLhs(),
                          adaptor.getRhs(), matmulShape, types);
}

bool MatMulOp::isCompatibleReturnTypes(TypeRange l, TypeRange r) {
  return deferToVerifier(l, r);
}

/// The result shape of batch_matmul: (B, M, K) x (B, K, N) -> (B, M, N).
static FailureOr<SmallVector<int64_t>> batchMatmulShape(RankedTensorType lhs,
                                                        RankedTensorType rhs,
                                                        std::string &reason) {
  llvm::raw_string_ostream os(reason);
  if (lhs.getRank() != 3 || rhs.getRank() != 3) {
    os << "expects rank-3 operands, got " << formatShape(lhs.getShape())
       << " and " << formatShape(rhs.getShape());
    return failure();
  }
  for (RankedTensorType t : {lhs, rhs})
    if (llvm::any_of(t.getShape().drop_front(), ShapedType::isDynamic)) {
      os << "only the batch dimension may be dynamic, got "
         << formatShape(t.getShape());
      return failure();
    }
  if (!compatibleDims(lhs.getDimSize(0), rhs.getDimSize(0))) {
    os << "batch dimensions differ: " << lhs.getDimSize(0) << " vs "
       << rhs.getDimSize(0);
    return failure();
  }
  if (lhs.getDimSize(2) != rhs.getDimSize(1)) {
    os << "inner dimensions differ: " << lhs.getDimSize(2) << " vs "
       << rhs.getDimSize(1);
    return failure();
  }
  int64_t batch = ShapedType::isDynamic(lhs.getDimSize(0)) ? rhs.getDimSize(0)
                                                           : lhs.getDimSize(0);
  return SmallVector<int64_t>{batch, lhs.getDimSize(1), rhs.getDimSize(2)};
}

LogicalResult BatchMatMulOp::inferReturnTypes(MLIRContext *,
                                              std::optional<Location> loc,
                                              Adaptor adaptor,
                                              SmallVectorImpl<Type> &types) {
  return inferContraction("kiln.batch_matmul", loc, adaptor.getLhs(),
                          adaptor.getRhs(), batchMatmulShape, types);
}

bool BatchMatMulOp::isCompatibleReturnTypes(TypeRange l, TypeRange r) {
  return deferToVerifier(l, r);
}

LogicalResult BatchMatMulOp::verify() {
  std::string reason;
  FailureOr<SmallVector<int64_t>> shape =
      batchMatmulShape(getLhs().getType(), getRhs().getType(), reason);
  if (failed(shape))
    return emitOpError(reason);
  return verifyResultShape(*this, getType().getShape(), *shape);
}

LogicalResult MatMulOp::verify() {
  std::string reason;
  FailureOr<SmallVector<int64_t>> shape =
      matmulShape(getLhs().getType(), getRhs().getType(), reason);
  if (failed(shape))
    return emitOpError(reason);
  return verifyResultShape(*this, getType().getShape(), *shape);
}

//===----------------------------------------------------------------------===//
// Broadcasting binary ops
//===----------------------------------------------------------------------===//

/// The shared verifier of add/sub/mul/div.
static LogicalResult verifyBroadcastBinary(Operation *op) {
  auto lhs = cast<RankedTensorType>(op->getOperand(0).getType());
  auto rhs = cast<RankedTensorType>(op->getOperand(1).getType());
  auto result = cast<RankedTensorType>(op->getResult(0).getType());
  std::string reason;
  FailureOr<SmallVector<int64_t>> shape =
      broadcastShapes(lhs.getShape(), rhs.getShape(), reason);
  if (failed(shape))
    return op->emitOpError(reason);
  return verifyResultShape(op, result.getShape(), *shape);
}

/// The shared shape rule of add/sub/mul/div (and, with an i1 `element`, of
/// the comparisons and logical ops): the NumPy broadcast.
static LogicalResult inferBroadcastBinary(StringRef name, Value lhs, Value rhs,
                                          std::optional<Location> loc,
                                          SmallVectorImpl<Type> &types,
                                          Type element = {}) {
  auto l = rankedType(lhs), r = rankedType(rhs);
  if (!l || !r)
    return failure();
  std::string reason;
  auto shape = broadcastShapes(l->getShape(), r->getShape(), reason);
  return addInferred(("kiln." + name).str(), loc, shape, reason,
                     element ? element : l->getElementType(), types);
}

/// add/sub/mul/div/maximum/minimum: the broadcast, and one element type.
static LogicalResult verifyArithmetic(Operation *op) {
  Type element = getElementTypeOrSelf(op->getResult(0).getType());
  for (Value operand : op->getOperands())
    if (getElementTypeOrSelf(operand.getType()) != element)
      return op->emitOpError("operand element type ")
             << getElementTypeOrSelf(operand.getType())
             << " differs from the result's " << element;
  return verifyBroadcastBinary(op);
}

#define KILN_BROADCAST_BINARY(Op, name)                                        \
  LogicalResult Op::verify() { return verifyArithmetic(*this); }               \
  LogicalResult Op::inferReturnTypes(                                          \
      MLIRContext *, std::optional<Location> loc, Adaptor adaptor,             \
      SmallVectorImpl<Type> &types) {                                          \
    return inferBroadcastBinary(name, adaptor.getLhs(), adaptor.getRhs(), loc, \
                                types);                                        \
  }                                                                            \
  bool Op::isCompatibleReturnTypes(TypeRange l, TypeRange r) {                 \
    return deferToVerifier(l, r);                                              \
  }
KILN_BROADCAST_BINARY(AddOp, "add")
KILN_BROADCAST_BINARY(SubOp, "sub")
KILN_BROADCAST_BINARY(MulOp, "mul")
KILN_BROADCAST_BINARY(DivOp, "div")
KILN_BROADCAST_BINARY(RemOp, "rem")
KILN_BROADCAST_BINARY(MaximumOp, "maximum")
KILN_BROADCAST_BINARY(MinimumOp, "minimum")
#undef KILN_BROADCAST_BINARY

//===----------------------------------------------------------------------===//
// ReluOp
//===----------------------------------------------------------------------===//

namespace {
// relu(relu(x)) -> relu(x)
struct FoldReluOfRelu : public OpRewritePattern<ReluOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ReluOp op,
                                PatternRewriter &rewriter) const override {
    auto inner = op.getInput().getDefiningOp<ReluOp>();
    if (!inner)
      return rewriter.notifyMatchFailure(op, "operand is not a relu");
    rewriter.replaceOp(op, inner.getResult());
    return success();
  }
};
} // namespace

void ReluOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                         MLIRContext *context) {
  results.add<FoldReluOfRelu>(context);
}

//===----------------------------------------------------------------------===//
// SoftmaxOp
//===----------------------------------------------------------------------===//

/// Checks the `axis` of a normalization over a tensor of `type`.
static LogicalResult
verifyNormalizationAxis(Operation *op, RankedTensorType type, int64_t axis) {
  int64_t rank = type.getRank();
  if (rank == 0)
    return op->emitOpError("expects an operand of rank >= 1");
  if (axis < -rank || axis >= rank)
    return op->emitOpError("axis ")
           << axis << " is out of range for rank " << rank;
  return success();
}

LogicalResult SoftmaxOp::verify() {
  return verifyNormalizationAxis(*this, getType(), getAxis());
}

//===----------------------------------------------------------------------===//
// CumSumOp
//===----------------------------------------------------------------------===//

int64_t CumSumOp::getNormalizedAxis() {
  int64_t axis = static_cast<int64_t>(getAxis());
  return axis < 0 ? axis + getType().getRank() : axis;
}

LogicalResult CumSumOp::verify() {
  if (failed(verifyNormalizationAxis(*this, getType(), getAxis())))
    return failure();
  if (getType().isDynamicDim(getNormalizedAxis()))
    return emitOpError("sums along axis ")
           << getAxis() << " of " << formatShape(getType().getShape())
           << ", which must be static";
  return success();
}

//===----------------------------------------------------------------------===//
// ReshapeOp
//===----------------------------------------------------------------------===//

/// Number of elements of `shape` from `begin` on; all must be static.
static int64_t countElements(ArrayRef<int64_t> shape, size_t begin) {
  int64_t count = 1;
  for (int64_t dim : shape.drop_front(begin))
    count *= dim;
  return count;
}

LogicalResult ReshapeOp::verify() {
  ArrayRef<int64_t> in = getInput().getType().getShape();
  ArrayRef<int64_t> out = getType().getShape();
  if (getInput().getType().getElementType() != getType().getElementType())
    return emitOpError("changes the element type (")
           << getInput().getType().getElementType() << " -> "
           << getType().getElementType() << "); kiln.cast does that";
  auto dynamicAt = [](ArrayRef<int64_t> shape, size_t i) {
    return i < shape.size() && ShapedType::isDynamic(shape[i]);
  };
  for (auto shape : {in, out})
    for (size_t i = 1; i < shape.size(); ++i)
      if (ShapedType::isDynamic(shape[i]))
        return emitOpError("only the leading (batch) dimension may be "
                           "dynamic, got ")
               << formatShape(shape);
  bool batched = dynamicAt(in, 0) || dynamicAt(out, 0);
  if (batched && !(dynamicAt(in, 0) && dynamicAt(out, 0)))
    return emitOpError("the dynamic batch dimension must stay in place: ")
           << formatShape(in) << " -> " << formatShape(out);
  size_t begin = batched ? 1 : 0;
  int64_t inCount = countElements(in, begin),
          outCount = countElements(out, begin);
  // A batched reshape may also merge leading per-sample dimensions into the
  // batch ((?, T, K) -> (?, K): rows become batch x T) or split them back
  // out; the counts then divide each other.
  if (inCount != outCount &&
      !(batched && outCount > 0 && inCount > 0 &&
        (inCount % outCount == 0 || outCount % inCount == 0)))
    return emitOpError("element counts differ: ")
           << formatShape(in) << " holds " << inCount
           << (batched ? " per sample" : "") << ", " << formatShape(out)
           << " holds " << outCount;
  return success();
}

// reshape(x : T -> T) -> x;  reshape(reshape(x)) -> reshape(x)
OpFoldResult ReshapeOp::fold(FoldAdaptor) {
  if (getInput().getType() == getType())
    return getInput();
  if (auto producer = getInput().getDefiningOp<ReshapeOp>()) {
    getInputMutable().assign(producer.getInput());
    return getResult();
  }
  return {};
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

/// Normalizes `axes` against `rank`; fails (with `reason`) on duplicates or
/// out-of-range axes.
static FailureOr<SmallVector<int64_t>>
normalizeAxes(ArrayRef<int64_t> axes, int64_t rank, std::string &reason) {
  SmallVector<int64_t> result;
  for (int64_t axis : axes) {
    if (axis < -rank || axis >= rank) {
      reason = "axis " + std::to_string(axis) + " is out of range for rank " +
               std::to_string(rank);
      return failure();
    }
    result.push_back(axis < 0 ? axis + rank : axis);
  }
  llvm::sort(result);
  if (std::adjacent_find(result.begin(), result.end()) != result.end()) {
    reason = "axes must be distinct";
    return failure();
  }
  return result;
}

/// The shape rule of reduce_sum/reduce_mean.
static FailureOr<SmallVector<int64_t>> reduceShape(ArrayRef<int64_t> in,
                                                   ArrayRef<int64_t> axesAttr,
                                                   bool keepDims,
                                                   std::string &reason) {
  auto axes = normalizeAxes(axesAttr, in.size(), reason);
  if (failed(axes))
    return failure();
  SmallVector<int64_t> expected;
  for (auto [i, dim] : llvm::enumerate(in)) {
    if (!llvm::is_contained(*axes, int64_t(i)))
      expected.push_back(dim);
    else if (keepDims)
      expected.push_back(1);
  }
  return expected;
}

/// The shared verifier of reduce_sum/reduce_mean.
template <typename OpTy> static LogicalResult verifyReduce(OpTy op) {
  std::string reason;
  auto expected = reduceShape(op.getInput().getType().getShape(), op.getAxes(),
                              op.getKeepDims(), reason);
  if (failed(expected))
    return op.emitOpError(reason);
  return verifyResultShape(op, op.getType().getShape(), *expected);
}

template <typename OpTy>
static LogicalResult inferReduce(StringRef name, typename OpTy::Adaptor adaptor,
                                 std::optional<Location> loc,
                                 SmallVectorImpl<Type> &types) {
  auto in = rankedType(adaptor.getInput());
  if (!in)
    return failure();
  std::string reason;
  auto shape = reduceShape(in->getShape(), adaptor.getAxes(),
                           adaptor.getKeepDims(), reason);
  return addInferred(("kiln." + name).str(), loc, shape, reason,
                     in->getElementType(), types);
}

LogicalResult ReduceSumOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  return inferReduce<ReduceSumOp>("reduce_sum", adaptor, loc, types);
}
LogicalResult ReduceMeanOp::inferReturnTypes(MLIRContext *,
                                             std::optional<Location> loc,
                                             Adaptor adaptor,
                                             SmallVectorImpl<Type> &types) {
  return inferReduce<ReduceMeanOp>("reduce_mean", adaptor, loc, types);
}
bool ReduceSumOp::isCompatibleReturnTypes(TypeRange l, TypeRange r) {
  return deferToVerifier(l, r);
}
bool ReduceMeanOp::isCompatibleReturnTypes(TypeRange l, TypeRange r) {
  return deferToVerifier(l, r);
}

template <typename OpTy> static SmallVector<int64_t> normalizedAxesOf(OpTy op) {
  std::string reason;
  auto axes =
      normalizeAxes(op.getAxes(), op.getInput().getType().getRank(), reason);
  assert(succeeded(axes) && "verified op");
  return *axes;
}

LogicalResult ReduceSumOp::verify() { return verifyReduce(*this); }
LogicalResult ReduceMeanOp::verify() { return verifyReduce(*this); }
SmallVector<int64_t> ReduceSumOp::getNormalizedAxes() {
  return normalizedAxesOf(*this);
}
SmallVector<int64_t> ReduceMeanOp::getNormalizedAxes() {
  return normalizedAxesOf(*this);
}

//===----------------------------------------------------------------------===//
// TransposeOp
//===----------------------------------------------------------------------===//

/// The shape rule of transpose: the input's dimensions permuted.
static FailureOr<SmallVector<int64_t>> transposeShape(ArrayRef<int64_t> in,
                                                      ArrayRef<int64_t> perm,
                                                      std::string &reason) {
  llvm::raw_string_ostream os(reason);
  if (perm.size() != in.size()) {
    os << "permutation has " << perm.size()
       << " entries for an operand of rank " << in.size();
    return failure();
  }
  SmallVector<bool> seen(in.size(), false);
  SmallVector<int64_t> expected;
  for (int64_t p : perm) {
    if (p < 0 || p >= int64_t(in.size()) || seen[p]) {
      os << "permutation " << formatShape(perm)
         << " is not a permutation of 0.." << in.size() - 1;
      return failure();
    }
    seen[p] = true;
    expected.push_back(in[p]);
  }
  return expected;
}

LogicalResult TransposeOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  auto in = rankedType(adaptor.getInput());
  if (!in)
    return failure();
  std::string reason;
  auto shape = transposeShape(in->getShape(), adaptor.getPermutation(), reason);
  return addInferred("kiln.transpose", loc, shape, reason, in->getElementType(),
                     types);
}

bool TransposeOp::isCompatibleReturnTypes(TypeRange l, TypeRange r) {
  return deferToVerifier(l, r);
}

LogicalResult TransposeOp::verify() {
  std::string reason;
  auto expected =
      transposeShape(getInput().getType().getShape(), getPermutation(), reason);
  if (failed(expected))
    return emitOpError(reason);
  return verifyResultShape(*this, getType().getShape(), *expected);
}

static bool isIdentityPermutation(ArrayRef<int64_t> perm) {
  for (auto [i, p] : llvm::enumerate(perm))
    if (p != int64_t(i))
      return false;
  return true;
}

// transpose(x, identity) -> x; transpose(transpose(x, p), q) ->
// transpose(x, p o q), which is x when the two undo each other (the layout
// round trips an importer of channels-first models leaves between window
// ops).
OpFoldResult TransposeOp::fold(FoldAdaptor) {
  ArrayRef<int64_t> perm = getPermutation();
  if (isIdentityPermutation(perm) && getInput().getType() == getType())
    return getInput();
  auto inner = getInput().getDefiningOp<TransposeOp>();
  if (!inner)
    return {};
  // result[i] = mid[perm[i]] = input[innerPerm[perm[i]]].
  SmallVector<int64_t> composed;
  for (int64_t p : perm)
    composed.push_back(inner.getPermutation()[p]);
  if (isIdentityPermutation(composed) &&
      inner.getInput().getType() == getType())
    return inner.getInput();
  setPermutation(composed);
  getInputMutable().assign(inner.getInput());
  return getResult();
}

namespace {
// unary(transpose(x)) -> transpose(unary(x)) for an elementwise unary op that
// is the transpose's only user: the transpose moves towards the next one,
// with which it may cancel.
struct SinkTransposeThroughElementwise : public OpRewritePattern<TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(TransposeOp op,
                                PatternRewriter &rewriter) const override {
    if (!op->hasOneUse())
      return rewriter.notifyMatchFailure(op, "more than one use");
    Operation *user = *op->getUsers().begin();
    if (!user->hasTrait<OpTrait::Elementwise>() ||
        user->getNumOperands() != 1 || user->getNumResults() != 1 ||
        user->getNumRegions() != 0 ||
        user->getResult(0).getType() != op.getType())
      return rewriter.notifyMatchFailure(op, "user is no elementwise unary op");
    rewriter.setInsertionPoint(user);
    Operation *moved = rewriter.clone(*user);
    moved->setOperand(0, op.getInput());
    moved->getResult(0).setType(op.getInput().getType());
    rewriter.replaceOpWithNewOp<TransposeOp>(
        user, op.getType(), moved->getResult(0), op.getPermutation());
    return success();
  }
};
} // namespace

void TransposeOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                              MLIRContext *context) {
  results.add<SinkTransposeThroughElementwise>(context);
}

//===----------------------------------------------------------------------===//
// Window ops: conv, extract_patches, fold_patches, max_pool, max_pool_grad
//===----------------------------------------------------------------------===//

int64_t WindowGeometry::taps() const {
  int64_t taps = 1;
  for (int64_t k : window)
    taps *= k;
  return taps;
}

bool WindowGeometry::isPointwise() const {
  for (int64_t i = 0; i < rank(); ++i)
    if (window[i] != 1 || strides[i] != 1 || padLow[i] != 0 || padHigh[i] != 0)
      return false;
  return true;
}

FailureOr<SmallVector<int64_t>>
WindowGeometry::outputSizes(ArrayRef<int64_t> spatial,
                            std::string &reason) const {
  llvm::raw_string_ostream os(reason);
  int64_t d = rank();
  if (d < 1 || d > 3 || static_cast<int64_t>(spatial.size()) != d) {
    os << "expects a channels-last input with 1 to 3 spatial dimensions "
          "matching a window of rank "
       << d << ", got " << spatial.size() << " spatial dimensions";
    return failure();
  }
  auto sized = [&](ArrayRef<int64_t> values, StringRef name) {
    if (static_cast<int64_t>(values.size()) == d)
      return true;
    os << "'" << name << "' has " << values.size() << " values, expected " << d;
    return false;
  };
  if (!sized(strides, "strides") || !sized(dilations, "dilations") ||
      !sized(padLow, "pad_low") || !sized(padHigh, "pad_high"))
    return failure();
  SmallVector<int64_t> out;
  for (int64_t i = 0; i < d; ++i) {
    if (ShapedType::isDynamic(spatial[i])) {
      os << "spatial dimension " << i << " must be static";
      return failure();
    }
    if (window[i] < 1 || strides[i] < 1 || dilations[i] < 1 || padLow[i] < 0 ||
        padHigh[i] < 0) {
      os << "spatial dimension " << i << ": window " << window[i] << ", stride "
         << strides[i] << " and dilation " << dilations[i]
         << " must be positive and the padding (" << padLow[i] << ", "
         << padHigh[i] << ") non-negative";
      return failure();
    }
    int64_t span = dilations[i] * (window[i] - 1) + 1;
    int64_t padded = spatial[i] + padLow[i] + padHigh[i];
    if (span > padded) {
      os << "spatial dimension " << i << ": the window spans " << span
         << " elements, more than the padded input's " << padded;
      return failure();
    }
    out.push_back((padded - span) / strides[i] + 1);
  }
  return out;
}

/// The shape a window op over `input` with `geometry` produces: the batch,
/// the output positions, then `channels`.
static FailureOr<SmallVector<int64_t>>
windowShape(RankedTensorType input, const WindowGeometry &geometry,
            int64_t channels, std::string &reason) {
  ArrayRef<int64_t> shape = input.getShape();
  if (shape.size() < 3) {
    llvm::raw_string_ostream(reason)
        << "expects a channels-last input (batch, spatial..., channels), got "
        << formatShape(shape);
    return failure();
  }
  auto out = geometry.outputSizes(shape.drop_front().drop_back(), reason);
  if (failed(out))
    return failure();
  SmallVector<int64_t> result{shape.front()};
  result.append(*out);
  result.push_back(channels);
  return result;
}

/// `rank` ones: the dilations of pooling windows.
static SmallVector<int64_t> ones(int64_t rank) {
  return SmallVector<int64_t>(rank, 1);
}

/// The geometry of a convolution with `kernel` (K..., C, F).
static WindowGeometry convGeometry(RankedTensorType kernel,
                                   ArrayRef<int64_t> strides,
                                   ArrayRef<int64_t> dilations,
                                   ArrayRef<int64_t> padLow,
                                   ArrayRef<int64_t> padHigh) {
  ArrayRef<int64_t> k = kernel.getShape();
  return {SmallVector<int64_t>(k.drop_back(std::min<size_t>(2, k.size()))),
          SmallVector<int64_t>(strides), SmallVector<int64_t>(dilations),
          SmallVector<int64_t>(padLow), SmallVector<int64_t>(padHigh)};
}

static FailureOr<SmallVector<int64_t>> convShape(RankedTensorType input,
                                                 RankedTensorType kernel,
                                                 const WindowGeometry &g,
                                                 std::string &reason) {
  llvm::raw_string_ostream os(reason);
  if (kernel.getRank() != input.getRank() || !kernel.hasStaticShape()) {
    os << "expects a static kernel (window..., in channels, filters) of rank "
       << input.getRank() << ", got " << formatShape(kernel.getShape());
    return failure();
  }
  int64_t c = input.getShape().back(),
          kc = kernel.getShape().drop_back().back();
  if (!compatibleDims(c, kc)) {
    os << "kernel " << formatShape(kernel.getShape()) << " expects " << kc
       << " input channels, the input " << formatShape(input.getShape())
       << " has " << c;
    return failure();
  }
  return windowShape(input, g, kernel.getShape().back(), reason);
}

WindowGeometry ConvOp::getGeometry() {
  return convGeometry(getKernel().getType(), getStrides(), getDilations(),
                      getPadLow(), getPadHigh());
}
WindowGeometry ExtractPatchesOp::getGeometry() {
  return {SmallVector<int64_t>(getWindow()), SmallVector<int64_t>(getStrides()),
          SmallVector<int64_t>(getDilations()),
          SmallVector<int64_t>(getPadLow()),
          SmallVector<int64_t>(getPadHigh())};
}
WindowGeometry FoldPatchesOp::getGeometry() {
  return {SmallVector<int64_t>(getWindow()), SmallVector<int64_t>(getStrides()),
          SmallVector<int64_t>(getDilations()),
          SmallVector<int64_t>(getPadLow()),
          SmallVector<int64_t>(getPadHigh())};
}
WindowGeometry MaxPoolOp::getGeometry() {
  return {SmallVector<int64_t>(getWindow()), SmallVector<int64_t>(getStrides()),
          ones(getWindow().size()), SmallVector<int64_t>(getPadLow()),
          SmallVector<int64_t>(getPadHigh())};
}
WindowGeometry MaxPoolGradOp::getGeometry() {
  return {SmallVector<int64_t>(getWindow()), SmallVector<int64_t>(getStrides()),
          ones(getWindow().size()), SmallVector<int64_t>(getPadLow()),
          SmallVector<int64_t>(getPadHigh())};
}

/// extract_patches' shape: (N, O..., taps * C).
static FailureOr<SmallVector<int64_t>> patchesShape(RankedTensorType input,
                                                    const WindowGeometry &g,
                                                    std::string &reason) {
  int64_t c = input.getShape().empty() ? 0 : input.getShape().back();
  return windowShape(input, g, ShapedType::isDynamic(c) ? c : g.taps() * c,
                     reason);
}

/// max_pool's shape; each window must hold an input element.
static FailureOr<SmallVector<int64_t>> poolShape(RankedTensorType input,
                                                 const WindowGeometry &g,
                                                 std::string &reason) {
  for (int64_t i = 0; i < g.rank(); ++i)
    if (i < static_cast<int64_t>(g.padLow.size()) &&
        i < static_cast<int64_t>(g.padHigh.size()) &&
        (g.padLow[i] >= g.window[i] || g.padHigh[i] >= g.window[i])) {
      llvm::raw_string_ostream(reason)
          << "spatial dimension " << i << ": padding (" << g.padLow[i] << ", "
          << g.padHigh[i] << ") must be smaller than the window " << g.window[i]
          << " (a window of only padding has no maximum)";
      return failure();
    }
  return windowShape(input, g, input.getShape().back(), reason);
}

LogicalResult ConvOp::inferReturnTypes(MLIRContext *,
                                       std::optional<Location> loc,
                                       Adaptor adaptor,
                                       SmallVectorImpl<Type> &types) {
  auto in = rankedType(adaptor.getInput()),
       kernel = rankedType(adaptor.getKernel());
  if (!in || !kernel)
    return failure();
  std::string reason;
  auto shape = convShape(
      *in, *kernel,
      convGeometry(*kernel, adaptor.getStrides(), adaptor.getDilations(),
                   adaptor.getPadLow(), adaptor.getPadHigh()),
      reason);
  return addInferred("kiln.conv", loc, shape, reason, in->getElementType(),
                     types);
}

LogicalResult ConvOp::verify() {
  std::string reason;
  auto shape = convShape(getInput().getType(), getKernel().getType(),
                         getGeometry(), reason);
  if (failed(shape))
    return emitOpError(reason);
  return verifyResultShape(*this, getType().getShape(), *shape);
}

LogicalResult ExtractPatchesOp::inferReturnTypes(MLIRContext *,
                                                 std::optional<Location> loc,
                                                 Adaptor adaptor,
                                                 SmallVectorImpl<Type> &types) {
  auto in = rankedType(adaptor.getInput());
  if (!in)
    return failure();
  WindowGeometry g{SmallVector<int64_t>(adaptor.getWindow()),
                   SmallVector<int64_t>(adaptor.getStrides()),
                   SmallVector<int64_t>(adaptor.getDilations()),
                   SmallVector<int64_t>(adaptor.getPadLow()),
                   SmallVector<int64_t>(adaptor.getPadHigh())};
  std::string reason;
  auto shape = patchesShape(*in, g, reason);
  return addInferred("kiln.extract_patches", loc, shape, reason,
                     in->getElementType(), types);
}

LogicalResult ExtractPatchesOp::verify() {
  std::string reason;
  auto shape = patchesShape(getInput().getType(), getGeometry(), reason);
  if (failed(shape))
    return emitOpError(reason);
  return verifyResultShape(*this, getType().getShape(), *shape);
}

LogicalResult FoldPatchesOp::inferReturnTypes(MLIRContext *,
                                              std::optional<Location>,
                                              Adaptor adaptor,
                                              SmallVectorImpl<Type> &types) {
  auto like = rankedType(adaptor.getLike());
  if (!like)
    return failure();
  types.push_back(*like);
  return success();
}

LogicalResult FoldPatchesOp::verify() {
  std::string reason;
  auto shape = patchesShape(getLike().getType(), getGeometry(), reason);
  if (failed(shape))
    return emitOpError(reason);
  if (!verifyCompatibleShape(getPatches().getType().getShape(), *shape)
           .succeeded())
    return emitOpError("patches ")
           << formatShape(getPatches().getType().getShape())
           << " do not match the window's patches of the input, "
           << formatShape(*shape);
  return verifyResultShape(*this, getType().getShape(),
                           getLike().getType().getShape());
}

LogicalResult MaxPoolOp::inferReturnTypes(MLIRContext *,
                                          std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &types) {
  auto in = rankedType(adaptor.getInput());
  if (!in)
    return failure();
  WindowGeometry g{SmallVector<int64_t>(adaptor.getWindow()),
                   SmallVector<int64_t>(adaptor.getStrides()),
                   ones(adaptor.getWindow().size()),
                   SmallVector<int64_t>(adaptor.getPadLow()),
                   SmallVector<int64_t>(adaptor.getPadHigh())};
  std::string reason;
  auto shape = poolShape(*in, g, reason);
  return addInferred("kiln.max_pool", loc, shape, reason, in->getElementType(),
                     types);
}

LogicalResult MaxPoolOp::verify() {
  std::string reason;
  auto shape = poolShape(getInput().getType(), getGeometry(), reason);
  if (failed(shape))
    return emitOpError(reason);
  return verifyResultShape(*this, getType().getShape(), *shape);
}

LogicalResult MaxPoolGradOp::inferReturnTypes(MLIRContext *,
                                              std::optional<Location>,
                                              Adaptor adaptor,
                                              SmallVectorImpl<Type> &types) {
  auto in = rankedType(adaptor.getInput());
  if (!in)
    return failure();
  types.push_back(*in);
  return success();
}

LogicalResult MaxPoolGradOp::verify() {
  std::string reason;
  auto shape = poolShape(getInput().getType(), getGeometry(), reason);
  if (failed(shape))
    return emitOpError(reason);
  if (!verifyCompatibleShape(getGrad().getType().getShape(), *shape)
           .succeeded())
    return emitOpError("gradient ")
           << formatShape(getGrad().getType().getShape())
           << " does not match the pooled shape " << formatShape(*shape);
  return verifyResultShape(*this, getType().getShape(),
                           getInput().getType().getShape());
}

#define KILN_DEFER_TO_VERIFIER(Op)                                             \
  bool Op::isCompatibleReturnTypes(TypeRange l, TypeRange r) {                 \
    return deferToVerifier(l, r);                                              \
  }
KILN_DEFER_TO_VERIFIER(ConvOp)
KILN_DEFER_TO_VERIFIER(ExtractPatchesOp)
KILN_DEFER_TO_VERIFIER(FoldPatchesOp)
KILN_DEFER_TO_VERIFIER(MaxPoolOp)
KILN_DEFER_TO_VERIFIER(MaxPoolGradOp)
#undef KILN_DEFER_TO_VERIFIER

//===----------------------------------------------------------------------===//
// SequenceStepOp, SequenceInsertOp
//===----------------------------------------------------------------------===//

/// A sequence's shape without dimension 1 (time).
static FailureOr<SmallVector<int64_t>> stepShape(RankedTensorType sequence,
                                                 std::string &reason) {
  ArrayRef<int64_t> shape = sequence.getShape();
  if (shape.size() < 3) {
    llvm::raw_string_ostream(reason)
        << "expects a sequence (batch, time, features...), got "
        << formatShape(shape);
    return failure();
  }
  SmallVector<int64_t> result{shape[0]};
  result.append(shape.begin() + 2, shape.end());
  return result;
}

LogicalResult SequenceStepOp::inferReturnTypes(MLIRContext *,
                                               std::optional<Location> loc,
                                               Adaptor adaptor,
                                               SmallVectorImpl<Type> &types) {
  auto in = rankedType(adaptor.getInput());
  if (!in)
    return failure();
  std::string reason;
  return addInferred("kiln.sequence_step", loc, stepShape(*in, reason), reason,
                     in->getElementType(), types);
}

bool SequenceStepOp::isCompatibleReturnTypes(TypeRange l, TypeRange r) {
  return deferToVerifier(l, r);
}

LogicalResult SequenceStepOp::verify() {
  std::string reason;
  auto shape = stepShape(getInput().getType(), reason);
  if (failed(shape))
    return emitOpError(reason);
  return verifyResultShape(*this, getType().getShape(), *shape);
}

LogicalResult SequenceInsertOp::inferReturnTypes(MLIRContext *,
                                                 std::optional<Location>,
                                                 Adaptor adaptor,
                                                 SmallVectorImpl<Type> &types) {
  auto sequence = rankedType(adaptor.getSequence());
  if (!sequence)
    return failure();
  types.push_back(*sequence);
  return success();
}

bool SequenceInsertOp::isCompatibleReturnTypes(TypeRange l, TypeRange r) {
  return deferToVerifier(l, r);
}

LogicalResult SequenceInsertOp::verify() {
  std::string reason;
  auto shape = stepShape(getSequence().getType(), reason);
  if (failed(shape))
    return emitOpError(reason);
  if (!verifyCompatibleShape(getValue().getType().getShape(), *shape)
           .succeeded())
    return emitOpError("value ") << formatShape(getValue().getType().getShape())
                                 << " does not match a step "
                                 << formatShape(*shape) << " of the sequence";
  return verifyResultShape(*this, getType().getShape(),
                           getSequence().getType().getShape());
}

//===----------------------------------------------------------------------===//
// GatherOp, ScatterAddOp
//===----------------------------------------------------------------------===//

/// The shape of gathering rows of a `(R, D)` table at `indices`: the
/// indices' shape plus D.
static FailureOr<SmallVector<int64_t>> gatherShape(RankedTensorType table,
                                                   RankedTensorType indices,
                                                   std::string &reason) {
  if (table.getRank() != 2) {
    llvm::raw_string_ostream(reason)
        << "expects a rank-2 table, got " << formatShape(table.getShape());
    return failure();
  }
  SmallVector<int64_t> shape(indices.getShape());
  shape.push_back(table.getDimSize(1));
  return shape;
}

LogicalResult GatherOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  auto table = rankedType(adaptor.getTable());
  auto indices = rankedType(adaptor.getIndices());
  if (!table || !indices)
    return failure();
  std::string reason;
  return addInferred("kiln.gather", loc, gatherShape(*table, *indices, reason),
                     reason, table->getElementType(), types);
}

bool GatherOp::isCompatibleReturnTypes(TypeRange l, TypeRange r) {
  return deferToVerifier(l, r);
}

LogicalResult GatherOp::verify() {
  std::string reason;
  auto shape =
      gatherShape(getTable().getType(), getIndices().getType(), reason);
  if (failed(shape))
    return emitOpError(reason);
  if (getIndices().getType().getRank() == 0)
    return emitOpError("expects indices of rank >= 1");
  if (getTable().getType().isDynamicDim(0) ||
      getTable().getType().getDimSize(0) <= 0)
    return emitOpError("table ") << formatShape(getTable().getType().getShape())
                                 << " needs a static, positive number of rows";
  if (getType().getElementType() != getTable().getType().getElementType())
    return emitOpError("result element type differs from the table's");
  return verifyResultShape(*this, getType().getShape(), *shape);
}

LogicalResult ScatterAddOp::inferReturnTypes(MLIRContext *,
                                             std::optional<Location> loc,
                                             Adaptor adaptor,
                                             SmallVectorImpl<Type> &types) {
  auto updates = rankedType(adaptor.getUpdates());
  if (!updates || updates->getRank() < 1)
    return failure();
  types.push_back(RankedTensorType::get(
      {static_cast<int64_t>(adaptor.getNumRows()), updates->getShape().back()},
      updates->getElementType()));
  return success();
}

bool ScatterAddOp::isCompatibleReturnTypes(TypeRange l, TypeRange r) {
  return deferToVerifier(l, r);
}

LogicalResult ScatterAddOp::verify() {
  if (getNumRows() <= 0)
    return emitOpError("num_rows must be positive, got ") << getNumRows();
  ArrayRef<int64_t> updates = getUpdates().getType().getShape();
  ArrayRef<int64_t> indices = getIndices().getType().getShape();
  if (indices.empty())
    return emitOpError("expects indices of rank >= 1");
  if (updates.size() != indices.size() + 1 ||
      failed(verifyCompatibleShape(updates.drop_back(), indices)))
    return emitOpError("updates ")
           << formatShape(updates) << " are not the indices' shape "
           << formatShape(indices) << " plus one row dimension";
  if (ShapedType::isDynamic(updates.back()))
    return emitOpError("updates ")
           << formatShape(updates) << " need a static row dimension";
  if (getType().getElementType() != getUpdates().getType().getElementType())
    return emitOpError("result element type differs from the updates'");
  return verifyResultShape(
      *this, getType().getShape(),
      {static_cast<int64_t>(getNumRows()), updates.back()});
}

//===----------------------------------------------------------------------===//
// GatherNdOp, ScatterNdAddOp
//===----------------------------------------------------------------------===//

FailureOr<SmallVector<int64_t>>
mlir::kiln::gatherNdShape(ArrayRef<int64_t> data, ArrayRef<int64_t> indices,
                          int64_t batchDims, std::string &reason) {
  llvm::raw_string_ostream os(reason);
  int64_t dataRank = data.size(), indexRank = indices.size();
  if (indexRank == 0) {
    os << "expects indices of rank >= 1";
    return failure();
  }
  if (batchDims < 0 || batchDims >= std::min(dataRank, indexRank)) {
    os << "batch_dims " << batchDims << " must be below both ranks ("
       << formatShape(data) << ", " << formatShape(indices) << ")";
    return failure();
  }
  int64_t r = indices.back();
  if (ShapedType::isDynamic(r) || r < 1 || batchDims + r > dataRank) {
    os << "the indices' last dimension " << formatShape(indices)
       << " must be static and index at most the " << dataRank - batchDims
       << " dimensions of " << formatShape(data)
       << " after the batch dimensions";
    return failure();
  }
  for (int64_t d = 0; d < batchDims; ++d)
    if (!compatibleDims(data[d], indices[d])) {
      os << "batch dimension " << d << " differs: " << formatShape(data)
         << " vs " << formatShape(indices);
      return failure();
    }
  SmallVector<int64_t> shape(indices.drop_back());
  shape.append(data.begin() + batchDims + r, data.end());
  return shape;
}

LogicalResult GatherNdOp::inferReturnTypes(MLIRContext *,
                                           std::optional<Location> loc,
                                           Adaptor adaptor,
                                           SmallVectorImpl<Type> &types) {
  auto data = rankedType(adaptor.getData());
  auto indices = rankedType(adaptor.getIndices());
  if (!data || !indices)
    return failure();
  std::string reason;
  return addInferred("kiln.gather_nd", loc,
                     gatherNdShape(data->getShape(), indices->getShape(),
                                   adaptor.getBatchDims(), reason),
                     reason, data->getElementType(), types);
}

bool GatherNdOp::isCompatibleReturnTypes(TypeRange l, TypeRange r) {
  return deferToVerifier(l, r);
}

LogicalResult GatherNdOp::verify() {
  std::string reason;
  auto shape =
      gatherNdShape(getData().getType().getShape(),
                    getIndices().getType().getShape(), getBatchDims(), reason);
  if (failed(shape))
    return emitOpError(reason);
  if (getType().getElementType() != getData().getType().getElementType())
    return emitOpError("result element type differs from the data's");
  return verifyResultShape(*this, getType().getShape(), *shape);
}

LogicalResult ScatterNdAddOp::verify() {
  std::string reason;
  auto shape =
      gatherNdShape(getLike().getType().getShape(),
                    getIndices().getType().getShape(), getBatchDims(), reason);
  if (failed(shape))
    return emitOpError(reason);
  ArrayRef<int64_t> updates = getUpdates().getType().getShape();
  if (failed(verifyCompatibleShape(updates, *shape)))
    return emitOpError("updates ")
           << formatShape(updates) << " are not the slices "
           << formatShape(*shape) << " the indices pick";
  if (getType() != getLike().getType() ||
      getUpdates().getType().getElementType() != getType().getElementType())
    return emitOpError("expects the result to have like's type and the "
                       "updates' element type");
  return success();
}

//===----------------------------------------------------------------------===//
// ConcatOp, SliceOp
//===----------------------------------------------------------------------===//

/// An I64Attr axis (ODS hands it out as uint64_t) of a rank-`rank` tensor
/// counted from the front (a negative one counts from the back).
static int64_t fromFront(uint64_t attr, int64_t rank) {
  auto axis = static_cast<int64_t>(attr);
  return axis < 0 ? axis + rank : axis;
}

/// The shape of concatenating `shapes` along `axis`.
static FailureOr<SmallVector<int64_t>>
concatShape(ArrayRef<ArrayRef<int64_t>> shapes, int64_t axis,
            std::string &reason) {
  llvm::raw_string_ostream os(reason);
  if (shapes.empty()) {
    os << "expects at least one input";
    return failure();
  }
  int64_t rank = shapes.front().size();
  if (axis < -rank || axis >= rank) {
    os << "axis " << axis << " is out of range for rank " << rank;
    return failure();
  }
  axis = fromFront(axis, rank);
  SmallVector<int64_t> result(shapes.front());
  result[axis] = 0;
  for (ArrayRef<int64_t> shape : shapes) {
    if (static_cast<int64_t>(shape.size()) != rank) {
      os << "inputs differ in rank: " << formatShape(shapes.front()) << " vs "
         << formatShape(shape);
      return failure();
    }
    for (int64_t d = 0; d < rank; ++d) {
      if (d == axis) {
        if (ShapedType::isDynamic(shape[d])) {
          os << "the concatenated axis must be static, got "
             << formatShape(shape);
          return failure();
        }
        result[d] += shape[d];
      } else if (!compatibleDims(shape[d], result[d])) {
        os << "inputs differ in dimension " << d << ": "
           << formatShape(shapes.front()) << " vs " << formatShape(shape);
        return failure();
      } else if (ShapedType::isDynamic(result[d])) {
        result[d] = shape[d];
      }
    }
  }
  return result;
}

LogicalResult ConcatOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  SmallVector<ArrayRef<int64_t>> shapes;
  for (Value v : adaptor.getInputs()) {
    auto t = rankedType(v);
    if (!t)
      return failure();
    shapes.push_back(t->getShape());
  }
  std::string reason;
  auto shape = concatShape(shapes, adaptor.getAxis(), reason);
  Type element = adaptor.getInputs().empty()
                     ? Type()
                     : cast<RankedTensorType>(adaptor.getInputs()[0].getType())
                           .getElementType();
  return addInferred("kiln.concat", loc, shape, reason, element, types);
}

bool ConcatOp::isCompatibleReturnTypes(TypeRange l, TypeRange r) {
  return deferToVerifier(l, r);
}

int64_t ConcatOp::getNormalizedAxis() {
  return fromFront(getAxis(), getType().getRank());
}

LogicalResult ConcatOp::verify() {
  SmallVector<ArrayRef<int64_t>> shapes;
  for (Value v : getInputs())
    shapes.push_back(cast<RankedTensorType>(v.getType()).getShape());
  std::string reason;
  auto shape = concatShape(shapes, getAxis(), reason);
  if (failed(shape))
    return emitOpError(reason);
  for (Value v : getInputs())
    if (cast<RankedTensorType>(v.getType()).getElementType() !=
        getType().getElementType())
      return emitOpError("input element type ")
             << cast<RankedTensorType>(v.getType()).getElementType()
             << " differs from the result's " << getType().getElementType();
  return verifyResultShape(*this, getType().getShape(), *shape);
}

namespace {
/// concat(matmul(a, slice(w, s0, n0)), matmul(a, slice(w, s0 + n0, n1)),
/// ...) along the last axis -> matmul(a, slice(w, s0, n0 + n1 + ...)), or
/// matmul(a, w) when the slices cover w: a product of one input by column
/// ranges of one kernel, side by side, is the product by those columns (a
/// recurrent cell's gates, each its slice of the kernel: Keras's
/// implementation 1). Each run of two or more such parts merges; a product
/// something else reads stays.
struct MergeColumnProducts : public OpRewritePattern<ConcatOp> {
  using OpRewritePattern::OpRewritePattern;

  /// The product `part` is, when only the concatenation reads it: its lhs,
  /// and the column slice of a matrix its rhs is.
  static std::pair<MatMulOp, SliceOp> columnProduct(Value part) {
    auto product = part.getDefiningOp<MatMulOp>();
    if (!product || !product->hasOneUse())
      return {};
    auto slice = product.getRhs().getDefiningOp<SliceOp>();
    if (!slice || slice.getType().getRank() != 2 ||
        slice.getNormalizedAxis() != 1)
      return {};
    return {product, slice};
  }

  LogicalResult matchAndRewrite(ConcatOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getNormalizedAxis() != op.getType().getRank() - 1)
      return rewriter.notifyMatchFailure(op, "not along the last axis");
    SmallVector<Value> parts;
    bool merged = false;
    ValueRange inputs = op.getInputs();
    for (size_t i = 0; i < inputs.size();) {
      auto [first, firstSlice] = columnProduct(inputs[i]);
      size_t end = i + 1;
      int64_t columns = first ? firstSlice.getSize() : 0;
      for (; first && end < inputs.size(); ++end) {
        auto [next, nextSlice] = columnProduct(inputs[end]);
        if (!next || next.getLhs() != first.getLhs() ||
            nextSlice.getInput() != firstSlice.getInput() ||
            nextSlice.getStart() != firstSlice.getStart() + columns)
          break;
        columns += nextSlice.getSize();
      }
      if (end - i < 2) {
        parts.push_back(inputs[i++]);
        continue;
      }
      Value kernel = firstSlice.getInput();
      if (firstSlice.getStart() != 0 ||
          columns != cast<RankedTensorType>(kernel.getType()).getDimSize(1))
        kernel = SliceOp::create(rewriter, firstSlice.getLoc(), kernel, 1,
                                 firstSlice.getStart(), columns);
      parts.push_back(
          MatMulOp::create(rewriter, op.getLoc(), first.getLhs(), kernel));
      merged = true;
      i = end;
    }
    if (!merged)
      return rewriter.notifyMatchFailure(op, "no products of adjacent columns");
    if (parts.size() == 1)
      rewriter.replaceOp(op, parts.front());
    else
      rewriter.replaceOpWithNewOp<ConcatOp>(op, parts, op.getAxis());
    return success();
  }
};
} // namespace

void ConcatOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                           MLIRContext *context) {
  results.add<MergeColumnProducts>(context);
}

static FailureOr<SmallVector<int64_t>> sliceShape(ArrayRef<int64_t> in,
                                                  int64_t axis, int64_t start,
                                                  int64_t size,
                                                  std::string &reason) {
  llvm::raw_string_ostream os(reason);
  int64_t rank = in.size();
  if (axis < -rank || axis >= rank) {
    os << "axis " << axis << " is out of range for rank " << rank;
    return failure();
  }
  axis = fromFront(axis, rank);
  if (ShapedType::isDynamic(in[axis]) || start < 0 || size < 0 ||
      start + size > in[axis]) {
    os << "range [" << start << ", " << start + size << ") is not within axis "
       << axis << " of " << formatShape(in);
    return failure();
  }
  SmallVector<int64_t> result(in);
  result[axis] = size;
  return result;
}

LogicalResult SliceOp::inferReturnTypes(MLIRContext *,
                                        std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &types) {
  auto in = rankedType(adaptor.getInput());
  if (!in)
    return failure();
  std::string reason;
  auto shape = sliceShape(in->getShape(), adaptor.getAxis(), adaptor.getStart(),
                          adaptor.getSize(), reason);
  return addInferred("kiln.slice", loc, shape, reason, in->getElementType(),
                     types);
}

bool SliceOp::isCompatibleReturnTypes(TypeRange l, TypeRange r) {
  return deferToVerifier(l, r);
}

int64_t SliceOp::getNormalizedAxis() {
  return fromFront(getAxis(), getType().getRank());
}

LogicalResult SliceOp::verify() {
  std::string reason;
  auto shape = sliceShape(getInput().getType().getShape(), getAxis(),
                          getStart(), getSize(), reason);
  if (failed(shape))
    return emitOpError(reason);
  if (getType().getElementType() != getInput().getType().getElementType())
    return emitOpError("result element type differs from the input's");
  return verifyResultShape(*this, getType().getShape(), *shape);
}

//===----------------------------------------------------------------------===//
// ZerosOp
//===----------------------------------------------------------------------===//

/// A result of static dimensions but the leading one, `batch_like`'s batch
/// (kiln.zeros, kiln.batch_index).
static LogicalResult verifyBatchLike(Operation *op, RankedTensorType result,
                                     RankedTensorType batchLike) {
  ArrayRef<int64_t> shape = result.getShape(), like = batchLike.getShape();
  if (shape.empty() || like.empty())
    return op->emitOpError("expects a result and a batch_like of rank >= 1");
  if (!compatibleDims(shape[0], like[0]))
    return op->emitOpError("result batch ")
           << formatShape(shape) << " differs from batch_like's "
           << formatShape(like);
  if (llvm::any_of(shape.drop_front(), ShapedType::isDynamic))
    return op->emitOpError("only the leading dimension of the result may be "
                           "dynamic, got ")
           << formatShape(shape);
  return success();
}

LogicalResult ZerosOp::verify() {
  return verifyBatchLike(*this, getType(), getBatchLike().getType());
}

LogicalResult BatchIndexOp::verify() {
  return verifyBatchLike(*this, getType(), getBatchLike().getType());
}

//===----------------------------------------------------------------------===//
// BroadcastOp
//===----------------------------------------------------------------------===//

LogicalResult BroadcastOp::verify() {
  ArrayRef<int64_t> in = getInput().getType().getShape();
  ArrayRef<int64_t> ref = getReference().getType().getShape();
  if (in.size() > ref.size())
    return emitOpError("cannot broadcast rank ")
           << in.size() << " to rank " << ref.size();
  for (size_t j = 0; j < in.size(); ++j) {
    int64_t d = in[j], r = ref[j + ref.size() - in.size()];
    if (d != 1 && !compatibleDims(d, r))
      return emitOpError("cannot broadcast ")
             << formatShape(in) << " to " << formatShape(ref);
  }
  if (getType().getElementType() != getInput().getType().getElementType())
    return emitOpError("result element type differs from the input's");
  return verifyResultShape(*this, getType().getShape(), ref);
}

//===----------------------------------------------------------------------===//
// LogSoftmaxOp, ClipOp, OneHotOp
//===----------------------------------------------------------------------===//

LogicalResult LogSoftmaxOp::verify() {
  return verifyNormalizationAxis(*this, getType(), getAxis());
}

LogicalResult ClipOp::verify() {
  if (!(getMin().convertToDouble() <= getMax().convertToDouble()))
    return emitOpError("min ")
           << getMin().convertToDouble() << " is greater than max "
           << getMax().convertToDouble();
  return success();
}

LogicalResult OneHotOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  auto in = rankedType(adaptor.getInput());
  if (!in)
    return failure();
  SmallVector<int64_t> shape(in->getShape());
  shape.push_back(adaptor.getDepth());
  types.push_back(RankedTensorType::get(shape, in->getElementType()));
  return success();
}

bool OneHotOp::isCompatibleReturnTypes(TypeRange l, TypeRange r) {
  return deferToVerifier(l, r);
}

LogicalResult OneHotOp::verify() {
  if (getDepth() <= 0)
    return emitOpError("depth must be positive, got ") << getDepth();
  SmallVector<int64_t> expected(getInput().getType().getShape());
  expected.push_back(getDepth());
  if (getType().getElementType() != getInput().getType().getElementType())
    return emitOpError("result element type differs from the input's");
  return verifyResultShape(*this, getType().getShape(), expected);
}

//===----------------------------------------------------------------------===//
// Dropout
//===----------------------------------------------------------------------===//

LogicalResult DropoutOp::verify() {
  double rate = getRate().convertToDouble();
  if (!(rate >= 0.0 && rate < 1.0))
    return emitOpError("rate must be in [0, 1), got ") << rate;
  if (std::optional<ArrayRef<int64_t>> noise = getNoiseShape()) {
    ArrayRef<int64_t> shape = getType().getShape();
    if (noise->size() != shape.size())
      return emitOpError("noise_shape has ")
             << noise->size() << " dimensions, the input " << shape.size();
    for (auto [n, d] : llvm::zip(*noise, shape))
      if (n != 1 && n != d && !ShapedType::isDynamic(d))
        return emitOpError("noise_shape dimension ")
               << n << " must be 1 or the input's " << d;
  }
  return success();
}

LogicalResult RandomUniformOp::verify() {
  if (getRng().getType().getShape() != ArrayRef<int64_t>{2})
    return emitOpError("rng must be tensor<2xi64> ([seed, step]), got ")
           << getRng().getType();
  return success();
}

LogicalResult DropoutOp::specializeForInference(RewriterBase &rewriter) {
  rewriter.replaceOp(*this, getInput());
  return success();
}

std::string DropoutOp::getTrainingUnsupportedReason() {
  // A noise_shape needs a draw of that shape: static but the batch.
  if (std::optional<ArrayRef<int64_t>> noise = getNoiseShape())
    for (auto [i, pair] :
         llvm::enumerate(llvm::zip(*noise, getType().getShape())))
      if (i > 0 && std::get<0>(pair) != 1 &&
          ShapedType::isDynamic(std::get<1>(pair)))
        return "dropout's noise_shape spans a dimension of unknown size";
  return "";
}

/// A stable 64-bit hash of the name of the layer at `loc` (FNV-1a): the
/// random stream of the layer's dropout, the same in every compile.
static int64_t layerStream(Location loc) {
  uint64_t hash = 0xcbf29ce484222325ull;
  loc->walk([&](Location l) {
    if (auto named = dyn_cast<NameLoc>(l)) {
      for (char c : named.getName().getValue())
        hash = (hash ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return static_cast<int64_t>(hash);
}

/// A scalar constant of `type`'s element type.
static Value scalarLike(RewriterBase &rewriter, Location loc,
                        RankedTensorType type, double value) {
  auto scalarType = RankedTensorType::get({}, type.getElementType());
  return ConstantOp::create(
      rewriter, loc,
      DenseElementsAttr::get(
          scalarType, rewriter.getFloatAttr(type.getElementType(), value)));
}

/// The opening of a noise op's training form: true, having replaced `op`
/// by its input, when it draws no noise (`noiseless`); an error when the
/// step's rng is missing; false when the form is still to build.
static FailureOr<bool> replacedWhenNoiseless(Operation *op,
                                             RewriterBase &rewriter,
                                             bool noiseless, Value rng) {
  if (noiseless) {
    rewriter.replaceOp(op, op->getOperand(0));
    return true;
  }
  if (!rng)
    return op->emitOpError("a training form needs the step's rng argument");
  return false;
}

// Training: x * (u >= rate) / (1 - rate), u uniform in [0, 1) from the
// step's rng (Keras's inverted dropout; the mask is a constant to autodiff).
LogicalResult DropoutOp::specializeForTraining(
    RewriterBase &rewriter, Value rng,
    SmallVectorImpl<std::pair<Value, Value>> &stateUpdates) {
  std::string reason = getTrainingUnsupportedReason();
  if (!reason.empty())
    return emitOpError(reason);
  double rate = getRate().convertToDouble();
  FailureOr<bool> replaced =
      replacedWhenNoiseless(*this, rewriter, rate == 0.0, rng);
  if (failed(replaced) || *replaced)
    return failure(failed(replaced));
  Location loc = getLoc();
  Value x = getInput();
  auto scalar = [&](double value) {
    return scalarLike(rewriter, loc, getType(), value);
  };
  // One draw per element of the noise shape (the input's, with 1 where
  // noise_shape says 1), broadcast over the rest: SpatialDropout drops whole
  // channels.
  Value like = x;
  if (std::optional<ArrayRef<int64_t>> noise = getNoiseShape()) {
    SmallVector<int64_t> shape(getType().getShape());
    for (auto [d, n] : llvm::zip(shape, *noise))
      if (n == 1)
        d = 1;
    like = ZerosOp::create(
        rewriter, loc, RankedTensorType::get(shape, getType().getElementType()),
        x);
  }
  Value u =
      RandomUniformOp::create(rewriter, loc, like.getType(), like, rng,
                              rewriter.getI64IntegerAttr(layerStream(loc)));
  // step(u - rate + 2^-25) is 1 exactly when u >= rate: u is a multiple of
  // 2^-24 and step is x > 0.
  Value keep = StepOp::create(
      rewriter, loc, SubOp::create(rewriter, loc, u, scalar(rate - 0x1p-25)));
  Value scaled = MulOp::create(rewriter, loc, keep, scalar(1.0 / (1.0 - rate)));
  rewriter.replaceOp(*this,
                     MulOp::create(rewriter, loc, x, scaled).getResult());
  return success();
}

//===----------------------------------------------------------------------===//
// GaussianNoise, AlphaDropout
//===----------------------------------------------------------------------===//

LogicalResult GaussianNoiseOp::verify() {
  double stddev = getStddev().convertToDouble();
  if (!(stddev >= 0.0 && std::isfinite(stddev)))
    return emitOpError("stddev must be a finite number >= 0, got ") << stddev;
  return success();
}

// Training: z = sqrt(-2 log(1 - u1)) cos(2 pi u2) per element (u1 < 1, so
// the log is finite); the noise is a constant to autodiff.
LogicalResult GaussianNoiseOp::specializeForTraining(
    RewriterBase &rewriter, Value rng,
    SmallVectorImpl<std::pair<Value, Value>> &stateUpdates) {
  double stddev = getStddev().convertToDouble();
  FailureOr<bool> replaced =
      replacedWhenNoiseless(*this, rewriter, stddev == 0.0, rng);
  if (failed(replaced) || *replaced)
    return failure(failed(replaced));
  Value x = getInput();
  Location loc = getLoc();
  RankedTensorType type = getType();
  auto constant = [&](double value) {
    return scalarLike(rewriter, loc, type, value);
  };
  int64_t stream = layerStream(loc);
  Value u1 = RandomUniformOp::create(rewriter, loc, type, x, rng,
                                     rewriter.getI64IntegerAttr(stream));
  Value u2 = RandomUniformOp::create(
      rewriter, loc, type, x, rng,
      rewriter.getI64IntegerAttr(int64_t(uint64_t(stream) + 1)));
  Value radius = SqrtOp::create(
      rewriter, loc,
      MulOp::create(rewriter, loc, constant(-2.0),
                    LogOp::create(rewriter, loc,
                                  SubOp::create(rewriter, loc, constant(1.0),
                                                u1))));
  Value z = MulOp::create(
      rewriter, loc, radius,
      CosOp::create(rewriter, loc,
                    MulOp::create(rewriter, loc, constant(2 * M_PI), u2)));
  Value noise = MulOp::create(rewriter, loc, z, constant(stddev));
  Value y = getMultiplicative()
                ? Value(MulOp::create(
                      rewriter, loc, x,
                      AddOp::create(rewriter, loc, noise, constant(1.0))))
                : Value(AddOp::create(rewriter, loc, x, noise));
  rewriter.replaceOp(*this, y);
  return success();
}

LogicalResult AlphaDropoutOp::verify() {
  double rate = getRate().convertToDouble();
  if (!(rate >= 0.0 && rate < 1.0))
    return emitOpError("rate must be in [0, 1), got ") << rate;
  return success();
}

// Training: Keras's alpha dropout, the kept mask a constant to autodiff.
LogicalResult AlphaDropoutOp::specializeForTraining(
    RewriterBase &rewriter, Value rng,
    SmallVectorImpl<std::pair<Value, Value>> &stateUpdates) {
  double rate = getRate().convertToDouble();
  FailureOr<bool> replaced =
      replacedWhenNoiseless(*this, rewriter, rate == 0.0, rng);
  if (failed(replaced) || *replaced)
    return failure(failed(replaced));
  Value x = getInput();
  Location loc = getLoc();
  RankedTensorType type = getType();
  auto constant = [&](double value) {
    return scalarLike(rewriter, loc, type, value);
  };
  constexpr double alpha = 1.6732632423543772848170429916717,
                   scale = 1.0507009873554804934193349852946;
  double alphaP = -alpha * scale;
  double a = 1.0 / std::sqrt((1 - rate) * (1 + rate * alphaP * alphaP));
  double b = -a * alphaP * rate;
  Value u = RandomUniformOp::create(
      rewriter, loc, type, x, rng, rewriter.getI64IntegerAttr(layerStream(loc)));
  Value kept = GreaterEqualOp::create(rewriter, loc, u, constant(rate));
  Value dropped = SelectOp::create(rewriter, loc, kept, x, constant(alphaP));
  rewriter.replaceOp(*this,
                     AddOp::create(rewriter, loc,
                                   MulOp::create(rewriter, loc, dropped,
                                                 constant(a)),
                                   constant(b))
                         .getResult());
  return success();
}

//===----------------------------------------------------------------------===//
// RandomFlip, augmentation
//===----------------------------------------------------------------------===//

namespace {
/// Per-image draws and columns of a random image op's training form: (N, 1,
/// ..., 1) tensors of the batch's size (`shape`, 1 but for the batch).
struct PerImage {
  RewriterBase &rewriter;
  Location loc;
  Value rng;
  int64_t stream;
  RankedTensorType type;
  Value zeros;

  PerImage(RewriterBase &rewriter, Location loc, Value rng, Value batchLike,
           int64_t rank)
      : rewriter(rewriter), loc(loc), rng(rng), stream(layerStream(loc)) {
    auto inputType = cast<RankedTensorType>(batchLike.getType());
    SmallVector<int64_t> shape(rank, 1);
    shape[0] = inputType.getDimSize(0);
    type = RankedTensorType::get(shape, inputType.getElementType());
    zeros = ZerosOp::create(rewriter, loc, type, batchLike);
  }
  Value scalar(double value) { return scalarLike(rewriter, loc, type, value); }
  /// `value` in every image's entry.
  Value column(double value) {
    return AddOp::create(rewriter, loc, zeros, scalar(value));
  }
  /// u in [0, 1), the image's draw from the layer's stream + `index`.
  Value draw(uint64_t index) {
    return RandomUniformOp::create(
        rewriter, loc, type, zeros, rng,
        rewriter.getI64IntegerAttr(int64_t(uint64_t(stream) + index)));
  }
  /// U(lo, hi) = lo + u (hi - lo) for draw(`index`).
  Value uniform(uint64_t index, double lo, double hi) {
    return scaleUniform(draw(index), lo, hi);
  }
  /// One U(lo, hi) for the whole batch, shaped (1, 1, ...): the stream's
  /// first number (the first image's draw).
  Value uniformForBatch(uint64_t index, double lo, double hi) {
    SmallVector<int64_t> ones(type.getRank(), 1);
    auto one = RankedTensorType::get(ones, type.getElementType());
    Value like = ConstantOp::create(
        rewriter, loc, DenseElementsAttr::get(one, rewriter.getF32FloatAttr(0)));
    Value u = RandomUniformOp::create(
        rewriter, loc, one, like, rng,
        rewriter.getI64IntegerAttr(int64_t(uint64_t(stream) + index)));
    return scaleUniform(u, lo, hi);
  }
  Value scaleUniform(Value u, double lo, double hi) {
    Value scaled = MulOp::create(rewriter, loc, u, scalar(hi - lo));
    return AddOp::create(rewriter, loc, scalar(lo), scaled);
  }
  Value mul(Value a, Value b) { return MulOp::create(rewriter, loc, a, b); }
  Value sub(Value a, Value b) { return SubOp::create(rewriter, loc, a, b); }
};
} // namespace

LogicalResult RandomFlipOp::verify() {
  ArrayRef<int64_t> shape = getType().getShape();
  llvm::SmallDenseSet<int64_t> seen;
  for (int64_t axis : getAxes()) {
    if (axis < 1 || axis >= int64_t(shape.size()))
      return emitOpError("axis ")
             << axis << " is not a non-batch axis of rank " << shape.size();
    if (ShapedType::isDynamic(shape[axis]))
      return emitOpError("axis ") << axis << " has no static size";
    if (!seen.insert(axis).second)
      return emitOpError("axis ") << axis << " is listed twice";
  }
  return success();
}

/// `x` reversed along `axis`: its slices of size 1, concatenated last first.
static Value reverseAxis(RewriterBase &rewriter, Location loc, Value x,
                         int64_t axis) {
  auto type = cast<RankedTensorType>(x.getType());
  int64_t size = type.getDimSize(axis);
  if (size == 1)
    return x;
  SmallVector<Value> slices;
  for (int64_t i = size - 1; i >= 0; --i)
    slices.push_back(SliceOp::create(rewriter, loc, x, axis, i, 1));
  return ConcatOp::create(rewriter, loc, slices, axis);
}

// Training: a sample is flipped when its draw u <= 1/2 (Keras's
// less_equal(uniform, 0.5)); the flip is a constant to autodiff, the
// reversal differentiates through its slices.
LogicalResult RandomFlipOp::specializeForTraining(
    RewriterBase &rewriter, Value rng,
    SmallVectorImpl<std::pair<Value, Value>> &stateUpdates) {
  if (!rng)
    return emitOpError("a training form needs the step's rng argument");
  Location loc = getLoc();
  Value x = getInput();
  PerImage per(rewriter, loc, rng, x, getType().getRank());
  Value u = per.draw(0);
  Value flip = LessEqualOp::create(rewriter, loc, u, per.scalar(0.5));
  Value flipped = x;
  for (int64_t axis : getAxes())
    flipped = reverseAxis(rewriter, loc, flipped, axis);
  rewriter.replaceOp(
      *this, SelectOp::create(rewriter, loc, flip, flipped, x).getResult());
  return success();
}

//===----------------------------------------------------------------------===//
// ActivityRegularizer
//===----------------------------------------------------------------------===//

LogicalResult ActivityRegularizerOp::verify() {
  double l1 = getL1().convertToDouble(), l2 = getL2().convertToDouble();
  if (!(l1 >= 0 && std::isfinite(l1)) || !(l2 >= 0 && std::isfinite(l2)))
    return emitOpError("l1 and l2 must be finite numbers >= 0");
  if (getType().getRank() == 0)
    return emitOpError("takes a batch, not a scalar");
  return success();
}

// The penalty was added when the loss was built (buildActivityPenalties).
LogicalResult ActivityRegularizerOp::specializeForTraining(
    RewriterBase &rewriter, Value rng,
    SmallVectorImpl<std::pair<Value, Value>> &stateUpdates) {
  rewriter.replaceOp(*this, getInput());
  return success();
}

//===----------------------------------------------------------------------===//
// RandomAffine, RandomColor, ImageTransform
//===----------------------------------------------------------------------===//

/// Checks an image resampling's settings (kiln.image_transform's, which
/// kiln.random_affine passes on).
static LogicalResult verifyResampling(Operation *op, StringRef interpolation,
                                      StringRef fillMode) {
  if (interpolation != "bilinear" && interpolation != "nearest")
    return op->emitOpError("interpolation must be bilinear or nearest, got '")
           << interpolation << "'";
  if (fillMode != "reflect" && fillMode != "wrap" && fillMode != "constant" &&
      fillMode != "nearest")
    return op->emitOpError(
               "fill_mode must be reflect, wrap, constant or nearest, got '")
           << fillMode << "'";
  return success();
}

/// Checks that `type` is a batch of images whose static height and width
/// are dimensions `axes` (1, 2 or 2, 3).
static LogicalResult verifyImageAxes(Operation *op, RankedTensorType type,
                                     ArrayRef<int64_t> axes) {
  if (type.getRank() != 4)
    return op->emitOpError("expects a batch of images (rank 4), got rank ")
           << type.getRank();
  if (axes.size() != 2 || axes[1] != axes[0] + 1 ||
      (axes[0] != 1 && axes[0] != 2))
    return op->emitOpError(
        "axes must be [1, 2] (channels last) or [2, 3] (channels first)");
  for (int64_t axis : axes)
    if (type.isDynamicDim(axis))
      return op->emitOpError("axis ") << axis << " has no static size";
  return success();
}

/// Checks `bounds` as pairs [lo, hi] of finite numbers with lo <= hi.
static LogicalResult verifyBoundPairs(Operation *op, ArrayRef<double> bounds) {
  for (size_t i = 0; i + 1 < bounds.size(); i += 2)
    if (!std::isfinite(bounds[i]) || !std::isfinite(bounds[i + 1]) ||
        bounds[i] > bounds[i + 1])
      return op->emitOpError(llvm::formatv(
          "bounds [{0}, {1}] must be finite, the lower first",
          llvm::format("%g", bounds[i]), llvm::format("%g", bounds[i + 1])));
  return success();
}

LogicalResult RandomAffineOp::verify() {
  if (failed(verifyImageAxes(*this, getType(), getAxes())) ||
      failed(verifyResampling(*this, getInterpolation(), getFillMode())))
    return failure();
  StringRef kind = getKind();
  size_t count = getBounds().size();
  if (kind == "rotation" ? count != 2
      : kind == "zoom"   ? count != 2 && count != 4
      : kind == "translation"
          ? count != 4
          : true)
    return emitOpError("kind '")
           << kind
           << "' must be rotation (2 bounds), zoom (2 or 4) or translation "
              "(4), got "
           << count << " bounds";
  if (failed(verifyBoundPairs(*this, getBounds())))
    return failure();
  if (kind == "zoom" && llvm::any_of(getBounds(),
                                     [](double b) { return b <= -1.0; }))
    return emitOpError("zoom bounds must be above -1 (a positive scale)");
  return success();
}

// Training: the transform per image as Keras 3's layers compute it (in
// float32, in their order of operations), then kiln.image_transform.
LogicalResult RandomAffineOp::specializeForTraining(
    RewriterBase &rewriter, Value rng,
    SmallVectorImpl<std::pair<Value, Value>> &stateUpdates) {
  if (!rng)
    return emitOpError("a training form needs the step's rng argument");
  Location loc = getLoc();
  Value images = getInput();
  bool channelsFirst = getAxes()[0] == 2;
  if (channelsFirst)
    images = TransposeOp::create(rewriter, loc, images,
                                 ArrayRef<int64_t>{0, 2, 3, 1});
  auto imagesType = cast<RankedTensorType>(images.getType());
  double height = imagesType.getDimSize(1), width = imagesType.getDimSize(2);
  PerImage per(rewriter, loc, rng, images, 2);
  ArrayRef<double> bounds = getBounds();
  Value zero = per.column(0.0);
  SmallVector<Value, 8> columns;
  StringRef kind = getKind();
  if (kind == "rotation") {
    // RandomRotation: degrees, then _compute_affine_matrix without scale,
    // shear or translation, about the center ((W - 1) / 2, (H - 1) / 2).
    Value degrees = per.uniform(0, bounds[0] * 360.0, bounds[1] * 360.0);
    Value radians = per.mul(degrees, per.scalar(float(M_PI / 180.0)));
    Value cos = CosOp::create(rewriter, loc, radians);
    Value sin = SinOp::create(rewriter, loc, radians);
    Value cx = per.scalar(0.5 * (width - 1)), cy = per.scalar(0.5 * (height - 1));
    Value minusSin = NegOp::create(rewriter, loc, sin);
    Value a2 = per.sub(per.sub(cx, per.mul(cx, cos)), per.mul(cy, minusSin));
    Value b2 = per.sub(per.sub(cy, per.mul(cx, sin)), per.mul(cy, cos));
    columns = {cos, minusSin, a2, sin, cos, b2, zero, zero};
  } else if (kind == "zoom") {
    // RandomZoom: 1 + U(lo, hi) per axis, about the center.
    Value zoomH = per.uniform(0, 1.0 + bounds[0], 1.0 + bounds[1]);
    Value zoomW = bounds.size() == 4
                      ? per.uniform(1, 1.0 + bounds[2], 1.0 + bounds[3])
                      : zoomH;
    auto offset = [&](double size, Value zoom) {
      return per.mul(per.scalar((size - 1.0) / 2.0),
                     per.sub(per.scalar(1.0), zoom));
    };
    columns = {zoomW, zero,  offset(width, zoomW),  zero,
               zoomH, offset(height, zoomH), zero,  zero};
  } else {
    // RandomTranslation: shifts of U(lo, hi) times the size.
    Value dy = per.mul(per.uniform(0, bounds[0], bounds[1]),
                       per.scalar(height));
    Value dx = per.mul(per.uniform(1, bounds[2], bounds[3]),
                       per.scalar(width));
    Value one = per.column(1.0);
    columns = {one, zero, NegOp::create(rewriter, loc, dx), zero, one,
               NegOp::create(rewriter, loc, dy), zero, zero};
  }
  Value transforms = ConcatOp::create(rewriter, loc, columns, 1);
  Value y = ImageTransformOp::create(rewriter, loc, imagesType, images,
                                     transforms, getInterpolationAttr(),
                                     getFillModeAttr(), getFillValueAttr());
  if (channelsFirst)
    y = TransposeOp::create(rewriter, loc, y, ArrayRef<int64_t>{0, 3, 1, 2});
  rewriter.replaceOp(*this, y);
  return success();
}

LogicalResult RandomColorOp::verify() {
  if (failed(verifyImageAxes(*this, getType(), getAxes())))
    return failure();
  if (getKind() != "contrast" && getKind() != "brightness")
    return emitOpError("kind must be contrast or brightness, got '")
           << getKind() << "'";
  if (getBounds().size() != 2 || getValueRange().size() != 2)
    return emitOpError("takes 2 bounds and a value_range of 2");
  return verifyBoundPairs(*this, getBounds()).succeeded()
             ? verifyBoundPairs(*this, getValueRange())
             : failure();
}

// Training: RandomContrast's (x - mean) f + mean, RandomBrightness's
// x + f (b - a), clipped to the value range; differentiable in x.
LogicalResult RandomColorOp::specializeForTraining(
    RewriterBase &rewriter, Value rng,
    SmallVectorImpl<std::pair<Value, Value>> &stateUpdates) {
  if (!rng)
    return emitOpError("a training form needs the step's rng argument");
  Location loc = getLoc();
  Value x = getInput();
  PerImage per(rewriter, loc, rng, x, 4);
  Value factor = getPerBatch()
                     ? per.uniformForBatch(0, getBounds()[0], getBounds()[1])
                     : per.uniform(0, getBounds()[0], getBounds()[1]);
  double low = getValueRange()[0], high = getValueRange()[1];
  Value y;
  if (getKind() == "contrast") {
    Value mean = ReduceMeanOp::create(rewriter, loc, x, getAxes(),
                                      /*keep_dims=*/true);
    y = AddOp::create(rewriter, loc, per.mul(per.sub(x, mean), factor), mean);
  } else {
    y = AddOp::create(rewriter, loc, x,
                      per.mul(factor, per.scalar(high - low)));
  }
  rewriter.replaceOp(*this, ClipOp::create(rewriter, loc, y,
                                           rewriter.getF64FloatAttr(low),
                                           rewriter.getF64FloatAttr(high))
                                .getResult());
  return success();
}

LogicalResult ImageTransformOp::verify() {
  RankedTensorType type = getImages().getType();
  auto transforms = cast<RankedTensorType>(getTransforms().getType());
  if (failed(verifyImageAxes(*this, type, {1, 2})) ||
      failed(verifyResampling(*this, getInterpolation(), getFillMode())))
    return failure();
  if (transforms.getRank() != 2 || transforms.getDimSize(1) != 8 ||
      transforms.getDimSize(0) != type.getDimSize(0))
    return emitOpError("transforms must be (N, 8), one map per image of ")
           << type;
  return success();
}

//===----------------------------------------------------------------------===//
// BatchNorm
//===----------------------------------------------------------------------===//

LogicalResult BatchNormOp::verify() {
  RankedTensorType type = getInput().getType();
  int64_t rank = type.getRank(), axis = static_cast<int64_t>(getAxis());
  if (rank == 0 || axis < -rank || axis >= rank)
    return emitOpError("axis ") << axis << " is out of range for rank " << rank;
  int64_t channels = type.getDimSize(fromFront(getAxis(), rank));
  if (ShapedType::isDynamic(channels))
    return emitOpError("the channel axis must be static");
  for (Value v : {getGamma(), getBeta(), getMovingMean(), getMovingVariance()})
    if (v && cast<RankedTensorType>(v.getType()).getShape() !=
                 ArrayRef<int64_t>{channels})
      return emitOpError("per-channel operands must have shape (")
             << channels << ",), got "
             << formatShape(cast<RankedTensorType>(v.getType()).getShape());
  if (std::optional<uint64_t> step = getStepAxis()) {
    int64_t s = static_cast<int64_t>(*step);
    int64_t channelAxis = axis < 0 ? axis + rank : axis;
    if (s < 0)
      s += rank;
    if (s <= 0 || s >= channelAxis)
      return emitOpError("step_axis ")
             << static_cast<int64_t>(*step)
             << " must lie between the batch axis and the channel axis "
             << channelAxis;
    if (type.isDynamicDim(s))
      return emitOpError("the step axis must be static");
  }
  if (getType() != type)
    return emitOpError("result type must be the input's");
  double epsilon = getEpsilon().convertToDouble();
  double momentum = getMomentum().convertToDouble();
  if (!(epsilon > 0))
    return emitOpError("epsilon must be positive, got ") << epsilon;
  if (!(momentum >= 0 && momentum <= 1))
    return emitOpError("momentum must be in [0, 1], got ") << momentum;
  return success();
}

namespace {
/// Builds BatchNorm's forms from kiln arithmetic at the rewriter's point.
struct BatchNormBuilder {
  BatchNormBuilder(RewriterBase &rewriter, BatchNormOp op)
      : b(rewriter), op(op), loc(op.getLoc()), type(op.getType()) {
    int64_t rank = type.getRank();
    axis = fromFront(op.getAxis(), rank);
    if (std::optional<uint64_t> step = op.getStepAxis())
      stepAxis = fromFront(*step, rank);
  }

  Value scalar(double v) { return scalarLike(b, loc, type, v); }
  /// A per-channel vector ([C]) shaped to broadcast against the input:
  /// [C, 1, ..., 1] unless the channel axis is the last.
  Value channels(Value v) {
    int64_t rank = type.getRank();
    if (axis == rank - 1)
      return v;
    SmallVector<int64_t> shape{type.getDimSize(axis)};
    shape.append(rank - 1 - axis, 1);
    return ReshapeOp::create(
        b, loc, RankedTensorType::get(shape, type.getElementType()), v);
  }
  /// A per-step and channel tensor ([T, C]) shaped to broadcast against
  /// the input: T at the step axis, C at the channel axis, 1 between and
  /// after.
  Value stepsAndChannels(Value v) {
    SmallVector<int64_t> shape;
    for (int64_t i = *stepAxis; i < type.getRank(); ++i)
      shape.push_back(i == *stepAxis || i == axis ? type.getDimSize(i) : 1);
    return ReshapeOp::create(
        b, loc, RankedTensorType::get(shape, type.getElementType()), v);
  }
  /// rsqrt(variance + eps) * gamma, per channel or per step and channel.
  Value inverse(Value variance) {
    Value inv = DivOp::create(
        b, loc, scalar(1.0),
        SqrtOp::create(
            b, loc,
            AddOp::create(b, loc, variance,
                          scalar(op.getEpsilon().convertToDouble()))));
    if (Value gamma = op.getGamma())
      inv = MulOp::create(b, loc, inv, gamma);
    return inv;
  }
  /// `v` per channel ([C]) or per step and channel ([T, C]) shaped to
  /// broadcast against the input.
  Value expand(Value v) {
    return cast<RankedTensorType>(v.getType()).getRank() == 2
               ? stepsAndChannels(v)
               : channels(v);
  }
  /// input * inv + (beta - mean * inv), inv = rsqrt(variance + eps) * gamma
  /// (TensorFlow's formula, one multiply-add per element); mean and
  /// variance are per channel, or per step and channel.
  Value normalize(Value mean, Value variance) {
    Value inv = inverse(variance);
    Value meanInv = MulOp::create(b, loc, mean, inv);
    Value shift = op.getBeta()
                      ? Value(SubOp::create(b, loc, op.getBeta(), meanInv))
                      : Value(NegOp::create(b, loc, meanInv));
    Value scaled = MulOp::create(b, loc, op.getInput(), expand(inv));
    return AddOp::create(b, loc, scaled, expand(shift));
  }
  /// centered * inv + beta, for `centered` = input - mean. The same value
  /// as `normalize`, but its derivative with respect to inv is
  /// sum(g * centered), not sum(g * input) - mean * sum(g), which cancels
  /// in float32 when the mean is large against the deviation.
  Value normalizeCentered(Value centered, Value variance) {
    Value y = MulOp::create(b, loc, centered, expand(inverse(variance)));
    if (Value beta = op.getBeta())
      y = AddOp::create(b, loc, y, expand(beta));
    return y;
  }
  /// The axes every channel (and step) is reduced over.
  SmallVector<int64_t> reductionAxes() {
    SmallVector<int64_t> axes;
    for (int64_t i = 0; i < type.getRank(); ++i)
      if (i != axis && i != stepAxis)
        axes.push_back(i);
    return axes;
  }

  RewriterBase &b;
  BatchNormOp op;
  Location loc;
  RankedTensorType type;
  int64_t axis;
  std::optional<int64_t> stepAxis;
};
} // namespace

LogicalResult BatchNormOp::specializeForInference(RewriterBase &rewriter) {
  BatchNormBuilder bn(rewriter, *this);
  rewriter.replaceOp(*this, bn.normalize(getMovingMean(), getMovingVariance()));
  return success();
}

std::string BatchNormOp::getTrainingUnsupportedReason() { return ""; }

LogicalResult BatchNormOp::specializeForTraining(
    RewriterBase &rewriter, Value rng,
    SmallVectorImpl<std::pair<Value, Value>> &stateUpdates) {
  if (getFrozen())
    return specializeForInference(rewriter);
  BatchNormBuilder bn(rewriter, *this);
  SmallVector<int64_t> axes = bn.reductionAxes();
  // Batch statistics (ops.moments): the mean and the biased variance, in
  // float32 as accurate as a float64 accumulation would make them. A first
  // mean m0 (its float32 sum of n terms off by up to n ulps of the mean)
  // centers the input; the mean of that, c = mean(x - m0), corrects it
  // (mean = m0 + c, centered = x - m0 - c), and the variance is the shifted
  // data's mean((x - m0)^2) - c^2, with c tiny against the deviation.
  // Per step: mean [T, C].
  Location loc = getLoc();
  Value mean0 = ReduceMeanOp::create(rewriter, loc, getInput(), axes,
                                     /*keep_dims=*/false);
  Value shifted = SubOp::create(rewriter, loc, getInput(), bn.expand(mean0));
  Value correction =
      ReduceMeanOp::create(rewriter, loc, shifted, axes, /*keep_dims=*/false);
  Value mean = AddOp::create(rewriter, loc, mean0, correction);
  Value centered = SubOp::create(rewriter, loc, shifted, bn.expand(correction));
  Value variance = SubOp::create(
      rewriter, loc,
      ReduceMeanOp::create(rewriter, loc,
                           MulOp::create(rewriter, loc, shifted, shifted), axes,
                           /*keep_dims=*/false),
      MulOp::create(rewriter, loc, correction, correction));
  // moving = moving * momentum + batch * (1 - momentum), once per step:
  // after T steps, moving * momentum^T + sum_t batch_t * w_t with
  // w_t = (1 - momentum) * momentum^(T-1-t).
  double momentum = getMomentum().convertToDouble();
  auto update = [&](Value moving, Value batch) -> Value {
    if (!bn.stepAxis)
      return AddOp::create(
          rewriter, getLoc(),
          MulOp::create(rewriter, getLoc(), moving, bn.scalar(momentum)),
          MulOp::create(rewriter, getLoc(), batch, bn.scalar(1.0 - momentum)));
    int64_t steps = bn.type.getDimSize(*bn.stepAxis);
    Type element = bn.type.getElementType();
    SmallVector<Attribute> weights;
    for (int64_t t = 0; t < steps; ++t)
      weights.push_back(rewriter.getFloatAttr(
          element, (1.0 - momentum) * std::pow(momentum, steps - 1 - t)));
    Value w = ConstantOp::create(
        rewriter, getLoc(),
        DenseElementsAttr::get(RankedTensorType::get({steps, 1}, element),
                               weights));
    Value sum = ReduceSumOp::create(
        rewriter, getLoc(), MulOp::create(rewriter, getLoc(), batch, w),
        SmallVector<int64_t>{0}, /*keep_dims=*/false);
    return AddOp::create(rewriter, getLoc(),
                         MulOp::create(rewriter, getLoc(), moving,
                                       bn.scalar(std::pow(momentum, steps))),
                         sum);
  };
  stateUpdates.push_back({getMovingMean(), update(getMovingMean(), mean)});
  stateUpdates.push_back(
      {getMovingVariance(), update(getMovingVariance(), variance)});
  rewriter.replaceOp(*this, bn.normalizeCentered(centered, variance));
  return success();
}

//===----------------------------------------------------------------------===//
// Comparisons, logical ops, select, arg-reductions, cast
//===----------------------------------------------------------------------===//

/// Comparisons also need operands of one element type.
static LogicalResult verifyCompare(Operation *op) {
  if (getElementTypeOrSelf(op->getOperand(0)) !=
      getElementTypeOrSelf(op->getOperand(1)))
    return op->emitOpError("compares operands of different element types: ")
           << op->getOperand(0).getType() << " vs "
           << op->getOperand(1).getType();
  if (getElementTypeOrSelf(op->getOperand(0)).isInteger(1))
    return op->emitOpError("compares booleans; use the logical ops");
  return verifyBroadcastBinary(op);
}

#define KILN_BOOL_BINARY(Op, name, verifier)                                   \
  LogicalResult Op::verify() { return verifier(*this); }                       \
  LogicalResult Op::inferReturnTypes(                                          \
      MLIRContext *, std::optional<Location> loc, Adaptor adaptor,             \
      SmallVectorImpl<Type> &types) {                                          \
    return inferBroadcastBinary(                                               \
        name, adaptor.getLhs(), adaptor.getRhs(), loc, types,                  \
        IntegerType::get(adaptor.getLhs().getContext(), 1));                   \
  }                                                                            \
  bool Op::isCompatibleReturnTypes(TypeRange l, TypeRange r) {                 \
    return deferToVerifier(l, r);                                              \
  }
KILN_BOOL_BINARY(EqualOp, "equal", verifyCompare)
KILN_BOOL_BINARY(LessOp, "less", verifyCompare)
KILN_BOOL_BINARY(LessEqualOp, "less_equal", verifyCompare)
KILN_BOOL_BINARY(GreaterOp, "greater", verifyCompare)
KILN_BOOL_BINARY(GreaterEqualOp, "greater_equal", verifyCompare)
KILN_BOOL_BINARY(LogicalAndOp, "logical_and", verifyBroadcastBinary)
KILN_BOOL_BINARY(LogicalOrOp, "logical_or", verifyBroadcastBinary)
KILN_BOOL_BINARY(LogicalXorOp, "logical_xor", verifyBroadcastBinary)
#undef KILN_BOOL_BINARY

/// The broadcast of select's three operands.
static FailureOr<SmallVector<int64_t>> selectShape(ArrayRef<int64_t> condition,
                                                   ArrayRef<int64_t> onTrue,
                                                   ArrayRef<int64_t> onFalse,
                                                   std::string &reason) {
  auto branches = broadcastShapes(onTrue, onFalse, reason);
  if (failed(branches))
    return failure();
  return broadcastShapes(condition, *branches, reason);
}

LogicalResult SelectOp::verify() {
  if (getOnTrue().getType().getElementType() !=
          getOnFalse().getType().getElementType() ||
      getOnTrue().getType().getElementType() != getType().getElementType())
    return emitOpError("branches and result must have one element type, got ")
           << getOnTrue().getType() << ", " << getOnFalse().getType() << " -> "
           << getType();
  std::string reason;
  auto shape = selectShape(getCondition().getType().getShape(),
                           getOnTrue().getType().getShape(),
                           getOnFalse().getType().getShape(), reason);
  if (failed(shape))
    return emitOpError(reason);
  return verifyResultShape(*this, getType().getShape(), *shape);
}

LogicalResult SelectOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  auto c = rankedType(adaptor.getCondition()),
       t = rankedType(adaptor.getOnTrue()),
       f = rankedType(adaptor.getOnFalse());
  if (!c || !t || !f)
    return failure();
  std::string reason;
  auto shape = selectShape(c->getShape(), t->getShape(), f->getShape(), reason);
  return addInferred("kiln.select", loc, shape, reason, t->getElementType(),
                     types);
}
bool SelectOp::isCompatibleReturnTypes(TypeRange l, TypeRange r) {
  return deferToVerifier(l, r);
}

/// The shared shape rule of argmax/argmin: the reduction over `axis`.
template <typename OpTy>
static LogicalResult
inferArgReduce(StringRef name, typename OpTy::Adaptor adaptor,
               std::optional<Location> loc, SmallVectorImpl<Type> &types) {
  auto in = rankedType(adaptor.getInput());
  if (!in)
    return failure();
  std::string reason;
  int64_t axis = static_cast<int64_t>(adaptor.getAxis());
  auto shape =
      reduceShape(in->getShape(), {axis}, adaptor.getKeepDims(), reason);
  return addInferred(("kiln." + name).str(), loc, shape, reason,
                     IntegerType::get(in->getContext(), 64), types);
}

template <typename OpTy> static LogicalResult verifyArgReduce(OpTy op) {
  std::string reason;
  int64_t axis = static_cast<int64_t>(op.getAxis());
  auto expected = reduceShape(op.getInput().getType().getShape(), {axis},
                              op.getKeepDims(), reason);
  if (failed(expected))
    return op.emitOpError(reason);
  if (ShapedType::isDynamic(
          op.getInput().getType().getDimSize(op.getNormalizedAxis())))
    return op.emitOpError("reduces a dynamic axis");
  return verifyResultShape(op, op.getType().getShape(), *expected);
}

#define KILN_ARG_REDUCE(Op, name)                                              \
  LogicalResult Op::verify() { return verifyArgReduce(*this); }                \
  LogicalResult Op::inferReturnTypes(                                          \
      MLIRContext *, std::optional<Location> loc, Adaptor adaptor,             \
      SmallVectorImpl<Type> &types) {                                          \
    return inferArgReduce<Op>(name, adaptor, loc, types);                      \
  }                                                                            \
  bool Op::isCompatibleReturnTypes(TypeRange l, TypeRange r) {                 \
    return deferToVerifier(l, r);                                              \
  }                                                                            \
  int64_t Op::getNormalizedAxis() {                                            \
    return fromFront(getAxis(), getInput().getType().getRank());               \
  }
KILN_ARG_REDUCE(ArgMaxOp, "argmax")
KILN_ARG_REDUCE(ArgMinOp, "argmin")
#undef KILN_ARG_REDUCE

LogicalResult CastOp::verify() {
  Type from = getInput().getType().getElementType(),
       to = getType().getElementType();
  if (isa<FloatType>(from) && isa<FloatType>(to))
    return emitOpError("casts between float types (")
           << from << " to " << to << "); kiln.cast converts to or from "
           << "integers and booleans";
  return verifyResultShape(*this, getType().getShape(),
                           getInput().getType().getShape());
}
