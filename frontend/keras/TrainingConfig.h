//===- TrainingConfig.h - Keras/tfjs training configurations ----*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Reads the loss, optimizer and metrics a model was compiled with, in the
// three spellings Keras users have: Keras 3 `compile_config`, Keras 2
// `training_config` (legacy .h5) and tfjs `trainingConfig` (camelCase
// hyperparameters). Training features kiln does not implement (weight decay,
// gradient clipping, EMA, learning-rate schedules) are errors, not silently
// different training.
//===----------------------------------------------------------------------===//

#ifndef KILN_FRONTEND_KERAS_TRAININGCONFIG_H
#define KILN_FRONTEND_KERAS_TRAININGCONFIG_H

#include "frontend/common/ImportedModel.h"

#include "llvm/Support/JSON.h"

namespace mlir::kiln::keras {

/// Parses a training configuration object. Returns false with `error` set
/// for an unsupported or malformed one.
bool parseTrainingConfig(const llvm::json::Object &config,
                         TrainingConfig &result, std::string &error);

/// Parses `name[:key=value,...]` (the `--optimizer` / `--loss` flag syntax)
/// into a name and numeric settings (`true`/`false` read as 1/0).
bool parseNameWithSettings(llvm::StringRef text, std::string &name,
                           llvm::StringMap<double> &settings,
                           std::string &error);

} // namespace mlir::kiln::keras

#endif // KILN_FRONTEND_KERAS_TRAININGCONFIG_H
