//===- Import.h - The one entry point of the frontend -----------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// `importModel` picks the importer by the file's content (its first bytes),
// not by its name: a zip archive is a `.keras` model, an HDF5 file a legacy
// Keras `.h5` model, a JSON object a Keras `model.to_json()` file or a
// TensorFlow.js `model.json`. Anything else is "unrecognized model format",
// unless its extension names a format, whose reader then reports the damage.
// Each importer builds kiln IR (dialects/kiln/Model/ImportedModel.h) and knows
// nothing of targets.
//===----------------------------------------------------------------------===//

#ifndef KILN_FRONTEND_IMPORT_H
#define KILN_FRONTEND_IMPORT_H

#include "dialects/kiln/Model/ImportedModel.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Support/LLVM.h"

#include <string>

namespace mlir::kiln {

/// The model file forms the frontend tells apart.
enum class ModelFormat {
  Unknown,
  KerasJson,    ///< Keras `model.to_json()` or a tfjs `model.json`
  KerasArchive, ///< `.keras` (zip)
  KerasH5,      ///< legacy full-model `.h5` (HDF5)
  Onnx,         ///< `.onnx` (recognized by name; not importable yet)
};

/// Settings every importer honours.
struct ImportOptions {
  /// A weights file overriding (or supplying) the model's own weights.
  std::string weightsPath;
  /// Seed of the initializers of a model without weights.
  uint64_t seed = 0;
};

/// The format of the file at `path`, from its content; from its extension
/// only when the content is none of the known ones (so that the reader of a
/// damaged `.keras` file says what is wrong with it). Unknown otherwise.
ModelFormat detectModelFormat(StringRef path);

/// Imports the model at `path`, whatever its format. On failure one error
/// naming the file (and the layer and problem) has been emitted on `context`.
FailureOr<ImportedModel> importModel(MLIRContext *context, StringRef path,
                                     const ImportOptions &options);

} // namespace mlir::kiln

#endif // KILN_FRONTEND_IMPORT_H
