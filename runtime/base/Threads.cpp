//===- Threads.cpp - The compiled code's thread count -----------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Compiled parallel loops (large matrix products) run on LLVM's OpenMP
// runtime, libomp, which a compiled model links only when its code has such
// loops (codegen/cpu/CpuTarget.cpp). The runtime reaches libomp through
// weak references: without it, every loop runs on the calling thread and
// these functions say so. The schedule is static (a fixed partition of
// independent iterations), so results do not depend on the count. Also
// the order of the host loops that run a `--target cuda-on-cpu` model's
// kernels (KILN_GPU_HOST_ORDER).
//
//===----------------------------------------------------------------------===//
#include "base/Status.h"
#include "kiln/runtime.h"

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace {
/// Set once a caller chose a count: KILN_NUM_THREADS no longer applies.
std::atomic<bool> chosen{false};

/// KILN_GPU_HOST_ORDER: 1 for "reverse", else 0 (an unknown value is
/// reported by applyThreadEnvironment).
int32_t readHostOrder() {
  const char *env = std::getenv("KILN_GPU_HOST_ORDER");
  return env && std::strcmp(env, "reverse") == 0;
}
} // namespace

/// The order the host loops of a `--target cuda-on-cpu` model run each
/// kernel's blocks and threads in, which they read at run time
/// (codegen's host-order-global): 0 first block and thread first, 1 last
/// first. The threads between two barriers must share no memory; then both
/// orders compute the same bits, and a race shows as a difference
/// (test/e2e/cuda_on_cpu.test). Set before main from KILN_GPU_HOST_ORDER.
extern "C" {
int32_t kiln_gpu_host_order = readHostOrder();
}

extern "C" {
void omp_set_num_threads(int) __attribute__((weak));
int omp_get_max_threads(void) __attribute__((weak));
int omp_get_num_procs(void) __attribute__((weak));
}

void kiln_set_num_threads(int32_t count) {
  if (count > 0)
    chosen = true;
  if (!omp_set_num_threads)
    return;
  if (count <= 0) {
    const char *env = std::getenv("KILN_NUM_THREADS");
    long parsed = env ? std::strtol(env, nullptr, 10) : 0;
    count = parsed > 0 && parsed < 1 << 16 ? static_cast<int32_t>(parsed)
                                           : omp_get_num_procs();
  }
  omp_set_num_threads(count);
}

int32_t kiln_get_num_threads(void) {
  return omp_get_max_threads ? omp_get_max_threads() : 1;
}

kiln_status_t kiln::applyThreadEnvironment() {
  if (const char *order = std::getenv("KILN_GPU_HOST_ORDER");
      order && std::strcmp(order, "forward") != 0 &&
      std::strcmp(order, "reverse") != 0)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "KILN_GPU_HOST_ORDER='%s' is not forward or reverse",
                       order);
  const char *env = std::getenv("KILN_NUM_THREADS");
  if (!env || chosen)
    return nullptr;
  char *end = nullptr;
  errno = 0;
  long parsed = std::strtol(env, &end, 10);
  if (errno != 0 || end == env || *end != '\0' || parsed < 1 ||
      parsed >= 1 << 16)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "KILN_NUM_THREADS='%s' is not a positive thread count",
                       env);
  kiln_set_num_threads(static_cast<int32_t>(parsed));
  return nullptr;
}
