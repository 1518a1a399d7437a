//===- Bench.cpp - ./model bench --------------------------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// `./model bench`: what TFLite's benchmark_model and TensorRT's trtexec give
// their users. It times one compiled entry in this process on synthetic
// inputs that are made once, before the clock starts (no file I/O in the
// timed region): `predict` through `kiln_model_predict` (the library's own
// call, on the model's workspace), or `train_step` as `fit` runs it
// (train/Synthetic.h). It runs `--warmup` untimed calls, then `--iterations`
// timed ones, or as many as fit in `--seconds` (default 1 s, at least 10),
// and reports the latency of single calls (min and nearest-rank
// percentiles) and the throughput, samples per second of the timed calls.
//
//===----------------------------------------------------------------------===//
#include "base/Status.h"
#include "cli/Cli.h"
#include "data/Shuffle.h"
#include "train/Synthetic.h"

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdlib>

namespace kiln::cli {

namespace {

/// How long to run: a fixed count, or until `seconds` have passed (and at
/// least `minIterations` calls).
struct BenchPlan {
  int64_t warmup = 10;
  int64_t iterations = 0; // 0: by time
  double seconds = 1.0;
  static constexpr int64_t minIterations = 10;
};

/// Runs `step` per `plan`, recording each timed call's seconds.
kiln_status_t timeCalls(const BenchPlan &plan, const StepFn &step,
                        std::vector<double> &latencies) {
  using Clock = std::chrono::steady_clock;
  for (int64_t i = 0; i < plan.warmup; ++i)
    if (kiln_status_t status = step())
      return status;
  Clock::time_point start = Clock::now();
  while (true) {
    Clock::time_point before = Clock::now();
    if (kiln_status_t status = step())
      return status;
    Clock::time_point after = Clock::now();
    latencies.push_back(std::chrono::duration<double>(after - before).count());
    int64_t done = static_cast<int64_t>(latencies.size());
    if (plan.iterations > 0
            ? done >= plan.iterations
            : done >= BenchPlan::minIterations &&
                  std::chrono::duration<double>(after - start).count() >=
                      plan.seconds)
      return nullptr;
  }
}

/// The nearest-rank percentile `p` of sorted `values`.
double percentile(const std::vector<double> &sorted, double p) {
  size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * sorted.size()));
  return sorted[rank == 0 ? 0 : rank - 1];
}

/// Buffers of `batch` synthetic samples per tensor: float32 uniform in
/// [0, 1), ids and bools 0 (valid for any table and mask).
bool allocateSynthetic(int64_t count, const kiln_tensor_desc_t *tensors,
                       int64_t batch, Random &random, ArrayList &arrays) {
  for (int64_t i = 0; i < count; ++i) {
    const kiln_tensor_desc_t &tensor = tensors[i];
    int64_t dims[KILN_MAX_RANK];
    for (int32_t d = 0; d < tensor.rank; ++d)
      dims[d] = tensor.dims[d] < 0 ? batch : tensor.dims[d];
    kiln_array_t *array = nullptr;
    if (kiln_status_t status =
            kiln_array_create(tensor.dtype, tensor.rank, dims, &array)) {
      kiln_status_free(status);
      return false;
    }
    arrays.arrays.push_back(array);
    if (tensor.dtype == KILN_DTYPE_F32) {
      auto *data = static_cast<float *>(kiln_array_data(array));
      for (int64_t k = 0; k < kiln_array_num_elements(array); ++k)
        data[k] = static_cast<float>(random.next() >> 40) * 0x1p-24f;
    }
  }
  return true;
}

} // namespace

int Cli::runBench() {
  std::string entry = "predict";
  int64_t batch = 0;
  bool json = false, byCount = false, byTime = false;
  BenchPlan plan;
  std::vector<Option> options;
  if (int code = parseOptions({{"--entry", true},
                               {"--batch-size", true},
                               {"--warmup", true},
                               {"--iterations", true},
                               {"--seconds", true},
                               {"--json", false}},
                              options);
      code >= 0)
    return code;
  for (const Option &option : options) {
    int code = -1;
    if (option.flag == "--entry") {
      entry = option.value;
      if (entry != "predict" && entry != "train_step")
        return usageError("bench: --entry must be predict or train_step, "
                          "got '" +
                          entry + "'");
    } else if (option.flag == "--batch-size") {
      code = parseInteger(option, 1, int64_t(1) << 24, "a positive integer",
                          batch);
    } else if (option.flag == "--warmup") {
      code = parseInteger(option, 0, INT64_MAX, "a non-negative integer",
                          plan.warmup);
    } else if (option.flag == "--iterations") {
      byCount = true;
      code = parseInteger(option, 1, INT64_MAX, "a positive integer",
                          plan.iterations);
    } else if (option.flag == "--seconds") {
      byTime = true;
      char *end = nullptr;
      plan.seconds = std::strtod(option.value.c_str(), &end);
      if (*end != '\0' || !(plan.seconds > 0) || plan.seconds > 86400)
        return usageError("bench: --seconds needs a positive number of "
                          "seconds, got '" +
                          option.value + "'");
    } else {
      json = true;
    }
    if (code >= 0)
      return code;
  }
  if (byCount && byTime)
    return usageError("bench: give --iterations or --seconds, not both");
  bool training = entry == "train_step";
  if (batch == 0)
    batch = training ? 32 : 1; // Keras's fit default; a single request
  if (training)
    if (int code = requireTraining(/*train=*/true); code >= 0)
      return code;

  ModelRef ref;
  if (int code = createModel(ref, nullptr); code >= 0)
    return code;
  std::vector<double> latencies;
  kiln_status_t status = nullptr;
  if (training) {
    status = withSyntheticTrainStep(ref.model, batch, [&](const StepFn &step) {
      return timeCalls(plan, step, latencies);
    });
  } else {
    Random random(0x6b696c6eull); // "kiln"
    ArrayList inputs, outputs;
    if (!allocateSynthetic(desc->num_inputs, desc->inputs, batch, random,
                           inputs) ||
        !allocateSynthetic(desc->num_outputs, desc->outputs, batch, random,
                           outputs))
      return runtimeError(KILN_STATUS(KILN_STATUS_OUT_OF_MEMORY,
                                      "out of memory allocating a batch of "
                                      "%" PRId64,
                                      batch));
    std::vector<const float *> in;
    std::vector<float *> out;
    for (kiln_array_t *array : inputs.arrays)
      in.push_back(static_cast<const float *>(kiln_array_data(array)));
    for (kiln_array_t *array : outputs.arrays)
      out.push_back(static_cast<float *>(kiln_array_data(array)));
    status = timeCalls(
        plan,
        [&] {
          return kiln_model_predict(ref.model, batch, in.data(), out.data());
        },
        latencies);
  }
  if (status)
    return runtimeError(status);
  // The team its parallel loops used (--threads, KILN_NUM_THREADS, or every
  // core; 1 when the code has none).
  int64_t threads = kiln_get_num_threads();

  double total = 0;
  for (double s : latencies)
    total += s;
  std::sort(latencies.begin(), latencies.end());
  double ms[4] = {latencies.front() * 1e3, percentile(latencies, 50) * 1e3,
                  percentile(latencies, 90) * 1e3,
                  percentile(latencies, 99) * 1e3};
  double throughput =
      total > 0 ? static_cast<double>(batch) * latencies.size() / total : 0;
  if (json) {
    std::printf("{\"entry\": \"%s\", \"batch_size\": %" PRId64
                ", \"threads\": %" PRId64 ", \"iterations\": %zu, "
                "\"latency_ms\": {\"min\": %.6g, \"p50\": %.6g, \"p90\": "
                "%.6g, \"p99\": %.6g}, \"samples_per_second\": %.6g}\n",
                entry.c_str(), batch, threads, latencies.size(), ms[0], ms[1],
                ms[2], ms[3], throughput);
  } else {
    std::printf("%s: batch %" PRId64 ", %" PRId64
                " thread(s), %zu timed calls in %.3f s (after %" PRId64
                " warmup)\n"
                "latency (ms): min %.4g  p50 %.4g  p90 %.4g  p99 %.4g\n"
                "throughput: %.6g samples/s\n",
                entry.c_str(), batch, threads, latencies.size(), total,
                plan.warmup, ms[0], ms[1], ms[2], ms[3], throughput);
  }
  return kExitOk;
}

} // namespace kiln::cli
