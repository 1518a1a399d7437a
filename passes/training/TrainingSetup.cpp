//===- TrainingSetup.cpp - A model's training, resolved once ----*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//===----------------------------------------------------------------------===//

#include "passes/training/TrainingSetup.h"

#include "dialects/kiln/IR/KilnDialect.h"
#include "passes/training/Training.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/TypeUtilities.h"

using namespace mlir;
using namespace mlir::kiln;

static SmallVector<int64_t> descriptorDims(Type type) {
  SmallVector<int64_t> result;
  for (int64_t d : cast<RankedTensorType>(type).getShape())
    result.push_back(ShapedType::isDynamic(d) ? -1 : d);
  return result;
}

LogicalResult mlir::kiln::setUpTraining(ImportedModel &model,
                                        const TrainingFlags &flags,
                                        ModelSignature &signature) {
  Location loc = model.module->getLoc();
  TrainingConfig config = model.training.value_or(TrainingConfig());
  // Flags override the file, part by part; an overridden part's issue goes.
  if (flags.loss) {
    config.loss = *flags.loss;
    config.fromLogits = flags.fromLogits;
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
    config.metrics.clear();
    for (const std::string &metric : *flags.metrics)
      config.metrics.push_back({metric, metric});
    config.metricsPerOutput = false;
    config.metricIssues.clear();
  }
  if (config.loss.empty() && config.lossIssue.empty()) {
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
  std::string lossIssue = config.lossIssue;
  LossSpec loss{canonicalLossName(config.loss), config.fromLogits};
  if (lossIssue.empty() && loss.name.empty()) {
    if (flags.loss)
      return emitError(loc) << "--loss: unknown loss '" << config.loss << "'";
    lossIssue = "unknown loss '" + config.loss + "'";
  }
  if (flags.loss && !loss.name.empty())
    if (llvm::Error error = checkFromLogits(loss))
      return emitError(loc) << "--loss: " << llvm::toString(std::move(error));
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

  auto predict = cast<func::FuncOp>(
      SymbolTable::lookupSymbolIn(*model.module, kPredictFuncName));
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
  if (lossIssue.empty() && loss.fromLogits)
    for (auto [value, output] :
         llvm::zip(predict.getBody().back().getTerminator()->getOperands(),
                   signature.outputs))
      if (activationLogits(
              value, cast<RankedTensorType>(value.getType()).getRank() - 1))
        emitWarning(loc) << "training configuration: from_logits=True, but "
                            "output '"
                         << output.name
                         << "' is a sigmoid or softmax; the loss takes the "
                            "activation's input as its logits, as Keras on "
                            "TensorFlow does";
  auto firstOutput = cast<RankedTensorType>(predict.getResultTypes()[0]);
  SmallVector<std::pair<std::string, std::string>> metrics;
  SmallVector<std::string> metricIssues(config.metricIssues.begin(),
                                        config.metricIssues.end());
  // The steps compute every metric on every output: metrics meant for one
  // output, or that mean another function on another output's shape, would
  // be reported for something else.
  if (config.metricsPerOutput && signature.outputs.size() > 1) {
    metricIssues.push_back("metrics given per output (kiln reports each "
                           "metric over all outputs)");
    config.metrics.clear();
  }
  for (const TrainingConfig::Metric &metric : config.metrics) {
    std::string kind = resolveMetricKind(metric.function, loss, firstOutput);
    if (kind.empty()) {
      if (flags.metrics)
        return emitError(loc)
               << "--metrics: unknown metric '" << metric.name << "'";
      metricIssues.push_back("unknown metric '" + metric.name + "'");
      continue;
    }
    bool sameEverywhere =
        llvm::all_of(predict.getResultTypes().drop_front(), [&](Type type) {
          return resolveMetricKind(metric.function, loss,
                                   cast<RankedTensorType>(type)) == kind;
        });
    // The loss decides the targets: class indices or shaped like outputs.
    if (std::string mismatch = metricTargetMismatch(kind, loss);
        !mismatch.empty()) {
      std::string issue =
          "metric '" + metric.name + "' (" + kind + ") " + mismatch;
      if (flags.metrics)
        return emitError(loc) << "--metrics: " << issue;
      metricIssues.push_back(issue);
      continue;
    }
    if (sameEverywhere) {
      metrics.push_back({metric.name, kind});
      continue;
    }
    if (flags.metrics)
      return emitError(loc) << "--metrics: '" << metric.name
                            << "' is another metric on another output's "
                               "shape (kiln reports each metric over all "
                               "outputs)";
    metricIssues.push_back("metric '" + metric.name +
                           "' (another metric on another output's shape)");
  }
  for (const std::string &issue : metricIssues)
    emitWarning(loc) << "training configuration: " << issue
                     << " is not reported";

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
    optimizer.reset();
  }

  TrainingSignature training;
  training.loss = loss.name;
  training.fromLogits = loss.fromLogits;
  training.hasTrainStep = optimizer.has_value();
  if (optimizer) {
    training.optimizer = optimizer->name;
    for (const auto &entry : optimizer->hyper)
      training.hyper.push_back({entry.getKey().str(), entry.getValue()});
    llvm::sort(training.hyper);
  }
  std::vector<std::string> metricKinds;
  for (const auto &metric : metrics)
    metricKinds.push_back(metric.second);
  training.metrics = std::move(metrics);
  if (failed(buildTrainingFunctions(predict, model.params.size(), loss,
                                    optimizer ? &*optimizer : nullptr,
                                    metricKinds)))
    return failure();
  auto eval = cast<func::FuncOp>(
      SymbolTable::lookupSymbolIn(*model.module, kEvalStepName));
  unsigned firstTarget = predict.getNumArguments();
  for (auto [i, output] : llvm::enumerate(signature.outputs))
    training.targets.push_back(
        {output.name,
         descriptorDims(eval.getArgumentTypes()[firstTarget + i])});
  if (optimizer)
    for (const ParamData &param : model.params)
      if (param.trainable)
        for (const std::string &slot : optimizerSlotNames(*optimizer))
          training.slots.push_back(
              {param.name + "/" + slot, SmallVector<int64_t>(param.shape)});
  signature.training = std::move(training);
  return success();
}
