//===- ImportedModel.h - What an importer hands to the compiler -*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// The frontend's output contract. Every importer (Keras, tfjs, ONNX) produces
// an `ImportedModel`: a module whose `func.func @predict` is the forward pass
// in the kiln dialect, plus what must not live in the IR: the parameter
// values (the weights blob; contract 3) and the Keras-style layer table for
// `summary`. Codegen consumes this struct and nothing format-specific.
//
// @predict's arguments are the parameters (tagged `kiln.param = "<name>"`, in
// the order of `params`) followed by the model inputs (`kiln.input`); its
// results are the model outputs (`kiln.output`).
//===----------------------------------------------------------------------===//

#ifndef KILN_FRONTEND_COMMON_IMPORTEDMODEL_H
#define KILN_FRONTEND_COMMON_IMPORTEDMODEL_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"

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

/// The training configuration stored with a model (Keras `compile_config`,
/// tfjs `trainingConfig`, legacy `training_config`), as written there.
struct TrainingConfig {
  std::string loss;                       ///< e.g. "sparse_categorical_crossentropy"
  bool fromLogits = false;
  std::string optimizer;                  ///< e.g. "Adam"
  llvm::StringMap<double> optimizerHyper; ///< snake_case, e.g. learning_rate
  std::vector<std::string> metrics;       ///< as the user named them
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

/// The name of the forward function in an imported module.
constexpr llvm::StringLiteral kPredictFuncName = "predict";

/// Renders a shape the way Keras prints it: "(None, 28, 28)".
std::string formatKerasShape(llvm::ArrayRef<int64_t> shape);

} // namespace mlir::kiln

#endif // KILN_FRONTEND_COMMON_IMPORTEDMODEL_H
