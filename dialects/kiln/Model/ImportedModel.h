//===- ImportedModel.h - The model every stage passes along -----*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// The frontend's output contract. Every importer (Keras, tfjs, ONNX) produces
// an `ImportedModel`: a module whose `func.func @predict` is the forward pass
// in the kiln dialect, plus what must not live in the IR: the parameter
// values (the weights blob; contract 3) and the Keras-style layer table for
// `summary`. Passes and codegen consume this struct and nothing
// format-specific; it lives below the frontend so that neither links an
// importer. `ModelSignature` is what the descriptor is built from: the
// training half is filled by passes/training (setUpTraining), once, for every
// output mode.
//
// @predict's arguments are the parameters (tagged `kiln.param = "<name>"`, in
// the order of `params`) followed by the model inputs (`kiln.input`); its
// results are the model outputs (`kiln.output`). Parameters the optimizer
// must not update carry `kiln.non_trainable`.
//===----------------------------------------------------------------------===//

#ifndef KILN_DIALECTS_KILN_MODEL_IMPORTEDMODEL_H
#define KILN_DIALECTS_KILN_MODEL_IMPORTEDMODEL_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"

#include <optional>
#include <string>
#include <vector>

namespace mlir::kiln {

/// One model parameter with its values (row-major float32).
struct ParamData {
  std::string name; ///< Keras weight path, e.g. "dense_1/kernel"
  /// Where Keras 3 stores it: "<layer path>/vars/<index>".
  std::string keras3Path;
  llvm::SmallVector<int64_t> shape;
  std::vector<float> values;
  /// False for Keras `trainable: false` layers and non-trainable weights:
  /// saved, loaded and counted like the others, never updated by the
  /// optimizer.
  bool trainable = true;
  /// Non-trainable state the train step updates (BatchNormalization's
  /// moving statistics); never trainable.
  bool state = false;
  /// Keras weight regularizer and constraint, as the argument attributes
  /// kiln.regularizer / kiln.constraint (KilnDialect.h); null when none.
  mlir::DictionaryAttr regularizer, constraint;
  /// Set when the parameter is kept transposed from the model file's layout
  /// (an ONNX kernel stored as the kiln op reads it): `shape[i]` is the
  /// file's dimension `filePermutation[i]`. Writing the file back undoes it.
  llvm::SmallVector<int64_t> filePermutation;
  /// Drawn from its initializer (seeded by `--seed`), not read from a file.
  bool initialized = false;
};

/// One row of the Keras `model.summary()` table.
struct LayerRow {
  std::string name;
  std::string className;
  std::string outputShape; ///< Keras rendering, e.g. "(None, 128)"
  std::string connectedTo; ///< Functional models only
  int64_t numParams = 0;
  int64_t numTrainableParams = 0;
  std::string keras3Path; ///< "layers/dense" ("" when Keras 3 stores none)
};

/// A loss's settings besides its name, as Keras's loss classes take them
/// (a .keras file's loss config, `--loss NAME:key=value`). A setting a loss
/// does not have stays at its default: passes/training's checkLossSettings
/// refuses any other value rather than ignore it.
struct LossSettings {
  bool fromLogits = false;
  double delta = 1.0; ///< huber's
  /// The crossentropies' label_smoothing (categorical, binary and focal).
  double labelSmoothing = 0.0;
  /// The focal crossentropies': the modulating factor's exponent and the
  /// class weight (binary_focal_crossentropy's only with class balancing).
  double gamma = 2.0;
  double alpha = 0.25;
  bool applyClassBalancing = false; ///< binary_focal_crossentropy's
  friend bool operator==(const LossSettings &a, const LossSettings &b) {
    return a.fromLogits == b.fromLogits && a.delta == b.delta &&
           a.labelSmoothing == b.labelSmoothing && a.gamma == b.gamma &&
           a.alpha == b.alpha && a.applyClassBalancing == b.applyClassBalancing;
  }
};

/// A metric's settings besides its kind, as Keras's metric classes take
/// them (a .keras file's metric config, `--metrics NAME:key=value`).
/// passes/training's checkMetricSettings refuses a setting the metric does
/// not have rather than ignore it.
struct MetricSettings {
  /// binary_accuracy's threshold; precision's and recall's thresholds (one).
  double threshold = 0.5;
  int64_t k = 5; ///< the top-k accuracies'
  /// The crossentropies' and auc's: the predictions are logits.
  bool fromLogits = false;
  /// The binary and categorical crossentropies'.
  double labelSmoothing = 0.0;
  friend bool operator==(const MetricSettings &a, const MetricSettings &b) {
    return a.threshold == b.threshold && a.k == b.k &&
           a.fromLogits == b.fromLogits && a.labelSmoothing == b.labelSmoothing;
  }
};

/// The VALUE of a `NAME:KEY=VALUE,...` flag's setting `key` (--loss,
/// --optimizer, --metrics): a number, or true/false as 1/0; an error
/// "setting 'KEY' needs a number, got 'VALUE'" otherwise.
llvm::Expected<double> parseSettingValue(llvm::StringRef key,
                                         llvm::StringRef value);

/// Sets metric setting `key` (Keras's name: threshold or thresholds, k,
/// from_logits, label_smoothing) to `value`; an error for another key, a
/// flag that is not 0 or 1, or a k that is not a positive whole number.
llvm::Error setMetricSetting(MetricSettings &settings, llvm::StringRef key,
                             double value);

/// The training configuration stored with a model (Keras `compile_config`,
/// tfjs `trainingConfig`, legacy `training_config`), as written there.
/// A part may be given per output: by position (a list, in output order)
/// or by output name (a dict); passes/training resolves them against the
/// model's outputs.
struct TrainingConfig {
  /// Where a per-output part applies: every output (position -1, no
  /// name), the output named `name`, or the one at `position` of a list of
  /// `listSize` entries.
  struct OutputKey {
    std::string name;
    int position = -1;
    int listSize = 0;
    /// Keras 3 reads a flat metrics list of a multi-output model as one
    /// metric per output (Keras 2 and tfjs as every metric on every
    /// output); on a single output it is that output's list either way.
    bool flatList = false;
    bool everyOutput() const { return name.empty() && position < 0; }
  };
  struct Loss {
    /// e.g. "sparse_categorical_crossentropy"; "" for an output given no
    /// loss (Keras's None: its target only feeds its metrics).
    std::string name;
    OutputKey output;
    LossSettings settings;
  };
  /// One loss for every output, or one per output.
  std::vector<Loss> losses;
  /// Keras `loss_weights`: one per output (empty: all 1).
  std::vector<std::pair<OutputKey, double>> lossWeights;
  std::string optimizer;                  ///< e.g. "Adam"
  llvm::StringMap<double> optimizerHyper; ///< snake_case, e.g. learning_rate
  /// A metric: the name it is logged under and the function that
  /// computes it ("accuracy" resolves by the loss and output shape; a
  /// metric object's is its class: BinaryAccuracy(name="acc") is
  /// {"acc", "binary_accuracy"}), and the outputs it measures.
  struct Metric {
    std::string name;
    std::string function;
    OutputKey output;
    MetricSettings settings;
  };
  std::vector<Metric> metrics;
  /// What the file says that kiln cannot map, per part ("" = understood).
  /// A model with issues compiles for inference; `train` (and, for the loss,
  /// `evaluate`) refuse with the issue unless flags supply that part.
  std::string lossIssue;
  std::string optimizerIssue;
  std::vector<std::string> metricIssues;
};

struct ImportedModel {
  OwningOpRef<ModuleOp> module;
  std::string name; ///< the model's Keras name
  std::string kind; ///< "Sequential" or "Functional"
  std::vector<ParamData> params;
  std::vector<LayerRow> layers;
  /// Present when the model file carries a training configuration.
  std::optional<TrainingConfig> training;
};

/// The logical signature of @predict: parameters, inputs and outputs as the
/// descriptor lists them (dims[0] == -1 for a dynamic batch).
struct TensorSignature {
  std::string name;
  llvm::SmallVector<int64_t> dims;
  /// The element type: f32 (or null, meaning f32), or for model inputs and
  /// outputs i32/i64 (ids, ArgMax's indices) or i1 (booleans, stored a byte
  /// each).
  mlir::Type elementType;
};
/// What the training descriptor (kiln_train_desc_t) records.
struct TrainingSignature {
  /// The loss as the descriptor shows it: one name, or one per output
  /// ("a: sparse_categorical_crossentropy, b: mean_squared_error x2").
  std::string loss;
  bool fromLogits = false;
  std::string optimizer;
  llvm::SmallVector<std::pair<std::string, double>> hyper;
  /// A value the steps report besides the loss, in their result order.
  struct Log {
    std::string name; ///< the history key ("accuracy", "a_accuracy")
    std::string kind; ///< a resolved Keras metric function, or "loss"
    unsigned output;  ///< the output it measures
    /// The f32 values a step returns for it (metricValueCount): a scalar,
    /// or for a ratio over the epoch its numerator and denominator.
    unsigned values = 1;
    MetricSettings settings; ///< the compiled steps' alone
  };
  llvm::SmallVector<Log> logs;
  llvm::SmallVector<TensorSignature> targets;
  /// Per target: it holds class indices (a sparse loss or metric).
  llvm::SmallVector<bool> classIndexTargets;
  /// Optimizer state of the trainable parameters, parameter-major.
  llvm::SmallVector<TensorSignature> slots;
  /// False when @train_step was not built (`trainUnavailable` says why);
  /// @eval_step always is.
  bool hasTrainStep = true;
};

/// The workspace an entry point needs: fixed + perSample * batch bytes.
struct WorkspaceSize {
  int64_t fixedBytes = 0;
  int64_t perSampleBytes = 0;
};

struct ModelSignature {
  llvm::SmallVector<TensorSignature> inputs;
  llvm::SmallVector<TensorSignature> outputs;
  /// Set when the module also holds @eval_step (and usually @train_step).
  std::optional<TrainingSignature> training;
  /// Why `train` (and, without `training`, `evaluate`) must refuse: a
  /// training configuration kiln cannot map, or a layer without a training
  /// form. Empty when nothing is refused or no loss was ever given.
  std::string trainUnavailable;
  /// Per entry function (predict, train_step, eval_step), set by codegen.
  llvm::StringMap<WorkspaceSize> workspace;
  WorkspaceSize workspaceOf(llvm::StringRef function) const {
    return workspace.lookup(function);
  }
};

/// Ends @predict (its body built up to `results`, its arguments the
/// parameters in `model.params` order and then the inputs): the return, the
/// function type, and the argument and result attributes of the signature
/// (kiln.param and the parameter's flags, kiln.input, kiln.output). What
/// every importer does last.
void finishPredictFunction(Operation *predict, const ImportedModel &model,
                           ValueRange results,
                           llvm::ArrayRef<std::string> inputNames,
                           llvm::ArrayRef<std::string> outputNames);

/// Reads the input/output signature off @predict in `model.module` (kiln or
/// tensor level, before bufferization).
ModelSignature getModelSignature(const ImportedModel &model);

/// The name of the forward function in an imported module.
constexpr llvm::StringLiteral kPredictFuncName = "predict";

/// Alignment of every parameter in the weights blob (one cache line).
constexpr int64_t kWeightsAlignment = 64;

/// Lays out the weights blob (contract 3): every parameter's float32 values
/// at a `kWeightsAlignment`-aligned byte offset, in parameter order. The one
/// place the layout is decided; compiled objects and the driver's in-memory
/// descriptors both use it.
void layOutWeights(const ImportedModel &model, std::string &blob,
                   llvm::SmallVectorImpl<int64_t> &offsets);

/// Renders a shape the way Keras prints it: "(None, 28, 28)".
std::string formatKerasShape(llvm::ArrayRef<int64_t> shape);

} // namespace mlir::kiln

#endif // KILN_DIALECTS_KILN_MODEL_IMPORTEDMODEL_H
