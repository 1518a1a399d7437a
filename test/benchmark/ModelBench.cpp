//===- ModelBench.cpp - Compiled-model inference benchmarks -----*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Predict latency (batch 1) and throughput (batch 128) of the Fashion-MNIST
// MLP (784 -> 128 relu -> 10 softmax) compiled by kiln, against a baseline in
// the same run: the same forward pass as plain C++ loops (i-k-j order so the
// host compiler at -O3 vectorizes the inner loop). Report kiln's figures as
// ratios to the baseline. BM_TrainStep_KilnMlp measures the compiled training
// step (Adam, sparse categorical crossentropy) at batch 100; its FLOP/s next
// to the predict FLOP/s says how close training runs to the matmul speed.
// Every FLOP/s comes with "peak", its fraction of one core's FMA peak
// (BM_FmaPeak, measured by this program in the same run).
//===----------------------------------------------------------------------===//

#include "BenchSupport.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace {

using namespace kiln_bench;

constexpr int64_t kIn = 784, kHidden = 128, kOut = 10;
constexpr double kForwardFlops = 2.0 * (kIn * kHidden + kHidden * kOut);
// Forward, weight gradients, and the second layer's input gradient.
constexpr double kTrainFlops = 2.0 * (2 * kIn * kHidden + 3 * kHidden * kOut);

void BM_Predict_KilnMlp(benchmark::State &state) {
  runPredict(state, kIn, kOut, kForwardFlops);
}

/// One compiled training step (forward, loss, gradients, Adam update) at
/// `batch`, through the model's train_step entry.
void BM_TrainStep_KilnMlp(benchmark::State &state) {
  runTrainStep(state, kIn, kOut, kOut, kTrainFlops);
}

/// The baseline: the same MLP as straightforward C++ (row-major weights).
struct ReferenceMlp {
  std::vector<float> w1 = randomInput(kIn * kHidden), b1 = randomInput(kHidden),
                     w2 = randomInput(kHidden * kOut), b2 = randomInput(kOut);
  std::vector<float> hidden;

  void run(int64_t batch, const float *x, float *y) {
    hidden.assign(batch * kHidden, 0.0f);
    for (int64_t i = 0; i < batch; ++i) {
      float *h = &hidden[i * kHidden];
      for (int64_t k = 0; k < kIn; ++k) {
        float a = x[i * kIn + k];
        const float *w = &w1[k * kHidden];
        for (int64_t j = 0; j < kHidden; ++j)
          h[j] += a * w[j];
      }
      for (int64_t j = 0; j < kHidden; ++j)
        h[j] = std::max(h[j] + b1[j], 0.0f);
      float *o = &y[i * kOut];
      for (int64_t j = 0; j < kOut; ++j)
        o[j] = b2[j];
      for (int64_t k = 0; k < kHidden; ++k)
        for (int64_t j = 0; j < kOut; ++j)
          o[j] += h[k] * w2[k * kOut + j];
      float max = *std::max_element(o, o + kOut), sum = 0.0f;
      for (int64_t j = 0; j < kOut; ++j)
        sum += (o[j] = std::exp(o[j] - max));
      for (int64_t j = 0; j < kOut; ++j)
        o[j] /= sum;
    }
  }
};

void BM_Predict_ReferenceMlp(benchmark::State &state) {
  int64_t batch = state.range(0);
  ReferenceMlp mlp;
  std::vector<float> x = randomInput(batch * kIn), y(batch * kOut);
  runTimed(state, kForwardFlops * batch, [&] {
    mlp.run(batch, x.data(), y.data());
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  });
  state.SetItemsProcessed(state.iterations() * batch);
}

} // namespace

BENCHMARK(kiln_bench::BM_FmaPeak)->Iterations(1);
BENCHMARK(BM_Predict_KilnMlp)
    ->Arg(1)
    ->Arg(128)
    ->ArgNames({"batch"})
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_TrainStep_KilnMlp)
    ->Arg(100)
    ->ArgNames({"batch"})
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Predict_ReferenceMlp)
    ->Arg(1)
    ->Arg(128)
    ->ArgNames({"batch"})
    ->Unit(benchmark::kMicrosecond);

int main(int argc, char **argv) {
  return kiln_bench::runBenchmarks("model_bench", argc, argv);
}
