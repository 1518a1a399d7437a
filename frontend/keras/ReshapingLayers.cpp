//===- ReshapingLayers.cpp - Keras reshaping layers -------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// ZeroPadding1D/2D/3D (kiln.concat with kiln.zeros blocks), Cropping1D/2D/3D
// (kiln.slice), UpSampling1D/2D/3D (nearest: each row and column repeated
// through a broadcast; UpSampling2D's bilinear, Resizing: a fixed matrix per
// axis; both from frontend/WindowOps.h, shared with ONNX's Pad and Resize),
// CenterCrop, Permute (kiln.transpose) and RepeatVector (a broadcast),
// channels-last. Their gradients are those of the ops.
//===----------------------------------------------------------------------===//

#include "frontend/WindowOps.h"
#include "frontend/keras/KerasLayers.h"

#include "dialects/kiln/IR/KilnDialect.h"
#include "dialects/kiln/Model/ImportedModel.h"

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::keras;

namespace {

RankedTensorType typeOf(Value v) { return cast<RankedTensorType>(v.getType()); }

/// (before, after) amounts per spatial dim from a Keras `key`: an integer,
/// (1-D) a pair, or (2-D, 3-D) a list of an integer or a pair per dim.
FailureOr<SmallVector<std::pair<int64_t, int64_t>>>
amounts(LayerBuilder &layer, StringRef key, int64_t rank, int64_t fallback) {
  SmallVector<std::pair<int64_t, int64_t>> result(rank, {fallback, fallback});
  const llvm::json::Value *v = layer.config.get(key);
  bool ok = true;
  if (v && v->kind() != llvm::json::Value::Null) {
    if (std::optional<int64_t> n = v->getAsInteger()) {
      result.assign(rank, {*n, *n});
    } else if (const llvm::json::Array *list = v->getAsArray()) {
      // 1-D: [before, after]; 2-D: [[t, b], [l, r]] or [sym_h, sym_w];
      // 3-D likewise, three of them.
      if (rank == 1 && list->size() == 2) {
        result[0] = {(*list)[0].getAsInteger().value_or(-1),
                     (*list)[1].getAsInteger().value_or(-1)};
      } else if (rank > 1 && static_cast<int64_t>(list->size()) == rank) {
        for (int64_t i = 0; i < rank; ++i) {
          const llvm::json::Value &e = (*list)[i];
          if (std::optional<int64_t> n = e.getAsInteger())
            result[i] = {*n, *n};
          else if (const llvm::json::Array *pair = e.getAsArray();
                   pair && pair->size() == 2)
            result[i] = {(*pair)[0].getAsInteger().value_or(-1),
                         (*pair)[1].getAsInteger().value_or(-1)};
          else
            ok = false;
        }
      } else {
        ok = false;
      }
    } else {
      ok = false;
    }
  }
  for (auto [lo, hi] : result)
    ok &= lo >= 0 && hi >= 0 && lo <= (1 << 20) && hi <= (1 << 20);
  if (!ok) {
    layer.emitError() << "'" << key << "' must be non-negative integers (an "
                      << "integer, or a pair per spatial dimension)";
    return failure();
  }
  return result;
}

// ZeroPaddingND(padding=1)
template <int64_t Rank>
FailureOr<Value> importZeroPadding(LayerBuilder &layer,
                                   ArrayRef<Value> inputs) {
  FailureOr<Value> x = spatialInput(layer, inputs, Rank);
  auto pads = amounts(layer, "padding", Rank, 1);
  if (failed(x) || failed(pads))
    return failure();
  Value y = *x;
  for (int64_t i = 0; i < Rank; ++i) {
    auto [lo, hi] = (*pads)[i];
    y = buildConstantPad(layer.builder, layer.loc, y, 1 + i, lo, hi);
  }
  return y;
}

// CroppingND(cropping=0)
template <int64_t Rank>
FailureOr<Value> importCropping(LayerBuilder &layer, ArrayRef<Value> inputs) {
  FailureOr<Value> x = spatialInput(layer, inputs, Rank);
  auto crops = amounts(layer, "cropping", Rank, 0);
  if (failed(x) || failed(crops))
    return failure();
  Value y = *x;
  for (int64_t i = 0; i < Rank; ++i) {
    auto [lo, hi] = (*crops)[i];
    int64_t size = typeOf(y).getDimSize(1 + i);
    if (lo + hi >= size) {
      layer.emitError() << "cropping " << lo << " + " << hi
                        << " leaves nothing of " << size;
      return failure();
    }
    if (lo || hi)
      y = SliceOp::create(layer.builder, layer.loc, y, 1 + i, lo,
                          size - lo - hi);
  }
  return y;
}

/// Images (N, H, W, C) resized to (N, height, width, C) as Keras 3 on
/// TensorFlow resizes them (ops.image.resize: tf.image.resize without
/// antialiasing): bilinear is ONNX's half_pixel linear map of each axis
/// (edge-clamped), nearest reads floor((o + 0.5) * in / out)
/// (tf_half_pixel_for_nn); each axis a fixed (in, out) matrix
/// (applyAxisMap).
FailureOr<Value> resizeImage(LayerBuilder &layer, Value x, int64_t height,
                             int64_t width, StringRef method) {
  Interpolation ip;
  if (method == "bilinear") {
    ip.mode = Interpolation::Mode::Linear;
  } else if (method == "nearest") {
    ip.transform = "tf_half_pixel_for_nn";
    ip.nearest = "floor";
  } else {
    layer.emitError() << "interpolation '" << method
                      << "' is not supported (bilinear, nearest)";
    return failure();
  }
  Value y = x;
  for (auto [axis, out] : {std::pair<int64_t, int64_t>{1, height},
                           {2, width}}) {
    int64_t in = typeOf(y).getDimSize(axis);
    if (in == out)
      continue;
    y = applyAxisMap(layer.builder, layer.loc, y, axis,
                     buildAxisMap(ip, in, out, double(out) / double(in),
                                  double(out), 0, 1));
  }
  return y;
}

// UpSamplingND(size=2), nearest: (N, S..., C) -> (N, S*k..., C), each
// element repeated; through (N, S1, 1, S2, 1, C) broadcast to (N, S1, k1,
// S2, k2, C). UpSampling2D's bilinear interpolation resizes the images to
// that size (resizeImage), as Keras 3 does.
template <int64_t Rank>
FailureOr<Value> importUpSampling(LayerBuilder &layer, ArrayRef<Value> inputs) {
  FailureOr<Value> x = spatialInput(layer, inputs, Rank);
  if (failed(x))
    return failure();
  StringRef method = layer.getString("interpolation").value_or("nearest");
  if (method != "nearest" && (Rank != 2 || method != "bilinear")) {
    layer.emitError() << "interpolation '" << method
                      << "' is not supported ("
                      << (Rank == 2 ? "nearest, bilinear" : "nearest") << ")";
    return failure();
  }
  // `size`: an integer, or one per spatial dimension.
  SmallVector<int64_t> factors(Rank, 2);
  if (const llvm::json::Value *v = layer.config.get("size");
      v && v->kind() != llvm::json::Value::Null) {
    if (std::optional<int64_t> n = v->getAsInteger())
      factors.assign(Rank, *n);
    else if (const llvm::json::Array *list = v->getAsArray();
             list && static_cast<int64_t>(list->size()) == Rank)
      for (int64_t i = 0; i < Rank; ++i)
        factors[i] = (*list)[i].getAsInteger().value_or(0);
  }
  if (llvm::any_of(factors, [](int64_t f) { return f < 1 || f > 4096; })) {
    layer.emitError() << "'size' must be positive integers";
    return failure();
  }
  if (method == "bilinear") {
    ArrayRef<int64_t> shape = typeOf(*x).getShape();
    return resizeImage(layer, *x, shape[1] * factors[0],
                       shape[2] * factors[1], method);
  }
  SmallVector<int64_t> repeats{1};
  repeats.append(factors);
  repeats.push_back(1);
  return buildRepeat(layer.builder, layer.loc, *x, repeats);
}

// Permute(dims): dims are 1-based, the batch stays first.
FailureOr<Value> importPermute(LayerBuilder &layer, ArrayRef<Value> inputs) {
  FailureOr<Value> x = singleInput(layer, inputs, 2);
  FailureOr<SmallVector<int64_t>> dims = layer.getIntegerList("dims");
  if (failed(x) || failed(dims))
    return failure();
  int64_t rank = typeOf(*x).getRank();
  SmallVector<int64_t> perm{0};
  SmallVector<bool> seen(rank, false);
  for (int64_t d : *dims) {
    if (d < 1 || d >= rank || seen[d]) {
      layer.emitError() << "'dims' must be a permutation of 1.." << rank - 1;
      return failure();
    }
    seen[d] = true;
    perm.push_back(d);
  }
  if (static_cast<int64_t>(perm.size()) != rank) {
    layer.emitError() << "'dims' must be a permutation of 1.." << rank - 1;
    return failure();
  }
  return TransposeOp::create(layer.builder, layer.loc, *x, perm).getResult();
}

// RepeatVector(n): (N, F) -> (N, n, F)
FailureOr<Value> importRepeatVector(LayerBuilder &layer,
                                    ArrayRef<Value> inputs) {
  FailureOr<Value> x = singleInput(layer, inputs, 2);
  if (failed(x))
    return failure();
  std::optional<int64_t> n = layer.getInteger("n");
  auto type = typeOf(*x);
  if (!n || *n < 1 || *n > (1 << 20) || type.getRank() != 2) {
    layer.emitError() << "expects a positive 'n' and an input (batch, "
                         "features)";
    return failure();
  }
  OpBuilder &b = layer.builder;
  Type element = type.getElementType();
  int64_t f = type.getDimSize(1);
  Value s = ReshapeOp::create(
      b, layer.loc, RankedTensorType::get({type.getDimSize(0), 1, f}, element),
      *x);
  auto outType = RankedTensorType::get({type.getDimSize(0), *n, f}, element);
  Value like = ZerosOp::create(b, layer.loc, outType, *x);
  return BroadcastOp::create(b, layer.loc, outType, s, like).getResult();
}

/// The positive integer `height` or `width` of Resizing or CenterCrop.
FailureOr<int64_t> targetSize(LayerBuilder &layer, StringRef key) {
  const llvm::json::Value *v = layer.config.get(key);
  std::optional<int64_t> n = v ? v->getAsInteger() : std::nullopt;
  if (!n || *n < 1) {
    layer.emitError() << "'" << key << "' must be a positive integer";
    return failure();
  }
  return *n;
}

// Resizing(height, width, interpolation="bilinear"): resizeImage.
FailureOr<Value> importResizing(LayerBuilder &layer, ArrayRef<Value> inputs) {
  FailureOr<Value> x = spatialInput(layer, inputs, 2);
  FailureOr<int64_t> height = targetSize(layer, "height");
  FailureOr<int64_t> width = targetSize(layer, "width");
  if (failed(x) || failed(height) || failed(width))
    return failure();
  for (StringRef key : {"crop_to_aspect_ratio", "pad_to_aspect_ratio",
                        "antialias"})
    if (layer.getBoolean(key).value_or(false)) {
      layer.emitError() << "'" << key << "' is not supported";
      return failure();
    }
  return resizeImage(layer, *x, *height, *width,
                     layer.getString("interpolation").value_or("bilinear"));
}

// CenterCrop(height, width) of an image at least that large: the rows and
// columns from (size - target) / 2 on.
FailureOr<Value> importCenterCrop(LayerBuilder &layer,
                                  ArrayRef<Value> inputs) {
  FailureOr<Value> x = spatialInput(layer, inputs, 2);
  FailureOr<int64_t> height = targetSize(layer, "height");
  FailureOr<int64_t> width = targetSize(layer, "width");
  if (failed(x) || failed(height) || failed(width))
    return failure();
  ArrayRef<int64_t> shape = typeOf(*x).getShape();
  if (shape[1] < *height || shape[2] < *width) {
    layer.emitError() << "crops " << formatKerasShape(shape) << " to "
                      << *height << "x" << *width
                      << ": a smaller image (which Keras resizes first) is "
                         "not supported";
    return failure();
  }
  Value y = *x;
  for (auto [axis, size] : {std::pair<int64_t, int64_t>{1, *height},
                            {2, *width}})
    if (shape[axis] != size)
      y = SliceOp::create(layer.builder, layer.loc, y, axis,
                          (shape[axis] - size) / 2, size);
  return y;
}

} // namespace

void mlir::kiln::keras::registerReshapingLayers(LayerRegistry &registry) {
  static constexpr StringLiteral padKeys[] = {"padding", "data_format"};
  static constexpr StringLiteral cropKeys[] = {"cropping", "data_format"};
  static constexpr StringLiteral upKeys[] = {"size", "interpolation",
                                             "data_format"};
  static constexpr StringLiteral permuteKeys[] = {"dims"};
  static constexpr StringLiteral repeatKeys[] = {"n"};
  registry["ZeroPadding1D"] = {singleOutput<importZeroPadding<1>>, padKeys};
  registry["ZeroPadding2D"] = {singleOutput<importZeroPadding<2>>, padKeys};
  registry["ZeroPadding3D"] = {singleOutput<importZeroPadding<3>>, padKeys};
  registry["Cropping1D"] = {singleOutput<importCropping<1>>, cropKeys};
  registry["Cropping2D"] = {singleOutput<importCropping<2>>, cropKeys};
  registry["Cropping3D"] = {singleOutput<importCropping<3>>, cropKeys};
  registry["UpSampling1D"] = {singleOutput<importUpSampling<1>>, upKeys};
  registry["UpSampling2D"] = {singleOutput<importUpSampling<2>>, upKeys};
  registry["UpSampling3D"] = {singleOutput<importUpSampling<3>>, upKeys};
  registry["Permute"] = {singleOutput<importPermute>, permuteKeys};
  registry["RepeatVector"] = {singleOutput<importRepeatVector>, repeatKeys};
  // fill_mode and fill_value serve pad_to_aspect_ratio alone.
  static constexpr StringLiteral resizingKeys[] = {
      "height",    "width",      "interpolation",       "crop_to_aspect_ratio",
      "fill_mode", "fill_value", "pad_to_aspect_ratio", "antialias",
      "data_format"};
  static constexpr StringLiteral centerCropKeys[] = {"height", "width",
                                                     "data_format"};
  registry["Resizing"] = {singleOutput<importResizing>, resizingKeys};
  registry["CenterCrop"] = {singleOutput<importCenterCrop>, centerCropKeys};
}
