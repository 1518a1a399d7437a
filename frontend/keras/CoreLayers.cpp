//===- CoreLayers.cpp - Keras core layers and activations -------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Dense, Embedding, Activation, Flatten, Reshape and Dropout, and Keras's
// activation functions, decomposed into kiln ops: `Dense` is matmul + bias
// add + the activation, `Embedding` a kiln.gather of the table's rows.
//===----------------------------------------------------------------------===//

#include "frontend/keras/KerasLayers.h"

#include "dialects/kiln/IR/KilnDialect.h"
#include "dialects/kiln/Model/ImportedModel.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::keras;

FailureOr<SmallVector<int64_t>> LayerBuilder::getIntegerList(StringRef key) {
  const llvm::json::Array *array = config.getArray(key);
  if (!array) {
    emitError() << "config '" << key << "' is missing or not a list";
    return failure();
  }
  SmallVector<int64_t> result;
  for (const llvm::json::Value &v : *array) {
    std::optional<int64_t> i = v.getAsInteger();
    if (!i) {
      emitError() << "config '" << key << "' holds a non-integer";
      return failure();
    }
    result.push_back(*i);
  }
  return result;
}

static RankedTensorType typeOf(Value v) {
  return cast<RankedTensorType>(v.getType());
}

/// A scalar f32 constant.
static Value scalar(LayerBuilder &layer, float value) {
  auto type = RankedTensorType::get({}, layer.builder.getF32Type());
  return ConstantOp::create(layer.builder, layer.loc,
                            DenseElementsAttr::get(type, value));
}

/// clip(x, lo, hi).
static Value clip(LayerBuilder &layer, Value x, double lo, double hi) {
  OpBuilder &b = layer.builder;
  return ClipOp::create(b, layer.loc, x, b.getF64FloatAttr(lo),
                        b.getF64FloatAttr(hi));
}

/// a * x + c.
static Value affine(LayerBuilder &layer, Value x, float a, float c) {
  OpBuilder &b = layer.builder;
  Value ax = a == 1.0f ? x : MulOp::create(b, layer.loc, x, scalar(layer, a));
  return AddOp::create(b, layer.loc, ax, scalar(layer, c));
}

/// Keras 3's activations beyond the classic ones (keras.activations, with
/// their default arguments), TensorFlow.js's `gelu_new`, and
/// `hard_sigmoid`, which Keras 3 redefined: a null Value for a name that is
/// none of them, failure after an error.
static FailureOr<Value> buildPiecewiseActivation(LayerBuilder &layer,
                                                 StringRef name, Value x) {
  OpBuilder &b = layer.builder;
  Location loc = layer.loc;
  auto sub = [&](Value l, Value r) { return SubOp::create(b, loc, l, r); };
  auto mul = [&](Value l, Value r) { return MulOp::create(b, loc, l, r); };
  // Keras 3: relu6(x + 3) / 6 = clip(x / 6 + 1/2, 0, 1).
  auto hardSigmoid3 = [&] {
    return clip(layer, affine(layer, x, 1.0f / 6, 0.5f), 0, 1);
  };
  if (name == "hard_sigmoid") {
    switch (layer.flavor) {
    case KerasFlavor::Keras3:
      return hardSigmoid3();
    case KerasFlavor::Keras2:
    case KerasFlavor::TfJs:
      // Keras 2 and TensorFlow.js: clip(0.2 x + 0.5, 0, 1).
      return clip(layer, affine(layer, x, 0.2f, 0.5f), 0, 1);
    case KerasFlavor::Unknown:
      break;
    }
    layer.emitError() << "activation 'hard_sigmoid' is clip(0.2x + 0.5, 0, 1) "
                         "in Keras 2 and TensorFlow.js but relu6(x + 3) / 6 in "
                         "Keras 3, and the file does not say which Keras "
                         "wrote it (no 'keras_version')";
    return failure();
  }
  if (name == "relu6")
    return clip(layer, x, 0, 6);
  if (name == "mish") // x * tanh(softplus(x))
    return mul(x, TanhOp::create(b, loc, SoftplusOp::create(b, loc, x)))
        .getResult();
  if (name == "gelu_new" && layer.flavor == KerasFlavor::TfJs) {
    // TensorFlow.js: 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))).
    Value cube = mul(mul(x, x), x);
    Value inner = AddOp::create(b, loc, x, mul(cube, scalar(layer, 0.044715f)));
    Value t =
        TanhOp::create(b, loc, mul(inner, scalar(layer, 0.7978845608028654f)));
    return mul(mul(x, scalar(layer, 0.5f)), affine(layer, t, 1.0f, 1.0f))
        .getResult();
  }
  // The rest are Keras 3's (and tf.nn's, where a Keras 2 model names them);
  // TensorFlow.js has none of them.
  if (layer.flavor == KerasFlavor::TfJs)
    return Value();
  if (name == "hard_silu" || name == "hard_swish")
    return mul(x, hardSigmoid3()).getResult();
  if (name == "leaky_relu") { // negative_slope = 0.2
    Value neg = ReluOp::create(b, loc, NegOp::create(b, loc, x));
    return sub(ReluOp::create(b, loc, x), mul(neg, scalar(layer, 0.2f)))
        .getResult();
  }
  if (name == "celu") // alpha = 1: the ELU
    return EluOp::create(b, loc, x, b.getF32FloatAttr(1.0f)).getResult();
  if (name == "hard_tanh")
    return clip(layer, x, -1, 1);
  if (name == "tanh_shrink")
    return sub(x, TanhOp::create(b, loc, x)).getResult();
  if (name == "log_sigmoid") // -softplus(-x)
    return NegOp::create(b, loc,
                         SoftplusOp::create(b, loc, NegOp::create(b, loc, x)))
        .getResult();
  if (name == "log_softmax")
    return LogSoftmaxOp::create(b, loc, x, b.getI64IntegerAttr(-1)).getResult();
  if (name == "soft_shrink") // threshold = 0.5: x - clip(x, -0.5, 0.5)
    return sub(x, clip(layer, x, -0.5, 0.5)).getResult();
  if (name == "hard_shrink") // threshold = 0.5: |x| > 0.5 ? x : 0
    return mul(x, StepOp::create(
                      b, loc,
                      affine(layer, AbsOp::create(b, loc, x), 1.0f, -0.5f)))
        .getResult();
  if (name == "sparse_sigmoid") // clip((x + 1) / 2, 0, 1)
    return clip(layer, affine(layer, x, 0.5f, 0.5f), 0, 1);
  if (name == "sparse_plus") {
    // 0 below -1, (x + 1)^2 / 4 between, x above 1: the middle piece on
    // clip(x, -1, 1) plus relu(x - 1).
    Value c1 = affine(layer, clip(layer, x, -1, 1), 1.0f, 1.0f);
    Value middle = mul(mul(c1, c1), scalar(layer, 0.25f));
    Value above = ReluOp::create(b, loc, affine(layer, x, 1.0f, -1.0f));
    return AddOp::create(b, loc, middle, above).getResult();
  }
  if (name == "squareplus") { // b = 4: (x + sqrt(x^2 + 4)) / 2
    Value root = SqrtOp::create(b, loc, affine(layer, mul(x, x), 1.0f, 4.0f));
    return mul(AddOp::create(b, loc, x, root), scalar(layer, 0.5f)).getResult();
  }
  return Value();
}

FailureOr<Value> mlir::kiln::keras::buildActivation(LayerBuilder &layer,
                                                    StringRef name, Value x) {
  OpBuilder &b = layer.builder;
  Location loc = layer.loc;
  if (name == "linear" || name.empty())
    return x;
  if (name == "relu")
    return ReluOp::create(b, loc, x).getResult();
  if (name == "sigmoid")
    return SigmoidOp::create(b, loc, x).getResult();
  if (name == "tanh")
    return TanhOp::create(b, loc, x).getResult();
  if (name == "softmax")
    return SoftmaxOp::create(b, loc, x).getResult();
  if (name == "exponential")
    return ExpOp::create(b, loc, x).getResult();
  if (name == "softplus")
    return SoftplusOp::create(b, loc, x).getResult();
  if (name == "elu")
    return EluOp::create(b, loc, x).getResult();
  if (name == "selu")
    return SeluOp::create(b, loc, x).getResult();
  if (name == "gelu")
    return GeluOp::create(b, loc, x).getResult();
  // softsign(x) = x / (1 + |x|)
  if (name == "softsign") {
    Value abs = AbsOp::create(b, loc, x);
    Value denom = AddOp::create(b, loc, abs, scalar(layer, 1.0f));
    return DivOp::create(b, loc, x, denom).getResult();
  }
  // swish(x) = silu(x) = x * sigmoid(x)
  if (name == "swish" || name == "silu") {
    Value s = SigmoidOp::create(b, loc, x);
    return MulOp::create(b, loc, x, s).getResult();
  }
  FailureOr<Value> y = buildPiecewiseActivation(layer, name, x);
  if (failed(y) || *y)
    return y;
  layer.emitError() << "unknown activation '" << name << "'";
  return failure();
}

FailureOr<Value>
mlir::kiln::keras::buildBiasAndActivation(LayerBuilder &layer, Value y,
                                          int64_t units, bool useBias,
                                          StringRef activation) {
  if (useBias) {
    FailureOr<Value> bias =
        layer.addParam("bias", {units}, "bias_initializer", "zeros");
    if (failed(bias))
      return failure();
    y = AddOp::create(layer.builder, layer.loc, y, *bias);
  }
  return buildActivation(layer, activation, y);
}

FailureOr<StringRef> mlir::kiln::keras::activationName(LayerBuilder &layer) {
  const llvm::json::Value *value = layer.config.get("activation");
  if (!value || value->kind() == llvm::json::Value::Null)
    return StringRef("linear");
  if (std::optional<StringRef> s = value->getAsString())
    return *s;
  layer.emitError() << "custom (non-string) activation is not supported";
  return failure();
}

FailureOr<int64_t> mlir::kiln::keras::singleAxis(LayerBuilder &layer,
                                                 int64_t fallback,
                                                 StringRef what) {
  const llvm::json::Value *value = layer.config.get("axis");
  if (!value || value->kind() == llvm::json::Value::Null)
    return fallback;
  const llvm::json::Array *list = value->getAsArray();
  std::optional<int64_t> single =
      list ? (list->size() == 1 ? (*list)[0].getAsInteger() : std::nullopt)
           : value->getAsInteger();
  if (!single) {
    layer.emitError() << "'axis' must be one integer (" << what
                      << " over several axes is not supported)";
    return failure();
  }
  return *single;
}

FailureOr<Value> mlir::kiln::keras::singleInput(LayerBuilder &layer,
                                                ArrayRef<Value> inputs,
                                                int64_t minRank) {
  if (inputs.size() != 1) {
    layer.emitError() << "expects 1 input, got " << inputs.size();
    return failure();
  }
  if (typeOf(inputs[0]).getRank() < minRank) {
    layer.emitError() << "expects an input of rank >= " << minRank
                      << ", got shape "
                      << formatKerasShape(typeOf(inputs[0]).getShape());
    return failure();
  }
  return inputs[0];
}

FailureOr<Value> mlir::kiln::keras::stepMask(LayerBuilder &layer, Value x,
                                             Value mask) {
  ArrayRef<int64_t> shape = typeOf(x).getShape();
  RankedTensorType maskType = typeOf(mask);
  if (shape.size() < 2 || maskType.getShape() != shape.take_front(2)) {
    layer.emitError() << "an input's mask has shape "
                      << formatKerasShape(maskType.getShape())
                      << ", expected one value per step of its input "
                      << formatKerasShape(shape);
    return failure();
  }
  return ReshapeOp::create(layer.builder, layer.loc,
                           maskType.clone({shape[0], shape[1], 1}), mask)
      .getResult();
}

/// The config keys Dense reads.
static constexpr StringLiteral kDenseKeys[] = {"units",
                                               "activation",
                                               "use_bias",
                                               "kernel_initializer",
                                               "bias_initializer",
                                               "kernel_regularizer",
                                               "bias_regularizer",
                                               "kernel_constraint",
                                               "bias_constraint"};

/// Dense on the last axis of x, configured by `config`.
static FailureOr<Value> buildDense(LayerBuilder &layer, Value x,
                                   const llvm::json::Object &config) {
  // Keras applies Dense to the last axis: (..., F) -> (..., units).
  RankedTensorType inType = typeOf(x);
  std::optional<int64_t> units = config.getInteger("units");
  if (!units || *units <= 0) {
    layer.emitError() << "'units' must be a positive integer";
    return failure();
  }
  StringRef activation = "linear";
  if (const llvm::json::Value *a = config.get("activation");
      a && a->kind() != llvm::json::Value::Null) {
    std::optional<StringRef> name = a->getAsString();
    if (!name) {
      layer.emitError() << "custom (non-string) activation is not supported";
      return failure();
    }
    activation = *name;
  }
  int64_t inFeatures = inType.getShape().back();
  FailureOr<Value> kernel = layer.addParam(
      "kernel", {inFeatures, *units}, "kernel_initializer", "glorot_uniform");
  if (failed(kernel))
    return failure();
  Value y = MatMulOp::create(layer.builder, layer.loc, x, *kernel);
  return buildBiasAndActivation(layer, y, *units,
                                config.getBoolean("use_bias").value_or(true),
                                activation);
}

// Dense: activation(x @ kernel + bias), on the last axis of x
static FailureOr<Value> importDense(LayerBuilder &layer,
                                    ArrayRef<Value> inputs) {
  FailureOr<Value> x = singleInput(layer, inputs, 2);
  if (failed(x))
    return failure();
  return buildDense(layer, *x, layer.config);
}

/// (B, T, d...) -> (B*T, d...) (`unfold` false) or back (true, with `steps`
/// T): the time axis folded into the batch axis, which stays dynamic.
static Value foldTime(LayerBuilder &layer, Value x, int64_t steps,
                      bool unfold) {
  RankedTensorType type = typeOf(x);
  ArrayRef<int64_t> shape = type.getShape();
  SmallVector<int64_t> out{ShapedType::kDynamic};
  if (unfold)
    out.push_back(steps);
  out.append(shape.begin() + (unfold ? 1 : 2), shape.end());
  if (!unfold && !ShapedType::isDynamic(shape[0]))
    out[0] = shape[0] * shape[1];
  auto outType = RankedTensorType::get(out, type.getElementType());
  return ReshapeOp::create(layer.builder, layer.loc, outType, x);
}

// TimeDistributed(layer): the layer on every time step, y[:, t] =
// layer(x[:, t]). The steps fold into the batch axis, (B, T, ...) ->
// (B*T, ...), the wrapped layer is imported by its own handler, and its
// output unfolds; Dense needs no fold (it already maps the last axis).
// Keras 3 keeps the weights in the wrapper's `layer` group. Keras 3 calls
// the layer once per step, which the layers that read across the batch in
// training honor through `foldedSteps` (BatchNormalization, Dropout).
static FailureOr<Value> importTimeDistributed(LayerBuilder &layer,
                                              ArrayRef<Value> inputs) {
  FailureOr<Value> x = singleInput(layer, inputs, 3);
  if (failed(x))
    return failure();
  const llvm::json::Object *inner = layer.config.getObject("layer");
  if (!inner) {
    layer.emitError() << "'layer' is missing or not a layer config";
    return failure();
  }
  StringRef cls = inner->getString("class_name").value_or("?");
  // SimpleRNN, LSTM and GRU run over each step's own sequence (their
  // weights in the wrapped layer's `cell` group); RNN over cells and the
  // wrappers are not imported per step yet.
  static constexpr StringLiteral notPerStep[] = {"RNN", "Bidirectional",
                                                 "TimeDistributed"};
  if (llvm::is_contained(notPerStep, cls)) {
    layer.emitError() << "wraps '" << cls
                      << "': TimeDistributed of an RNN over cells or of a "
                         "wrapper is not supported";
    return failure();
  }
  int64_t steps = typeOf(*x).getDimSize(1);
  bool fold = cls != "Dense";
  Value input = fold ? foldTime(layer, *x, steps, /*unfold=*/false) : *x;
  FailureOr<LayerOutputs> outputs =
      layer.importSublayer("layer", *inner, input, fold ? steps : 0);
  if (failed(outputs))
    return failure();
  if (outputs->size() != 1) {
    layer.emitError() << "the wrapped '" << cls << "' has " << outputs->size()
                      << " outputs; TimeDistributed "
                      << "takes one";
    return failure();
  }
  // Keras 3: TimeDistributed supports masking, its output carries its
  // input's mask (the wrapped layer never sees it: importSublayer refuses
  // a layer that would).
  if (Value mask = layer.inputMask())
    layer.outputMasks.push_back(mask);
  Value y = outputs->front();
  return fold ? foldTime(layer, y, steps, /*unfold=*/true) : y;
}

/// Keras 3 groups of TimeDistributed's weights: the wrapped layer's, and
/// the cell's of a wrapped SimpleRNN, LSTM or GRU.
static std::vector<std::string>
timeDistributedScopes(const llvm::json::Object &config) {
  const llvm::json::Object *inner = config.getObject("layer");
  std::optional<StringRef> cls =
      inner ? inner->getString("class_name") : std::nullopt;
  if (cls == "SimpleRNN" || cls == "LSTM" || cls == "GRU")
    return {"layer", "layer/cell"};
  return {"layer"};
}

// Activation: activation(x)
// ActivityRegularization(l1=0, l2=0): the input, with the penalty
// (l1 sum(|x|) + l2 sum(x^2)) / N added to the training and evaluation
// losses (kiln.activity_regularizer).
static FailureOr<Value> importActivityRegularization(LayerBuilder &layer,
                                                     ArrayRef<Value> inputs) {
  FailureOr<Value> x = singleInput(layer, inputs, 1);
  if (failed(x))
    return failure();
  double factors[2];
  for (auto [factor, key] : llvm::zip(factors, std::array{"l1", "l2"})) {
    const llvm::json::Value *value = layer.config.get(key);
    std::optional<double> number =
        value && !value->getAsNull() ? value->getAsNumber() : 0.0;
    if (!number || !(*number >= 0) || !std::isfinite(*number)) {
      layer.emitError() << "'" << key << "' must be a finite number >= 0";
      return failure();
    }
    factor = *number;
  }
  if (factors[0] == 0.0 && factors[1] == 0.0)
    return *x;
  OpBuilder &b = layer.builder;
  return ActivityRegularizerOp::create(b, layer.loc, *x,
                                       b.getF64FloatAttr(factors[0]),
                                       b.getF64FloatAttr(factors[1]))
      .getResult();
}

// Identity: the input, unchanged (Keras 3's placeholder layer).
static FailureOr<Value> importIdentity(LayerBuilder &layer,
                                       ArrayRef<Value> inputs) {
  return singleInput(layer, inputs, 0);
}

static FailureOr<Value> importActivation(LayerBuilder &layer,
                                         ArrayRef<Value> inputs) {
  FailureOr<Value> x = singleInput(layer, inputs, 0);
  FailureOr<StringRef> activation = activationName(layer);
  if (failed(x) || failed(activation))
    return failure();
  return buildActivation(layer, *activation, *x);
}

/// Reshapes `x` to `[batch] + shape`.
static Value reshapeSamples(LayerBuilder &layer, Value x,
                            ArrayRef<int64_t> shape) {
  RankedTensorType type = typeOf(x);
  SmallVector<int64_t> outShape{type.getDimSize(0)};
  outShape.append(shape.begin(), shape.end());
  auto outType = RankedTensorType::get(outShape, type.getElementType());
  if (outType == type)
    return x;
  return ReshapeOp::create(layer.builder, layer.loc, outType, x);
}

// Flatten: [batch, d1, ..., dn] -> [batch, d1 * ... * dn]
static FailureOr<Value> importFlatten(LayerBuilder &layer,
                                      ArrayRef<Value> inputs) {
  FailureOr<Value> x = singleInput(layer, inputs, 1);
  if (failed(x))
    return failure();
  if (layer.getString("data_format").value_or("channels_last") !=
      "channels_last") {
    layer.emitError() << "only data_format 'channels_last' is supported";
    return failure();
  }
  int64_t count = 1;
  for (int64_t d : typeOf(*x).getShape().drop_front())
    count *= d;
  return reshapeSamples(layer, *x, {count});
}

// Reshape: [batch, ...] -> [batch] + target_shape (one -1 is inferred)
static FailureOr<Value> importReshape(LayerBuilder &layer,
                                      ArrayRef<Value> inputs) {
  FailureOr<Value> x = singleInput(layer, inputs, 1);
  FailureOr<SmallVector<int64_t>> target = layer.getIntegerList("target_shape");
  if (failed(x) || failed(target))
    return failure();
  int64_t count = 1;
  for (int64_t d : typeOf(*x).getShape().drop_front())
    count *= d;
  int64_t known = 1, inferred = -1;
  for (auto [i, d] : llvm::enumerate(*target)) {
    if (d == -1 && inferred < 0) {
      inferred = i;
    } else if (d <= 0) {
      layer.emitError() << "invalid target_shape entry " << d;
      return failure();
    } else {
      known *= d;
    }
  }
  if (inferred >= 0 && known > 0 && count % known == 0)
    (*target)[inferred] = count / known;
  else if (inferred >= 0)
    known = -1; // cannot infer: report below
  int64_t targetCount = 1;
  for (int64_t d : *target)
    targetCount *= d;
  if (known < 0 || targetCount != count) {
    layer.emitError() << "cannot reshape " << count
                      << " elements per sample to target_shape "
                      << formatKerasShape(*target);
    return failure();
  }
  return reshapeSamples(layer, *x, *target);
}

// Dropout: kiln.dropout, the identity in inference; its training form is the
// op's (see ModeDependentOpInterface).
static FailureOr<Value> importDropout(LayerBuilder &layer,
                                      ArrayRef<Value> inputs) {
  FailureOr<Value> x = singleInput(layer, inputs, 0);
  if (failed(x))
    return failure();
  const llvm::json::Value *rate = layer.config.get("rate");
  std::optional<double> value = rate ? rate->getAsNumber() : std::nullopt;
  if (!value || !(*value >= 0.0 && *value < 1.0)) {
    layer.emitError() << "'rate' must be a number in [0, 1)";
    return failure();
  }
  // noise_shape: 1 where one draw is shared, the input's size (or None)
  // elsewhere; SpatialDropoutND shares it over the steps/positions.
  ArrayRef<int64_t> shape = typeOf(*x).getShape();
  SmallVector<int64_t> noise;
  if (layer.className.starts_with("SpatialDropout")) {
    if (layer.getString("data_format").value_or("channels_last") !=
        "channels_last") {
      layer.emitError() << "only data_format 'channels_last' is supported";
      return failure();
    }
    size_t rank = layer.className.ends_with("1D")   ? 3
                  : layer.className.ends_with("2D") ? 4
                                                    : 5;
    if (shape.size() != rank) {
      layer.emitError() << "expects an input of rank " << rank << ", got "
                        << formatKerasShape(shape);
      return failure();
    }
    noise.assign(shape.begin(), shape.end());
    for (size_t i = 1; i + 1 < shape.size(); ++i)
      noise[i] = 1;
  } else if (const llvm::json::Value *v = layer.config.get("noise_shape");
             v && v->kind() != llvm::json::Value::Null) {
    const llvm::json::Array *list = v->getAsArray();
    bool ok = list && list->size() == shape.size();
    for (size_t i = 0; ok && i < shape.size(); ++i) {
      const llvm::json::Value &e = (*list)[i];
      std::optional<int64_t> n = e.getAsInteger();
      if (e.kind() == llvm::json::Value::Null)
        noise.push_back(shape[i]);
      else if (n && (*n == 1 || *n == shape[i]))
        noise.push_back(*n);
      else
        ok = false;
    }
    if (!ok) {
      layer.emitError() << "'noise_shape' must have an entry (1, the size, "
                           "or null) per dimension of "
                        << formatKerasShape(shape);
      return failure();
    }
  }
  // Keras 3 calls a layer TimeDistributed wraps once per step: a draw
  // shared across the batch is a new draw each step.
  if (layer.foldedSteps && !noise.empty() && noise[0] == 1) {
    layer.emitError() << "a 'noise_shape' of 1 on the batch axis inside "
                         "TimeDistributed is not supported";
    return failure();
  }
  return DropoutOp::create(layer.builder, layer.loc, *x,
                           layer.builder.getF64FloatAttr(*value),
                           noise.empty()
                               ? DenseI64ArrayAttr()
                               : layer.builder.getDenseI64ArrayAttr(noise))
      .getResult();
}

// GaussianNoise(stddev), GaussianDropout(rate), AlphaDropout(rate): noise
// in training only (kiln.gaussian_noise, kiln.alpha_dropout); `seed`:
// kiln's generator and --seed, as dropout's.
static FailureOr<Value> importNoise(LayerBuilder &layer,
                                    ArrayRef<Value> inputs) {
  FailureOr<Value> x = singleInput(layer, inputs, 0);
  if (failed(x))
    return failure();
  OpBuilder &b = layer.builder;
  bool isNoise = layer.className == "GaussianNoise";
  StringRef key = isNoise ? "stddev" : "rate";
  const llvm::json::Value *setting = layer.config.get(key);
  std::optional<double> value =
      setting ? setting->getAsNumber() : std::nullopt;
  if (isNoise) {
    if (!value || !(*value >= 0.0 && std::isfinite(*value))) {
      layer.emitError() << "'stddev' must be a finite number >= 0";
      return failure();
    }
    return GaussianNoiseOp::create(b, layer.loc, *x, b.getF64FloatAttr(*value),
                                   b.getBoolAttr(false))
        .getResult();
  }
  if (!value || !(*value >= 0.0 && *value < 1.0)) {
    layer.emitError() << "'rate' must be a number in [0, 1)";
    return failure();
  }
  if (layer.className == "GaussianDropout")
    return GaussianNoiseOp::create(
               b, layer.loc, *x,
               b.getF64FloatAttr(std::sqrt(*value / (1.0 - *value))),
               b.getBoolAttr(true))
        .getResult();
  if (const llvm::json::Value *noise = layer.config.get("noise_shape");
      noise && noise->kind() != llvm::json::Value::Null) {
    layer.emitError() << "'noise_shape' is not supported (one draw per "
                         "element only)";
    return failure();
  }
  return AlphaDropoutOp::create(b, layer.loc, *x, b.getF64FloatAttr(*value))
      .getResult();
}

/// An image augmentation layer's (N, H, W, C) or (N, C, H, W) input, and
/// its height and width axes.
static FailureOr<std::pair<Value, std::array<int64_t, 2>>>
imageInput(LayerBuilder &layer, ArrayRef<Value> inputs) {
  FailureOr<Value> x = singleInput(layer, inputs, 0);
  if (failed(x))
    return failure();
  StringRef format = layer.getString("data_format").value_or("channels_last");
  if (format != "channels_last" && format != "channels_first") {
    layer.emitError() << "'data_format' must be channels_last or "
                         "channels_first, got '"
                      << format << "'";
    return failure();
  }
  ArrayRef<int64_t> shape = typeOf(*x).getShape();
  if (shape.size() != 4) {
    layer.emitError() << "expects a batch of images (rank 4), got "
                      << formatKerasShape(shape);
    return failure();
  }
  std::array<int64_t, 2> axes = format == "channels_last"
                                    ? std::array<int64_t, 2>{1, 2}
                                    : std::array<int64_t, 2>{2, 3};
  return std::make_pair(*x, axes);
}

// RandomFlip(mode = "horizontal_and_vertical"): in training each image is
// flipped with probability 1/2 (one draw shared by both axes, as Keras
// draws it); the identity in predict and evaluate. `seed`: kiln's draws
// come from its own generator (--seed), as dropout's do.
static FailureOr<Value> importRandomFlip(LayerBuilder &layer,
                                         ArrayRef<Value> inputs) {
  auto image = imageInput(layer, inputs);
  if (failed(image))
    return failure();
  auto [x, axes] = *image;
  StringRef mode = layer.getString("mode").value_or("horizontal_and_vertical");
  SmallVector<int64_t> flipped;
  if (mode == "vertical" || mode == "horizontal_and_vertical")
    flipped.push_back(axes[0]);
  if (mode == "horizontal" || mode == "horizontal_and_vertical")
    flipped.push_back(axes[1]);
  if (flipped.empty()) {
    layer.emitError() << "'mode' must be horizontal, vertical or "
                         "horizontal_and_vertical, got '"
                      << mode << "'";
    return failure();
  }
  for (int64_t axis : flipped)
    if (ShapedType::isDynamic(typeOf(x).getDimSize(axis))) {
      layer.emitError() << "flips an axis of unknown size in "
                        << formatKerasShape(typeOf(x).getShape());
      return failure();
    }
  return RandomFlipOp::create(layer.builder, layer.loc, x,
                              layer.builder.getDenseI64ArrayAttr(flipped))
      .getResult();
}

/// A Keras augmentation layer's factor `key`: a number f as (max(-|f|,
/// `lowest`), |f|), or a pair of numbers, sorted (Keras 3 saves the pair
/// it computed; Keras 2 the number given). Each end within [`min`, `max`]
/// (the layers whose pair need only overlap Keras's bounds pass infinite
/// ones).
static FailureOr<std::array<double, 2>>
readFactor(LayerBuilder &layer, StringRef key, double min, double max,
           double lowest = -INFINITY) {
  const llvm::json::Value *value = layer.config.get(key);
  std::array<double, 2> bounds;
  if (std::optional<double> f = value ? value->getAsNumber() : std::nullopt) {
    bounds = {std::max(-std::abs(*f), lowest), std::abs(*f)};
  } else if (const llvm::json::Array *pair =
                 value ? value->getAsArray() : nullptr;
             pair && pair->size() == 2 && (*pair)[0].getAsNumber() &&
             (*pair)[1].getAsNumber()) {
    bounds = {*(*pair)[0].getAsNumber(), *(*pair)[1].getAsNumber()};
    if (bounds[0] > bounds[1])
      std::swap(bounds[0], bounds[1]);
  } else {
    layer.emitError() << "'" << key
                      << "' must be a number or a pair of numbers";
    return failure();
  }
  if (!(bounds[0] >= min && bounds[1] <= max)) {
    layer.emitError() << llvm::formatv("'{0}' ({1}, {2}) must lie within "
                                       "[{3}, {4}]",
                                       key, llvm::format("%g", bounds[0]),
                                       llvm::format("%g", bounds[1]),
                                       llvm::format("%g", min),
                                       llvm::format("%g", max));
    return failure();
  }
  return bounds;
}

/// The `value_range` of RandomContrast and RandomBrightness: a pair of
/// numbers, sorted ((0, 255) when absent).
static FailureOr<std::array<double, 2>> readValueRange(LayerBuilder &layer) {
  const llvm::json::Value *value = layer.config.get("value_range");
  if (!value || value->getAsNull())
    return std::array<double, 2>{0.0, 255.0};
  const llvm::json::Array *pair = value->getAsArray();
  if (!pair || pair->size() != 2 || !(*pair)[0].getAsNumber() ||
      !(*pair)[1].getAsNumber() || !std::isfinite(*(*pair)[0].getAsNumber()) ||
      !std::isfinite(*(*pair)[1].getAsNumber())) {
    layer.emitError() << "'value_range' must be a pair of finite numbers";
    return failure();
  }
  std::array<double, 2> range = {*(*pair)[0].getAsNumber(),
                                 *(*pair)[1].getAsNumber()};
  if (range[0] > range[1])
    std::swap(range[0], range[1]);
  return range;
}

// RandomRotation(factor), RandomZoom(height_factor, width_factor),
// RandomTranslation(height_factor, width_factor) with fill_mode,
// fill_value and interpolation: in training each image moves by its own
// random affine map, resampled as TensorFlow's ImageProjectiveTransformV3
// does (kiln.random_affine); the identity in predict and evaluate.
static FailureOr<Value> importRandomAffine(LayerBuilder &layer,
                                           ArrayRef<Value> inputs) {
  auto image = imageInput(layer, inputs);
  if (failed(image))
    return failure();
  auto [x, axes] = *image;
  StringRef interpolation =
      layer.getString("interpolation").value_or("bilinear");
  StringRef fillMode = layer.getString("fill_mode").value_or("reflect");
  if (interpolation != "bilinear" && interpolation != "nearest") {
    layer.emitError() << "'interpolation' must be bilinear or nearest, got '"
                      << interpolation << "'";
    return failure();
  }
  if (fillMode != "reflect" && fillMode != "wrap" && fillMode != "constant" &&
      fillMode != "nearest") {
    layer.emitError()
        << "'fill_mode' must be reflect, wrap, constant or nearest, got '"
        << fillMode << "'";
    return failure();
  }
  const llvm::json::Value *fill = layer.config.get("fill_value");
  std::optional<double> fillValue = fill ? fill->getAsNumber() : std::nullopt;
  if (fill && !fill->getAsNull() && !(fillValue && std::isfinite(*fillValue))) {
    layer.emitError() << "'fill_value' must be a finite number";
    return failure();
  }
  SmallVector<double, 4> bounds;
  StringRef kind;
  auto append = [&](StringRef key, double min = -1.0, double max = 1.0) {
    FailureOr<std::array<double, 2>> factor = readFactor(layer, key, min, max);
    if (succeeded(factor))
      bounds.append(factor->begin(), factor->end());
    return succeeded(factor);
  };
  if (layer.className == "RandomRotation") {
    kind = "rotation";
    if (!append("factor", -INFINITY, INFINITY))
      return failure();
  } else if (layer.className == "RandomZoom") {
    kind = "zoom";
    if (!append("height_factor"))
      return failure();
    const llvm::json::Value *width = layer.config.get("width_factor");
    if (width && !width->getAsNull() && !append("width_factor"))
      return failure();
    if (llvm::is_contained(bounds, -1.0)) {
      layer.emitError() << "a zoom factor of -1 scales images to nothing";
      return failure();
    }
  } else {
    kind = "translation";
    if (!append("height_factor") || !append("width_factor"))
      return failure();
  }
  OpBuilder &b = layer.builder;
  return RandomAffineOp::create(
             b, layer.loc, x, b.getStringAttr(kind),
             b.getDenseF64ArrayAttr(bounds),
             b.getDenseI64ArrayAttr({axes[0], axes[1]}),
             b.getStringAttr(interpolation), b.getStringAttr(fillMode),
             b.getF64FloatAttr(fillValue.value_or(0.0)))
      .getResult();
}

// RandomContrast(factor, value_range): in training each image's contrast
// factor is drawn from [1 - lower, 1 + upper] (factor as Keras 3 keeps it:
// a number f is (0, f)), one for the whole batch in Keras 2 (its
// tf.image.random_contrast); RandomBrightness(factor, value_range): a shift of
// U(lower, upper) times the range's width; each clipped to the range
// (kiln.random_color); the identity in predict and evaluate.
static FailureOr<Value> importRandomColor(LayerBuilder &layer,
                                          ArrayRef<Value> inputs) {
  auto image = imageInput(layer, inputs);
  if (failed(image))
    return failure();
  auto [x, axes] = *image;
  FailureOr<std::array<double, 2>> range = readValueRange(layer);
  if (failed(range))
    return failure();
  bool contrast = layer.className == "RandomContrast";
  FailureOr<std::array<double, 2>> factor =
      contrast ? readFactor(layer, "factor", -INFINITY, INFINITY, /*lowest=*/0.0)
               : readFactor(layer, "factor", -INFINITY, INFINITY);
  if (failed(factor))
    return failure();
  std::array<double, 2> bounds = *factor;
  if (contrast)
    bounds = {1.0 - (*factor)[0], 1.0 + (*factor)[1]};
  OpBuilder &b = layer.builder;
  return RandomColorOp::create(
             b, layer.loc, x,
             b.getStringAttr(contrast ? "contrast" : "brightness"),
             b.getDenseF64ArrayAttr(bounds), b.getDenseF64ArrayAttr(*range),
             b.getDenseI64ArrayAttr({axes[0], axes[1]}),
             contrast && layer.flavor == KerasFlavor::Keras2 ? b.getUnitAttr()
                                                            : UnitAttr())
      .getResult();
}

/// Masks follow Keras 2 and 3 (checked against Keras 3); TensorFlow.js
/// handles them its own way in places (its Bidirectional), so a mask in a
/// tfjs model is refused.
static LogicalResult checkMaskFlavor(LayerBuilder &layer) {
  if (layer.flavor != KerasFlavor::TfJs)
    return success();
  layer.emitError() << "masks in TensorFlow.js models are not supported "
                       "(kiln carries masks as Keras 2 and 3 do)";
  return failure();
}

/// mask_zero's mask: 1 where the id is not 0 (Keras compares the ids as
/// given, floats too), as float32.
static Value nonZeroMask(LayerBuilder &layer, Value ids) {
  OpBuilder &b = layer.builder;
  Location loc = layer.loc;
  RankedTensorType type = typeOf(ids);
  auto scalar = RankedTensorType::get({}, type.getElementType());
  Value zero = ConstantOp::create(
      b, loc, cast<ElementsAttr>(b.getZeroAttr(scalar)));
  Value nonzero =
      LogicalNotOp::create(b, loc, EqualOp::create(b, loc, ids, zero));
  return CastOp::create(b, loc, type.clone(b.getF32Type()), nonzero);
}

// Masking(mask_value): a step whose features all equal mask_value is
// padding: its mask is 0 and its features become 0 (Keras multiplies the
// input by the mask).
static FailureOr<Value> importMasking(LayerBuilder &layer,
                                      ArrayRef<Value> inputs) {
  FailureOr<Value> x = singleInput(layer, inputs, 2);
  if (failed(x) || failed(checkMaskFlavor(layer)))
    return failure();
  const llvm::json::Value *v = layer.config.get("mask_value");
  std::optional<double> maskValue =
      v && v->kind() != llvm::json::Value::Null ? v->getAsNumber() : 0.0;
  if (!maskValue) {
    layer.emitError() << "'mask_value' must be a number";
    return failure();
  }
  OpBuilder &b = layer.builder;
  Location loc = layer.loc;
  RankedTensorType type = typeOf(*x);
  int64_t last = type.getRank() - 1;
  Value equal = CastOp::create(
      b, loc, type, EqualOp::create(b, loc, *x, scalar(layer, *maskValue)));
  // Padding where all features equal mask_value: the count of equal ones
  // (exact in float) is below the feature count elsewhere.
  Value count = ReduceSumOp::create(b, loc, equal, ArrayRef<int64_t>{last},
                                    /*keepDims=*/false);
  Value mask = CastOp::create(
      b, loc, cast<RankedTensorType>(count.getType()),
      LessOp::create(b, loc, count,
                     scalar(layer, static_cast<float>(type.getDimSize(last)))));
  layer.outputMasks.push_back(mask);
  SmallVector<int64_t> keep(type.getShape());
  keep.back() = 1;
  Value column = ReshapeOp::create(b, loc, type.clone(keep), mask);
  return MulOp::create(b, loc, *x, column).getResult();
}

// Embedding: table[ids] (kiln.gather), one (input_dim, output_dim) row per
// index, the input's shape plus output_dim. Keras casts float ids to int32
// (truncating) and wraps negative ones; kiln.gather does the same and clamps
// ids still out of range (TensorFlow on CPU raises an error there).
static FailureOr<Value> importEmbedding(LayerBuilder &layer,
                                        ArrayRef<Value> inputs) {
  FailureOr<Value> ids = singleInput(layer, inputs, 1);
  if (failed(ids))
    return failure();
  std::optional<int64_t> inputDim = layer.getInteger("input_dim");
  std::optional<int64_t> outputDim = layer.getInteger("output_dim");
  if (!inputDim || *inputDim <= 0 || !outputDim || *outputDim <= 0) {
    layer.emitError() << "'input_dim' and 'output_dim' must be positive "
                         "integers";
    return failure();
  }
  // Keras 2's `input_length`: the ids' non-batch shape, checked by Keras.
  ArrayRef<int64_t> shape = typeOf(*ids).getShape();
  if (const llvm::json::Value *length = layer.config.get("input_length");
      length && length->kind() != llvm::json::Value::Null) {
    SmallVector<int64_t> expected;
    if (std::optional<int64_t> n = length->getAsInteger())
      expected.push_back(*n);
    else if (const llvm::json::Array *list = length->getAsArray())
      for (const llvm::json::Value &v : *list)
        expected.push_back(v.getAsInteger().value_or(ShapedType::kDynamic));
    bool matches = expected.size() == shape.size() - 1;
    for (size_t i = 0; matches && i < expected.size(); ++i)
      matches =
          ShapedType::isDynamic(expected[i]) || expected[i] == shape[i + 1];
    if (!matches) {
      layer.emitError() << "'input_length' does not match the input shape "
                        << formatKerasShape(shape);
      return failure();
    }
  }
  FailureOr<Value> table =
      layer.addParam("embeddings", {*inputDim, *outputDim},
                     "embeddings_initializer", "random_uniform");
  if (failed(table))
    return failure();
  if (layer.getBoolean("mask_zero").value_or(false)) {
    if (failed(checkMaskFlavor(layer)))
      return failure();
    layer.outputMasks.push_back(nonZeroMask(layer, *ids));
  }
  return GatherOp::create(layer.builder, layer.loc, *table, *ids).getResult();
}

void mlir::kiln::keras::registerCoreLayers(LayerRegistry &registry) {
  static constexpr StringLiteral embeddingKeys[] = {"input_dim",
                                                    "output_dim",
                                                    "embeddings_initializer",
                                                    "embeddings_regularizer",
                                                    "embeddings_constraint",
                                                    "mask_zero",
                                                    "input_length"};
  registry["Embedding"] = {singleOutput<importEmbedding>, embeddingKeys,
                           nullptr, /*integerInputs=*/true};
  static constexpr StringLiteral activationKeys[] = {"activation"};
  static constexpr StringLiteral flattenKeys[] = {"data_format"};
  static constexpr StringLiteral reshapeKeys[] = {"target_shape"};
  // `seed`: kiln's dropout draws from its own generator (--seed).
  static constexpr StringLiteral dropoutKeys[] = {"rate", "noise_shape",
                                                  "seed"};
  registry["Dense"] = {singleOutput<importDense>, kDenseKeys};
  static constexpr StringLiteral timeDistributedKeys[] = {"layer"};
  registry["TimeDistributed"] = {singleOutput<importTimeDistributed>,
                                 timeDistributedKeys, timeDistributedScopes};
  registry["Activation"] = {singleOutput<importActivation>, activationKeys};
  registry["Identity"] = {singleOutput<importIdentity>, {}};
  static constexpr StringLiteral activityKeys[] = {"l1", "l2"};
  registry["ActivityRegularization"] = {
      singleOutput<importActivityRegularization>, activityKeys};
  registry["Flatten"] = {singleOutput<importFlatten>, flattenKeys};
  registry["Reshape"] = {singleOutput<importReshape>, reshapeKeys};
  registry["Dropout"] = {singleOutput<importDropout>, dropoutKeys};
  // SpatialDropoutND(rate): one draw per sample and channel.
  static constexpr StringLiteral spatialDropoutKeys[] = {"rate", "seed",
                                                         "data_format"};
  for (StringRef name :
       {"SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D"})
    registry[name] = {singleOutput<importDropout>, spatialDropoutKeys};
  static constexpr StringLiteral gaussianNoiseKeys[] = {"stddev", "seed"};
  static constexpr StringLiteral gaussianDropoutKeys[] = {"rate", "seed"};
  static constexpr StringLiteral alphaDropoutKeys[] = {"rate", "noise_shape",
                                                       "seed"};
  registry["GaussianNoise"] = {singleOutput<importNoise>, gaussianNoiseKeys};
  registry["GaussianDropout"] = {singleOutput<importNoise>,
                                 gaussianDropoutKeys};
  registry["AlphaDropout"] = {singleOutput<importNoise>, alphaDropoutKeys};
  // Image augmentation: their settings shape only the training-time
  // transformations. `rng_type` (Keras 2.12 and later) picks TensorFlow's
  // random generator; kiln draws from its own, as for `seed`.
  static constexpr StringLiteral flipKeys[] = {"mode", "seed", "data_format",
                                               "rng_type"};
  registry["RandomFlip"] = {singleOutput<importRandomFlip>, flipKeys};
  // `value_range`: some Keras 3 versions write it for every image layer;
  // the geometric ones never read it.
  static constexpr StringLiteral geometricKeys[] = {
      "factor",      "height_factor", "width_factor", "fill_mode",
      "fill_value",  "interpolation", "seed",         "data_format",
      "value_range", "rng_type"};
  static constexpr StringLiteral colorKeys[] = {"factor", "value_range",
                                                "seed", "data_format",
                                                "rng_type"};
  for (StringRef name : {"RandomRotation", "RandomZoom", "RandomTranslation"})
    registry[name] = {singleOutput<importRandomAffine>, geometricKeys};
  for (StringRef name : {"RandomContrast", "RandomBrightness"})
    registry[name] = {singleOutput<importRandomColor>, colorKeys};

  // Keras masks: Embedding's mask_zero starts one; these layers pass it
  // on (Keras 3's `supports_masking`); TimeDistributed passes it on too,
  // and would hand it to a layer that uses masks (refused).
  registry["Embedding"].masks = MaskUse::Handle;
  static constexpr StringLiteral maskingKeys[] = {"mask_value"};
  registry["Masking"] = {singleOutput<importMasking>, maskingKeys};
  registry["Masking"].masks = MaskUse::Handle;
  for (StringRef name :
       {"Dense", "Activation", "Identity", "ActivityRegularization", "Dropout",
        "GaussianNoise", "GaussianDropout", "AlphaDropout"})
    registry[name].masks = MaskUse::Pass;
  registry["TimeDistributed"].masks = MaskUse::Handle;
}
