//===- WindowOps.cpp - Window-op formulas both importers share --*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//===----------------------------------------------------------------------===//

#include "frontend/WindowOps.h"

#include "dialects/kiln/Model/ImportedModel.h"

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

namespace {
/// A transposed convolution's fold: `g` with its negative padding turned
/// into `before` / `after` output positions of zeros (blocks concatenated)
/// around the `folded` sizes that `kiln.fold_patches` fills.
struct TransposedFold {
  WindowGeometry g;
  SmallVector<int64_t> folded, before, after;
};
} // namespace

static TransposedFold splitPadding(const WindowGeometry &g,
                                   ArrayRef<int64_t> out) {
  TransposedFold f{g, SmallVector<int64_t>(out), {}, {}};
  for (int64_t i = 0; i < g.rank(); ++i) {
    f.before.push_back(std::max<int64_t>(-g.padLow[i], 0));
    f.after.push_back(std::max<int64_t>(-g.padHigh[i], 0));
    f.g.padLow[i] = std::max<int64_t>(g.padLow[i], 0);
    f.g.padHigh[i] = std::max<int64_t>(g.padHigh[i], 0);
    f.folded[i] -= f.before[i] + f.after[i];
    // Trailing positions that keep the number of windows (fewer than a
    // stride past the last one) need no block: the fold leaves them 0.
    int64_t span = g.dilations[i] * (g.window[i] - 1) + 1;
    int64_t slack = f.folded[i] + f.g.padLow[i] + f.g.padHigh[i] - span;
    if (slack >= 0 && f.after[i] > 0) {
      int64_t absorbed =
          std::min(f.after[i], g.strides[i] - 1 - slack % g.strides[i]);
      f.after[i] -= absorbed;
      f.folded[i] += absorbed;
    }
  }
  return f;
}

LogicalResult mlir::kiln::checkConvTranspose(const WindowGeometry &g,
                                             ArrayRef<int64_t> in,
                                             ArrayRef<int64_t> out,
                                             std::string &reason) {
  llvm::raw_string_ostream os(reason);
  int64_t rank = g.rank();
  if (int64_t(in.size()) != rank || int64_t(out.size()) != rank ||
      int64_t(g.padLow.size()) != rank || int64_t(g.padHigh.size()) != rank) {
    os << "the transposed window of rank " << rank << " does not match "
       << in.size() << " input and " << out.size() << " output dimensions";
    return failure();
  }
  TransposedFold f = splitPadding(g, out);
  for (int64_t i = 0; i < rank; ++i)
    if (f.folded[i] < 1) {
      os << "spatial dimension " << i << ": no window reaches the " << out[i]
         << " output positions";
      return failure();
    }
  FailureOr<SmallVector<int64_t>> positions = f.g.outputSizes(f.folded, reason);
  if (failed(positions))
    return failure();
  if (ArrayRef<int64_t>(*positions) != in) {
    os << "the transposed window does not map " << formatKerasShape(in)
       << " onto " << formatKerasShape(out);
    return failure();
  }
  return success();
}

Value mlir::kiln::buildConvTranspose(OpBuilder &b, Location loc, Value x,
                                     Value kernel, const WindowGeometry &g,
                                     ArrayRef<int64_t> out, int64_t groups) {
  auto type = cast<RankedTensorType>(x.getType());
  Type element = type.getElementType();
  ArrayRef<int64_t> shape = type.getShape();
  int64_t c = shape.back();
  int64_t fg = cast<RankedTensorType>(kernel.getType()).getShape().back();
  int64_t f = fg * groups;
  Value rows;
  if (groups == 1) {
    // (C, K..., F) -> (C, taps * F); rows (N, S..., taps * F).
    Value matrix = ReshapeOp::create(
        b, loc, RankedTensorType::get({c, g.taps() * f}, element), kernel);
    rows = MatMulOp::create(b, loc, x, matrix);
  } else {
    // x (N, S..., 1, G, Cg, 1) times the kernel (taps, G, Cg, Fg), summed
    // over Cg: (N, S..., taps, G, Fg).
    int64_t cg = c / groups;
    SmallVector<int64_t> split(shape.drop_back());
    split.append({1, groups, cg, 1});
    Value xs =
        ReshapeOp::create(b, loc, RankedTensorType::get(split, element), x);
    Value w = ReshapeOp::create(
        b, loc, RankedTensorType::get({groups, cg, g.taps(), fg}, element),
        kernel);
    w = TransposeOp::create(b, loc, w, ArrayRef<int64_t>{2, 0, 1, 3});
    Value products = MulOp::create(b, loc, xs, w);
    int64_t rank = static_cast<int64_t>(split.size());
    Value sums = ReduceSumOp::create(b, loc, products,
                                     ArrayRef<int64_t>{rank - 2}, false);
    SmallVector<int64_t> flat(shape.drop_back());
    flat.push_back(g.taps() * f);
    rows =
        ReshapeOp::create(b, loc, RankedTensorType::get(flat, element), sums);
  }
  TransposedFold fold = splitPadding(g, out);
  SmallVector<int64_t> foldShape{shape.front()};
  foldShape.append(fold.folded);
  foldShape.push_back(f);
  Value like =
      ZerosOp::create(b, loc, RankedTensorType::get(foldShape, element), x);
  Value y =
      FoldPatchesOp::create(b, loc, rows, like, fold.g.window, fold.g.strides,
                            fold.g.dilations, fold.g.padLow, fold.g.padHigh);
  for (int64_t i = 0; i < g.rank(); ++i)
    y = buildConstantPad(b, loc, y, 1 + i, fold.before[i], fold.after[i]);
  return y;
}

Value mlir::kiln::buildZerosLike(OpBuilder &b, Location loc, Value x,
                                 ArrayRef<int64_t> shape) {
  auto xType = cast<RankedTensorType>(x.getType());
  auto type = RankedTensorType::get(shape, xType.getElementType());
  if (!shape.empty() && xType.getRank() > 0 &&
      (shape.front() == xType.getDimSize(0) ||
       ShapedType::isDynamic(shape.front())))
    return ZerosOp::create(b, loc, type, x);
  return ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(type, b.getZeroAttr(type.getElementType())));
}

Value mlir::kiln::buildConstantPad(OpBuilder &b, Location loc, Value x,
                                   int64_t axis, int64_t before, int64_t after,
                                   Value fill) {
  auto block = [&](int64_t size) {
    SmallVector<int64_t> shape(cast<RankedTensorType>(x.getType()).getShape());
    shape[axis] = size;
    Value zeros = buildZerosLike(b, loc, x, shape);
    return fill ? Value(AddOp::create(b, loc, zeros, fill)) : zeros;
  };
  SmallVector<Value> parts;
  if (before)
    parts.push_back(block(before));
  parts.push_back(x);
  if (after)
    parts.push_back(block(after));
  if (parts.size() == 1)
    return x;
  return ConcatOp::create(b, loc, parts, axis);
}

Value mlir::kiln::buildRepeat(OpBuilder &b, Location loc, Value x,
                              ArrayRef<int64_t> factors) {
  auto type = cast<RankedTensorType>(x.getType());
  if (llvm::all_of(factors, [](int64_t k) { return k == 1; }))
    return x;
  SmallVector<int64_t> split, repeated, out;
  for (auto [d, k] : llvm::zip(type.getShape(), factors)) {
    split.push_back(d);
    repeated.push_back(d);
    out.push_back(k == 1 || ShapedType::isDynamic(d) ? d : d * k);
    if (k != 1) {
      split.push_back(1);
      repeated.push_back(k);
    }
  }
  Type element = type.getElementType();
  Value s = ReshapeOp::create(b, loc, RankedTensorType::get(split, element), x);
  auto repeatedType = RankedTensorType::get(repeated, element);
  Value like = ZerosOp::create(b, loc, repeatedType, x);
  Value r = BroadcastOp::create(b, loc, repeatedType, s, like);
  return ReshapeOp::create(b, loc, RankedTensorType::get(out, element), r);
}

//===----------------------------------------------------------------------===//
// Resizing
//===----------------------------------------------------------------------===//

/// The cubic convolution kernel of `a` at distance `x`.
static double cubicKernel(double a, double x) {
  x = std::abs(x);
  if (x <= 1)
    return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2)
    return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
  return 0;
}

/// ONNX's antialiased taps (Resize-18): the linear or cubic filter
/// stretched by 1 / scale when downsampling, read at the input positions
/// base + i for i in [start, 2 - start) and normalized to sum 1, as the
/// reference's _linear_coeffs_antialias / _cubic_coeffs_antialias.
static void antialiasTaps(const Interpolation &ip, double scale, int64_t base,
                          double ratio,
                          SmallVector<std::pair<int64_t, double>, 4> &taps) {
  double s = std::min(scale, 1.0);
  bool cubic = ip.mode == Interpolation::Mode::Cubic;
  int64_t start = int64_t(std::floor((cubic ? -2.0 : -1.0) / s)) + 1;
  double sum = 0;
  for (int64_t i = start; i < 2 - start; ++i) {
    double x = s * (double(i) - ratio);
    double w = cubic ? cubicKernel(ip.cubicA, x)
                     : std::clamp(1 - std::abs(x), 0.0, 1.0);
    taps.push_back({base + i, w});
    sum += w;
  }
  for (auto &tap : taps)
    tap.second /= sum;
}

AxisMap mlir::kiln::buildAxisMap(const Interpolation &ip, int64_t in,
                                 int64_t out, double scale, double outputWidth,
                                 double roiStart, double roiEnd) {
  AxisMap m;
  m.in = in;
  m.out = out;
  m.rows.resize(out);
  m.outside.assign(out, false);
  const std::string &t = ip.transform;
  for (int64_t o = 0; o < out; ++o) {
    double x = double(o), xo;
    if (t == "align_corners")
      xo = outputWidth == 1 ? 0 : x * double(in - 1) / (outputWidth - 1);
    else if (t == "asymmetric")
      xo = x / scale;
    else if (t == "tf_half_pixel_for_nn")
      xo = (x + 0.5) / scale;
    else if (t == "pytorch_half_pixel")
      xo = outputWidth == 1 ? -0.5 : (x + 0.5) / scale - 0.5;
    else if (t == "half_pixel_symmetric")
      // The centre of the input maps to the centre of the output, which
      // differs from half_pixel where the size was rounded down.
      xo = double(in) / 2 * (1 - double(out) / outputWidth) +
           (x + 0.5) / scale - 0.5;
    else if (t == "tf_crop_and_resize")
      xo = (outputWidth == 1 ? (roiEnd - roiStart) * double(in - 1) / 2
                             : x * (roiEnd - roiStart) * double(in - 1) /
                                   (outputWidth - 1)) +
           roiStart * double(in - 1);
    else // half_pixel
      xo = (x + 0.5) / scale - 0.5;
    if (t == "tf_crop_and_resize" && (xo < 0 || xo > double(in - 1))) {
      m.outside[o] = true;
      continue;
    }
    // The neighbours start at `base`; an integral coordinate is the last
    // of the lower pair (ratio 1), as the reference picks them.
    double floorX = std::floor(xo);
    int64_t base = int64_t(floorX);
    double ratio = xo - floorX;
    if (ratio == 0) {
      base -= 1;
      ratio = 1;
    }
    SmallVector<std::pair<int64_t, double>, 4> taps;
    switch (ip.mode) {
    case Interpolation::Mode::Nearest: {
      bool upper;
      if (ratio == 1 || ip.nearest == "ceil")
        upper = true;
      else if (ip.nearest == "floor")
        upper = false;
      else if (ip.nearest == "round_prefer_ceil")
        upper = ratio >= 0.5;
      else
        upper = ratio > 0.5;
      taps.push_back({base + (upper ? 1 : 0), 1.0});
      break;
    }
    case Interpolation::Mode::Linear:
      if (ip.antialias) {
        antialiasTaps(ip, scale, base, ratio, taps);
        break;
      }
      taps.push_back({base, 1 - ratio});
      taps.push_back({base + 1, ratio});
      break;
    case Interpolation::Mode::Cubic: {
      if (ip.antialias) {
        antialiasTaps(ip, scale, base, ratio, taps);
        break;
      }
      double a = ip.cubicA, r = ratio, s = 1 - ratio;
      taps.push_back(
          {base - 1,
           ((a * (r + 1) - 5 * a) * (r + 1) + 8 * a) * (r + 1) - 4 * a});
      taps.push_back({base, ((a + 2) * r - (a + 3)) * r * r + 1});
      taps.push_back({base + 1, ((a + 2) * s - (a + 3)) * s * s + 1});
      taps.push_back(
          {base + 2,
           ((a * (s + 1) - 5 * a) * (s + 1) + 8 * a) * (s + 1) - 4 * a});
      break;
    }
    }
    if (ip.excludeOutside) {
      double sum = 0;
      for (auto &[i, w] : taps) {
        if (i < 0 || i >= in)
          w = 0;
        sum += w;
      }
      for (auto &tap : taps)
        tap.second /= sum;
    }
    // Edge clamping: taps beyond the input read its first or last element.
    for (auto [i, w] : taps) {
      int64_t at = std::clamp<int64_t>(i, 0, in - 1);
      auto *same = llvm::find_if(m.rows[o],
                                 [&](const auto &e) { return e.first == at; });
      if (same != m.rows[o].end())
        same->second += w;
      else if (w != 0)
        m.rows[o].push_back({at, w});
    }
  }
  return m;
}

Value mlir::kiln::applyAxisMap(OpBuilder &b, Location loc, Value x,
                               int64_t axis, const AxisMap &m) {
  SmallVector<float> matrix(m.in * m.out);
  for (int64_t o = 0; o < m.out; ++o)
    for (auto [i, w] : m.rows[o])
      matrix[i * m.out + o] = float(w);
  auto f32 = b.getF32Type();
  Value rhs = ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(RankedTensorType::get({m.in, m.out}, f32),
                             ArrayRef<float>(matrix)));
  int64_t rank = cast<RankedTensorType>(x.getType()).getRank();
  if (rank == 1) {
    Value row =
        ReshapeOp::create(b, loc, RankedTensorType::get({1, m.in}, f32), x);
    Value y = MatMulOp::create(b, loc, row, rhs);
    return ReshapeOp::create(b, loc, RankedTensorType::get({m.out}, f32), y);
  }
  SmallVector<int64_t> perm = llvm::to_vector(llvm::seq<int64_t>(0, rank));
  std::swap(perm[axis], perm[rank - 1]);
  bool last = axis == rank - 1;
  Value y = last ? x : Value(TransposeOp::create(b, loc, x, perm));
  y = MatMulOp::create(b, loc, y, rhs);
  return last ? y : Value(TransposeOp::create(b, loc, y, perm));
}
