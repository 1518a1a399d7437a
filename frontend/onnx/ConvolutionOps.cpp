//===- ConvolutionOps.cpp - ONNX convolution and pooling --------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// ONNX is channels-first (N, C, S...), kiln's window ops channels-last: each
// op transposes its input to (N, S..., C), runs the window op that the
// Keras layers use too (frontend/WindowOps.h), and transposes the result
// back. A kernel (M, C / group, K...) is transposed to kiln's (K..., C /
// group, M) in the IR, so that the parameter keeps ONNX's layout (what
// training updates and export writes back); ConvTranspose's (C, M / group,
// K...) to (C, K..., M / group), buildConvTranspose's layout.
//
// Padding: explicit `pads` (begin..., end...), or auto_pad SAME_UPPER
// (TensorFlow's SAME: the odd element after), SAME_LOWER (before) or VALID.
// MaxPool/AveragePool's ceil_mode adds the high padding that makes the
// last partial window count, unless it would start in the padding.
//===----------------------------------------------------------------------===//

#include "frontend/WindowOps.h"
#include "frontend/onnx/OnnxOps.h"

#include "dialects/kiln/IR/KilnDialect.h"
#include "dialects/kiln/Model/ImportedModel.h"

#include "onnx/onnx_pb.h"

#include <limits>

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::onnx_import;

/// (N, C, S...) <-> (N, S..., C).
static Value toChannelsLast(NodeBuilder &node, Value x) {
  int64_t rank = node.typeOf(x).getRank();
  SmallVector<int64_t> perm{0};
  for (int64_t d = 2; d < rank; ++d)
    perm.push_back(d);
  perm.push_back(1);
  return TransposeOp::create(node.builder, node.loc, x, perm);
}

static Value toChannelsFirst(NodeBuilder &node, Value x) {
  int64_t rank = node.typeOf(x).getRank();
  SmallVector<int64_t> perm{0, rank - 1};
  for (int64_t d = 1; d < rank - 1; ++d)
    perm.push_back(d);
  return TransposeOp::create(node.builder, node.loc, x, perm);
}

/// The input (N, C, S...) with known channels and spatial sizes.
static FailureOr<Value> spatialInput(NodeBuilder &node) {
  FailureOr<Value> x = node.input(0);
  if (failed(x))
    return failure();
  ArrayRef<int64_t> shape = node.typeOf(*x).getShape();
  if (shape.size() < 3 ||
      llvm::any_of(shape.drop_front(), ShapedType::isDynamic)) {
    node.emitError() << "expects an input (N, C, D...) with known sizes, got "
                     << formatKerasShape(shape);
    return failure();
  }
  return x;
}

/// Conv's input when it is held batch-first with its batch merged with
/// other dimensions into the first one (timm's MViTv2 pools the heads of
/// (N * heads, C, H, W); TNT embeds (N * patches, 3, 16, 16)): the held
/// value as (N, K * C, S...), K the size merged with the batch, which a
/// convolution of K times the groups (the kernel repeated K times)
/// computes per copy. `copies` is K; `copyShape` the atoms merged with the
/// batch, and `group0` the held layout of the file's first dimension in
/// the output (restoreMergedConv).
struct MergedConvInput {
  Value value;
  int64_t copies = 1;
  SmallVector<int64_t> copyShape, group0;
};
static FailureOr<MergedConvInput> mergedConvInput(NodeBuilder &node) {
  FailureOr<HeldValue> x = node.heldInput(0);
  if (failed(x))
    return failure();
  SmallVector<HeldDim> dims = node.heldDims(*x);
  if (dims.size() < 3 || !dims[0].batch ||
      llvm::any_of(ArrayRef<HeldDim>(dims).drop_front(),
                   [](HeldDim d) { return d.batch; })) {
    node.emitError() << "expects an input (N, C, D...) whose batch is in "
                        "its first dimension, got "
                     << formatHeldDims(dims) << " (held batch-first)";
    return failure();
  }
  // The atoms in the file's order, the batch's first: (N, k..., C, S...),
  // the batch and the k atoms in the input's order in the output's first
  // file dimension.
  SmallVector<int64_t> axes =
      llvm::to_vector(llvm::seq<int64_t>(1, x->layout.rank()));
  FailureOr<HeldValue> t = node.heldAxesLast(*x, axes);
  if (failed(t))
    return failure();
  MergedConvInput in;
  ArrayRef<int64_t> group0 = t->layout.group(0);
  in.group0.assign(group0.begin(), group0.end());
  in.copyShape.assign(
      node.typeOf(t->value).getShape().slice(1, group0.size() - 1));
  in.copies = dims[0].factor;
  SmallVector<int64_t> shape{ShapedType::kDynamic, in.copies * dims[1].factor};
  for (HeldDim d : ArrayRef<HeldDim>(dims).drop_front(2))
    shape.push_back(d.factor);
  in.value = node.reshape(t->value, shape);
  return in;
}

/// The held form of a merged input's convolution output y, (N, K * M,
/// S'...): (N, k..., M, S'...).
static OnnxValue restoreMergedConv(NodeBuilder &node, const MergedConvInput &in,
                                   Value y) {
  ArrayRef<int64_t> out = node.typeOf(y).getShape();
  SmallVector<int64_t> shape{ShapedType::kDynamic};
  llvm::append_range(shape, in.copyShape);
  shape.push_back(out[1] / in.copies);
  llvm::append_range(shape, out.drop_front(2));
  return node.fromMergedBatch(node.reshape(y, shape), in.group0, 0);
}

/// A per-spatial-dimension attribute: `rank` positive integers, or
/// `fallback` for every dimension when absent.
static FailureOr<SmallVector<int64_t>>
spatialAttr(NodeBuilder &node, StringRef name, int64_t rank,
            std::optional<int64_t> fallback) {
  FailureOr<std::optional<SmallVector<int64_t>>> attr = node.getInts(name);
  if (failed(attr))
    return failure();
  if (!*attr) {
    if (fallback)
      return SmallVector<int64_t>(rank, *fallback);
    node.emitError() << "attribute '" << name << "' is required";
    return failure();
  }
  if (int64_t((*attr)->size()) != rank ||
      llvm::any_of(**attr, [](int64_t v) { return v < 1 || v > (1 << 20); })) {
    node.emitError() << "'" << name << "' must be " << rank
                     << " positive integers";
    return failure();
  }
  return **attr;
}

/// Explicit `pads` (begins, then ends; absent: none) into g.padLow and
/// g.padHigh, sized already.
static LogicalResult readPads(NodeBuilder &node,
                              const std::optional<SmallVector<int64_t>> &pads,
                              WindowGeometry &g) {
  if (!pads)
    return success();
  int64_t rank = g.padLow.size();
  if (int64_t(pads->size()) != 2 * rank ||
      llvm::any_of(*pads, [](int64_t p) { return p < 0 || p > (1 << 20); })) {
    node.emitError() << "'pads' must be " << 2 * rank
                     << " non-negative integers";
    return failure();
  }
  for (int64_t i = 0; i < rank; ++i) {
    g.padLow[i] = (*pads)[i];
    g.padHigh[i] = (*pads)[rank + i];
  }
  return success();
}

/// Reads strides, dilations (when `hasDilations`) and the padding of a
/// window of `window` sizes over `spatial`; `ceilMode` pads the high side
/// so that a last partial window counts. Returns the output sizes.
static FailureOr<SmallVector<int64_t>>
readGeometry(NodeBuilder &node, WindowGeometry &g, ArrayRef<int64_t> spatial,
             bool hasDilations, bool ceilMode,
             SmallVector<int64_t> *explicitHigh = nullptr) {
  int64_t rank = spatial.size();
  auto strides = spatialAttr(node, "strides", rank, 1);
  auto dilations =
      hasDilations
          ? spatialAttr(node, "dilations", rank, 1)
          : FailureOr<SmallVector<int64_t>>(SmallVector<int64_t>(rank, 1));
  FailureOr<std::string> autoPad = node.getString("auto_pad", "NOTSET");
  FailureOr<std::optional<SmallVector<int64_t>>> pads = node.getInts("pads");
  if (failed(strides) || failed(dilations) || failed(autoPad) || failed(pads))
    return failure();
  g.strides = *strides;
  g.dilations = *dilations;
  g.padLow.assign(rank, 0);
  g.padHigh.assign(rank, 0);
  if (*autoPad == "NOTSET") {
    if (failed(readPads(node, *pads, g)))
      return failure();
  } else if (*autoPad == "SAME_UPPER" || *autoPad == "SAME_LOWER") {
    for (int64_t i = 0; i < rank; ++i) {
      int64_t span = g.dilations[i] * (g.window[i] - 1) + 1;
      int64_t out = (spatial[i] + g.strides[i] - 1) / g.strides[i];
      int64_t total =
          std::max<int64_t>((out - 1) * g.strides[i] + span - spatial[i], 0);
      int64_t small = total / 2, large = total - small;
      g.padLow[i] = *autoPad == "SAME_UPPER" ? small : large;
      g.padHigh[i] = *autoPad == "SAME_UPPER" ? large : small;
    }
  } else if (*autoPad != "VALID") {
    node.emitError() << "auto_pad '" << *autoPad << "' is not supported";
    return failure();
  }
  if (explicitHigh)
    *explicitHigh = g.padHigh;
  if (ceilMode) {
    for (int64_t i = 0; i < rank; ++i) {
      int64_t span = g.dilations[i] * (g.window[i] - 1) + 1;
      int64_t padded = spatial[i] + g.padLow[i] + g.padHigh[i];
      if (padded < span)
        continue;
      int64_t out = (padded - span + g.strides[i] - 1) / g.strides[i] + 1;
      // The last window must start inside the input or its low padding.
      if ((out - 1) * g.strides[i] >= spatial[i] + g.padLow[i])
        --out;
      g.padHigh[i] +=
          std::max<int64_t>((out - 1) * g.strides[i] + span - padded, 0);
    }
  }
  std::string reason;
  FailureOr<SmallVector<int64_t>> out = g.outputSizes(spatial, reason);
  if (failed(out)) {
    node.emitError() << "input " << formatKerasShape(spatial) << ": " << reason;
    return failure();
  }
  return out;
}

/// The window of a (M, C, K...) kernel, checked against kernel_shape.
static LogicalResult readKernelWindow(NodeBuilder &node,
                                      ArrayRef<int64_t> wShape,
                                      WindowGeometry &g) {
  g.window.assign(wShape.begin() + 2, wShape.end());
  FailureOr<std::optional<SmallVector<int64_t>>> ks =
      node.getInts("kernel_shape");
  if (failed(ks))
    return failure();
  if (*ks && ArrayRef<int64_t>(**ks) != ArrayRef(g.window)) {
    node.emitError() << "kernel_shape does not match the kernel "
                     << formatKerasShape(wShape);
    return failure();
  }
  return success();
}

// Conv(X, W, B)
static FailureOr<NodeOutputs> importConv(NodeBuilder &node) {
  std::optional<MergedConvInput> merged;
  FailureOr<Value> x = Value();
  if (node.heldTransposed(0)) {
    FailureOr<MergedConvInput> m = mergedConvInput(node);
    if (failed(m))
      return failure();
    x = m->value;
    merged = std::move(*m);
  } else {
    x = spatialInput(node);
  }
  // The kernel's shape here; its value in kiln's layout below.
  FailureOr<std::pair<SmallVector<int64_t>, OnnxType>> w = node.inputInfo(1);
  FailureOr<int64_t> group = node.getInt("group", 1);
  if (failed(x) || failed(w) || failed(group))
    return failure();
  int64_t copies = merged ? merged->copies : 1;
  ArrayRef<int64_t> xShape = node.typeOf(*x).getShape();
  ArrayRef<int64_t> wShape = w->first;
  int64_t rank = xShape.size() - 2, channels = xShape[1] / copies;
  if (int64_t(wShape.size()) != rank + 2) {
    node.emitError() << "the kernel " << formatKerasShape(wShape)
                     << " does not match the input's rank";
    return failure();
  }
  int64_t filters = wShape[0];
  if (*group < 1 || channels % *group || filters % *group ||
      wShape[1] * *group != channels) {
    node.emitError() << "the kernel " << formatKerasShape(wShape) << " in "
                     << *group << " groups does not fit " << channels
                     << " input channels";
    return failure();
  }
  WindowGeometry g;
  if (failed(readKernelWindow(node, wShape, g)))
    return failure();
  FailureOr<SmallVector<int64_t>> out =
      readGeometry(node, g, xShape.drop_front(2), /*hasDilations=*/true,
                   /*ceilMode=*/false);
  if (failed(out))
    return failure();
  OpBuilder &b = node.builder;
  // (M, C/g, K...) -> (K..., C/g, M)
  SmallVector<int64_t> perm;
  for (int64_t d = 2; d < rank + 2; ++d)
    perm.push_back(d);
  perm.append({1, 0});
  FailureOr<Value> kernel = node.transposedInput(1, perm);
  if (failed(kernel))
    return failure();
  // Per copy of a merged input: the kernel (and bias) repeated along the
  // filters, in as many more groups.
  auto repeated = [&](Value v) -> Value {
    if (copies == 1)
      return v;
    SmallVector<Value> parts(copies, v);
    return ConcatOp::create(b, node.loc, parts, node.typeOf(v).getRank() - 1);
  };
  Value y = buildGroupedConv(b, node.loc, toChannelsLast(node, *x),
                             repeated(*kernel), g, *group * copies);
  if (node.hasInput(2)) {
    FailureOr<Value> bias = node.input(2);
    if (failed(bias))
      return failure();
    if (node.typeOf(*bias).getShape() != ArrayRef<int64_t>{filters}) {
      node.emitError() << "the bias "
                       << formatKerasShape(node.typeOf(*bias).getShape())
                       << " must have shape (" << filters << ",)";
      return failure();
    }
    y = AddOp::create(b, node.loc, y, repeated(*bias));
  }
  if (merged)
    return NodeOutputs{
        restoreMergedConv(node, *merged, toChannelsFirst(node, y))};
  return single(toChannelsFirst(node, y));
}

/// `a / b` rounded down (ONNX's padding formulas are Python's).
static int64_t floorDiv(int64_t a, int64_t b) {
  return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

// ConvTranspose(X, W, B): W (C, M / group, K...). The output size per
// dimension is stride * (in - 1) + output_padding + dilation * (K - 1) + 1
// - pad_begin - pad_end; output_shape, when given, decides the total
// padding instead, split by the spec's formula (opset 11 on: the odd
// element at the end for SAME_UPPER, at the beginning otherwise; before 11
// the other way round). Output positions no window reaches (output_padding,
// a larger output_shape) are zeros (plus the bias).
static FailureOr<NodeOutputs> importConvTranspose(NodeBuilder &node) {
  FailureOr<Value> x = spatialInput(node);
  // The kernel's shape here; its value in kiln's layout below.
  FailureOr<std::pair<SmallVector<int64_t>, OnnxType>> w = node.inputInfo(1);
  FailureOr<int64_t> group = node.getInt("group", 1);
  FailureOr<std::string> autoPad = node.getString("auto_pad", "NOTSET");
  FailureOr<std::optional<SmallVector<int64_t>>> pads = node.getInts("pads");
  FailureOr<std::optional<SmallVector<int64_t>>> outputPadding =
      node.getInts("output_padding");
  FailureOr<std::optional<SmallVector<int64_t>>> outputShape =
      node.getInts("output_shape");
  if (failed(x) || failed(w) || failed(group) || failed(autoPad) ||
      failed(pads) || failed(outputPadding) || failed(outputShape))
    return failure();
  ArrayRef<int64_t> xShape = node.typeOf(*x).getShape();
  ArrayRef<int64_t> wShape = w->first;
  int64_t rank = xShape.size() - 2, channels = xShape[1];
  if (int64_t(wShape.size()) != rank + 2 ||
      llvm::any_of(wShape, ShapedType::isDynamic)) {
    node.emitError() << "the kernel " << formatKerasShape(wShape)
                     << " does not match the input's rank";
    return failure();
  }
  if (*group < 1 || channels % *group || wShape[0] != channels) {
    node.emitError() << "the kernel " << formatKerasShape(wShape) << " in "
                     << *group << " groups does not fit " << channels
                     << " input channels";
    return failure();
  }
  int64_t filters = wShape[1] * *group;
  WindowGeometry g;
  if (failed(readKernelWindow(node, wShape, g)))
    return failure();
  auto strides = spatialAttr(node, "strides", rank, 1);
  auto dilations = spatialAttr(node, "dilations", rank, 1);
  if (failed(strides) || failed(dilations))
    return failure();
  g.strides = *strides;
  g.dilations = *dilations;
  SmallVector<int64_t> adjust(rank, 0);
  if (*outputPadding) {
    if (int64_t((*outputPadding)->size()) != rank ||
        llvm::any_of(**outputPadding,
                     [](int64_t p) { return p < 0 || p > (1 << 20); })) {
      node.emitError() << "'output_padding' must be " << rank
                       << " non-negative integers";
      return failure();
    }
    adjust = **outputPadding;
  }
  bool same = *autoPad == "SAME_UPPER" || *autoPad == "SAME_LOWER";
  if (!same && *autoPad != "NOTSET" && *autoPad != "VALID") {
    node.emitError() << "auto_pad '" << *autoPad << "' is not supported";
    return failure();
  }
  if (same && !*outputShape && node.opset < 11) {
    node.emitError() << "auto_pad '" << *autoPad
                     << "' before opset 11 is ambiguous (ConvTranspose-1's "
                        "text and formula disagree); give pads or "
                        "output_shape";
    return failure();
  }
  // The total padding per dimension, then its split.
  ArrayRef<int64_t> in = xShape.drop_front(2);
  SmallVector<int64_t> begin(rank, 0), end(rank, 0), out(rank);
  for (int64_t i = 0; i < rank; ++i) {
    int64_t full = g.strides[i] * (in[i] - 1) + adjust[i] +
                   g.dilations[i] * (g.window[i] - 1) + 1;
    std::optional<int64_t> target;
    if (*outputShape) {
      int64_t given = (*outputShape)->size();
      if (given != rank && given != rank + 2) {
        node.emitError() << "'output_shape' must have " << rank
                         << " spatial sizes";
        return failure();
      }
      target = (**outputShape)[given - rank + i];
    } else if (same) {
      target = in[i] * g.strides[i];
    }
    if (target) {
      int64_t total = full - *target;
      // Opset 11 on: the smaller half first for SAME_UPPER; before, for
      // anything but SAME_UPPER.
      bool smallFirst = (*autoPad == "SAME_UPPER") == (node.opset >= 11);
      int64_t half = floorDiv(total, 2);
      begin[i] = smallFirst ? half : total - half;
      end[i] = total - begin[i];
    } else if (*pads && *autoPad == "NOTSET") {
      if (int64_t((*pads)->size()) != 2 * rank ||
          llvm::any_of(**pads,
                       [](int64_t p) { return p < 0 || p > (1 << 20); })) {
        node.emitError() << "'pads' must be " << 2 * rank
                         << " non-negative integers";
        return failure();
      }
      begin[i] = (**pads)[i];
      end[i] = (**pads)[rank + i];
    }
    out[i] = full - begin[i] - end[i];
    if (out[i] < 1 || out[i] > (1 << 24)) {
      node.emitError() << "spatial dimension " << i << ": the output size "
                       << out[i] << " is out of range";
      return failure();
    }
    g.padLow.push_back(begin[i]);
    g.padHigh.push_back(end[i] - adjust[i]);
  }
  std::string reason;
  if (failed(checkConvTranspose(g, in, out, reason))) {
    node.emitError() << reason;
    return failure();
  }
  Value bias;
  if (node.hasInput(2)) {
    FailureOr<Value> b = node.input(2);
    if (failed(b))
      return failure();
    if (node.typeOf(*b).getShape() != ArrayRef<int64_t>{filters}) {
      node.emitError() << "the bias "
                       << formatKerasShape(node.typeOf(*b).getShape())
                       << " does not match the " << filters << " filters";
      return failure();
    }
    bias = *b;
  }
  OpBuilder &b = node.builder;
  // (C, M / group, K...) -> (C, K..., M / group)
  SmallVector<int64_t> perm{0};
  for (int64_t d = 2; d < rank + 2; ++d)
    perm.push_back(d);
  perm.push_back(1);
  FailureOr<Value> kernel = node.transposedInput(1, perm);
  if (failed(kernel))
    return failure();
  Value y = buildConvTranspose(b, node.loc, toChannelsLast(node, *x), *kernel,
                               g, out, *group);
  if (bias)
    y = AddOp::create(b, node.loc, y, bias);
  return single(toChannelsFirst(node, y));
}

// Col2Im(input, image_shape, block_shape) (opset 18): PyTorch's F.fold.
// The input (N, C * prod(block), L) holds, per block position b (row-major
// over block_shape) and channel c, row (c, b), the value of every one of
// the L windows (row-major over the window positions); each is added to
// the image position it covers, positions in the padding dropped:
// kiln.fold_patches of the rows as (N, L..., taps * C) patches.
static FailureOr<NodeOutputs> importCol2Im(NodeBuilder &node) {
  FailureOr<Value> x = node.input(0);
  FailureOr<std::optional<SmallVector<int64_t>>> image =
      node.knownInts(1, "image_shape");
  FailureOr<std::optional<SmallVector<int64_t>>> block =
      node.knownInts(2, "block_shape");
  if (failed(x) || failed(image) || failed(block))
    return failure();
  if (!*image || !*block || (*image)->empty() ||
      (*image)->size() != (*block)->size() ||
      llvm::any_of(**image, [](int64_t v) { return v < 1 || v > (1 << 20); }) ||
      llvm::any_of(**block, [](int64_t v) { return v < 1 || v > (1 << 20); })) {
    node.emitError() << "image_shape and block_shape must be two lists of "
                        "as many positive sizes";
    return failure();
  }
  int64_t rank = (*image)->size();
  WindowGeometry g;
  g.window = **block;
  FailureOr<SmallVector<int64_t>> strides =
      spatialAttr(node, "strides", rank, 1);
  FailureOr<SmallVector<int64_t>> dilations =
      spatialAttr(node, "dilations", rank, 1);
  FailureOr<std::optional<SmallVector<int64_t>>> pads = node.getInts("pads");
  if (failed(strides) || failed(dilations) || failed(pads))
    return failure();
  g.strides = *strides;
  g.dilations = *dilations;
  g.padLow.assign(rank, 0);
  g.padHigh.assign(rank, 0);
  if (failed(readPads(node, *pads, g)))
    return failure();
  std::string reason;
  FailureOr<SmallVector<int64_t>> blocks = g.outputSizes(**image, reason);
  if (failed(blocks)) {
    node.emitError() << "image_shape " << formatKerasShape(**image) << ": "
                     << reason;
    return failure();
  }
  int64_t count = 1;
  for (int64_t o : *blocks)
    count *= o;
  ArrayRef<int64_t> shape = node.typeOf(*x).getShape();
  if (shape.size() != 3 || ShapedType::isDynamic(shape[1]) ||
      shape[1] % g.taps() || shape[2] != count) {
    node.emitError() << "expects an input (N, C * " << g.taps() << ", " << count
                     << ") for blocks " << formatKerasShape(**block)
                     << " over the image " << formatKerasShape(**image)
                     << ", got " << formatKerasShape(shape);
    return failure();
  }
  int64_t channels = shape[1] / g.taps();
  // (N, C, taps, L...) -> (N, L..., taps, C) -> (N, L..., taps * C).
  SmallVector<int64_t> split{shape[0], channels, g.taps()};
  llvm::append_range(split, *blocks);
  SmallVector<int64_t> perm{0};
  for (int64_t d = 0; d < rank; ++d)
    perm.push_back(3 + d);
  perm.append({2, 1});
  Value rows = TransposeOp::create(node.builder, node.loc,
                                   node.reshape(*x, split), perm);
  SmallVector<int64_t> patches{shape[0]}, folded{shape[0]};
  llvm::append_range(patches, *blocks);
  patches.push_back(g.taps() * channels);
  llvm::append_range(folded, **image);
  folded.push_back(channels);
  Value like = buildZerosLike(node.builder, node.loc, *x, folded);
  Value y = FoldPatchesOp::create(node.builder, node.loc,
                                  node.reshape(rows, patches), like, g.window,
                                  g.strides, g.dilations, g.padLow, g.padHigh);
  return single(toChannelsFirst(node, y));
}

/// Max pooling with dilations, which kiln.max_pool does not take: the input
/// padded with the lowest float (padding never wins), each window's taps
/// as a patch row (`kiln.extract_patches` dilates), and the maximum over
/// the taps as a max_pool over a (positions, taps, C) view.
static Value dilatedMaxPool(NodeBuilder &node, Value in,
                            const WindowGeometry &g, ArrayRef<int64_t> out) {
  OpBuilder &b = node.builder;
  Location loc = node.loc;
  Value lowest = node.scalar(-std::numeric_limits<float>::max());
  for (int64_t d = 0; d < g.rank(); ++d)
    in = buildConstantPad(b, loc, in, d + 1, g.padLow[d], g.padHigh[d], lowest);
  SmallVector<int64_t> none(g.rank(), 0);
  Value patches = ExtractPatchesOp::create(b, loc, in, g.window, g.strides,
                                           g.dilations, none, none);
  ArrayRef<int64_t> shape = node.typeOf(in).getShape();
  int64_t channels = shape.back(), positions = 1;
  for (int64_t o : out)
    positions *= o;
  int64_t rows = ShapedType::isDynamic(shape[0]) ? ShapedType::kDynamic
                                                 : shape[0] * positions;
  Value taps = node.reshape(patches, {rows, g.taps(), channels});
  Value max = MaxPoolOp::create(b, loc, taps, ArrayRef<int64_t>{g.taps()},
                                ArrayRef<int64_t>{1}, ArrayRef<int64_t>{0},
                                ArrayRef<int64_t>{0});
  SmallVector<int64_t> result{shape[0]};
  result.append(out.begin(), out.end());
  result.push_back(channels);
  return node.reshape(max, result);
}

// MaxPool / AveragePool
template <bool IsMax>
static FailureOr<NodeOutputs> importPool(NodeBuilder &node) {
  FailureOr<Value> x = spatialInput(node);
  FailureOr<int64_t> ceil = node.getInt("ceil_mode", 0);
  FailureOr<int64_t> includePad = node.getInt("count_include_pad", 0);
  FailureOr<int64_t> order = node.getInt("storage_order", 0);
  if (failed(x) || failed(ceil) || failed(includePad) || failed(order))
    return failure();
  if (node.node.output_size() > 1 && !node.node.output(1).empty()) {
    node.emitError() << "the Indices output is not supported";
    return failure();
  }
  ArrayRef<int64_t> xShape = node.typeOf(*x).getShape();
  int64_t rank = xShape.size() - 2;
  WindowGeometry g;
  FailureOr<SmallVector<int64_t>> window =
      spatialAttr(node, "kernel_shape", rank, std::nullopt);
  if (failed(window))
    return failure();
  g.window = *window;
  SmallVector<int64_t> explicitHigh;
  FailureOr<SmallVector<int64_t>> out =
      readGeometry(node, g, xShape.drop_front(2),
                   /*hasDilations=*/IsMax || node.opset >= 19,
                   *ceil != 0, &explicitHigh);
  if (failed(out))
    return failure();
  OpBuilder &b = node.builder;
  Value in = toChannelsLast(node, *x);
  Value y;
  if (IsMax && llvm::any_of(g.dilations, [](int64_t d) { return d != 1; })) {
    y = dilatedMaxPool(node, in, g, *out);
  } else if (IsMax) {
    y = MaxPoolOp::create(b, node.loc, in, g.window, g.strides, g.padLow,
                          g.padHigh);
  } else {
    SmallVector<int64_t> countLow(rank, 0), countHigh(rank, 0);
    if (*includePad) {
      countLow = g.padLow;
      countHigh = explicitHigh;
    }
    y = buildAveragePool(b, node.loc, in, g, *out, countLow, countHigh);
  }
  return single(toChannelsFirst(node, y));
}

// GlobalAveragePool / GlobalMaxPool: (N, C, S...) -> (N, C, 1...).
template <bool IsMax>
static FailureOr<NodeOutputs> importGlobalPool(NodeBuilder &node) {
  FailureOr<Value> x = spatialInput(node);
  if (failed(x))
    return failure();
  ArrayRef<int64_t> shape = node.typeOf(*x).getShape();
  int64_t rank = shape.size() - 2;
  OpBuilder &b = node.builder;
  if (!IsMax) {
    SmallVector<int64_t> axes;
    for (int64_t d = 2; d < rank + 2; ++d)
      axes.push_back(d);
    return single(
        Value(ReduceMeanOp::create(b, node.loc, *x, axes, /*keep_dims=*/true)));
  }
  SmallVector<int64_t> window(shape.drop_front(2)), ones(rank, 1),
      zeros(rank, 0);
  Value y = MaxPoolOp::create(b, node.loc, toChannelsLast(node, *x), window,
                              ones, zeros, zeros);
  return single(toChannelsFirst(node, y));
}

void mlir::kiln::onnx_import::registerConvolutionOps(OpRegistry &r) {
  static constexpr StringLiteral conv[] = {
      "auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"};
  static constexpr StringLiteral maxPool[] = {
      "auto_pad", "ceil_mode", "dilations",    "kernel_shape",
      "pads",     "strides",   "storage_order"};
  static constexpr StringLiteral avgPool[] = {
      "auto_pad",     "ceil_mode", "count_include_pad",
      "kernel_shape", "pads",      "strides"};
  static constexpr StringLiteral avgPool19[] = {
      "auto_pad",     "ceil_mode", "count_include_pad", "dilations",
      "kernel_shape", "pads",      "strides"};
  static constexpr StringLiteral convTranspose[] = {
      "auto_pad",       "dilations",    "group", "kernel_shape",
      "output_padding", "output_shape", "pads",  "strides"};
  r["Conv"].push_back(OpKind{1, kNewestOpset, importConv, conv});
  // ConvTranspose-1 and -11 differ in how output_shape's padding splits.
  r["ConvTranspose"].push_back(
      OpKind{1, 10, importConvTranspose, convTranspose});
  r["ConvTranspose"].push_back(
      OpKind{11, kNewestOpset, importConvTranspose, convTranspose});
  // Opsets 1-7 lack dilations, storage_order and ceil_mode (absent: the
  // defaults) and AveragePool-1 count_include_pad.
  r["MaxPool"].push_back(OpKind{1, kNewestOpset, importPool<true>, maxPool});
  r["AveragePool"].push_back(OpKind{1, 18, importPool<false>, avgPool});
  // AveragePool-19 dilates its windows.
  r["AveragePool"].push_back(
      OpKind{19, kNewestOpset, importPool<false>, avgPool19, 0, 0, 1});
  static constexpr StringLiteral col2im[] = {"dilations", "pads", "strides"};
  // image_shape and block_shape are known operands.
  r["Col2Im"].push_back(
      OpKind{18, kNewestOpset, importCol2Im, col2im, 0b110, 0, 3});
  r["GlobalAveragePool"].push_back(OpKind{1, kNewestOpset, importGlobalPool<false>, {}});
  r["GlobalMaxPool"].push_back(OpKind{1, kNewestOpset, importGlobalPool<true>, {}});
}
