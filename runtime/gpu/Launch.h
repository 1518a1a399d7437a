//===- Launch.h - State of the GPU entry running on this thread -*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Generated host code launches kernels through MLIR's `mgpu*` runtime ABI
// (Mgpu.cpp), whose functions return no status. While a GPU entry runs, the
// executor (Executor.cpp) installs a LaunchState on its thread: the device
// and stream to launch on, and the first error, which the executor turns
// into the entry's status afterwards.
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_GPU_LAUNCH_H
#define KILN_RUNTIME_GPU_LAUNCH_H

#include "gpu/Cuda.h"

#include "kiln/model.h"

#include <cstdio>
#include <string>

namespace kiln::gpu {

/// The GPUs kiln runs on: gpu:0 to gpu:15.
constexpr int kMaxDevices = 16;

struct LaunchState {
  const cuda::Driver *api = nullptr;
  int device = 0;
  cuda::CUstream stream = nullptr;
  // The PTX to load on `device`: one of the model's kiln_gpu_desc_t, for
  // the device's architecture; NULL for the one the host code embeds.
  const char *ptx = nullptr;
  kiln_status_t error = nullptr; // the first failure; later launches skip
};

/// The state of the entry running on this thread; NULL outside one.
LaunchState *currentLaunch();

/// Installs `state` for the calling thread for its lifetime.
class ScopedLaunch {
public:
  explicit ScopedLaunch(LaunchState &state);
  ~ScopedLaunch();
  ScopedLaunch(const ScopedLaunch &) = delete;
  ScopedLaunch &operator=(const ScopedLaunch &) = delete;

private:
  LaunchState *previous;
};

/// Whether KILN_GPU_PROFILE times each launch (which synchronizes around
/// it, so launches cannot be captured into a CUDA graph).
bool profiling();

/// Prints the GPUs as `./model devices` and `kiln devices` list them, one
/// line each ("gpu:0    NVIDIA H200, compute capability 9.0, ..."), or one
/// line saying why there are none.
void printDevices(FILE *stream);

/// Whether `gpu` carries PTX that a GPU of compute capability
/// `major`.`minor` runs (one for an architecture not newer than it; an
/// "a" architecture only on its own).
bool runsOn(const kiln_gpu_desc_t *gpu, int major, int minor);

/// "sm_80, sm_90": the architectures `gpu` carries PTX for.
std::string ptxArchitectures(const kiln_gpu_desc_t *gpu);

/// "tf32 matrix products on tensor cores" (or bf16) for the `gpu` entries
/// of a model compiled with --gpu-precision tf32|bf16; empty for fp32.
std::string describePrecision(const kiln_gpu_desc_t *gpu);

} // namespace kiln::gpu

#endif // KILN_RUNTIME_GPU_LAUNCH_H
