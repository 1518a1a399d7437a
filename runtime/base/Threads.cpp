//===- Threads.cpp - The compiled code's thread count -----------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Compiled parallel loops (large matrix products) run on LLVM's OpenMP
// runtime, libomp, which a compiled model links only when its code has such
// loops (codegen/cpu/CpuTarget.cpp). The runtime reaches libomp through
// weak references: without it, every loop runs on the calling thread and
// these functions say so. The schedule is static (a fixed partition of
// independent iterations), so results do not depend on the count.
//
//===----------------------------------------------------------------------===//
#include "base/Status.h"
#include "kiln/runtime.h"

#include <atomic>
#include <cerrno>
#include <cstdlib>

namespace {
/// Set once a caller chose a count: KILN_NUM_THREADS no longer applies.
std::atomic<bool> chosen{false};
} // namespace

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
