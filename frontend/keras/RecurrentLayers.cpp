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
//  - the states start at zero (`kiln.zeros`); with `return_sequences` the
//    last cell's states are collected with `kiln.sequence_insert`, in
//    processing order, as Keras does for `go_backwards` too.
// Outputs: the sequence or the last state, then with `return_state` each
// cell's final state. Autodiff reverses the loop (BPTT).
//
// Keras 3 keeps the weights in the cells: `<layer>/cell/vars` for
// SimpleRNN and RNN(cell), `<layer>/cell/cells/<cell name>/vars` for a list
// of cells (the kind's weightScopes); tfjs names them `rnn/RNNCell_0/...`.
//===----------------------------------------------------------------------===//

#include "frontend/keras/KerasLayers.h"

#include "dialects/kiln/IR/KilnDialect.h"
#include "dialects/kiln/Model/ImportedModel.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::keras;

namespace {

/// One cell of a recurrent layer: its config (the layer's own for
/// SimpleRNN) and its Keras 3 weight scope.
struct Cell {
  const llvm::json::Object *config;
  std::string name;
  std::string scope;
};

/// The keys a SimpleRNN reads: first the cell's (kNumCellKeys, what a
/// SimpleRNNCell reads besides name/trainable/dtype), then the loop's.
constexpr StringLiteral kSimpleRnnKeys[] = {"units",
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
                                            "seed",
                                            "return_sequences",
                                            "return_state",
                                            "go_backwards",
                                            "stateful",
                                            "unroll",
                                            "zero_output_for_mask"};
constexpr size_t kNumCellKeys = 15;

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

std::vector<std::string> simpleRnnScopes(const llvm::json::Object &) {
  return {"cell"};
}

/// Builds the recurrent loop over `cells` on `x`.
FailureOr<LayerOutputs> buildRecurrent(LayerBuilder &layer, Value x,
                                       ArrayRef<Cell> cells) {
  OpBuilder &b = layer.builder;
  Location loc = layer.loc;
  auto xType = cast<RankedTensorType>(x.getType());
  if (xType.getRank() != 3 || xType.isDynamicDim(1) || xType.isDynamicDim(2)) {
    layer.emitError() << "expects an input (batch, timesteps, features) with "
                         "known timesteps and features, got "
                      << formatKerasShape(xType.getShape());
    return failure();
  }
  for (StringRef key : {"stateful"})
    if (!isUnset(layer.config.get(key))) {
      layer.emitError() << "'" << key << "' is not supported";
      return failure();
    }
  int64_t steps = xType.getDimSize(1);
  bool returnSequences = layer.getBoolean("return_sequences").value_or(false);
  bool returnState = layer.getBoolean("return_state").value_or(false);
  bool backwards = layer.getBoolean("go_backwards").value_or(false);

  // Parameters and activations, cell by cell.
  struct Built {
    int64_t units;
    StringRef activation;
    Value kernel, recurrent, bias;
  };
  SmallVector<Built> built;
  int64_t inFeatures = xType.getDimSize(2);
  for (const Cell &cell : cells) {
    const llvm::json::Object &config = *cell.config;
    std::optional<int64_t> units = config.getInteger("units");
    if (!units || *units <= 0 || *units > (1 << 20)) {
      layer.emitError() << "cell '" << cell.name
                        << "': 'units' must be a positive integer";
      return failure();
    }
    for (StringRef key : {"dropout", "recurrent_dropout"})
      if (!isUnset(config.get(key))) {
        layer.emitError() << "cell '" << cell.name << "': '" << key
                          << "' is not supported (recurrent dropout is not "
                             "implemented; it would train a different model)";
        return failure();
      }
    StringRef activation = "tanh";
    if (const llvm::json::Value *a = config.get("activation");
        a && a->kind() != llvm::json::Value::Null) {
      std::optional<StringRef> s = a->getAsString();
      if (!s) {
        layer.emitError() << "cell '" << cell.name
                          << "': custom (non-string) activation is not "
                             "supported";
        return failure();
      }
      activation = *s;
    }
    layer.setWeightScope(cell.scope, config);
    Built c{*units, activation, {}, {}, {}};
    FailureOr<Value> kernel = layer.addParam(
        "kernel", {inFeatures, *units}, "kernel_initializer", "glorot_uniform");
    if (failed(kernel))
      return failure();
    FailureOr<Value> recurrent =
        layer.addParam("recurrent_kernel", {*units, *units},
                       "recurrent_initializer", "orthogonal");
    if (failed(recurrent))
      return failure();
    c.kernel = *kernel;
    c.recurrent = *recurrent;
    if (config.getBoolean("use_bias").value_or(true)) {
      FailureOr<Value> bias =
          layer.addParam("bias", {*units}, "bias_initializer", "zeros");
      if (failed(bias))
        return failure();
      c.bias = *bias;
    }
    built.push_back(c);
    inFeatures = *units;
  }

  // The first cell's input projection for every step: one matmul.
  Value projected = MatMulOp::create(b, loc, x, built[0].kernel);
  if (built[0].bias)
    projected = AddOp::create(b, loc, projected, built[0].bias);

  auto stateType = [&](int64_t units) {
    return RankedTensorType::get({xType.getDimSize(0), units},
                                 xType.getElementType());
  };
  SmallVector<Value> inits;
  for (const Built &c : built)
    inits.push_back(ZerosOp::create(b, loc, stateType(c.units), x));
  int64_t lastUnits = built.back().units;
  auto sequenceType = RankedTensorType::get(
      {xType.getDimSize(0), steps, lastUnits}, xType.getElementType());
  if (returnSequences)
    inits.push_back(ZerosOp::create(b, loc, sequenceType, x));

  Value lb = arith::ConstantIndexOp::create(b, loc, 0);
  Value ub = arith::ConstantIndexOp::create(b, loc, steps);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  bool failedActivation = false;
  auto loop = scf::ForOp::create(
      b, loc, lb, ub, one, inits,
      [&](OpBuilder &lb2, Location l, Value t, ValueRange states) {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPoint(lb2.getInsertionBlock(), lb2.getInsertionPoint());
        Value read = t;
        if (backwards)
          read = arith::SubIOp::create(
              b, l, arith::ConstantIndexOp::create(b, l, steps - 1), t);
        SmallVector<Value> next;
        Value in;
        for (auto [i, c] : llvm::enumerate(built)) {
          Value pre;
          if (i == 0) {
            pre = SequenceStepOp::create(b, l, projected, read);
          } else {
            pre = MatMulOp::create(b, l, in, c.kernel);
            if (c.bias)
              pre = AddOp::create(b, l, pre, c.bias);
          }
          Value recurrent = MatMulOp::create(b, l, states[i], c.recurrent);
          Value sum = AddOp::create(b, l, pre, recurrent);
          FailureOr<Value> h = buildActivation(layer, c.activation, sum);
          if (failed(h)) {
            failedActivation = true;
            h = sum;
          }
          next.push_back(*h);
          in = *h;
        }
        if (returnSequences)
          next.push_back(SequenceInsertOp::create(b, l, in, states.back(), t));
        scf::YieldOp::create(b, l, next);
      });
  if (failedActivation)
    return failure();
  LayerOutputs outputs;
  ValueRange results = loop.getResults();
  outputs.push_back(returnSequences ? results.back()
                                    : results[built.size() - 1]);
  if (returnState)
    for (size_t i = 0; i < built.size(); ++i)
      outputs.push_back(results[i]);
  return outputs;
}

/// Checks a cell config's class and keys.
LogicalResult checkCell(LayerBuilder &layer, const llvm::json::Object &cell,
                        StringRef name) {
  for (const auto &[key, value] : cell) {
    StringRef k = key;
    if (k == "name" || k == "trainable" || k == "dtype" ||
        llvm::is_contained(
            ArrayRef<StringLiteral>(kSimpleRnnKeys).take_front(kNumCellKeys),
            k) ||
        isUnset(&value))
      continue;
    layer.emitError() << "cell '" << name << "': config '" << k
                      << "' is not supported";
    return failure();
  }
  return success();
}

// SimpleRNN: one SimpleRNNCell, its config the layer's.
FailureOr<LayerOutputs> importSimpleRnn(LayerBuilder &layer,
                                        ArrayRef<Value> inputs) {
  FailureOr<Value> x = singleInput(layer, inputs, 0);
  if (failed(x))
    return failure();
  Cell cell{&layer.config, layer.name.str(), "cell"};
  return buildRecurrent(layer, *x, cell);
}

// RNN(cell) and RNN([cells]): SimpleRNNCells.
FailureOr<LayerOutputs> importRnn(LayerBuilder &layer, ArrayRef<Value> inputs) {
  FailureOr<Value> x = singleInput(layer, inputs, 0);
  if (failed(x))
    return failure();
  SmallVector<const llvm::json::Object *> objects = cellObjects(layer.config);
  if (objects.empty()) {
    layer.emitError() << "expects a 'cell' (a cell or StackedRNNCells)";
    return failure();
  }
  std::vector<std::string> scopes = rnnScopes(layer.config);
  SmallVector<Cell> cells;
  for (auto [object, scope] : llvm::zip(objects, scopes)) {
    std::optional<StringRef> cls = object->getString("class_name");
    const llvm::json::Object *config = object->getObject("config");
    std::string name =
        config ? config->getString("name").value_or("?").str() : "?";
    if (cls != "SimpleRNNCell" || !config) {
      layer.emitError() << "cell '" << name << "': unsupported cell class '"
                        << cls.value_or("?") << "' (SimpleRNNCell is)";
      return failure();
    }
    if (failed(checkCell(layer, *config, name)))
      return failure();
    cells.push_back({config, name, scope});
  }
  return buildRecurrent(layer, *x, cells);
}

} // namespace

void mlir::kiln::keras::registerRecurrentLayers(LayerRegistry &registry) {
  static constexpr StringLiteral rnnKeys[] = {
      "cell",         "cells",    "return_sequences", "return_state",
      "go_backwards", "stateful", "unroll",           "zero_output_for_mask"};
  registry["SimpleRNN"] = {importSimpleRnn, kSimpleRnnKeys, simpleRnnScopes};
  registry["RNN"] = {importRnn, rnnKeys, rnnScopes};
}
