//===- WindowOps.cpp - Window-op formulas both importers share --*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//===----------------------------------------------------------------------===//

#include "frontend/WindowOps.h"

using namespace mlir;
using namespace mlir::kiln;

Value mlir::kiln::buildGroupedConv(OpBuilder &b, Location loc, Value x,
                                   Value kernel, const WindowGeometry &g,
                                   int64_t groups) {
  if (groups == 1)
    return ConvOp::create(b, loc, x, kernel, g.strides, g.dilations, g.padLow,
                          g.padHigh);
  // The patches (N, O..., taps, G, Cg, 1) times the kernel as (taps, G, Cg,
  // Fg), summed over the taps and channels.
  auto type = cast<RankedTensorType>(x.getType());
  Type element = type.getElementType();
  int64_t cg = type.getShape().back() / groups;
  int64_t fg =
      cast<RankedTensorType>(kernel.getType()).getShape().back() / groups;
  Value patches = ExtractPatchesOp::create(b, loc, x, g.window, g.strides,
                                           g.dilations, g.padLow, g.padHigh);
  ArrayRef<int64_t> pshape =
      cast<RankedTensorType>(patches.getType()).getShape();
  SmallVector<int64_t> split(pshape.drop_back());
  split.append({g.taps(), groups, cg, 1});
  Value p =
      ReshapeOp::create(b, loc, RankedTensorType::get(split, element), patches);
  // (K..., Cg, G * Fg) -> (taps, Cg, G, Fg) -> (taps, G, Cg, Fg)
  Value w = ReshapeOp::create(
      b, loc, RankedTensorType::get({g.taps(), cg, groups, fg}, element),
      kernel);
  w = TransposeOp::create(b, loc, w, ArrayRef<int64_t>{0, 2, 1, 3});
  Value products = MulOp::create(b, loc, p, w);
  int64_t rank = static_cast<int64_t>(split.size());
  Value sums = ReduceSumOp::create(
      b, loc, products, ArrayRef<int64_t>{rank - 4, rank - 2}, false);
  SmallVector<int64_t> out(pshape.drop_back());
  out.push_back(groups * fg);
  return ReshapeOp::create(b, loc, RankedTensorType::get(out, element), sums);
}

/// The reciprocal of the number of counted elements in each window of `g`
/// (see buildAveragePool), shaped (outputs..., 1) to broadcast over the
/// batch and channels; a scalar when every window counts all its taps.
static Value inverseCounts(OpBuilder &b, Location loc, const WindowGeometry &g,
                           ArrayRef<int64_t> spatial, ArrayRef<int64_t> out,
                           ArrayRef<int64_t> countLow,
                           ArrayRef<int64_t> countHigh) {
  int64_t positions = 1;
  for (int64_t o : out)
    positions *= o;
  SmallVector<float> values;
  bool whole = true;
  for (int64_t flat = 0; flat < positions; ++flat) {
    int64_t count = 1, rest = flat;
    for (int64_t i = g.rank() - 1; i >= 0; --i) {
      int64_t o = rest % out[i];
      rest /= out[i];
      int64_t first = o * g.strides[i] - g.padLow[i];
      int64_t taps = 0;
      for (int64_t k = 0; k < g.window[i]; ++k) {
        int64_t at = first + k * g.dilations[i];
        taps += at >= -countLow[i] && at < spatial[i] + countHigh[i];
      }
      count *= taps;
    }
    whole &= count == g.taps();
    values.push_back(count ? 1.0f / static_cast<float>(count) : 0.0f);
  }
  SmallVector<int64_t> shape(out);
  shape.push_back(1);
  if (whole)
    shape.clear();
  auto type = RankedTensorType::get(shape, b.getF32Type());
  return ConstantOp::create(
      b, loc,
      whole ? DenseElementsAttr::get(type, values.front())
            : DenseElementsAttr::get(type, ArrayRef<float>(values)));
}

Value mlir::kiln::buildAveragePool(OpBuilder &b, Location loc, Value x,
                                   const WindowGeometry &g,
                                   ArrayRef<int64_t> out,
                                   ArrayRef<int64_t> countLow,
                                   ArrayRef<int64_t> countHigh) {
  auto type = cast<RankedTensorType>(x.getType());
  // (N, O..., taps * C) -> (N, O..., taps, C) -> sum over the taps.
  Value patches = ExtractPatchesOp::create(b, loc, x, g.window, g.strides,
                                           g.dilations, g.padLow, g.padHigh);
  SmallVector<int64_t> split{type.getDimSize(0)};
  split.append(out.begin(), out.end());
  split.append({g.taps(), type.getShape().back()});
  Value taps = ReshapeOp::create(
      b, loc, RankedTensorType::get(split, type.getElementType()), patches);
  Value sums =
      ReduceSumOp::create(b, loc, taps, ArrayRef<int64_t>{g.rank() + 1},
                          /*keep_dims=*/false);
  ArrayRef<int64_t> spatial = type.getShape().drop_front().drop_back();
  return MulOp::create(
      b, loc, sums,
      inverseCounts(b, loc, g, spatial, out, countLow, countHigh));
}
