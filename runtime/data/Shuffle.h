//===- Shuffle.h - Per-pass sample orders -----------------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// The order in which one pass over N samples visits them, used by the input
// pipeline (Pipeline.cpp) for every source, so that in-memory and TFRecord
// data produce the same batches:
//   - without shuffling: file order;
//   - with a shuffle buffer of at least N samples (the in-memory default):
//     a Fisher-Yates permutation seeded from (seed, pass);
//   - with a smaller buffer of B samples, tf.data's `dataset.shuffle(B)`:
//     fill the buffer with the first B samples, then repeatedly emit a
//     uniformly random one and put the next sample in its place; at the end
//     of the pass emit what remains in random order.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_DATA_SHUFFLE_H
#define KILN_RUNTIME_DATA_SHUFFLE_H

#include "base/Random.h"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace kiln {

/// The number of buffer slots a pass over `n` samples uses.
inline int64_t shuffleSlots(int64_t n, bool shuffle, int64_t buffer) {
  if (!shuffle)
    return 1;
  return buffer < n ? buffer : n;
}

/// Runs one pass over `n` samples through a shuffle buffer of `buffer`
/// samples (>= 1): `fill(slot)` reads the next sample (in file order) into
/// buffer slot `slot` < shuffleSlots(n, shuffle, buffer), `emit(slot)`
/// outputs the sample in `slot`. Either returns false to stop the pass;
/// then so does this function. `upcoming(slot)` is told, before each emit
/// of a shuffled pass, which slot the next emit takes (a hint to prefetch
/// it; the random draws are the same with or without it).
template <typename Fill, typename Emit, typename Upcoming>
bool runPass(int64_t n, bool shuffle, uint64_t seed, int64_t pass,
             int64_t buffer, Fill &&fill, Emit &&emit, Upcoming &&upcoming) {
  if (!shuffle) {
    for (int64_t i = 0; i < n; ++i)
      if (!fill(0) || !emit(0))
        return false;
    return true;
  }
  if (buffer >= n) {
    std::vector<int64_t> order(static_cast<size_t>(n));
    passOrder(order.data(), n, true, seed, pass);
    for (int64_t i = 0; i < n; ++i)
      if (!fill(i))
        return false;
    for (int64_t i = 0; i < n; ++i) {
      if (i + 1 < n)
        upcoming(order[static_cast<size_t>(i + 1)]);
      if (!emit(order[static_cast<size_t>(i)]))
        return false;
    }
    return true;
  }
  Random random = passRandom(seed, pass);
  std::vector<int64_t> live(static_cast<size_t>(buffer));
  for (int64_t s = 0; s < buffer; ++s) {
    live[static_cast<size_t>(s)] = s;
    if (!fill(s))
      return false;
  }
  // Each slot is drawn one step ahead of its emit; the draws keep their
  // order. While the buffer is full, slot s holds live[s] = s.
  int64_t next = live[static_cast<size_t>(random.below(uint64_t(buffer)))];
  size_t j = 0; // the first slot of the final drain, drawn ahead too
  for (int64_t i = buffer; i < n; ++i) {
    int64_t slot = next;
    if (i + 1 < n) {
      next = live[static_cast<size_t>(random.below(uint64_t(buffer)))];
      upcoming(next);
    } else {
      j = static_cast<size_t>(random.below(uint64_t(buffer)));
      upcoming(live[j]);
    }
    if (!emit(slot) || !fill(slot))
      return false;
  }
  for (int64_t k = buffer; k > 0; --k) {
    int64_t slot = live[j];
    live[j] = live[static_cast<size_t>(k - 1)];
    if (k > 1) {
      j = static_cast<size_t>(random.below(uint64_t(k - 1)));
      upcoming(live[j]);
    }
    if (!emit(slot))
      return false;
  }
  return true;
}

/// `runPass` without hints.
template <typename Fill, typename Emit>
bool runPass(int64_t n, bool shuffle, uint64_t seed, int64_t pass,
             int64_t buffer, Fill &&fill, Emit &&emit) {
  return runPass(n, shuffle, seed, pass, buffer, fill, emit, [](int64_t) {});
}

/// Fills `order[n]` with pass `pass`'s sample order through a shuffle
/// buffer of `buffer` samples; equals `passOrder` when `buffer` >= n.
inline void bufferedPassOrder(int64_t *order, int64_t n, bool shuffle,
                              uint64_t seed, int64_t pass, int64_t buffer) {
  if (!shuffle || buffer >= n) {
    passOrder(order, n, shuffle, seed, pass);
    return;
  }
  std::vector<int64_t> slots(
      static_cast<size_t>(shuffleSlots(n, true, buffer)));
  int64_t next = 0, out = 0;
  runPass(
      n, true, seed, pass, buffer,
      [&](int64_t slot) {
        slots[static_cast<size_t>(slot)] = next++;
        return true;
      },
      [&](int64_t slot) {
        order[out++] = slots[static_cast<size_t>(slot)];
        return true;
      });
}

} // namespace kiln

#endif // KILN_RUNTIME_DATA_SHUFFLE_H
