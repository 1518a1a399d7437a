//===- FmaPeak.h - The machine's FMA peak, the benchmarks' baseline -*- C++
//-*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Every FLOP/s the benchmark programs report comes with "peak_pct", its share
// of the FMA peak that the same program measures in the same run with its own
// register-only loop: one core's, or that of N cores at once for a benchmark
// on N threads. Run the programs on a quiet machine: the peak and the
// kernels are timed by the wall clock.
//===----------------------------------------------------------------------===//

#ifndef KILN_TEST_BENCHMARK_FMAPEAK_H
#define KILN_TEST_BENCHMARK_FMAPEAK_H

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <thread>
#include <vector>

namespace kiln_bench {

/// Times `iterations` rounds of 12 independent FMA chains of `LANES`-float
/// vectors, in registers (enough chains to cover the FMA latency on every core
/// kiln targets) and returns the FLOP/s. A macro, so that each instantiation is
/// compiled for its own target.
#define KILN_BENCH_FMA_PEAK(NAME, TARGET, LANES)                               \
  __attribute__((target(TARGET))) inline double NAME(int64_t iterations) {     \
    typedef float Vec __attribute__((vector_size(LANES * 4)));                 \
    Vec a, b, c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11;                \
    for (int l = 0; l < LANES; ++l) {                                          \
      a[l] = 1.0000001f;                                                       \
      b[l] = 0.9999999f;                                                       \
    }                                                                          \
    c0 = c1 = c2 = c3 = c4 = c5 = c6 = c7 = c8 = c9 = c10 = c11 = b;           \
    auto start = std::chrono::steady_clock::now();                             \
    for (int64_t i = 0; i < iterations; ++i) {                                 \
      c0 = c0 * a + b, c1 = c1 * a + b, c2 = c2 * a + b, c3 = c3 * a + b;      \
      c4 = c4 * a + b, c5 = c5 * a + b, c6 = c6 * a + b, c7 = c7 * a + b;      \
      c8 = c8 * a + b, c9 = c9 * a + b, c10 = c10 * a + b;                     \
      c11 = c11 * a + b;                                                       \
      asm volatile(""                                                          \
                   : "+x"(c0), "+x"(c1), "+x"(c2), "+x"(c3), "+x"(c4),         \
                     "+x"(c5), "+x"(c6), "+x"(c7), "+x"(c8), "+x"(c9),         \
                     "+x"(c10), "+x"(c11));                                    \
    }                                                                          \
    double seconds = std::chrono::duration<double>(                            \
                         std::chrono::steady_clock::now() - start)             \
                         .count();                                             \
    Vec sum = c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11;     \
    benchmark::DoNotOptimize(sum);                                             \
    return 2.0 * LANES * 12 * double(iterations) / seconds;                    \
  }
KILN_BENCH_FMA_PEAK(peakAvx512, "avx512f,fma", 16)
KILN_BENCH_FMA_PEAK(peakAvx2, "avx2,fma", 8)
#undef KILN_BENCH_FMA_PEAK

/// One core's FMA peak in FLOP/s (the widest vectors the CPU has): the best
/// of three timings.
inline double measureFmaPeak() {
  double best = 0;
  for (int i = 0; i < 3; ++i)
    best = std::max(best,
                    __builtin_cpu_supports("avx512f") ? peakAvx512(20'000'000)
                    : __builtin_cpu_supports("avx2")  ? peakAvx2(20'000'000)
                                                      : 0.0);
  return best;
}

/// One core's FMA peak, measured once per run.
inline double fmaPeak() {
  static double peak = measureFmaPeak();
  return peak;
}

/// The FMA peak of `threads` cores running the loop at once (the sum of
/// their rates: all-core clocks are often lower than one core's), measured
/// once per run and thread count.
inline double fmaPeak(int threads) {
  if (threads <= 1)
    return fmaPeak();
  static std::map<int, double> peaks;
  auto found = peaks.find(threads);
  if (found != peaks.end())
    return found->second;
  std::vector<double> rates(threads);
  std::vector<std::thread> team;
  for (int t = 0; t < threads; ++t)
    team.emplace_back([&rates, t] { rates[t] = measureFmaPeak(); });
  for (std::thread &thread : team)
    thread.join();
  double sum = 0;
  for (double rate : rates)
    sum += rate;
  return peaks[threads] = sum;
}

/// Runs `body` once per benchmark iteration, timing the loop itself, and
/// sets the FLOP/s counter of `flopsPerIteration` and "peak_pct", its
/// percentage of the FMA peak of `threads` cores.
template <typename Body>
void runTimed(benchmark::State &state, double flopsPerIteration, Body body,
              int threads = 1) {
  auto start = std::chrono::steady_clock::now();
  for (auto _ : state)
    body();
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  double flops = flopsPerIteration * double(state.iterations()) / seconds;
  state.counters["FLOP/s"] = flops;
  double peak = fmaPeak(threads);
  if (peak > 0)
    state.counters["peak_pct"] = 100.0 * flops / peak;
}

/// BM_FmaPeak: the baseline itself, as its own row.
inline void BM_FmaPeak(benchmark::State &state) {
  double peak = 0;
  for (auto _ : state)
    peak = fmaPeak();
  state.counters["FLOP/s"] = peak;
}

} // namespace kiln_bench

#endif // KILN_TEST_BENCHMARK_FMAPEAK_H
