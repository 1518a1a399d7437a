//===- ReductionOps.cpp - ONNX reductions and softmax -----------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// ReduceSum/Mean are `kiln.reduce_sum` / `kiln.reduce_mean`; L1, L2,
// SumSquare, LogSum and LogSumExp are formulas around a sum. ReduceMax is a
// `kiln.max_pool` whose window covers the reduced axes, ReduceMin the
// negated maximum of the negated input; ReduceProd a product of slices
// (at most kMaxProdFactors of them). The axes are
// an attribute, or (ReduceSum since 13) an operand known when compiling;
// none means all axes, or none with noop_with_empty_axes. Softmax,
// LogSoftmax and Hardmax (the one-hot of the argmax) before opset 13
// flatten the input to 2-D at `axis` (the "coerced" semantics) and
// normalize over the second dimension; from 13 on they normalize along
// `axis` alone.
//===----------------------------------------------------------------------===//

#include "frontend/onnx/OnnxOps.h"
#include "frontend/onnx/OnnxTensors.h"

#include "dialects/kiln/IR/KilnDialect.h"
#include "dialects/kiln/Model/ImportedModel.h"

#include "onnx/onnx_pb.h"

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::onnx_import;

enum class Reduction {
  Sum,
  Mean,
  L1,
  L2,
  SumSquare,
  LogSum,
  LogSumExp,
  Max,
  Min,
  Prod
};

/// The most factors ReduceProd multiplies out (kiln has no product
/// reduction: it is a chain of products of slices).
constexpr int64_t kMaxProdFactors = 256;

/// `y`, a reduction's result with its reduced `axes` kept as 1s, without
/// them.
static Value dropReducedAxes(NodeBuilder &node, Value y,
                             ArrayRef<int64_t> axes) {
  SmallVector<int64_t> outShape;
  for (auto [d, size] : llvm::enumerate(node.typeOf(y).getShape()))
    if (!llvm::is_contained(axes, int64_t(d)))
      outShape.push_back(size);
  return node.reshape(y, outShape);
}

/// The product of `x` over `axes` (static ones): per axis, the product of
/// its slices, kept as a dimension of 1; then dropped unless `keepDims`.
FailureOr<Value> mlir::kiln::onnx_import::reduceProd(NodeBuilder &node,
                                                     Value x,
                                                     ArrayRef<int64_t> axes,
                                                     bool keepDims) {
  ArrayRef<int64_t> shape = node.typeOf(x).getShape();
  int64_t factors = 0;
  for (int64_t a : axes) {
    if (ShapedType::isDynamic(shape[a])) {
      node.emitError() << "reduces over the dynamic batch dimension";
      return failure();
    }
    factors += shape[a];
  }
  if (factors > kMaxProdFactors) {
    node.emitError() << "multiplies " << factors << " factors; kiln's "
                     << "ReduceProd multiplies out at most " << kMaxProdFactors;
    return failure();
  }
  Value y = x;
  for (int64_t a : axes) {
    Value product = node.sliceAxis(y, a, 0, 1);
    for (int64_t i = 1; i < shape[a]; ++i)
      product = MulOp::create(node.builder, node.loc, product,
                              node.sliceAxis(y, a, i, 1));
    y = product;
  }
  return keepDims ? y : dropReducedAxes(node, y, axes);
}

/// The maximum of `x` over `axes` (sorted, distinct, the dynamic batch not
/// among them) with `kiln.max_pool`: the reduced axes moved together (after
/// the kept axes before the first of them), the tensor seen as (B, R, K)
/// (B the kept dimensions before, R the reduced ones, K the rest), pooled
/// with a window of R, reshaped to the kept dimensions (with 1s for the
/// reduced ones under keepdims).
Value mlir::kiln::onnx_import::reduceMax(NodeBuilder &node, Value x,
                                         ArrayRef<int64_t> axes,
                                         bool keepDims) {
  OpBuilder &b = node.builder;
  ArrayRef<int64_t> shape = node.typeOf(x).getShape();
  int64_t rank = shape.size();
  SmallVector<int64_t> perm, outShape;
  for (int64_t d = 0; d < axes.front(); ++d)
    perm.push_back(d);
  perm.append(axes.begin(), axes.end());
  for (int64_t d = axes.front(); d < rank; ++d)
    if (!llvm::is_contained(axes, d))
      perm.push_back(d);
  for (int64_t d = 0; d < rank; ++d)
    if (!llvm::is_contained(axes, d))
      outShape.push_back(shape[d]);
    else if (keepDims)
      outShape.push_back(1);
  bool moved = !llvm::equal(perm, llvm::seq<int64_t>(0, rank));
  Value y = moved ? Value(TransposeOp::create(b, node.loc, x, perm)) : x;
  int64_t before = 1, reduced = 1, after = 1;
  for (int64_t d = 0; d < axes.front(); ++d)
    before = ShapedType::isDynamic(before) || ShapedType::isDynamic(shape[d])
                 ? ShapedType::kDynamic
                 : before * shape[d];
  for (int64_t a : axes)
    reduced *= shape[a];
  for (int64_t i = axes.front() + axes.size(); i < rank; ++i)
    after *= shape[perm[i]];
  auto f32 = b.getF32Type();
  if (reduced > 1) {
    y = ReshapeOp::create(
        b, node.loc, RankedTensorType::get({before, reduced, after}, f32), y);
    y = MaxPoolOp::create(b, node.loc, y, ArrayRef<int64_t>{reduced},
                          ArrayRef<int64_t>{1}, ArrayRef<int64_t>{0},
                          ArrayRef<int64_t>{0});
  }
  auto outType = RankedTensorType::get(outShape, f32);
  if (y.getType() == outType)
    return y;
  return ReshapeOp::create(b, node.loc, outType, y);
}

template <Reduction Kind>
static FailureOr<Value> buildReduce(NodeBuilder &node, Value x,
                                    ArrayRef<int64_t> axes, bool keepDims);

/// A reduction of a tensor held batch-first (OnnxValue::held) over file
/// axes `axes` (none holding the batch): over their held dimensions, where
/// they are.
template <Reduction Kind>
static FailureOr<NodeOutputs> reduceHeld(NodeBuilder &node,
                                         ArrayRef<int64_t> axes,
                                         bool keepDims) {
  FailureOr<HeldValue> x = node.heldInput(0);
  if (failed(x))
    return failure();
  FailureOr<SmallVector<int64_t>> heldAxes = node.heldAxesOf(*x, axes);
  if (failed(heldAxes))
    return failure();
  Value in = x->value;
  if (heldAxes->empty()) {
    // Only dimensions of size 1: over one appended (which fromHeld drops).
    SmallVector<int64_t> shape(node.typeOf(in).getShape());
    heldAxes->push_back(shape.size());
    shape.push_back(1);
    in = node.reshape(in, shape);
  }
  FailureOr<Value> y = buildReduce<Kind>(node, in, *heldAxes, keepDims);
  if (failed(y))
    return failure();
  if (keepDims)
    return NodeOutputs{node.fromHeld(*y, x->layout)};
  // The reduced dims go from the file's and from the held.
  HeldLayout kept;
  for (int64_t j = 0; j < x->layout.rank(); ++j) {
    if (llvm::is_contained(axes, j))
      continue;
    for (int64_t h : x->layout.group(j))
      kept.atoms.push_back(
          h - llvm::count_if(*heldAxes, [&](int64_t r) { return r < h; }));
    kept.groups.push_back(x->layout.groups[j]);
  }
  return NodeOutputs{node.fromHeld(*y, std::move(kept))};
}

/// The reduction of a known list of integers (shape arithmetic: tf2onnx's
/// einsum multiplies a shape's batch dimensions with ReduceProd) over all
/// of it; nullopt where it is not folded (other kinds, the batch size
/// where the result depends on it).
template <Reduction Kind>
static std::optional<HostTensor> foldIntegers(const HostTensor &t,
                                              bool keepDims) {
  std::optional<BatchArith> op;
  if (Kind == Reduction::Prod)
    op = BatchArith::Mul;
  else if (Kind == Reduction::Max)
    op = BatchArith::Max;
  else if (Kind == Reduction::Min)
    op = BatchArith::Min;
  bool sum = Kind == Reduction::Sum;
  if ((!op && !sum) || !isIntegral(t.type) || t.shape.size() > 1 ||
      t.values.empty())
    return std::nullopt;
  std::optional<double> acc = t.values[0];
  for (double v : ArrayRef<double>(t.values).drop_front()) {
    if (sum)
      acc = batchMultiple(*acc) || batchMultiple(v)
                ? std::nullopt
                : std::optional<double>(*acc + v);
    else
      acc = foldBatchArith(*op, *acc, v);
    if (!acc)
      return std::nullopt;
  }
  HostTensor out;
  out.type = t.type;
  if (keepDims && !t.shape.empty())
    out.shape = {1};
  out.values = {*acc};
  return out;
}

/// The sum, product, maximum or minimum of a known integer tensor without
/// the batch size over `axes` (sorted, distinct; all of them when empty),
/// kept as 1s under `keepDims`: index tables an exporter computes (BEiT's
/// relative positions sum their coordinates). nullopt for other kinds.
template <Reduction Kind>
static std::optional<HostTensor>
foldIntegerAxes(const HostTensor &t, ArrayRef<int64_t> axes, bool keepDims) {
  if ((Kind != Reduction::Sum && Kind != Reduction::Prod &&
       Kind != Reduction::Max && Kind != Reduction::Min) ||
      !isIntegral(t.type) || t.hasDynamicBatch() || t.values.empty())
    return std::nullopt;
  int64_t rank = t.shape.size();
  auto reduced = [&](int64_t d) {
    return axes.empty() || llvm::is_contained(axes, d);
  };
  HostTensor out;
  out.type = t.type;
  SmallVector<int64_t> outDims; // t's dims with the reduced ones as 1
  for (int64_t d = 0; d < rank; ++d) {
    outDims.push_back(reduced(d) ? 1 : t.shape[d]);
    if (keepDims || !reduced(d))
      out.shape.push_back(outDims.back());
  }
  int64_t n = 1;
  for (int64_t d : outDims)
    n *= d;
  std::vector<std::optional<double>> acc(n);
  SmallVector<int64_t> index(rank, 0);
  for (double v : t.values) {
    int64_t at = 0;
    for (int64_t d = 0; d < rank; ++d)
      at = at * outDims[d] + (reduced(d) ? 0 : index[d]);
    std::optional<double> &a = acc[at];
    a = !a                        ? v
        : Kind == Reduction::Sum  ? *a + v
        : Kind == Reduction::Prod ? *a * v
        : Kind == Reduction::Max  ? std::max(*a, v)
                                  : std::min(*a, v);
    for (int64_t d = rank - 1; d >= 0; --d) {
      if (++index[d] < t.shape[d])
        break;
      index[d] = 0;
    }
  }
  for (std::optional<double> &a : acc)
    out.values.push_back(*a);
  return out;
}

template <Reduction Kind, bool AxesOperand>
static FailureOr<NodeOutputs> importReduce(NodeBuilder &node) {
  if (const HostTensor *t = node.known(0); t && isIntegral(t->type)) {
    FailureOr<int64_t> keepDims = node.getInt("keepdims", 1);
    FailureOr<std::optional<SmallVector<int64_t>>> axes =
        AxesOperand ? node.knownInts(1, "the axes") : node.getInts("axes");
    if (failed(keepDims) || failed(axes))
      return failure();
    bool all = !*axes || (**axes == ArrayRef<int64_t>{0}) ||
               (**axes == ArrayRef<int64_t>{-1});
    if (std::optional<HostTensor> folded =
            all ? foldIntegers<Kind>(*t, *keepDims) : std::nullopt)
      return NodeOutputs{OnnxValue::ofKnown(std::move(*folded))};
    // Over given axes of a tensor of any rank (no batch size in it).
    int64_t rank = t->shape.size();
    SmallVector<int64_t> over;
    bool inRange = true;
    for (int64_t a : *axes ? ArrayRef<int64_t>(**axes) : ArrayRef<int64_t>()) {
      inRange &= a >= -rank && a < rank;
      over.push_back(a < 0 ? a + rank : a);
    }
    llvm::sort(over);
    over.erase(std::unique(over.begin(), over.end()), over.end());
    FailureOr<int64_t> noop = node.getInt("noop_with_empty_axes", 0);
    if (failed(noop))
      return failure();
    if (inRange && !(over.empty() && *noop))
      if (std::optional<HostTensor> folded =
              foldIntegerAxes<Kind>(*t, over, *keepDims))
        return NodeOutputs{OnnxValue::ofKnown(std::move(*folded))};
  }
  bool held = node.heldTransposed(0);
  FailureOr<Value> x = held ? Value() : node.input(0);
  FailureOr<std::pair<SmallVector<int64_t>, OnnxType>> info = node.inputInfo(0);
  FailureOr<int64_t> keepDims = node.getInt("keepdims", 1);
  FailureOr<int64_t> noop = node.getInt("noop_with_empty_axes", 0);
  if (failed(x) || failed(info) || failed(keepDims) || failed(noop))
    return failure();
  FailureOr<std::optional<SmallVector<int64_t>>> axesGiven =
      AxesOperand ? node.knownInts(1, "the axes") : node.getInts("axes");
  if (failed(axesGiven))
    return failure();
  int64_t rank = info->first.size();
  SmallVector<int64_t> axes;
  if (*axesGiven && !(*axesGiven)->empty()) {
    for (int64_t a : **axesGiven) {
      if (a < -rank || a >= rank) {
        node.emitError() << "axis " << a << " is out of range for rank "
                         << rank;
        return failure();
      }
      axes.push_back(a < 0 ? a + rank : a);
    }
    llvm::sort(axes);
    axes.erase(std::unique(axes.begin(), axes.end()), axes.end());
  } else if (*noop) {
    if (held) {
      FailureOr<HeldValue> same = node.heldInput(0);
      if (failed(same))
        return failure();
      return NodeOutputs{node.fromHeld(same->value, same->layout)};
    }
    return single(*x);
  } else {
    for (int64_t d = 0; d < rank; ++d)
      axes.push_back(d);
  }
  if (held)
    return reduceHeld<Kind>(node, axes, *keepDims != 0);
  return single(buildReduce<Kind>(node, *x, axes, *keepDims));
}

template <Reduction Kind>
static FailureOr<Value> buildReduce(NodeBuilder &node, Value x,
                                    ArrayRef<int64_t> axes, bool keepDims) {
  int64_t rank = node.typeOf(x).getRank();
  // Over an empty axis (a given empty input) the result is the
  // reduction's value for the empty set: 0 for the sums, 1 for the
  // product, -inf for the maximum and the log-sums, inf for the minimum,
  // NaN for the mean.
  ArrayRef<int64_t> inShape = node.typeOf(x).getShape();
  if (llvm::any_of(axes, [&](int64_t a) { return inShape[a] == 0; })) {
    SmallVector<int64_t> outShape;
    for (int64_t d = 0; d < rank; ++d)
      if (!llvm::is_contained(axes, d))
        outShape.push_back(inShape[d]);
      else if (keepDims)
        outShape.push_back(1);
    if (llvm::any_of(outShape, [](int64_t n) { return n <= 0; })) {
      node.emitError() << "reduces an empty tensor "
                       << formatKerasShape(inShape) << " to an empty one";
      return failure();
    }
    double value = 0;
    if (Kind == Reduction::Prod)
      value = 1;
    else if (Kind == Reduction::Max || Kind == Reduction::LogSum ||
             Kind == Reduction::LogSumExp)
      value = -INFINITY;
    else if (Kind == Reduction::Min)
      value = INFINITY;
    else if (Kind == Reduction::Mean)
      value = NAN;
    int64_t count = 1;
    for (int64_t n : outShape)
      count *= n;
    return node.constant(outShape, SmallVector<float>(count, value));
  }
  OpBuilder &b = node.builder;
  Location loc = node.loc;
  if (Kind == Reduction::Max || Kind == Reduction::Min ||
      Kind == Reduction::LogSumExp) {
    ArrayRef<int64_t> shape = node.typeOf(x).getShape();
    if (!axes.empty() && !shape.empty() && ShapedType::isDynamic(shape[0]) &&
        axes.front() == 0) {
      node.emitError() << "reduces over the dynamic batch dimension";
      return failure();
    }
  }
  if (Kind == Reduction::LogSumExp && !axes.empty()) {
    // m + log(sum(exp(x - m))) with m the maximum, so that exp cannot
    // overflow ([1000, 0]: 1000, not inf); an infinite m (all -inf: -inf;
    // a +inf: inf) shifts by 0 instead, as ONNX Runtime does.
    Value m = reduceMax(node, x, axes, /*keepDims=*/true);
    Value finite =
        LessOp::create(b, loc, AbsOp::create(b, loc, m), node.scalar(INFINITY));
    m = SelectOp::create(b, loc, finite, m, node.scalar(0.0));
    Value e = ExpOp::create(b, loc, SubOp::create(b, loc, x, m));
    Value y = LogOp::create(
        b, loc, ReduceSumOp::create(b, loc, e, axes, /*keepDims=*/true));
    y = AddOp::create(b, loc, y, m);
    return keepDims ? y : dropReducedAxes(node, y, axes);
  }
  if (Kind == Reduction::Max || Kind == Reduction::Min) {
    if (axes.empty())
      return x;
    if (Kind == Reduction::Max)
      return reduceMax(node, x, axes, keepDims);
    Value negated = NegOp::create(b, loc, x);
    return Value(
        NegOp::create(b, loc, reduceMax(node, negated, axes, keepDims)));
  }
  if (Kind == Reduction::Prod)
    return reduceProd(node, x, axes, keepDims);
  Value in = x;
  if (Kind == Reduction::L1)
    in = AbsOp::create(b, loc, in);
  else if (Kind == Reduction::L2 || Kind == Reduction::SumSquare)
    in = MulOp::create(b, loc, in, in);
  else if (Kind == Reduction::LogSumExp)
    in = ExpOp::create(b, loc, in);
  Value y = Kind == Reduction::Mean
                ? Value(ReduceMeanOp::create(b, loc, in, axes, keepDims))
                : Value(ReduceSumOp::create(b, loc, in, axes, keepDims));
  if (Kind == Reduction::L2)
    y = SqrtOp::create(b, loc, y);
  else if (Kind == Reduction::LogSum || Kind == Reduction::LogSumExp)
    y = LogOp::create(b, loc, y);
  return y;
}

/// `axis` in [-rank, rank) counted from the front; an error otherwise.
static FailureOr<int64_t> normalizedAxis(NodeBuilder &node, int64_t axis,
                                         int64_t rank) {
  if (axis < -rank || axis >= rank) {
    node.emitError() << "axis " << axis << " is out of range for rank " << rank;
    return failure();
  }
  return axis < 0 ? axis + rank : axis;
}

/// Builds an op over one axis of `x`: Softmax, LogSoftmax, Hardmax.
using AxisOpBuilder = Value (*)(NodeBuilder &node, Value x, int64_t axis);

template <typename OpTy>
static Value buildAxisOp(NodeBuilder &node, Value x, int64_t axis) {
  return OpTy::create(node.builder, node.loc, x,
                      node.builder.getI64IntegerAttr(axis));
}

/// Hardmax along `axis` (static): 1 at the first largest element, 0
/// elsewhere, as the one-hot of the argmax (moved to the last axis and
/// back when it is another).
static Value buildHardmax(NodeBuilder &node, Value x, int64_t axis) {
  OpBuilder &b = node.builder;
  Location loc = node.loc;
  Value y = node.moveAxisLast(x, axis);
  RankedTensorType yType = node.typeOf(y);
  int64_t last = yType.getRank() - 1;
  Value index = ArgMaxOp::create(b, loc, y, b.getI64IntegerAttr(last),
                                 b.getBoolAttr(false), b.getBoolAttr(false));
  auto indexType = cast<RankedTensorType>(index.getType());
  Value hard = OneHotOp::create(
      b, loc, yType,
      CastOp::create(b, loc, indexType.clone(b.getF32Type()), index),
      yType.getDimSize(last));
  return node.moveLastAxisTo(hard, axis);
}

/// Softmax, LogSoftmax or Hardmax of a tensor held batch-first
/// (OnnxValue::held) along file axis `axis` (opset >= 13), or over the axes
/// from `axis` on flattened (before 13): on the held tensor with those axes
/// last.
template <AxisOpBuilder build>
static FailureOr<NodeOutputs> axisOpOfHeld(NodeBuilder &node, int64_t attr) {
  FailureOr<HeldValue> x = node.heldInput(0);
  if (failed(x))
    return failure();
  int64_t rank = x->layout.rank();
  FailureOr<int64_t> axis = normalizedAxis(node, attr, rank);
  if (failed(axis))
    return failure();
  ArrayRef<int64_t> group = x->layout.group(*axis);
  if ((node.opset >= 13 || *axis == rank - 1) && group.size() == 1 &&
      group[0] != 0) {
    // Along one held dimension, where it is.
    return NodeOutputs{node.fromHeld(build(node, x->value, group[0]),
                                     x->layout)};
  }
  SmallVector<int64_t> axes = {*axis};
  if (node.opset < 13)
    for (int64_t d = *axis + 1; d < rank; ++d)
      axes.push_back(d);
  FailureOr<HeldValue> y = node.heldAxesLast(*x, axes);
  if (failed(y))
    return failure();
  RankedTensorType type = node.typeOf(y->value);
  ArrayRef<int64_t> shape = type.getShape();
  int64_t inner = 1, kept = shape.size() - axes.size();
  for (int64_t size : shape.drop_front(kept))
    inner *= size;
  SmallVector<int64_t> flat(shape.take_front(kept));
  flat.push_back(inner);
  Value in = y->value;
  if (axes.size() > 1)
    in = ReshapeOp::create(node.builder, node.loc,
                           RankedTensorType::get(flat, type.getElementType()),
                           in);
  Value out = build(node, in, kept);
  if (axes.size() > 1)
    out = ReshapeOp::create(node.builder, node.loc, type, out);
  return NodeOutputs{node.fromHeld(out, y->layout)};
}

template <AxisOpBuilder build>
static FailureOr<NodeOutputs> importSoftmax(NodeBuilder &node) {
  FailureOr<int64_t> attr = node.getInt("axis", node.opset < 13 ? 1 : -1);
  if (failed(attr))
    return failure();
  if (node.heldTransposed(0))
    return axisOpOfHeld<build>(node, *attr);
  FailureOr<Value> x = node.input(0);
  if (failed(x))
    return failure();
  RankedTensorType type = node.typeOf(*x);
  int64_t rank = type.getRank();
  FailureOr<int64_t> normalized = normalizedAxis(node, *attr, rank);
  if (failed(normalized))
    return failure();
  int64_t axis = *normalized;
  OpBuilder &b = node.builder;
  ArrayRef<int64_t> shape = type.getShape();
  if (build == buildHardmax && ShapedType::isDynamic(shape[axis])) {
    node.emitError() << "axis " << axis << " is the dynamic batch dimension";
    return failure();
  }
  if (node.opset >= 13 || axis == rank - 1)
    return single(build(node, *x, axis));
  // Opsets < 13: over the input flattened to (before axis, from axis on).
  if (axis == 0 && ShapedType::isDynamic(shape[0])) {
    node.emitError() << "axis 0 normalizes across the dynamic batch";
    return failure();
  }
  int64_t inner = 1, outer = 1;
  for (int64_t d = axis; d < rank; ++d)
    inner *= shape[d];
  for (int64_t d = 0; d < axis; ++d)
    outer = ShapedType::isDynamic(shape[d]) || ShapedType::isDynamic(outer)
                ? ShapedType::kDynamic
                : outer * shape[d];
  auto flat = RankedTensorType::get({outer, inner}, type.getElementType());
  Value y = ReshapeOp::create(b, node.loc, flat, *x);
  y = build(node, y, 1);
  return single(Value(ReshapeOp::create(b, node.loc, type, y)));
}

/// ArgMax/ArgMin: kiln.argmax/argmin, int64 indices.
template <typename OpTy>
static FailureOr<NodeOutputs> importArgReduce(NodeBuilder &node) {
  FailureOr<Value> x = node.input(0);
  FailureOr<int64_t> attr = node.getInt("axis", 0);
  FailureOr<int64_t> keepDims = node.getInt("keepdims", 1);
  FailureOr<int64_t> last = node.getInt("select_last_index", 0);
  if (failed(x) || failed(attr) || failed(keepDims) || failed(last))
    return failure();
  RankedTensorType type = node.typeOf(*x);
  FailureOr<int64_t> axis = normalizedAxis(node, *attr, type.getRank());
  if (failed(axis))
    return failure();
  if (type.isDynamicDim(*axis)) {
    node.emitError() << "axis " << *axis << " is the dynamic batch dimension";
    return failure();
  }
  OpBuilder &b = node.builder;
  return single(Value(OpTy::create(b, node.loc, *x, b.getI64IntegerAttr(*axis),
                                   b.getBoolAttr(*keepDims != 0),
                                   b.getBoolAttr(*last != 0))));
}

//===----------------------------------------------------------------------===//
// NegativeLogLikelihoodLoss, SoftmaxCrossEntropyLoss
//===----------------------------------------------------------------------===//

/// NegativeLogLikelihoodLoss(input (N, C, d1..dk), target (N, d1..dk),
/// weight (C)?; reduction = mean, ignore_index) of `logProb`, the input:
/// loss[n, d] = -weight[t] input[n, t, d] with t = target[n, d] (0 where t
/// is ignore_index or outside [0, C)); per element (none), summed (sum), or
/// summed over the summed weight[t] of the targets not ignored (mean: NaN
/// when all are). A one-hot product with the classes moved last, so that
/// the gradient reaches the input. A known weight is a constant of the
/// loss, not a parameter.
static FailureOr<Value> buildNegativeLogLikelihood(NodeBuilder &node,
                                                   Value logProb) {
  FailureOr<std::string> reduction = node.getString("reduction", "mean");
  if (failed(reduction))
    return failure();
  if (*reduction != "none" && *reduction != "sum" && *reduction != "mean") {
    node.emitError() << "reduction '" << *reduction
                     << "' is not none, sum or mean";
    return failure();
  }
  OpBuilder &b = node.builder;
  Location loc = node.loc;
  RankedTensorType type = node.typeOf(logProb);
  if (type.getRank() < 2) {
    node.emitError() << "input " << formatKerasShape(type.getShape())
                     << " has no classes: it must be (N, C, ...)";
    return failure();
  }
  int64_t classes = type.getDimSize(1);
  if (ShapedType::isDynamic(classes)) {
    node.emitError() << "the classes (axis 1) are the dynamic batch dimension";
    return failure();
  }
  FailureOr<Value> target = node.floatIds(1);
  if (failed(target))
    return failure();
  SmallVector<int64_t> expected(type.getShape());
  expected.erase(expected.begin() + 1);
  ArrayRef<int64_t> targetShape = node.typeOf(*target).getShape();
  if (targetShape != ArrayRef<int64_t>(expected)) {
    node.emitError() << "target " << formatKerasShape(targetShape)
                     << " must be the input's shape without its classes, "
                     << formatKerasShape(expected);
    return failure();
  }
  // An ignored class becomes -1, whose one-hot row is all zeros (as is
  // that of any target outside [0, C)).
  Value ids = *target;
  if (node.attribute("ignore_index")) {
    FailureOr<int64_t> ignored = node.getInt("ignore_index", 0);
    if (failed(ignored))
      return failure();
    if (*ignored >= 0 && *ignored < classes)
      ids = SelectOp::create(
          b, loc, EqualOp::create(b, loc, ids, node.scalar(double(*ignored))),
          node.scalar(-1), ids);
  }
  expected.push_back(classes);
  Value hot = OneHotOp::create(
      b, loc, RankedTensorType::get(expected, b.getF32Type()), ids, classes);
  if (node.hasInput(2)) {
    FailureOr<std::pair<SmallVector<int64_t>, OnnxType>> info =
        node.inputInfo(2);
    if (failed(info))
      return failure();
    if (info->first != ArrayRef<int64_t>{classes}) {
      node.emitError() << "weight " << formatKerasShape(info->first)
                       << " must have one value per class, (" << classes
                       << ",)";
      return failure();
    }
    Value weight;
    if (const HostTensor *known = node.known(2)) {
      weight = node.constant(known->shape, SmallVector<float>(known->values.begin(),
                                                              known->values.end()));
    } else {
      FailureOr<Value> given = node.input(2);
      if (failed(given))
        return failure();
      weight = *given;
    }
    hot = MulOp::create(b, loc, hot, weight);
  }
  int64_t last = expected.size() - 1;
  Value loss = NegOp::create(
      b, loc,
      ReduceSumOp::create(
          b, loc, MulOp::create(b, loc, hot, node.moveAxisLast(logProb, 1)),
          ArrayRef<int64_t>{last}, /*keep_dims=*/false));
  if (*reduction == "none")
    return loss;
  SmallVector<int64_t> all = llvm::to_vector(llvm::seq<int64_t>(0, last));
  Value total = ReduceSumOp::create(b, loc, loss, all, /*keep_dims=*/false);
  if (*reduction == "sum")
    return total;
  all.push_back(last);
  return Value(DivOp::create(
      b, loc, total,
      ReduceSumOp::create(b, loc, hot, all, /*keep_dims=*/false)));
}

static FailureOr<NodeOutputs> importNegativeLogLikelihoodLoss(NodeBuilder &node) {
  FailureOr<Value> input = node.input(0);
  if (failed(input))
    return failure();
  return single(buildNegativeLogLikelihood(node, *input));
}

/// SoftmaxCrossEntropyLoss(scores (N, C, ...), labels, weights?): the
/// negative log-likelihood of log_softmax(scores) along the classes, and
/// that log-softmax as the optional second output.
static FailureOr<NodeOutputs> importSoftmaxCrossEntropyLoss(NodeBuilder &node) {
  FailureOr<Value> scores = node.input(0);
  if (failed(scores))
    return failure();
  if (node.typeOf(*scores).getRank() < 2) {
    node.emitError() << "scores "
                     << formatKerasShape(node.typeOf(*scores).getShape())
                     << " have no classes: they must be (N, C, ...)";
    return failure();
  }
  Value logProb = LogSoftmaxOp::create(node.builder, node.loc, *scores,
                                       node.builder.getI64IntegerAttr(1));
  FailureOr<Value> loss = buildNegativeLogLikelihood(node, logProb);
  if (failed(loss))
    return failure();
  NodeOutputs outputs{OnnxValue::ofValue(*loss)};
  if (node.node.output_size() > 1)
    outputs.push_back(OnnxValue::ofValue(logProb));
  return outputs;
}

// CumSum(x, axis; exclusive = 0, reverse = 0): running sums along a known
// axis, kiln.cumsum, of float32 data or of int32/int64 tensors at run time
// (RoBERTa's position ids count a padding mask's ones).
static FailureOr<NodeOutputs> importCumSum(NodeBuilder &node) {
  FailureOr<int64_t> exclusive = node.getInt("exclusive", 0);
  FailureOr<int64_t> reverse = node.getInt("reverse", 0);
  FailureOr<std::optional<SmallVector<int64_t>>> axis =
      node.knownInts(1, "the axis");
  FailureOr<Value> x = node.anyInput(0);
  if (failed(exclusive) || failed(reverse) || failed(axis) || failed(x))
    return failure();
  Type element = node.typeOf(*x).getElementType();
  if (!isNumeric(element)) {
    node.emitError() << "sums " << typeName(onnxTypeOf(element)) << " values";
    return failure();
  }
  ArrayRef<int64_t> shape = node.typeOf(*x).getShape();
  int64_t rank = shape.size();
  if (!*axis || (*axis)->size() != 1 || (**axis)[0] < -rank ||
      (**axis)[0] >= rank) {
    node.emitError() << "the axis must be one known integer in [" << -rank
                     << ", " << rank << ")";
    return failure();
  }
  int64_t a = (**axis)[0] < 0 ? (**axis)[0] + rank : (**axis)[0];
  if (ShapedType::isDynamic(shape[a])) {
    node.emitError() << "sums along the dynamic batch dimension";
    return failure();
  }
  return single(Value(CumSumOp::create(node.builder, node.loc, *x, a,
                                       *exclusive != 0, *reverse != 0)));
}

void mlir::kiln::onnx_import::registerReductionOps(OpRegistry &r) {
  static constexpr StringLiteral axesKeep[] = {"axes", "keepdims"};
  static constexpr StringLiteral keepNoop[] = {"keepdims",
                                               "noop_with_empty_axes"};
  static constexpr StringLiteral axis[] = {"axis"};
  auto add = [&](StringRef op, OpHandler attrAxes, OpHandler operandAxes,
                 int64_t operandSince) {
    r[op].push_back(OpKind{1, operandSince - 1, attrAxes, axesKeep});
    r[op].push_back(OpKind{operandSince, kNewestOpset, operandAxes,
                             keepNoop, 0b10, 0, operandSince >= 18 ? 2 : -1});
  };
  // ReduceSum takes its axes as an operand from opset 13; the others from
  // opset 18 (ReduceMax and ReduceMin-20 only add bool).
  add("ReduceSum", importReduce<Reduction::Sum, false>,
      importReduce<Reduction::Sum, true>, 13);
  add("ReduceMean", importReduce<Reduction::Mean, false>,
      importReduce<Reduction::Mean, true>, 18);
  add("ReduceL1", importReduce<Reduction::L1, false>,
      importReduce<Reduction::L1, true>, 18);
  add("ReduceL2", importReduce<Reduction::L2, false>,
      importReduce<Reduction::L2, true>, 18);
  add("ReduceSumSquare", importReduce<Reduction::SumSquare, false>,
      importReduce<Reduction::SumSquare, true>, 18);
  add("ReduceLogSum", importReduce<Reduction::LogSum, false>,
      importReduce<Reduction::LogSum, true>, 18);
  add("ReduceLogSumExp", importReduce<Reduction::LogSumExp, false>,
      importReduce<Reduction::LogSumExp, true>, 18);
  add("ReduceMax", importReduce<Reduction::Max, false>,
      importReduce<Reduction::Max, true>, 18);
  add("ReduceMin", importReduce<Reduction::Min, false>,
      importReduce<Reduction::Min, true>, 18);
  add("ReduceProd", importReduce<Reduction::Prod, false>,
      importReduce<Reduction::Prod, true>, 18);
  auto addAxisOp = [&](StringRef op, OpHandler handler) {
    r[op].push_back(OpKind{1, 12, handler, axis});
    r[op].push_back(OpKind{13, kNewestOpset, handler, axis});
  };
  addAxisOp("Softmax", importSoftmax<buildAxisOp<SoftmaxOp>>);
  addAxisOp("LogSoftmax", importSoftmax<buildAxisOp<LogSoftmaxOp>>);
  addAxisOp("Hardmax", importSoftmax<buildHardmax>);
  // Opset 13 only added element types; the target may be a run-time tensor
  // of int32/int64 ids.
  static constexpr StringLiteral lossAttrs[] = {"reduction", "ignore_index"};
  r["NegativeLogLikelihoodLoss"].push_back(
      OpKind{12, kNewestOpset, importNegativeLogLikelihoodLoss, lossAttrs, 0, 0b10});
  r["SoftmaxCrossEntropyLoss"].push_back(
      OpKind{12, kNewestOpset, importSoftmaxCrossEntropyLoss, lossAttrs, 0, 0b10});
  // CumSum-14 only added element types.
  static constexpr StringLiteral cumSumAttrs[] = {"exclusive", "reverse"};
  r["CumSum"].push_back(
      OpKind{11, kNewestOpset, importCumSum, cumSumAttrs, 0b10, 0b1});
  // Opset 11 allowed a negative axis, 12 added select_last_index.
  static constexpr StringLiteral argAttrs[] = {"axis", "keepdims"};
  static constexpr StringLiteral argLastAttrs[] = {"axis", "keepdims",
                                                   "select_last_index"};
  r["ArgMax"].push_back(OpKind{1, 11, importArgReduce<ArgMaxOp>, argAttrs});
  r["ArgMax"].push_back(
      OpKind{12, kNewestOpset, importArgReduce<ArgMaxOp>, argLastAttrs});
  r["ArgMin"].push_back(OpKind{1, 11, importArgReduce<ArgMinOp>, argAttrs});
  r["ArgMin"].push_back(
      OpKind{12, kNewestOpset, importArgReduce<ArgMinOp>, argLastAttrs});
}
