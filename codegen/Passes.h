//===- Passes.h - kiln codegen passes ---------------------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// The single registry of codegen/'s passes and pattern sets.
//===----------------------------------------------------------------------===//

#ifndef KILN_CODEGEN_PASSES_H
#define KILN_CODEGEN_PASSES_H

#include "dialects/kiln/Model/ImportedModel.h"

#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"

namespace mlir {
class ConversionTarget;
class RewritePatternSet;

namespace kiln {

#define GEN_PASS_DECL
#define GEN_PASS_REGISTRATION
#include "codegen/Passes.h.inc"

/// Module attribute the workspace pass records each function's workspace
/// size in: {name = array<i64: fixed bytes, bytes per sample>}.
constexpr llvm::StringLiteral kWorkspaceAttrName = "kiln.workspace";

/// The workspace sizes `--kiln-workspace-allocation` recorded in `module`,
/// by function name (the one reader of kWorkspaceAttrName).
llvm::StringMap<WorkspaceSize> getWorkspaceSizes(ModuleOp module);

/// Patterns lowering every kiln op to linalg/tensor/arith/math on tensors:
/// the families' sets below, the one list of them (LowerToLinalg.cpp).
void populateKilnToLinalgPatterns(RewritePatternSet &patterns);
/// Marks the whole kiln dialect illegal and the dialects the lowering
/// produces legal.
void populateKilnToLinalgLegality(ConversionTarget &target);

/// kiln -> linalg patterns of one op family (KilnOps.td's grouping), each
/// defined in codegen/common/<Family>ToLinalg.cpp.
void populateConstantToLinalgPatterns(RewritePatternSet &patterns);
void populateContractionToLinalgPatterns(RewritePatternSet &patterns);
void populateElementwiseBinaryToLinalgPatterns(RewritePatternSet &patterns);
void populateElementwiseUnaryToLinalgPatterns(RewritePatternSet &patterns);
void populateReductionToLinalgPatterns(RewritePatternSet &patterns);
void populateNormalizationToLinalgPatterns(RewritePatternSet &patterns);
void populateShapeToLinalgPatterns(RewritePatternSet &patterns);
void populateLossToLinalgPatterns(RewritePatternSet &patterns);
void populateRandomToLinalgPatterns(RewritePatternSet &patterns);
void populateWindowToLinalgPatterns(RewritePatternSet &patterns);
void populateSequenceToLinalgPatterns(RewritePatternSet &patterns);
void populateGatherToLinalgPatterns(RewritePatternSet &patterns);
void populateImageToLinalgPatterns(RewritePatternSet &patterns);
void populateComparisonToLinalgPatterns(RewritePatternSet &patterns);

/// Options of the CPU lowering pipeline.
struct CpuLoweringOptions : public PassPipelineOptions<CpuLoweringOptions> {
  PassOptions::Option<int64_t> vectorWidth{
      *this, "vector-width",
      llvm::cl::desc("f32 lanes per vector of the matmul micro kernel"),
      llvm::cl::init(16)};
  PassOptions::Option<int64_t> parallelThreshold{
      *this, "parallel-threshold",
      llvm::cl::desc("multiply-adds from which a matmul's row blocks run on "
                     "all threads (OpenMP); 0: every loop serial"),
      llvm::cl::init(int64_t(1) << 18)};
  PassOptions::Option<int64_t> parallelElements{
      *this, "parallel-elements",
      llvm::cl::desc("iterations from which an elementwise, pooling or "
                     "im2col kernel runs its rows on all threads; 0: serial"),
      llvm::cl::init(int64_t(1) << 16)};
  PassOptions::Option<int64_t> packThreshold{
      *this, "pack-threshold",
      llvm::cl::desc("bytes of a matmul's B from which it is packed into "
                     "panels (half of the target's L2); 0 never packs"),
      llvm::cl::init(256 * 1024)};
};

/// kiln -> linalg on tensors with elementwise fusion, the target-independent
/// half of codegen (`--kiln-lower-to-linalg-pipeline`).
void buildLinalgPipeline(OpPassManager &pm);

/// Linalg on tensors -> bufferization with caller-owned results
/// (out-params), vectorized matmul, loops, and the LLVM dialect
/// (`--kiln-lower-cpu-pipeline`).
void buildCpuLoweringPipeline(OpPassManager &pm,
                              const CpuLoweringOptions &options);

/// The second half of the CPU pipeline, from buffers in the workspace:
/// segments, kernels, vectors, loops, the LLVM dialect. After
/// buildCudaMappingPipeline with `host-loops`, it compiles the GPU mapping
/// for the CPU (`kiln compile --target cuda-on-cpu`).
void buildCpuLoopsPipeline(OpPassManager &pm,
                           const CpuLoweringOptions &options);

/// Options of the CUDA lowering pipelines.
struct CudaLoweringOptions : public PassPipelineOptions<CudaLoweringOptions> {
  PassOptions::Option<std::string> chip{
      *this, "chip",
      llvm::cl::desc("GPU architectures of the PTX, comma-separated "
                     "(sm_80,sm_90): one PTX each, the first one the "
                     "kernels' loader holds"),
      llvm::cl::init("sm_80")};
  PassOptions::Option<int64_t> blockSize{*this, "block-size",
                                         llvm::cl::desc("threads per block"),
                                         llvm::cl::init(256)};
  PassOptions::Option<int64_t> matmulTile{
      *this, "matmul-tile",
      llvm::cl::desc("rows and columns of C per block of a matrix product "
                     "(32, 64 or 128)"),
      llvm::cl::init(64)};
  PassOptions::Option<int64_t> matmulKStep{
      *this, "matmul-k-step",
      llvm::cl::desc("steps of k a matrix product stages per round (8, 16 "
                     "or 32)"),
      llvm::cl::init(16)};
  PassOptions::Option<int64_t> wideTileMinTiles{
      *this, "wide-tile-min-tiles",
      llvm::cl::desc("an fp32 product of at least 256 columns of C with this "
                     "many 128 x 128 tiles takes them (0: none does)"),
      llvm::cl::init(256)};
  PassOptions::Option<bool> smallTiles{
      *this, "small-tiles",
      llvm::cl::desc("an fp32 product with a small static output takes 32 x "
                     "32 tiles where they compute at most a quarter of the "
                     "elements"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> narrowTiles{
      *this, "narrow-tiles",
      llvm::cl::desc("products with few columns of C take narrower tiles of "
                     "the same area (fp32)"),
      llvm::cl::init(true)};
  PassOptions::Option<int64_t> splitKTargetBlocks{
      *this, "split-k-target-blocks",
      llvm::cl::desc("blocks a product with few output tiles and a long "
                     "reduction should have (kiln-cuda-split-k)"),
      llvm::cl::init(512)};
  PassOptions::Option<int64_t> splitKMaxSplits{
      *this, "split-k-max-splits",
      llvm::cl::desc("the most splits of one reduction (kiln-cuda-split-k)"),
      llvm::cl::init(256)};
  PassOptions::Option<std::string> precision{
      *this, "precision",
      llvm::cl::desc("multiplicands of the tiled matrix products: fp32, tf32 "
                     "or bf16 (tensor cores)"),
      llvm::cl::init("fp32")};
  PassOptions::Option<bool> hostLoops{
      *this, "host-loops",
      llvm::cl::desc("run the mapped kernels as host loops over blocks and "
                     "threads (contract 4: the GPU mapping on the CPU)"),
      llvm::cl::init(false)};
  PassOptions::Option<bool> reverseHostOrder{
      *this, "reverse-host-order",
      llvm::cl::desc("with host-loops, run the blocks and the threads of "
                     "each phase last first: a race between threads changes "
                     "the numbers"),
      llvm::cl::init(false)};
  PassOptions::Option<std::string> hostOrderGlobal{
      *this, "host-order-global",
      llvm::cl::desc("with host-loops, the external i32 global the loops "
                     "read their order from at run time (nonzero: last "
                     "first)"),
      llvm::cl::init("")};
};

/// Linalg on tensors -> buffers (as for the CPU) -> every loop nest a GPU
/// kernel in one gpu.module, launched from the host entries
/// (`--kiln-lower-cuda-pipeline`; `kiln compile --emit mlir --stage gpu`).
void buildCudaMappingPipeline(OpPassManager &pm,
                              const CudaLoweringOptions &options);

/// The GPU mapping compiled for the CPU (`--target cuda-on-cpu`, DESIGN.md
/// contract 4): buildCudaMappingPipeline with `mapping`'s host-loops set,
/// then buildCpuLoopsPipeline.
void buildGpuMappingOnHostPipeline(OpPassManager &pm,
                                   CudaLoweringOptions &mapping,
                                   const CpuLoweringOptions &cpu);

/// The mapped GPU IR -> NVVM -> PTX embedded as a gpu.binary (one object
/// per architecture of `chip`, in its order), and host code launching it
/// through the mgpu* ABI in the LLVM dialect
/// (`--kiln-cuda-to-llvm-pipeline`).
void buildCudaToLlvmPipeline(OpPassManager &pm,
                             const CudaLoweringOptions &options);

/// The PTX ISA version (an LLVM NVPTX feature, "+ptx70") that `chip`
/// ("sm_80") needs at least, or "" for an architecture kiln does not know.
std::string ptxFeaturesFor(llvm::StringRef chip);

/// Registers codegen's passes and pipelines with the global registry.
void registerCodegenPipelines();

} // namespace kiln
} // namespace mlir

#endif // KILN_CODEGEN_PASSES_H
