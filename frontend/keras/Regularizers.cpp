//===- Regularizers.cpp - Keras weight regularizers and constraints -*- C++
//-*-===//
// SPDX-License-Identifier: Apache-2.0
//
// A layer's `<weight>_regularizer` and `<weight>_constraint` configs, read
// into the argument attributes that the training step acts on
// (KilnDialect.h: kiln.regularizer, kiln.constraint). Every Keras spelling
// is accepted: null, a name ("l2", "max_norm"), and the Keras 2 and 3
// objects ({"class_name": "L2", "config": {"l2": 0.01}, ...}). Values are
// checked against Keras's own constraints; a kind kiln does not implement
// (OrthogonalRegularizer, a custom class) is an error, never ignored.
//===----------------------------------------------------------------------===//

#include "frontend/keras/KerasLayers.h"

#include "dialects/kiln/IR/KilnDialect.h"

#include <cmath>
#include <cstdio>

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::keras;

namespace {

/// A regularizer or constraint config: its class (or alias) and arguments.
struct KerasObject {
  std::string className;
  const llvm::json::Object *config = nullptr; // null: all defaults
};

/// Reads `layer.paramConfig()[key]`; nullopt when absent or null.
FailureOr<std::optional<KerasObject>> readObject(LayerBuilder &layer,
                                                 StringRef key) {
  const llvm::json::Value *value = layer.paramConfig().get(key);
  if (!value || value->kind() == llvm::json::Value::Null)
    return std::optional<KerasObject>();
  if (std::optional<StringRef> name = value->getAsString())
    return std::optional<KerasObject>(KerasObject{name->str(), nullptr});
  const llvm::json::Object *object = value->getAsObject();
  std::optional<StringRef> className =
      object ? object->getString("class_name") : std::nullopt;
  if (!className) {
    layer.emitError() << "config '" << key
                      << "' must be null, a name or a Keras object with a "
                         "'class_name'";
    return failure();
  }
  return std::optional<KerasObject>(
      KerasObject{className->str(), object->getObject("config")});
}

/// `value` as people write it: 0.01, 2, inf.
std::string formatNumber(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", value);
  return text;
}

/// `object.config[name]` as a finite number (default `fallback`), checked
/// to lie in [min, max].
FailureOr<double> readNumber(LayerBuilder &layer, StringRef key,
                             const KerasObject &object, StringRef name,
                             double fallback, double min = 0.0,
                             double max = INFINITY) {
  const llvm::json::Value *value =
      object.config ? object.config->get(name) : nullptr;
  if (!value || value->kind() == llvm::json::Value::Null)
    return fallback;
  std::optional<double> number = value->getAsNumber();
  if (!number || !std::isfinite(*number) || *number < min || *number > max) {
    InFlightDiagnostic diag = layer.emitError();
    diag << key << " " << object.className << ": '" << name
         << "' must be a number in [" << formatNumber(min) << ", "
         << formatNumber(max) << (std::isinf(max) ? ")" : "]");
    return failure();
  }
  return *number;
}

/// `object.config.axis` (an integer or a list; default 0) as axes in
/// [0, rank).
FailureOr<SmallVector<int64_t>> readAxes(LayerBuilder &layer, StringRef key,
                                         const KerasObject &object,
                                         int64_t rank) {
  const llvm::json::Value *value =
      object.config ? object.config->get("axis") : nullptr;
  SmallVector<std::optional<int64_t>> raw;
  if (!value || value->kind() == llvm::json::Value::Null)
    raw.push_back(0);
  else if (const llvm::json::Array *list = value->getAsArray())
    for (const llvm::json::Value &v : *list)
      raw.push_back(v.getAsInteger());
  else
    raw.push_back(value->getAsInteger());
  SmallVector<int64_t> axes;
  for (std::optional<int64_t> axis : raw) {
    if (!axis || *axis < -rank || *axis >= rank) {
      layer.emitError() << key << " " << object.className
                        << ": 'axis' must be integers in [" << -rank << ", "
                        << rank << ") for a weight of rank " << rank;
      return failure();
    }
    int64_t a = *axis < 0 ? *axis + rank : *axis;
    if (!llvm::is_contained(axes, a))
      axes.push_back(a);
  }
  llvm::sort(axes);
  return axes;
}

} // namespace

FailureOr<DictionaryAttr>
mlir::kiln::keras::readRegularizer(LayerBuilder &layer, StringRef key) {
  FailureOr<std::optional<KerasObject>> object = readObject(layer, key);
  if (failed(object))
    return failure();
  if (!*object)
    return DictionaryAttr();
  const KerasObject &reg = **object;
  // Keras 3 defaults: L1(l1=0.01), L2(l2=0.01), L1L2(l1=0, l2=0).
  double l1 = 0.0, l2 = 0.0;
  StringRef name = reg.className;
  if (name == "L1" || name == "l1") {
    FailureOr<double> v = readNumber(layer, key, reg, "l1", 0.01);
    if (failed(v))
      return failure();
    l1 = *v;
  } else if (name == "L2" || name == "l2") {
    FailureOr<double> v = readNumber(layer, key, reg, "l2", 0.01);
    if (failed(v))
      return failure();
    l2 = *v;
  } else if (name == "L1L2" || name == "l1_l2") {
    FailureOr<double> v1 = readNumber(layer, key, reg, "l1", 0.0);
    FailureOr<double> v2 = readNumber(layer, key, reg, "l2", 0.0);
    if (failed(v1) || failed(v2))
      return failure();
    l1 = *v1;
    l2 = *v2;
  } else {
    layer.emitError() << key << " '" << name
                      << "' is not supported (kiln implements L1, L2 and "
                         "L1L2)";
    return failure();
  }
  // L1L2(0, 0), as Keras 2 saved by default: no penalty.
  if (l1 == 0.0 && l2 == 0.0)
    return DictionaryAttr();
  Builder b(layer.builder.getContext());
  return b.getDictionaryAttr({b.getNamedAttr("l1", b.getF64FloatAttr(l1)),
                              b.getNamedAttr("l2", b.getF64FloatAttr(l2))});
}

FailureOr<DictionaryAttr> mlir::kiln::keras::readConstraint(LayerBuilder &layer,
                                                            StringRef key,
                                                            int64_t rank) {
  FailureOr<std::optional<KerasObject>> object = readObject(layer, key);
  if (failed(object))
    return failure();
  if (!*object)
    return DictionaryAttr();
  const KerasObject &c = **object;
  StringRef name = c.className;
  Builder b(layer.builder.getContext());
  SmallVector<NamedAttribute> attrs;
  auto addNumber = [&](StringRef attr, double value) {
    attrs.push_back(b.getNamedAttr(attr, b.getF64FloatAttr(value)));
  };
  auto addAxes = [&]() -> LogicalResult {
    FailureOr<SmallVector<int64_t>> axes = readAxes(layer, key, c, rank);
    if (failed(axes))
      return failure();
    attrs.push_back(b.getNamedAttr("axes", b.getDenseI64ArrayAttr(*axes)));
    return success();
  };
  if (name == "NonNeg" || name == "non_neg") {
    attrs.push_back(b.getNamedAttr("kind", b.getStringAttr("non_neg")));
  } else if (name == "MaxNorm" || name == "max_norm") {
    // MaxNorm(max_value=2, axis=0)
    FailureOr<double> max = readNumber(layer, key, c, "max_value", 2.0);
    if (failed(max) || failed(addAxes()))
      return failure();
    attrs.push_back(b.getNamedAttr("kind", b.getStringAttr("max_norm")));
    addNumber("max_value", *max);
  } else if (name == "UnitNorm" || name == "unit_norm") {
    // UnitNorm(axis=0)
    if (failed(addAxes()))
      return failure();
    attrs.push_back(b.getNamedAttr("kind", b.getStringAttr("unit_norm")));
  } else if (name == "MinMaxNorm" || name == "min_max_norm") {
    // MinMaxNorm(min_value=0, max_value=1, rate=1, axis=0)
    FailureOr<double> min = readNumber(layer, key, c, "min_value", 0.0);
    FailureOr<double> max = readNumber(layer, key, c, "max_value", 1.0);
    FailureOr<double> rate = readNumber(layer, key, c, "rate", 1.0, 0.0, 1.0);
    if (failed(min) || failed(max) || failed(rate) || failed(addAxes()))
      return failure();
    if (*min > *max) {
      layer.emitError() << key << " MinMaxNorm: 'min_value' "
                        << formatNumber(*min) << " exceeds 'max_value' "
                        << formatNumber(*max);
      return failure();
    }
    attrs.push_back(b.getNamedAttr("kind", b.getStringAttr("min_max_norm")));
    addNumber("min_value", *min);
    addNumber("max_value", *max);
    addNumber("rate", *rate);
  } else {
    layer.emitError() << key << " '" << name
                      << "' is not supported (kiln implements MaxNorm, "
                         "MinMaxNorm, NonNeg and UnitNorm)";
    return failure();
  }
  return b.getDictionaryAttr(attrs);
}
