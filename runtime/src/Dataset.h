//===- Dataset.h - The kiln_dataset_t object --------------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// A dataset is the (inputs, targets) arrays of a training model, already
// float32 and shaped (N, <model sample shape>), so the training loop only
// gathers rows. Every source (.npy, .npz, IDX, in-memory arrays) goes through
// the same checks when the dataset is built.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_SRC_DATASET_H
#define KILN_RUNTIME_SRC_DATASET_H

#include "kiln/runtime.h"

#include <atomic>
#include <string>
#include <vector>

struct kiln_dataset_t {
  std::atomic<int32_t> refCount{1};
  int64_t numSamples = 0;
  std::vector<kiln_array_t *> inputs;  // float32 (N, input sample shape)
  std::vector<kiln_array_t *> targets; // float32 (N, target sample shape)
  std::string name;                    // the spec, for messages
};

namespace kiln {

/// One array read from a file, before it is checked against the model.
struct DatasetSource {
  std::string name;              // file, or "file.npz:x"
  kiln_array_t *array = nullptr; // owned
  bool idx = false;              // IDX bytes: scale to [0, 1], reshape
};

/// Checks that `desc` is a training model with dynamic batch dimensions.
kiln_status_t checkTrainingModel(const kiln_model_desc_t *desc);

/// Checks `sources` (the model's inputs then its targets, in order; not
/// consumed) against `desc` and builds the dataset named `spec`.
kiln_status_t buildDataset(const kiln_model_desc_t *desc, const char *spec,
                           const std::vector<DatasetSource> &sources,
                           kiln_dataset_t **outDataset);

/// Checks that `dataset` was built for a model shaped like `desc`.
kiln_status_t checkDatasetFits(const kiln_model_desc_t *desc,
                               const kiln_dataset_t *dataset);

} // namespace kiln

#endif // KILN_RUNTIME_SRC_DATASET_H
