//===- Mgpu.cpp - MLIR's mgpu* runtime ABI over the CUDA driver -*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// The host code that MLIR's `gpu-to-llvm` lowering generates calls these
// functions (Debian ships no libmlir_cuda_runtime). Differences from
// upstream's CUDA runtime wrappers, all on purpose:
//  - `mgpuModuleLoadJIT` runs from a global constructor, before main: it only
//    records the embedded PTX, so binaries start on machines without a GPU.
//    The driver JIT-compiles it on the first launch on each device.
//  - Errors do not abort: the first one is recorded in the thread's
//    LaunchState and later launches of the entry are skipped. Only a call
//    outside an executor's entry, which has nowhere to report to, stops
//    the process with a message (rather than launch nothing).
//  - Streams are the executor's: one per device, in order, so the
//    per-launch create/synchronize/destroy that the lowering emits are
//    free, and the executor synchronizes once per entry.
//  - KILN_GPU_PROFILE=1 times every launch (synchronizing before and after
//    it) and prints, at exit, the kernels by total time: where a model's
//    GPU time goes, without a profiler.
//===----------------------------------------------------------------------===//

#include "gpu/Launch.h"

#include "base/Status.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

using namespace kiln;
using namespace kiln::gpu;

namespace {

struct PerDevice {
  cuda::CUmodule module = nullptr;
  std::unordered_map<const char *, cuda::CUfunction> functions;
};

/// One embedded PTX module, loaded per device on first use (the variant
/// for the device's architecture that the executor chose: LaunchState::ptx).
struct LazyModule {
  const char *ptx;
  std::mutex mutex;
  PerDevice devices[kMaxDevices];
};

thread_local LaunchState *current = nullptr;

/// KILN_GPU_PROFILE: time per kernel name.
struct Profile {
  struct Entry {
    int64_t calls = 0;
    double seconds = 0;
  };
  std::mutex mutex;
  std::unordered_map<cuda::CUfunction, std::string> names;
  std::unordered_map<std::string, Entry> kernels;

  static Profile *get() {
    static Profile *profile = [] {
      const char *flag = std::getenv("KILN_GPU_PROFILE");
      if (!flag || !*flag || std::string(flag) == "0")
        return static_cast<Profile *>(nullptr);
      std::atexit([] { get()->print(); });
      return new Profile();
    }();
    return profile;
  }

  void print() {
    std::lock_guard<std::mutex> lock(mutex);
    std::vector<std::pair<std::string, Entry>> sorted(kernels.begin(),
                                                      kernels.end());
    std::sort(sorted.begin(), sorted.end(), [](const auto &a, const auto &b) {
      return a.second.seconds > b.second.seconds;
    });
    double total = 0;
    for (const auto &entry : sorted)
      total += entry.second.seconds;
    std::fprintf(stderr, "kiln GPU profile: %.3f ms in %zu kernels\n",
                 total * 1e3, sorted.size());
    for (size_t i = 0; i < sorted.size() && i < 25; ++i)
      std::fprintf(stderr, "%8.3f ms %5.1f%% %8lld calls %9.2f us/call  %s\n",
                   sorted[i].second.seconds * 1e3,
                   100 * sorted[i].second.seconds / (total > 0 ? total : 1),
                   static_cast<long long>(sorted[i].second.calls),
                   sorted[i].second.seconds * 1e6 /
                       static_cast<double>(sorted[i].second.calls),
                   sorted[i].first.c_str());
  }
};

/// The state of the entry running on this thread. A GPU entry called
/// other than through the executor (a caller of kiln_gpu_desc_t's
/// functions) would launch nothing and leave its outputs as they were: it
/// stops the process instead, saying why.
LaunchState &requireCurrent(const char *call) {
  if (!current) {
    std::fprintf(stderr,
                 "kiln: %s: a GPU entry (kiln_gpu_desc_t) was called outside "
                 "the kiln runtime; run it through kiln_model_predict, "
                 "kiln_model_fit or kiln_model_evaluate after "
                 "kiln_model_set_device\n",
                 call);
    std::abort();
  }
  return *current;
}

void fail(LaunchState &state, kiln_status_t status) {
  if (!state.error)
    state.error = status;
  else
    kiln_status_free(status);
}

} // namespace

LaunchState *kiln::gpu::currentLaunch() { return current; }

bool kiln::gpu::profiling() { return Profile::get() != nullptr; }

ScopedLaunch::ScopedLaunch(LaunchState &state) : previous(current) {
  current = &state;
}

ScopedLaunch::~ScopedLaunch() { current = previous; }

extern "C" {

__attribute__((visibility("default"))) void *mgpuModuleLoadJIT(void *data,
                                                               int) {
  return new LazyModule{static_cast<const char *>(data), {}, {}};
}

__attribute__((visibility("default"))) void mgpuModuleUnload(void *) {
  // At exit: the driver may be gone already; the process frees everything.
}

__attribute__((visibility("default"))) void *
mgpuModuleGetFunction(void *moduleHandle, const char *name) {
  LaunchState *state = &requireCurrent("mgpuModuleGetFunction");
  if (state->error)
    return nullptr;
  if (state->device < 0 || state->device >= kMaxDevices) {
    fail(*state, KILN_STATUS(KILN_STATUS_UNIMPLEMENTED,
                             "GPU %d: kiln supports devices 0 to %d",
                             state->device, kMaxDevices - 1));
    return nullptr;
  }
  auto *module = static_cast<LazyModule *>(moduleHandle);
  std::lock_guard<std::mutex> lock(module->mutex);
  PerDevice &device = module->devices[state->device];
  if (auto found = device.functions.find(name); found != device.functions.end())
    return found->second;
  const cuda::Driver &api = *state->api;
  if (!device.module) {
    char log[4096] = {};
    int options[] = {cuda::CU_JIT_ERROR_LOG_BUFFER,
                     cuda::CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES};
    void *values[] = {log, reinterpret_cast<void *>(sizeof(log))};
    if (kiln_status_t status = cuda::callStatus(
            api, "cuModuleLoadDataEx (JIT of the model's PTX)",
            api.cuModuleLoadDataEx(&device.module,
                                   state->ptx ? state->ptx : module->ptx, 2,
                                   options, values),
            log)) {
      device.module = nullptr;
      fail(*state, status);
      return nullptr;
    }
  }
  cuda::CUfunction function = nullptr;
  if (kiln_status_t status = cuda::callStatus(
          api, "cuModuleGetFunction",
          api.cuModuleGetFunction(&function, device.module, name), name)) {
    fail(*state, status);
    return nullptr;
  }
  device.functions.emplace(name, function);
  if (Profile *profile = Profile::get()) {
    std::lock_guard<std::mutex> guard(profile->mutex);
    profile->names.emplace(function, name);
  }
  return function;
}

__attribute__((visibility("default"))) void *mgpuStreamCreate() {
  return requireCurrent("mgpuStreamCreate").stream;
}

__attribute__((visibility("default"))) void mgpuStreamSynchronize(void *) {}

__attribute__((visibility("default"))) void mgpuStreamDestroy(void *) {}

__attribute__((visibility("default"))) void
mgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY, intptr_t gridZ,
                 intptr_t blockX, intptr_t blockY, intptr_t blockZ,
                 int32_t sharedBytes, void *stream, void **params, void **extra,
                 size_t /*paramsCount*/) {
  LaunchState *state = &requireCurrent("mgpuLaunchKernel");
  if (state->error || !function)
    return;
  const cuda::Driver &api = *state->api;
  if (gridX > 0x7fffffff || gridY > 0xffff || gridZ > 0xffff) {
    fail(*state, KILN_STATUS(KILN_STATUS_OUT_OF_RANGE,
                             "a kernel's grid (%ld x %ld x %ld blocks) is "
                             "larger than CUDA allows",
                             static_cast<long>(gridX), static_cast<long>(gridY),
                             static_cast<long>(gridZ)));
    return;
  }
  Profile *profile = Profile::get();
  auto start = std::chrono::steady_clock::now();
  if (profile) {
    api.cuStreamSynchronize(static_cast<cuda::CUstream>(stream));
    start = std::chrono::steady_clock::now();
  }
  if (kiln_status_t status = cuda::callStatus(
          api, "cuLaunchKernel",
          api.cuLaunchKernel(
              static_cast<cuda::CUfunction>(function),
              static_cast<unsigned>(gridX), static_cast<unsigned>(gridY),
              static_cast<unsigned>(gridZ), static_cast<unsigned>(blockX),
              static_cast<unsigned>(blockY), static_cast<unsigned>(blockZ),
              static_cast<unsigned>(sharedBytes),
              static_cast<cuda::CUstream>(stream), params, extra))) {
    fail(*state, status);
    return;
  }
  if (profile) {
    api.cuStreamSynchronize(static_cast<cuda::CUstream>(stream));
    std::chrono::duration<double> took =
        std::chrono::steady_clock::now() - start;
    std::lock_guard<std::mutex> guard(profile->mutex);
    auto name = profile->names.find(static_cast<cuda::CUfunction>(function));
    Profile::Entry &entry =
        profile->kernels[name == profile->names.end() ? "?" : name->second];
    ++entry.calls;
    entry.seconds += took.count();
  }
}

} // extern "C"
