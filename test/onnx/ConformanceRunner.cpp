//===- ConformanceRunner.cpp - ONNX backend test-suite driver ---*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// kiln-onnx-conformance walks folders of ONNX backend tests (Debian's
// libonnx-testdata: data/node/*, simple/, pytorch-converted/,
// pytorch-operator/; each test a `model.onnx` plus `test_data_set_*/` of
// `input_<i>.pb` / `output_<i>.pb` TensorProtos), and for every test whose
// ops kiln imports: imports it (the data set's inputs given as known
// values, so that shape operands fold), compiles it in memory (ModelJit:
// the pipelines and ABI of `kiln compile`, linked by the ORC JIT), runs
// `predict` through the runtime (`--target cuda-on-cpu`: the GPU mapping
// run by host loops), and compares every output with ONNX's
// tolerances (|got - want| <= atol + rtol * |want|, rtol 1e-3, atol 1e-7).
//
// Each test runs in a forked child, so that a crash or a hang (a per-test
// time limit) is one failure and not the end of the run, and `--jobs`
// children run at once. It prints passed / failed / unsupported counts per
// op and in total, and every failure with its reason. A test listed in
// `--known-failures` (one name per line, `#` comments) may fail; the exit
// status is 1 when any other test fails, or when a listed test no longer
// fails (the list only shrinks).
//===----------------------------------------------------------------------===//

#include "codegen/cpu/CpuTarget.h"
#include "codegen/cpu/ModelJit.h"
#include "dialects/kiln/IR/KilnDialect.h"
#include "frontend/onnx/OnnxImporter.h"
#include "passes/Passes.h"
#include "passes/autodiff/GradientBuilder.h"
#include "tools/kiln/HostArrays.h"

#include "kiln/runtime.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cmath>
#include <map>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::onnx_import;
namespace cl = llvm::cl;

/// The runner's own options: --help lists these, not LLVM's.
static cl::OptionCategory runnerOptions("kiln-onnx-conformance options");
static cl::list<std::string> suiteDirs(cl::Positional, cl::OneOrMore,
                                       cl::desc("DIR..."),
                                       cl::cat(runnerOptions));
static cl::opt<std::string>
    knownFailuresPath("known-failures",
                      cl::desc("Tests that may fail (one name per line)"),
                      cl::value_desc("FILE"), cl::cat(runnerOptions));
static cl::opt<unsigned> jobs("jobs", cl::desc("Tests run at once"),
                              cl::init(2), cl::cat(runnerOptions));
static cl::opt<std::string> filter("filter",
                                   cl::desc("Only tests whose name has TEXT"),
                                   cl::value_desc("TEXT"),
                                   cl::cat(runnerOptions));
static cl::opt<unsigned> timeLimit("timeout",
                                   cl::desc("Seconds per test (default 60)"),
                                   cl::init(60), cl::cat(runnerOptions));
static cl::opt<bool> perOp("per-op", cl::desc("Print the counts per op"),
                           cl::cat(runnerOptions));
enum class CodeTarget { Cpu, CudaOnCpu };
static cl::opt<CodeTarget> codeTarget(
    "target", cl::desc("The code the tests run"),
    cl::values(clEnumValN(CodeTarget::Cpu, "cpu", "the CPU's (default)"),
               clEnumValN(CodeTarget::CudaOnCpu, "cuda-on-cpu",
                          "the GPU's kernels run by host loops over their "
                          "blocks and threads (DESIGN.md contract 4)")),
    cl::init(CodeTarget::Cpu), cl::cat(runnerOptions));
static cl::opt<bool> noFork(
    "no-fork",
    cl::desc("Run the tests in this process, one after another (debugging: "
             "a crash ends the run)"),
    cl::cat(runnerOptions));

namespace {

enum class Kind { Pass, Fail, Unsupported };

struct Test {
  std::string suite, name, dir;
  OnnxModelInfo info;
  Kind kind = Kind::Fail;
  std::string reason;
};

} // namespace

/// The data sets of a test, sorted.
static std::vector<std::string> dataSets(const std::string &dir) {
  std::vector<std::string> sets;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(dir, ec), end; it != end && !ec;
       it.increment(ec))
    if (llvm::sys::path::filename(it->path()).starts_with("test_data_set_"))
      sets.push_back(it->path());
  llvm::sort(sets);
  return sets;
}

/// `dir/<prefix>_<i>.pb` for i = 0, 1, ... while they exist.
static FailureOr<std::vector<HostTensor>>
readTensors(MLIRContext &ctx, const std::string &dir, StringRef prefix) {
  std::vector<HostTensor> tensors;
  for (int i = 0;; ++i) {
    std::string path =
        dir + "/" + prefix.str() + "_" + std::to_string(i) + ".pb";
    if (!llvm::sys::fs::exists(path))
      return tensors;
    FailureOr<HostTensor> t = readTensorFile(&ctx, path);
    if (failed(t))
      return failure();
    tensors.push_back(std::move(*t));
  }
}

/// Runs one data set of a test; "" when every output matches.
static std::string runDataSet(MLIRContext &ctx, const CpuTarget &target,
                              const Test &test, const std::string &set,
                              std::string &diagnostics) {
  FailureOr<std::vector<HostTensor>> inputs = readTensors(ctx, set, "input");
  FailureOr<std::vector<HostTensor>> expected = readTensors(ctx, set, "output");
  if (failed(inputs) || failed(expected))
    return "cannot read the test data: " + diagnostics;
  if (inputs->size() != test.info.inputs.size())
    return "the data set has " + std::to_string(inputs->size()) +
           " inputs, the model " + std::to_string(test.info.inputs.size());
  ImportOptions options;
  for (auto [name, tensor] : llvm::zip(test.info.inputs, *inputs))
    options.inputValues[name] = tensor;
  FailureOr<ImportedModel> model =
      importOnnxModel(&ctx, test.dir + "/model.onnx", options);
  if (failed(model))
    return "import: " + diagnostics;
  llvm::Expected<std::unique_ptr<ModelJit>> jit =
      ModelJit::compile(*model, target, codeTarget == CodeTarget::CudaOnCpu);
  if (!jit)
    return "compile: " + llvm::toString(jit.takeError()) + " " + diagnostics;
  const kiln_model_desc_t *desc = (*jit)->descriptor();
  // Inputs in the descriptor's order, found by name; the batch is the
  // first dimension of one that has a dynamic batch.
  std::vector<const HostTensor *> ordered;
  int64_t batch = 1;
  for (int64_t i = 0; i < desc->num_inputs; ++i) {
    const kiln_tensor_desc_t &d = desc->inputs[i];
    auto it = llvm::find(test.info.inputs, d.name);
    const HostTensor &t = (*inputs)[it - test.info.inputs.begin()];
    if (d.rank > 0 && d.dims[0] == -1 && !t.shape.empty())
      batch = t.shape[0];
    ordered.push_back(&t);
  }
  if (desc->num_outputs != int64_t(expected->size()))
    return "the model has " + std::to_string(desc->num_outputs) +
           " outputs, the data set " + std::to_string(expected->size());
  std::vector<HostTensor> outputs;
  std::string problem = predictOnce(desc, ordered, batch, outputs);
  if (!problem.empty())
    return "predict: " + problem;
  for (auto [i, got] : llvm::enumerate(outputs)) {
    const HostTensor &want = (*expected)[i];
    if (got.shape != want.shape)
      return "output " + std::to_string(i) + " has shape " +
             formatKerasShape(got.shape) + ", expected " +
             formatKerasShape(want.shape);
    if (got.type != want.type)
      return "output " + std::to_string(i) + " is " + typeName(got.type).str() +
             ", expected " + typeName(want.type).str();
  }
  constexpr double kRtol = 1e-3, kAtol = 1e-7;
  for (auto [i, out] : llvm::enumerate(outputs)) {
    const HostTensor &want = (*expected)[i];
    const std::vector<double> &got = out.values;
    int64_t bad = 0, first = -1;
    for (auto [k, g] : llvm::enumerate(got)) {
      double w = want.values[k];
      bool ok = isIntegral(want.type)
                    ? g == w
                    : (std::isnan(w) && std::isnan(g)) ||
                          (std::isinf(w) && g == w) ||
                          std::abs(g - w) <= kAtol + kRtol * std::abs(w);
      if (!ok && bad++ == 0)
        first = k;
    }
    if (bad) {
      std::string message;
      llvm::raw_string_ostream os(message);
      os << "output " << i << ": " << bad << " of " << got.size()
         << " elements differ; first at " << first << ": got " << got[first]
         << ", expected " << want.values[first];
      return message;
    }
  }
  return "";
}

/// Runs a test in this (child) process: "P", or "F reason".
static std::string runTest(MLIRContext &ctx, const CpuTarget &target,
                           const Test &test) {
  std::string diagnostics;
  ScopedDiagnosticHandler handler(&ctx, [&](Diagnostic &diag) {
    if (diag.getSeverity() == DiagnosticSeverity::Error) {
      std::string text = diag.str();
      // The file is the test's model: name the problem only.
      diagnostics += diagnostics.empty() ? text : "; " + text;
    }
    return success();
  });
  std::vector<std::string> sets = dataSets(test.dir);
  if (sets.empty())
    return "F no test_data_set_* folder";
  for (const std::string &set : sets) {
    diagnostics.clear();
    std::string problem = runDataSet(ctx, target, test, set, diagnostics);
    if (!problem.empty())
      return "F " + llvm::sys::path::filename(set).str() + ": " + problem;
  }
  return "P";
}

static std::set<std::string> readKnownFailures() {
  std::set<std::string> names;
  if (knownFailuresPath.empty())
    return names;
  auto buffer = llvm::MemoryBuffer::getFile(knownFailuresPath);
  if (!buffer) {
    llvm::errs() << knownFailuresPath << ": cannot read\n";
    std::exit(2);
  }
  SmallVector<StringRef> lines;
  (*buffer)->getBuffer().split(lines, '\n');
  for (StringRef line : lines) {
    line = line.split('#').first.trim();
    if (!line.empty())
      names.insert(line.str());
  }
  return names;
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(runnerOptions);
  cl::ParseCommandLineOptions(
      argc, argv,
      "kiln-onnx-conformance - run ONNX backend tests through kiln\n");
  DialectRegistry registry;
  registerKilnDialects(registry);
  MLIRContext ctx(registry);
  ctx.loadAllAvailableDialects();
  ctx.disableMultithreading();
  llvm::Expected<std::unique_ptr<CpuTarget>> target = createCpuTarget("");
  if (!target) {
    llvm::errs() << llvm::toString(target.takeError()) << "\n";
    return 2;
  }

  // Collect the tests and sort out the unsupported ones here.
  std::vector<Test> tests;
  for (const std::string &suiteDir : suiteDirs) {
    std::string suite = llvm::sys::path::filename(suiteDir).str();
    std::vector<std::string> dirs;
    std::error_code ec;
    for (llvm::sys::fs::directory_iterator it(suiteDir, ec), end;
         it != end && !ec; it.increment(ec))
      if (llvm::sys::fs::exists(it->path() + "/model.onnx"))
        dirs.push_back(it->path());
    if (ec || dirs.empty()) {
      llvm::errs() << suiteDir << ": no ONNX tests found\n";
      return 2;
    }
    llvm::sort(dirs);
    for (const std::string &dir : dirs) {
      Test test;
      test.suite = suite;
      test.name = llvm::sys::path::filename(dir).str();
      test.dir = dir;
      if (!filter.empty() && !StringRef(test.name).contains(filter))
        continue;
      std::string error;
      ScopedDiagnosticHandler handler(&ctx, [&](Diagnostic &diag) {
        error = diag.str();
        return success();
      });
      FailureOr<OnnxModelInfo> info =
          inspectOnnxModel(&ctx, dir + "/model.onnx");
      if (failed(info)) {
        test.kind = Kind::Unsupported;
        test.reason = error;
      } else {
        test.info = std::move(*info);
        if (!test.info.unsupported.empty()) {
          test.kind = Kind::Unsupported;
          llvm::raw_string_ostream os(test.reason);
          llvm::interleaveComma(test.info.unsupported, os);
        }
      }
      tests.push_back(std::move(test));
    }
  }

  // Run the supported ones, `jobs` children at a time.
  auto start = std::chrono::steady_clock::now();
  struct Running {
    size_t index;
    int fd;
    std::string output;
  };
  std::map<pid_t, Running> running;
  auto launch = [&](size_t index) {
    int fds[2];
    if (pipe(fds) != 0) {
      perror("pipe");
      std::exit(2);
    }
    llvm::outs().flush();
    llvm::errs().flush();
    pid_t pid = fork();
    if (pid == 0) {
      close(fds[0]);
      alarm(timeLimit);
      std::string result = runTest(ctx, **target, tests[index]);
      (void)!write(fds[1], result.data(), result.size());
      close(fds[1]);
      _exit(0);
    }
    close(fds[1]);
    running[pid] = Running{index, fds[0], ""};
  };
  auto collect = [&]() {
    int status = 0;
    pid_t pid = wait(&status);
    if (pid <= 0)
      return;
    Running run = running[pid];
    running.erase(pid);
    char buffer[4096];
    ssize_t n;
    while ((n = read(run.fd, buffer, sizeof buffer)) > 0)
      run.output.append(buffer, n);
    close(run.fd);
    Test &test = tests[run.index];
    if (WIFSIGNALED(status)) {
      test.kind = Kind::Fail;
      test.reason =
          WTERMSIG(status) == SIGALRM
              ? "timed out after " + std::to_string(timeLimit) + " s"
              : std::string("crashed: ") + strsignal(WTERMSIG(status));
    } else if (run.output == "P") {
      test.kind = Kind::Pass;
    } else {
      test.kind = Kind::Fail;
      test.reason = run.output.size() > 2
                        ? run.output.substr(2)
                        : "no result (exit status " +
                              std::to_string(WEXITSTATUS(status)) + ")";
    }
  };
  // Children write less than a pipe buffer (4 KiB is less than 64 KiB), so
  // reading after wait() cannot deadlock.
  for (size_t i = 0; i < tests.size(); ++i) {
    if (tests[i].kind == Kind::Unsupported)
      continue;
    if (noFork) {
      std::string result = runTest(ctx, **target, tests[i]);
      tests[i].kind = result == "P" ? Kind::Pass : Kind::Fail;
      tests[i].reason = result.size() > 2 ? result.substr(2) : "";
      continue;
    }
    while (running.size() >= std::max(1u, unsigned(jobs)))
      collect();
    launch(i);
  }
  while (!running.empty())
    collect();
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();

  // Report.
  std::set<std::string> known = readKnownFailures();
  struct Counts {
    int passed = 0, failed = 0, unsupported = 0;
  };
  std::map<std::string, Counts> bySuite, byOp;
  std::map<std::string, int> missingOps;
  int unexpected = 0, fixed = 0;
  std::vector<const Test *> failures;
  for (const Test &test : tests) {
    Counts &suite = bySuite[test.suite];
    auto bump = [&](Counts &c) {
      (test.kind == Kind::Pass   ? c.passed
       : test.kind == Kind::Fail ? c.failed
                                 : c.unsupported)++;
    };
    bump(suite);
    for (const std::string &op : test.info.ops)
      bump(byOp[op]);
    if (test.kind == Kind::Unsupported)
      for (const std::string &op : test.info.unsupported)
        ++missingOps[op];
    if (test.kind == Kind::Fail) {
      failures.push_back(&test);
      unexpected += !known.count(test.name);
    } else if (known.count(test.name)) {
      ++fixed;
    }
  }
  llvm::outs() << "ONNX conformance (" << llvm::format("%.1f", seconds)
               << " s, " << jobs << " jobs)\n";
  Counts total;
  for (auto &[suite, c] : bySuite) {
    llvm::outs() << llvm::format("  %-20s %4d passed %4d failed %4d "
                                 "unsupported\n",
                                 suite.c_str(), c.passed, c.failed,
                                 c.unsupported);
    total.passed += c.passed;
    total.failed += c.failed;
    total.unsupported += c.unsupported;
  }
  llvm::outs() << llvm::format("  %-20s %4d passed %4d failed %4d "
                               "unsupported\n",
                               "total", total.passed, total.failed,
                               total.unsupported);
  if (perOp) {
    llvm::outs() << "per op (tests using it):\n";
    for (auto &[op, c] : byOp)
      llvm::outs() << llvm::format("  %-28s %4d passed %4d failed %4d "
                                   "unsupported\n",
                                   op.c_str(), c.passed, c.failed,
                                   c.unsupported);
    llvm::outs() << "ops missing (tests they keep out):\n";
    for (auto &[op, n] : missingOps)
      llvm::outs() << "  " << op << " (" << n << ")\n";
  }
  if (!failures.empty()) {
    llvm::outs() << "failures:\n";
    for (const Test *test : failures)
      llvm::outs() << "  " << (known.count(test->name) ? "(known) " : "")
                   << test->suite << "/" << test->name << ": " << test->reason
                   << "\n";
  }
  for (const Test &test : tests)
    if (test.kind != Kind::Fail && known.count(test.name))
      llvm::outs() << "no longer failing, remove it from the known failures: "
                   << test.name << "\n";
  if (unexpected || fixed) {
    llvm::outs() << unexpected << " unexpected failures, " << fixed
                 << " known failures that no longer fail\n";
    return 1;
  }
  return 0;
}
