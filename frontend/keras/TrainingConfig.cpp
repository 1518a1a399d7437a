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

/// Reads one loss: a name, a function, or a class object whose config kiln
/// models (setLossSetting's settings) or can check is the default
/// (reduction, axis, ignore_class); or null, an output's None: no loss
/// (Keras 2 and 3 skip it; TensorFlow.js cannot train such a model).
/// Returns the issue, or "".
static std::string parseOneLoss(const json::Value &value, KerasFlavor flavor,
                                TrainingConfig::Loss &loss) {
  const json::Object *config = nullptr;
  if (value.kind() == json::Value::Null)
    return flavor == KerasFlavor::TfJs
               ? "an output without a loss (TensorFlow.js trains every "
                 "output)"
               : "";
  if (!readNamed(value, loss.name, config))
    return "the loss is not a name, function or class object";
  // tfjs's hinge losses take the labels as they are; Keras's (which kiln
  // computes) map labels that are all 0 or 1 to -1 and 1.
  if (flavor == KerasFlavor::TfJs &&
      (loss.name == "hinge" || loss.name == "squaredHinge"))
    return "TensorFlow.js's " + loss.name +
           " is not Keras's (it does not map 0/1 labels to -1/1)";
  if (!config)
    return "";
  for (const auto &[key, value] : *config) {
    std::optional<double> number = numeric(value);
    std::optional<StringRef> text = value.getAsString();
    bool supported;
    // The loss's name, and the function a Keras 2 class wraps (its class).
    if (key == "name" || key == "fn")
      supported = true;
    else if (key == "reduction")
      supported = value.kind() == json::Value::Null ||
                  (text && (*text == "sum_over_batch_size" || *text == "auto"));
    else if (key == "axis")
      supported = !number || *number == -1.0;
    else if (key == "ignore_class")
      supported = value.kind() == json::Value::Null;
    else // what the loss computes with: checked with the loss
      supported = number && !errorToBool(keras::setLossSetting(
                                loss.settings, key, *number));
    if (!supported)
      return "loss setting '" + key.str() + "' is not supported";
  }
  return "";
}

/// Whether `value` is a list, or an object that is not a class object: a
/// part given per output ({"output_name": ...} or [one per output]).
static bool isPerOutput(const json::Value &value) {
  if (value.getAsArray())
    return true;
  const json::Object *object = value.getAsObject();
  return object && !object->get("class_name");
}

/// Calls `each(key, item)` for every entry of a per-output `value`: by
/// position for a list, by output name for an object.
template <typename Fn>
static void forEachOutput(const json::Value &value, Fn each) {
  if (const json::Array *list = value.getAsArray()) {
    for (auto [i, item] : llvm::enumerate(*list))
      each(TrainingConfig::OutputKey{"", int(i), int(list->size())}, item);
    return;
  }
  for (const auto &[name, item] : *value.getAsObject())
    each(TrainingConfig::OutputKey{name.str()}, item);
}

/// Reads the loss: one for every output, or one per output (a list in
/// output order or an object keyed by output name). Sets `result.lossIssue`
/// for anything kiln cannot map.
static void parseLoss(const json::Value *loss, KerasFlavor flavor,
                      TrainingConfig &result) {
  if (!loss || loss->kind() == json::Value::Null) {
    result.lossIssue = "it names no loss";
    return;
  }
  if (!isPerOutput(*loss)) {
    result.losses.emplace_back();
    result.lossIssue = parseOneLoss(*loss, flavor, result.losses.back());
    return;
  }
  forEachOutput(*loss, [&](const TrainingConfig::OutputKey &key,
                           const json::Value &item) {
    if (!result.lossIssue.empty())
      return;
    if (isPerOutput(item)) {
      result.lossIssue = "a nested loss structure is not supported";
      return;
    }
    result.losses.push_back({"", key});
    result.lossIssue = parseOneLoss(item, flavor, result.losses.back());
    if (!result.lossIssue.empty() && !key.name.empty())
      result.lossIssue = "output '" + key.name + "': " + result.lossIssue;
  });
  if (result.losses.empty() && result.lossIssue.empty())
    result.lossIssue = "it names no loss";
}

/// Reads `loss_weights`: a number for every output, or one per output.
static void parseLossWeights(const json::Value *weights,
                             TrainingConfig &result) {
  if (!weights || weights->kind() == json::Value::Null ||
      !result.lossIssue.empty())
    return;
  if (std::optional<double> number = numeric(*weights)) {
    result.lossWeights.push_back({TrainingConfig::OutputKey{}, *number});
    return;
  }
  if (!isPerOutput(*weights)) {
    result.lossIssue = "loss_weights is not a number, list or object";
    return;
  }
  forEachOutput(*weights, [&](const TrainingConfig::OutputKey &key,
                              const json::Value &item) {
    std::optional<double> number = numeric(item);
    if (!number && result.lossIssue.empty())
      result.lossIssue = "a loss weight that is not a number";
    result.lossWeights.push_back({key, number.value_or(1.0)});
  });
}

/// Whether a metric object's setting that the compiled steps do not take
/// (passes/training, buildMetric) is Keras's default.
static bool isDefaultMetricSetting(StringRef key, const json::Value &value) {
  if (value.kind() == json::Value::Null)
    return true;
  std::optional<double> number = value.getAsNumber();
  if (key == "axis")
    return number == -1.0;
  if (key == "from_sorted_ids" || key == "multi_label") // AUC's
    return value.getAsBoolean() == std::optional<bool>(false);
  // AUC's (num_thresholds, curve, summation_method).
  if (key == "num_thresholds")
    return number == 200.0;
  if (key == "curve")
    return value.getAsString() == std::optional<StringRef>("ROC");
  if (key == "summation_method")
    return value.getAsString() == std::optional<StringRef>("interpolation");
  return false;
}

/// Appends the metrics in `value` for the outputs `output` says: strings,
/// class or function objects (a MeanMetricWrapper's config names its
/// function), and lists of them, or per output a list of lists or an object
/// keyed by output name. A flat list is one metric per output in Keras 3
/// (`flatList`), every metric on every output in Keras 2 and tfjs.
static void parseMetrics(const json::Value &value, KerasFlavor flavor,
                         const TrainingConfig::OutputKey &output,
                         TrainingConfig &result) {
  if (value.kind() == json::Value::Null)
    return;
  if (const json::Array *list = value.getAsArray()) {
    bool nested = llvm::any_of(
        *list, [](const json::Value &item) { return isPerOutput(item); });
    for (auto [i, item] : llvm::enumerate(*list)) {
      TrainingConfig::OutputKey key = output;
      if (output.everyOutput() && (nested || flavor == KerasFlavor::Keras3 ||
                                   flavor == KerasFlavor::Unknown))
        key = {"", int(i), int(list->size()), !nested};
      parseMetrics(item, flavor, key, result);
    }
    return;
  }
  if (const json::Object *object = value.getAsObject();
      object && !object->get("class_name")) {
    // {"output_name": metrics} per output, or tfjs's empty {}.
    for (const auto &[name, item] : *object)
      parseMetrics(item, flavor, TrainingConfig::OutputKey{name.str()}, result);
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
  bool wrapper = false;
  if (config) {
    if (std::optional<StringRef> inner = config->getString("name"))
      name = inner->str();
    wrapper = function == "MeanMetricWrapper";
    if (wrapper) {
      // Its function: a name, or (Keras 3) a function object naming it.
      const json::Value *fn = config->get("fn");
      std::optional<StringRef> fnName;
      if (fn)
        fnName = fn->getAsString();
      if (const json::Object *object = fn ? fn->getAsObject() : nullptr)
        fnName = object->getString("config");
      function = fnName.value_or(name).str();
    }
    else if (function == "Accuracy") // elementwise equality, not argmax
      function = "equality accuracy";
    else if (function == "AUC")
      function = "auc";
    else
      function = snakeCase(function);
  }
  // TensorFlow.js's precision and recall are each batch's, averaged over
  // the epoch; Keras's (which kiln computes) count over the whole epoch.
  if (flavor == KerasFlavor::TfJs &&
      (function == "precision" || function == "recall")) {
    result.metricIssues.push_back(
        "metric '" + name +
        "' (TensorFlow.js averages each batch's; kiln counts over the "
        "epoch, as Keras does)");
    return;
  }
  // The settings the steps compute (setMetricSetting's: passes/training
  // checks that the metric has them); any other must be Keras's default,
  // or the metric would be reported as something else.
  MetricSettings settings;
  static const json::Object noSettings;
  for (const auto &[key, value] : config ? *config : noSettings) {
    if (key == "name" || key == "dtype" || value.kind() == json::Value::Null ||
        (wrapper && key == "fn"))
      continue;
    // Precision's and Recall's thresholds: a number or a list of one.
    const json::Value *setting = &value;
    if (const json::Array *list = value.getAsArray();
        list && list->size() == 1 && key == "thresholds")
      setting = &list->front();
    std::optional<double> number = setting->getAsNumber();
    if (std::optional<bool> flag = setting->getAsBoolean())
      number = *flag ? 1.0 : 0.0;
    bool settable = key == "threshold" || key == "thresholds" || key == "k" ||
                    key == "from_logits" || key == "label_smoothing";
    std::string issue;
    if (settable && number) {
      if (llvm::Error error = setMetricSetting(settings, key, *number))
        issue = llvm::toString(std::move(error));
    } else if (settable || !isDefaultMetricSetting(key, value)) {
      issue = "its setting '" + key.str() + "'";
    }
    if (!issue.empty()) {
      result.metricIssues.push_back("metric '" + name + "' (" + issue + ")");
      return;
    }
  }
  result.metrics.push_back({name, function, output, settings});
}

void mlir::kiln::keras::parseTrainingConfig(const json::Object &config,
                                            KerasFlavor flavor,
                                            TrainingConfig &result) {
  parseLoss(config.get("loss"), flavor, result);
  parseLossWeights(config.get("loss_weights"), result);

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
  } else if (StringRef name = result.optimizer;
             flavor == KerasFlavor::Keras2 && optimizerConfig &&
             optimizerConfig->get("is_legacy_optimizer") &&
             name.consume_front("Custom>")) {
    // Keras 2.11 and later (tf_keras) write their own optimizers' class
    // under the registered name "Custom>Adam" in HDF5 training configs;
    // `is_legacy_optimizer` is in every one's config.
    result.optimizer = name.str();
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

  // Without sample weights, weighted metrics are the metrics.
  for (StringRef key : {"metrics", "weighted_metrics"})
    if (const json::Value *metrics = config.get(key))
      parseMetrics(*metrics, flavor, TrainingConfig::OutputKey{}, result);
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
    llvm::Expected<double> number = parseSettingValue(key, value);
    if (!number)
      return number.takeError();
    result.settings[key] = *number;
  }
  return result;
}

llvm::Error mlir::kiln::keras::setLossSetting(LossSettings &settings,
                                              StringRef key, double value) {
  auto flag = [&](bool &field) -> llvm::Error {
    if (value != 0 && value != 1)
      return llvm::createStringError(key + " must be true or false");
    field = value != 0;
    return llvm::Error::success();
  };
  auto number = [&](double &field) {
    field = value;
    return llvm::Error::success();
  };
  if (key == "from_logits")
    return flag(settings.fromLogits);
  if (key == "apply_class_balancing")
    return flag(settings.applyClassBalancing);
  if (key == "delta")
    return number(settings.delta);
  if (key == "label_smoothing")
    return number(settings.labelSmoothing);
  if (key == "gamma")
    return number(settings.gamma);
  if (key == "alpha")
    return number(settings.alpha);
  return llvm::createStringError("unknown setting '" + key + "'");
}
