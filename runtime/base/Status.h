//===- Status.h - Building and propagating kiln_status_t --------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Internal helpers behind the C status type: `makeStatus` builds a failure
// from a printf-style message (recording file:line in debug builds) and
// `KILN_RETURN_IF_ERROR` propagates one. Allocation failures while building a
// status fall back to a static out-of-memory status, so reporting an error
// never fails.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_BASE_STATUS_H
#define KILN_RUNTIME_BASE_STATUS_H

#include "kiln/runtime.h"

namespace kiln {

/// Builds a failure with `code` and a printf-style message. `file` and `line`
/// are kept in debug builds only.
kiln_status_t makeStatusAt(const char *file, int line, kiln_status_code_t code,
                           const char *format, ...)
    __attribute__((format(printf, 4, 5)));

/// Applies KILN_NUM_THREADS, when set and no count was chosen with
/// kiln_set_num_threads, to the calling thread's later calls; an error when
/// it is not a positive count, or when KILN_GPU_HOST_ORDER (read before
/// main) is neither forward nor reverse (base/Threads.cpp).
kiln_status_t applyThreadEnvironment();

} // namespace kiln

/// Creates a failure status at the current source location.
#define KILN_STATUS(code, ...)                                                 \
  ::kiln::makeStatusAt(__FILE__, __LINE__, (code), __VA_ARGS__)

/// Returns the status of `expr` from the enclosing function if it failed.
#define KILN_RETURN_IF_ERROR(expr)                                             \
  do {                                                                         \
    kiln_status_t kilnStatus_ = (expr);                                        \
    if (kilnStatus_)                                                           \
      return kilnStatus_;                                                      \
  } while (0)

#endif // KILN_RUNTIME_BASE_STATUS_H
