//===- Npy.h - Two-phase .npy writes for multi-file commits -----*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// `kiln_npy_write` is `writeNpyTemp` + `commitNpyTemp`. The command line uses
// the two phases directly so that a multi-output predict writes every output
// to its temporary file before renaming any of them. `parseNpy` reads a .npy
// image already in memory (datasets: .npz members, gzip-compressed files).
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_FORMATS_NPY_H
#define KILN_RUNTIME_FORMATS_NPY_H

#include "base/File.h"
#include "kiln/runtime.h"

#include <string>

namespace kiln {

/// Writes `array` completely (data synced) to `file`, created for `path`;
/// `file.commit()` then renames it over `path` (so several outputs can all be
/// written before any is renamed). On failure nothing is left behind.
kiln_status_t writeNpyFile(const char *path, const kiln_array_t *array,
                           AtomicFile &file);

/// Parses the `size` bytes of a whole .npy file held in memory (an .npz
/// member or a decompressed file), with `kiln_npy_read`'s checks; messages
/// name the file `name`.
kiln_status_t parseNpy(const char *name, const uint8_t *bytes, size_t size,
                       kiln_array_t **outArray);

/// True when `bytes` start with the .npy magic.
bool isNpy(const uint8_t *bytes, size_t size);

} // namespace kiln

#endif // KILN_RUNTIME_FORMATS_NPY_H
