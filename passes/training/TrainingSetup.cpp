//===- TrainingSetup.cpp - A model's training, resolved once ----*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//===----------------------------------------------------------------------===//

#include "passes/training/TrainingSetup.h"

#include "dialects/kiln/IR/KilnDialect.h"
#include "passes/training/Training.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/TypeUtilities.h"

#include <cstdio>

using namespace mlir;
using namespace mlir::kiln;

static SmallVector<int64_t> descriptorDims(Type type) {
  SmallVector<int64_t> result;
  for (int64_t d : cast<RankedTensorType>(type).getShape())
    result.push_back(ShapedType::isDynamic(d) ? -1 : d);
  return result;
}

/// The outputs `key` names, in `indices`; the issue ("given for 'c', which
/// is not an output; ..."), or "" when it names some.
static std::string outputsOf(const TrainingConfig::OutputKey &key,
                             ArrayRef<TensorSignature> outputs,
                             SmallVectorImpl<unsigned> &indices) {
  if (key.everyOutput() ||
      (key.flatList && outputs.size() == 1 && key.listSize != 1)) {
    for (unsigned o = 0; o < outputs.size(); ++o)
      indices.push_back(o);
    return "";
  }
  if (!key.name.empty()) {
    const auto *it = llvm::find_if(
        outputs, [&](const TensorSignature &t) { return t.name == key.name; });
    if (it == outputs.end()) {
      std::string names;
      for (const TensorSignature &t : outputs)
        names += (names.empty() ? "'" : ", '") + t.name + "'";
      return "given for '" + key.name +
             "', which is not an output; the outputs are " + names;
    }
    indices.push_back(unsigned(it - outputs.begin()));
    return "";
  }
  if (size_t(key.listSize) != outputs.size())
    return "given as a list of " + std::to_string(key.listSize) + " for " +
           std::to_string(outputs.size()) + " output" +
           (outputs.size() == 1 ? "" : "s");
  indices.push_back(unsigned(key.position));
  return "";
}

std::string
mlir::kiln::resolveOutputLosses(const TrainingConfig &config,
                                ArrayRef<TensorSignature> outputs,
                                MutableArrayRef<OutputLoss> losses) {
  SmallVector<bool> given(outputs.size(), false);
  for (const TrainingConfig::Loss &loss : config.losses) {
    SmallVector<unsigned> indices;
    if (std::string issue = outputsOf(loss.output, outputs, indices);
        !issue.empty())
      return "a loss " + issue;
    // None: the output has no loss (an empty LossSpec).
    LossSpec spec;
    if (!loss.name.empty()) {
      spec = {canonicalLossName(loss.name), loss.settings};
      if (spec.name.empty())
        return "unknown loss '" + loss.name +
               "' (kiln's losses: " + lossNames() + ")";
      if (llvm::Error error = checkLossSettings(spec))
        return llvm::toString(std::move(error));
    }
    for (unsigned o : indices) {
      if (given[o])
        return "two losses for output '" + outputs[o].name + "'";
      given[o] = true;
      losses[o].loss = spec;
    }
  }
  // Keras 3 takes a loss dict without an output's key only for a model
  // whose outputs are a dict, which kiln's importers do not tell apart.
  for (auto [o, output] : llvm::enumerate(outputs))
    if (!given[o])
      return "output '" + output.name +
             "' is not given a loss (give it null for an output without "
             "one)";
  if (llvm::none_of(losses, [](const OutputLoss &l) { return l.hasLoss(); }))
    return "no output has a loss";
  if (config.lossWeights.empty())
    return "";
  given.assign(outputs.size(), false);
  for (const auto &[key, weight] : config.lossWeights) {
    SmallVector<unsigned> indices;
    if (std::string issue = outputsOf(key, outputs, indices); !issue.empty())
      return "loss_weights " + issue;
    for (unsigned o : indices) {
      given[o] = true;
      losses[o].weight = weight;
    }
  }
  // An output without a loss needs no weight (Keras ignores one).
  for (auto [o, output] : llvm::enumerate(outputs))
    if (!given[o] && losses[o].hasLoss())
      return "loss_weights gives no weight for output '" + output.name + "'";
  return "";
}

std::string
mlir::kiln::describeOutputLosses(ArrayRef<OutputLoss> losses,
                                 ArrayRef<TensorSignature> outputs) {
  auto number = [](const char *format, double value) {
    char text[48];
    std::snprintf(text, sizeof(text), format, value);
    return std::string(text);
  };
  // The name and the settings that are not the default.
  auto describe = [&](const LossSpec &loss, bool withLogits) {
    if (loss.name.empty())
      return std::string("no loss");
    const LossSettings &s = loss.settings, defaults;
    std::string text = loss.name;
    if (withLogits && s.fromLogits)
      text += " (from logits)";
    if (s.delta != defaults.delta)
      text += number(" (delta %g)", s.delta);
    if (s.labelSmoothing != defaults.labelSmoothing)
      text += number(" (label_smoothing %g)", s.labelSmoothing);
    if (s.gamma != defaults.gamma)
      text += number(" (gamma %g)", s.gamma);
    // binary_focal_crossentropy weighs by alpha only with class balancing.
    if (s.applyClassBalancing)
      text += " (class balancing)";
    if (s.alpha != defaults.alpha &&
        (s.applyClassBalancing || loss.name != "binary_focal_crossentropy"))
      text += number(" (alpha %g)", s.alpha);
    return text;
  };
  const OutputLoss &first = losses.front();
  if (llvm::all_of(losses, [&](const OutputLoss &l) {
        return l.loss.name == first.loss.name &&
               l.loss.settings == first.loss.settings && l.weight == 1.0;
      }))
    return describe(first.loss, /*withLogits=*/false);
  std::string text;
  for (auto [loss, output] : llvm::zip(losses, outputs)) {
    if (!text.empty())
      text += ", ";
    text += output.name + ": " + describe(loss.loss, /*withLogits=*/true);
    if (loss.weight != 1.0 && loss.hasLoss())
      text += number(" x%g", loss.weight);
  }
  return text;
}

LogicalResult mlir::kiln::setUpTraining(ImportedModel &model,
                                        const TrainingFlags &flags,
                                        ModelSignature &signature) {
  Location loc = model.module->getLoc();
  TrainingConfig config = model.training.value_or(TrainingConfig());
  // Flags override the file, part by part; an overridden part's issue goes.
  if (flags.loss) {
    // The flag is the whole loss: every output's, unweighted.
    config.losses = {{*flags.loss, {}, flags.lossSettings}};
    config.lossWeights.clear();
    config.lossIssue.clear();
  }
  if (flags.optimizer) {
    // Keras's defaults and the flag's settings, never the file's.
    config.optimizerHyper.clear();
    config.optimizer = *flags.optimizer;
    config.optimizerIssue.clear();
  }
  for (const auto &entry : flags.optimizerHyper)
    config.optimizerHyper[entry.getKey()] = entry.getValue();
  if (flags.metrics) {
    auto parsed = parseMetricList(*flags.metrics);
    if (!parsed)
      return emitError(loc) << "--metrics: "
                            << llvm::toString(parsed.takeError());
    config.metrics.clear();
    for (auto &[metric, settings] : *parsed)
      config.metrics.push_back({metric, metric, {}, settings});
    config.metricIssues.clear();
  }
  if (config.losses.empty() && config.lossIssue.empty()) {
    if (flags.optimizer || flags.metrics)
      return emitError(loc) << (flags.optimizer ? "--optimizer" : "--metrics")
                            << " needs a loss: the model file names none "
                               "(add --loss NAME)";
    return success(); // inference only
  }
  if (config.optimizer.empty() && config.optimizerIssue.empty())
    config.optimizer = "rmsprop"; // Keras's compile() default

  // What the file says that kiln cannot map: one warning, and a refusal
  // the compiled model repeats when asked to train.
  auto predict = cast<func::FuncOp>(
      SymbolTable::lookupSymbolIn(*model.module, kPredictFuncName));
  ArrayRef<TensorSignature> outputs = signature.outputs;
  std::string lossIssue = config.lossIssue;
  SmallVector<OutputLoss> losses(outputs.size());
  if (lossIssue.empty())
    lossIssue = resolveOutputLosses(config, outputs, losses);
  for (auto [o, loss] : llvm::enumerate(losses))
    if (std::string issue =
            classAxisIssue(loss.loss,
                           cast<RankedTensorType>(predict.getResultTypes()[o]));
        lossIssue.empty() && !issue.empty())
      lossIssue = "loss '" + loss.loss.name + "' of output '" +
                  outputs[o].name + "' " + issue;
  if (flags.loss && !lossIssue.empty())
    return emitError(loc) << "--loss: " << lossIssue;
  // Keras configs carry settings that change nothing while their switches
  // are off (TrainingConfig.cpp refuses those that are on) or nothing at
  // all; any other setting kiln's optimizer lacks is an issue, never
  // dropped. Unknown flags are errors.
  std::string optimizerIssue = config.optimizerIssue;
  std::optional<OptimizerSpec> optimizer;
  if (optimizerIssue.empty()) {
    // The file's settings that the optimizer has, and every flag setting
    // (an unknown one is the flag's error).
    llvm::Expected<OptimizerSpec> spec =
        makeOptimizerSpec(config.optimizer, {});
    static constexpr llvm::StringLiteral kInert[] = {
        "ema_momentum",      "ema_overwrite_frequency",
        "jit_compile",       "is_legacy_optimizer",
        "weight_decay",      "clipnorm",
        "clipvalue",         "global_clipnorm",
        "use_ema",           "decay",
        "loss_scale_factor", "gradient_accumulation_steps"};
    if (spec) {
      llvm::StringMap<double> overrides;
      for (const auto &entry : config.optimizerHyper) {
        StringRef key = entry.getKey();
        if (spec->hyper.count(key) || flags.optimizerHyper.count(key))
          overrides[key] = entry.getValue();
        else if (!llvm::is_contained(kInert, key) && optimizerIssue.empty())
          optimizerIssue = "optimizer setting '" + key.str() +
                           "' is not one of " + config.optimizer + "'s";
      }
      spec = makeOptimizerSpec(config.optimizer, overrides);
    }
    if (spec) {
      optimizer = std::move(*spec);
    } else {
      std::string error = llvm::toString(spec.takeError());
      if (flags.optimizer)
        return emitError(loc) << "--optimizer: " << error;
      optimizerIssue = error;
    }
  }

  for (auto [type, output] :
       llvm::zip(predict.getResultTypes(), signature.outputs))
    if (!isa<FloatType>(cast<RankedTensorType>(type).getElementType()))
      return emitError(loc)
             << "--loss: output '" << output.name << "' is "
             << (getElementTypeOrSelf(type).isInteger(1)
                     ? std::string("bool")
                     : "int" + std::to_string(getElementTypeOrSelf(type)
                                                  .getIntOrFloatBitWidth()))
             << "; a loss needs float outputs (drop --loss to compile "
                "predict only)";
  // Keras warns about this too; the loss reads the activation's input.
  if (lossIssue.empty())
    for (auto [value, output, loss] :
         llvm::zip(predict.getBody().back().getTerminator()->getOperands(),
                   outputs, losses))
      if (loss.loss.settings.fromLogits &&
          activationLogits(
              value, cast<RankedTensorType>(value.getType()).getRank() - 1))
        emitWarning(loc)
            << "training configuration: from_logits=True, but output '"
            << output.name << "' is a sigmoid or softmax; "
            << (StringRef(loss.loss.name).ends_with("focal_crossentropy")
                    ? "the focal loss applies its activation to it again, "
                      "as Keras does"
                    : "the loss takes the activation's input as its "
                      "logits, as Keras on TensorFlow does");

  // What the steps report besides the loss: with several outputs, each
  // output's unweighted loss ("<output>_loss", as Keras logs it), and each
  // metric on the outputs it was given for, resolved against that output's
  // loss and shape.
  SmallVector<std::string> metricIssues(config.metricIssues.begin(),
                                        config.metricIssues.end());
  SmallVector<SmallVector<TrainingSignature::Log>> perOutput(outputs.size());
  // With a loss issue the model compiles for predict only: nothing reports
  // the metrics.
  ArrayRef<TrainingConfig::Metric> givenMetrics;
  if (lossIssue.empty())
    givenMetrics = config.metrics;
  for (const TrainingConfig::Metric &metric : givenMetrics) {
    SmallVector<unsigned> indices;
    if (std::string issue = outputsOf(metric.output, outputs, indices);
        !issue.empty()) {
      metricIssues.push_back("metric '" + metric.name + "' (" + issue + ")");
      continue;
    }
    for (unsigned o : indices) {
      auto type = cast<RankedTensorType>(predict.getResultTypes()[o]);
      std::string kind =
          resolveMetricKind(metric.function, losses[o].loss, type);
      std::string issue;
      if (kind.empty())
        issue = "unknown metric '" + metric.name + "'";
      else if (std::string mismatch =
                   metricTargetMismatch(kind, losses[o].loss);
               !mismatch.empty())
        issue = "metric '" + metric.name + "' (" + kind + ") " + mismatch;
      else if (std::string axis = classAxisIssue(kind, type); !axis.empty())
        issue = "metric '" + metric.name + "' (" + kind + ") " + axis;
      else if (llvm::Error error = checkMetricSettings(kind, metric.settings))
        issue = "metric '" + metric.name + "' (" +
                llvm::toString(std::move(error)) + ")";
      if (issue.empty()) {
        perOutput[o].push_back({metric.name, kind, unsigned(o),
                                metricValueCount(kind), metric.settings});
        continue;
      }
      if (flags.metrics)
        return emitError(loc) << "--metrics: " << issue;
      if (!llvm::is_contained(metricIssues, issue))
        metricIssues.push_back(issue);
    }
  }
  for (const std::string &issue : metricIssues)
    emitWarning(loc) << "training configuration: " << issue
                     << " is not reported";
  // Keras logs "<output>_loss" for each output with a loss when two or more
  // have one.
  SmallVector<TrainingSignature::Log> logs;
  bool perOutputLoss = llvm::count_if(losses, [](const OutputLoss &l) {
                         return l.hasLoss();
                       }) > 1;
  for (auto [o, output] : llvm::enumerate(outputs)) {
    if (perOutputLoss && losses[o].hasLoss())
      logs.push_back({output.name + "_loss", "loss", unsigned(o)});
    for (TrainingSignature::Log &log : perOutput[o]) {
      if (outputs.size() > 1)
        log.name = output.name + "_" + log.name;
      logs.push_back(std::move(log));
    }
  }

  // One warning now, and the refusal the compiled model repeats.
  auto refuse = [&](const std::string &issue, StringRef flags,
                    StringRef compiledFor, StringRef needing) {
    signature.trainUnavailable =
        "the model file's training configuration cannot be compiled: " + issue +
        " (recompile with " + flags.str() + ")";
    emitWarning(loc) << "training configuration: " << issue << "; compiled for "
                     << compiledFor << " (" << needing << " " << flags << ")";
  };
  if (!lossIssue.empty()) {
    refuse(lossIssue, "--loss and --optimizer", "predict only",
           "train and evaluate need");
    return success();
  }
  std::string layerIssue = getTrainingUnsupportedReason(predict);
  if (!optimizerIssue.empty()) {
    refuse(optimizerIssue, "--optimizer", "predict and evaluate",
           "train needs");
    optimizer.reset();
  } else if (!layerIssue.empty()) {
    signature.trainUnavailable =
        layerIssue + "; predict and evaluate (inference mode) are exact";
    // Said now too, as the configuration's issues are, not first at train.
    emitWarning(loc) << layerIssue
                     << "; compiled for predict and evaluate (train is "
                        "refused)";
    optimizer.reset();
  }

  TrainingSignature training;
  training.loss = describeOutputLosses(losses, outputs);
  // Per output, the description says which losses are from logits.
  training.fromLogits = training.loss.find(": ") == std::string::npos &&
                        losses.front().loss.settings.fromLogits;
  training.hasTrainStep = optimizer.has_value();
  if (optimizer) {
    training.optimizer = optimizer->name;
    for (const auto &entry : optimizer->hyper)
      training.hyper.push_back({entry.getKey().str(), entry.getValue()});
    llvm::sort(training.hyper);
  }
  SmallVector<StepLog> stepLogs;
  for (const TrainingSignature::Log &log : logs)
    stepLogs.push_back({log.output, log.kind, log.settings});
  training.logs = std::move(logs);
  if (failed(buildTrainingFunctions(predict, model.params.size(), losses,
                                    optimizer ? &*optimizer : nullptr,
                                    stepLogs)))
    return failure();
  auto eval = cast<func::FuncOp>(
      SymbolTable::lookupSymbolIn(*model.module, kEvalStepName));
  unsigned firstTarget = predict.getNumArguments();
  for (auto [i, output] : llvm::enumerate(outputs)) {
    training.targets.push_back(
        {output.name,
         descriptorDims(eval.getArgumentTypes()[firstTarget + i])});
    training.classIndexTargets.push_back(isSparseLoss(losses[i].loss));
  }
  if (optimizer)
    for (const ParamData &param : model.params)
      if (param.trainable)
        for (const std::string &slot : optimizerSlotNames(*optimizer))
          training.slots.push_back(
              {param.name + "/" + slot, SmallVector<int64_t>(param.shape)});
  signature.training = std::move(training);
  return success();
}
