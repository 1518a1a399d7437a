//===- DataBench.cpp - Data pipeline benchmarks -----------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// TFRecord + tf.train.Example decode throughput on a Fashion-MNIST-sized
// file: 10000 records, each an `image` float list of 784 values and an
// `label` int64, written once by the runtime's writer. Each iteration reads
// the file, checks every record's CRCs, decodes every Example and touches
// its features, as the training input path does. Compare its samples/s with
// BM_TrainStep_KilnMlp's (model_bench): decoding must not bottleneck
// training.
//===----------------------------------------------------------------------===//

#include "kiln/runtime.h"

#include <benchmark/benchmark.h>

#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include <unistd.h>

namespace {

constexpr int64_t kRecords = 10000, kPixels = 784;

/// Writes the benchmark file once; returns its path ("" on failure).
const std::string &fashionFile() {
  static std::string path = [] {
    std::string file = "/tmp/kiln-data-bench-" + std::to_string(getpid()) +
                       ".tfrecord";
    kiln_tfrecord_writer_t *writer = nullptr;
    if (kiln_status_t s = kiln_tfrecord_writer_open(file.c_str(), nullptr,
                                                    &writer)) {
      kiln_status_free(s);
      return std::string();
    }
    std::mt19937 rng(1);
    std::uniform_real_distribution<float> pixel(0.0f, 1.0f);
    std::vector<float> image(kPixels);
    bool ok = true;
    for (int64_t i = 0; i < kRecords && ok; ++i) {
      for (float &v : image)
        v = pixel(rng);
      int64_t label = i % 10;
      kiln_example_t *example = nullptr;
      uint8_t *bytes = nullptr;
      size_t size = 0;
      kiln_status_t s = kiln_example_create(&example);
      if (!s)
        s = kiln_example_set_float(example, "image", image.data(), kPixels);
      if (!s)
        s = kiln_example_set_int64(example, "label", &label, 1);
      if (!s)
        s = kiln_example_encode(example, /*packed=*/1, &bytes, &size);
      if (!s)
        s = kiln_tfrecord_writer_write(writer, bytes, size);
      ok = !s;
      kiln_status_free(s);
      kiln_free(bytes);
      kiln_example_release(example);
    }
    kiln_status_t s = ok ? kiln_tfrecord_writer_close(writer) : nullptr;
    ok = ok && !s;
    kiln_status_free(s);
    kiln_tfrecord_writer_release(writer);
    return ok ? file : std::string();
  }();
  return path;
}

void BM_Data_TFRecordExampleDecode(benchmark::State &state) {
  const std::string &path = fashionFile();
  if (path.empty()) {
    state.SkipWithError("cannot write the benchmark TFRecord file");
    return;
  }
  int64_t bytes = 0;
  for (auto _ : state) {
    kiln_tfrecord_reader_t *reader = nullptr;
    if (kiln_status_t s =
            kiln_tfrecord_reader_open(path.c_str(), nullptr, &reader)) {
      kiln_status_free(s);
      state.SkipWithError("cannot open the benchmark file");
      return;
    }
    bytes = 0;
    float checksum = 0;
    for (;;) {
      const uint8_t *data = nullptr;
      size_t size = 0;
      kiln_status_t s = kiln_tfrecord_reader_next(reader, &data, &size);
      if (s) {
        kiln_status_free(s);
        break;
      }
      bytes += int64_t(size) + 16;
      kiln_example_t *example = nullptr;
      if (!kiln_example_decode(data, size, &example)) {
        int64_t image = kiln_example_find_feature(example, "image");
        int64_t label = kiln_example_find_feature(example, "label");
        checksum += kiln_example_feature_floats(example, image)[0] +
                    float(kiln_example_feature_int64s(example, label)[0]);
        kiln_example_release(example);
      }
    }
    benchmark::DoNotOptimize(checksum);
    kiln_tfrecord_reader_release(reader);
  }
  state.SetItemsProcessed(state.iterations() * kRecords);
  state.SetBytesProcessed(state.iterations() * bytes);
}

} // namespace

BENCHMARK(BM_Data_TFRecordExampleDecode)->Unit(benchmark::kMillisecond);

int main(int argc, char **argv) {
#ifndef NDEBUG
  std::fprintf(stderr, "data_bench: refusing to report numbers from a Debug "
                       "build\n");
  return 1;
#endif
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv))
    return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  if (!fashionFile().empty())
    std::remove(fashionFile().c_str());
  return 0;
}
