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
//===----------------------------------------------------------------------===//

#include "kiln/runtime.h"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

namespace {

constexpr int64_t kIn = 784, kHidden = 128, kOut = 10;

/// A model session shared by the kiln benchmarks.
kiln_model_t *sharedModel() {
  static kiln_model_t *model = [] {
    kiln_model_t *m = nullptr;
    if (kiln_status_t s = kiln_model_create(&kiln_model_descriptor, &m)) {
      kiln_status_free(s);
      return static_cast<kiln_model_t *>(nullptr);
    }
    return m;
  }();
  return model;
}

std::vector<float> randomInput(int64_t count) {
  std::mt19937 rng(42);
  std::uniform_real_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> x(count);
  for (float &v : x)
    v = dist(rng);
  return x;
}

void BM_Predict_KilnMlp(benchmark::State &state) {
  kiln_model_t *model = sharedModel();
  if (!model) {
    state.SkipWithError("kiln_model_create failed");
    return;
  }
  int64_t batch = state.range(0);
  std::vector<float> x = randomInput(batch * kIn), y(batch * kOut);
  const float *inputs[] = {x.data()};
  float *outputs[] = {y.data()};
  for (auto _ : state) {
    kiln_status_t s = kiln_model_predict(model, batch, inputs, outputs);
    benchmark::DoNotOptimize(s);
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * batch);
  double flops = 2.0 * batch * (kIn * kHidden + kHidden * kOut);
  state.counters["FLOP/s"] =
      benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate);
}

/// One compiled training step (forward, loss, gradients, Adam update) at
/// `batch`, through the model's train_step entry with the buffer order of
/// kiln/model.h. Writing the updates to scratch buffers keeps every
/// iteration's work identical.
void BM_TrainStep_KilnMlp(benchmark::State &state) {
  kiln_model_t *model = sharedModel();
  const kiln_train_desc_t *train = kiln_model_descriptor.training;
  if (!model || !train) {
    state.SkipWithError("the benchmark model has no training step");
    return;
  }
  int64_t batch = state.range(0);
  const kiln_model_desc_t &desc = kiln_model_descriptor;
  std::vector<float> x = randomInput(batch * kIn), labels(batch),
                     predictions(batch * kOut);
  for (int64_t i = 0; i < batch; ++i)
    labels[i] = float(i % kOut);
  float learningRate = 0.001f, iteration = 1.0f, loss = 0.0f;
  std::vector<std::vector<float>> scratch;
  auto elements = [](const kiln_tensor_desc_t &t) {
    int64_t n = 1;
    for (int32_t d = 0; d < t.rank; ++d)
      n *= t.dims[d];
    return n;
  };
  std::vector<void *> buffers;
  for (int64_t i = 0; i < desc.num_params; ++i)
    buffers.push_back(kiln_model_param_data(model, i));
  for (int64_t i = 0; i < train->num_slots; ++i)
    buffers.push_back(kiln_model_slot_data(model, i));
  buffers.push_back(x.data());
  buffers.push_back(labels.data());
  int64_t rng[2] = {0, 0};
  buffers.push_back(&learningRate);
  buffers.push_back(&iteration);
  buffers.push_back(rng);
  buffers.push_back(&loss);
  buffers.push_back(predictions.data());
  for (int64_t i = 0; i < desc.num_params; ++i)
    if (!(desc.params[i].flags & KILN_TENSOR_NON_TRAINABLE))
      scratch.emplace_back(elements(desc.params[i]));
  for (int64_t i = 0; i < train->num_slots; ++i)
    scratch.emplace_back(elements(train->slots[i]));
  for (std::vector<float> &buffer : scratch)
    buffers.push_back(buffer.data());
  // The step's scratch memory, allocated once as the runtime does.
  std::vector<uint64_t> workspace(
      size_t(kiln_workspace_bytes(train->train_workspace, batch)) / 8 + 8);
  auto base = reinterpret_cast<uintptr_t>(workspace.data());
  void *aligned = reinterpret_cast<void *>((base + 63) & ~uintptr_t(63));
  for (auto _ : state) {
    train->train_step(batch, buffers.data(), aligned);
    benchmark::DoNotOptimize(loss);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * batch);
  // Forward + backward: three matmul-sized products per layer.
  double flops = 3 * 2.0 * batch * (kIn * kHidden + kHidden * kOut);
  state.counters["FLOP/s"] =
      benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["steps/s"] =
      benchmark::Counter(1, benchmark::Counter::kIsIterationInvariantRate);
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
  for (auto _ : state) {
    mlp.run(batch, x.data(), y.data());
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * batch);
  double flops = 2.0 * batch * (kIn * kHidden + kHidden * kOut);
  state.counters["FLOP/s"] =
      benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate);
}

} // namespace

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
#ifndef NDEBUG
  fprintf(stderr, "model_bench: refusing to report numbers from a Debug "
                  "build\n");
  return 1;
#endif
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv))
    return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
