//===- TrainingConfig.cpp - Keras/tfjs training configurations --*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//===----------------------------------------------------------------------===//

#include "frontend/keras/TrainingConfig.h"

#include "llvm/ADT/StringExtras.h"

using namespace mlir::kiln;
using namespace mlir::kiln::keras;
namespace json = llvm::json;
using llvm::StringRef;

/// tfjs camelCase hyperparameter names to Keras's snake_case.
static std::string snakeHyperName(StringRef name) {
  if (name == "beta1")
    return "beta_1";
  if (name == "beta2")
    return "beta_2";
  if (name == "useNesterov")
    return "nesterov";
  std::string out;
  for (char c : name) {
    if (llvm::isUpper(c)) {
      out.push_back('_');
      out.push_back(llvm::toLower(c));
    } else {
      out.push_back(c);
    }
  }
  return out;
}

/// A JSON number or boolean as a double.
static std::optional<double> numeric(const json::Value &value) {
  if (std::optional<double> d = value.getAsNumber())
    return d;
  if (std::optional<bool> b = value.getAsBoolean())
    return *b ? 1.0 : 0.0;
  return std::nullopt;
}

/// Reads `{class_name, config}` or a bare string.
static bool readNamed(const json::Value &value, std::string &name,
                      const json::Object *&config) {
  config = nullptr;
  if (std::optional<StringRef> s = value.getAsString()) {
    name = s->str();
    return true;
  }
  const json::Object *object = value.getAsObject();
  if (!object || !object->getString("class_name"))
    return false;
  name = object->getString("class_name")->str();
  config = object->getObject("config");
  return true;
}

/// Optimizer settings that change training in ways kiln does not compile.
static bool checkUnsupported(StringRef key, const json::Value &value,
                             std::string &error) {
  bool isNull = value.kind() == json::Value::Null;
  std::optional<double> number = numeric(value);
  bool active = !isNull && !(number && *number == 0.0);
  if ((key == "weight_decay" || key == "clipnorm" || key == "clipvalue" ||
       key == "global_clipnorm" || key == "use_ema" || key == "decay") &&
      active) {
    error = "optimizer setting '" + key.str() + "' is not supported";
    return false;
  }
  if ((key == "learning_rate" || key == "learningRate") && !number) {
    error = "learning-rate schedules are not supported (learning_rate must "
            "be a number)";
    return false;
  }
  return true;
}

bool mlir::kiln::keras::parseTrainingConfig(const json::Object &config,
                                            TrainingConfig &result,
                                            std::string &error) {
  // The loss: a name, or {class_name, config: {from_logits}}.
  const json::Value *loss = config.get("loss");
  const json::Object *lossConfig = nullptr;
  if (!loss || !readNamed(*loss, result.loss, lossConfig)) {
    error = "training configuration has no loss, or a loss per output "
            "(unsupported)";
    return false;
  }
  if (lossConfig)
    result.fromLogits = lossConfig->getBoolean("from_logits").value_or(false);

  // The optimizer: Keras 3 "optimizer", Keras 2/tfjs "optimizer_config".
  const json::Value *optimizer = config.get("optimizer");
  if (!optimizer || optimizer->kind() == json::Value::Null)
    optimizer = config.get("optimizer_config");
  const json::Object *optimizerConfig = nullptr;
  if (!optimizer || !readNamed(*optimizer, result.optimizer, optimizerConfig)) {
    error = "training configuration has no optimizer";
    return false;
  }
  if (optimizerConfig) {
    for (const auto &[key, value] : *optimizerConfig) {
      if (!checkUnsupported(key, value, error))
        return false;
      if (std::optional<double> number = numeric(value))
        result.optimizerHyper[snakeHyperName(key)] = *number;
    }
  }

  // Metrics: a list of names (or {class_name} objects); tfjs may write {}.
  if (const json::Array *metrics = config.getArray("metrics")) {
    for (const json::Value &metric : *metrics) {
      std::string name;
      const json::Object *unused;
      if (!readNamed(metric, name, unused)) {
        error = "unsupported metric specification (a list per output?)";
        return false;
      }
      result.metrics.push_back(name);
    }
  }
  return true;
}

bool mlir::kiln::keras::parseNameWithSettings(StringRef text,
                                              std::string &name,
                                              llvm::StringMap<double> &settings,
                                              std::string &error) {
  auto [head, rest] = text.split(':');
  name = head.trim().str();
  if (name.empty()) {
    error = "missing name in '" + text.str() + "'";
    return false;
  }
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
    else if (value.getAsDouble(number)) {
      error = "setting '" + key.str() + "' needs a number, got '" +
              value.str() + "'";
      return false;
    }
    settings[key] = number;
  }
  return true;
}
