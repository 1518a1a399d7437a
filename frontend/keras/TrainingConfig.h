//===- TrainingConfig.h - Keras/tfjs training configurations ----*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Reads the loss, optimizer and metrics a model was compiled with, in the
// three spellings Keras users have: Keras 3 `compile_config`, Keras 2
// `training_config` (legacy .h5) and tfjs `trainingConfig` (camelCase
// hyperparameters), in every form Keras serializes them: strings, class
// objects and plain functions. Training features kiln does not implement
// (weight decay, gradient clipping, EMA, learning-rate schedules, loss
// settings kiln does not compute) are recorded as issues that refuse
// `train`, never silently different training.
//===----------------------------------------------------------------------===//

#ifndef KILN_FRONTEND_KERAS_TRAININGCONFIG_H
#define KILN_FRONTEND_KERAS_TRAININGCONFIG_H

#include "dialects/kiln/Model/ImportedModel.h"
#include "frontend/keras/KerasFlavor.h"

#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"

namespace mlir::kiln::keras {

/// Reads a training configuration object into `result`. What kiln cannot
/// map is recorded per part (`lossIssue`, `optimizerIssue`, `metricIssues`)
/// instead of failing: such a model still compiles for inference. `flavor`
/// is the Keras that wrote it (TensorFlow.js names some settings its own
/// way).
void parseTrainingConfig(const llvm::json::Object &config, KerasFlavor flavor,
                         TrainingConfig &result);

/// A name with numeric settings, as `--optimizer` / `--loss` spell them.
struct NameWithSettings {
  std::string name;
  llvm::StringMap<double> settings;
};

/// Parses `name[:key=value,...]` (the `--optimizer` / `--loss` flag syntax)
/// into a name and numeric settings (`true`/`false` read as 1/0).
llvm::Expected<NameWithSettings> parseNameWithSettings(llvm::StringRef text);

/// Sets the loss setting Keras names `key` (from_logits, delta,
/// label_smoothing, gamma, alpha, apply_class_balancing; a flag 1 or 0), as
/// a loss config or `--loss NAME:key=value` gives it; an error for another
/// key or a flag that is not 1 or 0. Whether the loss has the setting is
/// the loss's check (passes/training, checkLossSettings).
llvm::Error setLossSetting(LossSettings &settings, llvm::StringRef key,
                           double value);

} // namespace mlir::kiln::keras

#endif // KILN_FRONTEND_KERAS_TRAININGCONFIG_H
