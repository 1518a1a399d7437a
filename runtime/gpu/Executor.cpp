//===- Executor.cpp - Running a model's entries on a GPU --------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// kiln_model_set_device installs a GpuExecutor: each entry call copies the
// buffers the entry reads (kiln/model.h's order: parameters, slots, inputs,
// targets, scalars) to device memory kept between calls, launches the
// entry's kernels on the device's stream, copies back what it writes and
// synchronizes once. The model's parameters stay in host memory, so weights
// files and checkpoints do not depend on the device.
//===----------------------------------------------------------------------===//

#include "gpu/Launch.h"

#include "base/Descriptor.h"
#include "base/Status.h"
#include "model/Library.h"
#include "model/Model.h"

#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

using namespace kiln;
using namespace kiln::gpu;

namespace {

/// One buffer of an entry: its bytes at a batch size, and whether the entry
/// writes it (else reads it).
struct BufferSpec {
  int64_t fixedBytes = 0;
  int64_t perSampleBytes = 0;
  bool written = false;
};

void addTensor(std::vector<BufferSpec> &specs, const kiln_tensor_desc_t &t,
               bool written) {
  BufferSpec spec;
  spec.written = written;
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
                     bool written) {
    for (int64_t i = 0; i < count; ++i)
      addTensor(specs, list[i], written);
  };
  auto scalar = [&](int64_t bytes, bool written) {
    specs.push_back({bytes, 0, written});
  };
  tensors(desc->num_params, desc->params, false);
  const kiln_train_desc_t *train = desc->training;
  switch (kind) {
  case EntryKind::Predict:
    tensors(desc->num_inputs, desc->inputs, false);
    tensors(desc->num_outputs, desc->outputs, true);
    break;
  case EntryKind::TrainStep:
    tensors(train->num_slots, train->slots, false);
    tensors(desc->num_inputs, desc->inputs, false);
    tensors(train->num_targets, train->targets, false);
    scalar(sizeof(float), false);       // learning rate
    scalar(sizeof(float), false);       // iteration
    scalar(2 * sizeof(int64_t), false); // rng
    scalar(sizeof(float), true);        // loss
    tensors(desc->num_outputs, desc->outputs, true);
    for (int64_t i = 0; i < desc->num_params; ++i)
      if (isUpdatedByStep(desc, i))
        addTensor(specs, desc->params[i], true);
    tensors(train->num_slots, train->slots, true);
    break;
  case EntryKind::EvalStep:
    tensors(desc->num_inputs, desc->inputs, false);
    tensors(train->num_targets, train->targets, false);
    scalar(sizeof(float), true); // loss
    tensors(desc->num_outputs, desc->outputs, true);
    break;
  }
  return specs;
}

/// Device memory that grows to the largest size asked for.
class DeviceBuffer {
public:
  ~DeviceBuffer() { reset(); }
  void bind(const cuda::Driver *driver) { api = driver; }
  kiln_status_t reserve(size_t bytes) {
    if (bytes <= size)
      return nullptr;
    reset();
    KILN_RETURN_IF_ERROR(
        cuda::callStatus(*api, "cuMemAlloc", api->cuMemAlloc(&pointer, bytes)));
    size = bytes;
    return nullptr;
  }
  void *get() const { return reinterpret_cast<void *>(pointer); }
  cuda::CUdeviceptr address() const { return pointer; }

private:
  void reset() {
    if (pointer)
      api->cuMemFree(pointer);
    pointer = 0;
    size = 0;
  }
  const cuda::Driver *api = nullptr;
  cuda::CUdeviceptr pointer = 0;
  size_t size = 0;
};

class GpuExecutor final : public DeviceExecutor {
public:
  GpuExecutor(const cuda::Driver *api, int device, cuda::CUcontext context,
              cuda::CUstream stream, std::string name)
      : api(api), device(device), context(context), stream(stream),
        label(std::move(name)) {}

  const char *name() const override { return label.c_str(); }

  kiln_status_t run(const kiln_model_desc_t *desc, EntryKind kind,
                    int64_t batch, void *const *buffers) override {
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
    // Predict calls may come from several threads at once (kiln/runtime.h):
    // they take turns on the device buffers and the stream.
    std::lock_guard<std::mutex> lock(mutex);
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
    }
    // Device buffers, and what the entry reads copied in.
    for (size_t i = 0; i < entry.specs.size(); ++i) {
      const BufferSpec &spec = entry.specs[i];
      size_t bytes =
          static_cast<size_t>(spec.fixedBytes + spec.perSampleBytes * batch);
      KILN_RETURN_IF_ERROR(entry.buffers[i].reserve(bytes ? bytes : 1));
      entry.pointers[i] = entry.buffers[i].get();
      if (!spec.written && bytes)
        KILN_RETURN_IF_ERROR(cuda::callStatus(
            *api, "cuMemcpyHtoDAsync",
            api->cuMemcpyHtoDAsync(entry.buffers[i].address(), buffers[i],
                                   bytes, stream)));
    }
    int64_t workspaceBytes = kiln_workspace_bytes(workspaceSize, batch);
    if (workspaceBytes < 0)
      return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                         "%s: invalid workspace size in the descriptor", what);
    KILN_RETURN_IF_ERROR(entry.workspace.reserve(
        workspaceBytes ? static_cast<size_t>(workspaceBytes) : 1));

    LaunchState state;
    state.api = api;
    state.device = device;
    state.stream = stream;
    {
      ScopedLaunch scope(state);
      fn(batch, entry.pointers.data(), entry.workspace.get());
    }
    // What the entry wrote comes back; one synchronization reports both
    // the copies' and the kernels' failures.
    for (size_t i = 0; i < entry.specs.size() && !state.error; ++i) {
      const BufferSpec &spec = entry.specs[i];
      size_t bytes =
          static_cast<size_t>(spec.fixedBytes + spec.perSampleBytes * batch);
      if (spec.written && bytes)
        state.error = cuda::callStatus(
            *api, "cuMemcpyDtoHAsync",
            api->cuMemcpyDtoHAsync(buffers[i], entry.buffers[i].address(),
                                   bytes, stream));
    }
    kiln_status_t synced = cuda::callStatus(*api, "cuStreamSynchronize",
                                            api->cuStreamSynchronize(stream));
    if (state.error) {
      kiln_status_free(synced);
      return state.error;
    }
    return synced;
  }

private:
  struct Entry {
    std::vector<BufferSpec> specs;
    std::vector<DeviceBuffer> buffers;
    std::vector<void *> pointers;
    DeviceBuffer workspace;
  };

  const cuda::Driver *api;
  int device;
  cuda::CUcontext context;
  cuda::CUstream stream;
  std::string label;
  std::mutex mutex; // guards entries and the stream
  Entry entries[3];
};

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
  api->cuDriverGetVersion(&version);
  for (int i = 0; i < total && i < capacity; ++i) {
    kiln_device_info_t &info = devices[i];
    std::memset(&info, 0, sizeof(info));
    cuda::CUdevice device = 0;
    size_t memory = 0;
    KILN_RETURN_IF_ERROR(
        cuda::callStatus(*api, "cuDeviceGet", api->cuDeviceGet(&device, i)));
    api->cuDeviceGetName(info.name, sizeof(info.name) - 1, device);
    api->cuDeviceGetAttribute(
        &info.compute_major, cuda::CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR,
        device);
    api->cuDeviceGetAttribute(
        &info.compute_minor, cuda::CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR,
        device);
    api->cuDeviceGetAttribute(&info.multiprocessors,
                              cuda::CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT,
                              device);
    api->cuDeviceTotalMem(&memory, device);
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
  cuda::CUdevice device = 0;
  cuda::CUcontext context = nullptr;
  cuda::CUstream stream = nullptr;
  KILN_RETURN_IF_ERROR(
      cuda::callStatus(*api, "cuDeviceGet", api->cuDeviceGet(&device, index)));
  KILN_RETURN_IF_ERROR(
      cuda::callStatus(*api, "cuDevicePrimaryCtxRetain",
                       api->cuDevicePrimaryCtxRetain(&context, device)));
  KILN_RETURN_IF_ERROR(
      cuda::callStatus(*api, "cuCtxSetCurrent", api->cuCtxSetCurrent(context)));
  KILN_RETURN_IF_ERROR(cuda::callStatus(*api, "cuStreamCreate",
                                        api->cuStreamCreate(&stream, 0)));
  char name[256] = {};
  api->cuDeviceGetName(name, sizeof(name) - 1, device);
  model->device.reset(
      new GpuExecutor(api, index, context, stream,
                      "gpu:" + std::to_string(index) + " (" + name + ")"));
  return nullptr;
}

int32_t kiln_lib_set_device(kiln_lib_t *lib, const char *device) {
  return libraryResult(lib, kiln_model_set_device(kiln_lib_model(lib), device));
}

} // extern "C"
