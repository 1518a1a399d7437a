//===- CompileBench.cpp - kiln's compile time against model size ----------===//
// SPDX-License-Identifier: Apache-2.0
//
// `kiln compile --emit obj` of Keras models of N Dense layers (16 units,
// ReLU, with a loss and SGD, so the training step is compiled too), as a
// user runs it: import, autodiff, the MLIR pipelines and LLVM. The counter
// `ms_per_layer` is the figure to watch: it stays flat when compile time
// grows linearly with the model. Also: the tutorial's CNN from Keras JSON and
// from ONNX compiled to an executable (the linker included), and the ONNX
// backend node-test suite through kiln-onnx-conformance (2 jobs).
//
//   build/bin/compile_bench --benchmark_filter='DenseStack/(10|30|100|300)/'
//   build/bin/compile_bench --benchmark_filter='Cnn|Conformance'
//   build/bin/compile_bench                     # also 1000 and 3000 layers
//===----------------------------------------------------------------------===//

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <unistd.h>

namespace {

/// A Keras 3 Sequential JSON of `layers` Dense(16, relu) layers.
std::string denseStack(int layers) {
  std::string json = R"({"class_name": "Sequential", "config": {"name": "s",
    "layers": [{"class_name": "InputLayer", "config": {"batch_shape":
    [null, 16], "name": "in"}})";
  for (int i = 0; i < layers; ++i)
    json += R"(, {"class_name": "Dense", "config": {"name": "d)" +
            std::to_string(i) + R"(", "units": 16, "activation": "relu"}})";
  json += R"(]}, "keras_version": "3.5.0", "backend": "tensorflow",
    "compile_config": {"loss": "mean_squared_error", "optimizer":
    {"class_name": "SGD", "config": {"learning_rate": 0.01}}}})";
  return json;
}

void BM_Compile_DenseStack(benchmark::State &state) {
  int layers = static_cast<int>(state.range(0));
  std::string dir = "/tmp/kiln-compile-bench-" + std::to_string(::getpid());
  std::string model = dir + "-" + std::to_string(layers) + ".json";
  std::string object = dir + "-" + std::to_string(layers) + ".o";
  std::ofstream(model) << denseStack(layers);
  std::string command = std::string(KILN_BIN) + " compile " + model +
                        " --emit obj --seed 1 -o " + object;
  double total = 0;
  for (auto _ : state) {
    auto start = std::chrono::steady_clock::now();
    if (std::system(command.c_str()) != 0) {
      state.SkipWithError("kiln compile failed");
      break;
    }
    std::chrono::duration<double> seconds =
        std::chrono::steady_clock::now() - start;
    state.SetIterationTime(seconds.count());
    total += seconds.count();
  }
  state.counters["ms_per_layer"] =
      1e3 * total / static_cast<double>(state.iterations()) / layers;
  std::remove(model.c_str());
  std::remove(object.c_str());
}

/// Runs `command` once per iteration, timing it.
void timeCommand(benchmark::State &state, const std::string &command) {
  for (auto _ : state) {
    auto start = std::chrono::steady_clock::now();
    if (std::system(command.c_str()) != 0) {
      state.SkipWithError(("failed: " + command).c_str());
      break;
    }
    std::chrono::duration<double> seconds =
        std::chrono::steady_clock::now() - start;
    state.SetIterationTime(seconds.count());
  }
}

std::string scratch(const char *name) {
  return "/tmp/kiln-compile-bench-" + std::to_string(::getpid()) + "-" + name;
}

void BM_Compile_KerasCnnExecutable(benchmark::State &state) {
  std::string out = scratch("keras-cnn");
  timeCommand(state, std::string(KILN_BIN) + " compile " + KILN_EXAMPLES +
                         "/fashion_mnist_cnn.json -o " + out);
  std::remove(out.c_str());
}

void BM_Compile_OnnxCnnExecutable(benchmark::State &state) {
  std::string out = scratch("onnx-cnn");
  timeCommand(state, std::string(KILN_BIN) + " compile " + KILN_ONNX_CNN +
                         " -o " + out);
  std::remove(out.c_str());
}

void BM_OnnxConformance_Node(benchmark::State &state) {
  timeCommand(state, std::string(KILN_CONFORMANCE_BIN) +
                         " --jobs 2 --known-failures " +
                         KILN_ONNX_KNOWN_FAILURES + " " + KILN_ONNX_TESTDATA +
                         "/node > /dev/null");
}

} // namespace

BENCHMARK(BM_Compile_KerasCnnExecutable)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond)
    ->Iterations(5);
BENCHMARK(BM_Compile_OnnxCnnExecutable)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond)
    ->Iterations(5);
BENCHMARK(BM_OnnxConformance_Node)
    ->UseManualTime()
    ->Unit(benchmark::kSecond)
    ->Iterations(1);

BENCHMARK(BM_Compile_DenseStack)
    ->Arg(10)
    ->Arg(30)
    ->Arg(100)
    ->Arg(300)
    ->Arg(1000)
    ->Arg(3000)
    ->UseManualTime()
    ->Unit(benchmark::kSecond)
    ->Iterations(1);

BENCHMARK_MAIN();
