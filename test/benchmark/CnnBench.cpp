//===- CnnBench.cpp - The Fashion-MNIST CNN, compiled -----------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// examples/fashion_mnist_cnn.json compiled by kiln: Conv2D(16, 3x3, same)
// -> MaxPool 2 -> Conv2D(32, 3x3, same) -> MaxPool 2 -> Flatten ->
// Dense(64) -> Dense(10). Predict latency at batch 1, throughput at batch
// 128 and train steps (Adam) at batch 100, each as FLOP/s and as "peak", the
// fraction of one core's FMA peak that this program measures in the same run
// (BM_FmaPeak). FLOPs count the convolutions' and Dense layers'
// multiply-adds (2 per tap); a train step adds the weight gradients and the
// input gradients (but the first layer's).
//
//   build/bin/cnn_bench --benchmark_repetitions=3
//===----------------------------------------------------------------------===//

#include "BenchSupport.h"

namespace {

using namespace kiln_bench;

constexpr int64_t kInput = 28 * 28 * 1, kClasses = 10;
// Per layer: 2 * positions * filters * taps * channels for a convolution,
// 2 * in * out for a Dense.
constexpr double kConv1 = 2.0 * 28 * 28 * 16 * 9 * 1,
                 kConv2 = 2.0 * 14 * 14 * 32 * 9 * 16,
                 kDense1 = 2.0 * 7 * 7 * 32 * 64, kDense2 = 2.0 * 64 * 10;
constexpr double kForwardFlops = kConv1 + kConv2 + kDense1 + kDense2;
// Forward and weight gradient of every layer, input gradient of all but the
// first.
constexpr double kTrainFlops = 2 * kConv1 + 3 * (kConv2 + kDense1 + kDense2);

void BM_Predict_KilnCnn(benchmark::State &state) {
  runPredict(state, kInput, kClasses, kForwardFlops);
}

void BM_TrainStep_KilnCnn(benchmark::State &state) {
  runTrainStep(state, kInput, kClasses, kClasses, kTrainFlops);
}

} // namespace

BENCHMARK(kiln_bench::BM_FmaPeak)->Iterations(1);
BENCHMARK(BM_Predict_KilnCnn)
    ->Arg(1)
    ->Arg(128)
    ->ArgNames({"batch"})
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_TrainStep_KilnCnn)
    ->Arg(100)
    ->ArgNames({"batch"})
    ->Unit(benchmark::kMicrosecond);

int main(int argc, char **argv) {
  return kiln_bench::runBenchmarks("cnn_bench", argc, argv);
}
