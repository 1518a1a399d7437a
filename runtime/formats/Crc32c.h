//===- Crc32c.h - CRC-32C (Castagnoli) and TFRecord's masking ---*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// TFRecord files checksum every length and payload with CRC-32C, "masked" so
// that a CRC of data that itself contains CRCs stays well distributed.
// `crc32cExtend` uses the SSE4.2 `crc32` instruction when the CPU has one
// (checked once at run time) and a slicing-by-8 table otherwise; both are
// exposed so tests can check that they agree.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_FORMATS_CRC32C_H
#define KILN_RUNTIME_FORMATS_CRC32C_H

#include <cstddef>
#include <cstdint>

namespace kiln {

/// Returns the CRC-32C of the bytes whose CRC-32C is `crc` followed by
/// `data[0, size)` (start with `crc` = 0).
uint32_t crc32cExtend(uint32_t crc, const uint8_t *data, size_t size);

/// `crc32cExtend` with the portable table implementation.
uint32_t crc32cExtendPortable(uint32_t crc, const uint8_t *data, size_t size);

/// `crc32cExtend` with the SSE4.2 instruction; only call it when
/// `crc32cHasHardware()`.
uint32_t crc32cExtendHardware(uint32_t crc, const uint8_t *data, size_t size);

/// True when this CPU runs `crc32cExtendHardware`.
bool crc32cHasHardware();

/// The CRC-32C of `data[0, size)`.
inline uint32_t crc32c(const uint8_t *data, size_t size) {
  return crc32cExtend(0, data, size);
}

/// TFRecord's masked CRC: rotate right by 15 bits and add a constant.
inline uint32_t maskCrc32c(uint32_t crc) {
  return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
}

/// Inverts `maskCrc32c`.
inline uint32_t unmaskCrc32c(uint32_t masked) {
  uint32_t rotated = masked - 0xa282ead8u;
  return (rotated >> 17) | (rotated << 15);
}

} // namespace kiln

#endif // KILN_RUNTIME_FORMATS_CRC32C_H
