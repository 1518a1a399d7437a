//===- LstmBench.cpp - The row-by-row Fashion-MNIST LSTM --------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// examples/fashion_mnist_lstm.json compiled by kiln: the 28 rows of an image
// as 28 time steps through LSTM(128) -> Dense(10). Predict latency at batch
// 1, throughput at batch 128 and train steps (Adam, BPTT) at batch 100, each
// as FLOP/s and as "peak_pct" of one core's FMA peak measured in the same
// run (BM_FmaPeak).
//
//   build/bin/lstm_bench --benchmark_repetitions=3
//===----------------------------------------------------------------------===//

#include "BenchSupport.h"

namespace {

using namespace kiln_bench;

constexpr int64_t kSteps = 28, kFeatures = 28, kUnits = 128, kClasses = 10;
// Per sample: each step's input and recurrent products for the 4 gates.
constexpr double kInput = 2.0 * kSteps * kFeatures * 4 * kUnits,
                 kRecurrent = 2.0 * kSteps * kUnits * 4 * kUnits,
                 kDense = 2.0 * kUnits * kClasses;
constexpr double kForwardFlops = kInput + kRecurrent + kDense;
// Forward and weight gradients of every product, input gradients of all but
// the model input's projection.
constexpr double kTrainFlops = 2 * kInput + 3 * (kRecurrent + kDense);

void BM_Predict_KilnLstm(benchmark::State &state) {
  runPredict(state, kSteps * kFeatures, kClasses, kForwardFlops);
}

void BM_TrainStep_KilnLstm(benchmark::State &state) {
  runTrainStep(state, kSteps * kFeatures, kClasses, kClasses, kTrainFlops);
}

} // namespace

BENCHMARK(kiln_bench::BM_FmaPeak)->Iterations(1);
BENCHMARK(BM_Predict_KilnLstm)
    ->Arg(1)
    ->Arg(128)
    ->ArgNames({"batch"})
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_TrainStep_KilnLstm)
    ->Arg(100)
    ->ArgNames({"batch"})
    ->Unit(benchmark::kMicrosecond);

int main(int argc, char **argv) {
  return kiln_bench::runBenchmarks("lstm_bench", argc, argv);
}
