//===- Random.h - Seeded random numbers and sample orders -------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// The generator behind every shuffle: the input pipeline's passes
// (data/Shuffle.h) and a compiled library's fit over caller buffers
// (model/Library.cpp) draw the same orders from the same (seed, pass), so
// both train on the same batches.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_BASE_RANDOM_H
#define KILN_RUNTIME_BASE_RANDOM_H

#include <cstdint>

namespace kiln {

/// splitmix64: a small, well-mixed generator, seeded per pass.
class Random {
public:
  explicit Random(uint64_t seed) : state(seed) {}
  uint64_t next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  /// Uniform in [0, bound) without modulo bias (Lemire's method).
  uint64_t below(uint64_t bound) {
    while (true) {
      unsigned __int128 product = (unsigned __int128)next() * bound;
      uint64_t low = static_cast<uint64_t>(product);
      if (low >= bound || low >= (0 - bound) % bound)
        return static_cast<uint64_t>(product >> 64);
    }
  }

private:
  uint64_t state;
};

/// The generator of pass `pass` under `seed`.
inline Random passRandom(uint64_t seed, int64_t pass) {
  return Random(seed ^ (0xd1b54a32d192ed03ull * (uint64_t(pass) + 1)));
}

/// Fills `order[n]` with pass `pass`'s full-shuffle sample order (the
/// identity without `shuffle`).
inline void passOrder(int64_t *order, int64_t n, bool shuffle, uint64_t seed,
                      int64_t pass) {
  for (int64_t i = 0; i < n; ++i)
    order[i] = i;
  if (!shuffle)
    return;
  Random random = passRandom(seed, pass);
  for (int64_t i = n - 1; i > 0; --i) {
    auto j = static_cast<int64_t>(random.below(uint64_t(i) + 1));
    int64_t swap = order[i];
    order[i] = order[j];
    order[j] = swap;
  }
}

/// A seed for runs without one: the clock and the process id, mixed.
int64_t randomSeed();

} // namespace kiln

#endif // KILN_RUNTIME_BASE_RANDOM_H
