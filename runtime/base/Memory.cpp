//===- Memory.cpp - Aligned buffer allocation -------------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// The default allocator: `posix_memalign` + `free`.
//
//===----------------------------------------------------------------------===//
#include "base/Memory.h"

#include <cstdlib>
#include <cstring>

void *kiln::allocateBuffer(size_t size, bool zero) {
  if (size == 0)
    return nullptr;
  void *buffer = nullptr;
  if (posix_memalign(&buffer, kBufferAlignment, size) != 0)
    return nullptr;
  if (zero)
    std::memset(buffer, 0, size);
  return buffer;
}

void kiln::freeBuffer(void *buffer) { std::free(buffer); }
