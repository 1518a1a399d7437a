//===- Weights.h - kiln weights files ---------------------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Saving and loading a model's trained state; the format is described in
// Weights.cpp and runtime/README.md. Training uses these directly for
// `checkpoint_path`, `save_weights_path` and `resume_path`.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_MODEL_WEIGHTS_H
#define KILN_RUNTIME_MODEL_WEIGHTS_H

#include "kiln/runtime.h"

#include <string>

namespace kiln {

/// Writes `model`'s parameters, slots and counters to `path` atomically.
kiln_status_t saveWeights(kiln_model_t *model, const char *path);
/// The same with the training callbacks' state (opaque bytes; a non-empty
/// state makes the file format version 2).
kiln_status_t saveWeights(kiln_model_t *model, const char *path,
                          const std::string &trainState);

/// Loads a weights file into `model`; the model is unchanged on failure.
kiln_status_t loadWeights(kiln_model_t *model, const char *path);
/// The same, also returning the file's training state ("" in version 1).
kiln_status_t loadWeights(kiln_model_t *model, const char *path,
                          std::string *trainState);

} // namespace kiln

#endif // KILN_RUNTIME_MODEL_WEIGHTS_H
