//===- WeightsExport.h - Writing Keras 3 .weights.h5 files ------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// The way back to Keras: parameters trained by a kiln executable, written in
// the layout Keras 3's `model.load_weights("x.weights.h5")` reads
// (`layers/<snake_case class>[_N]/vars/<i>`, an empty `vars` group for every
// layer without weights and for the model itself).
//===----------------------------------------------------------------------===//

#ifndef KILN_FRONTEND_KERAS_WEIGHTSEXPORT_H
#define KILN_FRONTEND_KERAS_WEIGHTSEXPORT_H

#include "dialects/kiln/Model/ImportedModel.h"

#include "llvm/Support/Error.h"

namespace mlir::kiln::keras {

/// The Keras 3 weights file of `values` (one per `model.params` entry,
/// row-major float32), built in memory. The caller writes it like any other
/// output (atomically, links followed, devices in place): HDF5 never sees
/// the disk, so a full or failing disk is an ordinary write error and
/// cannot leave HDF5 with handles it crashes on at exit.
llvm::Expected<std::string>
buildKeras3Weights(const ImportedModel &model,
                   llvm::ArrayRef<const float *> values);

} // namespace mlir::kiln::keras

#endif // KILN_FRONTEND_KERAS_WEIGHTSEXPORT_H
