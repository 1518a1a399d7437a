//===- GradientBuilder.cpp - Building kiln math in gradient rules -*- C++ -*-=//
// SPDX-License-Identifier: Apache-2.0
//===----------------------------------------------------------------------===//

#include "passes/autodiff/GradientBuilder.h"

using namespace mlir;
using namespace mlir::kiln;

static RankedTensorType typeOf(Value v) {
  return cast<RankedTensorType>(v.getType());
}

Value GradientBuilder::scalar(Value like, double value) {
  Type element = typeOf(like).getElementType();
  auto type = RankedTensorType::get({}, element);
  return ConstantOp::create(
      b, loc, DenseElementsAttr::get(type, b.getFloatAttr(element, value)));
}

// The ops infer their result types (each shape rule lives in its op).
template <typename OpTy> Value GradientBuilder::binary(Value lhs, Value rhs) {
  return OpTy::create(b, loc, lhs, rhs);
}

template Value GradientBuilder::binary<AddOp>(Value, Value);
template Value GradientBuilder::binary<SubOp>(Value, Value);
template Value GradientBuilder::binary<MulOp>(Value, Value);
template Value GradientBuilder::binary<DivOp>(Value, Value);

Value GradientBuilder::matmul(Value lhs, Value rhs) {
  return MatMulOp::create(b, loc, lhs, rhs);
}

Value GradientBuilder::transpose(Value x, ArrayRef<int64_t> permutation) {
  return TransposeOp::create(b, loc, x, permutation);
}

Value GradientBuilder::rows(Value x) {
  auto type = cast<RankedTensorType>(x.getType());
  if (type.getRank() == 2)
    return x;
  int64_t lead = ShapedType::kDynamic;
  if (type.hasStaticShape()) {
    lead = 1;
    for (int64_t dim : type.getShape().drop_back())
      lead *= dim;
  }
  return reshape(x, RankedTensorType::get({lead, type.getShape().back()},
                                          type.getElementType()));
}

Value GradientBuilder::reshape(Value x, RankedTensorType type) {
  auto target =
      RankedTensorType::get(type.getShape(), typeOf(x).getElementType());
  if (target == typeOf(x))
    return x;
  return ReshapeOp::create(b, loc, target, x);
}

Value GradientBuilder::broadcast(Value x, Value reference) {
  auto type = RankedTensorType::get(typeOf(reference).getShape(),
                                    typeOf(x).getElementType());
  if (type == typeOf(x))
    return x;
  return BroadcastOp::create(b, loc, type, x, reference);
}

Value GradientBuilder::reduceSum(Value x, ArrayRef<int64_t> axes,
                                 bool keepDims) {
  return ReduceSumOp::create(b, loc, x, axes, keepDims);
}

Value GradientBuilder::sumToShape(Value grad, RankedTensorType type) {
  RankedTensorType gradType = typeOf(grad);
  if (gradType.getShape() == type.getShape())
    return grad;
  int64_t lead = gradType.getRank() - type.getRank();
  SmallVector<int64_t> axes;
  for (int64_t i = 0; i < gradType.getRank(); ++i)
    if (i < lead ||
        (type.getDimSize(i - lead) == 1 && gradType.getDimSize(i) != 1))
      axes.push_back(i);
  Value summed = axes.empty() ? grad : reduceSum(grad, axes, /*keepDims=*/true);
  return reshape(summed, type);
}

Value GradientBuilder::zerosLike(Value like) {
  RankedTensorType type = typeOf(like);
  if (type.hasStaticShape())
    return zeros(type);
  return broadcast(scalar(like, 0.0), like);
}

Value GradientBuilder::zeros(RankedTensorType type) {
  assert(type.hasStaticShape() && "zeros of a static shape");
  return ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(type, b.getFloatAttr(type.getElementType(), 0.0)));
}

bool mlir::kiln::isZeros(Value value) {
  while (auto slice = value.getDefiningOp<SliceOp>())
    value = slice.getInput();
  if (auto broadcast = value.getDefiningOp<BroadcastOp>())
    value = broadcast.getInput();
  if (value.getDefiningOp<ZerosOp>())
    return true;
  auto constant = value.getDefiningOp<ConstantOp>();
  auto dense =
      constant ? dyn_cast<DenseFPElementsAttr>(constant.getValue()) : nullptr;
  return dense && dense.isSplat() && dense.getSplatValue<APFloat>().isZero();
}

namespace {

/// A range [start, start + size) of a concatenation's axis, and the input
/// that fills it.
struct Part {
  int64_t start, size;
  Value value;
  bool zeros;
};

} // namespace

Value GradientBuilder::accumulate(Value acc, Value g) {
  // A step scattered into zeros (sequence_step's VJP) adds into that step of
  // the other side alone: a recurrent loop's input sequence gathers one
  // step's gradient an iteration, not a pass over the whole sequence.
  auto intoStep = [&](Value scattered, Value other,
                      bool scatteredFirst) -> Value {
    auto insert = scattered.getDefiningOp<SequenceInsertOp>();
    if (!insert || !isZeros(insert.getSequence()) ||
        scattered.getType() != other.getType())
      return {};
    Value step = SequenceStepOp::create(b, loc, other, insert.getStep());
    Value sum = scatteredFirst ? add(insert.getValue(), step)
                               : add(step, insert.getValue());
    return SequenceInsertOp::create(b, loc, sum, other, insert.getStep());
  };
  if (Value sum = intoStep(g, acc, /*scatteredFirst=*/false))
    return sum;
  if (Value sum = intoStep(acc, g, /*scatteredFirst=*/true))
    return sum;

  auto lhs = acc.getDefiningOp<ConcatOp>();
  auto rhs = g.getDefiningOp<ConcatOp>();
  if (!lhs || !rhs || acc.getType() != g.getType())
    return add(acc, g);
  int64_t axis = lhs.getNormalizedAxis();
  if (rhs.getNormalizedAxis() != axis)
    return add(acc, g);
  auto partsOf = [&](ConcatOp concat) {
    SmallVector<Part> parts;
    int64_t start = 0;
    for (Value input : concat.getInputs()) {
      int64_t size = typeOf(input).getDimSize(axis);
      parts.push_back({start, size, input, isZeros(input)});
      start += size;
    }
    return parts;
  };
  SmallVector<Part> left = partsOf(lhs), right = partsOf(rhs);
  auto anyZeros = [](ArrayRef<Part> parts) {
    return llvm::any_of(parts, [](const Part &part) { return part.zeros; });
  };
  if (!anyZeros(left) && !anyZeros(right))
    return add(acc, g);

  // Ranges between the starts of either side's parts: each lies in one
  // part of each side.
  SmallVector<int64_t> cuts;
  for (const Part &part : llvm::concat<const Part>(left, right))
    cuts.push_back(part.start);
  cuts.push_back(typeOf(acc).getDimSize(axis));
  llvm::sort(cuts);
  cuts.erase(llvm::unique(cuts), cuts.end());
  auto piece = [&](ArrayRef<Part> parts, int64_t from,
                   int64_t to) -> std::pair<Value, bool> {
    const Part &part = *llvm::find_if(parts, [&](const Part &part) {
      return part.start <= from && from < part.start + part.size;
    });
    if (from == part.start && to == part.start + part.size)
      return {part.value, part.zeros};
    Value slice =
        SliceOp::create(b, loc, part.value, axis, from - part.start, to - from);
    return {slice, part.zeros};
  };
  SmallVector<Value> ranges;
  for (auto [from, to] : llvm::zip(cuts, ArrayRef(cuts).drop_front())) {
    auto [x, xZeros] = piece(left, from, to);
    auto [y, yZeros] = piece(right, from, to);
    ranges.push_back(xZeros ? y : yZeros ? x : add(x, y));
  }
  if (ranges.size() == 1)
    return ranges.front();
  return ConcatOp::create(b, loc, ranges, axis);
}
