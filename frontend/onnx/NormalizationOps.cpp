//===- NormalizationOps.cpp - ONNX normalization ----------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// BatchNormalization is `kiln.batch_norm` over axis 1 (the channels), the
// op Keras's BatchNormalization imports to: inference uses the running
// statistics; a trained model normalizes with the batch's and updates the
// running ones (initializers imported as state) with ONNX's momentum, the
// same update rule as Keras's. Its training form (training_mode = 1),
// which normalizes with its input's own statistics, is that formula, for
// inputs that do not hold the batch (weight standardization).
// InstanceNormalization, LayerNormalization
// (opset 17) and GroupNormalization (18) are their formula over the
// spatial axes / the axes from `axis` on / each group of channels with the
// spatial axes: (x - mean) / sqrt(var + epsilon) * scale + bias.
//===----------------------------------------------------------------------===//

#include "frontend/onnx/OnnxOps.h"

#include "dialects/kiln/IR/KilnDialect.h"
#include "dialects/kiln/Model/ImportedModel.h"

#include "onnx/onnx_pb.h"

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::onnx_import;

/// `v` (C) shaped to broadcast along dimension 1 of a rank-`rank` tensor.
static Value alongChannels(NodeBuilder &node, Value v, int64_t rank) {
  SmallVector<int64_t> shape(rank - 1, 1);
  shape[0] = node.typeOf(v).getDimSize(0);
  return node.reshape(v, shape);
}

/// The statistics `normalize` computes, kept over the normalized axes.
struct Moments {
  Value mean;
  /// The biased variance, and sqrt(variance + epsilon).
  Value variance, std;
};

/// (x - mean) / sqrt(var + epsilon) over `axes`, the biased variance;
/// `moments`, when given, receives the statistics.
static Value normalize(NodeBuilder &node, Value x, ArrayRef<int64_t> axes,
                       double epsilon, Moments *moments = nullptr) {
  OpBuilder &b = node.builder;
  Location loc = node.loc;
  Moments m;
  m.mean = ReduceMeanOp::create(b, loc, x, axes, /*keep_dims=*/true);
  Value centered = SubOp::create(b, loc, x, m.mean);
  m.variance = ReduceMeanOp::create(
      b, loc, MulOp::create(b, loc, centered, centered), axes, true);
  m.std = SqrtOp::create(
      b, loc, AddOp::create(b, loc, m.variance, node.scalar(epsilon)));
  if (moments)
    *moments = m;
  return DivOp::create(b, loc, centered, m.std);
}

// BatchNormalization with training_mode = 1 (opset 14 on) normalizes with
// the statistics of its own input, over every axis but 1: what PyTorch
// exports for F.batch_norm(training=True), which timm's weight-standardized
// convolutions (NFNet, BiT) apply to their kernels. Its running-statistics
// outputs are input_mean * momentum + mean * (1 - momentum) and the same of
// the (biased) variance. An input that holds the batch is refused: its
// outputs would depend on how the samples are batched, and a model
// exported in eval mode has the inference form kiln trains.
static FailureOr<NodeOutputs>
importBatchNormTraining(NodeBuilder &node, double epsilon, double momentum) {
  if (node.heldTransposed(0)) {
    node.emitError() << "training_mode = 1 on a tensor that holds the batch "
                        "is not supported";
    return failure();
  }
  FailureOr<Value> x = node.input(0);
  FailureOr<Value> scale = node.input(1);
  FailureOr<Value> bias = node.input(2);
  if (failed(x) || failed(scale) || failed(bias))
    return failure();
  ArrayRef<int64_t> shape = node.typeOf(*x).getShape();
  int64_t rank = shape.size();
  if (rank < 2 || ShapedType::isDynamic(shape[1])) {
    node.emitError() << "expects an input (N, C, ...) with known channels";
    return failure();
  }
  if (ShapedType::isDynamic(shape[0])) {
    node.emitError()
        << "training_mode = 1 normalizes with the statistics of the batch, "
           "so its outputs would depend on how the samples are batched; "
           "export the model in eval mode (kiln trains BatchNormalization "
           "in its own train step)";
    return failure();
  }
  for (Value v : {*scale, *bias})
    if (node.typeOf(v).getShape() != ArrayRef<int64_t>{shape[1]}) {
      node.emitError() << "scale and bias must have shape (" << shape[1] << ")";
      return failure();
    }
  OpBuilder &b = node.builder;
  Location loc = node.loc;
  SmallVector<int64_t> axes{0};
  for (int64_t d = 2; d < rank; ++d)
    axes.push_back(d);
  Moments moments;
  Value y = normalize(node, *x, axes, epsilon, &moments);
  y = MulOp::create(b, loc, y, alongChannels(node, *scale, rank));
  y = AddOp::create(b, loc, y, alongChannels(node, *bias, rank));
  NodeOutputs outputs{OnnxValue::ofValue(y)};
  // The running statistics, where the file names them.
  Value batchStats[] = {moments.mean, moments.variance};
  for (auto [i, batch] : llvm::enumerate(batchStats)) {
    if (node.node.output_size() <= int(i) + 1)
      break;
    Value perChannel = node.reshape(batch, {shape[1]});
    if (node.node.output(i + 1).empty()) {
      outputs.push_back(OnnxValue::ofValue(perChannel)); // not read
      continue;
    }
    FailureOr<Value> running = node.input(3 + i);
    if (failed(running))
      return failure();
    if (node.typeOf(*running).getShape() != ArrayRef<int64_t>{shape[1]}) {
      node.emitError() << "input_mean and input_var must have shape ("
                       << shape[1] << ")";
      return failure();
    }
    outputs.push_back(OnnxValue::ofValue(AddOp::create(
        b, loc, MulOp::create(b, loc, *running, node.scalar(momentum)),
        MulOp::create(b, loc, perChannel, node.scalar(1.0 - momentum)))));
  }
  return outputs;
}

static FailureOr<NodeOutputs> importBatchNorm(NodeBuilder &node) {
  FailureOr<float> epsilon = node.getFloat("epsilon", 1e-5f);
  FailureOr<float> momentum = node.getFloat("momentum", 0.9f);
  FailureOr<int64_t> training = node.getInt("training_mode", 0);
  FailureOr<int64_t> spatial = node.getInt("spatial", 1);
  FailureOr<int64_t> isTest = node.getInt("is_test", 1);
  if (failed(epsilon) || failed(momentum) || failed(training) ||
      failed(spatial) || failed(isTest))
    return failure();
  if (!*isTest)
    training = 1;
  if (!*spatial) {
    node.emitError() << "spatial = 0 is not supported";
    return failure();
  }
  if (*training && node.opset >= 14)
    return importBatchNormTraining(node, *epsilon, *momentum);
  if (*training || node.node.output_size() > 1) {
    node.emitError() << "the training form (is_test = 0, running "
                        "statistics outputs) of opset "
                     << node.opset
                     << " is not supported; kiln trains "
                        "BatchNormalization in its own train step";
    return failure();
  }
  // A held input (LeViT's BatchNorm1d of (batch * tokens, C), the batch
  // merged with the tokens) normalizes along the channels' held dimension:
  // kiln.batch_norm's statistics over every other one are the file's over
  // its dimension 0.
  std::optional<HeldValue> held;
  int64_t axis = 1;
  FailureOr<Value> x = failure();
  if (node.heldTransposed(0)) {
    FailureOr<HeldValue> in = node.heldInput(0);
    if (failed(in))
      return failure();
    ArrayRef<int64_t> channels =
        in->layout.rank() > 1 ? in->layout.group(1) : ArrayRef<int64_t>();
    if (channels.size() != 1 || in->layout.batchDim() == 1) {
      node.emitError() << "normalizes channels that the held tensor does not "
                          "keep as one dimension of their own";
      return failure();
    }
    axis = channels.front();
    x = in->value;
    held = std::move(*in);
  } else {
    x = node.input(0);
  }
  FailureOr<Value> scale = node.input(1);
  FailureOr<Value> bias = node.input(2);
  if (failed(x) || failed(scale) || failed(bias))
    return failure();
  FailureOr<Value> mean = node.stateInput(3);
  if (failed(mean))
    return failure();
  FailureOr<Value> var = node.stateInput(4);
  if (failed(var))
    return failure();
  ArrayRef<int64_t> shape = node.typeOf(*x).getShape();
  if (int64_t(shape.size()) <= axis || ShapedType::isDynamic(shape[axis])) {
    node.emitError() << "expects an input (N, C, ...) with known channels";
    return failure();
  }
  for (Value v : {*scale, *bias, *mean, *var})
    if (node.typeOf(v).getShape() != ArrayRef<int64_t>{shape[axis]}) {
      node.emitError() << "scale, bias, mean and variance must have shape ("
                       << shape[axis] << ")";
      return failure();
    }
  OpBuilder &b = node.builder;
  Value y = BatchNormOp::create(
      b, node.loc, node.typeOf(*x), *x, *scale, *bias, *mean, *var,
      b.getI64IntegerAttr(axis), b.getF64FloatAttr(*epsilon),
      b.getF64FloatAttr(*momentum), UnitAttr(), IntegerAttr());
  if (held)
    return NodeOutputs{node.fromHeld(y, held->layout)};
  return single(y);
}

// InstanceNormalization(x, scale, B): per sample and channel, over the
// spatial axes.
static FailureOr<NodeOutputs> importInstanceNorm(NodeBuilder &node) {
  FailureOr<Value> x = node.input(0);
  FailureOr<Value> scale = node.input(1);
  FailureOr<Value> bias = node.input(2);
  FailureOr<float> epsilon = node.getFloat("epsilon", 1e-5f);
  if (failed(x) || failed(scale) || failed(bias) || failed(epsilon))
    return failure();
  ArrayRef<int64_t> shape = node.typeOf(*x).getShape();
  if (shape.size() < 3 || ShapedType::isDynamic(shape[1])) {
    node.emitError() << "expects an input (N, C, D...) with known channels";
    return failure();
  }
  for (Value v : {*scale, *bias})
    if (node.typeOf(v).getShape() != ArrayRef<int64_t>{shape[1]}) {
      node.emitError() << "scale and B must have shape (" << shape[1] << ")";
      return failure();
    }
  int64_t rank = shape.size();
  SmallVector<int64_t> axes;
  for (int64_t d = 2; d < rank; ++d)
    axes.push_back(d);
  OpBuilder &b = node.builder;
  Value y = normalize(node, *x, axes, *epsilon);
  y = MulOp::create(b, node.loc, y, alongChannels(node, *scale, rank));
  return single(
      Value(AddOp::create(b, node.loc, y, alongChannels(node, *bias, rank))));
}

// GroupNormalization(X, scale, bias; num_groups, epsilon = 1e-5): the
// channels of (N, C, D...) in num_groups groups, each normalized per sample
// over its channels and D...; scale and bias per group at opset 18, per
// channel from 21 (as PyTorch's GroupNorm), which also adds stash_type.
static FailureOr<NodeOutputs> importGroupNorm(NodeBuilder &node) {
  FailureOr<Value> x = node.input(0);
  FailureOr<Value> scale = node.input(1);
  FailureOr<Value> bias = node.input(2);
  FailureOr<float> epsilon = node.getFloat("epsilon", 1e-5f);
  FailureOr<int64_t> groups = node.getInt("num_groups", 0);
  FailureOr<int64_t> stash = node.getInt("stash_type", 1);
  if (failed(x) || failed(scale) || failed(bias) || failed(epsilon) ||
      failed(groups) || failed(stash))
    return failure();
  if (!node.attribute("num_groups")) {
    node.emitError() << "needs num_groups";
    return failure();
  }
  if (*stash != 1) {
    node.emitError() << "stash_type " << *stash
                     << " is not supported (1: float32)";
    return failure();
  }
  ArrayRef<int64_t> shape = node.typeOf(*x).getShape();
  if (shape.size() < 3 || ShapedType::isDynamic(shape[1])) {
    node.emitError() << "expects an input (N, C, D...) with known channels";
    return failure();
  }
  int64_t channels = shape[1], rank = shape.size();
  if (*groups < 1 || channels % *groups) {
    node.emitError() << "num_groups " << *groups << " does not divide the "
                     << channels << " channels";
    return failure();
  }
  bool perGroup = node.opset < 21;
  int64_t expected = perGroup ? *groups : channels;
  for (Value v : {*scale, *bias})
    if (node.typeOf(v).getShape() != ArrayRef<int64_t>{expected}) {
      node.emitError() << "scale and bias must be (" << expected << ",), one "
                       << (perGroup ? "per group" : "per channel") << ", not "
                       << formatKerasShape(node.typeOf(v).getShape());
      return failure();
    }
  // (N, G, C / G, D...) normalized over all but the first two dimensions.
  SmallVector<int64_t> grouped{shape[0], *groups, channels / *groups};
  grouped.append(shape.begin() + 2, shape.end());
  SmallVector<int64_t> axes;
  for (int64_t d = 2; d <= rank; ++d)
    axes.push_back(d);
  OpBuilder &b = node.builder;
  Value y = normalize(node, node.reshape(*x, grouped), axes, *epsilon);
  // scale and bias broadcast as (G, 1...) in the grouped view or (C, 1...)
  // in the input's.
  SmallVector<int64_t> affine(perGroup ? rank : rank - 1, 1);
  affine[0] = expected;
  if (!perGroup)
    y = node.reshape(y, shape);
  y = MulOp::create(b, node.loc, y, node.reshape(*scale, affine));
  y = AddOp::create(b, node.loc, y, node.reshape(*bias, affine));
  return single(perGroup ? node.reshape(y, shape) : y);
}

// LayerNormalization(x, scale, B; axis = -1): over the axes from `axis`
// on; scale and B broadcast; the optional outputs Mean and InvStdDev.
/// LayerNormalization of a tensor held batch-first (OnnxValue::held) over
/// file axes `axis` on: over their held dimensions, the scale and bias
/// brought into its layout.
static FailureOr<NodeOutputs> layerNormOfHeld(NodeBuilder &node, float epsilon,
                                              int64_t attr) {
  FailureOr<HeldValue> x = node.heldInput(0);
  FailureOr<Value> scale = node.input(1);
  FailureOr<Value> bias = node.hasInput(2) ? node.input(2) : Value();
  if (failed(x) || failed(scale) || failed(bias))
    return failure();
  int64_t rank = x->layout.rank();
  if (attr < -rank || attr >= rank) {
    node.emitError() << "axis " << attr << " is out of range for rank "
                     << rank;
    return failure();
  }
  SmallVector<int64_t> axes;
  for (int64_t d = attr < 0 ? attr + rank : attr; d < rank; ++d)
    axes.push_back(d);
  FailureOr<SmallVector<int64_t>> heldAxes = node.heldAxesOf(*x, axes);
  if (failed(heldAxes))
    return failure();
  // Over the held dimensions of those axes, where they are.
  OpBuilder &b = node.builder;
  Moments moments;
  Value y = normalize(node, x->value, *heldAxes, epsilon, &moments);
  FailureOr<Value> heldScale = node.intoHeldFrame(*scale, *x, "the scale");
  if (failed(heldScale))
    return failure();
  y = MulOp::create(b, node.loc, y, *heldScale);
  if (*bias) {
    FailureOr<Value> heldBias = node.intoHeldFrame(*bias, *x, "the bias");
    if (failed(heldBias))
      return failure();
    y = AddOp::create(b, node.loc, y, *heldBias);
  }
  Value invStd = DivOp::create(b, node.loc, node.scalar(1.0), moments.std);
  return NodeOutputs{node.fromHeld(y, x->layout),
                     node.fromHeld(moments.mean, x->layout),
                     node.fromHeld(invStd, x->layout)};
}

static FailureOr<NodeOutputs> importLayerNorm(NodeBuilder &node) {
  FailureOr<float> epsilon = node.getFloat("epsilon", 1e-5f);
  FailureOr<int64_t> attr = node.getInt("axis", -1);
  FailureOr<int64_t> stash = node.getInt("stash_type", 1);
  if (failed(epsilon) || failed(attr) || failed(stash))
    return failure();
  if (node.heldTransposed(0))
    return layerNormOfHeld(node, *epsilon, *attr);
  FailureOr<Value> x = node.input(0);
  FailureOr<Value> scale = node.input(1);
  if (failed(x) || failed(scale))
    return failure();
  int64_t rank = node.typeOf(*x).getRank();
  if (*attr < -rank || *attr >= rank) {
    node.emitError() << "axis " << *attr << " is out of range for rank "
                     << rank;
    return failure();
  }
  int64_t axis = *attr < 0 ? *attr + rank : *attr;
  if (axis == 0 && ShapedType::isDynamic(node.typeOf(*x).getShape()[0])) {
    node.emitError() << "axis 0 normalizes across the dynamic batch";
    return failure();
  }
  SmallVector<int64_t> axes;
  for (int64_t d = axis; d < rank; ++d)
    axes.push_back(d);
  OpBuilder &b = node.builder;
  Moments moments;
  Value y = normalize(node, *x, axes, *epsilon, &moments);
  y = MulOp::create(b, node.loc, y, *scale);
  if (node.hasInput(2)) {
    FailureOr<Value> bias = node.input(2);
    if (failed(bias))
      return failure();
    y = AddOp::create(b, node.loc, y, *bias);
  }
  // Mean and InvStdDev keep the normalized axes as ones.
  Value invStd = DivOp::create(b, node.loc, node.scalar(1.0), moments.std);
  return NodeOutputs{OnnxValue::ofValue(y), OnnxValue::ofValue(moments.mean),
                     OnnxValue::ofValue(invStd)};
}

// MeanVarianceNormalization(X; axes = [0, 2, 3]), ONNX's function body:
// (X - mean) / (sqrt(mean(X^2) - mean^2) + 1e-9) over `axes`: epsilon on
// the deviation, which is taken from the moments (not the centered
// values).
static FailureOr<NodeOutputs> importMeanVarianceNorm(NodeBuilder &node) {
  FailureOr<Value> x = node.input(0);
  FailureOr<std::optional<SmallVector<int64_t>>> given = node.getInts("axes");
  if (failed(x) || failed(given))
    return failure();
  int64_t rank = node.typeOf(*x).getRank();
  SmallVector<int64_t> axes =
      given->value_or(SmallVector<int64_t>{0, 2, 3});
  for (int64_t &axis : axes) {
    if (axis < -rank || axis >= rank) {
      node.emitError() << "axis " << axis << " is out of range for rank "
                       << rank;
      return failure();
    }
    axis = axis < 0 ? axis + rank : axis;
  }
  llvm::sort(axes);
  if (std::adjacent_find(axes.begin(), axes.end()) != axes.end()) {
    node.emitError() << "axes name an axis twice";
    return failure();
  }
  OpBuilder &b = node.builder;
  Location loc = node.loc;
  Value mean = ReduceMeanOp::create(b, loc, *x, axes, /*keep_dims=*/true);
  Value meanOfSquares = ReduceMeanOp::create(
      b, loc, MulOp::create(b, loc, *x, *x), axes, /*keep_dims=*/true);
  Value variance =
      SubOp::create(b, loc, meanOfSquares, MulOp::create(b, loc, mean, mean));
  Value deviation = AddOp::create(b, loc, SqrtOp::create(b, loc, variance),
                                  node.scalar(1e-9));
  return single(Value(
      DivOp::create(b, loc, SubOp::create(b, loc, *x, mean), deviation)));
}

// LRN(X; size, alpha = 1e-4, beta = 0.75, bias = 1), across channels:
// X / (bias + alpha / size * S)^beta, S[n, c, ...] the sum of X^2 over
// channels c - floor((size - 1) / 2) to c + ceil((size - 1) / 2) inside
// [0, C). S is X^2 with the channels last times a band of ones (C x C), so
// its gradient is the band's transpose; the power is exp(beta log(.)).
static FailureOr<NodeOutputs> importLrn(NodeBuilder &node) {
  FailureOr<Value> x = node.input(0);
  FailureOr<int64_t> size = node.getInt("size", 0);
  FailureOr<float> alpha = node.getFloat("alpha", 1e-4f);
  FailureOr<float> beta = node.getFloat("beta", 0.75f);
  FailureOr<float> bias = node.getFloat("bias", 1.0f);
  if (failed(x) || failed(size) || failed(alpha) || failed(beta) ||
      failed(bias))
    return failure();
  ArrayRef<int64_t> shape = node.typeOf(*x).getShape();
  int64_t rank = shape.size();
  if (rank < 3 || ShapedType::isDynamic(shape[1])) {
    node.emitError() << "takes (N, C, D1, ...) with known channels, not "
                     << formatKerasShape(shape);
    return failure();
  }
  if (*size < 1) {
    node.emitError() << "size must be a positive integer";
    return failure();
  }
  int64_t channels = shape[1];
  int64_t before = (*size - 1) / 2, after = *size - 1 - before;
  SmallVector<float> band(channels * channels, 0.0f);
  for (int64_t c = 0; c < channels; ++c)
    for (int64_t i = std::max<int64_t>(0, c - before);
         i <= std::min(channels - 1, c + after); ++i)
      band[i * channels + c] = 1.0f;
  OpBuilder &b = node.builder;
  Location loc = node.loc;
  SmallVector<int64_t> toLast{0}, fromLast{0, rank - 1};
  for (int64_t d = 2; d < rank; ++d) {
    toLast.push_back(d);
    fromLast.push_back(d - 1);
  }
  toLast.push_back(1);
  Value squares = TransposeOp::create(b, loc, MulOp::create(b, loc, *x, *x),
                                      toLast);
  Value sums = TransposeOp::create(
      b, loc,
      MatMulOp::create(b, loc, squares,
                       node.constant({channels, channels}, band)),
      fromLast);
  Value base = AddOp::create(
      b, loc, node.scalar(*bias),
      MulOp::create(b, loc, node.scalar(double(*alpha) / double(*size)),
                    sums));
  Value power = ExpOp::create(
      b, loc,
      MulOp::create(b, loc, node.scalar(*beta), LogOp::create(b, loc, base)));
  return single(Value(DivOp::create(b, loc, *x, power)));
}

void mlir::kiln::onnx_import::registerNormalizationOps(OpRegistry &r) {
  static constexpr StringLiteral batchNorm7[] = {"epsilon", "momentum",
                                                 "spatial"};
  static constexpr StringLiteral batchNorm14[] = {"epsilon", "momentum",
                                                  "training_mode"};
  static constexpr StringLiteral epsilon[] = {"epsilon"};
  static constexpr StringLiteral layerNorm[] = {"axis", "epsilon",
                                                "stash_type"};
  r["BatchNormalization"].push_back(OpKind{7, 8, importBatchNorm, batchNorm7});
  r["BatchNormalization"].push_back(
      OpKind{9, 13, importBatchNorm, ArrayRef(batchNorm7).take_front(2)});
  r["BatchNormalization"].push_back(
      OpKind{14, kNewestOpset, importBatchNorm, batchNorm14});
  r["InstanceNormalization"].push_back(
      OpKind{6, kNewestOpset, importInstanceNorm, epsilon});
  r["LayerNormalization"].push_back(OpKind{17, kNewestOpset, importLayerNorm, layerNorm});
  static constexpr StringLiteral groupNorm18[] = {"epsilon", "num_groups"};
  static constexpr StringLiteral groupNorm21[] = {"epsilon", "num_groups",
                                                  "stash_type"};
  r["GroupNormalization"].push_back(
      OpKind{18, 20, importGroupNorm, groupNorm18, 0, 0, 3});
  r["GroupNormalization"].push_back(
      OpKind{21, kNewestOpset, importGroupNorm, groupNorm21, 0, 0, 3});
  static constexpr StringLiteral axes[] = {"axes"};
  r["MeanVarianceNormalization"].push_back(
      OpKind{9, kNewestOpset, importMeanVarianceNorm, axes});
  static constexpr StringLiteral lrn[] = {"size", "alpha", "beta", "bias"};
  r["LRN"].push_back(OpKind{1, kNewestOpset, importLrn, lrn});
}
