//===- ConvolutionalLayers.cpp - Keras convolution and pooling --*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Conv1D/2D/3D (and their transposes, depthwise and separable forms in 1-D
// and 2-D), MaxPooling1D/2D/3D, AveragePooling1D/2D/3D, the global poolings
// and ConvLSTM1D/2D/3D, channels-last, on kiln's window ops (KilnOps.td):
//  - ConvND is `kiln.conv` + bias + activation, its kernel in Keras's
//    (K..., C, filters) layout;
//  - MaxPoolingND is `kiln.max_pool`;
//  - AveragePoolingND sums each window's patches and divides by the number
//    of input elements in the window: Keras's 'same' average excludes the
//    padding;
//  - GlobalAveragePooling is a mean over the spatial axes, GlobalMaxPooling
//    a max_pool whose window is the whole input.
// Keras's padding rules: 'valid' none; 'same' (TensorFlow's SAME) gives
// ceil(S / stride) outputs with the padding split evenly, the odd one after;
// 'causal' (Conv1D) pads dilation * (K - 1) before.
//===----------------------------------------------------------------------===//

#include "frontend/RecurrentLoop.h"
#include "frontend/WindowOps.h"
#include "frontend/keras/KerasLayers.h"

#include "dialects/kiln/IR/KilnDialect.h"
#include "dialects/kiln/Model/ImportedModel.h"

#include <algorithm>

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::keras;

/// A per-spatial-dimension config value (`kernel_size`, `strides`, ...): an
/// integer for every dimension or a list of `rank` integers, each >= 1;
/// `fallback` when absent or null.
static FailureOr<SmallVector<int64_t>>
spatialList(LayerBuilder &layer, StringRef key, int64_t rank,
            std::optional<int64_t> fallback) {
  const llvm::json::Value *value = layer.config.get(key);
  SmallVector<int64_t> result;
  if (!value || value->kind() == llvm::json::Value::Null) {
    if (fallback)
      return SmallVector<int64_t>(rank, *fallback);
  } else if (std::optional<int64_t> single = value->getAsInteger()) {
    result.assign(rank, *single);
  } else if (const llvm::json::Array *list = value->getAsArray();
             list && static_cast<int64_t>(list->size()) == rank) {
    for (const llvm::json::Value &v : *list)
      result.push_back(v.getAsInteger().value_or(0));
  }
  if (static_cast<int64_t>(result.size()) != rank ||
      llvm::any_of(result, [](int64_t v) { return v < 1 || v > (1 << 20); })) {
    layer.emitError() << "'" << key << "' must be a positive integer or a list "
                      << "of " << rank << " positive integers";
    return failure();
  }
  return result;
}

FailureOr<Value> mlir::kiln::keras::spatialInput(LayerBuilder &layer,
                                                ArrayRef<Value> inputs,
                                                int64_t rank, bool timeSteps) {
  FailureOr<Value> x = singleInput(layer, inputs, 0);
  if (failed(x))
    return failure();
  auto type = cast<RankedTensorType>(x->getType());
  if (type.getRank() != rank + 2 + timeSteps ||
      llvm::any_of(type.getShape().drop_front(), ShapedType::isDynamic)) {
    layer.emitError() << "expects an input (batch, "
                      << (timeSteps ? "steps, " : "")
                      << (rank == 1   ? (timeSteps ? "rows" : "steps")
                          : rank == 2 ? "rows, cols"
                                      : "depth, rows, cols")
                      << ", channels) with known sizes, got "
                      << formatKerasShape(type.getShape());
    return failure();
  }
  if (layer.getString("data_format").value_or("channels_last") !=
      "channels_last") {
    layer.emitError() << "only data_format 'channels_last' is supported";
    return failure();
  }
  return x;
}

/// Fills `g.padLow`/`padHigh` for Keras's `padding` (the layer's config
/// when not given) over `spatial`, checks the geometry, and returns the
/// output sizes.
static FailureOr<SmallVector<int64_t>>
applyPadding(LayerBuilder &layer, WindowGeometry &g, ArrayRef<int64_t> spatial,
             bool allowCausal, std::optional<StringRef> mode = std::nullopt) {
  std::string padding =
      mode ? mode->str()
           : layer.getString("padding").value_or("valid").lower();
  g.padLow.assign(g.rank(), 0);
  g.padHigh.assign(g.rank(), 0);
  for (int64_t i = 0; i < g.rank(); ++i) {
    int64_t span = g.dilations[i] * (g.window[i] - 1) + 1;
    if (padding == "same") {
      int64_t out = (spatial[i] + g.strides[i] - 1) / g.strides[i];
      int64_t total =
          std::max<int64_t>((out - 1) * g.strides[i] + span - spatial[i], 0);
      g.padLow[i] = total / 2;
      g.padHigh[i] = total - total / 2;
    } else if (padding == "causal" && allowCausal) {
      g.padLow[i] = span - 1;
    } else if (padding != "valid") {
      layer.emitError() << "unsupported padding '" << padding << "' (expected "
                        << (allowCausal ? "'valid', 'same' or 'causal'"
                                        : "'valid' or 'same'")
                        << ")";
      return failure();
    }
  }
  std::string reason;
  FailureOr<SmallVector<int64_t>> out = g.outputSizes(spatial, reason);
  if (failed(out)) {
    layer.emitError() << "input " << formatKerasShape(spatial) << ": "
                      << reason;
    return failure();
  }
  return out;
}

/// What every convolution layer reads: `filters`, the activation, and the
/// window geometry (kernel_size, strides, dilation_rate; no padding yet).
struct ConvSettings {
  int64_t filters;
  StringRef activation;
  WindowGeometry geometry;
};

static FailureOr<ConvSettings>
readConvSettings(LayerBuilder &layer, int64_t rank, bool hasFilters = true) {
  std::optional<int64_t> filters =
      hasFilters ? layer.getInteger("filters") : std::optional<int64_t>(0);
  if (!filters || (hasFilters && *filters <= 0)) {
    layer.emitError() << "'filters' must be a positive integer";
    return failure();
  }
  FailureOr<StringRef> activation = activationName(layer);
  auto window = spatialList(layer, "kernel_size", rank, std::nullopt);
  auto strides = spatialList(layer, "strides", rank, 1);
  auto dilations = spatialList(layer, "dilation_rate", rank, 1);
  if (failed(activation) || failed(window) || failed(strides) ||
      failed(dilations))
    return failure();
  return ConvSettings{*filters, *activation,
                      WindowGeometry{*window, *strides, *dilations, {}, {}}};
}

/// readConvSettings for a window sliding over `input`'s spatial dimensions,
/// with its padding applied (`causal` allowed in 1-D): what Conv and the
/// depthwise/separable convolutions share.
static FailureOr<ConvSettings> readForwardConv(LayerBuilder &layer,
                                               RankedTensorType input,
                                               int64_t rank,
                                               bool hasFilters = true) {
  FailureOr<ConvSettings> settings = readConvSettings(layer, rank, hasFilters);
  if (failed(settings) ||
      failed(applyPadding(layer, settings->geometry,
                          input.getShape().drop_front().drop_back(),
                          /*allowCausal=*/rank == 1)))
    return failure();
  return settings;
}

// ConvND: activation(conv(x, kernel) + bias)
template <int64_t Rank>
static FailureOr<Value> importConv(LayerBuilder &layer,
                                   ArrayRef<Value> inputs) {
  FailureOr<Value> x = spatialInput(layer, inputs, Rank);
  if (failed(x))
    return failure();
  auto type = cast<RankedTensorType>(x->getType());
  int64_t groups = layer.getInteger("groups").value_or(1);
  int64_t channels = type.getShape().back();
  FailureOr<ConvSettings> settings = readForwardConv(layer, type, Rank);
  if (failed(settings))
    return failure();
  WindowGeometry &g = settings->geometry;
  int64_t filters = settings->filters;
  StringRef activation = settings->activation;
  if (groups < 1 || channels % groups || filters % groups) {
    layer.emitError() << "'groups' " << groups << " must divide the "
                      << channels << " input channels and the " << filters
                      << " filters";
    return failure();
  }
  SmallVector<int64_t> kernelShape(g.window);
  kernelShape.append({channels / groups, filters});
  FailureOr<Value> kernel = layer.addParam(
      "kernel", kernelShape, "kernel_initializer", "glorot_uniform");
  if (failed(kernel))
    return failure();
  OpBuilder &b = layer.builder;
  Value y = buildGroupedConv(b, layer.loc, *x, *kernel, g, groups);
  return buildBiasAndActivation(layer, y, filters,
                                layer.getBoolean("use_bias").value_or(true),
                                activation);
}

/// Keras 2 writes its base Conv's `groups` (always 1) into the configs of
/// the depthwise, separable and transposed convolutions, which have no
/// groups of their own.
static LogicalResult checkOneGroup(LayerBuilder &layer) {
  const llvm::json::Value *groups = layer.config.get("groups");
  if (!groups || groups->kind() == llvm::json::Value::Null ||
      groups->getAsInteger() == std::optional<int64_t>(1))
    return success();
  layer.emitError() << "'groups' other than 1 is not supported";
  return failure();
}

/// The depthwise convolution of x (N, S..., C) with `kernel` (K..., C, M):
/// out[n, o, c * M + m] = sum_k patch[n, o, k, c] * kernel[k, c, m], as the
/// patches (N, O..., taps, C, 1) times the kernel (taps, C, M), summed over
/// the taps.
static Value depthwise(LayerBuilder &layer, Value x, Value kernel,
                       const WindowGeometry &g) {
  OpBuilder &b = layer.builder;
  Location loc = layer.loc;
  auto type = cast<RankedTensorType>(x.getType());
  auto kernelType = cast<RankedTensorType>(kernel.getType());
  Type element = type.getElementType();
  int64_t c = type.getShape().back(), m = kernelType.getShape().back();
  Value patches = ExtractPatchesOp::create(b, loc, x, g.window, g.strides,
                                           g.dilations, g.padLow, g.padHigh);
  ArrayRef<int64_t> pshape =
      cast<RankedTensorType>(patches.getType()).getShape();
  SmallVector<int64_t> split(pshape.drop_back());
  split.append({g.taps(), c, 1});
  Value p =
      ReshapeOp::create(b, loc, RankedTensorType::get(split, element), patches);
  Value w = ReshapeOp::create(
      b, loc, RankedTensorType::get({g.taps(), c, m}, element), kernel);
  Value products = MulOp::create(b, loc, p, w);
  int64_t tapsAxis = static_cast<int64_t>(split.size()) - 3;
  Value sums =
      ReduceSumOp::create(b, loc, products, ArrayRef<int64_t>{tapsAxis}, false);
  SmallVector<int64_t> out(pshape.drop_back());
  out.push_back(c * m);
  return ReshapeOp::create(b, loc, RankedTensorType::get(out, element), sums);
}

// DepthwiseConvND(kernel_size, depth_multiplier=1) and SeparableConvND
// (the depthwise convolution, then a 1x1 convolution to `filters`), each
// followed by the bias and the activation.
template <int64_t Rank, bool Separable>
static FailureOr<Value> importDepthwise(LayerBuilder &layer,
                                        ArrayRef<Value> inputs) {
  FailureOr<Value> x = spatialInput(layer, inputs, Rank);
  if (failed(x))
    return failure();
  auto type = cast<RankedTensorType>(x->getType());
  int64_t m = layer.getInteger("depth_multiplier").value_or(1);
  if (m <= 0 || m > (1 << 16)) {
    layer.emitError() << "'depth_multiplier' must be positive";
    return failure();
  }
  FailureOr<ConvSettings> settings =
      readForwardConv(layer, type, Rank, Separable);
  if (failed(settings) || failed(checkOneGroup(layer)))
    return failure();
  WindowGeometry &g = settings->geometry;
  int64_t filters = settings->filters;
  StringRef activation = settings->activation;
  int64_t c = type.getShape().back();
  SmallVector<int64_t> kernelShape(g.window);
  kernelShape.append({c, m});
  FailureOr<Value> kernel =
      layer.addParam("depthwise_kernel", kernelShape, "depthwise_initializer",
                     "glorot_uniform");
  if (failed(kernel))
    return failure();
  OpBuilder &b = layer.builder;
  Value y = depthwise(layer, *x, *kernel, g);
  int64_t outChannels = c * m;
  if (Separable) {
    SmallVector<int64_t> pointShape(Rank, 1);
    pointShape.append({c * m, filters});
    FailureOr<Value> pointwise =
        layer.addParam("pointwise_kernel", pointShape, "pointwise_initializer",
                       "glorot_uniform");
    if (failed(pointwise))
      return failure();
    SmallVector<int64_t> ones(Rank, 1), zeros(Rank, 0);
    y = ConvOp::create(b, layer.loc, y, *pointwise, ones, ones, zeros, zeros);
    outChannels = filters;
  }
  return buildBiasAndActivation(layer, y, outChannels,
                                layer.getBoolean("use_bias").value_or(true),
                                activation);
}

// ConvNDTranspose: the gradient of a convolution with respect to its input,
// run forwards (buildConvTranspose, shared with ONNX's ConvTranspose). Each
// input position's row x @ W^T (the kernel (K..., F, C) as a (C, taps * F)
// matrix) holds the window of output contributions; they are summed into
// the output with `kiln.fold_patches`, the output size being (S - 1) *
// stride + max(dilation * (K - 1) + 1, stride) ('valid': Keras's
// deconv_output_length; a window narrower than the stride leaves trailing
// positions that only the bias reaches) or S * stride ('same', padded as
// the forward convolution of that size would be).
template <int64_t Rank>
static FailureOr<Value> importConvTranspose(LayerBuilder &layer,
                                            ArrayRef<Value> inputs) {
  FailureOr<Value> x = spatialInput(layer, inputs, Rank);
  if (failed(x))
    return failure();
  auto type = cast<RankedTensorType>(x->getType());
  if (const llvm::json::Value *v = layer.config.get("output_padding");
      v && v->kind() != llvm::json::Value::Null) {
    layer.emitError() << "'output_padding' is not supported";
    return failure();
  }
  FailureOr<ConvSettings> settings = readConvSettings(layer, Rank);
  if (failed(settings) || failed(checkOneGroup(layer)))
    return failure();
  WindowGeometry &g = settings->geometry;
  int64_t filters = settings->filters;
  StringRef activation = settings->activation;
  ArrayRef<int64_t> in = type.getShape().drop_front().drop_back();
  std::string padding = layer.getString("padding").value_or("valid").lower();
  SmallVector<int64_t> out;
  for (int64_t i = 0; i < Rank; ++i) {
    int64_t span = g.dilations[i] * (g.window[i] - 1) + 1;
    out.push_back(padding == "same" ? in[i] * g.strides[i]
                                    : (in[i] - 1) * g.strides[i] +
                                          std::max(span, g.strides[i]));
  }
  FailureOr<SmallVector<int64_t>> positions =
      applyPadding(layer, g, out, /*allowCausal=*/false);
  if (failed(positions))
    return failure();
  if (ArrayRef<int64_t>(*positions) != in) {
    layer.emitError() << "the transposed window does not map "
                      << formatKerasShape(in) << " onto "
                      << formatKerasShape(out);
    return failure();
  }
  int64_t channels = type.getShape().back();
  SmallVector<int64_t> kernelShape(g.window);
  kernelShape.append({filters, channels});
  FailureOr<Value> kernel = layer.addParam(
      "kernel", kernelShape, "kernel_initializer", "glorot_uniform");
  if (failed(kernel))
    return failure();
  OpBuilder &b = layer.builder;
  Location loc = layer.loc;
  // (K..., F, C) -> (C, K..., F)
  SmallVector<int64_t> perm{Rank + 1};
  for (int64_t i = 0; i <= Rank; ++i)
    perm.push_back(i);
  Value moved = TransposeOp::create(b, loc, *kernel, perm);
  Value y = buildConvTranspose(b, loc, *x, moved, g, out, /*groups=*/1);
  return buildBiasAndActivation(layer, y, filters,
                                layer.getBoolean("use_bias").value_or(true),
                                activation);
}

// MaxPoolingND: max_pool(x); AveragePoolingND: the windows' sums over the
// number of input elements in each.
template <int64_t Rank, bool IsMax>
static FailureOr<Value> importPooling(LayerBuilder &layer,
                                      ArrayRef<Value> inputs) {
  FailureOr<Value> x = spatialInput(layer, inputs, Rank);
  if (failed(x))
    return failure();
  auto type = cast<RankedTensorType>(x->getType());
  auto window = spatialList(layer, "pool_size", Rank, 2);
  if (failed(window))
    return failure();
  // Keras: strides default to the pool size.
  const llvm::json::Value *stridesValue = layer.config.get("strides");
  auto strides = stridesValue && stridesValue->kind() != llvm::json::Value::Null
                     ? spatialList(layer, "strides", Rank, std::nullopt)
                     : FailureOr<SmallVector<int64_t>>(*window);
  if (failed(strides))
    return failure();
  WindowGeometry g{*window, *strides, SmallVector<int64_t>(Rank, 1), {}, {}};
  ArrayRef<int64_t> spatial = type.getShape().drop_front().drop_back();
  FailureOr<SmallVector<int64_t>> out =
      applyPadding(layer, g, spatial, /*allowCausal=*/false);
  if (failed(out))
    return failure();
  OpBuilder &b = layer.builder;
  if (IsMax)
    return MaxPoolOp::create(b, layer.loc, *x, g.window, g.strides, g.padLow,
                             g.padHigh)
        .getResult();
  SmallVector<int64_t> none(Rank, 0);
  return buildAveragePool(b, layer.loc, *x, g, *out, none, none);
}

// GlobalAveragePoolingND: mean over the spatial axes; GlobalMaxPoolingND:
// max_pool with the whole input as the window. `keepdims` keeps them as 1s.
/// GlobalAveragePooling1D of a masked (batch, steps, channels) input, as
/// Keras computes it: sum(x * mask) / sum(mask) over the steps.
static FailureOr<Value> maskedMean(LayerBuilder &layer, Value x, Value mask,
                                   bool keepDims) {
  OpBuilder &b = layer.builder;
  Location loc = layer.loc;
  FailureOr<Value> m = stepMask(layer, x, mask);
  if (failed(m))
    return failure();
  Value sum = ReduceSumOp::create(b, loc, MulOp::create(b, loc, x, *m),
                                  ArrayRef<int64_t>{1}, keepDims);
  Value count =
      ReduceSumOp::create(b, loc, *m, ArrayRef<int64_t>{1}, keepDims);
  return DivOp::create(b, loc, sum, count).getResult();
}

template <int64_t Rank, bool IsMax>
static FailureOr<Value> importGlobalPooling(LayerBuilder &layer,
                                            ArrayRef<Value> inputs) {
  FailureOr<Value> x = spatialInput(layer, inputs, Rank);
  if (failed(x))
    return failure();
  auto type = cast<RankedTensorType>(x->getType());
  bool keepDims = layer.getBoolean("keepdims").value_or(false);
  OpBuilder &b = layer.builder;
  SmallVector<int64_t> axes;
  for (int64_t i = 1; i <= Rank; ++i)
    axes.push_back(i);
  if (Value mask = layer.inputMask(); mask && Rank == 1 && !IsMax)
    return maskedMean(layer, *x, mask, keepDims);
  if (!IsMax)
    return ReduceMeanOp::create(b, layer.loc, *x, axes, keepDims).getResult();
  SmallVector<int64_t> spatial(type.getShape().drop_front().drop_back());
  SmallVector<int64_t> ones(Rank, 1), zeros(Rank, 0);
  Value pooled =
      MaxPoolOp::create(b, layer.loc, *x, spatial, ones, zeros, zeros);
  if (keepDims)
    return pooled;
  return ReshapeOp::create(
             b, layer.loc,
             RankedTensorType::get({type.getDimSize(0), type.getShape().back()},
                                   type.getElementType()),
             pooled)
      .getResult();
}

// ConvLSTM1D/2D/3D(filters, kernel_size): an LSTM whose products are
// convolutions, as Keras 3's ConvLSTMCell computes it over a sequence
// (batch, steps, S..., channels):
//   z = conv(x_t, kernel) + bias + conv(h, recurrent_kernel),
//   gates (i, f, c, o) = split(z, 4) along the channels,
//   c = rec(f) * c + rec(i) * act(z_c), h = rec(o) * act(c),
// the input convolution with the layer's strides, padding and dilation, the
// recurrent one at stride 1, 'same'. The input convolution of every step is
// one convolution before the loop (the steps folded into the batch); the
// loop (frontend/RecurrentLoop.h) reads its step, as the recurrent layers'
// does. Dropout, masks and initial states are refused.
template <int64_t Rank>
static FailureOr<LayerOutputs> importConvLstm(LayerBuilder &layer,
                                              ArrayRef<Value> inputs) {
  if (inputs.size() != 1) {
    layer.emitError() << "'initial_state' is not supported";
    return failure();
  }
  FailureOr<Value> x = spatialInput(layer, inputs, Rank, /*timeSteps=*/true);
  if (failed(x))
    return failure();
  auto type = cast<RankedTensorType>(x->getType());
  for (StringRef key : {"dropout", "recurrent_dropout"})
    if (const llvm::json::Value *rate = layer.config.get(key);
        rate && rate->kind() != llvm::json::Value::Null &&
        rate->getAsNumber() != std::optional<double>(0.0)) {
      layer.emitError() << "'" << key << "' is not supported";
      return failure();
    }
  for (StringRef key : {"stateful", "zero_output_for_mask"})
    if (layer.getBoolean(key).value_or(false)) {
      layer.emitError() << "'" << key << "' is not supported";
      return failure();
    }
  FailureOr<ConvSettings> settings = readConvSettings(layer, Rank);
  if (failed(settings))
    return failure();
  WindowGeometry &g = settings->geometry;
  int64_t filters = settings->filters;
  const llvm::json::Value *recurrentValue =
      layer.config.get("recurrent_activation");
  std::optional<StringRef> recurrentActivation =
      !recurrentValue || recurrentValue->kind() == llvm::json::Value::Null
          ? std::optional<StringRef>("sigmoid")
          : recurrentValue->getAsString();
  if (!recurrentActivation) {
    layer.emitError()
        << "custom (non-string) 'recurrent_activation' is not supported";
    return failure();
  }
  ArrayRef<int64_t> shape = type.getShape();
  int64_t steps = shape[1], channels = shape.back();
  FailureOr<SmallVector<int64_t>> out = applyPadding(
      layer, g, shape.drop_front(2).drop_back(), /*allowCausal=*/false);
  if (failed(out))
    return failure();

  // Keras 3 keeps the weights in the layer's cell.
  layer.setWeightScope("cell", layer.config);
  SmallVector<int64_t> kernelShape(g.window), recurrentShape(g.window);
  kernelShape.append({channels, 4 * filters});
  recurrentShape.append({filters, 4 * filters});
  FailureOr<Value> kernel = layer.addParam(
      "kernel", kernelShape, "kernel_initializer", "glorot_uniform");
  if (failed(kernel))
    return failure();
  FailureOr<Value> recurrent =
      layer.addParam("recurrent_kernel", recurrentShape,
                     "recurrent_initializer", "orthogonal");
  if (failed(recurrent))
    return failure();
  Value bias;
  if (layer.getBoolean("use_bias").value_or(true)) {
    // unit_forget_bias (default true): the forget gate's bias starts at one.
    bool forgetOnes = layer.getBoolean("unit_forget_bias").value_or(true);
    FailureOr<Value> b = layer.addParam(
        "bias", {4 * filters}, "bias_initializer", "zeros",
        LayerBuilder::ParamRole::Weight, [&](std::vector<float> &values) {
          if (forgetOnes)
            std::fill(values.begin() + filters, values.begin() + 2 * filters,
                      1.0f);
        });
    if (failed(b))
      return failure();
    bias = *b;
  }

  OpBuilder &b = layer.builder;
  Location loc = layer.loc;
  Type element = type.getElementType();
  int64_t batch = shape[0];
  auto withBatch = [&](int64_t first, ArrayRef<int64_t> rest) {
    SmallVector<int64_t> dims{first};
    dims.append(rest.begin(), rest.end());
    return RankedTensorType::get(dims, element);
  };
  // Every step's input convolution (and bias) at once: (B * T, S..., C).
  int64_t folded = ShapedType::isDynamic(batch) ? batch : batch * steps;
  Value flat =
      ReshapeOp::create(b, loc, withBatch(folded, shape.drop_front(2)), *x);
  Value projected = ConvOp::create(b, loc, flat, *kernel, g.strides,
                                   g.dilations, g.padLow, g.padHigh);
  if (bias)
    projected = AddOp::create(b, loc, projected, bias);
  SmallVector<int64_t> stepped{steps};
  stepped.append(*out);
  stepped.push_back(4 * filters);
  projected = ReshapeOp::create(b, loc, withBatch(batch, stepped), projected);

  // The recurrent convolution: stride 1, 'same'.
  SmallVector<int64_t> ones(Rank, 1);
  WindowGeometry rg{g.window, ones, ones, {}, {}};
  if (failed(applyPadding(layer, rg, *out, /*allowCausal=*/false, "same")))
    return failure();
  SmallVector<int64_t> stateShape(*out);
  stateShape.push_back(filters);
  RankedTensorType stateType = withBatch(batch, stateShape);
  SmallVector<Value> inits(2, ZerosOp::create(b, loc, stateType, *x));
  bool returnSequences = layer.getBoolean("return_sequences").value_or(false);
  Value sequence;
  if (returnSequences) {
    stepped.back() = filters;
    sequence = ZerosOp::create(b, loc, withBatch(batch, stepped), *x);
  }
  bool failedActivation = false;
  TimeLoopOptions options{steps,
                          layer.getBoolean("go_backwards").value_or(false)};
  auto loop = buildTimeLoop(
      b, loc, options, inits, sequence,
      [&](Location l, Value read, ValueRange states,
          SmallVectorImpl<Value> &next) -> Value {
        Value xt = SequenceStepOp::create(b, l, projected, read);
        Value ht = ConvOp::create(b, l, states[0], *recurrent, rg.strides,
                                  rg.dilations, rg.padLow, rg.padHigh);
        Value z = AddOp::create(b, l, xt, ht);
        // The gates are channel blocks: the last axis, after the steps'
        // spatial ones.
        FailureOr<std::pair<Value, Value>> updated =
            buildLstmUpdate(layer, z, states[1], filters, Rank + 1,
                            settings->activation, *recurrentActivation);
        failedActivation |= failed(updated);
        if (failed(updated)) {
          next.append({states[0], states[1]});
          return states[0];
        }
        next.append({updated->first, updated->second});
        return updated->first;
      });
  if (failedActivation)
    return failure();
  ValueRange results = loop.getResults();
  LayerOutputs outputs{returnSequences ? results.back() : results[0]};
  if (layer.getBoolean("return_state").value_or(false))
    outputs.append({results[0], results[1]});
  return outputs;
}

std::vector<std::string> convLstmScopes(const llvm::json::Object &) {
  return {"cell"};
}

void mlir::kiln::keras::registerConvolutionalLayers(LayerRegistry &registry) {
  static constexpr StringLiteral convKeys[] = {
      "filters",          "kernel_size",
      "strides",          "padding",
      "data_format",      "dilation_rate",
      "groups",           "activation",
      "use_bias",         "kernel_initializer",
      "bias_initializer", "kernel_regularizer",
      "bias_regularizer", "kernel_constraint",
      "bias_constraint"};
  static constexpr StringLiteral poolKeys[] = {"pool_size", "strides",
                                               "padding", "data_format"};
  static constexpr StringLiteral globalKeys[] = {"data_format", "keepdims"};
  for (StringRef name : {"Conv1D", "Convolution1D"})
    registry[name] = {singleOutput<importConv<1>>, convKeys};
  for (StringRef name : {"Conv2D", "Convolution2D"})
    registry[name] = {singleOutput<importConv<2>>, convKeys};
  for (StringRef name : {"Conv3D", "Convolution3D"})
    registry[name] = {singleOutput<importConv<3>>, convKeys};
  // `groups`: Keras 2's, always 1 (checkOneGroup).
  static constexpr StringLiteral convTransposeKeys[] = {
      "filters",          "kernel_size",
      "strides",          "padding",
      "output_padding",   "data_format",
      "dilation_rate",    "activation",
      "use_bias",         "kernel_initializer",
      "bias_initializer", "kernel_regularizer",
      "bias_regularizer", "kernel_constraint",
      "bias_constraint",  "groups"};
  static constexpr StringLiteral depthwiseKeys[] = {"kernel_size",
                                                    "strides",
                                                    "padding",
                                                    "data_format",
                                                    "dilation_rate",
                                                    "depth_multiplier",
                                                    "activation",
                                                    "use_bias",
                                                    "depthwise_initializer",
                                                    "bias_initializer",
                                                    "depthwise_regularizer",
                                                    "bias_regularizer",
                                                    "depthwise_constraint",
                                                    "bias_constraint",
                                                    "groups"};
  static constexpr StringLiteral separableKeys[] = {"filters",
                                                    "kernel_size",
                                                    "strides",
                                                    "padding",
                                                    "data_format",
                                                    "dilation_rate",
                                                    "depth_multiplier",
                                                    "activation",
                                                    "use_bias",
                                                    "depthwise_initializer",
                                                    "pointwise_initializer",
                                                    "bias_initializer",
                                                    "depthwise_regularizer",
                                                    "pointwise_regularizer",
                                                    "bias_regularizer",
                                                    "depthwise_constraint",
                                                    "pointwise_constraint",
                                                    "bias_constraint",
                                                    "groups",
                                                    // Keras 2's base Conv
                                                    // writes them; no
                                                    // weight reads them.
                                                    "kernel_initializer",
                                                    "kernel_regularizer",
                                                    "kernel_constraint"};
  registry["DepthwiseConv1D"] = {singleOutput<importDepthwise<1, false>>,
                                 depthwiseKeys};
  registry["DepthwiseConv2D"] = {singleOutput<importDepthwise<2, false>>,
                                 depthwiseKeys};
  for (StringRef name : {"SeparableConv1D", "SeparableConvolution1D"})
    registry[name] = {singleOutput<importDepthwise<1, true>>, separableKeys};
  for (StringRef name : {"SeparableConv2D", "SeparableConvolution2D"})
    registry[name] = {singleOutput<importDepthwise<2, true>>, separableKeys};
  for (StringRef name : {"Conv1DTranspose", "Convolution1DTranspose"})
    registry[name] = {singleOutput<importConvTranspose<1>>, convTransposeKeys};
  for (StringRef name : {"Conv2DTranspose", "Convolution2DTranspose"})
    registry[name] = {singleOutput<importConvTranspose<2>>, convTransposeKeys};
  for (StringRef name : {"Conv3DTranspose", "Convolution3DTranspose"})
    registry[name] = {singleOutput<importConvTranspose<3>>, convTransposeKeys};
  for (StringRef name : {"MaxPooling1D", "MaxPool1D"})
    registry[name] = {singleOutput<importPooling<1, true>>, poolKeys};
  for (StringRef name : {"MaxPooling2D", "MaxPool2D"})
    registry[name] = {singleOutput<importPooling<2, true>>, poolKeys};
  for (StringRef name : {"MaxPooling3D", "MaxPool3D"})
    registry[name] = {singleOutput<importPooling<3, true>>, poolKeys};
  for (StringRef name : {"AveragePooling1D", "AvgPool1D"})
    registry[name] = {singleOutput<importPooling<1, false>>, poolKeys};
  for (StringRef name : {"AveragePooling2D", "AvgPool2D"})
    registry[name] = {singleOutput<importPooling<2, false>>, poolKeys};
  for (StringRef name : {"AveragePooling3D", "AvgPool3D"})
    registry[name] = {singleOutput<importPooling<3, false>>, poolKeys};
  // GlobalAveragePooling1D averages the steps a Keras mask keeps, and
  // ends the mask.
  for (StringRef name : {"GlobalAveragePooling1D", "GlobalAvgPool1D"}) {
    registry[name] = {singleOutput<importGlobalPooling<1, false>>, globalKeys};
    registry[name].masks = MaskUse::Handle;
  }
  for (StringRef name : {"GlobalAveragePooling2D", "GlobalAvgPool2D"})
    registry[name] = {singleOutput<importGlobalPooling<2, false>>, globalKeys};
  for (StringRef name : {"GlobalAveragePooling3D", "GlobalAvgPool3D"})
    registry[name] = {singleOutput<importGlobalPooling<3, false>>, globalKeys};
  for (StringRef name : {"GlobalMaxPooling1D", "GlobalMaxPool1D"})
    registry[name] = {singleOutput<importGlobalPooling<1, true>>, globalKeys};
  for (StringRef name : {"GlobalMaxPooling2D", "GlobalMaxPool2D"})
    registry[name] = {singleOutput<importGlobalPooling<2, true>>, globalKeys};
  for (StringRef name : {"GlobalMaxPooling3D", "GlobalMaxPool3D"})
    registry[name] = {singleOutput<importGlobalPooling<3, true>>, globalKeys};
  static constexpr StringLiteral convLstmKeys[] = {
      "filters",           "kernel_size",          "strides",
      "padding",           "data_format",          "dilation_rate",
      "activation",        "recurrent_activation", "use_bias",
      "kernel_initializer", "recurrent_initializer", "bias_initializer",
      "unit_forget_bias",  "kernel_regularizer",   "recurrent_regularizer",
      "bias_regularizer",  "kernel_constraint",    "recurrent_constraint",
      "bias_constraint",   "dropout",              "recurrent_dropout",
      "seed",              "return_sequences",     "return_state",
      "go_backwards",      "stateful",             "unroll",
      "zero_output_for_mask"};
  registry["ConvLSTM1D"] = {importConvLstm<1>, convLstmKeys, convLstmScopes};
  registry["ConvLSTM2D"] = {importConvLstm<2>, convLstmKeys, convLstmScopes};
  registry["ConvLSTM3D"] = {importConvLstm<3>, convLstmKeys, convLstmScopes};
  for (StringRef name : {"ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D"})
    registry[name].masks = MaskUse::Refuse;
}
