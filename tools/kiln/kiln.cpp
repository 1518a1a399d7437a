//===- kiln.cpp - The kiln compiler driver ----------------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// `kiln compile MODEL` turns a Keras/tfjs model file into a native executable
// (or an object, assembly, LLVM IR or MLIR at any stage); `kiln summary MODEL`
// prints the Keras-style layer table. The driver only sequences the stages:
// frontend -> passes/Pipelines.cpp -> codegen. Errors are one line naming the
// file, exit code 1, and no output file is left behind.
//===----------------------------------------------------------------------===//

#include "codegen/Passes.h"
#include "codegen/abi/HostDescriptor.h"
#include "codegen/abi/Library.h"
#include "codegen/abi/ModelAbi.h"
#include "codegen/abi/OutputFile.h"
#include "codegen/cpu/CpuTarget.h"
#include "codegen/cuda/CudaTarget.h"
#include "codegen/cuda/TensorCore.h"
#include "dialects/kiln/IR/KilnDialect.h"
#include "frontend/Import.h"
#include "frontend/keras/TrainingConfig.h"
#include "frontend/keras/WeightsExport.h"
#include "frontend/onnx/OnnxImporter.h"
#include "gpu/Launch.h"
#include "passes/Passes.h"
#include "passes/autodiff/GradientBuilder.h"
#include "passes/training/Training.h"
#include "passes/training/TrainingSetup.h"
#include "tools/kiln/DataCommands.h"
#include "tools/kiln/GradCheck.h"
#include "tools/kiln/RunCommand.h"
#include "llvm/ADT/ScopeExit.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Parser/Parser.h"

#include "kiln/runtime.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/Timing.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Signals.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <csignal>
#include <thread>

using namespace mlir;
using namespace mlir::kiln;
namespace cl = llvm::cl;

//===----------------------------------------------------------------------===//
// Command line
//===----------------------------------------------------------------------===//

static cl::SubCommand compileCmd("compile",
                                 "Compile a model file to native code");
static cl::SubCommand gradcheckCmd(
    "gradcheck",
    "Compare kiln's gradients of a model (or an MLIR function returning a "
    "scalar) with float64 finite differences");
static cl::SubCommand
    exportCmd("export-weights",
              "Write weights trained by a compiled model back to a Keras 3 "
              ".weights.h5 file, or into a copy of an ONNX model");
static cl::SubCommand
    importCmd("import-weights",
              "Write a model's weights (a .keras/.h5 model's own, or --weights "
              "FILE.weights.h5) as a kiln weights file (-o OUT.kw) that a "
              "compiled model loads: ./model predict --weights, a served "
              "version folder");
static cl::SubCommand dataCmd(
    "data",
    "Data tools: `inspect FILE` lists a TFRecord file of "
    "tf.train.Example records, `convert SPEC -o OUT.tfrecord` writes one");
static cl::SubCommand
    runCmd("run", "Compile a model in memory and run it once on input files "
                  "(.npy or ONNX .pb), writing or summarizing its outputs");
static cl::SubCommand
    devicesCmd("devices",
               "List the CPU and the GPUs that models compiled with --target "
               "cuda can run on (the CUDA driver is loaded with dlopen)");
static cl::SubCommand
    summaryCmd("summary",
               "Print a model's layer table the way Keras's summary() does");

static cl::OptionCategory kilnCategory("kiln options");

static cl::opt<std::string> modelPath(cl::Positional, cl::desc("MODEL"),
                                      cl::sub(compileCmd), cl::sub(summaryCmd),
                                      cl::sub(gradcheckCmd), cl::sub(exportCmd),
                                      cl::sub(importCmd), cl::sub(runCmd),
                                      cl::cat(kilnCategory));
static cl::opt<std::string> weightsPath(
    "weights",
    cl::desc("Keras weights file (.h5 or .weights.h5) for a JSON model, or "
             "overriding the model file's own weights"),
    cl::value_desc("FILE"), cl::sub(compileCmd), cl::sub(summaryCmd),
    cl::sub(gradcheckCmd), cl::sub(exportCmd), cl::sub(importCmd),
    cl::sub(runCmd), cl::cat(kilnCategory));
static cl::opt<uint64_t>
    seed("seed",
         cl::desc("Seed of the initializers of a JSON model given without "
                  "weights (a .keras or .h5 model carries its own; an error "
                  "where no parameter is initialized)"),
         cl::init(0), cl::value_desc("N"), cl::sub(compileCmd),
         cl::sub(summaryCmd), cl::sub(gradcheckCmd), cl::sub(importCmd),
         cl::sub(runCmd), cl::cat(kilnCategory));
static cl::opt<std::string>
    outputPath("o",
               cl::desc("Output file (default: the model's name for exe, "
                        "<name>.o / <name>.s, stdout for llvm and mlir)"),
               cl::value_desc("OUT"), cl::sub(compileCmd), cl::sub(exportCmd),
               cl::sub(importCmd), cl::sub(dataCmd), cl::cat(kilnCategory));
static cl::opt<std::string>
    trainedPath("from",
                cl::desc("The weights file a compiled model wrote "
                         "(--save-weights / --checkpoint)"),
                cl::value_desc("FILE"), cl::Required, cl::sub(exportCmd),
                cl::cat(kilnCategory));

enum class Emit { Exe, Lib, Shared, Obj, Asm, Llvm, Mlir, Ptx };
static cl::opt<Emit>
    emit("emit", cl::desc("What to produce"), cl::init(Emit::Exe),
         cl::values(clEnumValN(Emit::Exe, "exe", "a standalone executable"),
                    clEnumValN(Emit::Lib, "lib",
                               "-o DIR/NAME: NAME.h, libNAME.a, NAME.pc and "
                               "NAMEConfig.cmake"),
                    clEnumValN(Emit::Shared, "shared",
                               "-o DIR/NAME: NAME.h, libNAME.so, NAME.pc "
                               "and NAMEConfig.cmake"),
                    clEnumValN(Emit::Obj, "obj", "an object file"),
                    clEnumValN(Emit::Asm, "asm", "assembly"),
                    clEnumValN(Emit::Llvm, "llvm", "optimized LLVM IR"),
                    clEnumValN(Emit::Mlir, "mlir", "MLIR at --stage"),
                    clEnumValN(Emit::Ptx, "ptx",
                               "the GPU kernels' PTX (--target cuda); "
                               "with several --gpu-arch, one file each: "
                               "OUT.sm_NN.ptx")),
         cl::sub(compileCmd), cl::cat(kilnCategory));

enum class Stage { Import, Linalg, Gpu, Llvm };
static cl::opt<Stage> stage(
    "stage", cl::desc("With --emit mlir: the stage to print"),
    cl::init(Stage::Llvm),
    cl::values(clEnumValN(Stage::Import, "import", "kiln dialect as imported"),
               clEnumValN(Stage::Linalg, "linalg", "fused linalg on tensors"),
               clEnumValN(Stage::Gpu, "gpu",
                          "kernels mapped to the GPU, in the gpu dialect "
                          "(--target cuda)"),
               clEnumValN(Stage::Llvm, "llvm", "the LLVM dialect")),
    cl::sub(compileCmd), cl::cat(kilnCategory));
static cl::opt<std::string>
    targetCpu("target-cpu",
              cl::desc("CPU to generate code for (default: the host, with its "
                       "features; e.g. x86-64-v3, znver4)"),
              cl::value_desc("NAME"), cl::init(""), cl::sub(compileCmd),
              cl::sub(runCmd), cl::cat(kilnCategory));
static cl::opt<std::string> targetFlag(
    "target",
    cl::desc("Code to generate: cpu (default), or cuda for NVIDIA GPUs too "
             "(PTX, JIT-compiled by the driver; the CPU code is always "
             "included, so the binary runs anywhere; cpu,cuda is the same); "
             "cuda-on-cpu: the GPU kernels run by host loops over their "
             "blocks and threads, to check the GPU mapping without a GPU"),
    cl::value_desc("cpu|cuda|cpu,cuda|cuda-on-cpu"), cl::init("cpu"),
    cl::sub(compileCmd), cl::cat(kilnCategory));
static cl::opt<std::string> gpuArch(
    "gpu-arch",
    cl::desc("With --target cuda: the PTX architectures, comma-separated "
             "(default sm_80). The binary carries one PTX each and runs "
             "the newest one the GPU supports; newer GPUs JIT older PTX. "
             "Known: sm_70, sm_75, sm_80, sm_86, sm_89, sm_90, sm_90a (only "
             "compute capability 9.0), sm_100, sm_120"),
    cl::value_desc("sm_NN[,sm_NN...]"), cl::init("sm_80"), cl::sub(compileCmd),
    cl::cat(kilnCategory));
static cl::opt<int64_t> gpuMatmulTile(
    "gpu-matmul-tile",
    cl::desc("With --target cuda or cuda-on-cpu: rows and columns of C per "
             "block of the tiled matrix products (32, 64 or 128)"),
    cl::init(64), cl::Hidden, cl::sub(compileCmd), cl::cat(kilnCategory));
static cl::opt<int64_t> gpuMatmulKStep(
    "gpu-matmul-k-step",
    cl::desc("With --target cuda or cuda-on-cpu: steps of k the tiled "
             "matrix products stage per round (8, 16 or 32)"),
    cl::init(16), cl::Hidden, cl::sub(compileCmd), cl::cat(kilnCategory));
static cl::opt<bool> gpuMatmulNarrowTiles(
    "gpu-matmul-narrow-tiles",
    cl::desc("With --target cuda or cuda-on-cpu: a product with few columns "
             "of C (a convolution's 16 or 32 channels) takes a narrower tile "
             "of the same area, 256 x 16 or 128 x 32 (fp32; default on)"),
    cl::init(true), cl::Hidden, cl::sub(compileCmd), cl::cat(kilnCategory));
static cl::opt<int64_t> gpuMatmulWideTiles(
    "gpu-matmul-wide-tiles",
    cl::desc("With --target cuda or cuda-on-cpu: a product of at least "
             "256 columns of C (a wide Dense layer) with at least this "
             "many 128 x 128 tiles takes them, staged 8 steps of k at a "
             "time (16 with --gpu-precision bf16); with a dynamic batch "
             "the host picks per launch. 0: none does (default 256; 0 when "
             "--gpu-matmul-tile or --gpu-matmul-k-step is given)"),
    cl::init(256), cl::Hidden, cl::sub(compileCmd), cl::cat(kilnCategory));
static cl::opt<bool> gpuMatmulSmallTiles(
    "gpu-matmul-small-tiles",
    cl::desc("With --target cuda or cuda-on-cpu: an fp32 product with a "
             "small static output (a convolution's weight gradient, 9 x 16) "
             "takes 32 x 32 tiles staged 32 steps of k where they compute at "
             "most a quarter of the elements (default on; off when "
             "--gpu-matmul-tile or --gpu-matmul-k-step is given)"),
    cl::init(true), cl::Hidden, cl::sub(compileCmd), cl::cat(kilnCategory));
static cl::opt<int64_t> gpuSplitKTargetBlocks(
    "gpu-split-k-target-blocks",
    cl::desc("With --target cuda or cuda-on-cpu: blocks a product of few "
             "output tiles and a long reduction (a weight gradient) is "
             "split into at least, and a bias gradient's sum (default 512)"),
    cl::init(512), cl::Hidden, cl::sub(compileCmd), cl::cat(kilnCategory));
static cl::opt<int64_t> gpuSplitKMaxSplits(
    "gpu-split-k-max-splits",
    cl::desc("With --target cuda or cuda-on-cpu: the most splits of one "
             "such reduction (default 256)"),
    cl::init(256), cl::Hidden, cl::sub(compileCmd), cl::cat(kilnCategory));
static cl::opt<std::string> gpuPrecision(
    "gpu-precision",
    cl::desc("With --target cuda or cuda-on-cpu: the multiplicands of the "
             "GPU's matrix products (dense and convolution layers, forward "
             "and gradients): fp32 (default), or tensor cores with tf32 (10 "
             "mantissa bits, like PyTorch's allow_tf32 and TensorFlow's "
             "TF32 execution) or bf16 (7 bits); sums stay float, other ops "
             "fp32. tf32 and bf16 need --gpu-arch sm_80 or newer"),
    cl::value_desc("fp32|tf32|bf16"), cl::init("fp32"), cl::sub(compileCmd),
    cl::cat(kilnCategory));
static cl::opt<std::string> gpuConvInputGradient(
    "gpu-conv-input-gradient",
    cl::desc("With --target cuda or cuda-on-cpu: a stride-1 convolution's "
             "input gradient as a convolution with the flipped kernel "
             "(convolution, default: an implicit GEMM) or as autodiff's "
             "product and col2im (fold, the CPU's form); for measuring"),
    cl::value_desc("convolution|fold"), cl::init("convolution"), cl::Hidden,
    cl::sub(compileCmd), cl::cat(kilnCategory));
static cl::opt<bool> timing(
    "mlir-timing",
    cl::desc("Print the time of each pass and of LLVM's stages to stderr"),
    cl::Hidden, cl::sub(compileCmd), cl::cat(kilnCategory));

static cl::opt<bool> listOps(
    "list-ops",
    cl::desc("Print the ONNX ops (and opset ranges) kiln imports, and exit"),
    cl::sub(compileCmd), cl::cat(kilnCategory));
static cl::list<std::string> inputShapes(
    "input-shape",
    cl::desc("Fix a model input's shape, e.g. input=1x3x224x224 (ONNX "
             "inputs with symbolic dimensions besides the batch)"),
    cl::value_desc("NAME=DxDx..."), cl::sub(compileCmd), cl::sub(summaryCmd),
    cl::sub(gradcheckCmd), cl::sub(runCmd), cl::cat(kilnCategory));
static cl::list<std::string>
    runInputs("input",
              cl::desc("An input file (.npy or ONNX .pb), one per model "
                       "input in order"),
              cl::value_desc("FILE"), cl::sub(runCmd), cl::cat(kilnCategory));
static cl::list<std::string>
    runOutputs("output",
               cl::desc("An output file (.npy or .pb), one per model output "
                        "(default: print a summary of each)"),
               cl::value_desc("FILE"), cl::sub(runCmd), cl::cat(kilnCategory));
static cl::list<std::string>
    freezeFlag("freeze",
               cl::desc("ONNX initializers the optimizer must not update"),
               cl::CommaSeparated, cl::value_desc("NAME,..."),
               cl::sub(compileCmd), cl::cat(kilnCategory));

// data
static cl::opt<std::string> dataAction(cl::Positional, cl::Required,
                                       cl::desc("inspect|convert"),
                                       cl::sub(dataCmd), cl::cat(kilnCategory));
static cl::opt<std::string> dataPath(cl::Positional, cl::Required,
                                     cl::desc("FILE|SPEC"), cl::sub(dataCmd),
                                     cl::cat(kilnCategory));
static cl::opt<int64_t> dataLimit("limit",
                                  cl::desc("inspect: at most N records"),
                                  cl::init(-1), cl::value_desc("N"),
                                  cl::sub(dataCmd), cl::cat(kilnCategory));
static cl::opt<std::string>
    dataCompression("compression",
                    cl::desc("convert: none, gzip or zlib (default: gzip "
                             "for an OUT ending in .gz, else none)"),
                    cl::init(""), cl::value_desc("KIND"), cl::sub(dataCmd),
                    cl::cat(kilnCategory));
static cl::opt<bool>
    dataJson("json", cl::desc("inspect: one JSON object per record per line"),
             cl::sub(dataCmd), cl::cat(kilnCategory));
static cl::opt<bool> dataSkipCorrupt(
    "skip-corrupt",
    cl::desc("inspect: skip corrupt records and records that are not "
             "tf.train.Example, with a warning count"),
    cl::sub(dataCmd), cl::cat(kilnCategory));

// training
static cl::opt<std::string>
    lossFlag("loss",
             cl::desc("Loss for train/evaluate, overriding the model file's: "
                      "a Keras loss (mean_squared_error, "
                      "sparse_categorical_crossentropy, "
                      "categorical_crossentropy, binary_crossentropy, "
                      "binary_focal_crossentropy, "
                      "categorical_focal_crossentropy, "
                      "mean_absolute_error, mean_absolute_percentage_error, "
                      "mean_squared_logarithmic_error, huber, log_cosh, "
                      "kl_divergence, poisson, hinge, squared_hinge, "
                      "cosine_similarity, categorical_hinge, or a short "
                      "name: mse, mae, ...) with the settings of Keras's "
                      "loss class (from_logits, label_smoothing, huber's "
                      "delta, the focal losses' gamma, alpha and "
                      "apply_class_balancing), e.g. "
                      "sparse_categorical_crossentropy:from_logits=true, "
                      "huber:delta=2, "
                      "binary_focal_crossentropy:gamma=3,"
                      "apply_class_balancing=true; with "
                      "several outputs, every output's, "
                      "with weight 1 (the file's loss_weights are dropped)"),
             cl::value_desc("NAME[:KEY=VALUE,...]"),
             cl::sub(compileCmd), cl::sub(gradcheckCmd), cl::cat(kilnCategory));
static cl::opt<std::string> optimizerFlag(
    "optimizer",
    cl::desc("Optimizer with Keras's defaults, overriding the model file's "
             "(sgd, adam, rmsprop, adagrad; e.g. "
             "sgd:learning_rate=0.01,momentum=0.9)"),
    cl::value_desc("NAME[:KEY=VALUE,...]"), cl::sub(compileCmd),
    cl::cat(kilnCategory));
static cl::list<std::string>
    metricsFlag("metrics",
                cl::desc("Metrics to report, overriding the model file's; "
                         "with several outputs, on every output. Settings "
                         "follow a colon, one per comma: e.g. "
                         "accuracy,mae or binary_accuracy:threshold=0,"
                         "top_k_categorical_accuracy:k=3 (threshold, k, "
                         "from_logits, label_smoothing)"),
                cl::CommaSeparated,
                cl::value_desc("NAME[:KEY=VALUE][,KEY=VALUE...],..."),
                cl::sub(compileCmd), cl::cat(kilnCategory));

// gradcheck
static cl::opt<std::string>
    checkFunc("func",
              cl::desc("With an .mlir input: the function to check (default: "
                       "the first)"),
              cl::value_desc("NAME"), cl::sub(gradcheckCmd),
              cl::cat(kilnCategory));
static cl::opt<int64_t> checkBatch("batch",
                                   cl::desc("Size of dynamic batch dimensions"),
                                   cl::init(3), cl::sub(gradcheckCmd),
                                   cl::cat(kilnCategory));
static cl::opt<double> checkTolerance(
    "tolerance", cl::desc("Worst relative error allowed (default 1e-5)"),
    cl::init(1e-5), cl::sub(gradcheckCmd), cl::cat(kilnCategory));
static cl::opt<int64_t>
    checkMax("max-checks",
             cl::desc("Finite differences per argument (default 32)"),
             cl::init(32), cl::sub(gradcheckCmd), cl::cat(kilnCategory));
enum class CheckMode { Training, Inference };
static cl::opt<CheckMode> checkMode(
    "mode",
    cl::desc("The forms of BatchNormalization, Dropout and the other "
             "mode-dependent layers that the check differentiates"),
    cl::values(clEnumValN(CheckMode::Training, "training",
                          "what fit differentiates: batch statistics, "
                          "dropout masks of the first step of a run with "
                          "--seed (default)"),
               clEnumValN(CheckMode::Inference, "inference",
                          "what predict and evaluate run: moving "
                          "statistics, no dropout")),
    cl::init(CheckMode::Training), cl::sub(gradcheckCmd),
    cl::cat(kilnCategory));
static cl::opt<double>
    inputMin("input-min",
             cl::desc("Random inputs are uniform in [min, max] (-1)"),
             cl::init(-1.0), cl::sub(gradcheckCmd), cl::cat(kilnCategory));
static cl::opt<double> inputMax("input-max", cl::desc("(default 1)"),
                                cl::init(1.0), cl::sub(gradcheckCmd),
                                cl::cat(kilnCategory));

//===----------------------------------------------------------------------===//
// Diagnostics
//===----------------------------------------------------------------------===//

/// The file a location points into, if any.
static std::string fileOf(Location loc) {
  std::string file;
  loc->walk([&](Location l) {
    if (auto fileLoc = dyn_cast<FileLineColLoc>(l)) {
      file = fileLoc.getFilename().str();
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return file;
}

/// Prints "<file>: error: <message>", one line per diagnostic.
static LogicalResult printDiagnostic(Diagnostic &diag) {
  std::string file = fileOf(diag.getLocation());
  llvm::errs() << (file.empty() ? std::string("kiln") : file) << ": ";
  switch (diag.getSeverity()) {
  case DiagnosticSeverity::Error:
    llvm::errs() << "error: ";
    break;
  case DiagnosticSeverity::Warning:
    llvm::errs() << "warning: ";
    break;
  default:
    llvm::errs() << "note: ";
  }
  llvm::errs() << diag.str() << "\n";
  return success();
}

static int fail(const llvm::Twine &message) {
  llvm::errs() << "kiln: error: " << message << "\n";
  return 1;
}

//===----------------------------------------------------------------------===//
// Commands
//===----------------------------------------------------------------------===//

/// Writes `text` to `path` ("-" = stdout) atomically.
static int writeOutput(llvm::StringRef path,
                       llvm::function_ref<void(llvm::raw_ostream &)> print) {
  if (llvm::Error error = writeOutputFile(path, /*binary=*/false,
                                          [&](llvm::raw_pwrite_stream &os) {
                                            print(os);
                                            return llvm::Error::success();
                                          }))
    return fail(llvm::toString(std::move(error)));
  return 0;
}

static std::string defaultOutput(Emit kind) {
  std::string stem = llvm::sys::path::stem(modelPath).str();
  if (stem.empty())
    stem = "model";
  switch (kind) {
  case Emit::Exe:
  case Emit::Lib:
  case Emit::Shared:
    return stem;
  case Emit::Obj:
    return stem + ".o";
  case Emit::Asm:
    return stem + ".s";
  case Emit::Ptx:
    return stem + ".ptx";
  default:
    return "-";
  }
}

/// The training flags of `kiln compile` (and `gradcheck --loss`).
static FailureOr<TrainingFlags> parseTrainingFlags() {
  TrainingFlags flags;
  if (!lossFlag.empty()) {
    llvm::Expected<keras::NameWithSettings> parsed =
        keras::parseNameWithSettings(lossFlag);
    if (!parsed)
      return fail("--loss: " + llvm::toString(parsed.takeError())), failure();
    for (const auto &entry : parsed->settings)
      if (llvm::Error error = keras::setLossSetting(
              flags.lossSettings, entry.getKey(), entry.getValue()))
        return fail("--loss: " + llvm::toString(std::move(error))), failure();
    flags.loss = parsed->name;
  }
  if (!optimizerFlag.empty()) {
    llvm::Expected<keras::NameWithSettings> parsed =
        keras::parseNameWithSettings(optimizerFlag);
    if (!parsed)
      return fail("--optimizer: " + llvm::toString(parsed.takeError())),
             failure();
    flags.optimizer = parsed->name;
    flags.optimizerHyper = std::move(parsed->settings);
  }
  if (!metricsFlag.empty())
    flags.metrics.emplace(metricsFlag.begin(), metricsFlag.end());
  return flags;
}

namespace {
struct Targets {
  bool cuda = false;      // PTX and GPU entries beside the CPU code
  bool cudaOnCpu = false; // the CPU code is the GPU mapping run on the host
  llvm::SmallVector<std::string> gpuArchs; // --gpu-arch, in its order
};
} // namespace

/// Parses --target and --gpu-arch.
static FailureOr<Targets> parseTarget() {
  Targets targets;
  bool &cuda = targets.cuda;
  SmallVector<StringRef> parts;
  StringRef(targetFlag).split(parts, ',');
  for (StringRef part : parts) {
    if (part == "cuda")
      cuda = true;
    else if (part == "cuda-on-cpu" && parts.size() == 1)
      targets.cudaOnCpu = true;
    else if (part != "cpu")
      return fail("--target: unknown target '" + part +
                  "' (expected cpu, cuda, cpu,cuda or cuda-on-cpu)"),
             failure();
  }
  // Options of one target or output: given elsewhere they would do nothing.
  if (stage.getNumOccurrences() && emit != Emit::Mlir)
    return fail("--stage needs --emit mlir"), failure();
  if (gpuArch.getNumOccurrences() && !cuda)
    return fail("--gpu-arch needs --target cuda: it picks the PTX the "
                "binary carries"),
           failure();
  if ((gpuMatmulTile.getNumOccurrences() ||
       gpuMatmulKStep.getNumOccurrences() ||
       gpuMatmulNarrowTiles.getNumOccurrences() ||
       gpuMatmulWideTiles.getNumOccurrences() ||
       gpuMatmulSmallTiles.getNumOccurrences() ||
       gpuSplitKTargetBlocks.getNumOccurrences() ||
       gpuSplitKMaxSplits.getNumOccurrences()) &&
      !cuda && !targets.cudaOnCpu)
    return fail("--gpu-matmul-tile, --gpu-matmul-k-step, "
                "--gpu-matmul-narrow-tiles, --gpu-matmul-wide-tiles, "
                "--gpu-matmul-small-tiles and --gpu-split-k-* need --target "
                "cuda or cuda-on-cpu"),
           failure();
  // The mapping's numbers, once here with the flags' names (the passes
  // check their options too, for kiln-opt, and per function).
  if (!llvm::is_contained({32, 64, 128}, int64_t(gpuMatmulTile)))
    return fail("--gpu-matmul-tile must be 32, 64 or 128, not " +
                std::to_string(gpuMatmulTile)),
           failure();
  if (!llvm::is_contained({8, 16, 32}, int64_t(gpuMatmulKStep)))
    return fail("--gpu-matmul-k-step must be 8, 16 or 32, not " +
                std::to_string(gpuMatmulKStep)),
           failure();
  if (gpuMatmulWideTiles < 0)
    return fail("--gpu-matmul-wide-tiles must be at least 0, not " +
                std::to_string(gpuMatmulWideTiles)),
           failure();
  if (gpuSplitKTargetBlocks < 1)
    return fail("--gpu-split-k-target-blocks must be positive, not " +
                std::to_string(gpuSplitKTargetBlocks)),
           failure();
  if (gpuSplitKMaxSplits < 2)
    return fail("--gpu-split-k-max-splits must be at least 2, not " +
                std::to_string(gpuSplitKMaxSplits)),
           failure();
  if (gpuConvInputGradient != "convolution" && gpuConvInputGradient != "fold")
    return fail("--gpu-conv-input-gradient: unknown form '" +
                gpuConvInputGradient + "' (expected convolution or fold)"),
           failure();
  if (gpuConvInputGradient.getNumOccurrences() && !cuda && !targets.cudaOnCpu)
    return fail("--gpu-conv-input-gradient needs --target cuda or "
                "cuda-on-cpu: the CPU always folds"),
           failure();
  std::optional<GpuPrecision> precision = parseGpuPrecision(gpuPrecision);
  if (!precision)
    return fail("--gpu-precision: unknown precision '" + gpuPrecision +
                "' (expected fp32, tf32 or bf16)"),
           failure();
  if (*precision != GpuPrecision::FP32 && !cuda && !targets.cudaOnCpu)
    return fail("--gpu-precision " + gpuPrecision +
                " needs --target cuda or cuda-on-cpu: the CPU's products "
                "are fp32"),
           failure();
  if (!cuda &&
      (emit == Emit::Ptx || (emit == Emit::Mlir && stage == Stage::Gpu)))
    return fail(emit == Emit::Ptx ? "--emit ptx needs --target cuda"
                                  : "--stage gpu needs --target cuda"),
           failure();
  if (!cuda)
    return targets;
  SmallVector<StringRef> archs;
  StringRef(gpuArch).split(archs, ',');
  for (StringRef arch : archs) {
    if (!isKnownGpuArch(arch))
      return fail("--gpu-arch: unknown architecture '" + arch +
                  "' (expected sm_70, sm_75, sm_80, sm_86, sm_89, sm_90, "
                  "sm_90a, sm_100 or sm_120, comma-separated)"),
             failure();
    if (llvm::is_contained(targets.gpuArchs, arch))
      return fail("--gpu-arch: '" + arch + "' is listed twice"), failure();
    if (*precision != GpuPrecision::FP32 && !hasTf32AndBf16Mma(arch))
      return fail("--gpu-precision " + gpuPrecision +
                  " needs tensor cores of sm_80 or newer, and --gpu-arch "
                  "lists " +
                  arch),
             failure();
    targets.gpuArchs.push_back(arch.str());
  }
  if (emit == Emit::Ptx && archs.size() > 1 && outputPath == "-")
    return fail("--emit ptx writes one file per architecture: -o - takes "
                "one --gpu-arch"),
           failure();
  return targets;
}

/// The GPU mapping's flags, for --target cuda and cuda-on-cpu alike.
static void setGpuMappingOptions(CudaLoweringOptions &options) {
  options.matmulTile = gpuMatmulTile;
  options.matmulKStep = gpuMatmulKStep;
  options.narrowTiles = gpuMatmulNarrowTiles;
  // A tiling given is the tiling of every product, unless wide or small
  // tiles are asked for too.
  bool tilingGiven =
      gpuMatmulTile.getNumOccurrences() || gpuMatmulKStep.getNumOccurrences();
  options.wideTileMinTiles =
      tilingGiven && !gpuMatmulWideTiles.getNumOccurrences()
          ? 0
          : static_cast<int64_t>(gpuMatmulWideTiles);
  options.smallTiles = gpuMatmulSmallTiles &&
                       (!tilingGiven || gpuMatmulSmallTiles.getNumOccurrences());
  options.splitKTargetBlocks = gpuSplitKTargetBlocks;
  options.splitKMaxSplits = gpuSplitKMaxSplits;
  options.precision = gpuPrecision;
}

/// `--emit ptx`: the one PTX to `out`, or one file per architecture with
/// the architecture before the extension (model.sm_90.ptx), all or none.
static int writePtx(llvm::StringRef out, llvm::ArrayRef<GpuPtx> objects) {
  if (objects.size() == 1)
    return writeOutput(out,
                       [&](llvm::raw_ostream &os) { os << objects[0].text; });
  StringRef extension = llvm::sys::path::extension(out);
  StringRef stem = out.drop_back(extension.size());
  if (extension.empty())
    extension = ".ptx";
  std::vector<std::string> written;
  for (const GpuPtx &object : objects) {
    std::string path = (stem + "." + object.arch + extension).str();
    if (writeOutput(path, [&](llvm::raw_ostream &os) { os << object.text; })) {
      for (const std::string &done : written)
        llvm::sys::fs::remove(done);
      return 1;
    }
    written.push_back(path);
  }
  return 0;
}

/// Writes the library package beside `objectPath`'s model: the archive or
/// shared object, then NAME.h, NAME.pc and NAMEConfig.cmake, each file
/// atomically.
static int writeLibrary(llvm::ArrayRef<std::string> objects,
                        llvm::StringRef out, const LibraryInfo &info,
                        const kiln_model_desc_t &desc) {
  llvm::SmallString<256> dir = llvm::sys::path::parent_path(out);
  if (dir.empty())
    dir = ".";
  if (std::error_code ec = llvm::sys::fs::create_directories(dir))
    return fail("cannot create '" + dir + "': " + ec.message());
  auto path = [&](const llvm::Twine &file) {
    llvm::SmallString<256> p(dir);
    llvm::sys::path::append(p, file);
    return std::string(p);
  };
  std::string library = path("lib" + info.name + (info.shared ? ".so" : ".a"));
  llvm::Error linked =
      info.shared ? linkSharedLibrary(objects, library, info.name, info.cuda)
                  : writeLibraryArchive(objects, library, info.name, info.cuda);
  if (linked)
    return fail(llvm::toString(std::move(linked)));
  std::pair<std::string, std::string> files[] = {
      {path(info.name + ".h"), libraryHeader(desc, info)},
      {path(info.name + ".pc"), pkgConfigFile(desc, info)},
      {path(info.name + "Config.cmake"), cmakeConfigFile(info)},
  };
  for (const auto &[file, text] : files)
    if (writeOutput(file, [&](llvm::raw_ostream &os) { os << text; }))
      return 1;
  return 0;
}

/// An executable or library: `module` optimized and compiled to objects in
/// parallel (compileObjects: the cores' worth of parts; one for a model
/// with GPU code, whose host part registers its kernels once), then linked.
static int compileAndLink(std::unique_ptr<llvm::Module> module,
                          llvm::StringRef out, LibraryInfo *library,
                          const kiln_model_desc_t *desc, bool cuda,
                          TimingScope &root) {
  if (library) {
    library->openmp = usesOpenMP(*module);
    // Parts of a library share hidden symbols: named after the library, so
    // two libraries link into one program.
    // (Unnamed ones too: splitting would name them all alike.)
    for (llvm::GlobalValue &value : module->global_values())
      if (value.hasLocalLinkage())
        value.setName(library->name + "." +
                      (value.hasName() ? value.getName() : "anon"));
  }
  unsigned threads =
      cuda ? 1
           : std::max(1u, std::min(8u, std::thread::hardware_concurrency()));
  llvm::SmallString<128> tempDir;
  llvm::sys::path::system_temp_directory(/*ErasedOnReboot=*/true, tempDir);
  TimingScope codegenTime = root.nest("llvm-o3-and-codegen");
  llvm::Expected<std::vector<std::string>> objects =
      compileObjects(std::move(module), targetCpu, threads, tempDir, out);
  if (!objects)
    return fail(llvm::toString(objects.takeError()));
  codegenTime.stop();
  std::vector<std::unique_ptr<TemporaryRemover>> removers;
  for (const std::string &object : *objects)
    removers.push_back(std::make_unique<TemporaryRemover>(object));
  TimingScope linkTime = root.nest("link");
  if (library)
    return writeLibrary(*objects, out, *library, *desc);
  if (llvm::Error error = linkExecutable(*objects, out))
    return fail(llvm::toString(std::move(error)));
  return 0;
}

static int runCompile(MLIRContext &ctx, ImportedModel &model) {
  std::string out = outputPath.empty() ? defaultOutput(emit) : outputPath;
  FailureOr<Targets> targets = parseTarget();
  if (failed(targets))
    return 1;
  bool library = emit == Emit::Lib || emit == Emit::Shared;
  LibraryInfo libraryInfo;
  if (library) {
    libraryInfo.name = llvm::sys::path::filename(out).str();
    libraryInfo.shared = emit == Emit::Shared;
    libraryInfo.cuda = targets->cuda;
    llvm::Expected<SmallVector<std::string>> linkFlags = runtimeLinkFlags();
    if (!linkFlags)
      return fail(llvm::toString(linkFlags.takeError()));
    libraryInfo.linkFlags = std::move(*linkFlags);
    if (llvm::Error error = checkLibraryName(libraryInfo.name))
      return fail(llvm::toString(std::move(error)));
  }
  if (emit == Emit::Mlir && stage == Stage::Import)
    return writeOutput(out,
                       [&](llvm::raw_ostream &os) { model.module->print(os); });

  llvm::Expected<std::unique_ptr<CpuTarget>> target =
      createCpuTarget(targetCpu);
  if (!target)
    return fail(llvm::toString(target.takeError()));

  DefaultTimingManager timer;
  timer.setEnabled(timing);
  TimingScope root = timer.getRootScope();
  ModelSignature signature = getModelSignature(model);
  FailureOr<TrainingFlags> flags = parseTrainingFlags();
  TimingScope trainingTime = root.nest("training-setup");
  if (failed(flags) || failed(setUpTraining(model, *flags, signature)))
    return 1;
  trainingTime.stop();
  // The IR is verified once after each pipeline, not after every pass: on
  // a large model that is a third of the pipelines' time.
  PassManager linalg(&ctx);
  linalg.enableVerifier(false);
  TimingScope linalgTime = root.nest("kiln-to-linalg");
  linalg.enableTiming(linalgTime);
  buildImportCleanupPipeline(linalg);
  // A GPU runs convolutions' input gradients as convolutions (implicit
  // GEMMs); the CPU's GEMM is faster on autodiff's fold. cuda-on-cpu
  // shares the GPU's linalg (contract 4).
  if ((targets->cuda || targets->cudaOnCpu) &&
      gpuConvInputGradient == "convolution")
    linalg.addNestedPass<func::FuncOp>(createTransposedConvolutionPass());
  buildLinalgPipeline(linalg);
  if (failed(linalg.run(*model.module)) || failed(verify(*model.module)))
    return 1;
  linalgTime.stop();
  if (emit == Emit::Mlir && stage == Stage::Linalg)
    return writeOutput(out,
                       [&](llvm::raw_ostream &os) { model.module->print(os); });

  TimingScope stripTime = root.nest("strip-abi-attributes");
  stripAbiAttributes(*model.module);
  stripTime.stop();

  // The GPU part, from the same linalg (contract 4).
  OwningOpRef<ModuleOp> cudaModule;
  SmallVector<GpuPtx> ptx;
  if (targets->cuda) {
    cudaModule = model.module->clone();
    CudaLoweringOptions cudaOptions;
    cudaOptions.chip = llvm::join(targets->gpuArchs, ",");
    setGpuMappingOptions(cudaOptions);
    PassManager mapping(&ctx);
    mapping.enableVerifier(false);
    TimingScope mappingTime = root.nest("cuda-mapping");
    mapping.enableTiming(mappingTime);
    buildCudaMappingPipeline(mapping, cudaOptions);
    if (failed(mapping.run(*cudaModule)) || failed(verify(*cudaModule)))
      return 1;
    mappingTime.stop();
    if (emit == Emit::Mlir && stage == Stage::Gpu)
      return writeOutput(out,
                         [&](llvm::raw_ostream &os) { cudaModule->print(os); });
    PassManager toLlvm(&ctx);
    toLlvm.enableVerifier(false);
    TimingScope ptxTime = root.nest("cuda-to-ptx");
    toLlvm.enableTiming(ptxTime);
    buildCudaToLlvmPipeline(toLlvm, cudaOptions);
    if (failed(toLlvm.run(*cudaModule)) || failed(verify(*cudaModule)))
      return 1;
    ptxTime.stop();
    llvm::Expected<SmallVector<GpuPtx>> objects = extractPtx(*cudaModule);
    if (!objects)
      return fail(llvm::toString(objects.takeError()));
    ptx = std::move(*objects);
    if (emit == Emit::Ptx)
      return writePtx(out, ptx);
  }
  PassManager lowering(&ctx);
  lowering.enableVerifier(false);
  TimingScope loweringTime = root.nest("cpu-lowering");
  lowering.enableTiming(loweringTime);
  CpuLoweringOptions options;
  setLoweringOptions(**target, options);
  if (targets->cudaOnCpu) {
    CudaLoweringOptions mapping;
    setGpuMappingOptions(mapping);
    // The host loops run each kernel's blocks and threads in the order
    // the runtime reads from KILN_GPU_HOST_ORDER (forward, or reverse: the
    // threads between two barriers must share no memory, and then both
    // orders compute the same bits; test/e2e/cuda_on_cpu.test).
    mapping.hostOrderGlobal = "kiln_gpu_host_order";
    buildGpuMappingOnHostPipeline(lowering, mapping, options);
  } else {
    buildCpuLoweringPipeline(lowering, options);
  }
  if (failed(lowering.run(*model.module)) || failed(verify(*model.module)))
    return 1;
  loweringTime.stop();
  if (emit == Emit::Mlir)
    return writeOutput(out,
                       [&](llvm::raw_ostream &os) { model.module->print(os); });

  llvm::LLVMContext llvmContext;
  TimingScope translateTime = root.nest("translate-to-llvm");
  std::unique_ptr<llvm::Module> gpuPart;
  if (cudaModule) {
    llvm::Expected<std::unique_ptr<llvm::Module>> gpu =
        translateGpuModel(*cudaModule, llvmContext, model, signature, ptx,
                          **target, gpuPrecision);
    if (!gpu)
      return fail(llvm::toString(gpu.takeError()));
    gpuPart = std::move(*gpu);
  }
  llvm::Expected<std::unique_ptr<llvm::Module>> translated =
      translateModel(*model.module, llvmContext, model, signature, **target,
                     std::move(gpuPart));
  if (!translated)
    return fail(llvm::toString(translated.takeError()));
  std::unique_ptr<llvm::Module> module = std::move(*translated);
  translateTime.stop();
  std::optional<HostDescriptor> host;
  if (library) {
    host.emplace(model, &signature);
    if (llvm::Error error =
            emitLibraryFunctions(*module, host->get(), libraryInfo))
      return fail(llvm::toString(std::move(error)));
  }
  if (emit == Emit::Exe || library)
    return compileAndLink(std::move(module), out,
                          library ? &libraryInfo : nullptr,
                          host ? &host->get() : nullptr, targets->cuda, root);
  TimingScope optimizeTime = root.nest("llvm-o3");
  optimizeModule(*module, **target);
  optimizeTime.stop();
  TimingScope emitTime = root.nest("llvm-codegen");
  if (emit == Emit::Llvm)
    return writeOutput(
        out, [&](llvm::raw_ostream &os) { module->print(os, nullptr); });
  if (emit == Emit::Obj || emit == Emit::Asm) {
    if (llvm::Error error =
            emitMachineCode(*module, **target, emit == Emit::Asm, out))
      return fail(llvm::toString(std::move(error)));
    return 0;
  }

  return 0;
}

/// Reports a runtime failure and consumes it.
static int failStatus(kiln_status_t status) {
  std::string message = kiln_status_message(status);
  kiln_status_free(status);
  return fail(message);
}

static int runSummary(ImportedModel &model) {
  HostDescriptor host(model);
  char *text = nullptr;
  if (kiln_status_t status = kiln_model_format_summary(&host.get(), &text))
    return failStatus(status);
  llvm::outs() << text;
  kiln_free(text);
  return 0;
}

static int exportWeights(ImportedModel &model, kiln_model_t *session);

/// Runs `body` on a runtime session of `model` holding its imported
/// weights; reports a failure to create it.
static int withSession(const ImportedModel &model,
                       llvm::function_ref<int(kiln_model_t *)> body) {
  HostDescriptor host(model);
  kiln_model_t *session = nullptr;
  if (kiln_status_t status = kiln_model_create(&host.get(), &session))
    return failStatus(status);
  llvm::scope_exit release([&] { kiln_model_release(session); });
  return body(session);
}

static int runExportWeights(ImportedModel &model) {
  if (outputPath.empty())
    return fail("export-weights needs -o OUT.weights.h5 (OUT.onnx for an "
                "ONNX model)");
  return withSession(model, [&](kiln_model_t *session) {
    return exportWeights(model, session);
  });
}

static int exportWeights(ImportedModel &model, kiln_model_t *session) {
  if (kiln_status_t status =
          kiln_model_load_weights(session, trainedPath.c_str()))
    return failStatus(status);
  std::vector<const float *> values;
  for (size_t i = 0; i < model.params.size(); ++i)
    values.push_back(kiln_model_param_data(session, i));
  llvm::Expected<std::string> image = std::string();
  if (detectModelFormat(modelPath) == ModelFormat::Onnx) {
    // The ONNX file again, its initializers the trained values.
    image =
        onnx_import::rewriteOnnxInitializers(modelPath, model.params, values);
  } else {
    image = keras::buildKeras3Weights(model, values);
  }
  if (!image)
    return fail(llvm::toString(image.takeError()));
  if (llvm::Error error = writeOutputFile(outputPath, /*binary=*/true,
                                          [&](llvm::raw_pwrite_stream &os) {
                                            os << *image;
                                            return llvm::Error::success();
                                          }))
    return fail(llvm::toString(std::move(error)));
  return 0;
}

static int runImportWeights(ImportedModel &model) {
  if (outputPath.empty())
    return fail("import-weights needs -o OUT.kw");
  return withSession(model, [&](kiln_model_t *session) {
    if (kiln_status_t status =
            kiln_model_save_weights(session, outputPath.c_str()))
      return failStatus(status);
    return 0;
  });
}

/// Imports MODEL with --weights and --seed.
static FailureOr<ImportOptions> importOptions() {
  ImportOptions options;
  options.weightsPath = weightsPath;
  options.seed = seed;
  // kiln gradcheck's seed also draws its inputs.
  options.seedGiven = seed.getNumOccurrences() && !gradcheckCmd;
  for (llvm::StringRef spec : inputShapes) {
    auto [name, dims] = spec.split('=');
    SmallVector<int64_t> shape;
    for (llvm::StringRef dim : llvm::split(dims, 'x')) {
      int64_t d = 0;
      if (dim.getAsInteger(10, d) || d < 1)
        return fail("--input-shape '" + spec +
                    "': expected NAME=DxDx... with positive sizes"),
               failure();
      shape.push_back(d);
    }
    if (name.empty() || dims.empty())
      return fail("--input-shape '" + spec + "': expected NAME=DxDx..."),
             failure();
    options.inputShapes[name] = std::move(shape);
  }
  for (const std::string &name : freezeFlag)
    options.frozen.insert(name);
  options.training = !lossFlag.empty();
  return options;
}

static FailureOr<ImportedModel> importModel(MLIRContext &ctx) {
  FailureOr<ImportOptions> options = importOptions();
  if (failed(options))
    return failure();
  return importModel(&ctx, modelPath, *options);
}

static int runGradCheckCommand(MLIRContext &ctx) {
  GradCheckOptions options;
  options.batch = checkBatch;
  options.seed = seed;
  options.tolerance = checkTolerance;
  options.maxChecks = checkMax;
  options.inputMin = inputMin;
  options.inputMax = inputMax;
  if (options.batch < 1 || options.maxChecks < 1 ||
      !(options.inputMin < options.inputMax))
    return fail("--batch and --max-checks must be positive and --input-min "
                "below --input-max");
  if (!(options.tolerance > 0) || !std::isfinite(options.tolerance))
    return fail("--tolerance must be a positive number");
  if (!checkFunc.empty() && !llvm::StringRef(modelPath).ends_with(".mlir"))
    return fail("--func applies to an .mlir input; a model's check covers "
                "its loss");
  // Finite differences in float64 over a batch: a few samples tell as much
  // as many; a huge batch would only exhaust memory.
  bool training = checkMode == CheckMode::Training;
  if (options.batch > 4096)
    return fail("--batch " + llvm::Twine(options.batch) +
                " is larger than gradcheck allows (4096)");
  if (llvm::StringRef(modelPath).ends_with(".mlir")) {
    OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(modelPath, &ctx);
    if (!module)
      return 1;
    func::FuncOp func;
    for (func::FuncOp f : module->getOps<func::FuncOp>())
      if (!func && (checkFunc.empty() || f.getName() == checkFunc))
        func = f;
    if (!func)
      return fail("'" + modelPath + "' has no function" +
                  (checkFunc.empty() ? "" : " named '" + checkFunc + "'"));
    if (failed(specializeForGradCheck(func, training, seed)))
      return 1;
    return runGradCheck(*module, func, {}, options);
  }
  FailureOr<ImportedModel> model = importModel(ctx);
  if (failed(model))
    return 1;
  auto predict = cast<func::FuncOp>(
      SymbolTable::lookupSymbolIn(*model->module, kPredictFuncName));
  if (failed(specializeForGradCheck(predict, training, seed)))
    return 1;
  // With a loss (from the model file or --loss) the check covers the
  // training loss, @eval_step; without one, a random projection of the
  // outputs.
  // The file's losses (per output, weighted) or --loss on every output.
  TrainingConfig config;
  std::string where = "the model file's loss";
  if (!lossFlag.empty()) {
    FailureOr<TrainingFlags> flags = parseTrainingFlags();
    if (failed(flags))
      return 1;
    config.losses = {{*flags->loss, {}, flags->lossSettings}};
    where = "--loss";
  } else if (model->training) {
    if (!model->training->lossIssue.empty())
      return fail(where + ": " + model->training->lossIssue + " (pass --loss)");
    config = *model->training;
  }
  func::FuncOp loss;
  if (config.losses.empty()) {
    loss = buildProjectionLoss(*model);
  } else {
    ModelSignature signature = getModelSignature(*model);
    SmallVector<OutputLoss> losses(signature.outputs.size());
    if (std::string issue =
            resolveOutputLosses(config, signature.outputs, losses);
        !issue.empty())
      return fail(where + ": " + issue);
    // @eval_step alone: the loss of the forward specialized above.
    if (failed(buildTrainingFunctions(predict, model->params.size(), losses,
                                      /*optimizer=*/nullptr)))
      return 1;
    loss = cast<func::FuncOp>(
        SymbolTable::lookupSymbolIn(*model->module, kEvalStepName));
    std::string text = describeOutputLosses(losses, signature.outputs);
    if (text.find(": ") == std::string::npos &&
        losses.front().loss.settings.fromLogits)
      text += " (from logits)";
    llvm::outs() << "gradcheck: training loss " << text << "\n";
  }
  SmallVector<std::pair<unsigned, const ParamData *>> values;
  for (auto [i, param] : llvm::enumerate(model->params))
    values.push_back({unsigned(i), &param});
  return runGradCheck(*model->module, loss, values, options);
}

int main(int argc, char **argv) {
  // A signal ignored when kiln starts (SIGINT in a background job) stays
  // ignored: InitLLVM installs LLVM's handlers over every disposition, and
  // they would end the run (removing its temporaries) on a Ctrl-C meant for
  // the foreground.
  llvm::SmallVector<int> ignored;
  for (int signal : {SIGHUP, SIGINT, SIGTERM}) {
    struct sigaction action;
    if (sigaction(signal, nullptr, &action) == 0 &&
        !(action.sa_flags & SA_SIGINFO) && action.sa_handler == SIG_IGN)
      ignored.push_back(signal);
  }
  llvm::InitLLVM init(argc, argv);
  for (int signal : ignored)
    std::signal(signal, SIG_IGN);
  cl::HideUnrelatedOptions(kilnCategory);
  cl::ParseCommandLineOptions(
      argc, argv,
      "kiln - an ahead-of-time compiler for Keras, TensorFlow.js and ONNX "
      "models\n\n"
      "  kiln compile MODEL [--weights FILE] [-o OUT] "
      "[--emit exe|lib|shared|obj|asm|llvm|mlir|ptx]\n"
      "               [--stage import|linalg|llvm] [--target-cpu NAME] "
      "[--seed N]\n"
      "               [--loss NAME[:KEY=VALUE,...]] "
      "[--optimizer NAME[:KEY=VALUE,...]] [--metrics M,...]\n"
      "               [--input-shape NAME=DxD...] [--freeze NAME,...] "
      "[--list-ops]\n"
      "  kiln run MODEL --input FILE [--input FILE ...] [--output FILE ...]\n"
      "  kiln summary MODEL [--weights FILE]\n"
      "  kiln devices\n"
      "  kiln export-weights MODEL --from TRAINED.kw -o "
      "OUT.weights.h5|OUT.onnx\n"
      "  kiln data inspect FILE.tfrecord [--limit N] [--json] "
      "[--skip-corrupt]\n"
      "  kiln data convert SPEC -o OUT.tfrecord [--compression "
      "none|gzip|zlib]\n"
      "  kiln gradcheck MODEL|FILE.mlir [--weights FILE] [--func NAME] "
      "[--batch N] [--seed N]\n"
      "                 [--tolerance X] [--max-checks N] [--input-min X] "
      "[--input-max X]\n\n"
      "MODEL is a Keras JSON (model.to_json()), a .keras archive, a legacy "
      ".h5 model,\na TensorFlow.js model.json or an ONNX model (.onnx). A "
      "model compiled with a loss "
      "(from its file or\n--loss) also trains: ./model train, ./model "
      "evaluate.\n");
  if (dataCmd) {
    // Each action's own flags; the other's would do nothing.
    bool inspect = dataAction == "inspect";
    struct ActionFlag {
      const char *name;
      bool given;
      bool forInspect;
    };
    const ActionFlag flags[] = {
        {"-o", outputPath.getNumOccurrences() > 0, false},
        {"--compression", dataCompression.getNumOccurrences() > 0, false},
        {"--limit", dataLimit.getNumOccurrences() > 0, true},
        {"--json", dataJson.getNumOccurrences() > 0, true},
        {"--skip-corrupt", dataSkipCorrupt.getNumOccurrences() > 0, true}};
    for (const ActionFlag &flag : flags) {
      if (!flag.given || flag.forInspect == inspect ||
          (!inspect && dataAction != "convert"))
        continue;
      llvm::errs() << "kiln: error: " << flag.name << " does not apply to data "
                   << dataAction.getValue() << "\n";
      return 2;
    }
    if (dataLimit.getNumOccurrences() && dataLimit < 0) {
      llvm::errs() << "kiln: error: --limit must not be negative\n";
      return 2;
    }
    if (inspect)
      return inspectTFRecord(dataPath, dataLimit, dataJson, dataSkipCorrupt);
    if (dataAction == "convert") {
      if (outputPath.empty()) {
        llvm::errs() << "kiln: error: data convert needs -o OUT.tfrecord\n";
        return 2;
      }
      // Before any work: the output is none of the SPEC's files.
      for (llvm::StringRef input : llvm::split(dataPath, ','))
        if (llvm::Error error = checkNotSameFile(outputPath, input, "input"))
          return fail(llvm::toString(std::move(error)));
      return convertToTFRecord(dataPath, outputPath, dataCompression);
    }
    llvm::errs() << "kiln: error: unknown data action '" << dataAction
                 << "' (expected inspect or convert)\n";
    return 2;
  }
  if (devicesCmd) {
    std::printf("cpu      %u threads\n", std::thread::hardware_concurrency());
    ::kiln::gpu::printDevices(stdout);
    return 0;
  }
  if (!compileCmd && !summaryCmd && !gradcheckCmd && !exportCmd && !importCmd &&
      !runCmd) {
    llvm::errs() << "kiln: error: expected a command (compile, run, summary, "
                    "gradcheck, export-weights, import-weights or data); "
                    "see kiln --help\n";
    return 2;
  }

  if (compileCmd && listOps) {
    onnx_import::printSupportedOps(llvm::outs());
    return 0;
  }
  if (modelPath.empty()) {
    llvm::errs() << "kiln: error: expected a MODEL file; see kiln --help\n";
    return 2;
  }

  DialectRegistry registry;
  registerKilnDialects(registry);
  registerCudaTranslations(registry);
  MLIRContext ctx(registry);
  ctx.loadAllAvailableDialects();
  ScopedDiagnosticHandler handler(&ctx, printDiagnostic);
  if (gradcheckCmd)
    return runGradCheckCommand(ctx);
  if (runCmd) {
    RunOptions options;
    options.inputs.assign(runInputs.begin(), runInputs.end());
    options.outputs.assign(runOutputs.begin(), runOutputs.end());
    FailureOr<ImportOptions> import = importOptions();
    if (failed(import))
      return 1;
    options.import = std::move(*import);
    options.targetCpu = targetCpu;
    // The files read: a named list, not a temporary the loop outlives
    // (ASan's stack-use-after-scope).
    SmallVector<std::string> inputs(runInputs.begin(), runInputs.end());
    inputs.push_back(modelPath);
    for (const std::string &out : options.outputs)
      for (const std::string &input : inputs)
        if (llvm::Error error = checkNotSameFile(out, input, "input"))
          return fail(llvm::toString(std::move(error)));
    return runModelOnce(ctx, modelPath, options);
  }

  // Before any work: no output may be one of the inputs.
  if (compileCmd || exportCmd || importCmd) {
    std::string out = outputPath;
    if (compileCmd && out.empty())
      out = defaultOutput(emit);
    std::pair<llvm::StringRef, llvm::StringRef> inputs[] = {
        {modelPath, "model file"},
        {weightsPath, "weights file"},
        {exportCmd ? llvm::StringRef(trainedPath) : llvm::StringRef(),
         "trained weights file"}};
    for (auto [input, what] : inputs)
      if (llvm::Error error = checkNotSameFile(out, input, what))
        return fail(llvm::toString(std::move(error)));
  }

  FailureOr<ImportedModel> model = importModel(ctx);
  if (failed(model))
    return 1;
  if (exportCmd)
    return runExportWeights(*model);
  if (importCmd)
    return runImportWeights(*model);
  return summaryCmd ? runSummary(*model) : runCompile(ctx, *model);
}
