//===- KerasFlavor.h - Which Keras a model file follows ---------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// A few names mean different functions in different Keras implementations:
// the `hard_sigmoid` activation is clip(0.2 x + 0.5, 0, 1) in Keras 2 and
// TensorFlow.js but relu6(x + 3) / 6 in Keras 3. The container readers
// (KerasFiles.cpp) record which implementation wrote the file, from its
// `keras_version` or its format, and the layer handlers read it where the
// implementations differ; where the file does not say, such a name is
// refused rather than guessed.
//===----------------------------------------------------------------------===//

#ifndef KILN_FRONTEND_KERAS_KERASFLAVOR_H
#define KILN_FRONTEND_KERAS_KERASFLAVOR_H

#include "llvm/ADT/StringRef.h"

namespace mlir::kiln::keras {

enum class KerasFlavor {
  Unknown, ///< the file does not say (Keras 3's own to_json, for one)
  Keras2,  ///< tf.keras / Keras 2.x
  Keras3,  ///< Keras 3.x
  TfJs,    ///< a TensorFlow.js layers model (tfjs's activations)
};

/// The flavor of a `keras_version` string ("2.15.0" -> Keras2, "3.15.0" ->
/// Keras3); Unknown for any other.
inline KerasFlavor flavorOfKerasVersion(llvm::StringRef version) {
  unsigned major = 0;
  llvm::StringRef rest = version.trim();
  if (rest.consumeInteger(10, major) ||
      !(rest.empty() || rest.starts_with(".")))
    return KerasFlavor::Unknown;
  if (major == 2)
    return KerasFlavor::Keras2;
  if (major == 3)
    return KerasFlavor::Keras3;
  return KerasFlavor::Unknown;
}

} // namespace mlir::kiln::keras

#endif // KILN_FRONTEND_KERAS_KERASFLAVOR_H
