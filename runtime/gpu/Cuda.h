//===- Cuda.h - The CUDA driver API, loaded with dlopen ---------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// kiln binaries never link libcuda: the driver is loaded with
// dlopen("libcuda.so.1") on first use (DESIGN.md: binaries start on machines
// without a GPU). The few driver types and entry points the runtime calls
// are declared here, from the driver API's stable C ABI; no CUDA header is
// needed to build. `KILN_CUDA_DRIVER` names another library to load (tests
// point it at a missing file to check the no-driver path).
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_GPU_CUDA_H
#define KILN_RUNTIME_GPU_CUDA_H

#include "kiln/runtime.h"

#include <cstddef>
#include <cstdint>

namespace kiln::cuda {

using CUresult = int;
using CUdevice = int;
using CUdeviceptr = unsigned long long;
struct CUctx_st;
struct CUmod_st;
struct CUfunc_st;
struct CUstream_st;
using CUcontext = CUctx_st *;
using CUmodule = CUmod_st *;
using CUfunction = CUfunc_st *;
using CUstream = CUstream_st *;
struct CUgraph_st;
struct CUgraphExec_st;
using CUgraph = CUgraph_st *;
using CUgraphExec = CUgraphExec_st *;
struct CUevent_st;
using CUevent = CUevent_st *;

constexpr CUresult CUDA_SUCCESS = 0;
constexpr int CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT = 16;
constexpr int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75;
constexpr int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76;
constexpr int CU_JIT_ERROR_LOG_BUFFER = 5;
constexpr int CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES = 6;
constexpr int CU_STREAM_CAPTURE_MODE_RELAXED = 2;
constexpr unsigned CU_MEMHOSTALLOC_PORTABLE = 0x01;
constexpr unsigned CU_EVENT_DISABLE_TIMING = 0x02;

/// The driver entry points kiln calls (the `_v2` ABI where one exists).
struct Driver {
  CUresult (*cuInit)(unsigned);
  CUresult (*cuDriverGetVersion)(int *);
  CUresult (*cuGetErrorName)(CUresult, const char **);
  CUresult (*cuGetErrorString)(CUresult, const char **);
  CUresult (*cuDeviceGetCount)(int *);
  CUresult (*cuDeviceGet)(CUdevice *, int);
  CUresult (*cuDeviceGetName)(char *, int, CUdevice);
  CUresult (*cuDeviceGetAttribute)(int *, int, CUdevice);
  CUresult (*cuDeviceTotalMem)(size_t *, CUdevice);
  CUresult (*cuDevicePrimaryCtxRetain)(CUcontext *, CUdevice);
  CUresult (*cuCtxSetCurrent)(CUcontext);
  CUresult (*cuModuleLoadDataEx)(CUmodule *, const void *, unsigned, int *,
                                 void **);
  CUresult (*cuModuleGetFunction)(CUfunction *, CUmodule, const char *);
  CUresult (*cuLaunchKernel)(CUfunction, unsigned, unsigned, unsigned, unsigned,
                             unsigned, unsigned, unsigned, CUstream, void **,
                             void **);
  CUresult (*cuStreamCreate)(CUstream *, unsigned);
  CUresult (*cuStreamSynchronize)(CUstream);
  CUresult (*cuStreamDestroy)(CUstream);
  // Events order one stream's work after another's (the batch copies of
  // GpuExecutor::prefetch before the step that reads them).
  CUresult (*cuEventCreate)(CUevent *, unsigned);
  CUresult (*cuEventRecord)(CUevent, CUstream);
  CUresult (*cuStreamWaitEvent)(CUstream, CUevent, unsigned);
  CUresult (*cuEventDestroy)(CUevent);
  CUresult (*cuMemAlloc)(CUdeviceptr *, size_t);
  CUresult (*cuMemFree)(CUdeviceptr);
  CUresult (*cuMemcpyHtoDAsync)(CUdeviceptr, const void *, size_t, CUstream);
  CUresult (*cuMemcpyDtoHAsync)(void *, CUdeviceptr, size_t, CUstream);
  // Page-locked host memory: copies to and from it are asynchronous.
  CUresult (*cuMemHostAlloc)(void **, size_t, unsigned);
  CUresult (*cuMemFreeHost)(void *);
  // CUDA graphs (driver 11.4 and later); NULL when the driver lacks one,
  // and then graphs are not used.
  CUresult (*cuStreamBeginCapture)(CUstream, int);
  CUresult (*cuStreamEndCapture)(CUstream, CUgraph *);
  CUresult (*cuGraphInstantiateWithFlags)(CUgraphExec *, CUgraph,
                                          unsigned long long);
  CUresult (*cuGraphLaunch)(CUgraphExec, CUstream);
  CUresult (*cuGraphExecDestroy)(CUgraphExec);
  CUresult (*cuGraphDestroy)(CUgraph);
  bool hasGraphs() const {
    return cuStreamBeginCapture && cuStreamEndCapture &&
           cuGraphInstantiateWithFlags && cuGraphLaunch && cuGraphExecDestroy &&
           cuGraphDestroy;
  }
};

/// The loaded and initialized driver, or NULL with `*why` saying why not
/// (no libcuda, a symbol missing, cuInit failed). Loaded once per process.
const Driver *driver(kiln_status_t *why);

/// A status naming the driver call and CUDA's error name and string, e.g.
/// "cuMemAlloc failed: CUDA_ERROR_OUT_OF_MEMORY (out of memory)"; NULL
/// when `result` is CUDA_SUCCESS.
kiln_status_t callStatus(const Driver &api, const char *call, CUresult result,
                         const char *detail = nullptr);

} // namespace kiln::cuda

#endif // KILN_RUNTIME_GPU_CUDA_H
