//===- Executor.cpp - Running a model's entries on a GPU --------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// kiln_model_set_device installs a GpuExecutor: each entry call copies the
// buffers the entry reads (kiln/model.h's order: parameters, slots, inputs,
// targets, scalars) to device memory kept between calls, launches the
// entry's kernels on the device's stream, copies back what it writes and
// synchronizes once. The model's parameters stay in host memory, so weights
// files and checkpoints do not depend on the device. While a fit or an
// evaluate runs a step, the next batch is copied in on a second stream
// (prefetch), and the next step waits for that copy with an event.
//===----------------------------------------------------------------------===//

#include "gpu/Launch.h"

#include "base/Descriptor.h"
#include "base/Status.h"
#include "model/Library.h"
#include "model/Model.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

using namespace kiln;
using namespace kiln::gpu;

namespace {

/// One buffer of an entry: its bytes at a batch size, whether the entry
/// writes it (else reads it), and whether it is a parameter or slot, which
/// stays on the device while resident.
struct BufferSpec {
  int64_t fixedBytes = 0;
  int64_t perSampleBytes = 0;
  bool written = false;
  bool state = false;
  size_t bytes(int64_t batch) const {
    return static_cast<size_t>(fixedBytes + perSampleBytes * batch);
  }
};

void addTensor(std::vector<BufferSpec> &specs, const kiln_tensor_desc_t &t,
               bool written, bool state = false) {
  BufferSpec spec;
  spec.written = written;
  spec.state = state;
  if (t.rank > 0 && t.dims[0] < 0)
    spec.perSampleBytes = static_cast<int64_t>(sampleBytes(t));
  else
    spec.fixedBytes = static_cast<int64_t>(tensorByteSize(t));
  specs.push_back(spec);
}

/// The buffers of entry `kind`, in the order kiln/model.h gives.
std::vector<BufferSpec> layoutOf(const kiln_model_desc_t *desc,
                                 EntryKind kind) {
  std::vector<BufferSpec> specs;
  auto tensors = [&](int64_t count, const kiln_tensor_desc_t *list,
                     bool written, bool state = false) {
    for (int64_t i = 0; i < count; ++i)
      addTensor(specs, list[i], written, state);
  };
  auto scalar = [&](int64_t bytes, bool written) {
    specs.push_back({bytes, 0, written, false});
  };
  tensors(desc->num_params, desc->params, false, /*state=*/true);
  const kiln_train_desc_t *train = desc->training;
  auto metricValues = [&] {
    for (int64_t i = 0; i < train->num_metrics; ++i)
      scalar(int64_t(sizeof(float)) * metricValueCount(train->metrics[i]), true);
  };
  switch (kind) {
  case EntryKind::Predict:
    tensors(desc->num_inputs, desc->inputs, false);
    tensors(desc->num_outputs, desc->outputs, true);
    break;
  case EntryKind::TrainStep:
    tensors(train->num_slots, train->slots, false, /*state=*/true);
    tensors(desc->num_inputs, desc->inputs, false);
    tensors(train->num_targets, train->targets, false);
    scalar(sizeof(float), false);       // learning rate
    scalar(sizeof(float), false);       // iteration
    scalar(2 * sizeof(int64_t), false); // rng
    scalar(sizeof(float), true);        // loss
    tensors(desc->num_outputs, desc->outputs, true);
    metricValues();
    for (int64_t i = 0; i < desc->num_params; ++i)
      if (isUpdatedByStep(desc, i))
        addTensor(specs, desc->params[i], true, /*state=*/true);
    tensors(train->num_slots, train->slots, true, /*state=*/true);
    break;
  case EntryKind::EvalStep:
    tensors(desc->num_inputs, desc->inputs, false);
    tensors(train->num_targets, train->targets, false);
    scalar(sizeof(float), true); // loss
    tensors(desc->num_outputs, desc->outputs, true);
    metricValues();
    break;
  }
  return specs;
}

/// Device memory that grows to the largest size asked for.
class DeviceBuffer {
public:
  DeviceBuffer() = default;
  DeviceBuffer(DeviceBuffer &&other) noexcept
      : api(other.api), pointer(other.pointer), size(other.size) {
    other.pointer = 0;
    other.size = 0;
  }
  DeviceBuffer(const DeviceBuffer &) = delete;
  DeviceBuffer &operator=(const DeviceBuffer &) = delete;
  DeviceBuffer &operator=(DeviceBuffer &&) = delete;
  ~DeviceBuffer() { release(); }
  void bind(const cuda::Driver *driver) { api = driver; }
  kiln_status_t reserve(size_t bytes) {
    if (bytes <= size)
      return nullptr;
    release();
    KILN_RETURN_IF_ERROR(
        cuda::callStatus(*api, "cuMemAlloc", api->cuMemAlloc(&pointer, bytes)));
    size = bytes;
    return nullptr;
  }
  void *get() const { return reinterpret_cast<void *>(pointer); }
  cuda::CUdeviceptr address() const { return pointer; }
  void release() {
    if (pointer)
      api->cuMemFree(pointer);
    pointer = 0;
    size = 0;
  }

private:
  const cuda::Driver *api = nullptr;
  cuda::CUdeviceptr pointer = 0;
  size_t size = 0;
};

class GpuExecutor final : public DeviceExecutor {
public:
  GpuExecutor(const cuda::Driver *api, int device, cuda::CUcontext context,
              cuda::CUstream stream, const char *ptx, std::string name)
      : api(api), device(device), context(context), stream(stream), ptx(ptx),
        label(std::move(name)), useGraphs(graphsRequested(*api)) {}

  /// Copies back what only the device holds, then frees the device memory
  /// and the stream. The primary context stays retained (primaryContext).
  ~GpuExecutor() override {
    std::vector<void *> all;
    for (const auto &[host, mirror] : mirrors)
      all.push_back(host);
    if (kiln_status_t status = endResident(all)) {
      std::fprintf(stderr, "kiln: warning: %s\n", kiln_status_message(status));
      kiln_status_free(status);
    }
    std::lock_guard<std::mutex> lock(mutex);
    api->cuCtxSetCurrent(context);
    api->cuStreamSynchronize(stream);
    dropGraphs();
    for (Entry &entry : entries) {
      entry.buffers.clear();
      entry.workspace.release();
    }
    api->cuStreamDestroy(stream);
    if (copyStream) {
      api->cuStreamSynchronize(copyStream);
      api->cuStreamDestroy(copyStream);
    }
    staged.clear();
    if (copied)
      api->cuEventDestroy(copied);
  }

  const char *name() const override { return label.c_str(); }

  void beginResident() override {
    std::lock_guard<std::mutex> lock(mutex);
    resident = true;
  }

  kiln_status_t endResident(const std::vector<void *> &current) override {
    std::lock_guard<std::mutex> lock(mutex);
    // A step still in flight ends first; if it failed, the last good
    // values still come back (it marked nothing newer), and its status is
    // the one returned.
    kiln_status_t failed = finishLocked();
    resident = false;
    kiln_status_t status = nullptr;
    if (!mirrors.empty()) {
      status = cuda::callStatus(*api, "cuCtxSetCurrent",
                                api->cuCtxSetCurrent(context));
      for (void *host : current) {
        auto found = mirrors.find(host);
        if (status || found == mirrors.end() || !found->second.deviceNewer)
          continue;
        status = cuda::callStatus(
            *api, "cuMemcpyDtoHAsync",
            api->cuMemcpyDtoHAsync(host, found->second.buffer.address(),
                                   found->second.bytes, stream));
      }
      kiln_status_t synced = cuda::callStatus(*api, "cuStreamSynchronize",
                                              api->cuStreamSynchronize(stream));
      mirrors.clear();
      if (status)
        kiln_status_free(synced);
      else
        status = synced;
    }
    if (failed) {
      kiln_status_free(status);
      return failed;
    }
    return status;
  }

  kiln_status_t run(const kiln_model_desc_t *desc, EntryKind kind,
                    int64_t batch, void *const *buffers,
                    uint64_t paramsVersion) override {
    // Predict calls may come from several threads at once (kiln/runtime.h):
    // they take turns on the device buffers and the stream.
    std::lock_guard<std::mutex> lock(mutex);
    kiln_status_t status = submitLocked(desc, kind, batch, buffers,
                                        paramsVersion, /*prefetched=*/false);
    return status ? status : finishLocked();
  }

  kiln_status_t submit(const kiln_model_desc_t *desc, EntryKind kind,
                       int64_t batch, void *const *buffers,
                       uint64_t paramsVersion, bool prefetched) override {
    std::lock_guard<std::mutex> lock(mutex);
    return submitLocked(desc, kind, batch, buffers, paramsVersion, prefetched);
  }

  /// Copies the buffers on a stream of their own, into device buffers
  /// kept per host buffer (so the two batch sets of a fit alternate
  /// between two), and records `copied` after them; the next call waits
  /// for that event instead of copying them in itself.
  kiln_status_t prefetch(const void *const *hosts, const size_t *bytes,
                         size_t count) override {
    std::lock_guard<std::mutex> lock(mutex);
    KILN_RETURN_IF_ERROR(cuda::callStatus(*api, "cuCtxSetCurrent",
                                          api->cuCtxSetCurrent(context)));
    if (!copyStream)
      KILN_RETURN_IF_ERROR(cuda::callStatus(
          *api, "cuStreamCreate", api->cuStreamCreate(&copyStream, 0)));
    if (!copied)
      KILN_RETURN_IF_ERROR(cuda::callStatus(
          *api, "cuEventCreate",
          api->cuEventCreate(&copied, cuda::CU_EVENT_DISABLE_TIMING)));
    // Copies of an earlier prefetch that no call waited for may still be
    // landing: they end first, so that only the call in flight may still
    // read (or wait for) a device copy.
    if (copiesUnwaited) {
      KILN_RETURN_IF_ERROR(cuda::callStatus(
          *api, "cuStreamSynchronize", api->cuStreamSynchronize(copyStream)));
      copiesUnwaited = false;
    }
    // The copies neither this prefetch nor the call in flight needs go: a
    // fit's batch buffers come and go with it.
    auto inFlight = [&](const Staged &copy) {
      return pending.active && copy.readByCall == calls;
    };
    for (auto it = staged.begin(); it != staged.end();) {
      bool wanted = std::find(hosts, hosts + count, it->first) != hosts + count;
      it = wanted || inFlight(it->second) ? std::next(it) : staged.erase(it);
    }
    std::vector<Staged *> queued;
    for (size_t i = 0; i < count; ++i) {
      if (!bytes[i])
        continue;
      Staged &copy = staged[hosts[i]];
      copy.forCall = 0;
      // The call in flight reads this copy: the next call copies the
      // buffer in itself.
      if (inFlight(copy))
        continue;
      copy.buffer.bind(api);
      KILN_RETURN_IF_ERROR(copy.buffer.reserve(bytes[i]));
      KILN_RETURN_IF_ERROR(cuda::callStatus(
          *api, "cuMemcpyHtoDAsync",
          api->cuMemcpyHtoDAsync(copy.buffer.address(), hosts[i], bytes[i],
                                 copyStream)));
      copy.bytes = bytes[i];
      queued.push_back(&copy);
    }
    if (queued.empty())
      return nullptr;
    KILN_RETURN_IF_ERROR(cuda::callStatus(
        *api, "cuEventRecord", api->cuEventRecord(copied, copyStream)));
    copiesUnwaited = true;
    for (Staged *copy : queued)
      copy->forCall = calls + 1;
    return nullptr;
  }

  kiln_status_t finish() override {
    std::lock_guard<std::mutex> lock(mutex);
    return finishLocked();
  }

  void *allocateHost(size_t bytes) override {
    std::lock_guard<std::mutex> lock(mutex);
    void *memory = nullptr;
    if (api->cuCtxSetCurrent(context) != cuda::CUDA_SUCCESS ||
        api->cuMemHostAlloc(&memory, bytes, cuda::CU_MEMHOSTALLOC_PORTABLE) !=
            cuda::CUDA_SUCCESS)
      return nullptr; // the caller takes ordinary memory
    std::memset(memory, 0, bytes);
    return memory;
  }

  void freeHost(void *memory) override {
    std::lock_guard<std::mutex> lock(mutex);
    // Copies from it may still be queued: a prefetch that no call waited
    // for (training stopped, or failed, after it), or the copies of a call
    // that failed after queueing them. They end first; its device copy
    // goes with it.
    if (api->cuCtxSetCurrent(context) == cuda::CUDA_SUCCESS) {
      if (copyStream)
        api->cuStreamSynchronize(copyStream);
      api->cuStreamSynchronize(stream);
    }
    staged.erase(memory);
    api->cuMemFreeHost(memory);
  }

private:
  /// Queues entry `kind`: what it reads copied in, its kernels, what it
  /// writes copied back; finishLocked waits for it. A call still pending
  /// finishes first.
  kiln_status_t submitLocked(const kiln_model_desc_t *desc, EntryKind kind,
                             int64_t batch, void *const *buffers,
                             uint64_t paramsVersion, bool prefetched) {
    KILN_RETURN_IF_ERROR(finishLocked());
    ++calls; // copies prefetched for an earlier call are stale from now
    const kiln_gpu_desc_t *gpu = desc->cuda;
    kiln_entry_fn fn = kind == EntryKind::Predict     ? gpu->predict
                       : kind == EntryKind::TrainStep ? gpu->train_step
                                                      : gpu->eval_step;
    kiln_workspace_desc_t workspaceSize =
        kind == EntryKind::Predict     ? gpu->predict_workspace
        : kind == EntryKind::TrainStep ? gpu->train_workspace
                                       : gpu->eval_workspace;
    const char *what = entryName(kind);
    if (!fn)
      return KILN_STATUS(KILN_STATUS_UNIMPLEMENTED,
                         "%s was not compiled for the GPU", what);
    pendingUploads.clear();
    KILN_RETURN_IF_ERROR(cuda::callStatus(*api, "cuCtxSetCurrent",
                                          api->cuCtxSetCurrent(context)));
    Entry &entry = entries[static_cast<int>(kind)];
    if (entry.specs.empty()) {
      entry.specs = layoutOf(desc, kind);
      entry.buffers.resize(entry.specs.size());
      for (DeviceBuffer &buffer : entry.buffers)
        buffer.bind(api);
      entry.workspace.bind(api);
      entry.pointers.resize(entry.specs.size());
      entry.uploaded.resize(entry.specs.size());
    }
    // Device buffers, and what the entry reads copied in: parameters and
    // slots only if the device does not hold them already (resident),
    // batch buffers only if prefetch did not copy them for this call.
    bool readsPrefetched = false;
    for (size_t i = 0; i < entry.specs.size(); ++i) {
      const BufferSpec &spec = entry.specs[i];
      size_t bytes = spec.bytes(batch);
      bool copyIn = !spec.written && bytes;
      DeviceBuffer *target = &entry.buffers[i];
      // Mirrors are keyed by host buffer: an empty tensor may share its
      // address with the next one, and has nothing to keep.
      if (resident && spec.state && bytes) {
        auto [found, added] = mirrors.try_emplace(buffers[i]);
        Mirror &mirror = found->second;
        target = &mirror.buffer;
        copyIn = copyIn && added;
        if (added) {
          mirror.buffer.bind(api);
          mirror.bytes = bytes;
        }
      }
      if (prefetched && copyIn && !spec.state) {
        auto found = staged.find(buffers[i]);
        if (found != staged.end() && found->second.forCall == calls &&
            found->second.bytes == bytes) {
          target = &found->second.buffer;
          found->second.readByCall = calls;
          copyIn = false;
          readsPrefetched = true;
        }
      }
      KILN_RETURN_IF_ERROR(target->reserve(bytes ? bytes : 1));
      entry.pointers[i] = target->get();
      // A parameter the device already holds, unchanged since (the same
      // host buffer, device buffer and version of the model's parameters).
      Upload &uploaded = entry.uploaded[i];
      Upload now{buffers[i], target->get(), spec.state ? paramsVersion : 0};
      if (copyIn && now.version && target == &entry.buffers[i] &&
          uploaded == now)
        continue;
      uploaded = Upload();
      if (copyIn)
        KILN_RETURN_IF_ERROR(cuda::callStatus(
            *api, "cuMemcpyHtoDAsync",
            api->cuMemcpyHtoDAsync(target->address(), buffers[i], bytes,
                                   stream)));
      if (copyIn && target == &entry.buffers[i])
        pendingUploads.push_back({&uploaded, now});
    }
    int64_t workspaceBytes = kiln_workspace_bytes(workspaceSize, batch);
    if (workspaceBytes < 0)
      return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                         "%s: invalid workspace size in the descriptor", what);
    KILN_RETURN_IF_ERROR(entry.workspace.reserve(
        workspaceBytes ? static_cast<size_t>(workspaceBytes) : 1));
    if (readsPrefetched) {
      KILN_RETURN_IF_ERROR(
          cuda::callStatus(*api, "cuStreamWaitEvent",
                           api->cuStreamWaitEvent(stream, copied, 0)));
      copiesUnwaited = false;
    }

    LaunchState state;
    state.api = api;
    state.device = device;
    state.stream = stream;
    state.ptx = ptx;
    if (!launchGraph(kind, batch, fn, entry, state)) {
      ScopedLaunch scope(state);
      fn(batch, entry.pointers.data(), entry.workspace.get());
    }
    // What the entry wrote comes back (resident parameters and slots stay,
    // and so does an output the caller gave no host buffer: fit's
    // predictions, whose metrics the step computed); one synchronization,
    // at finishLocked, reports both the copies' and the kernels' failures.
    for (size_t i = 0; i < entry.specs.size() && !state.error; ++i) {
      const BufferSpec &spec = entry.specs[i];
      size_t bytes = spec.bytes(batch);
      if (!spec.written || !bytes || (resident && spec.state) || !buffers[i])
        continue;
      state.error = cuda::callStatus(
          *api, "cuMemcpyDtoHAsync",
          api->cuMemcpyDtoHAsync(buffers[i], entry.buffers[i].address(), bytes,
                                 stream));
    }
    pending.active = true;
    pending.error = state.error;
    pending.newer.clear();
    if (resident)
      for (size_t i = 0; i < entry.specs.size(); ++i)
        if (entry.specs[i].written && entry.specs[i].state)
          pending.newer.push_back(buffers[i]);
    return nullptr;
  }

  /// Waits for the call submitLocked queued, if any, and returns its
  /// status.
  kiln_status_t finishLocked() {
    if (!pending.active)
      return nullptr;
    pending.active = false;
    kiln_status_t synced = cuda::callStatus(*api, "cuStreamSynchronize",
                                            api->cuStreamSynchronize(stream));
    if (pending.error) {
      kiln_status_free(synced);
      return std::exchange(pending.error, nullptr);
    }
    if (synced)
      return synced;
    // The copies arrived: later calls with the same version skip them.
    for (auto [slot, upload] : pendingUploads)
      *slot = upload;
    pendingUploads.clear();
    // Only now, the step having run: the device holds these buffers' newest
    // values.
    for (void *host : pending.newer)
      mirrors[host].deviceNewer = true;
    return nullptr;
  }

  /// The call submitted and not yet finished.
  struct Pending {
    bool active = false;
    kiln_status_t error = nullptr;
    std::vector<void *> newer; // resident buffers it writes
  } pending;

  /// What an entry's device buffer holds: host buffer `host` as of
  /// `version` of the model's parameters (0: nothing to rely on).
  struct Upload {
    const void *host = nullptr;
    void *device = nullptr;
    uint64_t version = 0;
    bool operator==(const Upload &other) const {
      return host == other.host && device == other.device &&
             version == other.version;
    }
  };
  struct Entry {
    std::vector<BufferSpec> specs;
    std::vector<DeviceBuffer> buffers;
    std::vector<void *> pointers;
    std::vector<Upload> uploaded;
    DeviceBuffer workspace;
  };
  /// This call's uploads, recorded once they are known to have arrived.
  std::vector<std::pair<Upload *, Upload>> pendingUploads;

  /// A batch buffer's device copy made by prefetch, keyed by the host
  /// buffer.
  struct Staged {
    DeviceBuffer buffer;
    size_t bytes = 0;
    uint64_t forCall = 0;    // the call (`calls`) it was copied for; 0: none
    uint64_t readByCall = 0; // the last call that read it
  };
  std::unordered_map<const void *, Staged> staged;
  uint64_t calls = 0;                  // submitLocked calls so far
  cuda::CUstream copyStream = nullptr; // prefetch's; made on first use
  cuda::CUevent copied = nullptr;      // recorded after prefetch's copies
  bool copiesUnwaited = false; // `copied` recorded, no call waited for it

  /// KILN_GPU_GRAPHS=1 (and a driver with graphs, and no profiling).
  static bool graphsRequested(const cuda::Driver &api) {
    const char *flag = std::getenv("KILN_GPU_GRAPHS");
    return flag && std::strcmp(flag, "1") == 0 && api.hasGraphs() &&
           !profiling();
  }

  /// With graphs on, replays the entry's launches as one CUDA graph when
  /// this entry ran with this batch and these device buffers before (the
  /// entry's host code depends on nothing else: contract 2 keeps device
  /// data off the host), capturing the graph the second time. False when
  /// the caller must launch directly; a failed capture turns graphs off
  /// for this executor (the direct launch then reports any real error).
  bool launchGraph(EntryKind kind, int64_t batch, kiln_entry_fn fn,
                   Entry &entry, LaunchState &state) {
    if (!useGraphs)
      return false;
    GraphKey key{static_cast<int>(kind), batch, entry.pointers};
    key.pointers.push_back(entry.workspace.get());
    auto [found, added] = graphs.try_emplace(key, nullptr);
    if (added) {
      if (graphs.size() > kMaxGraphs) { // many shapes: start over
        dropGraphs();
        graphs.emplace(key, nullptr);
      }
      return false; // seen once: launched directly, loads the kernels
    }
    if (!found->second) {
      cuda::CUgraph graph = nullptr;
      if (api->cuStreamBeginCapture(stream,
                                    cuda::CU_STREAM_CAPTURE_MODE_RELAXED)) {
        useGraphs = false;
        return false;
      }
      {
        ScopedLaunch scope(state);
        fn(batch, entry.pointers.data(), entry.workspace.get());
      }
      cuda::CUresult ended = api->cuStreamEndCapture(stream, &graph);
      cuda::CUgraphExec exec = nullptr;
      bool ok = !ended && !state.error && graph &&
                !api->cuGraphInstantiateWithFlags(&exec, graph, 0);
      if (graph)
        api->cuGraphDestroy(graph);
      if (!ok) {
        kiln_status_free(state.error);
        state.error = nullptr;
        dropGraphs();
        useGraphs = false;
        return false;
      }
      found->second = exec;
    }
    if (kiln_status_t status = cuda::callStatus(
            *api, "cuGraphLaunch", api->cuGraphLaunch(found->second, stream)))
      state.error = status;
    return true;
  }

  void dropGraphs() {
    for (auto &[key, graph] : graphs)
      if (graph)
        api->cuGraphExecDestroy(graph);
    graphs.clear();
  }

  /// A captured entry call: the entry, the batch and the device buffers
  /// (the workspace last).
  struct GraphKey {
    int kind;
    int64_t batch;
    std::vector<void *> pointers;
    bool operator<(const GraphKey &other) const {
      return std::tie(kind, batch, pointers) <
             std::tie(other.kind, other.batch, other.pointers);
    }
  };
  static constexpr size_t kMaxGraphs = 32;

  /// The device copy of a parameter or slot while resident, keyed by its
  /// host buffer.
  struct Mirror {
    DeviceBuffer buffer;
    size_t bytes = 0;
    bool deviceNewer = false; // written by an entry, not copied back
  };

  const cuda::Driver *api;
  int device;
  cuda::CUcontext context;
  cuda::CUstream stream;
  const char *ptx; // the model's PTX for this device; NULL: the first
  std::string label;
  std::mutex mutex; // guards the other members and the streams
  Entry entries[3];
  bool resident = false;
  std::unordered_map<void *, Mirror> mirrors;
  bool useGraphs;
  std::map<GraphKey, cuda::CUgraphExec> graphs; // NULL: seen once
};

/// The number of "sm_86" (86; "sm_90a": 90 with `exact`), or -1.
int archNumber(const char *arch, bool &exact) {
  exact = false;
  if (!arch || std::strncmp(arch, "sm_", 3) != 0)
    return -1;
  char *end = nullptr;
  long number = std::strtol(arch + 3, &end, 10);
  if (end == arch + 3 || number <= 0 || number > 1000)
    return -1;
  if (*end == 'a' && !end[1])
    exact = true;
  else if (*end)
    return -1;
  return static_cast<int>(number);
}

/// The PTX of `gpu` that a GPU of compute capability `major`.`minor` runs
/// best: the newest architecture not newer than the GPU (an "a" one only
/// on its own). `*text` is NULL for the first PTX (the host code's), and
/// false when none runs there.
bool choosePtx(const kiln_gpu_desc_t *gpu, int major, int minor,
               const char **text) {
  int capability = major * 10 + minor;
  int best = -1;
  bool found = false;
  auto consider = [&](const char *arch, const char *ptx) {
    bool exact = false;
    int number = archNumber(arch, exact);
    if (number < 0 || number > capability || (exact && number != capability) ||
        number <= best)
      return;
    best = number;
    *text = ptx;
    found = true;
  };
  consider(gpu->arch, nullptr);
  for (int64_t i = 0; i < gpu->num_more_ptx && gpu->more_ptx; ++i)
    consider(gpu->more_ptx[i].arch, gpu->more_ptx[i].text);
  return found;
}

/// Device `index`'s primary context, retained once per process (as the
/// CUDA runtime does): the modules loaded into it (Mgpu.cpp) stay valid for
/// every executor on the device.
kiln_status_t primaryContext(const cuda::Driver &api, int index,
                             cuda::CUdevice device, cuda::CUcontext *context) {
  static std::mutex mutex;
  static cuda::CUcontext contexts[kMaxDevices] = {};
  std::lock_guard<std::mutex> lock(mutex);
  if (!contexts[index])
    KILN_RETURN_IF_ERROR(cuda::callStatus(
        api, "cuDevicePrimaryCtxRetain",
        api.cuDevicePrimaryCtxRetain(&contexts[index], device)));
  *context = contexts[index];
  return nullptr;
}

/// Parses "gpu" or "gpu:N" into `index`; false for anything else.
bool parseGpu(const char *spec, int &index) {
  if (std::strcmp(spec, "gpu") == 0) {
    index = 0;
    return true;
  }
  if (std::strncmp(spec, "gpu:", 4) != 0 || !spec[4])
    return false;
  char *end = nullptr;
  long value = std::strtol(spec + 4, &end, 10);
  if (*end || value < 0 || value > 1023)
    return false;
  index = static_cast<int>(value);
  return true;
}

} // namespace

std::string kiln::gpu::ptxArchitectures(const kiln_gpu_desc_t *gpu) {
  std::string list = gpu->arch ? gpu->arch : "?";
  for (int64_t i = 0; i < gpu->num_more_ptx && gpu->more_ptx; ++i)
    list += std::string(", ") +
            (gpu->more_ptx[i].arch ? gpu->more_ptx[i].arch : "?");
  return list;
}

std::string kiln::gpu::describePrecision(const kiln_gpu_desc_t *gpu) {
  const char *precision = gpu ? gpu->matmul_precision : nullptr;
  if (!precision || std::strcmp(precision, "fp32") == 0)
    return "";
  return std::string(precision) + " matrix products on tensor cores";
}

bool kiln::gpu::runsOn(const kiln_gpu_desc_t *gpu, int major, int minor) {
  const char *ptx = nullptr;
  return choosePtx(gpu, major, minor, &ptx);
}

void kiln::gpu::printDevices(FILE *stream) {
  kiln_device_info_t gpus[16];
  int32_t count = 0;
  if (kiln_status_t status = kiln_gpu_devices(gpus, 16, &count)) {
    std::fprintf(stream, "(no GPU: %s)\n", kiln_status_message(status));
    kiln_status_free(status);
    return;
  }
  if (count == 0)
    std::fprintf(stream, "(no GPU: the CUDA driver reports none)\n");
  for (int32_t i = 0; i < count && i < 16; ++i) {
    const kiln_device_info_t &gpu = gpus[i];
    std::fprintf(stream,
                 "gpu:%-4d %s, compute capability %d.%d, %d multiprocessors, "
                 "%.1f GiB, CUDA driver %d.%d\n",
                 gpu.index, gpu.name, gpu.compute_major, gpu.compute_minor,
                 gpu.multiprocessors,
                 static_cast<double>(gpu.memory_bytes) / (1 << 30),
                 gpu.driver_version / 1000, gpu.driver_version % 1000 / 10);
  }
}

extern "C" {

kiln_status_t kiln_gpu_devices(kiln_device_info_t *devices, int32_t capacity,
                               int32_t *count) {
  if (!count || (capacity > 0 && !devices))
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "count and devices must not be NULL");
  *count = 0;
  kiln_status_t why = nullptr;
  const cuda::Driver *api = cuda::driver(&why);
  if (!api)
    return why;
  int total = 0, version = 0;
  KILN_RETURN_IF_ERROR(cuda::callStatus(*api, "cuDeviceGetCount",
                                        api->cuDeviceGetCount(&total)));
  KILN_RETURN_IF_ERROR(cuda::callStatus(*api, "cuDriverGetVersion",
                                        api->cuDriverGetVersion(&version)));
  // Every query is checked: a failed one would list zeros as facts.
  auto attribute = [&](int *value, int which, cuda::CUdevice device) {
    return cuda::callStatus(*api, "cuDeviceGetAttribute",
                            api->cuDeviceGetAttribute(value, which, device));
  };
  for (int i = 0; i < total && i < capacity; ++i) {
    kiln_device_info_t &info = devices[i];
    std::memset(&info, 0, sizeof(info));
    cuda::CUdevice device = 0;
    size_t memory = 0;
    KILN_RETURN_IF_ERROR(
        cuda::callStatus(*api, "cuDeviceGet", api->cuDeviceGet(&device, i)));
    KILN_RETURN_IF_ERROR(cuda::callStatus(
        *api, "cuDeviceGetName",
        api->cuDeviceGetName(info.name, sizeof(info.name) - 1, device)));
    KILN_RETURN_IF_ERROR(
        attribute(&info.compute_major,
                  cuda::CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, device));
    KILN_RETURN_IF_ERROR(
        attribute(&info.compute_minor,
                  cuda::CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, device));
    KILN_RETURN_IF_ERROR(
        attribute(&info.multiprocessors,
                  cuda::CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, device));
    KILN_RETURN_IF_ERROR(cuda::callStatus(
        *api, "cuDeviceTotalMem", api->cuDeviceTotalMem(&memory, device)));
    info.index = i;
    info.memory_bytes = static_cast<int64_t>(memory);
    info.driver_version = version;
  }
  *count = total;
  return nullptr;
}

kiln_status_t kiln_model_set_device(kiln_model_t *model, const char *spec) {
  if (!model || !spec)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "model and device must not be NULL");
  if (std::strcmp(spec, "cpu") == 0) {
    model->device.reset();
    return nullptr;
  }
  int index = 0;
  if (!parseGpu(spec, index))
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "unknown device '%s' (expected cpu, gpu or gpu:N)",
                       spec);
  const kiln_model_desc_t *desc = model->desc;
  if (!desc->cuda)
    return KILN_STATUS(KILN_STATUS_UNIMPLEMENTED,
                       "--device %s: model '%s' was compiled without GPU "
                       "code (kiln compile --target cuda)",
                       spec, desc->name ? desc->name : "");
  kiln_status_t why = nullptr;
  const cuda::Driver *api = cuda::driver(&why);
  if (!api) {
    kiln_status_t status =
        KILN_STATUS(KILN_STATUS_UNIMPLEMENTED, "--device %s: %s", spec,
                    kiln_status_message(why));
    kiln_status_free(why);
    return status;
  }
  int total = 0;
  KILN_RETURN_IF_ERROR(cuda::callStatus(*api, "cuDeviceGetCount",
                                        api->cuDeviceGetCount(&total)));
  if (index >= total)
    return KILN_STATUS(KILN_STATUS_NOT_FOUND,
                       "--device %s: this machine has %d GPU%s", spec, total,
                       total == 1 ? "" : "s");
  if (index >= kMaxDevices)
    return KILN_STATUS(KILN_STATUS_UNIMPLEMENTED,
                       "--device %s: kiln runs on gpu:0 to gpu:%d", spec,
                       kMaxDevices - 1);
  cuda::CUdevice device = 0;
  KILN_RETURN_IF_ERROR(
      cuda::callStatus(*api, "cuDeviceGet", api->cuDeviceGet(&device, index)));
  char name[256] = {};
  KILN_RETURN_IF_ERROR(
      cuda::callStatus(*api, "cuDeviceGetName",
                       api->cuDeviceGetName(name, sizeof(name) - 1, device)));
  std::string label = "gpu:" + std::to_string(index) + " (" + name + ")";
  // The PTX for this GPU's architecture, before anything is allocated.
  int major = 0, minor = 0;
  KILN_RETURN_IF_ERROR(cuda::callStatus(
      *api, "cuDeviceGetAttribute",
      api->cuDeviceGetAttribute(
          &major, cuda::CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, device)));
  KILN_RETURN_IF_ERROR(cuda::callStatus(
      *api, "cuDeviceGetAttribute",
      api->cuDeviceGetAttribute(
          &minor, cuda::CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, device)));
  const char *ptx = nullptr;
  if (!choosePtx(desc->cuda, major, minor, &ptx))
    return KILN_STATUS(KILN_STATUS_UNIMPLEMENTED,
                       "--device %s: %s has compute capability %d.%d, and "
                       "model '%s' carries PTX for %s only (kiln compile "
                       "--gpu-arch sm_%d%d,...)",
                       spec, name, major, minor, desc->name ? desc->name : "",
                       ptxArchitectures(desc->cuda).c_str(), major, minor);
  cuda::CUcontext context = nullptr;
  cuda::CUstream stream = nullptr;
  KILN_RETURN_IF_ERROR(primaryContext(*api, index, device, &context));
  KILN_RETURN_IF_ERROR(
      cuda::callStatus(*api, "cuCtxSetCurrent", api->cuCtxSetCurrent(context)));
  KILN_RETURN_IF_ERROR(cuda::callStatus(*api, "cuStreamCreate",
                                        api->cuStreamCreate(&stream, 0)));
  // The old executor (copying back what only its device held) goes first.
  model->device.reset();
  model->device.reset(
      new GpuExecutor(api, index, context, stream, ptx, std::move(label)));
  return nullptr;
}

int32_t kiln_lib_set_device(kiln_lib_t *lib, const char *device) {
  return libraryResult(lib, kiln_model_set_device(kiln_lib_model(lib), device));
}

} // extern "C"
