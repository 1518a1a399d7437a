//===- DataBench.cpp - Data pipeline benchmarks -----------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// The data path on a Fashion-MNIST-sized file: 10000 records, each an
// `image` float list of 784 values and a `label` int64, written once by the
// runtime's writer; the model is model_bench's MLP (784-128-10, Adam,
// sparse categorical cross-entropy), compiled by kiln at build time.
//
//   BM_Data_TFRecordExampleDecode  the C API: read + CRC check every record,
//                                  decode it into a kiln_example_t;
//   BM_Data_Pipeline/tfrecord:1    what training reads: a pass of an
//                                  endless kiln_batches_* stream (reader
//                                  thread, sample decode, batches of 100)
//                                  over the file, in file order
//                                  (shuffle_buffer:0) or through a shuffle
//                                  buffer of 1000 or 10000 samples (the
//                                  default; here the whole file, so each
//                                  pass first reads it all) ...
//   BM_Data_Pipeline/tfrecord:0    ... and over the same samples in memory;
//   BM_Fit/tfrecord:1 and :0       one epoch of kiln_model_fit (batch 100)
//                                  from each: equal times mean the input
//                                  pipeline does not hold training back.
//
// Compare the pipeline's samples/s with BM_TrainStep_KilnMlp's (model_bench,
// batch 100): decoding must be >= 10x faster than training consumes.
//===----------------------------------------------------------------------===//

#include "BenchSupport.h"
#include "kiln/model.h"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

extern "C" const kiln_model_desc_t kiln_model_descriptor;

namespace {

constexpr int64_t kRecords = 10000, kPixels = 784, kBatch = 100;

/// The benchmark's random pixels and labels (record i: image i, i % 10).
const std::vector<float> &fashionPixels() {
  static std::vector<float> pixels = [] {
    std::mt19937 rng(1);
    std::uniform_real_distribution<float> pixel(0.0f, 1.0f);
    std::vector<float> all(static_cast<size_t>(kRecords * kPixels));
    for (float &v : all)
      v = pixel(rng);
    return all;
  }();
  return pixels;
}

/// Writes the benchmark file once; returns its path ("" on failure).
const std::string &fashionFile() {
  static std::string path = [] {
    std::string file =
        "/tmp/kiln-data-bench-" + std::to_string(getpid()) + ".tfrecord";
    kiln_tfrecord_writer_t *writer = nullptr;
    if (kiln_status_t s =
            kiln_tfrecord_writer_open(file.c_str(), nullptr, &writer)) {
      kiln_status_free(s);
      return std::string();
    }
    const float *pixels = fashionPixels().data();
    bool ok = true;
    for (int64_t i = 0; i < kRecords && ok; ++i) {
      const float *image = pixels + i * kPixels;
      int64_t label = i % 10;
      kiln_example_t *example = nullptr;
      uint8_t *bytes = nullptr;
      size_t size = 0;
      kiln_status_t s = kiln_example_create(&example);
      if (!s)
        s = kiln_example_set_float(example, "image", image, kPixels);
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

/// The benchmark data as a dataset of the MLP: streamed from the file
/// (`fromFile`) or in memory. NULL (and an error in `state`) on failure.
kiln_dataset_t *openFashion(bool fromFile, benchmark::State &state) {
  const kiln_model_desc_t *desc = &kiln_model_descriptor;
  kiln_dataset_t *dataset = nullptr;
  kiln_status_t s = nullptr;
  if (fromFile) {
    const char *features[] = {"image:float32[28,28]"};
    const char *labels[] = {"label:int64"};
    s = kiln_dataset_open_tfrecord(desc, fashionFile().c_str(), features, 1,
                                   labels, 1, &dataset);
  } else {
    int64_t xDims[] = {kRecords, 28, 28}, yDims[] = {kRecords};
    kiln_array_t *x = nullptr, *y = nullptr;
    s = kiln_array_create(KILN_DTYPE_F32, 3, xDims, &x);
    if (!s)
      s = kiln_array_create(KILN_DTYPE_F32, 1, yDims, &y);
    if (!s) {
      std::copy(fashionPixels().begin(), fashionPixels().end(),
                static_cast<float *>(kiln_array_data(x)));
      auto *labels = static_cast<float *>(kiln_array_data(y));
      for (int64_t i = 0; i < kRecords; ++i)
        labels[i] = float(i % 10);
      const kiln_array_t *inputs[] = {x}, *targets[] = {y};
      s = kiln_dataset_create(desc, inputs, targets, &dataset);
    }
    kiln_array_release(x);
    kiln_array_release(y);
  }
  if (s) {
    state.SkipWithError(kiln_status_message(s));
    kiln_status_free(s);
    return nullptr;
  }
  return dataset;
}

void BM_Data_Pipeline(benchmark::State &state) {
  kiln_dataset_t *dataset = openFashion(state.range(0) != 0, state);
  if (!dataset)
    return;
  kiln_batch_options_t options;
  kiln_batch_options_initialize(&options);
  options.batch_size = kBatch;
  options.shuffle = state.range(1) > 0;
  options.shuffle_buffer = state.range(1);
  // One endless stream, as fit reads it; an iteration is one pass.
  options.passes = 0;
  kiln_batches_t *batches = nullptr;
  kiln_status_t s = kiln_batches_open(dataset, &options, &batches);
  int64_t samples = 0;
  const int64_t passBatches = kRecords / kBatch;
  for (auto _ : state) {
    float checksum = 0;
    int64_t size = kBatch;
    for (int64_t b = 0; !s && size == kBatch && b < passBatches; ++b) {
      const float *tensors[2];
      s = kiln_batches_next(batches, &size, tensors);
      if (!s && size)
        checksum += tensors[0][0] + tensors[1][size - 1];
      samples += s ? 0 : size;
    }
    benchmark::DoNotOptimize(checksum);
    if (s || size != kBatch) {
      state.SkipWithError(s ? kiln_status_message(s) : "short batch");
      break;
    }
  }
  kiln_status_free(s);
  kiln_batches_release(batches);
  state.SetItemsProcessed(samples);
  if (state.range(0)) { // the file's bytes per sample read
    struct stat info;
    if (::stat(fashionFile().c_str(), &info) == 0)
      state.SetBytesProcessed(samples * int64_t(info.st_size) / kRecords);
  }
  kiln_dataset_release(dataset);
}

void BM_Fit(benchmark::State &state) {
  kiln_dataset_t *dataset = openFashion(state.range(0) != 0, state);
  kiln_model_t *model = nullptr;
  if (!dataset)
    return;
  if (kiln_status_t s = kiln_model_create(&kiln_model_descriptor, &model)) {
    state.SkipWithError(kiln_status_message(s));
    kiln_status_free(s);
    kiln_dataset_release(dataset);
    return;
  }
  kiln_fit_options_t options;
  kiln_fit_options_initialize(&options);
  options.batch_size = kBatch;
  options.verbose = 0;
  options.seed = 1;
  options.shuffle_buffer = 10000;
  for (auto _ : state) {
    if (kiln_status_t s = kiln_model_fit(model, dataset, &options, nullptr)) {
      state.SkipWithError(kiln_status_message(s));
      kiln_status_free(s);
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * kRecords);
  kiln_model_release(model);
  kiln_dataset_release(dataset);
}

} // namespace

BENCHMARK(BM_Data_TFRecordExampleDecode)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Data_Pipeline)
    ->ArgNames({"tfrecord", "shuffle_buffer"})
    ->ArgsProduct({{1, 0}, {0, 1000, 10000}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_Fit)
    ->ArgName("tfrecord")
    ->Arg(1)
    ->Arg(0)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

int main(int argc, char **argv) {
  int status = kiln_bench::runBenchmarks("data_bench", argc, argv);
  if (!fashionFile().empty())
    std::remove(fashionFile().c_str());
  return status;
}
