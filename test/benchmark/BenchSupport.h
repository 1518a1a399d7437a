//===- BenchSupport.h - Shared pieces of the model benchmarks ---*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// What the compiled-model benchmarks share: a model session, random inputs,
// the buffers of one compiled training step (kiln/model.h's order), and the
// machine's own single-core FMA peak, measured in the same run, that each
// benchmark's FLOP/s is reported against (the "peak_pct" counter). Run the
// programs on a quiet machine: the peak and the models are timed by the
// wall clock.
//===----------------------------------------------------------------------===//

#ifndef KILN_TEST_BENCHMARK_BENCHSUPPORT_H
#define KILN_TEST_BENCHMARK_BENCHSUPPORT_H

#include "FmaPeak.h"
#include "kiln/runtime.h"

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

namespace kiln_bench {

/// A model session of the linked model, shared by a program's benchmarks.
inline kiln_model_t *sharedModel() {
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

inline std::vector<float> randomInput(int64_t count) {
  std::mt19937 rng(42);
  std::uniform_real_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> x(count);
  for (float &v : x)
    v = dist(rng);
  return x;
}

/// The buffers of the linked model's compiled training step at `batch`
/// (parameters, slots, inputs, labels, hyper-parameters, outputs, metric
/// values and the scratch the updates go to), in kiln/model.h's order. Writing
/// the updates to scratch keeps every iteration's work identical.
class TrainStep {
public:
  TrainStep(kiln_model_t *model, int64_t batch, int64_t inputElements,
            int64_t outputElements, int64_t classes)
      : batch(batch), x(randomInput(batch * inputElements)), labels(batch),
        predictions(batch * outputElements) {
    const kiln_model_desc_t &desc = kiln_model_descriptor;
    train = desc.training;
    for (int64_t i = 0; i < batch; ++i)
      labels[i] = float(i % classes);
    auto elements = [](const kiln_tensor_desc_t &t) {
      int64_t n = 1;
      for (int32_t d = 0; d < t.rank; ++d)
        n *= t.dims[d];
      return n;
    };
    for (int64_t i = 0; i < desc.num_params; ++i)
      buffers.push_back(kiln_model_param_data(model, i));
    for (int64_t i = 0; i < train->num_slots; ++i)
      buffers.push_back(kiln_model_slot_data(model, i));
    buffers.push_back(x.data());
    buffers.push_back(labels.data());
    buffers.push_back(&learningRate);
    buffers.push_back(&iteration);
    buffers.push_back(rng);
    buffers.push_back(&loss);
    buffers.push_back(predictions.data());
    metricValues.resize(size_t(train->num_metrics));
    for (float &value : metricValues)
      buffers.push_back(&value);
    for (int64_t i = 0; i < desc.num_params; ++i)
      if (!(desc.params[i].flags & KILN_TENSOR_NON_TRAINABLE))
        scratch.emplace_back(elements(desc.params[i]));
    for (int64_t i = 0; i < train->num_slots; ++i)
      scratch.emplace_back(elements(train->slots[i]));
    for (std::vector<float> &buffer : scratch)
      buffers.push_back(buffer.data());
    // The step's scratch memory, allocated once as the runtime does.
    workspace.resize(
        size_t(kiln_workspace_bytes(train->train_workspace, batch)) / 8 + 8);
    auto base = reinterpret_cast<uintptr_t>(workspace.data());
    aligned = reinterpret_cast<void *>((base + 63) & ~uintptr_t(63));
  }

  void run() {
    train->train_step(batch, buffers.data(), aligned);
    benchmark::DoNotOptimize(loss);
    benchmark::ClobberMemory();
  }

private:
  const kiln_train_desc_t *train;
  int64_t batch;
  std::vector<float> x, labels, predictions, metricValues;
  float learningRate = 0.001f, iteration = 1.0f, loss = 0.0f;
  int64_t rng[2] = {0, 0};
  std::vector<std::vector<float>> scratch;
  std::vector<void *> buffers;
  std::vector<uint64_t> workspace;
  void *aligned = nullptr;
};

/// Predict through the session at `batch`, as an application calls it.
inline void runPredict(benchmark::State &state, int64_t inputElements,
                       int64_t outputElements, double flopsPerSample) {
  kiln_model_t *model = sharedModel();
  if (!model) {
    state.SkipWithError("kiln_model_create failed");
    return;
  }
  int64_t batch = state.range(0);
  std::vector<float> x = randomInput(batch * inputElements),
                     y(batch * outputElements);
  const float *inputs[] = {x.data()};
  float *outputs[] = {y.data()};
  runTimed(state, flopsPerSample * batch, [&] {
    kiln_status_t s = kiln_model_predict(model, batch, inputs, outputs);
    benchmark::DoNotOptimize(s);
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  });
  state.SetItemsProcessed(state.iterations() * batch);
}

/// One compiled training step at batch `state.range(0)`. `flopsPerSample`
/// counts each contraction's forward product, its weight gradient and,
/// except for the first layer (the model input needs no gradient), its
/// input gradient.
inline void runTrainStep(benchmark::State &state, int64_t inputElements,
                         int64_t outputElements, int64_t classes,
                         double flopsPerSample) {
  kiln_model_t *model = sharedModel();
  if (!model || !kiln_model_descriptor.training) {
    state.SkipWithError("the benchmark model has no training step");
    return;
  }
  int64_t batch = state.range(0);
  TrainStep step(model, batch, inputElements, outputElements, classes);
  runTimed(state, flopsPerSample * batch, [&] { step.run(); });
  state.SetItemsProcessed(state.iterations() * batch);
  state.counters["steps/s"] =
      benchmark::Counter(1, benchmark::Counter::kIsIterationInvariantRate);
}

/// The benchmark programs' main: refuses a Debug build (its numbers would
/// mislead), then runs the registered benchmarks. Returns nonzero to exit.
inline int runBenchmarks(const char *program, int argc, char **argv) {
#ifndef NDEBUG
  std::fprintf(stderr, "%s: refusing to report numbers from a Debug build\n",
               program);
  return 1;
#endif
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv))
    return 1;
  // Figures are shares of one core's peak: the compiled code keeps to one
  // thread unless KILN_NUM_THREADS asks for more (./model bench --threads
  // measures the scaling).
  if (!std::getenv("KILN_NUM_THREADS"))
    kiln_set_num_threads(1);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

} // namespace kiln_bench

#endif // KILN_TEST_BENCHMARK_BENCHSUPPORT_H
