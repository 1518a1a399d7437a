//===- ResizeOps.cpp - ONNX Pad, Resize and Upsample ------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Ops that change a tensor's extent along some axes, on shapes known when
// compiling:
//  - Pad: negative pads crop first (`kiln.slice`); then each axis gets its
//    blocks concatenated (`kiln.concat`): zeros plus the constant value
//    (frontend/WindowOps.h, as Keras's ZeroPadding), the edge element
//    broadcast ('edge'), or the mirrored elements sliced one by one
//    ('reflect').
//  - Resize / Upsample: along each resized axis the output is a fixed
//    linear map of the input, an (out, in) matrix computed here from the
//    spec's coordinate transformation and the mode's weights (nearest: one
//    element; linear: two; cubic: four, with edge clamping or
//    exclude_outside), exactly as ONNX's reference interpolation does. A
//    map that repeats every element k times (nearest upsampling by an
//    integer factor, the common case) is a broadcast (Keras's UpSampling);
//    any other is a `kiln.matmul` with the matrix along that axis.
//    tf_crop_and_resize's positions outside the input get
//    extrapolation_value. Before opset 11 (Upsample, Resize-10) the
//    coordinates are 'asymmetric' and nearest rounds down.
// Gradients are those of the ops.
//===----------------------------------------------------------------------===//

#include "frontend/WindowOps.h"
#include "frontend/onnx/OnnxOps.h"

#include "dialects/kiln/IR/KilnDialect.h"
#include "dialects/kiln/Model/ImportedModel.h"

#include "onnx/onnx_pb.h"

#include "llvm/Support/Format.h"

#include <cmath>

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::onnx_import;

/// A scale as the model wrote it (0.5, 2, 1.25).
static std::string formatScale(double scale) {
  std::string s;
  llvm::raw_string_ostream(s) << llvm::format("%g", scale);
  return s;
}

//===----------------------------------------------------------------------===//
// Pad
//===----------------------------------------------------------------------===//

// Pad(data, pads, constant_value, axes), mode constant / reflect / edge /
// wrap (opset 19); before opset 11 pads and value are attributes, from 18
// the pads may cover some axes only.
static FailureOr<NodeOutputs> importPad(NodeBuilder &node) {
  FailureOr<Value> x = node.input(0);
  FailureOr<std::string> mode = node.getString("mode", "constant");
  if (failed(x) || failed(mode))
    return failure();
  std::optional<SmallVector<int64_t>> pads;
  Value fill;
  if (node.opset < 11) {
    FailureOr<std::optional<SmallVector<int64_t>>> attr = node.getInts("pads");
    FailureOr<float> value = node.getFloat("value", 0.0f);
    if (failed(attr) || failed(value))
      return failure();
    pads = *attr;
    if (*value != 0)
      fill = node.scalar(*value);
  } else {
    FailureOr<std::optional<SmallVector<int64_t>>> operand =
        node.knownInts(1, "pads");
    if (failed(operand))
      return failure();
    pads = *operand;
    if (node.hasInput(2)) {
      // A known value is a constant (an initializer too: it is no weight);
      // a computed one is added to the zeros.
      if (const HostTensor *t = node.known(2)) {
        if (t->type != OnnxType::Float || t->values.size() != 1) {
          node.emitError() << "constant_value must be one float32 value";
          return failure();
        }
        if (t->values[0] != 0)
          fill = node.scalar(t->values[0]);
      } else {
        FailureOr<Value> v = node.input(2);
        if (failed(v))
          return failure();
        if (!node.typeOf(*v).hasStaticShape() ||
            node.typeOf(*v).getNumElements() != 1 ||
            node.typeOf(*v).getRank() > 1) {
          node.emitError() << "constant_value must be one value, got "
                           << formatKerasShape(node.typeOf(*v).getShape());
          return failure();
        }
        fill = *v;
      }
    }
  }
  bool wrapMode = node.opset >= 19 && *mode == "wrap";
  if (*mode != "constant" && *mode != "reflect" && *mode != "edge" &&
      !wrapMode) {
    node.emitError() << "mode '" << *mode << "' is not supported (constant, "
                     << "reflect, edge" << (node.opset >= 19 ? ", wrap" : "")
                     << ")";
    return failure();
  }
  if (*mode != "constant")
    fill = {};
  ArrayRef<int64_t> shape = node.typeOf(*x).getShape();
  int64_t rank = shape.size();
  FailureOr<std::optional<SmallVector<int64_t>>> axes =
      node.opset >= 18 ? node.knownInts(3, "the axes")
                       : FailureOr<std::optional<SmallVector<int64_t>>>(
                             std::nullopt);
  if (failed(axes))
    return failure();
  if (*axes && pads) {
    // The pads of the listed axes: (begin..., end...) per axis listed.
    int64_t count = (*axes)->size();
    if (int64_t(pads->size()) != 2 * count) {
      node.emitError() << "pads must be " << 2 * count
                       << " integers, two per axis listed";
      return failure();
    }
    FailureOr<SmallVector<int64_t>> listed = node.distinctAxes(**axes, rank);
    if (failed(listed))
      return failure();
    SmallVector<int64_t> full(2 * rank, 0);
    for (auto [i, d] : llvm::enumerate(*listed)) {
      full[d] = (*pads)[i];
      full[rank + d] = (*pads)[count + i];
    }
    pads = std::move(full);
  }
  if (!pads || int64_t(pads->size()) != 2 * rank ||
      llvm::any_of(*pads, [](int64_t p) {
        return p < -(int64_t(1) << 30) || p > (1 << 20);
      })) {
    node.emitError() << "pads must be " << 2 * rank << " integers";
    return failure();
  }
  for (int64_t d = 0; d < rank; ++d) {
    int64_t lo = (*pads)[d], hi = (*pads)[rank + d];
    if ((lo || hi) && ShapedType::isDynamic(shape[d])) {
      node.emitError() << "cannot pad the dynamic batch dimension";
      return failure();
    }
    if (wrapMode && (lo < 0 || hi < 0)) {
      node.emitError() << "wrap mode with negative pads is not supported";
      return failure();
    }
    if (wrapMode && (lo || hi) && (lo + hi) / shape[d] > 64) {
      node.emitError() << "wrap pads " << lo << " and " << hi
                       << " repeat dimension " << d << " (" << shape[d]
                       << ") more than 64 times";
      return failure();
    }
    if (std::max<int64_t>(-lo, 0) + std::max<int64_t>(-hi, 0) >= shape[d] &&
        (lo < 0 || hi < 0)) {
      node.emitError() << "pads " << lo << " and " << hi
                       << " remove all of dimension " << d << " (" << shape[d]
                       << ")";
      return failure();
    }
  }
  // Crop, then pad each axis.
  Value y = *x;
  for (int64_t d = 0; d < rank; ++d) {
    int64_t lo = (*pads)[d], hi = (*pads)[rank + d];
    int64_t cropLo = std::max<int64_t>(-lo, 0),
            cropHi = std::max<int64_t>(-hi, 0);
    if (cropLo || cropHi)
      y = node.sliceAxis(y, d, cropLo, shape[d] - cropLo - cropHi);
  }
  OpBuilder &b = node.builder;
  for (int64_t d = 0; d < rank; ++d) {
    int64_t lo = std::max<int64_t>((*pads)[d], 0),
            hi = std::max<int64_t>((*pads)[rank + d], 0);
    if (!lo && !hi)
      continue;
    if (*mode == "constant") {
      y = buildConstantPad(b, node.loc, y, d, lo, hi, fill);
      continue;
    }
    int64_t size = node.typeOf(y).getDimSize(d);
    SmallVector<Value> parts;
    if (*mode == "edge") {
      auto edge = [&](int64_t at, int64_t count) {
        Value e = node.sliceAxis(y, d, at, 1);
        SmallVector<int64_t> blockShape(node.typeOf(y).getShape());
        blockShape[d] = count;
        auto type = RankedTensorType::get(blockShape, b.getF32Type());
        return Value(BroadcastOp::create(
            b, node.loc, type, e, buildZerosLike(b, node.loc, y, blockShape)));
      };
      if (lo)
        parts.push_back(edge(0, lo));
      parts.push_back(y);
      if (hi)
        parts.push_back(edge(size - 1, hi));
    } else if (wrapMode) {
      // wrap: the tensor repeated around itself, x[(i mod S)] for i in
      // [-lo, S + hi), in runs of consecutive elements.
      for (int64_t i = -lo; i < size + hi;) {
        int64_t at = ((i % size) + size) % size;
        int64_t run = std::min(size - at, size + hi - i);
        parts.push_back(node.sliceAxis(y, d, at, run));
        i += run;
      }
    } else {
      // reflect: x[lo], ..., x[1] before; x[S - 2], ..., x[S - 1 - hi] after.
      if (lo > size - 1 || hi > size - 1) {
        node.emitError() << "reflect pads " << lo << " and " << hi
                         << " exceed dimension " << d << " (" << size
                         << ") less one";
        return failure();
      }
      for (int64_t i = lo; i >= 1; --i)
        parts.push_back(node.sliceAxis(y, d, i, 1));
      parts.push_back(y);
      for (int64_t i = 1; i <= hi; ++i)
        parts.push_back(node.sliceAxis(y, d, size - 1 - i, 1));
    }
    y = ConcatOp::create(b, node.loc, parts, d);
  }
  return single(y);
}

//===----------------------------------------------------------------------===//
// Resize, Upsample
//===----------------------------------------------------------------------===//

/// Reads the interpolation attributes of Resize-11 on.
static LogicalResult readInterpolation(NodeBuilder &node, Interpolation &ip) {
  FailureOr<std::string> mode = node.getString("mode", "nearest");
  FailureOr<std::string> transform =
      node.getString("coordinate_transformation_mode", "half_pixel");
  FailureOr<std::string> nearest =
      node.getString("nearest_mode", "round_prefer_floor");
  FailureOr<float> cubicA = node.getFloat("cubic_coeff_a", -0.75f);
  FailureOr<int64_t> exclude = node.getInt("exclude_outside", 0);
  FailureOr<float> extrapolation = node.getFloat("extrapolation_value", 0.0f);
  FailureOr<int64_t> antialias = node.getInt("antialias", 0);
  if (failed(mode) || failed(transform) || failed(nearest) || failed(cubicA) ||
      failed(exclude) || failed(extrapolation) || failed(antialias))
    return failure();
  if (*mode == "nearest") {
    ip.mode = Interpolation::Mode::Nearest;
  } else if (*mode == "linear") {
    ip.mode = Interpolation::Mode::Linear;
  } else if (*mode == "cubic") {
    ip.mode = Interpolation::Mode::Cubic;
  } else {
    node.emitError() << "mode '" << *mode
                     << "' is not supported (nearest, linear, cubic)";
    return failure();
  }
  static constexpr StringLiteral transforms[] = {
      "half_pixel", "pytorch_half_pixel",   "align_corners",
      "asymmetric", "tf_half_pixel_for_nn", "tf_crop_and_resize"};
  bool symmetric = node.opset >= 19 && *transform == "half_pixel_symmetric";
  if (!llvm::is_contained(transforms, *transform) && !symmetric) {
    node.emitError() << "coordinate_transformation_mode '" << *transform
                     << "' is not supported";
    return failure();
  }
  static constexpr StringLiteral roundings[] = {
      "round_prefer_floor", "round_prefer_ceil", "floor", "ceil"};
  if (!llvm::is_contained(roundings, *nearest)) {
    node.emitError() << "nearest_mode '" << *nearest << "' is not supported";
    return failure();
  }
  if (*antialias && ip.mode == Interpolation::Mode::Nearest) {
    node.emitError() << "antialias applies to the linear and cubic modes, "
                        "not nearest";
    return failure();
  }
  ip.antialias = *antialias != 0;
  ip.transform = *transform;
  ip.nearest = *nearest;
  ip.cubicA = *cubicA;
  ip.excludeOutside = *exclude != 0;
  ip.extrapolation = *extrapolation;
  return success();
}

// Resize(X, roi, scales, sizes) from opset 11; Resize-10(X, scales) and
// Upsample(X, scales) (the scales an attribute before opset 9).
static FailureOr<NodeOutputs> importResize(NodeBuilder &node) {
  FailureOr<Value> x = node.input(0);
  if (failed(x))
    return failure();
  bool isResize = node.node.op_type() == "Resize";
  bool modern = isResize && node.opset >= 11;
  Interpolation ip;
  if (modern) {
    if (failed(readInterpolation(node, ip)))
      return failure();
  } else {
    FailureOr<std::string> mode = node.getString("mode", "nearest");
    if (failed(mode))
      return failure();
    if (*mode == "nearest") {
      ip.mode = Interpolation::Mode::Nearest;
    } else if (*mode == "linear" || *mode == "bilinear") {
      ip.mode = Interpolation::Mode::Linear;
    } else {
      node.emitError() << "mode '" << *mode
                       << "' is not supported (nearest, linear)";
      return failure();
    }
    ip.transform = "asymmetric";
    ip.nearest = "floor";
  }
  ArrayRef<int64_t> shape = node.typeOf(*x).getShape();
  int64_t rank = shape.size();
  // The scales (floats) or the sizes; an empty tensor is absent.
  SmallVector<double> scales;
  std::optional<SmallVector<int64_t>> sizes;
  if (!isResize && node.opset < 9) {
    FailureOr<std::optional<SmallVector<float>>> attr =
        node.getFloats("scales");
    if (failed(attr))
      return failure();
    if (*attr)
      scales.assign((*attr)->begin(), (*attr)->end());
  } else {
    int64_t at = modern ? 2 : 1;
    if (node.hasInput(at)) {
      FailureOr<const HostTensor *> t = node.requireKnown(at, "the scales");
      if (failed(t))
        return failure();
      if ((*t)->type != OnnxType::Float || (*t)->shape.size() > 1) {
        node.emitError() << "the scales must be a list of float32 values";
        return failure();
      }
      scales.assign((*t)->values.begin(), (*t)->values.end());
    }
    if (modern) {
      // The batch size may be among the sizes (Concat(Shape(x)[:2], ...),
      // as PyTorch writes them): it keeps the batch.
      FailureOr<std::optional<SmallVector<int64_t>>> s =
          node.knownInts(3, "the sizes", /*allowBatch=*/true);
      if (failed(s))
        return failure();
      if (*s && !(*s)->empty())
        sizes = **s;
    }
  }
  if (sizes && !scales.empty()) {
    node.emitError() << "only one of scales and sizes may be given";
    return failure();
  }
  // Resize-18: the axes that scales, sizes and roi list (all by default),
  // and how sizes keep the aspect ratio.
  SmallVector<int64_t> axes;
  std::string policy = "stretch";
  if (modern && node.opset >= 18) {
    FailureOr<std::optional<SmallVector<int64_t>>> given = node.getInts("axes");
    FailureOr<std::string> keep =
        node.getString("keep_aspect_ratio_policy", "stretch");
    if (failed(given) || failed(keep))
      return failure();
    if (*keep != "stretch" && *keep != "not_larger" && *keep != "not_smaller") {
      node.emitError() << "keep_aspect_ratio_policy '" << *keep
                       << "' is not supported (stretch, not_larger, "
                          "not_smaller)";
      return failure();
    }
    policy = *keep;
    if (*given) {
      FailureOr<SmallVector<int64_t>> listed = node.distinctAxes(**given, rank);
      if (failed(listed))
        return failure();
      axes = std::move(*listed);
    }
  }
  if (axes.empty())
    for (int64_t d = 0; d < rank; ++d)
      axes.push_back(d);
  int64_t listed = axes.size();
  if (sizes ? int64_t(sizes->size()) != listed
            : int64_t(scales.size()) != listed) {
    node.emitError() << "expects " << listed << " "
                     << (sizes ? "sizes" : "scales") << ", one per "
                     << (listed == rank ? "dimension" : "axis listed");
    return failure();
  }
  SmallVector<double> roi;
  if (ip.transform == "tf_crop_and_resize") {
    FailureOr<const HostTensor *> t = node.requireKnown(1, "the roi");
    if (failed(t))
      return failure();
    if (int64_t((*t)->values.size()) != 2 * listed) {
      node.emitError() << "the roi must hold " << 2 * listed << " values";
      return failure();
    }
    roi.assign(2 * rank, 0.0);
    for (int64_t d = 0; d < rank; ++d)
      roi[rank + d] = 1.0;
    for (auto [i, d] : llvm::enumerate(axes)) {
      roi[d] = (*t)->values[i];
      roi[rank + d] = (*t)->values[listed + i];
    }
  }
  // Scales and sizes of every dimension (1 and the input's size where no
  // axis lists it).
  if (sizes) {
    SmallVector<int64_t> all(shape);
    for (auto [i, d] : llvm::enumerate(axes)) {
      if (ShapedType::isDynamic((*sizes)[i]) != ShapedType::isDynamic(shape[d])) {
        node.emitError() << "the sizes give dimension " << d << " of "
                         << formatKerasShape(shape) << " "
                         << (ShapedType::isDynamic(shape[d])
                                 ? "a fixed size; kiln keeps the dynamic batch"
                                 : "the batch size");
        return failure();
      }
      all[d] = (*sizes)[i];
    }
    sizes = std::move(all);
  } else {
    SmallVector<double> all(rank, 1.0);
    for (auto [i, d] : llvm::enumerate(axes))
      all[d] = scales[i];
    scales = std::move(all);
  }
  // not_larger / not_smaller: one scale for the listed axes, the smallest
  // or largest of sizes / input, and the sizes rounded from it.
  std::optional<double> keptScale;
  if (sizes && policy != "stretch") {
    for (int64_t d : axes) {
      if (ShapedType::isDynamic(shape[d])) {
        node.emitError() << "sizes cannot resize the dynamic batch dimension";
        return failure();
      }
      double ratio = double((*sizes)[d]) / double(shape[d]);
      if (!keptScale || (policy == "not_larger" ? ratio < *keptScale
                                                : ratio > *keptScale))
        keptScale = ratio;
    }
    for (int64_t d : axes)
      (*sizes)[d] = int64_t(std::min(*keptScale * double(shape[d]) + 0.5, 1e18));
  }
  // Per axis: the output size and the map.
  SmallVector<AxisMap> maps(rank);
  for (int64_t d = 0; d < rank; ++d) {
    double scale;
    int64_t out;
    double outputWidth;
    if (sizes) {
      out = (*sizes)[d];
      // The batch keeps its size (checked where the sizes were read).
      if (ShapedType::isDynamic(shape[d]))
        continue;
      bool kept = keptScale && llvm::is_contained(axes, d);
      scale = kept ? *keptScale : double(out) / double(shape[d]);
      outputWidth = scale * double(shape[d]);
    } else {
      scale = scales[d];
      if (!(scale > 0) || scale > (1 << 20)) {
        node.emitError() << "scale " << formatScale(scale)
                         << " is not positive";
        return failure();
      }
      if (ShapedType::isDynamic(shape[d])) {
        bool identityRoi = roi.empty() || (roi[d] == 0 && roi[rank + d] == 1);
        if (scale != 1 || !identityRoi) {
          node.emitError() << "cannot resize the dynamic batch dimension";
          return failure();
        }
        continue;
      }
      // (Bounded before the conversion; the range check follows.)
      out = int64_t(std::min(std::floor(scale * double(shape[d])), 1e18));
      // The reference computes the float32 scale times the size in float32.
      outputWidth = double(float(scale) * float(shape[d]));
    }
    if (out < 1 || out > (1 << 24)) {
      node.emitError() << "dimension " << d << " of " << shape[d]
                       << " would resize to " << out << " elements";
      return failure();
    }
    if (!modern && ip.mode == Interpolation::Mode::Nearest && scale < 1) {
      node.emitError() << "nearest downsampling (scale " << formatScale(scale)
                       << ") is not defined before Resize-11";
      return failure();
    }
    maps[d] =
        buildAxisMap(ip, shape[d], out, scale, outputWidth, roi.empty() ? 0 : roi[d],
                roi.empty() ? 1 : roi[rank + d]);
  }
  // Repeats first (one broadcast), then the matrices.
  OpBuilder &b = node.builder;
  SmallVector<int64_t> repeats(rank, 1);
  for (int64_t d = 0; d < rank; ++d)
    if (maps[d].out && !maps[d].isIdentity())
      if (int64_t k = maps[d].repeatFactor())
        repeats[d] = k;
  for (int64_t d = 0; d < rank; ++d)
    if (maps[d].out && repeats[d] == 1 && !maps[d].isIdentity() &&
        maps[d].in * maps[d].out > (int64_t(1) << 24)) {
      node.emitError() << "dimension " << d << " (" << maps[d].in << " -> "
                       << maps[d].out
                       << ") needs an interpolation matrix of more than 2^24 "
                          "elements";
      return failure();
    }
  Value y = buildRepeat(b, node.loc, *x, repeats);
  bool outside = false;
  for (int64_t d = 0; d < rank; ++d) {
    if (!maps[d].out || maps[d].isIdentity() || repeats[d] != 1)
      continue;
    y = applyAxisMap(node.builder, node.loc, y, d, maps[d]);
    outside |= llvm::is_contained(maps[d].outside, true);
  }
  // tf_crop_and_resize: positions outside the input on some axis are
  // extrapolation_value (the matrices left them 0).
  if (outside && ip.extrapolation != 0) {
    SmallVector<int64_t> maskShape;
    for (int64_t d = 0; d < rank; ++d)
      maskShape.push_back(
          maps[d].out && llvm::is_contained(maps[d].outside, true) ? maps[d].out
                                                                   : 1);
    int64_t count = 1;
    for (int64_t n : maskShape)
      count *= n;
    SmallVector<float> values(count);
    for (int64_t flat = 0; flat < count; ++flat) {
      bool out = false;
      for (int64_t d = rank - 1, rest = flat; d >= 0; --d) {
        int64_t i = rest % maskShape[d];
        rest /= maskShape[d];
        out |= maskShape[d] > 1 && maps[d].outside[i];
      }
      values[flat] = out ? ip.extrapolation : 0.0f;
    }
    y = AddOp::create(b, node.loc, y, node.constant(maskShape, values));
  }
  return single(y);
}

void mlir::kiln::onnx_import::registerResizeOps(OpRegistry &r) {
  static constexpr StringLiteral pad2[] = {"mode", "pads", "value"};
  static constexpr StringLiteral pad11[] = {"mode"};
  static constexpr StringLiteral upsample7[] = {"mode", "scales"};
  static constexpr StringLiteral mode[] = {"mode"};
  static constexpr StringLiteral resize11[] = {"coordinate_transformation_mode",
                                               "cubic_coeff_a",
                                               "exclude_outside",
                                               "extrapolation_value",
                                               "mode",
                                               "nearest_mode"};
  r["Pad"].push_back(OpKind{2, 10, importPad, pad2});
  // From 11 the pads (known) and the constant value are operands.
  r["Pad"].push_back(OpKind{11, 17, importPad, pad11, 0b10});
  // Pad-18 takes the axes its pads cover (known), Pad-19 the wrap mode.
  r["Pad"].push_back(OpKind{18, kNewestOpset, importPad, pad11, 0b1010, 0, 4});
  r["Upsample"].push_back(OpKind{7, 8, importResize, upsample7});
  r["Upsample"].push_back(OpKind{9, 9, importResize, mode, 0b10});
  r["Resize"].push_back(OpKind{10, 10, importResize, mode, 0b10});
  // roi, scales and sizes are known operands.
  r["Resize"].push_back(OpKind{11, 17, importResize, resize11, 0b1110});
  // Resize-18 adds antialias, axes and keep_aspect_ratio_policy; 19 the
  // half_pixel_symmetric coordinates.
  static constexpr StringLiteral resize18[] = {"antialias",
                                               "axes",
                                               "coordinate_transformation_mode",
                                               "cubic_coeff_a",
                                               "exclude_outside",
                                               "extrapolation_value",
                                               "keep_aspect_ratio_policy",
                                               "mode",
                                               "nearest_mode"};
  r["Resize"].push_back(
      OpKind{18, kNewestOpset, importResize, resize18, 0b1110, 0, 4});
}
