//===- KerasImporter.h - Keras / TensorFlow.js model importer ---*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Builds kiln IR from a model in any of the four forms Keras users hold one
// (the container readers are in KerasFiles.h):
//   - Keras JSON from `model.to_json()` (Keras 2 and 3 schemas, Sequential and
//     functional) with weights from `--weights` (`save_weights` HDF5 or a
//     Keras 3 `.weights.h5`);
//   - a `.keras` v3 archive (config.json + model.weights.h5);
//   - a legacy full-model `.h5` (`model_config` attribute + `model_weights/`);
//   - a TensorFlow.js layers `model.json` with its binary weight shards.
// A model without weights gets its initializers evaluated at compile time
// (seeded by `seed`), like a freshly built Keras model.
//===----------------------------------------------------------------------===//

#ifndef KILN_FRONTEND_KERAS_KERASIMPORTER_H
#define KILN_FRONTEND_KERAS_KERASIMPORTER_H

#include "frontend/Import.h"
#include "frontend/keras/KerasFiles.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Support/LLVM.h"

namespace mlir::kiln::keras {

/// Builds kiln IR from the topology, training configuration and weights a
/// container reader (KerasFiles.h) found in the file at `path`. On failure
/// an error naming the file, the layer (name and class) and the problem has
/// been emitted on `context`.
FailureOr<ImportedModel> importKerasModel(MLIRContext *context, StringRef path,
                                          ModelSource source,
                                          const ImportOptions &options);

} // namespace mlir::kiln::keras

#endif // KILN_FRONTEND_KERAS_KERASIMPORTER_H
