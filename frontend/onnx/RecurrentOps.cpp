//===- RecurrentOps.cpp - ONNX RNN, LSTM and GRU ----------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// RNN, LSTM and GRU become the loop Keras's recurrent layers import to
// (frontend/RecurrentLoop.h), one per direction: X goes batch-major
// (batch, seq, input) (a `kiln.transpose` of ONNX's default layout 0,
// (seq, batch, input); layout 1 already is), the input projection
// X @ W^T (+ the biases that do not depend on h) is one `kiln.matmul` over
// all steps before the loop, the loop reads its step with
// `kiln.sequence_step` (from the end for the reverse direction), carries
// h (and LSTM's c) from `initial_h`/`initial_c` or `kiln.zeros`, and
// collects Y with `kiln.sequence_insert` in input order, as ONNX's Y is.
// The outputs are transposed back to ONNX's layout. W, R and B keep
// ONNX's layout as parameters (training updates them, export writes them
// back): each direction's slice is reshaped and transposed in the IR.
//
// Per step, with gates in ONNX's order (W/R/B rows) and f, g, h the
// direction's activations (`activations`, default Sigmoid, Tanh, Tanh):
//  RNN:  Ht = f(Xt W^T + Wb + Rb + Ht-1 R^T)
//  LSTM: (i, o, f, c) = Xt W^T + Wb + Rb + Ht-1 R^T, split in 4;
//        Ct = f(f) * Ct-1 + f(i) * g(c), Ht = f(o) * h(Ct)
//  GRU:  (z, r, h) gates; zt = f(Xz + Wbz + Rbz + Ht-1 Rz^T), rt likewise;
//        linear_before_reset 0: h~ = g(Xh + Wbh + Rbh + (rt * Ht-1) Rh^T),
//        1: h~ = g(Xh + Wbh + rt * (Ht-1 Rh^T + Rbh));
//        Ht = (1 - zt) * h~ + zt * Ht-1.
// kiln's dynamic batch is the first dimension: with layout 0, X (seq,
// batch, input) has a dynamic batch only as the Transpose of a batch-first
// tensor that exporters write (PyTorch's batch_first, tf2onnx's Keras
// LSTM), which the importer holds batch-first (OnnxValue::layout); the
// outputs then stay held so, until the exporter's Transpose, Squeeze or
// Slice brings the batch back to the front. X's batch may also be merged
// with other dimensions (timm's Sequencer2d, (W, N * H, C)): the op runs
// over the N * H rows (MergedRows), from zero states only.
//
// Not supported (an error naming it): sequence_lens (but one known when
// compiling that gives every sequence its full length), LSTM's peepholes P,
// input_forget, clip, activation_alpha/beta and activations other than
// Relu, Tanh and Sigmoid.
//===----------------------------------------------------------------------===//

#include "frontend/RecurrentLoop.h"
#include "frontend/onnx/OnnxOps.h"

#include "dialects/kiln/IR/KilnDialect.h"
#include "dialects/kiln/Model/ImportedModel.h"

#include "onnx/onnx_pb.h"

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::onnx_import;

namespace {

enum class Kind { Rnn, Lstm, Gru };

/// The number of gates of a cell (rows of W per direction, in units).
constexpr int64_t numGates(Kind kind) {
  return kind == Kind::Lstm ? 4 : kind == Kind::Gru ? 3 : 1;
}

/// The number of activations per direction.
constexpr int64_t numActivations(Kind kind) {
  return kind == Kind::Lstm ? 3 : kind == Kind::Gru ? 2 : 1;
}

enum class Activation { Relu, Tanh, Sigmoid };

/// One direction's parameters and settings.
struct Direction {
  bool reverse = false;
  /// W^T (input, G * hidden), R^T (hidden, G * hidden).
  Value kernel, recurrent;
  /// GRU without linear_before_reset: R^T's columns of z and r, and of h.
  Value recurrentZR, recurrentH;
  /// What the projection adds (Wb + Rb, or Wb alone for GRU with
  /// linear_before_reset), and GRU's Rb inside the reset (G * hidden).
  Value inputBias, recurrentBias;
  /// f, g, h.
  SmallVector<Activation, 3> activations;
  /// h0 and LSTM's c0, (batch, hidden).
  SmallVector<Value, 2> initial;
};

/// Emits a cell's math at the node builder's insertion point.
struct CellMath {
  NodeBuilder &node;
  Kind kind;
  int64_t hidden;
  bool linearBeforeReset;

  OpBuilder &b() { return node.builder; }
  Location loc() { return node.loc; }
  Value add(Value x, Value y) { return AddOp::create(b(), loc(), x, y); }
  Value mul(Value x, Value y) { return MulOp::create(b(), loc(), x, y); }
  Value matmul(Value x, Value w) { return MatMulOp::create(b(), loc(), x, w); }
  /// Gate `k` of `count` hidden-wide gates along the last axis of z.
  Value gate(Value z, int64_t k, int64_t count = 1) {
    return SliceOp::create(b(), loc(), z, -1, k * hidden, count * hidden);
  }
  Value act(Activation a, Value x) {
    switch (a) {
    case Activation::Relu:
      return ReluOp::create(b(), loc(), x);
    case Activation::Tanh:
      return TanhOp::create(b(), loc(), x);
    case Activation::Sigmoid:
      return SigmoidOp::create(b(), loc(), x);
    }
    llvm_unreachable("activation");
  }

  /// One step from the projected input `x` (batch, G * hidden) and the
  /// states; appends the new states to `next` and returns Ht.
  Value step(const Direction &d, Value x, ValueRange states,
             SmallVectorImpl<Value> &next) {
    Value h = states[0];
    ArrayRef<Activation> a = d.activations;
    switch (kind) {
    case Kind::Rnn: {
      Value out = act(a[0], add(x, matmul(h, d.recurrent)));
      next.push_back(out);
      return out;
    }
    case Kind::Lstm: {
      // One statement per op, so that the IR's order is the source's.
      Value z = add(x, matmul(h, d.recurrent));
      Value i = act(a[0], gate(z, 0));
      Value o = act(a[0], gate(z, 1));
      Value f = act(a[0], gate(z, 2));
      Value candidate = act(a[1], gate(z, 3));
      Value kept = mul(f, states[1]);
      Value c = add(kept, mul(i, candidate));
      Value out = mul(o, act(a[2], c));
      next.append({out, c});
      return out;
    }
    case Kind::Gru: {
      Value zr, rh;
      if (linearBeforeReset) {
        Value inner = matmul(h, d.recurrent);
        if (d.recurrentBias)
          inner = add(inner, d.recurrentBias);
        zr = gate(inner, 0, 2);
        rh = gate(inner, 2);
      } else {
        zr = matmul(h, d.recurrentZR);
      }
      Value xzr = add(gate(x, 0, 2), zr);
      Value z = act(a[0], gate(xzr, 0));
      Value r = act(a[0], gate(xzr, 1));
      Value reset = linearBeforeReset ? mul(r, rh) : mul(r, h);
      if (!linearBeforeReset)
        reset = matmul(reset, d.recurrentH);
      Value hh = act(a[1], add(gate(x, 2), reset));
      // (1 - z) * h~ + z * Ht-1
      Value keep = SubOp::create(b(), loc(), node.scalar(1.0), z);
      Value updated = mul(keep, hh);
      Value out = add(updated, mul(z, h));
      next.push_back(out);
      return out;
    }
    }
    llvm_unreachable("cell kind");
  }
};

/// The node's `activations`, one list per direction; the defaults when
/// absent.
FailureOr<SmallVector<SmallVector<Activation, 3>, 2>>
readActivations(NodeBuilder &node, Kind kind, int64_t directions) {
  int64_t perDirection = numActivations(kind);
  SmallVector<std::string> names;
  if (const onnx::AttributeProto *attr = node.attribute("activations")) {
    if (attr->type() != onnx::AttributeProto::STRINGS) {
      node.emitError() << "attribute 'activations' must be a list of strings";
      return failure();
    }
    names.assign(attr->strings().begin(), attr->strings().end());
    if (int64_t(names.size()) != perDirection * directions) {
      node.emitError() << "'activations' has " << names.size()
                       << " entries; expected " << perDirection * directions
                       << " (" << perDirection << " per direction)";
      return failure();
    }
  } else {
    static const char *const defaults[] = {"Sigmoid", "Tanh", "Tanh"};
    for (int64_t d = 0; d < directions; ++d)
      for (int64_t i = 0; i < perDirection; ++i)
        names.push_back(kind == Kind::Rnn ? "Tanh" : defaults[i]);
  }
  SmallVector<SmallVector<Activation, 3>, 2> result(directions);
  for (auto [i, name] : llvm::enumerate(names)) {
    StringRef n = name;
    std::optional<Activation> a;
    if (n.equals_insensitive("Relu"))
      a = Activation::Relu;
    else if (n.equals_insensitive("Tanh"))
      a = Activation::Tanh;
    else if (n.equals_insensitive("Sigmoid"))
      a = Activation::Sigmoid;
    if (!a) {
      node.emitError() << "activation '" << n
                       << "' is not supported (Relu, Tanh and Sigmoid are)";
      return failure();
    }
    result[i / perDirection].push_back(*a);
  }
  return result;
}

/// Refuses the attributes and inputs kiln does not implement (but
/// sequence_lens, which needs the sequence length).
LogicalResult checkUnsupported(NodeBuilder &node, Kind kind) {
  for (StringRef name : {"activation_alpha", "activation_beta", "clip"})
    if (node.attribute(name)) {
      node.emitError() << "attribute '" << name << "' is not supported";
      return failure();
    }
  if (kind == Kind::Lstm) {
    FailureOr<int64_t> inputForget = node.getInt("input_forget", 0);
    if (failed(inputForget))
      return failure();
    if (*inputForget) {
      node.emitError() << "input_forget = " << *inputForget
                       << " (coupled input and forget gates) is not "
                          "supported";
      return failure();
    }
  }
  if (kind == Kind::Lstm && node.hasInput(7)) {
    node.emitError() << "peepholes (input 7, P, '" << node.node.input(7)
                     << "') are not supported";
    return failure();
  }
  return success();
}

/// Whether output `i` is named.
bool wantsOutput(NodeBuilder &node, int64_t i) {
  return i < node.node.output_size() && !node.node.output(i).empty();
}

/// `v`'s shape for an error: (a, b, c), None for the dynamic batch.
std::string shapeText(NodeBuilder &node, Value v) {
  return formatKerasShape(node.typeOf(v).getShape());
}

/// The rows of X of layout 0, (seq, N * K, input), held batch-first with
/// the batch merged with other dimensions (timm's Sequencer runs its LSTMs
/// over the N * H rows of (N, H, W, C)): the op runs over the N * K rows
/// as its batch, (N * K, seq, input) (kiln's reshape merges the batch with
/// the K copies), and its outputs are held with the rows split back into
/// (N, k...). `group` is the merged file dimension's held layout in such
/// an output (0 the batch, 1... the k atoms), `copyShape` the k sizes.
struct MergedRows {
  SmallVector<int64_t> group, copyShape;
};

/// True when operand `i` is held with the batch merged with other
/// dimensions in its file dimension `dim`.
static bool mergesRows(NodeBuilder &node, int64_t i, int64_t dim) {
  if (!node.heldTransposed(i))
    return false;
  FailureOr<HeldValue> x = node.heldInput(i);
  if (failed(x))
    return false;
  SmallVector<HeldDim> dims = node.heldDims(*x);
  return int64_t(dims.size()) > dim && dims[dim].batch && dims[dim].factor > 1;
}

/// A held tensor of zeros (ConstantOfShape of the dynamic batch, reshaped
/// or transposed).
static bool isZeros(Value v) {
  while (Operation *op = v.getDefiningOp()) {
    if (isa<ZerosOp>(op))
      return true;
    if (!isa<ReshapeOp, TransposeOp>(op))
      return false;
    v = op->getOperand(0);
  }
  return false;
}

/// `v` (N * K, r...), an output whose rows are X's merged rows, held as
/// (N, k..., r...): the rows file dimension `rowsDim`, the r dimensions
/// the others in order.
static OnnxValue mergedRowsOutput(NodeBuilder &node, const MergedRows &rows,
                                  Value v, int64_t rowsDim) {
  SmallVector<int64_t> held{ShapedType::kDynamic};
  llvm::append_range(held, rows.copyShape);
  llvm::append_range(held, node.typeOf(v).getShape().drop_front());
  return node.fromMergedBatch(node.reshape(v, held), rows.group, rowsDim);
}

template <Kind K> FailureOr<NodeOutputs> importRecurrent(NodeBuilder &node) {
  OpBuilder &b = node.builder;
  Location loc = node.loc;
  constexpr int64_t gates = numGates(K);
  if (failed(checkUnsupported(node, K)))
    return failure();
  FailureOr<int64_t> hiddenAttr = node.getInt("hidden_size", -1);
  FailureOr<std::string> direction = node.getString("direction", "forward");
  FailureOr<int64_t> layout = node.getInt("layout", 0);
  FailureOr<int64_t> lbr = node.getInt("linear_before_reset", 0);
  if (failed(hiddenAttr) || failed(direction) || failed(layout) || failed(lbr))
    return failure();
  SmallVector<bool, 2> reverse;
  if (*direction == "forward") {
    reverse = {false};
  } else if (*direction == "reverse") {
    reverse = {true};
  } else if (*direction == "bidirectional") {
    reverse = {false, true};
  } else {
    node.emitError() << "direction '" << *direction
                     << "' is not forward, reverse or bidirectional";
    return failure();
  }
  if (*layout != 0 && *layout != 1) {
    node.emitError() << "layout " << *layout << " is not 0 or 1";
    return failure();
  }
  bool batchFirst = *layout == 1;
  int64_t numDirections = reverse.size();
  FailureOr<SmallVector<SmallVector<Activation, 3>, 2>> activations =
      readActivations(node, K, numDirections);
  if (failed(activations))
    return failure();

  // X batch-major: (batch, seq, input) as layout 1 has it, or layout 0's
  // (seq, batch, input) transposed. A dynamic batch reaches layout 0 only
  // held batch-first (a Transpose of a batch-first tensor, see
  // OnnxValue::layout), kiln's batch being the first dimension.
  FailureOr<std::pair<SmallVector<int64_t>, OnnxType>> xInfo =
      node.inputInfo(0);
  if (failed(xInfo))
    return failure();
  ArrayRef<int64_t> fileShape = xInfo->first;
  if (fileShape.size() != 3 ||
      ShapedType::isDynamic(fileShape[batchFirst ? 1 : 0]) ||
      ShapedType::isDynamic(fileShape[2])) {
    node.emitError() << "expects X "
                     << (batchFirst ? "(batch, seq_length, input_size)"
                                    : "(seq_length, batch, input_size)")
                     << " with known seq_length and input_size, got "
                     << formatKerasShape(fileShape)
                     << (batchFirst ? ""
                                    : " (kiln's dynamic batch is the first "
                                      "dimension of the model's inputs: fix "
                                      "the sequence length with "
                                      "--input-shape)");
    return failure();
  }
  std::optional<MergedRows> rows;
  FailureOr<Value> x = failure();
  if (!batchFirst && mergesRows(node, 0, 1)) {
    FailureOr<HeldValue> held = node.heldInput(0);
    if (failed(held))
      return failure();
    FailureOr<HeldValue> h = node.heldAxesLast(*held, {0, 2});
    if (failed(h))
      return failure();
    // (N, k..., seq, input) -> (N * K, seq, input).
    ArrayRef<int64_t> hShape = node.typeOf(h->value).getShape();
    rows.emplace();
    rows->group.assign(h->layout.group(1).begin(), h->layout.group(1).end());
    rows->copyShape.assign(hShape.begin() + 1, hShape.end() - 2);
    x = node.reshape(h->value,
                     {ShapedType::kDynamic, fileShape[0], fileShape[2]});
  } else {
    x = batchFirst ? node.input(0) : node.transposedInput(0, {1, 0, 2});
  }
  FailureOr<Value> w = node.input(1);
  FailureOr<Value> r = node.input(2);
  if (failed(x) || failed(w) || failed(r))
    return failure();
  ArrayRef<int64_t> xShape = node.typeOf(*x).getShape();
  int64_t steps = xShape[1];
  int64_t batch = xShape[0];
  int64_t inputSize = xShape[2];
  // sequence_lens: only the full length of every sequence (what its
  // absence means), known when compiling.
  if (node.hasInput(4)) {
    const HostTensor *lens = node.known(4);
    if (!lens || !llvm::all_of(lens->values,
                               [&](double v) { return v == double(steps); })) {
      node.emitError() << "sequence_lens (input 4, '" << node.node.input(4)
                       << "') is not supported unless it is known when "
                          "compiling and gives every sequence its full "
                          "length ("
                       << steps << " steps)";
      return failure();
    }
  }
  // R (D, G * H, H) gives the hidden size.
  ArrayRef<int64_t> rShape = node.typeOf(*r).getShape();
  int64_t hidden = rShape.size() == 3 ? rShape[2] : -1;
  if (hidden <= 0 || (*hiddenAttr != -1 && *hiddenAttr != hidden) ||
      ArrayRef<int64_t>(rShape) !=
          ArrayRef<int64_t>{numDirections, gates * hidden, hidden}) {
    node.emitError() << "R " << shapeText(node, *r)
                     << " is not (num_directions = " << numDirections << ", "
                     << gates << " * hidden_size, hidden_size)"
                     << (*hiddenAttr != -1 ? " with hidden_size " +
                                                 std::to_string(*hiddenAttr)
                                           : std::string());
    return failure();
  }
  if (node.typeOf(*w).getShape() !=
      ArrayRef<int64_t>{numDirections, gates * hidden, inputSize}) {
    node.emitError() << "W " << shapeText(node, *w) << " is not ("
                     << numDirections << ", " << gates * hidden << ", "
                     << inputSize << ")";
    return failure();
  }
  Value bias;
  if (node.hasInput(3)) {
    FailureOr<Value> v = node.input(3);
    if (failed(v))
      return failure();
    if (node.typeOf(*v).getShape() !=
        ArrayRef<int64_t>{numDirections, 2 * gates * hidden}) {
      node.emitError() << "B " << shapeText(node, *v) << " is not ("
                       << numDirections << ", " << 2 * gates * hidden << ")";
      return failure();
    }
    bias = *v;
  }

  Type f32 = b.getF32Type();
  auto tensor = [&](ArrayRef<int64_t> shape) {
    return RankedTensorType::get(shape, f32);
  };
  auto reshape = [&](Value v, ArrayRef<int64_t> shape) -> Value {
    if (v.getType() == tensor(shape))
      return v;
    return ReshapeOp::create(b, loc, tensor(shape), v);
  };
  // Direction d's slice of a (D, ...) tensor along `axis`, as `shape`.
  auto directionOf = [&](Value v, int64_t axis, int64_t d,
                         ArrayRef<int64_t> shape) {
    if (numDirections > 1)
      v = SliceOp::create(b, loc, v, axis, d, 1);
    return reshape(v, shape);
  };

  Value xb = *x;
  // Initial states batch-major, (batch, D, H): layout 1's, or layout 0's
  // (D, batch, H) transposed.
  int64_t numStates = K == Kind::Lstm ? 2 : 1;
  SmallVector<int64_t> stateShape = {batch, hidden};
  SmallVector<Value, 2> initialStates;
  for (int64_t s = 0; s < numStates; ++s) {
    int64_t index = 5 + s;
    if (!node.hasInput(index)) {
      initialStates.push_back({});
      continue;
    }
    FailureOr<std::pair<SmallVector<int64_t>, OnnxType>> info =
        node.inputInfo(index);
    if (failed(info))
      return failure();
    SmallVector<int64_t> expected =
        batchFirst ? SmallVector<int64_t>{batch, numDirections, hidden}
                   : SmallVector<int64_t>{numDirections, batch, hidden};
    if (info->first != expected) {
      node.emitError() << (s ? "initial_c " : "initial_h ")
                       << formatKerasShape(info->first) << " is not "
                       << formatKerasShape(expected);
      return failure();
    }
    if (rows) {
      // Merged rows start from zeros (Sequencer's ConstantOfShape); a
      // state computed per row would need its rows in X's order.
      FailureOr<HeldValue> held = mergesRows(node, index, 1)
                                      ? node.heldInput(index)
                                      : FailureOr<HeldValue>(failure());
      if (failed(held) || !isZeros(held->value)) {
        node.emitError() << (s ? "initial_c" : "initial_h")
                         << " of X's rows merged with the batch is "
                            "supported as zeros only";
        return failure();
      }
      initialStates.push_back({});
      continue;
    }
    FailureOr<Value> v =
        batchFirst ? node.input(index) : node.transposedInput(index, {1, 0, 2});
    if (failed(v))
      return failure();
    initialStates.push_back(*v);
  }

  CellMath math{node, K, hidden, K == Kind::Gru && *lbr != 0};
  bool wantY = wantsOutput(node, 0);
  SmallVector<Value, 2> ys;
  SmallVector<SmallVector<Value, 2>, 2> finals;
  for (int64_t d = 0; d < numDirections; ++d) {
    Direction dir;
    dir.reverse = reverse[d];
    dir.activations = (*activations)[d];
    dir.kernel = TransposeOp::create(
        b, loc, directionOf(*w, 0, d, {gates * hidden, inputSize}), {1, 0});
    dir.recurrent = TransposeOp::create(
        b, loc, directionOf(*r, 0, d, {gates * hidden, hidden}), {1, 0});
    if (K == Kind::Gru && !math.linearBeforeReset) {
      // Sliced here, outside the loop.
      dir.recurrentZR = math.gate(dir.recurrent, 0, 2);
      dir.recurrentH = math.gate(dir.recurrent, 2);
    }
    if (bias) {
      Value bd = directionOf(bias, 0, d, {2 * gates * hidden});
      Value wb = SliceOp::create(b, loc, bd, 0, 0, gates * hidden);
      Value rb = SliceOp::create(b, loc, bd, 0, gates * hidden, gates * hidden);
      if (math.linearBeforeReset) {
        dir.inputBias = wb;
        dir.recurrentBias = rb;
      } else {
        dir.inputBias = AddOp::create(b, loc, wb, rb);
      }
    }
    for (Value init : initialStates) {
      if (!init) {
        dir.initial.push_back(ZerosOp::create(b, loc, tensor(stateShape), xb));
        continue;
      }
      dir.initial.push_back(directionOf(init, 1, d, stateShape));
    }
    // The input projection of every step: one matmul.
    Value projected = MatMulOp::create(b, loc, xb, dir.kernel);
    if (dir.inputBias)
      projected = AddOp::create(b, loc, projected, dir.inputBias);
    Value sequence;
    if (wantY)
      sequence = ZerosOp::create(b, loc, tensor({batch, steps, hidden}), xb);
    TimeLoopOptions options{steps, dir.reverse, /*inputOrder=*/true};
    scf::ForOp loop =
        buildTimeLoop(b, loc, options, dir.initial, sequence,
                      [&](Location l, Value read, ValueRange states,
                          SmallVectorImpl<Value> &next) {
                        Value xt =
                            SequenceStepOp::create(b, l, projected, read);
                        return math.step(dir, xt, states, next);
                      });
    ValueRange results = loop.getResults();
    finals.emplace_back(results.take_front(numStates));
    if (wantY)
      ys.push_back(results.back());
  }

  // Outputs in ONNX's layout: for layout 0 (seq, D, batch, H) and (D,
  // batch, H), held batch-first when the batch is dynamic.
  NodeOutputs outputs;
  if (wantY) {
    // (batch, seq, H) per direction -> (batch, seq, D, H) -> layout 0's
    // (seq, D, batch, H).
    SmallVector<Value, 2> parts;
    for (Value y : ys)
      parts.push_back(reshape(y, {batch, steps, 1, hidden}));
    Value y = parts.size() == 1 ? parts[0]
                                : Value(ConcatOp::create(b, loc, parts, 2));
    outputs.push_back(rows         ? mergedRowsOutput(node, *rows, y, 2)
                      : batchFirst ? OnnxValue::ofValue(y)
                                   : node.permuted(y, {2, 0, 1, 3}));
  } else {
    outputs.push_back(OnnxValue{});
  }
  for (int64_t s = 0; s < numStates; ++s) {
    if (!wantsOutput(node, 1 + s)) {
      outputs.push_back(OnnxValue{});
      continue;
    }
    // (batch, H) per direction -> (batch, D, H) -> layout 0's (D, batch, H).
    SmallVector<Value, 2> parts;
    for (ArrayRef<Value> f : finals)
      parts.push_back(reshape(f[s], {batch, 1, hidden}));
    Value state = parts.size() == 1 ? parts[0]
                                    : Value(ConcatOp::create(b, loc, parts, 1));
    outputs.push_back(rows         ? mergedRowsOutput(node, *rows, state, 1)
                      : batchFirst ? OnnxValue::ofValue(state)
                                   : node.permuted(state, {1, 0, 2}));
  }
  return outputs;
}

} // namespace

void mlir::kiln::onnx_import::registerRecurrentOps(OpRegistry &r) {
  // `layout` (last in each list) exists since opset 14.
  static constexpr StringLiteral rnn[] = {
      "activation_alpha", "activation_beta", "activations", "clip",
      "direction",        "hidden_size",     "layout"};
  static constexpr StringLiteral lstm[] = {
      "activation_alpha", "activation_beta", "activations",  "clip",
      "direction",        "hidden_size",     "input_forget", "layout"};
  static constexpr StringLiteral gru[] = {
      "activation_alpha", "activation_beta", "activations",         "clip",
      "direction",        "hidden_size",     "linear_before_reset", "layout"};
  // sequence_lens (operand 4) is read when compiling.
  constexpr uint32_t known = 1u << 4;
  r["RNN"].push_back(OpKind{7, 13, importRecurrent<Kind::Rnn>,
                            ArrayRef(rnn).drop_back(), known});
  r["RNN"].push_back(OpKind{14, kNewestOpset, importRecurrent<Kind::Rnn>, rnn, known});
  r["LSTM"].push_back(OpKind{7, 13, importRecurrent<Kind::Lstm>,
                             ArrayRef(lstm).drop_back(), known});
  r["LSTM"].push_back(OpKind{14, kNewestOpset, importRecurrent<Kind::Lstm>, lstm, known});
  r["GRU"].push_back(OpKind{7, 13, importRecurrent<Kind::Gru>,
                            ArrayRef(gru).drop_back(), known});
  r["GRU"].push_back(OpKind{14, kNewestOpset, importRecurrent<Kind::Gru>, gru, known});
}
