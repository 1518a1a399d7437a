//===- Model.h - The kiln_model_t session object ----------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// `kiln_model_create` validates a descriptor (base/Descriptor.h) before
// copying its parameters. The model object is
// defined here because training (Train.cpp) and weights files (Weights.cpp)
// update its parameters, optimizer slots and counters in place.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_MODEL_MODEL_H
#define KILN_RUNTIME_MODEL_MODEL_H

#include "base/Descriptor.h"
#include "kiln/runtime.h"

#include "base/Memory.h"

#include <atomic>
#include <mutex>
#include <string>
#include <vector>

/// A model session. `slotPointers` is non-NULL only for training models.
struct kiln_model_t {
  std::atomic<int32_t> refCount{1};
  const kiln_model_desc_t *desc = nullptr;
  void *weights = nullptr;           // aligned slots, one per parameter
  void **paramPointers = nullptr;    // num_params pointers into `weights`
  void *slots = nullptr;             // aligned optimizer slots, zeroed
  void **slotPointers = nullptr;     // num_slots pointers into `slots`
  int64_t iterations = 0;            // train steps run
  int64_t epoch = 0;                 // last completed epoch
  int64_t seed = -1;                 // shuffle seed of the last fit; -1: none
  std::vector<std::string> logNames; // "loss", metric names (training)
  std::mutex predictMutex;           // guards predictWorkspace
  kiln::Buffer predictWorkspace;     // predict's scratch, grown on demand
};

namespace kiln {

/// Lays out `count` tensors in 64-byte aligned slots of one buffer (zeroed
/// if `zero`) and fills `pointers[count]`. `*storage` is NULL when all are
/// empty; free it with `freeBuffer`.
kiln_status_t allocateTensors(int64_t count, const kiln_tensor_desc_t *tensors,
                              bool zero, void **storage, void **pointers);

/// Calls compiled entry `fn` with a workspace from `workspace` (grown to
/// `size` at `batch` when smaller). `what` names the entry in errors: out
/// of memory, or the entry's own failure status.
kiln_status_t runEntry(const char *what, kiln_entry_fn fn,
                       kiln_workspace_desc_t size, int64_t batch,
                       void *const *buffers, Buffer &workspace);

} // namespace kiln

#endif // KILN_RUNTIME_MODEL_MODEL_H
