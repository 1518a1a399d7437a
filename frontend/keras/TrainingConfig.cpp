//===- TrainingConfig.cpp - Keras/tfjs training configurations --*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//===----------------------------------------------------------------------===//

#include "frontend/keras/TrainingConfig.h"

#include "llvm/ADT/StringExtras.h"

using namespace mlir::kiln;
using namespace mlir::kiln::keras;
namespace json = llvm::json;
using llvm::StringRef;

/// camelCase or a class name in snake_case ("learningRate" ->
/// "learning_rate", "SparseCategoricalAccuracy" ->
/// "sparse_categorical_accuracy").
static std::string snakeCase(StringRef name) {
  std::string out;
  for (char c : name) {
    if (llvm::isUpper(c) && !out.empty())
      out.push_back('_');
    out.push_back(llvm::toLower(c));
  }
  return out;
}

/// tfjs camelCase hyperparameter names to Keras's snake_case.
static std::string snakeHyperName(StringRef name) {
  if (name == "beta1")
    return "beta_1";
  if (name == "beta2")
    return "beta_2";
  if (name == "useNesterov")
    return "nesterov";
  if (name == "lr") // Keras 2.2 and before
    return "learning_rate";
  return snakeCase(name);
}

/// A JSON number or boolean as a double.
static std::optional<double> numeric(const json::Value &value) {
  if (std::optional<double> d = value.getAsNumber())
    return d;
  if (std::optional<bool> b = value.getAsBoolean())
    return *b ? 1.0 : 0.0;
  return std::nullopt;
}

/// Reads the forms Keras writes a loss, optimizer or metric in: a bare
/// string ("adam"), a class object ({"module": "keras.optimizers",
/// "class_name": "Adam", "config": {...}}) or a plain function
/// ({"module": "builtins", "class_name": "function", "config":
/// "sparse_categorical_crossentropy"}). `config` is the class object's
/// config, if any.
static bool readNamed(const json::Value &value, std::string &name,
                      const json::Object *&config) {
  config = nullptr;
  if (std::optional<StringRef> s = value.getAsString()) {
    name = s->str();
    return !name.empty();
  }
  const json::Object *object = value.getAsObject();
  if (!object)
    return false;
  std::optional<StringRef> className = object->getString("class_name");
  if (!className)
    return false;
  if (*className == "function") {
    std::optional<StringRef> function = object->getString("config");
    if (!function) // Keras 3 may nest it: {"config": {"name": ...}}
      if (const json::Object *inner = object->getObject("config"))
        function = inner->getString("name");
    if (!function || function->empty())
      return false;
    name = function->str();
    return true;
  }
  name = className->str();
  config = object->getObject("config");
  return true;
}

/// Optimizer settings that change training in ways kiln does not compile.
static llvm::Error checkUnsupported(StringRef key, const json::Value &value) {
  bool isNull = value.kind() == json::Value::Null;
  std::optional<double> number = numeric(value);
  bool active = !isNull && !(number && *number == 0.0);
  if ((key == "weight_decay" || key == "clipnorm" || key == "clipvalue" ||
       key == "global_clipnorm" || key == "use_ema" || key == "decay" ||
       key == "loss_scale_factor" ||
       (key == "gradient_accumulation_steps" && number && *number > 1)) &&
      active)
    return llvm::createStringError("optimizer setting '" + key +
                                   "' is not supported");
  if ((key == "learning_rate" || key == "learningRate" || key == "lr") &&
      !number)
    return llvm::createStringError(
        llvm::Twine("learning-rate schedules are not supported "
                    "(learning_rate must be a number)"));
  return llvm::Error::success();
}

/// Reads the loss: a name, a function, or a class object whose config kiln
/// models (from_logits) or can check is the default (reduction, label
/// smoothing, axis). Sets `result.lossIssue` for anything else.
static void parseLoss(const json::Value *loss, TrainingConfig &result) {
  const json::Object *config = nullptr;
  if (!loss || loss->kind() == json::Value::Null) {
    result.lossIssue = "it names no loss";
    return;
  }
  if (loss->getAsArray() ||
      (loss->getAsObject() && !loss->getAsObject()->get("class_name"))) {
    result.lossIssue = "a loss per output is not supported";
    return;
  }
  if (!readNamed(*loss, result.loss, config)) {
    result.lossIssue = "the loss is not a name, function or class object";
    return;
  }
  if (!config)
    return;
  result.fromLogits = config->getBoolean("from_logits").value_or(false);
  for (const auto &[key, value] : *config) {
    std::optional<double> number = numeric(value);
    std::optional<StringRef> text = value.getAsString();
    bool isDefault = true;
    if (key == "reduction")
      isDefault = value.kind() == json::Value::Null ||
                  (text && (*text == "sum_over_batch_size" || *text == "auto"));
    else if (key == "label_smoothing")
      isDefault = !number || *number == 0.0;
    else if (key == "axis")
      isDefault = !number || *number == -1.0;
    else if (key == "ignore_class")
      isDefault = value.kind() == json::Value::Null;
    if (!isDefault) {
      result.lossIssue = "loss setting '" + key.str() + "' is not supported";
      return;
    }
  }
}

/// Whether a metric object's setting is Keras's default, which the
/// compiled steps compute (passes/training, buildMetric).
static bool isDefaultMetricSetting(StringRef key, const json::Value &value) {
  if (value.kind() == json::Value::Null)
    return true;
  std::optional<double> number = value.getAsNumber();
  if (key == "threshold")
    return number == 0.5;
  if (key == "from_logits")
    return value.getAsBoolean() == std::optional<bool>(false);
  if (key == "label_smoothing")
    return number == 0.0;
  if (key == "axis")
    return number == -1.0;
  return false;
}

/// Appends the metric names in `value`: strings, class or function objects
/// (a MeanMetricWrapper's config names its function), and lists of them,
/// nested per output.
static void parseMetrics(const json::Value &value, TrainingConfig &result) {
  if (value.kind() == json::Value::Null)
    return;
  if (const json::Array *list = value.getAsArray()) {
    for (const json::Value &item : *list) {
      result.metricsPerOutput |= item.getAsArray() != nullptr;
      parseMetrics(item, result);
    }
    return;
  }
  if (const json::Object *object = value.getAsObject();
      object && !object->get("class_name")) {
    // {"output_name": metrics} per output, or tfjs's empty {}.
    for (const auto &entry : *object) {
      result.metricsPerOutput = true;
      parseMetrics(entry.second, result);
    }
    return;
  }
  std::string name;
  const json::Object *config = nullptr;
  if (!readNamed(value, name, config)) {
    result.metricIssues.push_back("a metric that is not a name or object");
    return;
  }
  // A metric object is logged under its config's name and computes its
  // class's function: BinaryAccuracy(name="accuracy") is a binary accuracy
  // whatever the output's shape; a MeanMetricWrapper names its function.
  std::string function = name;
  if (config) {
    if (std::optional<StringRef> inner = config->getString("name"))
      name = inner->str();
    if (function == "MeanMetricWrapper")
      function = config->getString("fn").value_or(name).str();
    else if (function == "Accuracy") // elementwise equality, not argmax
      function = "equality accuracy";
    else
      function = snakeCase(function);
  }
  // The runtime computes each metric kind with Keras's defaults: another
  // threshold, logits or smoothing would be reported as something else.
  static const json::Object noSettings;
  for (const auto &[key, value] : config ? *config : noSettings) {
    if (key == "name" || key == "dtype" || isDefaultMetricSetting(key, value))
      continue;
    result.metricIssues.push_back("metric '" + name + "' (its setting '" +
                                  key.str() + "')");
    return;
  }
  result.metrics.push_back({name, function});
}

void mlir::kiln::keras::parseTrainingConfig(const json::Object &config,
                                            KerasFlavor flavor,
                                            TrainingConfig &result) {
  parseLoss(config.get("loss"), result);

  // The optimizer: Keras 3 "optimizer", Keras 2/tfjs "optimizer_config".
  const json::Value *optimizer = config.get("optimizer");
  if (!optimizer || optimizer->kind() == json::Value::Null)
    optimizer = config.get("optimizer_config");
  const json::Object *optimizerConfig = nullptr;
  if (!optimizer || optimizer->kind() == json::Value::Null) {
    // Keras's compile() default, as for a model compiled without one.
    result.optimizer = "rmsprop";
  } else if (!readNamed(*optimizer, result.optimizer, optimizerConfig)) {
    result.optimizer.clear();
    result.optimizerIssue = "the optimizer is not a name or class object";
  }
  // TensorFlow.js's RMSProp calls its discount factor `decay` (Keras's
  // rho); Keras's `decay` is a learning-rate decay.
  bool decayIsRho = flavor == KerasFlavor::TfJs &&
                    StringRef(result.optimizer).equals_insensitive("rmsprop");
  if (optimizerConfig) {
    for (const auto &[key, value] : *optimizerConfig) {
      if (decayIsRho && key == "decay") {
        if (std::optional<double> rho = numeric(value))
          result.optimizerHyper["rho"] = *rho;
        continue;
      }
      if (llvm::Error error = checkUnsupported(key, value)) {
        result.optimizerIssue = llvm::toString(std::move(error));
        break;
      }
      if (std::optional<double> number = numeric(value))
        result.optimizerHyper[snakeHyperName(key)] = *number;
    }
  }

  for (StringRef key : {"metrics", "weighted_metrics"})
    if (const json::Value *metrics = config.get(key))
      parseMetrics(*metrics, result);
  if (const json::Value *weights = config.get("loss_weights");
      weights && weights->kind() != json::Value::Null &&
      !(numeric(*weights) && *numeric(*weights) == 1.0) &&
      result.lossIssue.empty())
    result.lossIssue = "loss_weights are not supported";
}

llvm::Expected<NameWithSettings>
mlir::kiln::keras::parseNameWithSettings(StringRef text) {
  NameWithSettings result;
  auto [head, rest] = text.split(':');
  result.name = head.trim().str();
  if (result.name.empty())
    return llvm::createStringError("missing name in '" + text + "'");
  llvm::SmallVector<StringRef> items;
  rest.split(items, ',', -1, /*KeepEmpty=*/false);
  for (StringRef item : items) {
    auto [key, value] = item.split('=');
    key = key.trim();
    value = value.trim();
    double number;
    if (value == "true" || value == "True")
      number = 1;
    else if (value == "false" || value == "False")
      number = 0;
    else if (value.getAsDouble(number))
      return llvm::createStringError("setting '" + key +
                                     "' needs a number, got '" + value + "'");
    result.settings[key] = number;
  }
  return result;
}
