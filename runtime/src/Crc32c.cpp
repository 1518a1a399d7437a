//===- Crc32c.cpp - CRC-32C with SSE4.2 and table fallbacks -----*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// The table implementation is slicing-by-8 over tables built at compile time
// (reflected polynomial 0x82f63b78). The hardware implementation is compiled
// with `target("sse4.2")` so the library itself needs no -msse4.2 and picks
// it at run time with `__builtin_cpu_supports`.
//
//===----------------------------------------------------------------------===//
#include "Crc32c.h"

#include <cstring>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define KILN_CRC32C_HAVE_SSE42 1
#include <nmmintrin.h>
#else
#define KILN_CRC32C_HAVE_SSE42 0
#endif

namespace {

constexpr uint32_t kPolynomial = 0x82f63b78u;

struct Tables {
  uint32_t table[8][256];
};

constexpr Tables buildTables() {
  Tables tables{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t crc = i;
    for (int bit = 0; bit < 8; ++bit)
      crc = (crc >> 1) ^ ((crc & 1) ? kPolynomial : 0);
    tables.table[0][i] = crc;
  }
  for (uint32_t i = 0; i < 256; ++i)
    for (int k = 1; k < 8; ++k)
      tables.table[k][i] = (tables.table[k - 1][i] >> 8) ^
                           tables.table[0][tables.table[k - 1][i] & 0xff];
  return tables;
}

constexpr Tables kTables = buildTables();

inline uint32_t loadLE32(const uint8_t *p) {
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 |
         uint32_t(p[3]) << 24;
}

} // namespace

uint32_t kiln::crc32cExtendPortable(uint32_t crc, const uint8_t *data,
                                    size_t size) {
  const auto &t = kTables.table;
  uint32_t l = ~crc;
  while (size >= 8) {
    uint32_t lo = loadLE32(data) ^ l;
    uint32_t hi = loadLE32(data + 4);
    l = t[7][lo & 0xff] ^ t[6][(lo >> 8) & 0xff] ^ t[5][(lo >> 16) & 0xff] ^
        t[4][lo >> 24] ^ t[3][hi & 0xff] ^ t[2][(hi >> 8) & 0xff] ^
        t[1][(hi >> 16) & 0xff] ^ t[0][hi >> 24];
    data += 8;
    size -= 8;
  }
  while (size--) {
    l = t[0][(l ^ *data++) & 0xff] ^ (l >> 8);
  }
  return ~l;
}

#if KILN_CRC32C_HAVE_SSE42
__attribute__((target("sse4.2"))) uint32_t
kiln::crc32cExtendHardware(uint32_t crc, const uint8_t *data, size_t size) {
  uint64_t l = ~crc;
  while (size >= 8) {
    uint64_t word;
    std::memcpy(&word, data, 8);
    l = _mm_crc32_u64(l, word);
    data += 8;
    size -= 8;
  }
  uint32_t l32 = static_cast<uint32_t>(l);
  while (size--)
    l32 = _mm_crc32_u8(l32, *data++);
  return ~l32;
}

bool kiln::crc32cHasHardware() {
  static const bool has = __builtin_cpu_supports("sse4.2");
  return has;
}
#else
uint32_t kiln::crc32cExtendHardware(uint32_t crc, const uint8_t *data,
                                    size_t size) {
  return crc32cExtendPortable(crc, data, size);
}

bool kiln::crc32cHasHardware() { return false; }
#endif

uint32_t kiln::crc32cExtend(uint32_t crc, const uint8_t *data, size_t size) {
  if (crc32cHasHardware())
    return crc32cExtendHardware(crc, data, size);
  return crc32cExtendPortable(crc, data, size);
}
