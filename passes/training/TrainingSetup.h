//===- TrainingSetup.h - A model's training, resolved once ------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// The one place that decides how a model trains: the training configuration
// of its file, overridden by the command line's flags, resolved against
// kiln's losses, optimizers and metrics; @eval_step and @train_step built;
// and the training half of the descriptor (targets, slot names, metrics,
// hyperparameters, or the reason training is refused) recorded in the
// `ModelSignature` that every output mode (executable, object, library)
// emits.
//===----------------------------------------------------------------------===//

#ifndef KILN_PASSES_TRAINING_TRAININGSETUP_H
#define KILN_PASSES_TRAINING_TRAININGSETUP_H

#include "dialects/kiln/Model/ImportedModel.h"
#include "passes/training/Training.h"

#include <optional>

namespace mlir::kiln {

/// What the command line says about training; each part overrides the
/// model file's.
struct TrainingFlags {
  std::optional<std::string> loss;
  /// --loss NAME:from_logits=true,delta=D,... (keras::setLossSetting).
  LossSettings lossSettings;
  std::optional<std::string> optimizer;
  llvm::StringMap<double> optimizerHyper;
  std::optional<std::vector<std::string>> metrics;
};

/// Resolves `model.training` and `flags`, adds @eval_step/@train_step to
/// `model.module` and fills `signature.training`. A configuration from the
/// file that kiln cannot map (or a layer without a training form) is one
/// warning and `signature.trainUnavailable`, never a compile error; bad
/// flags are errors (emitted on the model's location).
LogicalResult setUpTraining(ImportedModel &model, const TrainingFlags &flags,
                            ModelSignature &signature);

/// Resolves `config`'s losses and loss weights to one per output of
/// `outputs`, in `losses` (sized like `outputs`): the issue ("output 'b'
/// has no loss ..."), or "" when they resolve.
std::string resolveOutputLosses(const TrainingConfig &config,
                                ArrayRef<TensorSignature> outputs,
                                MutableArrayRef<OutputLoss> losses);

/// `losses` as a line: the name [(delta D)] when every output has the same
/// unweighted loss, else "out: name [(from logits)] [(delta D)] [xW], ...".
std::string describeOutputLosses(ArrayRef<OutputLoss> losses,
                                 ArrayRef<TensorSignature> outputs);

} // namespace mlir::kiln

#endif // KILN_PASSES_TRAINING_TRAININGSETUP_H
