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
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace kiln {

/// The compiled entry points of kiln_model_desc_t and kiln_train_desc_t.
enum class EntryKind { Predict, TrainStep, EvalStep };

/// Runs a model's entries on a device other than the host CPU (a GPU, in
/// runtime/gpu): `buffers` are the entry's host buffers in the order
/// kiln/model.h gives; the executor copies what the entry reads to the
/// device and what it writes back. Installed by kiln_model_set_device.
class DeviceExecutor {
public:
  virtual ~DeviceExecutor() = default;
  /// "gpu:0 (NVIDIA H200)", for the line saying which device runs.
  virtual const char *name() const = 0;
  /// `paramsVersion` (kiln_model_t::paramsVersion), when not 0, says that
  /// the parameter buffers are the model's own and have not changed while
  /// it stays the same: a device may keep its copy of them.
  virtual kiln_status_t run(const kiln_model_desc_t *desc, EntryKind kind,
                            int64_t batch, void *const *buffers,
                            uint64_t paramsVersion) = 0;
  /// Starts `kind` as run does and returns once it is queued: its outputs
  /// reach `buffers` (an output whose buffer is NULL stays on the device),
  /// and its status is known, at finish(), which the
  /// caller calls before touching `buffers` again (the fit loop loads the
  /// next batch meanwhile). Any other call finishes it first. With
  /// `prefetched`, the buffers given to the last prefetch() are read from
  /// the copies it made.
  virtual kiln_status_t submit(const kiln_model_desc_t *desc, EntryKind kind,
                               int64_t batch, void *const *buffers,
                               uint64_t paramsVersion, bool prefetched) {
    (void)prefetched; // nothing was copied ahead
    return run(desc, kind, batch, buffers, paramsVersion);
  }
  virtual kiln_status_t finish() { return nullptr; }
  /// Starts copying `count` host buffers (`hosts[i]`, `bytes[i]` bytes) to
  /// the device while the call submitted last still runs. The next
  /// submit() reads those copies if it passes `prefetched`, and forgets
  /// them either way. The host must not write these buffers until that
  /// call has finished, or else must not pass `prefetched`.
  virtual kiln_status_t prefetch(const void *const *hosts, const size_t *bytes,
                                 size_t count) {
    (void)hosts;
    (void)bytes;
    (void)count;
    return nullptr;
  }
  /// `bytes` of host memory the device copies to and from asynchronously
  /// (page-locked), zeroed; NULL when it has none to give.
  virtual void *allocateHost(size_t bytes) {
    (void)bytes;
    return nullptr;
  }
  virtual void freeHost(void *memory) { (void)memory; }
  /// From now until endResident, the parameters and optimizer slots that
  /// entries read and write stay on the device (keyed by their host
  /// buffers): the host copies are not read again, nor written. The host
  /// must not write those buffers meanwhile (TrainState: the fit loop
  /// steps, and syncs before anything reads or writes the model).
  virtual void beginResident() {}
  /// Copies `current` (host buffers of parameters and slots) back from the
  /// device where an entry wrote them since, and forgets every device copy.
  virtual kiln_status_t endResident(const std::vector<void *> &current) {
    (void)current;
    return nullptr;
  }
};

} // namespace kiln

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
  std::unique_ptr<kiln::DeviceExecutor> device; // NULL: the host CPU runs
  /// Changes whenever the runtime writes the model's own parameters
  /// (paramsWritten); 0 for good once kiln_model_param_data has handed out
  /// a writable pointer, whose writes the runtime cannot see.
  std::atomic<uint64_t> paramsVersion{1};
};

namespace kiln {

/// Lays out `count` tensors in 64-byte aligned slots of one buffer (zeroed
/// if `zero`) and fills `pointers[count]`. `*storage` is NULL when all are
/// empty; free it with `freeBuffer`.
kiln_status_t allocateTensors(int64_t count, const kiln_tensor_desc_t *tensors,
                              bool zero, void **storage, void **pointers);

/// Calls `model`'s compiled entry `kind` on its device, or on the host with
/// a workspace from `workspace` (grown to the entry's size at `batch` when
/// smaller). Errors name the entry: out of memory, a device failure, or the
/// entry's own failure status.
/// `paramsVersion`: see DeviceExecutor::run (0: nothing is known).
kiln_status_t runEntry(kiln_model_t *model, EntryKind kind, int64_t batch,
                       void *const *buffers, Buffer &workspace,
                       uint64_t paramsVersion = 0);

/// Says that the model's own parameter buffers were written (weights
/// loaded, a step trained, a checkpoint restored): devices drop their
/// copies of them.
void paramsWritten(kiln_model_t *model);

/// Parameter `index` of the model's own, for a runtime writer that then
/// calls paramsWritten (kiln_model_param_data is for callers the runtime
/// cannot see write).
float *paramData(kiln_model_t *model, int64_t index);

/// "predict", "train_step" or "eval_step".
const char *entryName(EntryKind kind);

/// Host memory for buffers a model's device copies every step (batches,
/// losses, predictions): page-locked from the device when it gives some,
/// else ordinary aligned memory. Zeroed.
class HostBuffer {
public:
  HostBuffer() = default;
  HostBuffer(const HostBuffer &) = delete;
  HostBuffer &operator=(const HostBuffer &) = delete;
  HostBuffer(HostBuffer &&other) noexcept { *this = std::move(other); }
  HostBuffer &operator=(HostBuffer &&other) noexcept;
  ~HostBuffer() { release(); }

  /// False when out of memory.
  bool allocate(DeviceExecutor *device, size_t bytes);
  uint8_t *data() const { return pinned ? pinned : plain.data(); }
  float *floats() const { return reinterpret_cast<float *>(data()); }

private:
  void release();
  DeviceExecutor *device = nullptr;
  uint8_t *pinned = nullptr;
  Buffer plain;
};

} // namespace kiln

#endif // KILN_RUNTIME_MODEL_MODEL_H
