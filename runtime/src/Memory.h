//===- Memory.h - Aligned buffers for arrays and parameters -----*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Large buffers (array data, parameter copies) are 64-byte aligned so
// compiled code can use aligned vector loads. They all go through these two
// functions, the seam where a caller-injected allocator will plug in.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_SRC_MEMORY_H
#define KILN_RUNTIME_SRC_MEMORY_H

#include <cstddef>

namespace kiln {

/// Alignment of every buffer the runtime allocates.
constexpr size_t kBufferAlignment = 64;

/// Returns `size` bytes aligned to `kBufferAlignment` (zeroed if `zero`), or
/// NULL when out of memory. `size` 0 returns NULL.
void *allocateBuffer(size_t size, bool zero);

/// Frees a buffer from `allocateBuffer`; NULL is a no-op.
void freeBuffer(void *buffer);

} // namespace kiln

#endif // KILN_RUNTIME_SRC_MEMORY_H
