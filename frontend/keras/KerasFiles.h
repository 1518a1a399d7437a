//===- KerasFiles.h - The containers Keras models come in -------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Container readers, separate from topology parsing and IR building: each
// finds a model's topology (Keras JSON), its training configuration and its
// weights inside one file form, and knows nothing of layers:
//   - Keras JSON from `model.to_json()`, or a TensorFlow.js `model.json` with
//     its binary weight shards;
//   - a `.keras` v3 archive (zip: config.json + model.weights.h5);
//   - a legacy full-model `.h5` (`model_config` attribute + `model_weights/`).
// Errors are emitted on the file's location and name the member or
// attribute that is wrong.
//===----------------------------------------------------------------------===//

#ifndef KILN_FRONTEND_KERAS_KERASFILES_H
#define KILN_FRONTEND_KERAS_KERASFILES_H

#include "frontend/keras/KerasFlavor.h"
#include "frontend/keras/KerasWeights.h"

#include "mlir/IR/Location.h"
#include "mlir/Support/LLVM.h"
#include "llvm/Support/JSON.h"

#include <memory>

namespace mlir::kiln::keras {

/// The topology and weights of a model, whatever file they came from.
struct ModelSource {
  llvm::json::Value topology = nullptr; ///< {"class_name": ..., "config": ...}
  llvm::json::Value training = nullptr; ///< compile/training configuration
  std::unique_ptr<WeightSource> weights;
  /// Which Keras wrote it: the `keras_version` the container records (a
  /// `.keras` archive's metadata.json, a legacy `.h5`'s attribute, Keras 2's
  /// to_json), the format otherwise (Keras 3's to_json, TensorFlow.js).
  KerasFlavor flavor = KerasFlavor::Unknown;
};

/// Keras JSON (`model.to_json()`) or a tfjs `model.json` (+ its shards).
LogicalResult loadJsonModel(StringRef path, Location fileLoc,
                            ModelSource &source);
/// A `.keras` v3 archive.
LogicalResult loadKerasArchive(StringRef path, Location fileLoc,
                               ModelSource &source);
/// A legacy full-model `.h5`.
LogicalResult loadLegacyH5Model(StringRef path, Location fileLoc,
                                ModelSource &source);
/// Replaces `source`'s weights with a `--weights` file (Keras 2 HDF5 or a
/// Keras 3 `.weights.h5`).
LogicalResult loadWeightsOverride(StringRef weightsPath, Location fileLoc,
                                  ModelSource &source);

/// Deepest nesting of JSON arrays/objects accepted in a model file. Real
/// Keras configs nest about 10 levels; the bound keeps the recursive parser's
/// stack small whatever the input.
constexpr unsigned kMaxJsonDepth = 256;

/// Parses `text` as JSON (nesting bounded by `kMaxJsonDepth`), reporting the
/// parser's message on `fileLoc`.
FailureOr<llvm::json::Value> parseModelJson(StringRef text, StringRef what,
                                            Location fileLoc);

} // namespace mlir::kiln::keras

#endif // KILN_FRONTEND_KERAS_KERASFILES_H
