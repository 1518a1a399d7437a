//===- KerasWeights.h - Where a Keras model's weights come from -*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// A `WeightSource` answers "what are the weights of layer L, in Keras's
// order?" for one file layout: Keras 2 HDF5 (`layer_names`/`weight_names`
// attributes, also inside a legacy full-model file), Keras 3 `.weights.h5`
// (`layers/<snake_case class>[_N]/vars/<i>`), or TensorFlow.js weight shards.
//===----------------------------------------------------------------------===//

#ifndef KILN_FRONTEND_KERAS_KERASWEIGHTS_H
#define KILN_FRONTEND_KERAS_KERASWEIGHTS_H

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace mlir::kiln::keras {

/// One weight array as stored in a file.
struct WeightArray {
  std::string name; ///< as the file names it, e.g. "dense/kernel:0"
  llvm::SmallVector<int64_t> shape;
  std::vector<float> values;
};

/// How a layer is identified across layouts.
struct LayerKey {
  llvm::StringRef name;       ///< Keras layer name (Keras 2, tfjs)
  llvm::StringRef keras3Path; ///< "layers/dense_1" (Keras 3)
  /// Keras 3: sublayer groups below `keras3Path` whose `vars` follow the
  /// layer's own, in order ("cell", "cell/cells/simple_rnn_cell").
  llvm::ArrayRef<std::string> keras3Scopes = {};
};

/// The importer asks for a layer's weights when the layer creates its first
/// weight, so layers are asked in the model's layer order (Keras's
/// `model.layers`) and only those that have weights. That is the order in
/// which Keras pairs a Keras 2 HDF5 file's layers with the model's.
class WeightSource {
public:
  virtual ~WeightSource() = default;
  /// The weights of `layer` in Keras order, or nullopt when the file has no
  /// entry for the layer. Fails when the file is unreadable or corrupt.
  virtual llvm::Expected<std::optional<std::vector<WeightArray>>>
  layerWeights(const LayerKey &layer) = 0;
  /// Fails if the file has weights for `layer`, which created none.
  virtual llvm::Error checkNoWeights(const LayerKey &layer);
  /// Once every layer was imported: fails if the file holds weights that no
  /// layer took. `warnings` receives what is legal but likely a mistake.
  virtual llvm::Error finish(std::vector<std::string> &warnings) {
    return llvm::Error::success();
  }
  /// The file the weights come from, for diagnostics.
  virtual llvm::StringRef fileName() const = 0;
};

/// Opens an HDF5 weights file: Keras 2 `save_weights`, a Keras 3
/// `.weights.h5`, or a legacy full-model `.h5`.
llvm::Expected<std::unique_ptr<WeightSource>>
openHdf5Weights(llvm::StringRef path);
/// As above for an HDF5 image in memory named `displayName`.
llvm::Expected<std::unique_ptr<WeightSource>>
openHdf5WeightsImage(std::vector<char> bytes, llvm::StringRef displayName);
/// Reads the weight shards a tfjs `weightsManifest` names, relative to
/// `modelDir`. The error names the shard or weight that is wrong.
llvm::Expected<std::unique_ptr<WeightSource>>
openTfjsWeights(const llvm::json::Array &manifest, llvm::StringRef modelDir,
                llvm::StringRef modelPath);

/// Keras's `naming.to_snake_case`, used for Keras 3 weight paths.
std::string toSnakeCase(llvm::StringRef className);

} // namespace mlir::kiln::keras

#endif // KILN_FRONTEND_KERAS_KERASWEIGHTS_H
