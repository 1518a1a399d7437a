//===- Memory.h - Aligned buffers for arrays and parameters -----*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Large buffers (array data, parameter copies) are 64-byte aligned so
// compiled code can use aligned vector loads. They all go through these two
// functions, the seam where a caller-injected allocator will plug in.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_BASE_MEMORY_H
#define KILN_RUNTIME_BASE_MEMORY_H

#include <cstddef>
#include <cstdint>

namespace kiln {

/// Alignment of every buffer the runtime allocates.
constexpr size_t kBufferAlignment = 64;

/// Returns `size` bytes aligned to `kBufferAlignment` (zeroed if `zero`), or
/// NULL when out of memory. `size` 0 returns NULL.
void *allocateBuffer(size_t size, bool zero);

/// Frees a buffer from `allocateBuffer`; NULL is a no-op.
void freeBuffer(void *buffer);

/// An owned, aligned byte buffer for file contents and batches: unlike
/// std::vector, a failed allocation is reported, not fatal.
class Buffer {
public:
  Buffer() = default;
  Buffer(const Buffer &) = delete;
  Buffer &operator=(const Buffer &) = delete;
  Buffer(Buffer &&other) noexcept : bytes(other.bytes), length(other.length) {
    other.bytes = nullptr;
    other.length = 0;
  }
  Buffer &operator=(Buffer &&other) noexcept {
    if (this != &other) {
      freeBuffer(bytes);
      bytes = other.bytes;
      length = other.length;
      other.bytes = nullptr;
      other.length = 0;
    }
    return *this;
  }
  ~Buffer() { freeBuffer(bytes); }

  /// Replaces the contents with `size` bytes (zeroed if `zero`); false when
  /// out of memory (the buffer is then empty).
  bool allocate(size_t size, bool zero = false) {
    freeBuffer(bytes);
    bytes = static_cast<uint8_t *>(allocateBuffer(size, zero));
    length = bytes ? size : 0;
    return bytes || size == 0;
  }
  uint8_t *data() const { return bytes; }
  float *floats() const { return reinterpret_cast<float *>(bytes); }
  size_t size() const { return length; }

private:
  uint8_t *bytes = nullptr;
  size_t length = 0;
};

} // namespace kiln

#endif // KILN_RUNTIME_BASE_MEMORY_H
