//===- Library.h - The handle of a compiled library -------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// What other archives (gpu/: kiln_lib_set_device) need of kiln_lib_t.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_MODEL_LIBRARY_H
#define KILN_RUNTIME_MODEL_LIBRARY_H

#include "kiln/runtime.h"

namespace kiln {

/// Records a failed `status`'s message as the handle's last error and
/// consumes it; returns its code (KILN_STATUS_OK for NULL).
int32_t libraryResult(kiln_lib_t *lib, kiln_status_t status);

} // namespace kiln

#endif // KILN_RUNTIME_MODEL_LIBRARY_H
