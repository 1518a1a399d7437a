//===- ElementwiseOps.cpp - ONNX elementwise math and activations -*- C++ -*-=//
// SPDX-License-Identifier: Apache-2.0
//
// The unary math ops and activations map onto kiln's elementwise ops (or a
// short formula of them: Softsign = x / (1 + |x|), HardSigmoid = clip(αx +
// β, 0, 1)); the binary ops onto kiln's NumPy-broadcasting binary ops, which
// ONNX's multidirectional broadcasting (opset >= 7) is. Binary ops and
// comparisons whose operands are known when compiling (shape arithmetic)
// are folded on the host, in the operands' own integer or float type.
//===----------------------------------------------------------------------===//

#include "frontend/onnx/OnnxOps.h"
#include "frontend/onnx/OnnxTensors.h"

#include "dialects/kiln/IR/KilnDialect.h"
#include "dialects/kiln/Model/ImportedModel.h"

#include "onnx/onnx_pb.h"

#include "llvm/Support/Format.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::onnx_import;

//===----------------------------------------------------------------------===//
// Folding on the host
//===----------------------------------------------------------------------===//

FailureOr<HostTensor> mlir::kiln::onnx_import::foldBroadcast(
    NodeBuilder &node, const HostTensor &a, const HostTensor &b,
    OnnxType resultType, function_ref<double(double, double)> fn) {
  std::string reason;
  FailureOr<SmallVector<int64_t>> shape =
      broadcastShapes(a.shape, b.shape, reason);
  if (failed(shape)) {
    node.emitError() << reason;
    return failure();
  }
  HostTensor out;
  out.type = resultType;
  out.shape = *shape;
  int64_t rank = shape->size(), n = out.numElements();
  out.values.resize(n);
  // Strides of each operand in the output's index space (0 where it
  // broadcasts).
  auto strides = [&](const HostTensor &t) {
    SmallVector<int64_t> s(rank, 0);
    int64_t stride = 1, offset = rank - t.shape.size();
    for (int64_t i = t.shape.size() - 1; i >= 0; --i) {
      s[offset + i] = t.shape[i] == 1 ? 0 : stride;
      stride *= t.shape[i];
    }
    return s;
  };
  SmallVector<int64_t> sa = strides(a), sb = strides(b), index(rank, 0);
  for (int64_t flat = 0; flat < n; ++flat) {
    int64_t ia = 0, ib = 0;
    for (int64_t d = 0; d < rank; ++d) {
      ia += index[d] * sa[d];
      ib += index[d] * sb[d];
    }
    out.values[flat] = fn(a.values[ia], b.values[ib]);
    for (int64_t d = rank - 1; d >= 0; --d) {
      if (++index[d] < (*shape)[d])
        break;
      index[d] = 0;
    }
  }
  return out;
}

/// The NumPy broadcast of two known integer tensors that hold the batch
/// size through `op` (foldBatchArith); failure, without an error, where
/// the result depends on the batch size.
static FailureOr<HostTensor> foldWithBatch(NodeBuilder &node,
                                           const HostTensor &a,
                                           const HostTensor &b,
                                           OnnxType resultType, BatchArith op) {
  bool unknown = false;
  FailureOr<HostTensor> folded =
      foldBroadcast(node, a, b, resultType, [&](double x, double y) {
        std::optional<double> v = foldBatchArith(op, x, y);
        unknown |= !v;
        return v.value_or(0.0);
      });
  if (failed(folded) || unknown)
    return failure();
  return folded;
}

double mlir::kiln::onnx_import::roundTo(OnnxType type, double v) {
  if (type == OnnxType::Float)
    return static_cast<float>(v);
  if (isIntegral(type))
    return std::trunc(v);
  return v;
}

/// A binary op's two operands (of any type kiln computes with when
/// `anyType`, else float), which must have one element type.
static FailureOr<std::pair<Value, Value>> sameTypeOperands(NodeBuilder &node,
                                                           bool anyType) {
  FailureOr<Value> lhs = anyType ? node.anyInput(0) : node.input(0);
  FailureOr<Value> rhs = anyType ? node.anyInput(1) : node.input(1);
  if (failed(lhs) || failed(rhs))
    return failure();
  Type element = node.typeOf(*lhs).getElementType();
  Type other = node.typeOf(*rhs).getElementType();
  if (other != element) {
    node.emitError() << "operands are " << typeName(onnxTypeOf(element))
                     << " and " << typeName(onnxTypeOf(other));
    return failure();
  }
  return std::make_pair(*lhs, *rhs);
}

/// Fails (after an error) unless `a` and `b` broadcast, NumPy's way.
static LogicalResult checkBroadcast(NodeBuilder &node, Value a, Value b) {
  std::string reason;
  if (succeeded(broadcastShapes(node.typeOf(a).getShape(),
                                node.typeOf(b).getShape(), reason)))
    return success();
  node.emitError() << reason;
  return failure();
}

//===----------------------------------------------------------------------===//
// Unary
//===----------------------------------------------------------------------===//

/// The host form of a unary op on known integer tensors (shape arithmetic:
/// Neg of an axis), or null.
using HostFn1 = double (*)(double);

// Known operands fold: integers (shape arithmetic), and small float
// tensors (MobileViT's Ceil of a width computed in float; a trainable
// initializer is never known here).
template <typename OpTy, HostFn1 Host = nullptr>
static FailureOr<NodeOutputs> importUnary(NodeBuilder &node) {
  if (const HostTensor *t = node.known(0);
      Host != nullptr && t && !t->hasDynamicBatch() &&
      (isIntegral(t->type) ||
       (t->type == OnnxType::Float && t->numElements() <= 4096))) {
    HostTensor out = *t;
    for (double &v : out.values)
      v = roundTo(out.type, Host(v));
    return NodeOutputs{OnnxValue::ofKnown(std::move(out))};
  }
  FailureOr<Value> x = node.input(0);
  if (failed(x))
    return failure();
  return single(Value(OpTy::create(node.builder, node.loc, *x)));
}

static FailureOr<NodeOutputs> importIdentity(NodeBuilder &node) {
  if (const HostTensor *t = node.known(0))
    return NodeOutputs{OnnxValue::ofKnown(*t)};
  return single(node.anyInput(0));
}

// Reciprocal: 1 / x
static FailureOr<NodeOutputs> importReciprocal(NodeBuilder &node) {
  FailureOr<Value> x = node.input(0);
  if (failed(x))
    return failure();
  return single(
      Value(DivOp::create(node.builder, node.loc, node.scalar(1.0), *x)));
}

// Softsign: x / (1 + |x|)
static FailureOr<NodeOutputs> importSoftsign(NodeBuilder &node) {
  FailureOr<Value> x = node.input(0);
  if (failed(x))
    return failure();
  OpBuilder &b = node.builder;
  Value abs = AbsOp::create(b, node.loc, *x);
  Value denom = AddOp::create(b, node.loc, abs, node.scalar(1.0));
  return single(Value(DivOp::create(b, node.loc, *x, denom)));
}

// Elu(alpha = 1)
static FailureOr<NodeOutputs> importElu(NodeBuilder &node) {
  FailureOr<Value> x = node.input(0);
  FailureOr<float> alpha = node.getFloat("alpha", 1.0f);
  if (failed(x) || failed(alpha))
    return failure();
  return single(Value(EluOp::create(node.builder, node.loc, *x,
                                    node.builder.getF32FloatAttr(*alpha))));
}

// Selu(alpha = 1.67326..., gamma = 1.0507...): gamma * elu_alpha(x). kiln's
// selu has the standard constants; other ones scale an elu.
static FailureOr<NodeOutputs> importSelu(NodeBuilder &node) {
  constexpr float kAlpha = 1.67326319217681884765625f;
  constexpr float kGamma = 1.05070102214813232421875f;
  FailureOr<Value> x = node.input(0);
  FailureOr<float> alpha = node.getFloat("alpha", kAlpha);
  FailureOr<float> gamma = node.getFloat("gamma", kGamma);
  if (failed(x) || failed(alpha) || failed(gamma))
    return failure();
  OpBuilder &b = node.builder;
  if (*alpha == kAlpha && *gamma == kGamma)
    return single(Value(SeluOp::create(b, node.loc, *x)));
  Value elu = EluOp::create(b, node.loc, *x, b.getF32FloatAttr(*alpha));
  return single(Value(MulOp::create(b, node.loc, elu, node.scalar(*gamma))));
}

// LeakyRelu(alpha = 0.01): relu(x) - alpha * relu(-x)
static Value leaky(NodeBuilder &node, Value x, Value slope) {
  OpBuilder &b = node.builder;
  Value pos = ReluOp::create(b, node.loc, x);
  Value neg = ReluOp::create(b, node.loc, NegOp::create(b, node.loc, x));
  return SubOp::create(b, node.loc, pos,
                       MulOp::create(b, node.loc, slope, neg));
}

static FailureOr<NodeOutputs> importLeakyRelu(NodeBuilder &node) {
  FailureOr<Value> x = node.input(0);
  FailureOr<float> alpha = node.getFloat("alpha", 0.01f);
  if (failed(x) || failed(alpha))
    return failure();
  return single(leaky(node, *x, node.scalar(*alpha)));
}

// PRelu(x, slope): the slope broadcasts unidirectionally to x. Exporters
// writing opset 6 give a per-channel slope as (C) for an (N, C, ...)
// input: it applies along axis 1.
static FailureOr<NodeOutputs> importPRelu(NodeBuilder &node) {
  FailureOr<Value> x = node.input(0);
  FailureOr<Value> slope = node.input(1);
  if (failed(x) || failed(slope))
    return failure();
  ArrayRef<int64_t> xShape = node.typeOf(*x).getShape();
  ArrayRef<int64_t> sShape = node.typeOf(*slope).getShape();
  if (node.opset < 7 && sShape.size() == 1 && xShape.size() > 2 &&
      sShape[0] == xShape[1] && sShape[0] != xShape.back()) {
    SmallVector<int64_t> shape{sShape[0]};
    shape.append(xShape.size() - 2, 1);
    slope = Value(ReshapeOp::create(
        node.builder, node.loc,
        RankedTensorType::get(shape, node.builder.getF32Type()), *slope));
  }
  if (failed(checkBroadcast(node, *x, *slope)))
    return failure();
  return single(leaky(node, *x, *slope));
}

// HardSigmoid(alpha = 0.2, beta = 0.5): clip(alpha * x + beta, 0, 1)
static FailureOr<NodeOutputs> importHardSigmoid(NodeBuilder &node) {
  FailureOr<Value> x = node.input(0);
  FailureOr<float> alpha = node.getFloat("alpha", 0.2f);
  FailureOr<float> beta = node.getFloat("beta", 0.5f);
  if (failed(x) || failed(alpha) || failed(beta))
    return failure();
  OpBuilder &b = node.builder;
  Value y = MulOp::create(b, node.loc, *x, node.scalar(*alpha));
  y = AddOp::create(b, node.loc, y, node.scalar(*beta));
  return single(Value(ClipOp::create(b, node.loc, y, b.getF64FloatAttr(0.0),
                                     b.getF64FloatAttr(1.0))));
}

// Clip: bounds are attributes (opset < 11) or optional scalar operands
// (>= 11), known when compiling; absent ones are +-infinity. A known input
// folds as the unary ops' do (timm's "same" padding clips a size computed
// in float from the input's shape).
static FailureOr<NodeOutputs> importClip(NodeBuilder &node) {
  double lo = -INFINITY, hi = INFINITY;
  if (node.opset < 11) {
    FailureOr<float> min = node.getFloat("min", -INFINITY);
    FailureOr<float> max = node.getFloat("max", INFINITY);
    if (failed(min) || failed(max))
      return failure();
    if (*min > *max) {
      std::string message;
      llvm::raw_string_ostream(message)
          << llvm::format("min %g is greater than max %g", *min, *max);
      node.emitError() << message;
      return failure();
    }
    lo = *min;
    hi = *max;
  } else {
    for (int64_t i : {1, 2}) {
      if (!node.hasInput(i))
        continue;
      FailureOr<const HostTensor *> bound =
          node.requireKnown(i, i == 1 ? "the lower bound" : "the upper bound");
      if (failed(bound))
        return failure();
      if ((*bound)->values.size() != 1) {
        node.emitError() << "the clip bounds must be scalars";
        return failure();
      }
      (i == 1 ? lo : hi) = (*bound)->values[0];
    }
  }
  if (const HostTensor *t = node.known(0);
      t && !t->hasDynamicBatch() &&
      (isIntegral(t->type) ||
       (t->type == OnnxType::Float && t->numElements() <= 4096))) {
    HostTensor out = *t;
    // ONNX Runtime's min(max(x, min), max), also where min > max.
    for (double &v : out.values)
      v = roundTo(out.type, std::min(std::max(v, lo), hi));
    return NodeOutputs{OnnxValue::ofKnown(std::move(out))};
  }
  FailureOr<Value> x = node.input(0);
  if (failed(x))
    return failure();
  OpBuilder &b = node.builder;
  // min > max (operands, opset 11 on; ONNX Runtime refuses the attributes
  // of opset 6 so): ONNX Runtime's min(max(x, min), max), which is max
  // everywhere; kiln.clip holds min <= max.
  if (lo > hi) {
    Value y = MaximumOp::create(b, node.loc, *x, node.scalar(lo));
    return single(Value(MinimumOp::create(b, node.loc, y, node.scalar(hi))));
  }
  return single(Value(ClipOp::create(b, node.loc, *x, b.getF64FloatAttr(lo),
                                     b.getF64FloatAttr(hi))));
}

// HardSwish: x * hardsigmoid(x) with alpha 1/6, beta 1/2.
static FailureOr<NodeOutputs> importHardSwish(NodeBuilder &node) {
  FailureOr<Value> x = node.input(0);
  if (failed(x))
    return failure();
  OpBuilder &b = node.builder;
  Value y = MulOp::create(b, node.loc, *x, node.scalar(1.0 / 6.0));
  y = AddOp::create(b, node.loc, y, node.scalar(0.5));
  y = ClipOp::create(b, node.loc, y, b.getF64FloatAttr(0.0),
                     b.getF64FloatAttr(1.0));
  return single(Value(MulOp::create(b, node.loc, *x, y)));
}

// Gelu(approximate = 'none'), opset 20: x * (1 + erf(x / sqrt(2))) / 2, or
// with 'tanh' 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))).
static FailureOr<NodeOutputs> importGelu(NodeBuilder &node) {
  FailureOr<Value> x = node.input(0);
  FailureOr<std::string> approximate = node.getString("approximate", "none");
  if (failed(x) || failed(approximate))
    return failure();
  OpBuilder &b = node.builder;
  Location loc = node.loc;
  if (*approximate == "none")
    return single(Value(GeluOp::create(b, loc, *x)));
  if (*approximate != "tanh") {
    node.emitError() << "approximate '" << *approximate
                     << "' is not supported (none, tanh)";
    return failure();
  }
  Value cube = MulOp::create(b, loc, MulOp::create(b, loc, *x, *x), *x);
  Value inner = AddOp::create(
      b, loc, *x, MulOp::create(b, loc, cube, node.scalar(0.044715)));
  Value t = TanhOp::create(
      b, loc, MulOp::create(b, loc, inner, node.scalar(std::sqrt(2 / M_PI))));
  Value half = MulOp::create(b, loc, *x, node.scalar(0.5));
  return single(Value(MulOp::create(
      b, loc, half, AddOp::create(b, loc, t, node.scalar(1.0)))));
}

// Mish, opset 18: x * tanh(softplus(x)).
static FailureOr<NodeOutputs> importMish(NodeBuilder &node) {
  FailureOr<Value> x = node.input(0);
  if (failed(x))
    return failure();
  OpBuilder &b = node.builder;
  Value t = TanhOp::create(b, node.loc, SoftplusOp::create(b, node.loc, *x));
  return single(Value(MulOp::create(b, node.loc, *x, t)));
}

// ThresholdedRelu(alpha = 1): x where x > alpha, else 0 (a select, so that
// inf stays inf where x * step(x - alpha) would be NaN).
static FailureOr<NodeOutputs> importThresholdedRelu(NodeBuilder &node) {
  FailureOr<Value> x = node.input(0);
  FailureOr<float> alpha = node.getFloat("alpha", 1.0f);
  if (failed(x) || failed(alpha))
    return failure();
  OpBuilder &b = node.builder;
  Value above = GreaterOp::create(b, node.loc, *x, node.scalar(*alpha));
  return single(
      Value(SelectOp::create(b, node.loc, above, *x, node.scalar(0.0))));
}

// Celu(alpha = 1): max(0, x) + min(0, alpha * (exp(x / alpha) - 1)), which
// is alpha * elu(x / alpha).
static FailureOr<NodeOutputs> importCelu(NodeBuilder &node) {
  FailureOr<Value> x = node.input(0);
  FailureOr<float> alpha = node.getFloat("alpha", 1.0f);
  if (failed(x) || failed(alpha))
    return failure();
  if (*alpha == 0) {
    node.emitError() << "alpha must not be 0";
    return failure();
  }
  OpBuilder &b = node.builder;
  Value scaled = DivOp::create(b, node.loc, *x, node.scalar(*alpha));
  Value elu = EluOp::create(b, node.loc, scaled, b.getF32FloatAttr(1.0f));
  return single(Value(MulOp::create(b, node.loc, elu, node.scalar(*alpha))));
}

// Shrink(lambd = 0.5, bias = 0): x - bias where x > lambd, x + bias where
// x < -lambd, else 0; selects, so that +-inf stay +-inf.
static FailureOr<NodeOutputs> importShrink(NodeBuilder &node) {
  FailureOr<Value> x = node.input(0);
  FailureOr<float> lambd = node.getFloat("lambd", 0.5f);
  FailureOr<float> bias = node.getFloat("bias", 0.0f);
  if (failed(x) || failed(lambd) || failed(bias))
    return failure();
  OpBuilder &b = node.builder;
  Location loc = node.loc;
  Value below = LessOp::create(b, loc, *x, node.scalar(-*lambd));
  Value y = SelectOp::create(b, loc, below,
                             AddOp::create(b, loc, *x, node.scalar(*bias)),
                             node.scalar(0.0));
  Value above = GreaterOp::create(b, loc, *x, node.scalar(*lambd));
  return single(Value(SelectOp::create(
      b, loc, above, SubOp::create(b, loc, *x, node.scalar(*bias)), y)));
}

//===----------------------------------------------------------------------===//
// Binary and variadic
//===----------------------------------------------------------------------===//

/// The host form of a binary op, for known operands.
using HostFn = double (*)(double, double);

static double hostAdd(double x, double y) { return x + y; }
static double hostSub(double x, double y) { return x - y; }
static double hostMul(double x, double y) { return x * y; }
// Floats divide as IEEE (x / 0 is +-inf, 0 / 0 NaN); integer division
// truncates, and by zero is refused before folding.
static double hostDiv(double x, double y) { return x / y; }
static double hostMax(double x, double y) { return std::max(x, y); }
static double hostMin(double x, double y) { return std::min(x, y); }

/// Opset 6's binary ops: with `broadcast` = 1, B's shape is a contiguous
/// run of A's starting at `axis` (by default aligned at the end); given
/// ones after it, that is NumPy's broadcasting.
static FailureOr<Value> legacyBroadcastOperand(NodeBuilder &node, Value a,
                                               Value b) {
  FailureOr<int64_t> broadcast = node.getInt("broadcast", 0);
  FailureOr<int64_t> axis = node.getInt("axis", INT64_MIN);
  if (failed(broadcast) || failed(axis))
    return failure();
  int64_t rankA = node.typeOf(a).getRank(), rankB = node.typeOf(b).getRank();
  if (!*broadcast || *axis == INT64_MIN || rankB == 0)
    return b;
  int64_t start = *axis < 0 ? *axis + rankA : *axis;
  if (start < 0 || start + rankB > rankA) {
    node.emitError() << "axis " << *axis << " does not place B in A";
    return failure();
  }
  SmallVector<int64_t> shape(node.typeOf(b).getShape());
  shape.append(rankA - start - rankB, 1);
  return Value(ReshapeOp::create(
      node.builder, node.loc,
      RankedTensorType::get(shape, node.builder.getF32Type()), b));
}

template <typename OpTy, HostFn Host>
static FailureOr<NodeOutputs> importBinary(NodeBuilder &node) {
  const HostTensor *a = node.known(0), *b = node.known(1);
  if (a && b &&
      (a->type != OnnxType::Float || b->type != OnnxType::Float ||
       a->numElements() * b->numElements() <= 4096)) {
    if (a->type != b->type) {
      node.emitError() << "operands are " << typeName(a->type) << " and "
                       << typeName(b->type);
      return failure();
    }
    OnnxType type = a->type;
    if (a->hasDynamicBatch() || b->hasDynamicBatch()) {
      // The batch size times a known integer (PyTorch's batch * heads)
      // stays a multiple of it, and a multiple of it divided by it or by
      // a divisor of its factor is known (gcvit's windows per sample);
      // other arithmetic on it is known only at run time.
      FailureOr<HostTensor> folded =
          (Host == hostMul || Host == hostDiv) && isIntegral(type)
              ? foldWithBatch(node, *a, *b, type,
                              Host == hostMul ? BatchArith::Mul
                                              : BatchArith::Div)
              : FailureOr<HostTensor>(failure());
      if (succeeded(folded))
        return NodeOutputs{OnnxValue::ofKnown(std::move(*folded))};
      node.emitError() << "computes with the dynamic batch size, which is "
                          "only known at run time";
      return failure();
    }
    if (Host == hostDiv && isIntegral(type) && a->numElements() > 0 &&
        llvm::is_contained(b->values, 0.0)) {
      node.emitError() << "divides " << typeName(type) << " values by zero";
      return failure();
    }
    FailureOr<HostTensor> folded =
        foldBroadcast(node, *a, *b, type, [type](double x, double y) {
          return roundTo(type, Host(x, y));
        });
    if (failed(folded))
      return failure();
    return NodeOutputs{OnnxValue::ofKnown(std::move(*folded))};
  }
  // Add, Sub and Mul also compute with int32/int64 tensors at run time
  // (position ids from a padding mask's running count, RoBERTa's).
  constexpr bool integral = Host != hostDiv;
  FailureOr<std::pair<Value, Value>> operands =
      sameTypeOperands(node, integral);
  if (failed(operands))
    return failure();
  FailureOr<Value> lhs = operands->first, rhs = operands->second;
  Type element = node.typeOf(*lhs).getElementType();
  if (!isNumeric(element)) {
    node.emitError() << "computes with " << typeName(onnxTypeOf(element))
                     << " values";
    return failure();
  }
  if (node.opset < 7) {
    rhs = legacyBroadcastOperand(node, *lhs, *rhs);
    if (failed(rhs))
      return failure();
  }
  if (failed(checkBroadcast(node, *lhs, *rhs)))
    return failure();
  return single(Value(OpTy::create(node.builder, node.loc, *lhs, *rhs)));
}

// Mod(a, b; fmod): the remainder of a / b. fmod = 0 (integers only) takes
// b's sign, as Python's %; fmod = 1 a's, as C's fmod. Known operands fold
// (shape arithmetic: Swin's window padding); floats at run time are
// `kiln.rem` (exact, as C's fmod); integers at run time are refused.
static FailureOr<NodeOutputs> importMod(NodeBuilder &node) {
  FailureOr<int64_t> fmod = node.getInt("fmod", 0);
  if (failed(fmod))
    return failure();
  if (*fmod != 0 && *fmod != 1) {
    node.emitError() << "fmod must be 0 or 1, got " << *fmod;
    return failure();
  }
  const HostTensor *a = node.known(0), *b = node.known(1);
  if (a && b && !a->hasDynamicBatch() && !b->hasDynamicBatch()) {
    if (a->type != b->type) {
      node.emitError() << "operands are " << typeName(a->type) << " and "
                       << typeName(b->type);
      return failure();
    }
    OnnxType type = a->type;
    bool integral = isIntegral(type);
    if (!integral && !*fmod) {
      node.emitError() << "takes " << typeName(type)
                       << " values with fmod = 0 (ONNX: floats need fmod = 1)";
      return failure();
    }
    if (integral && a->numElements() > 0 &&
        llvm::is_contained(b->values, 0.0)) {
      node.emitError() << "divides " << typeName(type) << " values by zero";
      return failure();
    }
    bool floored = !*fmod;
    FailureOr<HostTensor> folded =
        foldBroadcast(node, *a, *b, type, [type, floored](double x, double y) {
          double r = std::fmod(x, y);
          if (floored && r != 0 && (r < 0) != (y < 0))
            r += y;
          return roundTo(type, r);
        });
    if (failed(folded))
      return failure();
    return NodeOutputs{OnnxValue::ofKnown(std::move(*folded))};
  }
  FailureOr<std::pair<Value, Value>> operands =
      sameTypeOperands(node, /*anyType=*/true);
  if (failed(operands))
    return failure();
  auto [lhs, rhs] = *operands;
  Type element = node.typeOf(lhs).getElementType();
  if (!isa<FloatType>(element)) {
    node.emitError() << "takes " << typeName(onnxTypeOf(element))
                     << " tensors computed at run time; kiln folds Mod of "
                        "known integers only";
    return failure();
  }
  if (!*fmod) {
    node.emitError() << "takes " << typeName(onnxTypeOf(element))
                     << " values with fmod = 0 (ONNX: floats need fmod = 1)";
    return failure();
  }
  if (failed(checkBroadcast(node, lhs, rhs)))
    return failure();
  return single(Value(RemOp::create(node.builder, node.loc, lhs, rhs)));
}

// Pow(x, y) with C's pow semantics, where exp(y * log(x)) alone would be
// NaN: a negative base with an integer exponent takes the sign of (-1)^y
// (pow(-1.5, 3) = -3.375), with another exponent it is NaN (but -inf's
// powers are +-inf or 0); y = 0 gives 1 for any x (0^0, inf^0, NaN^0), 1^y
// is 1, 0^y is 0 for y > 0 and inf for y < 0. A known scalar exponent of
// integer value multiplies out (square-and-multiply, exact signs), 0.5 is
// sqrt (as ONNX Runtime's); any other exponent takes the general form.
static Value powOfInteger(NodeBuilder &node, Value x, int64_t e) {
  OpBuilder &b = node.builder;
  Location loc = node.loc;
  if (e == 0)
    return BroadcastOp::create(b, loc, node.typeOf(x), node.scalar(1.0), x);
  Value result, power = x;
  for (int64_t bits = std::abs(e); bits; bits >>= 1) {
    if (bits & 1)
      result = result ? Value(MulOp::create(b, loc, result, power)) : power;
    if (bits > 1)
      power = MulOp::create(b, loc, power, power);
  }
  if (e < 0)
    result = DivOp::create(b, loc, node.scalar(1.0), result);
  return result;
}

/// pow(x, y) elementwise for float tensors that broadcast, C's way.
static Value powGeneral(NodeBuilder &node, Value x, Value y) {
  OpBuilder &b = node.builder;
  Location loc = node.loc;
  auto f32 = [&](Value v) {
    return Value(CastOp::create(
        b, loc, node.typeOf(v).clone(b.getF32Type()),
        CastOp::create(b, loc, node.typeOf(v).clone(b.getI32Type()), v)));
  };
  // |x|^y.
  Value ax = AbsOp::create(b, loc, x);
  Value mag = ExpOp::create(
      b, loc, MulOp::create(b, loc, y, LogOp::create(b, loc, ax)));
  // y is an integer when it survives a round trip through int32; beyond
  // 2^24 every float32 is an even integer, so the clip keeps it exact.
  Value yc = ClipOp::create(b, loc, y, b.getF64FloatAttr(-16777216.0),
                            b.getF64FloatAttr(16777216.0));
  Value isInt = EqualOp::create(b, loc, f32(yc), yc);
  Value half = MulOp::create(b, loc, yc, node.scalar(0.5));
  Value isOdd = LogicalAndOp::create(
      b, loc, isInt,
      LogicalNotOp::create(b, loc, EqualOp::create(b, loc, f32(half), half)));
  Value one = node.scalar(1.0);
  Value negative = LessOp::create(b, loc, x, node.scalar(0.0));
  // 1 where |x| = 1 (1^NaN, (-1)^inf), where exp(y * 0) may be NaN.
  mag = SelectOp::create(b, loc, EqualOp::create(b, loc, ax, one), one, mag);
  Value r =
      SelectOp::create(b, loc, LogicalAndOp::create(b, loc, negative, isOdd),
                       NegOp::create(b, loc, mag), mag);
  Value finiteNegative = LogicalAndOp::create(
      b, loc, negative, GreaterOp::create(b, loc, x, node.scalar(-INFINITY)));
  r = SelectOp::create(
      b, loc,
      LogicalAndOp::create(b, loc, finiteNegative,
                           LogicalNotOp::create(b, loc, isInt)),
      node.scalar(NAN), r);
  return SelectOp::create(b, loc, EqualOp::create(b, loc, y, node.scalar(0.0)),
                          one, r);
}

static FailureOr<NodeOutputs> importPow(NodeBuilder &node) {
  FailureOr<Value> x = node.input(0);
  if (failed(x))
    return failure();
  OpBuilder &b = node.builder;
  const HostTensor *y = node.known(1);
  if (y && y->values.size() == 1 && !y->hasDynamicBatch()) {
    double e = y->values[0];
    std::optional<Value> result;
    if (e == 0.5)
      result = SqrtOp::create(b, node.loc, *x);
    else if (e == std::trunc(e) && std::abs(e) < 2147483648.0)
      result = powOfInteger(node, *x, static_cast<int64_t>(e));
    if (result) {
      // A one-element exponent of higher rank adds leading 1s to the
      // result's shape (NumPy broadcasting); a reshape, no arithmetic.
      ArrayRef<int64_t> xShape = node.typeOf(*x).getShape();
      if (y->shape.size() > xShape.size()) {
        SmallVector<int64_t> shape(y->shape.size() - xShape.size(), 1);
        shape.append(xShape.begin(), xShape.end());
        *result = node.reshape(*result, shape);
      }
      return single(*result);
    }
  }
  // An integer exponent (ONNX allows int32/int64) computes as float32.
  FailureOr<Value> exponent = node.anyInput(1);
  if (failed(exponent))
    return failure();
  RankedTensorType type = node.typeOf(*exponent);
  if (type.getElementType().isInteger(1)) {
    node.emitError() << "the exponent is bool";
    return failure();
  }
  if (!type.getElementType().isF32())
    exponent = Value(
        CastOp::create(b, node.loc, type.clone(b.getF32Type()), *exponent));
  if (failed(checkBroadcast(node, *x, *exponent)))
    return failure();
  return single(powGeneral(node, *x, *exponent));
}

/// Min, Max, Sum, Mean: a fold of the binary op over all operands.
template <typename OpTy, HostFn Host, bool Mean = false>
static FailureOr<NodeOutputs> importVariadic(NodeBuilder &node) {
  if (node.numInputs() < 1) {
    node.emitError() << "needs at least one input";
    return failure();
  }
  // Known integers (shape arithmetic: tf2onnx's broadcast of two shapes'
  // batch dimensions, Max(shape_a, shape_b)) fold, with the batch size
  // where the result does not depend on it.
  if (const HostTensor *first = node.known(0);
      first && isIntegral(first->type) && !Mean) {
    std::optional<BatchArith> op;
    if (Host == hostMax)
      op = BatchArith::Max;
    else if (Host == hostMin)
      op = BatchArith::Min;
    HostTensor acc = *first;
    bool folds = true;
    for (int64_t i = 1; folds && i < node.numInputs(); ++i) {
      const HostTensor *next = node.known(i);
      folds = next && next->type == acc.type;
      if (!folds)
        break;
      FailureOr<HostTensor> folded =
          acc.hasDynamicBatch() || next->hasDynamicBatch()
              ? (op ? foldWithBatch(node, acc, *next, acc.type, *op)
                    : FailureOr<HostTensor>(failure()))
              : foldBroadcast(node, acc, *next, acc.type, Host);
      folds = succeeded(folded);
      if (folds)
        acc = std::move(*folded);
    }
    if (folds)
      return NodeOutputs{OnnxValue::ofKnown(std::move(acc))};
  }
  // Max and Min also order int32/int64 tensors at run time (PyTorch's
  // broadcast of index tensors).
  constexpr bool picks = Host == hostMax || Host == hostMin;
  FailureOr<Value> acc = picks ? node.anyInput(0) : node.input(0);
  if (failed(acc))
    return failure();
  Value result = *acc;
  Type element = node.typeOf(result).getElementType();
  if (!isNumeric(element)) {
    node.emitError() << "takes " << typeName(onnxTypeOf(element))
                     << " values, which have no order";
    return failure();
  }
  for (int64_t i = 1; i < node.numInputs(); ++i) {
    FailureOr<Value> next = picks ? node.anyInput(i) : node.input(i);
    if (failed(next) || failed(checkBroadcast(node, result, *next)))
      return failure();
    Type nextElement = node.typeOf(*next).getElementType();
    if (nextElement != element) {
      node.emitError() << "operands are " << typeName(onnxTypeOf(element))
                       << " and " << typeName(onnxTypeOf(nextElement));
      return failure();
    }
    result = OpTy::create(node.builder, node.loc, result, *next);
  }
  if (Mean && node.numInputs() > 1)
    result = DivOp::create(node.builder, node.loc, result,
                           node.scalar(double(node.numInputs())));
  return single(result);
}

//===----------------------------------------------------------------------===//
// Comparisons, logical ops and Where: folded when every operand is known,
// kiln's ops of booleans otherwise
//===----------------------------------------------------------------------===//

/// Operands `0 .. count-1` when all are known (and none holds the dynamic
/// batch size, but those of `moved`, whose values the op only moves);
/// empty otherwise.
static SmallVector<const HostTensor *> allKnown(NodeBuilder &node,
                                                int64_t count,
                                                uint32_t moved = 0) {
  SmallVector<const HostTensor *> known;
  for (int64_t i = 0; i < count; ++i) {
    const HostTensor *t = node.known(i);
    if (!t || (t->hasDynamicBatch() && !(moved & (1u << i))))
      return {};
    known.push_back(t);
  }
  return known;
}

/// Operands `i` and `i + 1` as kiln tensors of one element type that
/// broadcast.
static FailureOr<std::pair<Value, Value>> anyPair(NodeBuilder &node,
                                                  int64_t i = 0) {
  FailureOr<Value> a = node.anyInput(i), b = node.anyInput(i + 1);
  if (failed(a) || failed(b) || failed(checkBroadcast(node, *a, *b)))
    return failure();
  if (node.typeOf(*a).getElementType() != node.typeOf(*b).getElementType()) {
    node.emitError() << "operands have different element types ("
                     << node.typeOf(*a).getElementType() << " and "
                     << node.typeOf(*b).getElementType() << ")";
    return failure();
  }
  return std::make_pair(*a, *b);
}

static double hostEqual(double x, double y) { return x == y; }
static double hostLess(double x, double y) { return x < y; }
static double hostLessEqual(double x, double y) { return x <= y; }
static double hostGreater(double x, double y) { return x > y; }
static double hostGreaterEqual(double x, double y) { return x >= y; }
static double hostAnd(double x, double y) { return x && y; }
static double hostOr(double x, double y) { return x || y; }
static double hostXor(double x, double y) { return bool(x) != bool(y); }

/// A comparison (OpTy on floats and integers) or a logical op (on bools).
template <typename OpTy, HostFn Host, bool logical = false>
static FailureOr<NodeOutputs> importBoolBinary(NodeBuilder &node) {
  // Equal of k times the batch size and a known size below k (an
  // exporter's test for -1 in a shape it built from Shape) is false, and
  // of its k-fold and j-fold k == j; against other sizes it is known only
  // at run time.
  if (const HostTensor *a = node.known(0), *b = node.known(1);
      Host == hostEqual && a && b &&
      (a->hasDynamicBatch() || b->hasDynamicBatch())) {
    FailureOr<HostTensor> folded =
        foldWithBatch(node, *a, *b, OnnxType::Bool, BatchArith::Equal);
    if (succeeded(folded))
      return NodeOutputs{OnnxValue::ofKnown(std::move(*folded))};
  }
  if (auto known = allKnown(node, 2); !known.empty()) {
    FailureOr<HostTensor> folded =
        foldBroadcast(node, *known[0], *known[1], OnnxType::Bool, Host);
    if (failed(folded))
      return failure();
    return NodeOutputs{OnnxValue::ofKnown(std::move(*folded))};
  }
  FailureOr<std::pair<Value, Value>> operands = anyPair(node);
  if (failed(operands))
    return failure();
  bool isBool = node.typeOf(operands->first).getElementType().isInteger(1);
  if (isBool != logical) {
    node.emitError() << (logical ? "takes bool operands, not "
                                 : "compares bool operands, which ONNX "
                                   "does not allow: ")
                     << node.typeOf(operands->first).getElementType();
    return failure();
  }
  return single(Value(
      OpTy::create(node.builder, node.loc, operands->first, operands->second)));
}

static FailureOr<NodeOutputs> importNot(NodeBuilder &node) {
  if (auto known = allKnown(node, 1); !known.empty()) {
    HostTensor out = *known[0];
    for (double &v : out.values)
      v = !v;
    return NodeOutputs{OnnxValue::ofKnown(std::move(out))};
  }
  FailureOr<Value> x = node.anyInput(0);
  if (failed(x))
    return failure();
  if (!node.typeOf(*x).getElementType().isInteger(1)) {
    node.emitError() << "takes a bool operand, not "
                     << node.typeOf(*x).getElementType();
    return failure();
  }
  return single(Value(LogicalNotOp::create(node.builder, node.loc, *x)));
}

// IsNaN(x): x != x, the one value unequal to itself.
static FailureOr<NodeOutputs> importIsNaN(NodeBuilder &node) {
  FailureOr<Value> x = node.input(0);
  if (failed(x))
    return failure();
  OpBuilder &b = node.builder;
  return single(Value(LogicalNotOp::create(
      b, node.loc, EqualOp::create(b, node.loc, *x, *x))));
}

// IsInf(x, detect_negative = 1, detect_positive = 1): x equal to the
// infinities it detects (neither: false everywhere).
static FailureOr<NodeOutputs> importIsInf(NodeBuilder &node) {
  FailureOr<Value> x = node.input(0);
  FailureOr<int64_t> negative = node.getInt("detect_negative", 1);
  FailureOr<int64_t> positive = node.getInt("detect_positive", 1);
  if (failed(x) || failed(negative) || failed(positive))
    return failure();
  OpBuilder &b = node.builder;
  constexpr double inf = std::numeric_limits<double>::infinity();
  Value found;
  for (auto [detect, value] : {std::pair(*positive, inf), {*negative, -inf}}) {
    if (!detect)
      continue;
    Value is = EqualOp::create(b, node.loc, *x, node.scalar(value));
    found = found ? Value(LogicalOrOp::create(b, node.loc, found, is)) : is;
  }
  if (!found) // x < x: false, NaN included
    found = LessOp::create(b, node.loc, *x, *x);
  return single(found);
}

// Where(cond, x, y): a fold when all are known, kiln.select otherwise.
static FailureOr<NodeOutputs> importWhere(NodeBuilder &node) {
  // A shape that holds the batch size passes through (PyTorch's
  // expand(batch, -1, -1): Where(Equal(shape, -1), ones, shape)).
  if (auto known = allKnown(node, 3, /*moved=*/0b110); !known.empty()) {
    const HostTensor &cond = *known[0], &x = *known[1], &y = *known[2];
    FailureOr<HostTensor> picked = foldBroadcast(
        node, cond, x, x.type, [](double c, double v) { return c ? v : NAN; });
    if (failed(picked))
      return failure();
    // NaN marks "not picked", so a NaN picked from x must stay apart.
    if (llvm::none_of(x.values, [](double v) { return std::isnan(v); })) {
      FailureOr<HostTensor> folded =
          foldBroadcast(node, *picked, y, x.type, [](double p, double w) {
            return std::isnan(p) ? w : p;
          });
      if (failed(folded))
        return failure();
      return NodeOutputs{OnnxValue::ofKnown(std::move(*folded))};
    }
  }
  FailureOr<Value> cond = node.anyInput(0);
  if (failed(cond))
    return failure();
  if (!node.typeOf(*cond).getElementType().isInteger(1)) {
    node.emitError() << "the condition must be bool, not "
                     << node.typeOf(*cond).getElementType();
    return failure();
  }
  FailureOr<std::pair<Value, Value>> branches = anyPair(node, 1);
  if (failed(branches) ||
      failed(checkBroadcast(node, *cond, branches->first)) ||
      failed(checkBroadcast(node, *cond, branches->second)))
    return failure();
  return single(Value(SelectOp::create(node.builder, node.loc, *cond,
                                       branches->first, branches->second)));
}

//===----------------------------------------------------------------------===//
// Registration
//===----------------------------------------------------------------------===//

static double hostNeg(double x) { return -x; }
static double hostAbs(double x) { return std::abs(x); }
static double hostFloor(double x) { return std::floor(x); }
static double hostCeil(double x) { return std::ceil(x); }
static double hostRound(double x) { return std::nearbyint(x); }

void mlir::kiln::onnx_import::registerElementwiseOps(OpRegistry &r) {
  // All elementwise (OpKind::elementwise), but the binary ops of opset 6,
  // whose `axis` aligns the operands otherwise than NumPy.
  auto push = [&](StringRef op, OpKind kind) {
    kind.elementwise = !llvm::is_contained(kind.attributes, "axis");
    r[op].push_back(kind);
  };
  auto add = [&](StringRef op, int64_t since, int64_t last, OpHandler handler,
                 ArrayRef<StringLiteral> attrs = {}, uint32_t known = 0) {
    push(op, OpKind{since, last, handler, attrs, known});
  };
  // Unary math: one semantics across opsets 6-21 (13 only added types).
  add("Relu", 6, kNewestOpset, importUnary<ReluOp>);
  add("Sigmoid", 6, kNewestOpset, importUnary<SigmoidOp>);
  add("Tanh", 6, kNewestOpset, importUnary<TanhOp>);
  add("Exp", 6, kNewestOpset, importUnary<ExpOp>);
  add("Log", 6, kNewestOpset, importUnary<LogOp>);
  add("Neg", 6, kNewestOpset, importUnary<NegOp, hostNeg>);
  add("Abs", 6, kNewestOpset, importUnary<AbsOp, hostAbs>);
  add("Sqrt", 6, kNewestOpset, importUnary<SqrtOp>);
  add("Softplus", 1, kNewestOpset, importUnary<SoftplusOp>);
  add("Erf", 9, kNewestOpset, importUnary<ErfOp>);
  add("Sign", 9, kNewestOpset, importUnary<SignOp>);
  add("Sin", 7, kNewestOpset, importUnary<SinOp>);
  add("Cos", 7, kNewestOpset, importUnary<CosOp>);
  add("Tan", 7, kNewestOpset, importUnary<TanOp>);
  add("Asin", 7, kNewestOpset, importUnary<AsinOp>);
  add("Acos", 7, kNewestOpset, importUnary<AcosOp>);
  add("Atan", 7, kNewestOpset, importUnary<AtanOp>);
  add("Sinh", 9, kNewestOpset, importUnary<SinhOp>);
  add("Cosh", 9, kNewestOpset, importUnary<CoshOp>);
  add("Asinh", 9, kNewestOpset, importUnary<AsinhOp>);
  add("Acosh", 9, kNewestOpset, importUnary<AcoshOp>);
  add("Atanh", 9, kNewestOpset, importUnary<AtanhOp>);
  // Whole numbers stay as they are (known integer shape arithmetic).
  add("Floor", 6, kNewestOpset, importUnary<FloorOp, hostFloor>);
  add("Ceil", 6, kNewestOpset, importUnary<CeilOp, hostCeil>);
  add("Round", 11, kNewestOpset, importUnary<RoundOp, hostRound>);
  add("Reciprocal", 6, kNewestOpset, importReciprocal);
  add("Softsign", 1, kNewestOpset, importSoftsign);
  OpKind identity{1, kNewestOpset, importIdentity, {}, 0, 0b1};
  identity.keepsKnownIntegers = true;
  push("Identity", identity);
  static constexpr StringLiteral alpha[] = {"alpha"};
  static constexpr StringLiteral alphaGamma[] = {"alpha", "gamma"};
  static constexpr StringLiteral alphaBeta[] = {"alpha", "beta"};
  static constexpr StringLiteral minMax[] = {"min", "max"};
  add("Elu", 6, kNewestOpset, importElu, alpha);
  add("Selu", 6, kNewestOpset, importSelu, alphaGamma);
  add("LeakyRelu", 6, kNewestOpset, importLeakyRelu, alpha);
  add("HardSigmoid", 6, kNewestOpset, importHardSigmoid, alphaBeta);
  add("PRelu", 6, kNewestOpset, importPRelu);
  static constexpr StringLiteral lambdBias[] = {"lambd", "bias"};
  add("HardSwish", 14, kNewestOpset, importHardSwish);
  static constexpr StringLiteral approximate[] = {"approximate"};
  push("Gelu", OpKind{20, kNewestOpset, importGelu, approximate, 0, 0, 1});
  push("Mish", OpKind{18, kNewestOpset, importMish, {}, 0, 0, 1});
  add("ThresholdedRelu", 10, kNewestOpset, importThresholdedRelu, alpha);
  add("Celu", 12, kNewestOpset, importCelu, alpha);
  add("Shrink", 9, kNewestOpset, importShrink, lambdBias);
  add("Clip", 6, 10, importClip, minMax);
  add("Clip", 11, kNewestOpset, importClip, {}, 0b110);
  // Binary: NumPy broadcasting since opset 7, opt-in `broadcast` before.
  static constexpr StringLiteral legacy[] = {"broadcast", "axis"};
  add("Add", 6, 6, importBinary<AddOp, hostAdd>, legacy);
  add("Sub", 6, 6, importBinary<SubOp, hostSub>, legacy);
  add("Mul", 6, 6, importBinary<MulOp, hostMul>, legacy);
  add("Div", 6, 6, importBinary<DivOp, hostDiv>, legacy);
  // Add, Sub and Mul also take int32/int64 tensors at run time, and fold
  // known ones.
  auto integral = [&](StringRef op, OpKind kind) {
    kind.keepsKnownIntegers = true;
    push(op, kind);
  };
  integral("Add",
           OpKind{7, kNewestOpset, importBinary<AddOp, hostAdd>, {}, 0, 0b11});
  integral("Sub",
           OpKind{7, kNewestOpset, importBinary<SubOp, hostSub>, {}, 0, 0b11});
  integral("Mul",
           OpKind{7, kNewestOpset, importBinary<MulOp, hostMul>, {}, 0, 0b11});
  add("Div", 7, kNewestOpset, importBinary<DivOp, hostDiv>);
  static constexpr StringLiteral fmod[] = {"fmod"};
  integral("Mod", OpKind{10, kNewestOpset, importMod, fmod, 0, 0b11});
  push("Pow", OpKind{7, kNewestOpset, importPow, {}, 0, 0b10});
  // Opsets 6-7 take operands of one shape, which NumPy broadcasting (8 on)
  // includes.
  // Max and Min also order int32/int64 tensors at run time (opset 12 on).
  integral("Max", OpKind{6,
                         kNewestOpset,
                         importVariadic<MaximumOp, hostMax>,
                         {},
                         0,
                         ~uint32_t(0)});
  integral("Min", OpKind{6,
                         kNewestOpset,
                         importVariadic<MinimumOp, hostMin>,
                         {},
                         0,
                         ~uint32_t(0)});
  add("Sum", 6, kNewestOpset, importVariadic<AddOp, hostAdd>);
  add("Mean", 6, kNewestOpset, importVariadic<AddOp, hostAdd, /*Mean=*/true>);
  // Comparisons and logical ops broadcast since opset 7; bool results.
  auto any = [&](StringRef op, int64_t since, OpHandler handler,
                 uint32_t operands) {
    push(op, OpKind{since, kNewestOpset, handler, {}, 0, operands});
  };
  any("Equal", 7, importBoolBinary<EqualOp, hostEqual>, 0b11);
  any("Less", 7, importBoolBinary<LessOp, hostLess>, 0b11);
  any("LessOrEqual", 12, importBoolBinary<LessEqualOp, hostLessEqual>, 0b11);
  any("Greater", 7, importBoolBinary<GreaterOp, hostGreater>, 0b11);
  any("GreaterOrEqual", 12, importBoolBinary<GreaterEqualOp, hostGreaterEqual>,
      0b11);
  any("And", 7, importBoolBinary<LogicalAndOp, hostAnd, /*logical=*/true>,
      0b11);
  any("Or", 7, importBoolBinary<LogicalOrOp, hostOr, /*logical=*/true>, 0b11);
  any("Xor", 7, importBoolBinary<LogicalXorOp, hostXor, /*logical=*/true>,
      0b11);
  any("Not", 1, importNot, 0b1);
  any("Where", 9, importWhere, 0b111);
  add("IsNaN", 9, kNewestOpset, importIsNaN);
  static constexpr StringLiteral detect[] = {"detect_negative",
                                             "detect_positive"};
  add("IsInf", 10, kNewestOpset, importIsInf, detect);
}
