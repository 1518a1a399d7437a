//===- Crc32c.cpp - CRC-32C with SSE4.2 and table fallbacks -----*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// The table implementation is slicing-by-8 over tables built at compile time
// (reflected polynomial 0x82f63b78). The hardware implementation is compiled
// with `target("sse4.2")` so the library itself needs no -msse4.2 and picks
// it at run time with `__builtin_cpu_supports`. The `crc32` instruction has a
// latency of three cycles and a throughput of one, so the hardware path runs
// three independent streams over consecutive blocks and joins them with the
// "shift by N zero bytes" operator of the CRC (Mark Adler's method): about
// three times the speed of one stream on a TFRecord-sized record.
//
//===----------------------------------------------------------------------===//
#include "formats/Crc32c.h"

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

/// `mat` (a 32x32 GF(2) matrix, one column per row word) times `vec`.
constexpr uint32_t gf2Times(const uint32_t *mat, uint32_t vec) {
  uint32_t sum = 0;
  for (; vec; vec >>= 1, ++mat)
    if (vec & 1)
      sum ^= *mat;
  return sum;
}

/// `out` = `mat` squared.
constexpr void gf2Square(uint32_t *out, const uint32_t *mat) {
  for (int n = 0; n < 32; ++n)
    out[n] = gf2Times(mat, mat[n]);
}

/// Tables applying the operator that appends `len` (a power of two) zero
/// bytes to a raw CRC register, one table per register byte.
struct ZerosTables {
  uint32_t table[4][256];
};

constexpr ZerosTables buildZeros(size_t len) {
  uint32_t even[32] = {}, odd[32] = {};
  // The operator of one zero bit, then of 2, 4, ... bits by squaring.
  odd[0] = kPolynomial;
  for (int n = 1; n < 32; ++n)
    odd[n] = 1u << (n - 1);
  gf2Square(even, odd); // two bits
  gf2Square(odd, even); // four bits
  bool inEven = true;
  for (;;) {
    gf2Square(even, odd); // one byte, then four, 16, ...
    len >>= 1;
    if (!len) {
      inEven = true;
      break;
    }
    gf2Square(odd, even); // two bytes, then eight, 32, ...
    len >>= 1;
    if (!len) {
      inEven = false;
      break;
    }
  }
  const uint32_t *op = inEven ? even : odd;
  ZerosTables zeros{};
  for (uint32_t n = 0; n < 256; ++n)
    for (int k = 0; k < 4; ++k)
      zeros.table[k][n] = gf2Times(op, n << (8 * k));
  return zeros;
}

/// The block length of each of the three hardware streams.
constexpr size_t kStreamBlock = 256;
constexpr ZerosTables kZeros256 = buildZeros(kStreamBlock);

/// The raw register `crc` followed by kStreamBlock zero bytes.
inline uint32_t shiftBlock(uint32_t crc) {
  const auto &z = kZeros256.table;
  return z[0][crc & 0xff] ^ z[1][(crc >> 8) & 0xff] ^ z[2][(crc >> 16) & 0xff] ^
         z[3][crc >> 24];
}

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
  // Three streams over three consecutive blocks, joined by shifting.
  while (size >= 3 * kStreamBlock) {
    uint64_t l1 = 0, l2 = 0;
    for (size_t i = 0; i < kStreamBlock; i += 8) {
      uint64_t w0, w1, w2;
      std::memcpy(&w0, data + i, 8);
      std::memcpy(&w1, data + kStreamBlock + i, 8);
      std::memcpy(&w2, data + 2 * kStreamBlock + i, 8);
      l = _mm_crc32_u64(l, w0);
      l1 = _mm_crc32_u64(l1, w1);
      l2 = _mm_crc32_u64(l2, w2);
    }
    uint32_t joined =
        shiftBlock(static_cast<uint32_t>(l)) ^ static_cast<uint32_t>(l1);
    l = shiftBlock(joined) ^ static_cast<uint32_t>(l2);
    data += 3 * kStreamBlock;
    size -= 3 * kStreamBlock;
  }
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
