//===- Crc32.h - CRC-32 (IEEE, zlib's crc32) --------------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// The CRC-32 of gzip, PNG and zlib's `crc32()` (reflected polynomial
// 0xEDB88320), which weights files carry. Kept in base so that a model's
// session and its weights files link without zlib; the TFRecord CRC-32C
// (Castagnoli) lives in formats/Crc32c.h.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_BASE_CRC32_H
#define KILN_RUNTIME_BASE_CRC32_H

#include <cstddef>
#include <cstdint>

namespace kiln {

/// Extends `crc` (0 to start) over `size` bytes at `data`, exactly as zlib's
/// `crc32(crc, data, size)` does.
uint32_t crc32Extend(uint32_t crc, const void *data, size_t size);

} // namespace kiln

#endif // KILN_RUNTIME_BASE_CRC32_H
