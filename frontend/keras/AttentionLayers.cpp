//===- AttentionLayers.cpp - Keras attention layers ----------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// EinsumDense (an einsum of the input with a kernel, a bias over some
// output axes, an activation) and Keras 3's MultiHeadAttention, which is
// four (five with the gate) EinsumDense projections around a scaled
// dot-product attention: scores = einsum(key, query / sqrt(key_dim)), a
// softmax over the key positions (with the causal and sliding-window
// masks as -1e9 added where a position may not attend), dropout of the
// scores, and einsum(scores, value). The equations are Keras's own
// (`_build_proj_equation`, `_build_attention_equation`), built by kiln's
// shared einsum (frontend/Einsum.h). Attention and AdditiveAttention are
// the same softmax-weighted sum of the values without projections, with
// Luong's (dot product) or Bahdanau's (tanh of the sum) scores.
//===----------------------------------------------------------------------===//

#include "frontend/keras/KerasLayers.h"

#include "dialects/kiln/IR/KilnDialect.h"
#include "dialects/kiln/Model/ImportedModel.h"
#include "frontend/Einsum.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::keras;

namespace {

RankedTensorType typeOf(Value v) {
  return cast<RankedTensorType>(v.getType());
}

/// Keras's `_index_to_einsum_variable`.
char letter(int64_t i) { return static_cast<char>('a' + i); }

/// An EinsumDense's settings, from a layer config or built by
/// MultiHeadAttention for its projections.
struct EinsumDenseSpec {
  std::string equation;
  /// Keras's `output_shape` without the batch: a size per output letter
  /// after the first (all of them when the input's leading dimensions are
  /// elided); nullopt where Keras wrote None (taken from the input).
  SmallVector<std::optional<int64_t>> outputShape;
  std::string biasAxes; ///< empty: no bias
  StringRef activation = "linear";
  StringRef name;       ///< the weights' middle name, when a sublayer's
};

/// The three terms of an EinsumDense equation as Keras accepts them
/// (`_analyze_einsum_string`): "in,w->out", "...in,w->...out" (leading
/// dimensions elided) or "in...,w->out..." (trailing ones).
struct EinsumDenseTerms {
  StringRef input, weight, output;
  enum class Elided { None, Leading, Trailing } elided = Elided::None;
};

std::optional<EinsumDenseTerms> splitEinsumDense(StringRef equation) {
  auto [lhs, output] = equation.split("->");
  auto [input, weight] = lhs.split(',');
  EinsumDenseTerms terms;
  if (input.consume_front("...")) {
    if (!output.consume_front("..."))
      return std::nullopt;
    terms.elided = EinsumDenseTerms::Elided::Leading;
  } else if (input.consume_back("...")) {
    if (!output.consume_back("...") || input.size() < 2)
      return std::nullopt;
    terms.elided = EinsumDenseTerms::Elided::Trailing;
  }
  auto letters = [](StringRef s) {
    return !s.empty() && llvm::all_of(s, llvm::isAlpha);
  };
  if (!letters(input) || !letters(weight) || !letters(output))
    return std::nullopt;
  terms.input = input;
  terms.weight = weight;
  terms.output = output;
  return terms;
}

/// activation(einsum(equation, x, kernel) + bias): the kernel's and bias's
/// shapes as Keras's `_analyze_split_string` derives them, and the kernel
/// initialized with the fans of its input and output axes (Keras 3
/// hands them to a VarianceScaling initializer).
FailureOr<Value> buildEinsumDense(LayerBuilder &layer, Value x,
                                  const EinsumDenseSpec &spec) {
  std::optional<EinsumDenseTerms> terms = splitEinsumDense(spec.equation);
  if (!terms) {
    layer.emitError() << "equation '" << spec.equation
                      << "' is not of the form 'ab,bc->ac', '...b,bc->...c' "
                         "or 'ab...,bc->ac...'";
    return failure();
  }
  ArrayRef<int64_t> inShape = typeOf(x).getShape();
  int64_t rank = static_cast<int64_t>(inShape.size());
  int64_t elided = rank - static_cast<int64_t>(terms->input.size());
  bool leading = terms->elided == EinsumDenseTerms::Elided::Leading;
  if (elided < 0 || (elided > 0) != (terms->elided !=
                                     EinsumDenseTerms::Elided::None)) {
    layer.emitError() << "equation '" << spec.equation
                      << "' does not match an input of shape "
                      << formatKerasShape(inShape);
    return failure();
  }
  // Where each letter's size comes from: the input, or the output_shape
  // entry of its output position.
  auto inputDim = [&](char c) -> std::optional<int64_t> {
    size_t i = terms->input.find(c);
    if (i == StringRef::npos)
      return std::nullopt;
    return inShape[leading ? elided + static_cast<int64_t>(i)
                           : static_cast<int64_t>(i)];
  };
  // Output letter j's entry in output_shape (which lacks the batch).
  int64_t firstEntry = leading ? 0 : 1;
  int64_t expectedEntries =
      static_cast<int64_t>(terms->output.size()) - firstEntry;
  if (static_cast<int64_t>(spec.outputShape.size()) != expectedEntries) {
    layer.emitError() << "'output_shape' has " << spec.outputShape.size()
                      << " entries; equation '" << spec.equation << "' needs "
                      << expectedEntries;
    return failure();
  }
  auto outputDim = [&](char c) -> std::optional<int64_t> {
    size_t j = terms->output.find(c);
    int64_t entry = static_cast<int64_t>(j) - firstEntry;
    if (j == StringRef::npos || entry < 0)
      return std::nullopt;
    return spec.outputShape[entry];
  };
  for (char c : terms->output) {
    std::optional<int64_t> in = inputDim(c), out = outputDim(c);
    if (in && out && *in != *out) {
      layer.emitError() << "output dimension '" << c << "' is " << *out
                        << " but the input's is " << *in;
      return failure();
    }
    if (!in && !terms->weight.contains(c)) {
      layer.emitError() << "output dimension '" << c
                        << "' is in neither the input nor the kernel";
      return failure();
    }
  }
  SmallVector<int64_t> kernelShape;
  FanAxes fans;
  for (auto [i, c] : llvm::enumerate(terms->weight)) {
    std::optional<int64_t> size;
    if (terms->output.contains(c)) {
      size = outputDim(c);
      fans.output.push_back(static_cast<int64_t>(i));
    } else {
      size = inputDim(c);
      fans.input.push_back(static_cast<int64_t>(i));
    }
    if (!size || ShapedType::isDynamic(*size)) {
      layer.emitError() << "the kernel's dimension '" << c
                        << "' has no size in the input nor in 'output_shape'";
      return failure();
    }
    kernelShape.push_back(*size);
  }
  layer.fanAxes = fans;
  FailureOr<Value> kernel = layer.addParam(
      "kernel", kernelShape, "kernel_initializer", "glorot_uniform");
  layer.fanAxes.reset();
  if (failed(kernel))
    return failure();
  std::string reason;
  FailureOr<EinsumEquation> eq = parseEinsum(
      spec.equation, {rank, static_cast<int64_t>(kernelShape.size())}, reason);
  FailureOr<Value> y = failure();
  if (succeeded(eq))
    y = buildEinsum(layer.builder, layer.loc, *eq, {x, *kernel}, reason);
  if (failed(y)) {
    layer.emitError() << "equation '" << spec.equation << "': " << reason;
    return failure();
  }
  if (!spec.biasAxes.empty()) {
    // Keras: from the first bias letter on, the letter's size or 1, then
    // 1 per trailing elided dimension.
    size_t first = StringRef::npos;
    for (char c : spec.biasAxes) {
      size_t j = terms->output.find(c);
      if (j == StringRef::npos) {
        layer.emitError() << "bias axis '" << c
                          << "' is not in the output '" << terms->output
                          << "'";
        return failure();
      }
      first = std::min(first, j);
    }
    ArrayRef<int64_t> outShape = typeOf(*y).getShape();
    int64_t outBase = leading ? elided : 0;
    SmallVector<int64_t> biasShape;
    for (size_t j = first; j < terms->output.size(); ++j)
      biasShape.push_back(StringRef(spec.biasAxes).contains(terms->output[j])
                              ? outShape[outBase + j]
                              : 1);
    if (!leading)
      biasShape.append(elided, 1);
    FailureOr<Value> bias =
        layer.addParam("bias", biasShape, "bias_initializer", "zeros");
    if (failed(bias))
      return failure();
    y = AddOp::create(layer.builder, layer.loc, *y, *bias).getResult();
  }
  return buildActivation(layer, spec.activation, *y);
}

/// The layer's `output_shape` config: an integer or a list of integers
/// and nulls.
FailureOr<SmallVector<std::optional<int64_t>>>
readOutputShape(LayerBuilder &layer, const llvm::json::Value *value) {
  SmallVector<std::optional<int64_t>> shape;
  auto entry = [&](const llvm::json::Value &v) {
    if (v.kind() == llvm::json::Value::Null) {
      shape.push_back(std::nullopt);
      return true;
    }
    std::optional<int64_t> n = v.getAsInteger();
    if (!n || *n <= 0)
      return false;
    shape.push_back(*n);
    return true;
  };
  bool ok = value != nullptr;
  if (ok) {
    if (const llvm::json::Array *list = value->getAsArray()) {
      for (const llvm::json::Value &v : *list)
        ok = ok && entry(v);
    } else {
      ok = value->getAsInteger().has_value() && entry(*value);
    }
  }
  if (!ok) {
    layer.emitError() << "'output_shape' must be a positive integer or a "
                         "list of positive integers and nulls";
    return failure();
  }
  return shape;
}

FailureOr<Value> importEinsumDense(LayerBuilder &layer,
                                   ArrayRef<Value> inputs) {
  FailureOr<Value> x = singleInput(layer, inputs, 1);
  if (failed(x))
    return failure();
  EinsumDenseSpec spec;
  std::optional<StringRef> equation = layer.getString("equation");
  if (!equation) {
    layer.emitError() << "'equation' is missing or not a string";
    return failure();
  }
  spec.equation = equation->str();
  FailureOr<SmallVector<std::optional<int64_t>>> shape =
      readOutputShape(layer, layer.config.get("output_shape"));
  FailureOr<StringRef> activation = activationName(layer);
  if (failed(shape) || failed(activation))
    return failure();
  spec.outputShape = std::move(*shape);
  spec.activation = *activation;
  spec.biasAxes = layer.getString("bias_axes").value_or("").str();
  return buildEinsumDense(layer, *x, spec);
}

//===----------------------------------------------------------------------===//
// MultiHeadAttention
//===----------------------------------------------------------------------===//

/// Keras's `_build_proj_equation`: (equation, bias axes).
std::pair<std::string, std::string>
projectionEquation(int64_t freeDims, int64_t boundDims, int64_t outputDims) {
  std::string input, kernel, output, bias;
  int64_t next = 0;
  for (int64_t i = 0; i < freeDims; ++i, ++next) {
    input += letter(next);
    output += letter(next);
  }
  for (int64_t i = 0; i < boundDims; ++i, ++next) {
    input += letter(next);
    kernel += letter(next);
  }
  for (int64_t i = 0; i < outputDims; ++i, ++next) {
    kernel += letter(next);
    output += letter(next);
    bias += letter(next);
  }
  return {input + "," + kernel + "->" + output, bias};
}

/// Keras's `_build_attention_equation` for projected tensors of `rank`:
/// (dot product, combination, scores' rank).
std::tuple<std::string, std::string, int64_t>
attentionEquations(int64_t rank, ArrayRef<int64_t> attnAxes) {
  std::string target, source;
  for (int64_t i = 0; i < rank; ++i)
    target += letter(i);
  SmallVector<int64_t> batchDims;
  for (int64_t i = 0; i < rank; ++i)
    if (!llvm::is_contained(attnAxes, i) && i != rank - 1)
      batchDims.push_back(i);
  int64_t offset = rank;
  for (int64_t i = 0; i < rank; ++i)
    source += llvm::is_contained(batchDims, i) || i == rank - 1
                  ? target[i]
                  : letter(offset++);
  std::string product;
  for (int64_t i : batchDims)
    product += target[i];
  for (int64_t i : attnAxes)
    product += target[i];
  for (int64_t i : attnAxes)
    product += source[i];
  return {source + "," + target + "->" + product,
          product + "," + source + "->" + target,
          static_cast<int64_t>(product.size())};
}

/// A softmax over the trailing `count` axes of x (merged into one).
Value trailingSoftmax(OpBuilder &b, Location loc, Value x, int64_t count) {
  if (count == 1)
    return SoftmaxOp::create(b, loc, x, b.getI64IntegerAttr(-1));
  RankedTensorType type = typeOf(x);
  SmallVector<int64_t> merged(type.getShape().drop_back(count));
  int64_t n = 1;
  for (int64_t d : type.getShape().take_back(count))
    n *= d;
  merged.push_back(n);
  Value flat = ReshapeOp::create(
      b, loc, RankedTensorType::get(merged, type.getElementType()), x);
  Value p = SoftmaxOp::create(b, loc, flat, b.getI64IntegerAttr(-1));
  return ReshapeOp::create(b, loc, type, p);
}

/// A float config entry in [0, 1).
FailureOr<double> readRate(LayerBuilder &layer, StringRef key) {
  const llvm::json::Value *v = layer.config.get(key);
  if (!v || v->kind() == llvm::json::Value::Null)
    return 0.0;
  std::optional<double> rate = v->getAsNumber();
  if (!rate || !(*rate >= 0.0 && *rate < 1.0)) {
    layer.emitError() << "'" << key << "' must be a number in [0, 1)";
    return failure();
  }
  return *rate;
}

/// A positive integer config entry; `fallback` when absent or null
/// (nullopt: required).
FailureOr<int64_t> readPositive(LayerBuilder &layer, StringRef key,
                                std::optional<int64_t> fallback) {
  const llvm::json::Value *v = layer.config.get(key);
  if ((!v || v->kind() == llvm::json::Value::Null) && fallback)
    return *fallback;
  std::optional<int64_t> n = v ? v->getAsInteger() : std::nullopt;
  if (!n || *n <= 0) {
    layer.emitError() << "'" << key << "' must be a positive integer";
    return failure();
  }
  return *n;
}

/// A boolean call argument (false when absent or null).
FailureOr<bool> callFlag(LayerBuilder &layer, StringRef key) {
  const llvm::json::Value *v =
      layer.callArguments ? layer.callArguments->get(key) : nullptr;
  if (!v || v->kind() == llvm::json::Value::Null)
    return false;
  if (std::optional<bool> flag = v->getAsBoolean())
    return *flag;
  layer.emitError() << "call argument '" << key << "' must be a boolean";
  return failure();
}

/// -1e9 where a query position may not attend to a key position, 0
/// elsewhere ((T, S), to add to the scores): the causal mask (key <=
/// query) and the sliding window (|query - key| < window).
Value maskBias(OpBuilder &b, Location loc, int64_t t, int64_t s, bool causal,
               int64_t window) {
  SmallVector<float> bias(t * s, 0.0f);
  for (int64_t i = 0; i < t; ++i)
    for (int64_t j = 0; j < s; ++j)
      if ((causal && j > i) || (window > 0 && std::abs(i - j) >= window))
        bias[i * s + j] = -1e9f;
  auto type = RankedTensorType::get({t, s}, b.getF32Type());
  return ConstantOp::create(b, loc,
                            DenseElementsAttr::get(type, ArrayRef(bias)));
}

/// The Keras masks of an attention's query and value/key inputs (null
/// where an input has none), checked to be one per step.
struct AttentionMasks {
  Value query;              ///< (batch, T, 1)
  SmallVector<Value> keys;  ///< (batch, S, 1) each
  /// MultiHeadAttention's attention_mask, (batch, T or 1, S or 1).
  Value pairs;
  bool any() const { return query || !keys.empty() || pairs; }
};

FailureOr<AttentionMasks> readAttentionMasks(LayerBuilder &layer,
                                             ArrayRef<Value> inputs,
                                             ArrayRef<Value> masks) {
  AttentionMasks result;
  for (auto [i, input] : llvm::enumerate(inputs)) {
    Value mask = i < masks.size() ? masks[i] : Value();
    if (!mask)
      continue;
    FailureOr<Value> column = stepMask(layer, input, mask);
    if (failed(column))
      return failure();
    if (i == 0)
      result.query = *column;
    else
      result.keys.push_back(*column);
  }
  return result;
}

/// 1 where a query step may attend to a key step, 0 elsewhere, as float:
/// the product of the query's mask (batch, T, 1), the key masks as
/// (batch, 1, S), the attention_mask and the causal and sliding-window
/// masks (T, S). Null masks are left out.
Value attentionMask(OpBuilder &b, Location loc, const AttentionMasks &masks,
                    int64_t t, int64_t s, bool causal, int64_t window) {
  Value mask;
  auto combine = [&](Value m) {
    mask = mask ? MulOp::create(b, loc, mask, m).getResult() : m;
  };
  if (masks.query)
    combine(masks.query);
  for (Value m : masks.keys) {
    auto type = typeOf(m);
    combine(ReshapeOp::create(
        b, loc, type.clone({type.getDimSize(0), 1, type.getDimSize(1)}), m));
  }
  if (masks.pairs)
    combine(masks.pairs);
  if (causal || window) {
    // maskBias's -1e9 where masked, 0 elsewhere, as 0 and 1.
    SmallVector<float> allowed(t * s, 1.0f);
    for (int64_t i = 0; i < t; ++i)
      for (int64_t j = 0; j < s; ++j)
        if ((causal && j > i) || (window > 0 && std::abs(i - j) >= window))
          allowed[i * s + j] = 0.0f;
    auto type = RankedTensorType::get({t, s}, b.getF32Type());
    combine(ConstantOp::create(b, loc,
                               DenseElementsAttr::get(type, ArrayRef(allowed))));
  }
  return mask;
}

/// (1 - mask) * -1e9: 0 where a score counts, -1e9 where it does not.
Value maskPenalty(OpBuilder &b, Location loc, Value mask) {
  auto scalarType = RankedTensorType::get({}, b.getF32Type());
  Value one =
      ConstantOp::create(b, loc, DenseElementsAttr::get(scalarType, 1.0f));
  Value big =
      ConstantOp::create(b, loc, DenseElementsAttr::get(scalarType, -1e9f));
  return MulOp::create(b, loc, SubOp::create(b, loc, one, mask), big);
}

/// Keras's masked scores (its Softmax layer's): x where the mask is 1,
/// -1e9 where it is 0 (m * x + (1 - m) * -1e9, exact for m in {0, 1}).
Value maskedScores(OpBuilder &b, Location loc, Value x, Value mask) {
  return AddOp::create(b, loc, MulOp::create(b, loc, x, mask),
                       maskPenalty(b, loc, mask));
}

/// einsum(equation, lhs, rhs) of two of an attention's tensors.
FailureOr<Value> attentionEinsum(LayerBuilder &layer, StringRef equation,
                                 Value lhs, Value rhs) {
  std::string reason;
  FailureOr<EinsumEquation> eq = parseEinsum(
      equation, {typeOf(lhs).getRank(), typeOf(rhs).getRank()}, reason);
  FailureOr<Value> y = failure();
  if (succeeded(eq))
    y = buildEinsum(layer.builder, layer.loc, *eq, {lhs, rhs}, reason);
  if (failed(y))
    layer.emitError() << "attention equation '" << equation << "': "
                      << reason;
  return y;
}

/// The call's attention_mask as float 0/1: Keras casts it to bool (true
/// where nonzero, any dtype). Its shape must broadcast to the scores'
/// (batch, T, S) with the batch kept: (batch, T or 1, S or 1).
FailureOr<Value> pairMask(LayerBuilder &layer, Value mask, int64_t t,
                          int64_t s) {
  OpBuilder &b = layer.builder;
  Location loc = layer.loc;
  RankedTensorType type = typeOf(mask);
  ArrayRef<int64_t> shape = type.getShape();
  if (shape.size() != 3 || !ShapedType::isDynamic(shape[0]) ||
      (shape[1] != t && shape[1] != 1) || (shape[2] != s && shape[2] != 1)) {
    layer.emitError() << "attention_mask has shape " << formatKerasShape(shape)
                      << "; expected (None, " << t << ", " << s
                      << "), with 1 for a dimension it "
                         "broadcasts over";
    return failure();
  }
  Type f32 = b.getF32Type();
  Type element = type.getElementType();
  if (element.isInteger(1))
    return Value(CastOp::create(b, loc, type.clone(f32), mask));
  auto scalarType = RankedTensorType::get({}, element);
  Attribute zero = isa<FloatType>(element)
                       ? Attribute(b.getFloatAttr(element, 0.0))
                       : Attribute(b.getIntegerAttr(element, 0));
  Value zeros =
      ConstantOp::create(b, loc, DenseElementsAttr::get(scalarType, zero));
  Value nonzero =
      LogicalNotOp::create(b, loc, EqualOp::create(b, loc, mask, zeros));
  return Value(CastOp::create(b, loc, type.clone(f32), nonzero));
}

FailureOr<LayerOutputs> importMultiHeadAttention(LayerBuilder &layer,
                                                 ArrayRef<Value> inputs) {
  // Keras 2 (tf.keras) computes the same, but masks the scores by adding
  // -1e9 (or with softmax_robust_masking, as Keras 3's Softmax path does):
  // its masks are refused.
  Value attentionMaskArg = layer.keywordTensor("attention_mask");
  if (layer.flavor != KerasFlavor::Keras3 &&
      (attentionMaskArg ||
       llvm::any_of(layer.inputMasks, [](Value m) { return bool(m); }))) {
    layer.emitError() << "masks into a Keras 2 MultiHeadAttention are not "
                         "supported";
    return failure();
  }
  if (inputs.size() < 2 || inputs.size() > 3) {
    layer.emitError() << "expects query, value and optionally key, got "
                      << inputs.size() << " inputs";
    return failure();
  }
  if (const llvm::json::Value *a = layer.config.get("activity_regularizer");
      a && a->kind() != llvm::json::Value::Null) {
    layer.emitError() << "'activity_regularizer' (which Keras applies to each "
                         "projection) is not supported";
    return failure();
  }
  Value query = inputs[0], value = inputs[1];
  Value key = inputs.size() == 3 ? inputs[2] : value;
  ArrayRef<int64_t> qShape = typeOf(query).getShape(),
                    vShape = typeOf(value).getShape(),
                    kShape = typeOf(key).getShape();
  int64_t rank = static_cast<int64_t>(qShape.size());
  if (rank < 3 || static_cast<int64_t>(vShape.size()) != rank ||
      vShape.drop_back() .drop_front() != kShape.drop_back().drop_front() ||
      vShape.size() != kShape.size()) {
    layer.emitError() << "expects query, value and key of one rank >= 3 with "
                         "value and key alike but for the last dimension, "
                         "got "
                      << formatKerasShape(qShape) << ", "
                      << formatKerasShape(vShape) << " and "
                      << formatKerasShape(kShape);
    return failure();
  }
  FailureOr<int64_t> heads = readPositive(layer, "num_heads", std::nullopt);
  FailureOr<int64_t> keyDim = readPositive(layer, "key_dim", std::nullopt);
  if (failed(heads) || failed(keyDim))
    return failure();
  FailureOr<int64_t> valueDim = readPositive(layer, "value_dim", *keyDim);
  FailureOr<int64_t> window = readPositive(layer, "sliding_window", 0);
  FailureOr<double> dropout = readRate(layer, "dropout");
  FailureOr<bool> causal = callFlag(layer, "use_causal_mask");
  FailureOr<bool> returnScores = callFlag(layer, "return_attention_scores");
  if (failed(valueDim) || failed(window) || failed(dropout) ||
      failed(causal) || failed(returnScores))
    return failure();
  bool useBias = layer.getBoolean("use_bias").value_or(true);
  bool useGate = layer.getBoolean("use_gate").value_or(false);

  // Projected tensors have rank + 1 dimensions: (B, positions..., heads,
  // channels).
  int64_t projRank = rank + 1;
  SmallVector<int64_t> attnAxes;
  if (const llvm::json::Value *v = layer.config.get("attention_axes");
      v && v->kind() != llvm::json::Value::Null) {
    SmallVector<const llvm::json::Value *> items;
    if (const llvm::json::Array *list = v->getAsArray())
      for (const llvm::json::Value &e : *list)
        items.push_back(&e);
    else
      items.push_back(v);
    for (const llvm::json::Value *e : items) {
      std::optional<int64_t> axis = e->getAsInteger();
      int64_t a = axis ? (*axis >= 0 ? *axis : projRank - 1 + *axis) : -1;
      if (a < 1 || a >= projRank - 2 || llvm::is_contained(attnAxes, a)) {
        layer.emitError() << "'attention_axes' must be distinct axes of the "
                             "query's positions (1 to "
                          << rank - 2 << ")";
        return failure();
      }
      attnAxes.push_back(a);
    }
  } else {
    for (int64_t a = 1; a < projRank - 2; ++a)
      attnAxes.push_back(a);
  }
  if ((*causal || *window) && attnAxes.size() != 1) {
    layer.emitError() << "a causal or sliding-window mask over several "
                         "attention axes is not supported";
    return failure();
  }
  // Keras masks of the query, value and key (a key's only when passed).
  FailureOr<AttentionMasks> masks = AttentionMasks();
  if (rank == 3)
    masks = readAttentionMasks(layer, inputs, layer.inputMasks);
  if (failed(masks))
    return failure();
  if (rank != 3 &&
      (attentionMaskArg ||
       llvm::any_of(layer.inputMasks, [](Value m) { return bool(m); }))) {
    layer.emitError() << "masks of inputs of rank " << rank
                      << " are not supported (only (batch, steps, "
                         "features))";
    return failure();
  }
  if (attentionMaskArg) {
    FailureOr<Value> pairs =
        pairMask(layer, attentionMaskArg, qShape[1], vShape[1]);
    if (failed(pairs))
      return failure();
    masks->pairs = *pairs;
  }
  bool padded = masks->any();

  SmallVector<std::optional<int64_t>> outShape{qShape.back()};
  if (const llvm::json::Value *v = layer.config.get("output_shape");
      v && v->kind() != llvm::json::Value::Null) {
    FailureOr<SmallVector<std::optional<int64_t>>> shape =
        readOutputShape(layer, v);
    if (failed(shape))
      return failure();
    if (llvm::is_contained(*shape, std::nullopt)) {
      layer.emitError() << "'output_shape' must not hold nulls";
      return failure();
    }
    outShape = std::move(*shape);
  }

  // One projection: EinsumDense over the last axis (bound 1) or the heads
  // and channels (bound 2), weights in Keras 3 group `scope`.
  auto project = [&](Value x, StringRef scope, StringRef name,
                     int64_t boundDims,
                     ArrayRef<std::optional<int64_t>> lastDims,
                     StringRef activation = "linear") -> FailureOr<Value> {
    int64_t freeDims = rank - 1;
    auto [equation, bias] =
        projectionEquation(freeDims, boundDims, lastDims.size());
    EinsumDenseSpec spec;
    spec.equation = equation;
    // Keras's `_get_output_shape`: None for the free dimensions after the
    // batch, then the known ones.
    spec.outputShape.assign(freeDims - 1, std::nullopt);
    spec.outputShape.append(lastDims.begin(), lastDims.end());
    spec.biasAxes = useBias ? bias : "";
    spec.activation = activation;
    layer.setWeightScope(scope, layer.config, name);
    return buildEinsumDense(layer, x, spec);
  };
  SmallVector<std::optional<int64_t>> qkDims{*heads, *keyDim},
      vDims{*heads, *valueDim};
  FailureOr<Value> q = project(query, "query_dense", "query", 1, qkDims);
  if (failed(q))
    return failure();
  FailureOr<Value> k = project(key, "key_dense", "key", 1, qkDims);
  if (failed(k))
    return failure();
  FailureOr<Value> gate = Value();
  if (useGate)
    gate = project(query, "_gate_dense", "gate", 1, vDims, "sigmoid");
  if (failed(gate))
    return failure();
  FailureOr<Value> v = project(value, "value_dense", "value", 1, vDims);
  if (failed(v))
    return failure();

  OpBuilder &b = layer.builder;
  Location loc = layer.loc;
  auto [dotEquation, combineEquation, scoresRank] =
      attentionEquations(projRank, attnAxes);
  auto einsum = [&](StringRef equation, Value lhs, Value rhs) {
    return attentionEinsum(layer, equation, lhs, rhs);
  };
  // Keras: query * float32(1 / sqrt(key_dim)).
  auto scalarType = RankedTensorType::get({}, b.getF32Type());
  Value scale = ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(
          scalarType, static_cast<float>(1.0 / std::sqrt(double(*keyDim)))));
  Value scaled = MulOp::create(b, loc, *q, scale);
  FailureOr<Value> scores = einsum(dotEquation, *k, scaled);
  if (failed(scores))
    return failure();
  Value logits = *scores;
  Value probs;
  if (padded) {
    // Keras's masked softmax: the scores where the mask is 0 become -1e9.
    Value mask = attentionMask(b, loc, *masks, qShape[1], vShape[1], *causal,
                               *window);
    SmallVector<int64_t> perHead(typeOf(mask).getShape());
    perHead.insert(perHead.begin() + 1, 1);
    mask = ReshapeOp::create(b, loc, typeOf(mask).clone(perHead), mask);
    probs = SoftmaxOp::create(b, loc, maskedScores(b, loc, logits, mask),
                              b.getI64IntegerAttr(-1));
    // With dropout or the scores returned, Keras takes its Softmax layer's
    // path, which zeroes the masked probabilities (a query step masked
    // entirely attends to nothing); otherwise the backend's
    // dot_product_attention, which leaves such a step the uniform average.
    if (*dropout > 0 || *returnScores)
      probs = MulOp::create(b, loc, probs, mask);
    layer.outputMasks.push_back(layer.inputMask(0));
  } else {
    if (*causal || *window) {
      int64_t t = qShape[attnAxes[0]], s = vShape[attnAxes[0]];
      logits = AddOp::create(b, loc, logits,
                             maskBias(b, loc, t, s, *causal, *window));
    }
    probs = trailingSoftmax(b, loc, logits,
                            static_cast<int64_t>(attnAxes.size()));
  }
  Value dropped = probs;
  if (*dropout > 0)
    dropped = DropoutOp::create(b, loc, probs, b.getF64FloatAttr(*dropout),
                                DenseI64ArrayAttr());
  FailureOr<Value> attended = einsum(combineEquation, dropped, *v);
  if (failed(attended))
    return failure();
  Value combined = *attended;
  if (useGate)
    combined = MulOp::create(b, loc, combined, *gate);
  FailureOr<Value> output =
      project(combined, "output_dense", "attention_output", 2, outShape);
  if (failed(output))
    return failure();
  LayerOutputs outputs{*output};
  if (*returnScores)
    outputs.push_back(probs);
  return outputs;
}

//===----------------------------------------------------------------------===//
// Attention and AdditiveAttention
//===----------------------------------------------------------------------===//

/// x with a unit dimension inserted before axis `axis` (counted from the
/// end: 1 inserts before the last dimension).
Value unitDimBeforeLast(OpBuilder &b, Location loc, Value x, int64_t axis) {
  RankedTensorType type = typeOf(x);
  SmallVector<int64_t> shape(type.getShape());
  shape.insert(shape.end() - axis, 1);
  return ReshapeOp::create(
      b, loc, RankedTensorType::get(shape, type.getElementType()), x);
}

/// Keras's Attention (Luong: scores are query-key dot products, or with
/// score_mode "concat" concat_score_weight * sum(tanh(scale * (q + k))))
/// and AdditiveAttention (Bahdanau: sum(scale * tanh(q + k)) with a scale
/// per channel): then a causal mask, a softmax over the value positions,
/// dropout of the weights in training, and weights @ value.
FailureOr<LayerOutputs> importDotAttention(LayerBuilder &layer,
                                           ArrayRef<Value> inputs,
                                           bool additive) {
  if (inputs.size() < 2 || inputs.size() > 3) {
    layer.emitError() << "expects the list [query, value] or [query, value, "
                         "key], got "
                      << inputs.size() << " inputs";
    return failure();
  }
  Value query = inputs[0], value = inputs[1];
  Value key = inputs.size() == 3 ? inputs[2] : value;
  ArrayRef<int64_t> qShape = typeOf(query).getShape(),
                    vShape = typeOf(value).getShape(),
                    kShape = typeOf(key).getShape();
  size_t rank = qShape.size();
  if (rank < 3 || vShape.size() != rank || kShape.size() != rank ||
      qShape.drop_back(2) != vShape.drop_back(2) ||
      kShape.drop_back() != vShape.drop_back() ||
      qShape.back() != kShape.back()) {
    layer.emitError() << "expects query (batch..., Tq, dim), value (batch..., "
                         "Tv, dim_v) and key (batch..., Tv, dim), got "
                      << formatKerasShape(qShape) << ", "
                      << formatKerasShape(vShape) << " and "
                      << formatKerasShape(kShape);
    return failure();
  }
  StringRef mode = additive ? "additive" : layer.getString("score_mode")
                                               .value_or("dot");
  if (mode != "dot" && mode != "concat" && mode != "additive") {
    layer.emitError() << "'score_mode' must be \"dot\" or \"concat\", got \""
                      << mode << "\"";
    return failure();
  }
  FailureOr<double> dropout = readRate(layer, "dropout");
  FailureOr<bool> causalCall = callFlag(layer, "use_causal_mask");
  FailureOr<bool> returnScores = callFlag(layer, "return_attention_scores");
  if (failed(dropout) || failed(causalCall) || failed(returnScores))
    return failure();
  // Keras 2 before 2.11 set the causal mask in the config.
  bool causal = *causalCall || layer.getBoolean("causal").value_or(false);
  bool useScale = layer.getBoolean("use_scale").value_or(additive);

  OpBuilder &b = layer.builder;
  Location loc = layer.loc;
  int64_t dim = qShape.back();
  FailureOr<Value> scale = Value();
  if (useScale)
    scale = additive ? layer.addParam("scale", {dim}, "", "glorot_uniform")
                     : layer.addParam("scale", {}, "", "ones");
  FailureOr<Value> concatWeight = Value();
  if (mode == "concat")
    concatWeight = layer.addParam("concat_score_weight", {}, "", "ones");
  if (failed(scale) || failed(concatWeight))
    return failure();

  Value scores;
  if (mode == "dot") {
    FailureOr<Value> dot =
        attentionEinsum(layer, "...id,...jd->...ij", query, key);
    if (failed(dot))
      return failure();
    scores = useScale ? MulOp::create(b, loc, *dot, *scale).getResult() : *dot;
  } else {
    // (batch..., Tq, 1, dim) + (batch..., 1, Tv, dim).
    Value sum = AddOp::create(b, loc, unitDimBeforeLast(b, loc, query, 1),
                              unitDimBeforeLast(b, loc, key, 2));
    if (useScale && !additive)
      sum = MulOp::create(b, loc, sum, *scale);
    Value t = TanhOp::create(b, loc, sum);
    if (useScale && additive) {
      FailureOr<Value> dot = attentionEinsum(layer, "...d,d->...", t, *scale);
      if (failed(dot))
        return failure();
      scores = *dot;
    } else {
      scores = ReduceSumOp::create(b, loc, t,
                                   ArrayRef<int64_t>{int64_t(rank)}, false);
    }
    if (mode == "concat")
      scores = MulOp::create(b, loc, scores, *concatWeight);
  }
  // Keras masks: the value's leaves its steps out (1e9 subtracted from
  // their scores, as the causal mask does); the query's zeroes the output
  // of its masked steps and is the output's mask.
  // (Keras's Attention reads no key mask.)
  bool masked = llvm::any_of(layer.inputMasks.take_front(2),
                             [](Value m) { return bool(m); });
  if (masked && rank != 3) {
    layer.emitError() << "masks of inputs of rank " << rank
                      << " are not supported (only (batch, steps, "
                         "features))";
    return failure();
  }
  FailureOr<AttentionMasks> masks = AttentionMasks();
  if (masked)
    masks = readAttentionMasks(layer, inputs.take_front(2),
                               layer.inputMasks);
  if (failed(masks))
    return failure();
  int64_t t = qShape[rank - 2], s = vShape[rank - 2];
  if (!masks->keys.empty()) {
    AttentionMasks keysOnly{Value(), masks->keys};
    Value allowed = attentionMask(b, loc, keysOnly, t, s, causal, 0);
    scores = AddOp::create(b, loc, scores, maskPenalty(b, loc, allowed));
  } else if (causal) {
    scores = AddOp::create(b, loc, scores, maskBias(b, loc, t, s, true, 0));
  }
  Value weights = SoftmaxOp::create(b, loc, scores, b.getI64IntegerAttr(-1));
  // Keras returns the weights after dropout.
  if (*dropout > 0)
    weights = DropoutOp::create(b, loc, weights, b.getF64FloatAttr(*dropout),
                                DenseI64ArrayAttr());
  FailureOr<Value> output =
      attentionEinsum(layer, "...ij,...jd->...id", weights, value);
  if (failed(output))
    return failure();
  LayerOutputs outputs{*output};
  if (masks->query) {
    outputs[0] = MulOp::create(b, loc, outputs[0], masks->query);
    layer.outputMasks.push_back(layer.inputMask(0));
  }
  if (*returnScores)
    outputs.push_back(weights);
  return outputs;
}

/// Keras 3 groups of MultiHeadAttention's weights, in creation order.
std::vector<std::string> attentionScopes(const llvm::json::Object &config) {
  std::vector<std::string> scopes{"query_dense", "key_dense"};
  if (config.getBoolean("use_gate").value_or(false))
    scopes.push_back("_gate_dense");
  scopes.push_back("value_dense");
  scopes.push_back("output_dense");
  return scopes;
}

} // namespace

void mlir::kiln::keras::registerAttentionLayers(LayerRegistry &registry) {
  static constexpr StringLiteral einsumDenseKeys[] = {
      "equation",           "output_shape",     "activation",
      "bias_axes",          "kernel_initializer", "bias_initializer",
      "kernel_regularizer", "bias_regularizer", "kernel_constraint",
      "bias_constraint"};
  registry["EinsumDense"] = {singleOutput<importEinsumDense>, einsumDenseKeys};
  static constexpr StringLiteral attentionKeys[] = {
      "num_heads",          "key_dim",          "value_dim",
      "dropout",            "use_bias",         "use_gate",
      "output_shape",       "attention_axes",   "sliding_window",
      "kernel_initializer", "bias_initializer", "kernel_regularizer",
      "bias_regularizer",   "kernel_constraint", "bias_constraint",
      "seed",
      // Keras 2's: the shapes it was built for (the graph gives them), and
      // how it masks (masks are refused there).
      "query_shape",        "key_shape",        "value_shape",
      "softmax_robust_masking"};
  // The call's tensors in positional order, then its other arguments.
  static constexpr StringLiteral attentionCall[] = {
      "query", "value", "key", "use_causal_mask", "return_attention_scores"};
  static constexpr StringLiteral attentionTensors[] = {"attention_mask"};
  LayerKind kind{importMultiHeadAttention, attentionKeys, attentionScopes};
  kind.callArguments = attentionCall;
  kind.tensorArguments = 3;
  kind.keywordTensors = attentionTensors;
  registry["MultiHeadAttention"] = kind;

  static constexpr StringLiteral dotAttentionKeys[] = {
      "use_scale", "dropout", "seed", "causal", "score_mode"};
  static constexpr StringLiteral dotAttentionCall[] = {
      "use_causal_mask", "return_attention_scores"};
  LayerKind luong{[](LayerBuilder &layer, ArrayRef<Value> inputs) {
                    return importDotAttention(layer, inputs, false);
                  },
                  dotAttentionKeys};
  luong.callArguments = dotAttentionCall;
  registry["Attention"] = luong;
  LayerKind bahdanau{[](LayerBuilder &layer, ArrayRef<Value> inputs) {
                       return importDotAttention(layer, inputs, true);
                     },
                     ArrayRef(dotAttentionKeys).drop_back()};
  bahdanau.callArguments = dotAttentionCall;
  registry["AdditiveAttention"] = bahdanau;
  // Keras turns the masks of their inputs into attention masks; the
  // output carries the query's.
  for (StringRef name : {"MultiHeadAttention", "Attention", "AdditiveAttention"})
    registry[name].masks = MaskUse::Handle;
}
