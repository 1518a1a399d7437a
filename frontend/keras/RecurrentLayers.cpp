//===- RecurrentLayers.cpp - Keras recurrent layers -------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// SimpleRNN, and RNN over a SimpleRNNCell or a list of them (Keras's
// StackedRNNCells), as one `scf.for` over the time steps:
//  - the first cell's input projection x @ kernel + bias is one matmul over
//    all steps before the loop; the loop reads its step with
//    `kiln.sequence_step` (from the end with `go_backwards`);
//  - each step computes, cell by cell, h_i = act(in_i @ kernel_i + bias_i +
//    h_i @ recurrent_kernel_i) (Keras's order of additions), in_0 the
//    projected step, in_i the previous cell's new state;
//  - the states start at zero (`kiln.zeros`), or at the layer's
//    `initial_state` tensors (its further inputs); with `return_sequences` the
//    last cell's states are collected with `kiln.sequence_insert`, in
//    processing order, as Keras does for `go_backwards` too.
// Outputs: the sequence or the last state, then with `return_state` each
// cell's final state. Autodiff reverses the loop (BPTT).
//
// `dropout` and `recurrent_dropout` (training only) multiply a cell's input
// and h_{t-1} by masks drawn once per sequence, as Keras 3's
// DropoutRNNCell: one mask each, or one per gate (gate g reads x * m_g @
// kernel_g, h * r_g @ recurrent_g) where Keras 3 runs implementation 1
// (LSTM and GRU with recurrent_dropout, or `implementation: 1`).
//
// Keras 3 keeps the weights in the cells: `<layer>/cell/vars` for
// SimpleRNN and RNN(cell), `<layer>/cell/cells/<cell name>/vars` for a list
// of cells (the kind's weightScopes); tfjs names them `rnn/RNNCell_0/...`.
//===----------------------------------------------------------------------===//

#include "frontend/RecurrentLoop.h"
#include "frontend/keras/KerasLayers.h"

#include "dialects/kiln/IR/KilnDialect.h"
#include "dialects/kiln/Model/ImportedModel.h"

#include "llvm/ADT/StringSwitch.h"

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::keras;

namespace {

/// What a cell computes, per Keras 3's cells (keras/src/layers/rnn/):
///  SimpleRNN: h = act(x@K + b + h@R)
///  LSTM:      z = x@K + h@R + b, gates (i, f, c, o) = split(z, 4),
///             c = rec(f) * c + rec(i) * act(z_c), h = rec(o) * act(c)
///  GRU:       xz, xr, xh = split(x@K + b_in, 3); with reset_after (Keras's
///             default, bias (2, 3U)): rz, rr, rh = split(h@R + b_rec, 3),
///             hh = act(xh + rec(xr + rr) * rh); without (bias (3U)):
///             hh = act(xh + (rec(xr + h@R_r) * h) @ R_h);
///             h = z * h + (1 - z) * hh, z = rec(xz + rz)
enum class CellKind { SimpleRnn, Lstm, Gru };

/// Number of carried states (LSTM: h and c).
int64_t statesOf(CellKind kind) { return kind == CellKind::Lstm ? 2 : 1; }

/// One cell of a recurrent layer: its config (the layer's own for
/// SimpleRNN) and its Keras 3 weight scope.
struct Cell {
  const llvm::json::Object *config;
  std::string name;
  std::string scope;
  CellKind kind;
  /// Inside a container with `trainable: false` (StackedRNNCells): its
  /// weights are frozen whatever its own config says.
  bool frozen = false;
  /// Its part of its parameters' names, when the layer has several cells
  /// (the cell's name; Bidirectional's "forward_lstm", "backward_lstm").
  std::string nameScope = "";
};

/// The keys every cell reads (besides name/trainable/dtype).
constexpr StringLiteral kCellKeys[] = {"units",
                                       "activation",
                                       "use_bias",
                                       "kernel_initializer",
                                       "recurrent_initializer",
                                       "bias_initializer",
                                       "kernel_regularizer",
                                       "recurrent_regularizer",
                                       "bias_regularizer",
                                       "kernel_constraint",
                                       "recurrent_constraint",
                                       "bias_constraint",
                                       "dropout",
                                       "recurrent_dropout",
                                       "seed"};
/// LSTM's and GRU's own (`implementation` only picks Keras's kernels).
constexpr StringLiteral kLstmKeys[] = {"recurrent_activation",
                                       "unit_forget_bias", "implementation"};
constexpr StringLiteral kGruKeys[] = {"recurrent_activation", "reset_after",
                                      "implementation"};
/// The loop's (RNN and the layers that wrap one cell).
constexpr StringLiteral kLoopKeys[] = {
    "return_sequences", "return_state", "go_backwards",
    "stateful",         "unroll",       "zero_output_for_mask"};

/// A cell kind's own config keys.
ArrayRef<StringLiteral> kindKeys(CellKind kind) {
  switch (kind) {
  case CellKind::Lstm:
    return kLstmKeys;
  case CellKind::Gru:
    return kGruKeys;
  case CellKind::SimpleRnn:
    return {};
  }
  llvm_unreachable("cell kind");
}

/// A config value that changes nothing: absent, null, false or 0.
bool isUnset(const llvm::json::Value *value) {
  return !value || value->kind() == llvm::json::Value::Null ||
         value->getAsBoolean() == std::optional<bool>(false) ||
         value->getAsNumber() == std::optional<double>(0.0);
}

/// The cell list of an RNN config: `cell` (one cell, or StackedRNNCells
/// with `cells`), or tfjs's `cells` list. Empty after an error.
SmallVector<const llvm::json::Object *>
cellObjects(const llvm::json::Object &config) {
  SmallVector<const llvm::json::Object *> cells;
  auto addList = [&](const llvm::json::Array *list) {
    for (const llvm::json::Value &v : *list)
      if (const llvm::json::Object *o = v.getAsObject())
        cells.push_back(o);
  };
  if (const llvm::json::Object *cell = config.getObject("cell")) {
    const llvm::json::Object *inner = cell->getObject("config");
    if (cell->getString("class_name") == "StackedRNNCells" && inner) {
      if (const llvm::json::Array *list = inner->getArray("cells"))
        addList(list);
    } else {
      cells.push_back(cell);
    }
  } else if (const llvm::json::Array *list = config.getArray("cell")) {
    addList(list);
  } else if (const llvm::json::Array *list = config.getArray("cells")) {
    addList(list);
  }
  return cells;
}

/// Keras 3 scopes of an RNN's cells.
std::vector<std::string> rnnScopes(const llvm::json::Object &config) {
  SmallVector<const llvm::json::Object *> cells = cellObjects(config);
  const llvm::json::Object *cell = config.getObject("cell");
  bool stacked = cells.size() > 1 || !cell ||
                 cell->getString("class_name") == "StackedRNNCells";
  std::vector<std::string> scopes;
  for (const llvm::json::Object *c : cells) {
    const llvm::json::Object *inner = c->getObject("config");
    std::optional<StringRef> name =
        inner ? inner->getString("name") : std::nullopt;
    scopes.push_back(stacked ? "cell/cells/" + name.value_or("").str()
                             : "cell");
  }
  return scopes;
}

/// Keras 3 scope of SimpleRNN/LSTM/GRU's weights: their cell.
std::vector<std::string> simpleRnnScopes(const llvm::json::Object &) {
  return {"cell"};
}

/// A cell's parameters and settings.
struct BuiltCell {
  CellKind kind;
  int64_t units;
  StringRef activation, recurrentActivation;
  bool resetAfter = false;
  Value kernel, recurrent, bias;
  /// `dropout` and `recurrent_dropout` (0: none), and how many masks each
  /// draws: one per gate where Keras 3 uses implementation 1 (LSTM, GRU
  /// with recurrent_dropout or `implementation: 1`), else one.
  double dropout = 0, recurrentDropout = 0;
  int64_t numMasks = 1;
  /// The masks, (batch, features) and (batch, units): kiln.dropout of ones,
  /// drawn once per sequence before the loop (ones in inference).
  SmallVector<Value> inputMasks, recurrentMasks;
  /// Number of gates (columns of the kernel = gates * units).
  int64_t gates() const {
    return kind == CellKind::Lstm ? 4 : kind == CellKind::Gru ? 3 : 1;
  }
  int64_t states() const { return statesOf(kind); }
};

/// A string config value (an activation), `fallback` when absent or null.
FailureOr<StringRef> stringSetting(LayerBuilder &layer, const Cell &cell,
                                   StringRef key, StringRef fallback) {
  const llvm::json::Value *v = cell.config->get(key);
  if (!v || v->kind() == llvm::json::Value::Null)
    return fallback;
  if (std::optional<StringRef> s = v->getAsString())
    return *s;
  layer.emitError() << "cell '" << cell.name << "': custom (non-string) '"
                    << key << "' is not supported";
  return failure();
}

/// Reads a cell's settings and adds its parameters.
FailureOr<BuiltCell> buildCell(LayerBuilder &layer, const Cell &cell,
                               CellKind kind, int64_t inFeatures) {
  const llvm::json::Object &config = *cell.config;
  std::optional<int64_t> units = config.getInteger("units");
  if (!units || *units <= 0 || *units > (1 << 20)) {
    layer.emitError() << "cell '" << cell.name
                      << "': 'units' must be a positive integer";
    return failure();
  }
  double rates[2] = {0, 0};
  static constexpr StringLiteral rateKeys[] = {"dropout", "recurrent_dropout"};
  for (size_t i = 0; i < 2; ++i) {
    StringRef key = rateKeys[i];
    const llvm::json::Value *v = config.get(key);
    if (isUnset(v))
      continue;
    std::optional<double> rate = v->getAsNumber();
    if (!rate || !(*rate > 0 && *rate < 1)) {
      layer.emitError() << "cell '" << cell.name << "': '" << key
                        << "' must be a number in [0, 1)";
      return failure();
    }
    rates[i] = *rate;
  }
  FailureOr<StringRef> activation =
      stringSetting(layer, cell, "activation", "tanh");
  FailureOr<StringRef> recurrentActivation =
      stringSetting(layer, cell, "recurrent_activation", "sigmoid");
  if (failed(activation) || failed(recurrentActivation))
    return failure();
  BuiltCell c{kind, *units, *activation, *recurrentActivation};
  c.resetAfter =
      kind == CellKind::Gru && config.getBoolean("reset_after").value_or(true);
  c.dropout = rates[0];
  c.recurrentDropout = rates[1];
  if (kind != CellKind::SimpleRnn &&
      (c.recurrentDropout > 0 || config.getInteger("implementation") == 1))
    c.numMasks = c.gates();
  int64_t width = c.gates() * *units;
  layer.setWeightScope(cell.scope, config, cell.nameScope);
  // Keras trains a weight only if every layer above it is trainable: the
  // layer (LayerBuilder::isTrainable), and here the cell, or the layer
  // Bidirectional wraps, and a StackedRNNCells.
  auto role = cell.frozen || !config.getBoolean("trainable").value_or(true)
                  ? LayerBuilder::ParamRole::Fixed
                  : LayerBuilder::ParamRole::Weight;
  FailureOr<Value> kernel =
      layer.addParam("kernel", {inFeatures, width}, "kernel_initializer",
                     "glorot_uniform", role);
  if (failed(kernel))
    return failure();
  FailureOr<Value> recurrent =
      layer.addParam("recurrent_kernel", {*units, width},
                     "recurrent_initializer", "orthogonal", role);
  if (failed(recurrent))
    return failure();
  c.kernel = *kernel;
  c.recurrent = *recurrent;
  if (config.getBoolean("use_bias").value_or(true)) {
    SmallVector<int64_t> shape{width};
    if (c.resetAfter)
      shape = {2, width};
    // LSTM's unit_forget_bias (default true): the forget gate's bias
    // starts at one.
    bool forgetOnes = kind == CellKind::Lstm &&
                      config.getBoolean("unit_forget_bias").value_or(true);
    int64_t u = *units;
    FailureOr<Value> bias = layer.addParam(
        "bias", shape, "bias_initializer", "zeros", role,
        [&](std::vector<float> &values) {
          if (forgetOnes)
            std::fill(values.begin() + u, values.begin() + 2 * u, 1.0f);
        });
    if (failed(bias))
      return failure();
    c.bias = *bias;
  }
  return c;
}

/// Emits recurrent layer math at the layer builder's insertion point.
struct CellMath {
  LayerBuilder &layer;
  Location loc;
  bool failedActivation = false;

  OpBuilder &b() { return layer.builder; }
  Value act(StringRef name, Value x) {
    FailureOr<Value> y = buildActivation(layer, name, x);
    failedActivation |= failed(y);
    return succeeded(y) ? *y : x;
  }
  /// Gate `k` of `units` columns of z.
  Value gate(Value z, int64_t k, int64_t units) {
    return SliceOp::create(b(), loc, z, 1, k * units, units);
  }
  /// Row `row` of a (2, W) bias, as (W).
  Value biasRow(Value bias, int64_t row) {
    auto type = cast<RankedTensorType>(bias.getType());
    Value r = SliceOp::create(b(), loc, bias, 0, row, 1);
    return ReshapeOp::create(
        b(), loc,
        RankedTensorType::get({type.getDimSize(1)}, type.getElementType()), r);
  }
  Value add(Value x, Value y) { return AddOp::create(b(), loc, x, y); }
  Value mul(Value x, Value y) { return MulOp::create(b(), loc, x, y); }
  Value matmul(Value x, Value w) { return MatMulOp::create(b(), loc, x, w); }

  /// x * mask, a (batch, n) mask broadcast over the steps of a sequence.
  Value masked(Value x, Value mask) {
    auto type = cast<RankedTensorType>(x.getType());
    if (type.getRank() == 3) {
      auto maskType = cast<RankedTensorType>(mask.getType());
      mask = ReshapeOp::create(b(), loc,
                               RankedTensorType::get({maskType.getDimSize(0), 1,
                                                      maskType.getDimSize(1)},
                                                     maskType.getElementType()),
                               mask);
    }
    return mul(x, mask);
  }
  /// x @ w with dropout masks: (x * m) @ w for one mask, the gates'
  /// columns (x * m_g) @ w_g side by side for one per gate.
  Value maskedMatmul(Value x, Value w, ArrayRef<Value> masks, int64_t units) {
    if (masks.empty())
      return matmul(x, w);
    if (masks.size() == 1)
      return matmul(masked(x, masks[0]), w);
    SmallVector<Value> parts;
    for (auto [g, mask] : llvm::enumerate(masks))
      parts.push_back(matmul(masked(x, mask), gate(w, g, units)));
    auto type = cast<RankedTensorType>(x.getType());
    return ConcatOp::create(b(), loc, parts, type.getRank() - 1);
  }
  /// h_{t-1} as gate `g` reads it: masked by its recurrent dropout mask.
  Value recurrentInput(const BuiltCell &c, Value h, int64_t g) {
    if (c.recurrentMasks.empty())
      return h;
    return mul(
        h, c.recurrentMasks[std::min<size_t>(g, c.recurrentMasks.size() - 1)]);
  }

  /// The part of the cell's pre-activation that depends only on its input:
  /// what is hoisted out of the loop for the first cell.
  Value inputPart(const BuiltCell &c, Value in) {
    Value z = maskedMatmul(in, c.kernel, c.inputMasks, c.units);
    if (c.bias && c.kind == CellKind::SimpleRnn)
      z = add(z, c.bias);
    if (c.bias && c.kind == CellKind::Gru)
      z = add(z, c.resetAfter ? biasRow(c.bias, 0) : c.bias);
    return z;
  }

  /// One step of `c` from its input part `x` and states; appends the new
  /// states to `next` and returns the output h.
  Value step(const BuiltCell &c, Value x, ValueRange states,
             SmallVectorImpl<Value> &next) {
    Value h = states[0];
    int64_t u = c.units;
    switch (c.kind) {
    case CellKind::SimpleRnn: {
      Value out =
          act(c.activation,
              add(x, maskedMatmul(h, c.recurrent, c.recurrentMasks, u)));
      next.push_back(out);
      return out;
    }
    case CellKind::Lstm: {
      Value z = add(x, maskedMatmul(h, c.recurrent, c.recurrentMasks, u));
      if (c.bias)
        z = add(z, c.bias);
      FailureOr<std::pair<Value, Value>> updated = buildLstmUpdate(
          layer, z, states[1], u, 1, c.activation, c.recurrentActivation);
      failedActivation |= failed(updated);
      if (failed(updated))
        return h;
      next.append({updated->first, updated->second});
      return updated->first;
    }
    case CellKind::Gru: {
      Value xz = gate(x, 0, u), xr = gate(x, 1, u), xh = gate(x, 2, u);
      Value rz, rr, rh;
      if (c.resetAfter) {
        Value inner = maskedMatmul(h, c.recurrent, c.recurrentMasks, u);
        if (c.bias)
          inner = add(inner, biasRow(c.bias, 1));
        rz = gate(inner, 0, u);
        rr = gate(inner, 1, u);
        rh = gate(inner, 2, u);
      } else {
        rz = matmul(recurrentInput(c, h, 0), gate(c.recurrent, 0, u));
        rr = matmul(recurrentInput(c, h, 1), gate(c.recurrent, 1, u));
      }
      Value z = act(c.recurrentActivation, add(xz, rz));
      Value r = act(c.recurrentActivation, add(xr, rr));
      Value recurrentH = c.resetAfter ? mul(r, rh)
                                      : matmul(mul(r, recurrentInput(c, h, 2)),
                                               gate(c.recurrent, 2, u));
      Value hh = act(c.activation, add(xh, recurrentH));
      // z * h + (1 - z) * hh
      auto scalarType = RankedTensorType::get(
          {}, cast<RankedTensorType>(z.getType()).getElementType());
      Value one = ConstantOp::create(b(), loc,
                                     DenseElementsAttr::get(scalarType, 1.0f));
      Value out = add(mul(z, h), mul(SubOp::create(b(), loc, one, z), hh));
      next.push_back(out);
      return out;
    }
    }
    llvm_unreachable("cell kind");
  }
};

/// How the loop runs and what it returns.
struct LoopFlags {
  bool returnSequences = false;
  bool returnState = false;
  bool backwards = false;
  /// With `backwards`: collect the sequence in input order (Bidirectional's
  /// backward layer, whose output Keras flips back).
  bool inputOrder = false;
  /// Under a Keras mask: a masked step's output is zeros rather than the
  /// previous step's.
  bool zeroOutputForMask = false;

  /// The flags of a recurrent layer's config.
  static LoopFlags of(const llvm::json::Object &config) {
    return {config.getBoolean("return_sequences").value_or(false),
            config.getBoolean("return_state").value_or(false),
            config.getBoolean("go_backwards").value_or(false), false,
            config.getBoolean("zero_output_for_mask").value_or(false)};
  }
};

/// Builds the recurrent loop over `cells` on `x`, starting from
/// `initialStates` (every cell's states in order, each (batch, units)) or,
/// when there are none, from zeros. Under a Keras `mask` (batch, steps), as
/// Keras's rnn: a masked step leaves the states as they were, and its
/// output is the previous step's (zeros at first), or zeros with
/// `zeroOutputForMask`.
FailureOr<LayerOutputs> buildRecurrent(LayerBuilder &layer, Value x,
                                       ArrayRef<Cell> cells, LoopFlags flags,
                                       ValueRange initialStates = {},
                                       Value mask = {}) {
  OpBuilder &b = layer.builder;
  Location loc = layer.loc;
  auto xType = cast<RankedTensorType>(x.getType());
  if (xType.getRank() != 3 || xType.isDynamicDim(1) || xType.isDynamicDim(2)) {
    layer.emitError() << "expects an input (batch, timesteps, features) with "
                         "known timesteps and features, got "
                      << formatKerasShape(xType.getShape());
    return failure();
  }
  if (!isUnset(layer.config.get("stateful"))) {
    layer.emitError() << "'stateful' is not supported";
    return failure();
  }
  int64_t steps = xType.getDimSize(1);
  bool returnSequences = flags.returnSequences;
  bool returnState = flags.returnState;
  bool backwards = flags.backwards;

  SmallVector<BuiltCell> built;
  int64_t inFeatures = xType.getDimSize(2);
  for (const Cell &cell : cells) {
    FailureOr<BuiltCell> c = buildCell(layer, cell, cell.kind, inFeatures);
    if (failed(c))
      return failure();
    built.push_back(*c);
    inFeatures = c->units;
  }

  // Dropout masks, drawn once per sequence (Keras caches a cell's masks
  // for all steps): kiln.dropout of ones, on a random stream of its own.
  Location fileLoc = loc;
  if (auto named = dyn_cast<NameLoc>(loc))
    fileLoc = named.getChildLoc();
  int64_t maskFeatures = xType.getDimSize(2);
  for (size_t i = 0; i < built.size(); ++i) {
    const Cell &cell = cells[i];
    BuiltCell &c = built[i];
    auto drawMasks = [&](StringRef kind, double rate, int64_t width,
                         SmallVectorImpl<Value> &masks) {
      if (rate == 0)
        return;
      auto type = RankedTensorType::get({xType.getDimSize(0), width},
                                        xType.getElementType());
      auto scalarType = RankedTensorType::get({}, xType.getElementType());
      for (int64_t g = 0; g < c.numMasks; ++g) {
        Location maskLoc =
            NameLoc::get(b.getStringAttr(layer.name + "/" + cell.name + "/" +
                                         kind + "/" + std::to_string(g)),
                         fileLoc);
        Value ones = AddOp::create(
            b, maskLoc, ZerosOp::create(b, maskLoc, type, x),
            ConstantOp::create(b, maskLoc,
                               DenseElementsAttr::get(scalarType, 1.0f)));
        masks.push_back(DropoutOp::create(
            b, maskLoc, ones, b.getF64FloatAttr(rate), DenseI64ArrayAttr()));
      }
    };
    drawMasks("dropout", c.dropout, maskFeatures, c.inputMasks);
    drawMasks("recurrent_dropout", c.recurrentDropout, c.units,
              c.recurrentMasks);
    maskFeatures = c.units;
  }

  CellMath math{layer, loc};
  // The first cell's input part for every step: one matmul.
  Value projected = math.inputPart(built[0], x);

  SmallVector<Value> inits;
  size_t numStates = 0;
  for (const BuiltCell &c : built)
    numStates += c.states();
  if (!initialStates.empty() && initialStates.size() != numStates) {
    layer.emitError() << "initial_state has " << initialStates.size()
                      << " tensor(s); the layer has " << numStates
                      << " state(s)";
    return failure();
  }
  for (const BuiltCell &c : built)
    for (int64_t s = 0; s < c.states(); ++s) {
      auto type = RankedTensorType::get({xType.getDimSize(0), c.units},
                                        xType.getElementType());
      if (initialStates.empty()) {
        inits.push_back(ZerosOp::create(b, loc, type, x));
        continue;
      }
      // Keras's initial states: (batch, units) each, in the cells' order.
      Value state = initialStates[inits.size()];
      auto stateType = cast<RankedTensorType>(state.getType());
      if (stateType.getRank() != 2 || stateType.getDimSize(1) != c.units ||
          stateType.isDynamicDim(0) != xType.isDynamicDim(0) ||
          (!xType.isDynamicDim(0) &&
           stateType.getDimSize(0) != xType.getDimSize(0))) {
        layer.emitError() << "initial state " << inits.size() << " has shape "
                          << formatKerasShape(stateType.getShape())
                          << ", expected " << formatKerasShape(type.getShape());
        return failure();
      }
      inits.push_back(state);
    }
  // The mask as (batch, steps, 1), read one step at a time; the previous
  // output rides along as a further loop value.
  Value steppedMask;
  if (mask) {
    FailureOr<Value> column = stepMask(layer, x, mask);
    if (failed(column))
      return failure();
    steppedMask = *column;
    inits.push_back(ZerosOp::create(
        b, loc,
        RankedTensorType::get({xType.getDimSize(0), built.back().units},
                              xType.getElementType()),
        x));
  }
  Value sequence;
  if (returnSequences)
    sequence = ZerosOp::create(
        b, loc,
        RankedTensorType::get({xType.getDimSize(0), steps, built.back().units},
                              xType.getElementType()),
        x);

  TimeLoopOptions options{steps, backwards, flags.inputOrder};
  auto loop = buildTimeLoop(
      b, loc, options, inits, sequence,
      [&](Location l, Value read, ValueRange states,
          SmallVectorImpl<Value> &next) {
        Value in;
        size_t offset = 0;
        for (auto [i, c] : llvm::enumerate(built)) {
          Value xPart =
              i == 0 ? SequenceStepOp::create(b, l, projected, read).getResult()
                     : math.inputPart(c, in);
          in = math.step(c, xPart, states.slice(offset, c.states()), next);
          offset += c.states();
        }
        if (!steppedMask)
          return in;
        // m * new + (1 - m) * old: exactly one of them for m in {0, 1}.
        Value m = SequenceStepOp::create(b, l, steppedMask, read);
        auto scalarType = RankedTensorType::get({}, xType.getElementType());
        Value keep = SubOp::create(
            b, l,
            ConstantOp::create(b, l, DenseElementsAttr::get(scalarType, 1.0f)),
            m);
        auto blend = [&](Value updated, Value old) -> Value {
          return math.add(math.mul(m, updated), math.mul(keep, old));
        };
        for (size_t i = 0; i < numStates; ++i)
          next[i] = blend(next[i], states[i]);
        Value out = flags.zeroOutputForMask ? math.mul(m, in)
                                            : blend(in, states.back());
        next.push_back(out);
        return out;
      });
  if (math.failedActivation)
    return failure();
  LayerOutputs outputs;
  ValueRange results = loop.getResults();
  // The last cell's h is the first of its states; under a mask, the
  // output carried after the states.
  size_t lastH = numStates - built.back().states();
  outputs.push_back(returnSequences ? results.back()
                                    : results[steppedMask ? numStates : lastH]);
  if (returnState)
    for (size_t i = 0; i < numStates; ++i)
      outputs.push_back(results[i]);
  return outputs;
}

/// buildRecurrent under the layer's input mask, if any; its output
/// sequence carries the mask on (Keras's RNN.compute_mask).
FailureOr<LayerOutputs> buildMaskedRecurrent(LayerBuilder &layer, Value x,
                                             ArrayRef<Cell> cells,
                                             LoopFlags flags,
                                             ValueRange initialStates) {
  Value mask = layer.inputMask(0);
  if (mask && flags.returnSequences)
    layer.outputMasks.push_back(mask);
  return buildRecurrent(layer, x, cells, flags, initialStates, mask);
}

ArrayRef<StringLiteral> layerKeys(CellKind kind);

/// Checks a cell config's keys (a whole layer's with `loopKeys`: the
/// layers Bidirectional wraps).
LogicalResult checkCell(LayerBuilder &layer, const Cell &cell,
                        bool loopKeys = false) {
  if (std::optional<std::string> dtype = unsupportedDtype(*cell.config)) {
    layer.emitError() << "cell '" << cell.name << "': " << *dtype;
    return failure();
  }
  for (const auto &[key, value] : *cell.config) {
    StringRef k = key;
    if (k == "name" || k == "trainable" || k == "dtype" ||
        llvm::is_contained(kCellKeys, k) ||
        llvm::is_contained(kindKeys(cell.kind), k) ||
        (loopKeys && llvm::is_contained(layerKeys(cell.kind), k)) ||
        isUnset(&value))
      continue;
    layer.emitError() << "cell '" << cell.name << "': config '" << k
                      << "' is not supported";
    return failure();
  }
  return success();
}

/// The kind of a cell class, if kiln has it.
std::optional<CellKind> cellKind(StringRef className) {
  return llvm::StringSwitch<std::optional<CellKind>>(className)
      .Case("SimpleRNNCell", CellKind::SimpleRnn)
      .Case("LSTMCell", CellKind::Lstm)
      .Case("GRUCell", CellKind::Gru)
      .Default(std::nullopt);
}

// SimpleRNN, LSTM, GRU: one cell, its config the layer's.
// Their inputs are the sequence, then the `initial_state` tensors (Keras 3
// passes them as a call argument, Keras 2 as further inbound tensors).
template <CellKind Kind>
FailureOr<LayerOutputs> importCellLayer(LayerBuilder &layer,
                                        ArrayRef<Value> inputs) {
  FailureOr<Value> x = singleInput(layer, inputs.take_front(), 0);
  if (failed(x))
    return failure();
  Cell cell{&layer.config, layer.name.str(), "cell", Kind};
  return buildMaskedRecurrent(layer, *x, cell, LoopFlags::of(layer.config),
                              inputs.drop_front());
}

// RNN(cell) and RNN([cells]): SimpleRNNCell, LSTMCell, GRUCell.
FailureOr<LayerOutputs> importRnn(LayerBuilder &layer, ArrayRef<Value> inputs) {
  FailureOr<Value> x = singleInput(layer, inputs.take_front(), 0);
  if (failed(x))
    return failure();
  SmallVector<const llvm::json::Object *> objects = cellObjects(layer.config);
  if (objects.empty()) {
    layer.emitError() << "expects a 'cell' (a cell or StackedRNNCells)";
    return failure();
  }
  std::vector<std::string> scopes = rnnScopes(layer.config);
  // A StackedRNNCells container: its own keys (its cells are checked
  // below); `trainable: false` freezes every cell.
  bool stackFrozen = false;
  if (const llvm::json::Object *cell = layer.config.getObject("cell");
      cell && cell->getString("class_name") == "StackedRNNCells") {
    static const llvm::json::Object none;
    const llvm::json::Object *found = cell->getObject("config");
    const llvm::json::Object &stacked = found ? *found : none;
    if (std::optional<std::string> dtype = unsupportedDtype(stacked)) {
      layer.emitError() << "StackedRNNCells: " << *dtype;
      return failure();
    }
    for (const auto &[key, value] : stacked) {
      StringRef k = key;
      if (k == "cells" || k == "name" || k == "trainable" || k == "dtype" ||
          isUnset(&value))
        continue;
      layer.emitError() << "StackedRNNCells: config '" << k
                        << "' is not supported";
      return failure();
    }
    stackFrozen = !stacked.getBoolean("trainable").value_or(true);
  }
  SmallVector<Cell> cells;
  for (auto [object, scope] : llvm::zip(objects, scopes)) {
    std::optional<StringRef> cls = object->getString("class_name");
    const llvm::json::Object *config = object->getObject("config");
    std::string name =
        config ? config->getString("name").value_or("?").str() : "?";
    std::optional<CellKind> kind = cellKind(cls.value_or(""));
    if (!kind || !config) {
      layer.emitError() << "cell '" << name << "': unsupported cell class '"
                        << cls.value_or("?")
                        << "' (SimpleRNNCell, LSTMCell and GRUCell are)";
      return failure();
    }
    Cell cell{config, name, scope, *kind, stackFrozen};
    if (objects.size() > 1)
      cell.nameScope = name;
    if (failed(checkCell(layer, cell)))
      return failure();
    cells.push_back(cell);
  }
  // TensorFlow.js writes a stack as the RNN's `cells` list, and orders its
  // states last cell first ([h2, c2, h1, c1]: its StackedRNNCells'
  // stateSize), in `initial_state` and in what `return_state` returns;
  // kiln's loop takes and gives them first cell first.
  ArrayRef<Value> states = inputs.drop_front();
  if (!layer.config.getArray("cells") || cells.size() < 2)
    return buildMaskedRecurrent(layer, *x, cells, LoopFlags::of(layer.config),
                          states);
  SmallVector<size_t> counts;
  size_t total = 0;
  for (const Cell &cell : cells)
    total += counts.emplace_back(statesOf(cell.kind));
  if (!states.empty() && states.size() != total) // its error says why
    return buildMaskedRecurrent(layer, *x, cells, LoopFlags::of(layer.config),
                          states);
  // Reverses the order of the cells' groups in `list` (states of the cells
  // in `order`), keeping each group's own order.
  auto reverseGroups = [&](ArrayRef<Value> list, ArrayRef<size_t> order) {
    SmallVector<Value> result;
    size_t end = list.size();
    for (size_t count : order) {
      result.append(list.begin() + (end - count), list.begin() + end);
      end -= count;
    }
    return result;
  };
  SmallVector<size_t> reversedCounts(counts.rbegin(), counts.rend());
  SmallVector<Value> forwardStates =
      states.empty() ? SmallVector<Value>() : reverseGroups(states, counts);
  FailureOr<LayerOutputs> outputs = buildMaskedRecurrent(
      layer, *x, cells, LoopFlags::of(layer.config), forwardStates);
  if (failed(outputs) || outputs->size() != 1 + total)
    return outputs;
  LayerOutputs reordered{outputs->front()};
  reordered.append(
      reverseGroups(ArrayRef<Value>(*outputs).drop_front(), reversedCounts));
  return reordered;
}

/// The cell kind of a recurrent layer class Bidirectional may wrap.
std::optional<CellKind> layerKind(StringRef className) {
  return llvm::StringSwitch<std::optional<CellKind>>(className)
      .Case("SimpleRNN", CellKind::SimpleRnn)
      .Case("LSTM", CellKind::Lstm)
      .Case("GRU", CellKind::Gru)
      .Default(std::nullopt);
}

/// Bidirectional's wrapped layers: `layer` (forward) and `backward_layer`
/// (Keras 3 always writes it; Keras 2 and tfjs derive it from `layer`).
std::pair<const llvm::json::Object *, const llvm::json::Object *>
wrappedLayers(const llvm::json::Object &config) {
  const llvm::json::Object *forward = config.getObject("layer");
  const llvm::json::Object *backward = config.getObject("backward_layer");
  return {forward, backward ? backward : forward};
}

std::vector<std::string> bidirectionalScopes(const llvm::json::Object &) {
  return {"forward_layer/cell", "backward_layer/cell"};
}

// Bidirectional(layer, merge_mode="concat"): the layer forwards and a copy
// backwards (its output sequence flipped back to input order), merged by
// concat, sum, mul or ave, or both returned (merge_mode None).
FailureOr<LayerOutputs> importBidirectional(LayerBuilder &layer,
                                            ArrayRef<Value> inputs) {
  FailureOr<Value> x = singleInput(layer, inputs.take_front(), 0);
  if (failed(x))
    return failure();
  auto [forward, backward] = wrappedLayers(layer.config);
  SmallVector<Cell> cells;
  SmallVector<LoopFlags> flags;
  for (auto [object, scope] :
       llvm::zip(std::array{forward, backward}, bidirectionalScopes({}))) {
    std::optional<StringRef> cls =
        object ? object->getString("class_name") : std::nullopt;
    const llvm::json::Object *config =
        object ? object->getObject("config") : nullptr;
    std::optional<CellKind> kind = layerKind(cls.value_or(""));
    if (!kind || !config) {
      layer.emitError() << "wraps '" << cls.value_or("?")
                        << "'; SimpleRNN, LSTM and GRU are supported";
      return failure();
    }
    std::string name = config->getString("name").value_or("?").str();
    Cell cell{config, name, scope, *kind};
    // Keras's names of the two copies: "forward_lstm", "backward_lstm".
    StringRef direction = StringRef(scope).starts_with("forward") ? "forward_"
                                                                   : "backward_";
    StringRef base = name;
    if (!base.consume_front("forward_"))
      base.consume_front("backward_");
    cell.nameScope = (direction + base).str();
    if (failed(checkCell(layer, cell, /*loopKeys=*/true)))
      return failure();
    if (!isUnset(config->get("stateful"))) {
      layer.emitError() << "wrapped layer '" << name
                        << "': 'stateful' is not supported";
      return failure();
    }
    cells.push_back(cell);
    flags.push_back(LoopFlags::of(*config));
  }
  // Keras runs the backward copy with go_backwards flipped.
  if (backward == forward)
    flags[1].backwards = !flags[0].backwards;
  flags[1].inputOrder = true;
  LoopFlags &f = flags[0];
  if (flags[1].returnSequences != f.returnSequences ||
      flags[1].returnState != f.returnState ||
      flags[1].backwards == f.backwards) {
    layer.emitError() << "the backward layer must return what the forward "
                         "one does and run the other way";
    return failure();
  }
  // Keras gives the first half of `initial_state` to the forward layer.
  ArrayRef<Value> states = inputs.drop_front();
  if (states.size() % 2) {
    layer.emitError() << "initial_state has " << states.size()
                      << " tensor(s); it needs the forward layer's states "
                         "then the backward layer's";
    return failure();
  }
  size_t half = states.size() / 2;
  // Under a mask, Keras has both copies give zeros for the masked steps of
  // a sequence they return.
  Value mask = layer.inputMask(0);
  for (LoopFlags &copy : flags)
    copy.zeroOutputForMask = copy.returnSequences;
  FailureOr<LayerOutputs> fwd = buildRecurrent(
      layer, *x, cells[0], flags[0], states.take_front(half), mask);
  if (failed(fwd))
    return failure();
  FailureOr<LayerOutputs> bwd = buildRecurrent(
      layer, *x, cells[1], flags[1], states.drop_front(half), mask);
  if (failed(bwd))
    return failure();
  StringRef mode = "concat";
  if (const llvm::json::Value *m = layer.config.get("merge_mode")) {
    if (m->kind() == llvm::json::Value::Null)
      mode = "";
    else
      mode = m->getAsString().value_or("?");
  }
  OpBuilder &b = layer.builder;
  Location loc = layer.loc;
  Value y = fwd->front(), yb = bwd->front();
  LayerOutputs outputs;
  if (mode == "concat") {
    outputs.push_back(ConcatOp::create(b, loc, ValueRange{y, yb}, -1));
  } else if (mode == "sum") {
    outputs.push_back(AddOp::create(b, loc, y, yb));
  } else if (mode == "mul") {
    outputs.push_back(MulOp::create(b, loc, y, yb));
  } else if (mode == "ave") {
    auto type = RankedTensorType::get({}, b.getF32Type());
    Value half = ConstantOp::create(b, loc, DenseElementsAttr::get(type, 0.5f));
    outputs.push_back(
        MulOp::create(b, loc, AddOp::create(b, loc, y, yb), half));
  } else if (mode.empty()) {
    outputs.append({y, yb});
  } else {
    layer.emitError() << "unknown merge_mode '" << mode << "'";
    return failure();
  }
  // The sequences carry the mask on (each of them without merge_mode).
  if (mask && f.returnSequences)
    layer.outputMasks.assign(outputs.size(), mask);
  // Then the states: the forward layer's, then the backward one's.
  outputs.append(fwd->begin() + 1, fwd->end());
  outputs.append(bwd->begin() + 1, bwd->end());
  return outputs;
}

/// The config keys of a layer wrapping one cell of `kind`: the cell's,
/// the kind's and the loop's.
ArrayRef<StringLiteral> layerKeys(CellKind kind) {
  auto keysOf = [](CellKind k) {
    std::vector<StringLiteral> v(std::begin(kCellKeys), std::end(kCellKeys));
    v.insert(v.end(), std::begin(kLoopKeys), std::end(kLoopKeys));
    ArrayRef<StringLiteral> own = kindKeys(k);
    v.insert(v.end(), own.begin(), own.end());
    return v;
  };
  static const std::vector<StringLiteral> keys[] = {keysOf(CellKind::SimpleRnn),
                                                    keysOf(CellKind::Lstm),
                                                    keysOf(CellKind::Gru)};
  return keys[static_cast<int>(kind)];
}

} // namespace

FailureOr<std::pair<Value, Value>> mlir::kiln::keras::buildLstmUpdate(
    LayerBuilder &layer, Value z, Value carry, int64_t units, int64_t axis,
    StringRef activation, StringRef recurrentActivation) {
  OpBuilder &b = layer.builder;
  Location loc = layer.loc;
  bool failedActivation = false;
  auto gate = [&](StringRef name, int64_t k) {
    Value part = SliceOp::create(b, loc, z, axis, k * units, units);
    FailureOr<Value> y = buildActivation(layer, name, part);
    failedActivation |= failed(y);
    return succeeded(y) ? *y : part;
  };
  Value i = gate(recurrentActivation, 0);
  Value f = gate(recurrentActivation, 1);
  Value candidate = gate(activation, 2);
  Value c = AddOp::create(b, loc, MulOp::create(b, loc, f, carry),
                          MulOp::create(b, loc, i, candidate));
  Value o = gate(recurrentActivation, 3);
  FailureOr<Value> squashed = buildActivation(layer, activation, c);
  if (failedActivation || failed(squashed))
    return failure();
  Value h = MulOp::create(b, loc, o, *squashed);
  return std::make_pair(h, c);
}

void mlir::kiln::keras::registerRecurrentLayers(LayerRegistry &registry) {
  static const std::vector<StringLiteral> rnnKeys = [] {
    std::vector<StringLiteral> v(std::begin(kLoopKeys), std::end(kLoopKeys));
    v.push_back("cell");
    v.push_back("cells");
    return v;
  }();
  registry["SimpleRNN"] = {importCellLayer<CellKind::SimpleRnn>,
                           layerKeys(CellKind::SimpleRnn), simpleRnnScopes};
  registry["LSTM"] = {importCellLayer<CellKind::Lstm>,
                      layerKeys(CellKind::Lstm), simpleRnnScopes};
  registry["GRU"] = {importCellLayer<CellKind::Gru>, layerKeys(CellKind::Gru),
                     simpleRnnScopes};
  registry["RNN"] = {importRnn, rnnKeys, rnnScopes};
  static constexpr StringLiteral bidirectionalKeys[] = {
      "layer", "backward_layer", "merge_mode"};
  registry["Bidirectional"] = {importBidirectional, bidirectionalKeys,
                               bidirectionalScopes};
  for (StringRef name : {"SimpleRNN", "LSTM", "GRU", "RNN", "Bidirectional"})
    registry[name].masks = MaskUse::Handle;
}
