//===- RnnBench.cpp - The row-by-row Fashion-MNIST RNN, compiled -*- C++
//-*-===//
// SPDX-License-Identifier: Apache-2.0
//
// examples/fashion_mnist_rnn.json compiled by kiln: the 28 rows of an image
// as 28 time steps through SimpleRNN(64, return_sequences) ->
// SimpleRNN(32) -> Dense(10). Predict latency at batch 1, throughput at
// batch 128 and train steps (Adam, BPTT) at batch 100, each as FLOP/s and
// as "peak_pct" of one core's FMA peak measured in the same run
// (BM_FmaPeak).
//
//   build/bin/rnn_bench --benchmark_repetitions=3
//===----------------------------------------------------------------------===//

#include "BenchSupport.h"

namespace {

using namespace kiln_bench;

constexpr int64_t kSteps = 28, kFeatures = 28, kUnits1 = 64, kUnits2 = 32,
                  kClasses = 10;
// Per sample: each step's input and recurrent products, 2 FLOPs each.
constexpr double kInput1 = 2.0 * kSteps * kFeatures * kUnits1,
                 kRecurrent1 = 2.0 * kSteps * kUnits1 * kUnits1,
                 kLayer2 =
                     2.0 * kSteps * (kUnits1 * kUnits2 + kUnits2 * kUnits2),
                 kDense = 2.0 * kUnits2 * kClasses;
constexpr double kForwardFlops = kInput1 + kRecurrent1 + kLayer2 + kDense;
// Forward and weight gradients of every product, input gradients of all but
// the model input's projection.
constexpr double kTrainFlops =
    2 * kInput1 + 3 * (kRecurrent1 + kLayer2 + kDense);

void BM_Predict_KilnRnn(benchmark::State &state) {
  runPredict(state, kSteps * kFeatures, kClasses, kForwardFlops);
}

void BM_TrainStep_KilnRnn(benchmark::State &state) {
  runTrainStep(state, kSteps * kFeatures, kClasses, kClasses, kTrainFlops);
}

} // namespace

BENCHMARK(kiln_bench::BM_FmaPeak)->Iterations(1);
BENCHMARK(BM_Predict_KilnRnn)
    ->Arg(1)
    ->Arg(128)
    ->ArgNames({"batch"})
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_TrainStep_KilnRnn)
    ->Arg(100)
    ->ArgNames({"batch"})
    ->Unit(benchmark::kMicrosecond);

int main(int argc, char **argv) {
  return kiln_bench::runBenchmarks("rnn_bench", argc, argv);
}
