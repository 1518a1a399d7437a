//===- Training.h - Losses, optimizers and the train step -------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// What turns a forward pass into a compiled `model.fit` step, with Keras's
// semantics as the reference (DESIGN.md contract 5):
//   - losses (Losses.cpp): mean squared error and the cross-entropies, from
//     logits or from probabilities with Keras's epsilon clipping, reduced
//     "sum_over_batch_size"; a softmax/sigmoid output feeds its logits to the
//     loss, as Keras does;
//   - optimizers (Optimizers.cpp): Keras's update rules and defaults for SGD
//     (momentum, Nesterov), Adam, RMSprop and Adagrad, as kiln IR;
//   - the step builder (TrainStep.cpp): @train_step = forward + loss +
//     gradients (passes/autodiff) + optimizer update, and @eval_step =
//     forward + loss, with the buffer order of runtime/include/kiln/model.h.
//===----------------------------------------------------------------------===//

#ifndef KILN_PASSES_TRAINING_TRAINING_H
#define KILN_PASSES_TRAINING_TRAINING_H

#include "dialects/kiln/Model/ImportedModel.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace mlir::kiln {

class GradientBuilder;

/// A loss, by canonical Keras name ("mean_squared_error",
/// "sparse_categorical_crossentropy", ...), with its settings.
struct LossSpec {
  std::string name;
  LossSettings settings;
};

/// Canonicalizes a Keras/tfjs loss name ("mse", "MeanSquaredError",
/// "meanSquaredError", ...); returns "" for an unknown loss.
std::string canonicalLossName(llvm::StringRef name);
/// The canonical loss names, for messages and --help ("mean_squared_error,
/// ...").
std::string lossNames();

/// True when the loss takes class indices (one value per sample).
bool isSparseLoss(const LossSpec &loss);
/// An error unless `loss`'s settings are its own: from_logits is a
/// crossentropy's ("mean_squared_error has no from_logits ..."), delta
/// Huber's (and positive), label_smoothing the categorical and binary
/// crossentropies' and their focal forms' (and in [0, 1]), gamma and alpha
/// the focal crossentropies' (finite), apply_class_balancing
/// binary_focal_crossentropy's.
llvm::Error checkLossSettings(const LossSpec &loss);

/// The logits behind a sigmoid or softmax (over `lastAxis`) output, else a
/// null Value. Keras on TensorFlow computes every crossentropy from these
/// when the output has them, whatever the loss's from_logits says (and
/// warns when it says true): a binary crossentropy on a softmax's logits
/// included.
Value activationLogits(Value prediction, int64_t lastAxis);

/// Builds the scalar loss of `prediction` against `target` at the builder's
/// insertion point: crossentropies from the output's activationLogits.
Value buildLoss(GradientBuilder &m, const LossSpec &loss, Value prediction,
                Value target);

/// Builds Keras's metric `kind` (a resolveMetricKind result) of `prediction`
/// against `target`, averaged over the batch: a scalar (for precision and
/// recall, a tensor<2xf32>: metricValueCount). Crossentropies read
/// the output's activationLogits as the losses do. A null Value for an
/// unknown kind.
Value buildMetric(GradientBuilder &m, llvm::StringRef kind,
                  const MetricSettings &settings, Value prediction,
                  Value target);

/// An error unless `settings` are metric `kind`'s own: threshold is
/// binary_accuracy's, precision's and recall's (theirs in [0, 1], as Keras
/// checks), k the top-k accuracies', from_logits the crossentropies' and
/// auc's, label_smoothing the binary and categorical crossentropies' (in
/// [0, 1]).
llvm::Error checkMetricSettings(llvm::StringRef kind,
                                const MetricSettings &settings);

/// Reads metrics as `--metrics` and the build-train-step pass's `metrics`
/// option list them, split at commas: "NAME" or "NAME:KEY=VALUE", where an
/// item "KEY=VALUE" (no metric name has '=') adds a setting to the metric
/// before it: "precision:thresholds=0.3,top_k_categorical_accuracy:k=3".
/// VALUE is a number, true or false (setMetricSetting's keys).
llvm::Expected<llvm::SmallVector<std::pair<std::string, MetricSettings>>>
parseMetricList(llvm::ArrayRef<std::string> items);

/// Resolves a metric as Keras's compile does: "accuracy"/"acc" and
/// "crossentropy"/"ce" pick the binary, sparse or categorical variant from
/// the loss and the output's shape; Keras's short names and class names
/// ("mse", "MeanAbsolutePercentageError", "kld") map to a kind, the kinds
/// to themselves. Returns "" for an unknown metric.
std::string resolveMetricKind(llvm::StringRef name, const LossSpec &loss,
                              RankedTensorType output);
/// True for the metric kinds resolveMetricKind returns (and buildMetric
/// builds): "sparse_categorical_accuracy", "categorical_accuracy",
/// "binary_accuracy", the three crossentropies, "mse", "mae", "mape",
/// "msle", "kl_divergence", "poisson", "hinge", "squared_hinge",
/// "categorical_hinge", "cosine_similarity", "root_mean_squared_error"
/// (whose steps return the mean squared error: the runtime takes the root over
/// the epoch), "top_k_categorical_accuracy" and
/// "sparse_top_k_categorical_accuracy" (k = 5), "precision" and "recall"
/// (threshold 0.5), "auc" (200 thresholds, ROC; metricValueCount).
bool isMetricKind(llvm::StringRef kind);
/// The f32 values the steps return for metric `kind`: 2 for "precision"
/// and "recall" (the batch's true positives, then its predicted or actual
/// positives; the runtime sums both over the epoch and divides, as Keras's
/// Precision and Recall count), 400 for "auc" (true, then false positives
/// at each of its 200 thresholds), else 1 (a batch mean).
unsigned metricValueCount(llvm::StringRef kind);
/// The loss function a metric kind averages ("mae": mean_absolute_error),
/// or "" for the accuracies and crossentropies.
llvm::StringRef metricFunction(llvm::StringRef kind);

/// Why metric `kind` cannot take the targets `loss` gives the steps (class
/// indices for a sparse loss, else targets shaped like the outputs), as
/// "takes ..., but loss '...' takes ..."; "" when it can.
std::string metricTargetMismatch(llvm::StringRef kind, const LossSpec &loss);

/// Why loss or metric `kind` cannot take `output`: the ones that index or
/// take the argmax of the last axis (sparse_categorical_crossentropy,
/// categorical_hinge, the categorical accuracies) need outputs of shape
/// (batch, ..., classes) with a static class axis. "" when it can.
std::string classAxisIssue(llvm::StringRef kind, RankedTensorType output);
/// The same for a loss, whose settings may need the class axis too
/// (categorical_crossentropy's label_smoothing).
std::string classAxisIssue(const LossSpec &loss, RankedTensorType output);

/// An optimizer: canonical name ("sgd", "adam", "rmsprop", "adagrad") and its
/// hyperparameters, Keras's defaults filled in.
struct OptimizerSpec {
  std::string name;
  llvm::StringMap<double> hyper;
};

/// Canonicalizes a Keras/tfjs optimizer name and fills in Keras's default
/// hyperparameters, then applies `overrides`. An error for an unknown
/// optimizer or hyperparameter, or an unsupported setting.
llvm::Expected<OptimizerSpec>
makeOptimizerSpec(llvm::StringRef name,
                  const llvm::StringMap<double> &overrides);

/// Names of the optimizer's state slots per parameter ("m", "v", ...).
std::vector<std::string> optimizerSlotNames(const OptimizerSpec &spec);

/// Emits the update of one parameter: appends its new value and the new
/// values of its slots (in `optimizerSlotNames` order) to `updated`.
/// `learningRate` and `iteration` (1 for the first step) are scalars.
void buildOptimizerUpdate(GradientBuilder &m, const OptimizerSpec &spec,
                          Value param, Value grad, ValueRange slots,
                          Value learningRate, Value iteration,
                          SmallVectorImpl<Value> &updated);

/// The loss term of a `kiln.regularizer` ({l1, l2}) on the parameter `w`:
/// l1 * sum(|w|) + l2 * sum(w^2), a scalar; null when both are 0.
Value buildWeightPenalty(GradientBuilder &m, DictionaryAttr regularizer,
                         Value w);

/// The loss terms of the `kiln.activity_regularizer` ops in `body`: for each,
/// (l1 sum(|x|) + l2 sum(x^2)) / N of its batch x (N, ...), summed into one
/// scalar; null when there are none.
Value buildActivityPenalties(GradientBuilder &m, Block *body);

/// `w` with the `kiln.constraint` applied (Keras's MaxNorm, MinMaxNorm,
/// UnitNorm or NonNeg), for the value after an optimizer update.
Value applyConstraint(GradientBuilder &m, DictionaryAttr constraint, Value w);

/// Argument attribute of @eval_step's sparse targets: the number of classes.
constexpr llvm::StringLiteral kNumClassesAttrName = "kiln.num_classes";

/// The names of the functions the step builder adds.
constexpr llvm::StringLiteral kTrainStepName = "train_step";
constexpr llvm::StringLiteral kEvalStepName = "eval_step";

/// Why @train_step cannot be built from `func` ("layer 'dropout': ..."), or
/// "" when every mode-dependent op has a training form.
std::string getTrainingUnsupportedReason(func::FuncOp func);

/// Replaces the mode-dependent ops of `func` by the forms of its mode
/// (`kiln.mode = "training"`: training, with the last argument as the RNG
/// key; otherwise inference). Fails with an error on an op that has no
/// training form. Training forms that update state (a `kiln.state`
/// argument) append (argument, new value) to `stateUpdates` when given, and
/// are an error otherwise.
LogicalResult specializeMode(
    func::FuncOp func,
    SmallVectorImpl<std::pair<Value, Value>> *stateUpdates = nullptr);

/// The same with the mode given: the training forms keyed by `rng` (a
/// tensor<2xi64> value of `func`) when it is set, else the inference forms.
LogicalResult
specializeMode(func::FuncOp func, Value rng,
               SmallVectorImpl<std::pair<Value, Value>> *stateUpdates);

/// An output's loss and its weight in the total (Keras `loss_weights`).
struct OutputLoss {
  LossSpec loss; ///< an empty name: the output has no loss (Keras's None)
  double weight = 1.0;
  bool hasLoss() const { return !loss.name.empty(); }
};

/// A value the steps report besides the total loss: metric `kind` (a
/// resolveMetricKind result) or, for kind "loss", the output's unweighted
/// loss, on output `output`. Each is a batch mean.
struct StepLog {
  unsigned output;
  std::string kind;
  MetricSettings settings = {};
};

/// Adds @eval_step and, given an `optimizer`, @train_step built from
/// `predict` (its first `numParams` arguments are the parameters), with
/// `losses` one per output. Both also return `logs`, in order, after the
/// outputs. Fails with an error on `predict` when a loss or a metric does
/// not fit its output or a layer has no training form (see
/// getTrainingUnsupportedReason).
LogicalResult buildTrainingFunctions(func::FuncOp predict, unsigned numParams,
                                     ArrayRef<OutputLoss> losses,
                                     const OptimizerSpec *optimizer,
                                     ArrayRef<StepLog> logs = {});

} // namespace mlir::kiln

#endif // KILN_PASSES_TRAINING_TRAINING_H
