//===- GemmBench.cpp - kiln's generated GEMMs against the FMA peak -*- C++
//-*-===//
// SPDX-License-Identifier: Apache-2.0
//
// The matrix products kiln generates for Dense and convolution layers
// (codegen/cpu/VectorizeMatmul.cpp), each compiled in this process from a
// one-op kiln function through the same pipelines and options as `kiln
// compile` for the host (CpuJit), timed on 1 and 2 threads, and reported as
// "peak_pct": the share of the FMA peak of as many cores, measured by this
// program in the same run (BM_FmaPeak, FmaPeak.h).
//
// The shapes: square products 64..2048 (M the batch, as in a Dense layer),
// and the three products of each layer's training step in the Fashion-MNIST
// MLP and CNN at batch 100: forward X @ W, the weight gradient X^T @ G (K the
// batch; X read transposed in place) and the input gradient G @ W^T (M the
// batch). A convolution's products are its im2col matrices: M = batch x
// positions.
//
// Before timing, each kernel's product is checked against float64 sums on
// sampled elements; a wrong kernel reports an error, not a number.
//
//   build/bin/gemm_bench --benchmark_filter='square_(1024|2048)'
//===----------------------------------------------------------------------===//

#include "FmaPeak.h"

#include "codegen/Passes.h"
#include "codegen/cpu/CpuJit.h"
#include "codegen/cpu/CpuTarget.h"
#include "passes/Passes.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

extern "C" void omp_set_num_threads(int);

namespace {

using namespace mlir;
using namespace mlir::kiln;
using namespace kiln_bench;

/// How the product reads its operands; the dynamic dimension (the batch,
/// `?`) is where a model has it.
enum class Form {
  Plain,         ///< C[?xN] = A[?xK] @ B[KxN]: a forward product
  TransposedLhs, ///< C[MxN] = A[?xM]^T @ B[?xN]: a weight gradient
  TransposedRhs, ///< C[?xN] = A[?xK] @ B[NxK]^T: an input gradient
};

struct Shape {
  std::string name;
  int64_t m, k, n;
  Form form;

  int64_t batch() const { return form == Form::TransposedLhs ? k : m; }
  /// Rows x columns of A and B as stored.
  std::pair<int64_t, int64_t> aDims() const {
    return form == Form::TransposedLhs ? std::pair{k, m} : std::pair{m, k};
  }
  std::pair<int64_t, int64_t> bDims() const {
    return form == Form::TransposedRhs ? std::pair{n, k} : std::pair{k, n};
  }

  /// The one-product kiln function.
  std::string source() const {
    auto t = [](int64_t rows, int64_t cols) {
      auto dim = [](int64_t d) {
        return d < 0 ? std::string("?") : std::to_string(d);
      };
      return "tensor<" + dim(rows) + "x" + dim(cols) + "xf32>";
    };
    // As stored: A's rows are the batch, and so are B's in a weight
    // gradient; then as the product reads them.
    auto [aRows, aCols] = aDims();
    auto [bRows, bCols] = bDims();
    std::string aType = t(-1, aCols),
                bType = t(form == Form::TransposedLhs ? -1 : bRows, bCols);
    std::string lhs = "%a", rhs = "%b", lhsType = aType, rhsType = bType;
    std::string transpose;
    if (form == Form::TransposedLhs) {
      lhs = "%t";
      lhsType = t(m, -1);
      transpose =
          "%t = kiln.transpose %a {permutation = array<i64: 1, 0>} : " + aType +
          " -> " + lhsType;
    } else if (form == Form::TransposedRhs) {
      rhs = "%t";
      rhsType = t(k, n);
      transpose =
          "%t = kiln.transpose %b {permutation = array<i64: 1, 0>} : " + bType +
          " -> " + rhsType;
    }
    std::string cType = t(form == Form::TransposedLhs ? m : -1, n);
    return "func.func @gemm(%a: " + aType + ", %b: " + bType + ") -> " + cType +
           " {\n  " + transpose + "\n  %c = kiln.matmul " + lhs + ", " + rhs +
           " : " + lhsType + ", " + rhsType + " -> " + cType +
           "\n  return %c : " + cType + "\n}\n";
  }
};

/// A compiled product with its operands.
struct Kernel {
  std::unique_ptr<MLIRContext> context;
  std::unique_ptr<CpuJit> jit;
  std::vector<float> a, b, c;
  std::string error;
};

/// Compiles `shape` as `kiln compile` would for the host, fills its
/// operands and checks sampled elements of its product.
std::unique_ptr<Kernel> compile(const Shape &shape) {
  auto kernel = std::make_unique<Kernel>();
  DialectRegistry registry;
  registerKilnDialects(registry);
  kernel->context = std::make_unique<MLIRContext>(registry);
  MLIRContext &ctx = *kernel->context;
  ctx.loadAllAvailableDialects();
  std::string diagnostics;
  llvm::raw_string_ostream os(diagnostics);
  ScopedDiagnosticHandler handler(&ctx, [&](Diagnostic &d) {
    os << d << "\n";
    return success();
  });
  OwningOpRef<ModuleOp> module =
      parseSourceString<ModuleOp>(shape.source(), &ctx);
  llvm::Expected<std::unique_ptr<CpuTarget>> target = createCpuTarget("");
  if (!module || !target) {
    if (!target)
      diagnostics += llvm::toString(target.takeError());
    kernel->error = "cannot build the kernel: " + diagnostics;
    return kernel;
  }
  PassManager pm(&ctx);
  buildImportCleanupPipeline(pm);
  buildLinalgPipeline(pm);
  CpuLoweringOptions options;
  setLoweringOptions(**target, options);
  buildCpuLoweringPipeline(pm, options);
  if (failed(pm.run(*module))) {
    kernel->error = "lowering failed: " + diagnostics;
    return kernel;
  }
  auto [aRows, aCols] = shape.aDims();
  auto [bRows, bCols] = shape.bDims();
  int64_t cRows = shape.form == Form::TransposedLhs ? shape.m : -1;
  CpuJit::Entry entry{"gemm",
                      "gemm_entry",
                      {{-1, aCols},
                       {shape.form == Form::TransposedLhs ? -1 : bRows, bCols},
                       {cRows, shape.n}}};
  llvm::Expected<std::unique_ptr<CpuJit>> jit = CpuJit::create(*module, entry);
  if (!jit) {
    kernel->error = "JIT failed: " + llvm::toString(jit.takeError());
    return kernel;
  }
  kernel->jit = std::move(*jit);

  std::mt19937 rng(7);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  kernel->a.resize(aRows * aCols);
  kernel->b.resize(bRows * bCols);
  kernel->c.assign(shape.m * shape.n, 0.0f);
  for (float &v : kernel->a)
    v = dist(rng);
  for (float &v : kernel->b)
    v = dist(rng);
  void *buffers[] = {kernel->a.data(), kernel->b.data(), kernel->c.data()};
  omp_set_num_threads(1);
  if (kernel->jit->run("gemm_entry", shape.batch(), buffers) != 0) {
    kernel->error = "the kernel returned an error";
    return kernel;
  }
  // Sampled elements against float64 sums, within float32 rounding of the
  // sum of |a||b|.
  auto aAt = [&](int64_t i, int64_t p) {
    return double(shape.form == Form::TransposedLhs
                      ? kernel->a[p * shape.m + i]
                      : kernel->a[i * shape.k + p]);
  };
  auto bAt = [&](int64_t p, int64_t j) {
    return double(shape.form == Form::TransposedRhs
                      ? kernel->b[j * shape.k + p]
                      : kernel->b[p * shape.n + j]);
  };
  std::uniform_int_distribution<int64_t> row(0, shape.m - 1),
      col(0, shape.n - 1);
  for (int s = 0; s < 64; ++s) {
    int64_t i = s == 0 ? shape.m - 1 : row(rng),
            j = s == 0 ? shape.n - 1 : col(rng);
    double sum = 0, magnitude = 0;
    for (int64_t p = 0; p < shape.k; ++p) {
      sum += aAt(i, p) * bAt(p, j);
      magnitude += std::fabs(aAt(i, p) * bAt(p, j));
    }
    double got = kernel->c[i * shape.n + j];
    if (std::fabs(got - sum) > 1e-5 * magnitude + 1e-6) {
      kernel->error = "wrong product at (" + std::to_string(i) + ", " +
                      std::to_string(j) + "): " + std::to_string(got) +
                      ", float64 gives " + std::to_string(sum);
      return kernel;
    }
  }
  return kernel;
}

/// The compiled kernels by shape. main() releases them: their JITs must go
/// before LLVM's own globals do.
std::map<std::string, std::unique_ptr<Kernel>> &kernels() {
  static std::map<std::string, std::unique_ptr<Kernel>> compiled;
  return compiled;
}

/// One kernel per shape, compiled on first use.
Kernel &kernelFor(const Shape &shape) {
  std::unique_ptr<Kernel> &kernel = kernels()[shape.name];
  if (!kernel)
    kernel = compile(shape);
  return *kernel;
}

void runGemm(benchmark::State &state, const Shape &shape, int threads) {
  Kernel &kernel = kernelFor(shape);
  if (!kernel.error.empty()) {
    state.SkipWithError(kernel.error.c_str());
    return;
  }
  omp_set_num_threads(threads);
  void *buffers[] = {kernel.a.data(), kernel.b.data(), kernel.c.data()};
  int64_t batch = shape.batch();
  runTimed(
      state, 2.0 * double(shape.m) * double(shape.k) * double(shape.n),
      [&] {
        kernel.jit->run("gemm_entry", batch, buffers);
        benchmark::ClobberMemory();
      },
      threads);
  state.counters["threads"] = threads;
}

std::vector<Shape> shapes() {
  std::vector<Shape> list;
  for (int64_t s : {64, 128, 256, 512, 1024, 2048})
    list.push_back({"square_" + std::to_string(s), s, s, s, Form::Plain});
  // A Dense layer In -> Out at batch B: forward, weight and input gradients.
  auto layer = [&](const std::string &name, int64_t rows, int64_t in,
                   int64_t out) {
    list.push_back({name + "_forward", rows, in, out, Form::Plain});
    list.push_back({name + "_weight_grad", in, rows, out, Form::TransposedLhs});
    list.push_back({name + "_input_grad", rows, out, in, Form::TransposedRhs});
  };
  constexpr int64_t batch = 100;
  layer("mlp_dense", batch, 784, 128);
  layer("mlp_dense_1", batch, 128, 10);
  // The CNN (examples/fashion_mnist_cnn.json): 3x3 'same' convolutions as
  // im2col products over every position of the batch.
  layer("cnn_conv2d", batch * 28 * 28, 9, 16);
  layer("cnn_conv2d_1", batch * 14 * 14, 9 * 16, 32);
  layer("cnn_dense", batch, 7 * 7 * 32, 64);
  return list;
}

} // namespace

int main(int argc, char **argv) {
#ifndef NDEBUG
  std::fprintf(stderr, "gemm_bench: refusing to report numbers from a Debug "
                       "build\n");
  return 1;
#endif
  benchmark::RegisterBenchmark("BM_FmaPeak", kiln_bench::BM_FmaPeak)
      ->Iterations(1);
  static const std::vector<Shape> all = shapes();
  for (const Shape &shape : all)
    for (int threads : {1, 2})
      benchmark::RegisterBenchmark(
          ("BM_Gemm/" + shape.name + "/threads:" + std::to_string(threads))
              .c_str(),
          [&shape, threads](benchmark::State &state) {
            runGemm(state, shape, threads);
          })
          ->Unit(benchmark::kMicrosecond)
          ->UseRealTime();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv))
    return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  kernels().clear();
  return 0;
}
