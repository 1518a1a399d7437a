//===- Cuda.cpp - Loading the CUDA driver -----------------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//===----------------------------------------------------------------------===//

#include "gpu/Cuda.h"

#include "base/Status.h"

#include <dlfcn.h>

#include <cstdlib>
#include <mutex>

using namespace kiln;
using namespace kiln::cuda;

namespace {

struct Loaded {
  Driver api = {};
  bool ok = false;
  char why[512] = {};
};

/// Resolves every entry point of `api` from `lib`; false naming the first
/// missing one in `why`.
bool resolve(void *lib, Driver &api, char *why, size_t size) {
  struct Symbol {
    const char *name;
    void **slot;
  };
  const Symbol symbols[] = {
      {"cuInit", reinterpret_cast<void **>(&api.cuInit)},
      {"cuDriverGetVersion",
       reinterpret_cast<void **>(&api.cuDriverGetVersion)},
      {"cuGetErrorName", reinterpret_cast<void **>(&api.cuGetErrorName)},
      {"cuGetErrorString", reinterpret_cast<void **>(&api.cuGetErrorString)},
      {"cuDeviceGetCount", reinterpret_cast<void **>(&api.cuDeviceGetCount)},
      {"cuDeviceGet", reinterpret_cast<void **>(&api.cuDeviceGet)},
      {"cuDeviceGetName", reinterpret_cast<void **>(&api.cuDeviceGetName)},
      {"cuDeviceGetAttribute",
       reinterpret_cast<void **>(&api.cuDeviceGetAttribute)},
      {"cuDeviceTotalMem_v2", reinterpret_cast<void **>(&api.cuDeviceTotalMem)},
      {"cuDevicePrimaryCtxRetain",
       reinterpret_cast<void **>(&api.cuDevicePrimaryCtxRetain)},
      {"cuCtxSetCurrent", reinterpret_cast<void **>(&api.cuCtxSetCurrent)},
      {"cuModuleLoadDataEx",
       reinterpret_cast<void **>(&api.cuModuleLoadDataEx)},
      {"cuModuleGetFunction",
       reinterpret_cast<void **>(&api.cuModuleGetFunction)},
      {"cuLaunchKernel", reinterpret_cast<void **>(&api.cuLaunchKernel)},
      {"cuStreamCreate", reinterpret_cast<void **>(&api.cuStreamCreate)},
      {"cuStreamSynchronize",
       reinterpret_cast<void **>(&api.cuStreamSynchronize)},
      {"cuStreamDestroy_v2", reinterpret_cast<void **>(&api.cuStreamDestroy)},
      {"cuEventCreate", reinterpret_cast<void **>(&api.cuEventCreate)},
      {"cuEventRecord", reinterpret_cast<void **>(&api.cuEventRecord)},
      {"cuStreamWaitEvent", reinterpret_cast<void **>(&api.cuStreamWaitEvent)},
      {"cuEventDestroy_v2", reinterpret_cast<void **>(&api.cuEventDestroy)},
      {"cuMemAlloc_v2", reinterpret_cast<void **>(&api.cuMemAlloc)},
      {"cuMemFree_v2", reinterpret_cast<void **>(&api.cuMemFree)},
      {"cuMemcpyHtoDAsync_v2",
       reinterpret_cast<void **>(&api.cuMemcpyHtoDAsync)},
      {"cuMemcpyDtoHAsync_v2",
       reinterpret_cast<void **>(&api.cuMemcpyDtoHAsync)},
      {"cuMemHostAlloc", reinterpret_cast<void **>(&api.cuMemHostAlloc)},
      {"cuMemFreeHost", reinterpret_cast<void **>(&api.cuMemFreeHost)},
  };
  for (const Symbol &symbol : symbols) {
    *symbol.slot = dlsym(lib, symbol.name);
    if (!*symbol.slot) {
      std::snprintf(why, size, "the CUDA driver has no %s", symbol.name);
      return false;
    }
  }
  const Symbol optional[] = {
      {"cuStreamBeginCapture_v2",
       reinterpret_cast<void **>(&api.cuStreamBeginCapture)},
      {"cuStreamEndCapture",
       reinterpret_cast<void **>(&api.cuStreamEndCapture)},
      {"cuGraphInstantiateWithFlags",
       reinterpret_cast<void **>(&api.cuGraphInstantiateWithFlags)},
      {"cuGraphLaunch", reinterpret_cast<void **>(&api.cuGraphLaunch)},
      {"cuGraphExecDestroy",
       reinterpret_cast<void **>(&api.cuGraphExecDestroy)},
      {"cuGraphDestroy", reinterpret_cast<void **>(&api.cuGraphDestroy)},
  };
  for (const Symbol &symbol : optional)
    *symbol.slot = dlsym(lib, symbol.name);
  return true;
}

const Loaded &load() {
  static Loaded loaded;
  static std::once_flag once;
  std::call_once(once, [] {
    const char *path = std::getenv("KILN_CUDA_DRIVER");
    if (!path || !*path)
      path = "libcuda.so.1";
    void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
      const char *error = dlerror();
      std::snprintf(loaded.why, sizeof(loaded.why),
                    "no CUDA driver (%s); install the NVIDIA driver or run "
                    "on the CPU",
                    error ? error : path);
      return;
    }
    if (!resolve(lib, loaded.api, loaded.why, sizeof(loaded.why)))
      return;
    if (CUresult result = loaded.api.cuInit(0); result != CUDA_SUCCESS) {
      const char *name = nullptr, *text = nullptr;
      loaded.api.cuGetErrorName(result, &name);
      loaded.api.cuGetErrorString(result, &text);
      std::snprintf(loaded.why, sizeof(loaded.why),
                    "cuInit failed: %s (%s); is a GPU present?",
                    name ? name : "unknown CUDA error", text ? text : "");
      return;
    }
    loaded.ok = true;
  });
  return loaded;
}

} // namespace

const Driver *kiln::cuda::driver(kiln_status_t *why) {
  const Loaded &loaded = load();
  if (loaded.ok)
    return &loaded.api;
  if (why)
    *why = KILN_STATUS(KILN_STATUS_UNIMPLEMENTED, "%s", loaded.why);
  return nullptr;
}

kiln_status_t kiln::cuda::callStatus(const Driver &api, const char *call,
                                     CUresult result, const char *detail) {
  if (result == CUDA_SUCCESS)
    return nullptr;
  const char *name = nullptr, *text = nullptr;
  api.cuGetErrorName(result, &name);
  api.cuGetErrorString(result, &text);
  return KILN_STATUS(KILN_STATUS_INTERNAL, "%s failed: %s (%s)%s%s", call,
                     name ? name : "unknown CUDA error", text ? text : "",
                     detail && *detail ? ": " : "", detail ? detail : "");
}
