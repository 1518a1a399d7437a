//===- Pipelines.cpp - codegen pass pipelines -------------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// One function per codegen stage, each a flat list of passes: kiln ->
// linalg on tensors (shared by every target), then one pipeline per target.
// This is the only place that orders codegen passes.
//===----------------------------------------------------------------------===//

#include "codegen/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void mlir::kiln::buildLinalgPipeline(OpPassManager &pm) {
  pm.addNestedPass<func::FuncOp>(createLowerToLinalgPass());
  // Canonicalization folds `tensor.dim` of results to their inits, leaving
  // producers with the single use that elementwise fusion requires.
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addPass(createFuseElementwisePass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

/// Tensors -> buffers in the caller's workspace, the same for every target.
/// With `cuda` (a GPU; NULL for the CPU), scalars that generics read from
/// buffers become their operands, matrix products with few output tiles
/// get partial sums (split-K) in the workspace, gathers (im2col) and zero
/// fills fold into the products that read them, neighbouring
/// elementwise ops merge (one kernel per optimizer update; independent
/// ones, such as the updates of all parameters, into one parallel loop),
/// and neighbouring ops over the same rows (a loss's, a pooling's
/// gradient) run as one loop over the rows.
static void buildBufferPipeline(OpPassManager &pm,
                                const mlir::kiln::CudaLoweringOptions *cuda) {
  using namespace mlir::kiln;
  // Tensors -> buffers. Results become caller-owned out-params.
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  // Read-only arguments; loop-carried tensors stay in their buffers.
  pm.addNestedPass<func::FuncOp>(createPrepareBufferizationPass());
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  bufferization::BufferResultsToOutParamsPassOptions outParams;
  outParams.hoistStaticAllocs = true;
  outParams.hoistDynamicAllocs = true;
  outParams.modifyPublicFunctions = true;
  pm.addPass(bufferization::createBufferResultsToOutParamsPass(outParams));
  // Bufferization leaves identical views side by side, and copies of a
  // view onto its twin (an updated row written back where it was read):
  // one view each, and the copy goes.
  pm.addPass(createCSEPass());
  pm.addPass(createCanonicalizerPass());
  if (cuda) {
    pm.addNestedPass<func::FuncOp>(createVerifyBuffersPass());
    pm.addNestedPass<func::FuncOp>(createScalarOperandsPass());
    SplitKPassOptions splitK;
    splitK.matmulTile = cuda->matmulTile;
    splitK.matmulKStep = cuda->matmulKStep;
    splitK.targetBlocks = cuda->splitKTargetBlocks;
    splitK.maxSplits = cuda->splitKMaxSplits;
    // Tensor cores take square tiles, matmul-tile's or the wide ones
    // (kiln-cuda-map-to-gpu).
    bool fp32 = cuda->precision.getValue() == "fp32";
    splitK.narrowTiles = cuda->narrowTiles && fp32;
    splitK.wideTileMinTiles = cuda->wideTileMinTiles;
    splitK.smallTiles = cuda->smallTiles && fp32;
    pm.addNestedPass<func::FuncOp>(createSplitKPass(splitK));
    pm.addNestedPass<func::FuncOp>(createFuseIntoMatmulPass());
    pm.addNestedPass<func::FuncOp>(createMergeElementwisePass());
    pm.addNestedPass<func::FuncOp>(createMergeIndependentPass());
    // Copies (a recurrent layer's states carried and saved) as linalg ops
    // that fuse over rows with their neighbours.
    pm.addNestedPass<func::FuncOp>(createInlineCopiesPass());
    pm.addNestedPass<func::FuncOp>(createFuseRowsPass());
  }
  // Contract 2: scratch buffers live in the caller's workspace.
  pm.addPass(createWorkspaceAllocationPass());
  pm.addNestedPass<func::FuncOp>(createInlineCopiesPass());
}

void mlir::kiln::buildCpuLoweringPipeline(OpPassManager &pm,
                                          const CpuLoweringOptions &options) {
  buildBufferPipeline(pm, /*cuda=*/nullptr);
  buildCpuLoopsPipeline(pm, options);
}

void mlir::kiln::buildCpuLoopsPipeline(OpPassManager &pm,
                                       const CpuLoweringOptions &options) {
  // Bounded functions from here on: every later pass and LLVM take time
  // linear in the model.
  pm.addPass(createSegmentEntriesPass());

  // One function per loop nest or linalg op: LLVM's time stays linear in
  // the model, and the identical ops of repeated layers are lowered once.
  OutlineKernelsPassOptions outline;
  outline.parallelElements =
      options.parallelThreshold > 0 ? options.parallelElements : 0;
  pm.addPass(createOutlineKernelsPass(outline));
  // Loops and vectors.
  VectorizeMatmulPassOptions matmul;
  matmul.vectorWidth = options.vectorWidth;
  matmul.parallelThreshold = options.parallelThreshold;
  // Half of L2 for a packed block of B, half for the rows of A that stream
  // past it: a block of packM rows by packK steps.
  matmul.packThreshold = options.packThreshold;
  matmul.packM =
      std::max<int64_t>(options.packThreshold / (4 * matmul.packK), 1);
  pm.addNestedPass<func::FuncOp>(createVectorizeMatmulPass(matmul));
  VectorizeGenericPassOptions generic;
  generic.vectorWidth = options.vectorWidth;
  pm.addNestedPass<func::FuncOp>(createVectorizeGenericPass(generic));
  pm.addPass(createConvertLinalgToLoopsPass());
  pm.addNestedPass<func::FuncOp>(createApproximateMathPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());

  // To the LLVM dialect.
  pm.addPass(createConvertBufferizationToMemRefPass());
  pm.addPass(createLowerAffinePass());
  // Parallel loops run on libomp's threads: upstream's lowering outlines
  // each body and calls __kmpc_fork_call with a static schedule (a fixed
  // partition: results do not depend on the thread count).
  pm.addPass(createConvertSCFToOpenMPPass());
  // It wraps each body in a memref.alloca_scope, which must stay one block:
  // the bodies allocate nothing, and canonicalization inlines the scopes
  // before their loops become blocks.
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createConvertMathToLLVMPass());
  // Math without an LLVM intrinsic (erf, tanh) calls libm lane by lane:
  // vector ops that the vector lowering below turns into LLVM.
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createConvertVectorToLLVMPass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createConvertOpenMPToLLVMPass());
  pm.addPass(createUBToLLVMConversionPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  // Memref descriptors are built field by field and taken apart again at
  // every call: folded here, function by function, LLVM receives a third
  // of the IR (1000 layers: translation 1.0 -> 0.2 s, O3 2.3 -> 1.3 s).
  pm.addNestedPass<LLVM::LLVMFuncOp>(createCanonicalizerPass());
}

void mlir::kiln::buildCudaMappingPipeline(OpPassManager &pm,
                                          const CudaLoweringOptions &options) {
  buildBufferPipeline(pm, &options);
  // Kernels reach no libm or libdevice: transcendental functions as
  // polynomials, the rest (fma, sqrt, fabs, floor) as LLVM intrinsics that
  // NVPTX selects (buildCudaToLlvmPipeline).
  ApproximateMathPassOptions approximate;
  approximate.allFunctions = true;
  pm.addNestedPass<func::FuncOp>(createApproximateMathPass(approximate));
  MapToGpuPassOptions map;
  map.blockSize = options.blockSize;
  map.hostLoops = options.hostLoops;
  map.reverseHostOrder = options.reverseHostOrder;
  map.hostOrderGlobal = options.hostOrderGlobal;
  map.matmulTile = options.matmulTile;
  map.matmulKStep = options.matmulKStep;
  map.narrowTiles = options.narrowTiles;
  map.wideTileMinTiles = options.wideTileMinTiles;
  map.smallTiles = options.smallTiles;
  map.precision = options.precision;
  pm.addPass(createMapToGpuPass(map));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addNestedPass<gpu::GPUModuleOp>(createCheckBarriersPass());
}

void mlir::kiln::buildGpuMappingOnHostPipeline(OpPassManager &pm,
                                               CudaLoweringOptions &mapping,
                                               const CpuLoweringOptions &cpu) {
  mapping.hostLoops = true;
  buildCudaMappingPipeline(pm, mapping);
  buildCpuLoopsPipeline(pm, cpu);
}

std::string mlir::kiln::ptxFeaturesFor(llvm::StringRef chip) {
  // The first PTX ISA version of each architecture (PTX ISA, "Release
  // Notes"); later drivers JIT older PTX for newer GPUs.
  static const std::pair<llvm::StringLiteral, llvm::StringLiteral> table[] = {
      {"sm_70", "+ptx60"},  {"sm_75", "+ptx63"},  {"sm_80", "+ptx70"},
      {"sm_86", "+ptx71"},  {"sm_89", "+ptx78"},  {"sm_90", "+ptx78"},
      {"sm_90a", "+ptx80"}, {"sm_100", "+ptx86"}, {"sm_120", "+ptx87"},
  };
  for (const auto &[name, features] : table)
    if (chip == name)
      return features.str();
  return "";
}

void mlir::kiln::buildCudaToLlvmPipeline(OpPassManager &pm,
                                         const CudaLoweringOptions &options) {
  // Upstream's gpu-lower-to-nvvm-pipeline, with libdevice's functions
  // defined by kiln: kernels to NVVM and PTX by LLVM's NVPTX backend in
  // process (format "isa": no CUDA toolkit), the host to the LLVM dialect
  // with each gpu.launch_func an mgpu* call (runtime/gpu).
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  // One #nvvm.target per architecture, in order: gpu-module-to-binary
  // writes one PTX object for each.
  llvm::SmallVector<llvm::StringRef> chips;
  llvm::StringRef(options.chip).split(chips, ',');
  for (llvm::StringRef chip : chips) {
    GpuNVVMAttachTargetOptions target;
    target.chip = chip.str();
    target.features = ptxFeaturesFor(chip);
    target.optLevel = 3;
    pm.addPass(createGpuNVVMAttachTarget(target));
  }
  pm.addPass(createLowerAffinePass());
  pm.addPass(createArithToLLVMConversionPass());
  ConvertIndexToLLVMPassOptions index;
  index.indexBitwidth = 64;
  pm.addPass(createConvertIndexToLLVMPass(index));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  ConvertGpuOpsToNVVMOpsOptions kernels;
  kernels.indexBitwidth = 64;
  pm.addNestedPass<gpu::GPUModuleOp>(createConvertGpuOpsToNVVMOps(kernels));
  pm.addNestedPass<gpu::GPUModuleOp>(createDefineLibdevicePass());
  pm.addNestedPass<gpu::GPUModuleOp>(createCanonicalizerPass());
  pm.addNestedPass<gpu::GPUModuleOp>(createCSEPass());
  pm.addNestedPass<gpu::GPUModuleOp>(createReconcileUnrealizedCastsPass());
  pm.addPass(createGpuToLLVMConversionPass());
  GpuModuleToBinaryPassOptions binary;
  binary.compilationTarget = "isa";
  pm.addPass(createGpuModuleToBinaryPass(binary));
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
}

void mlir::kiln::registerCodegenPipelines() {
  registerCodegenPasses();
  PassPipelineRegistration<>(
      "kiln-lower-to-linalg-pipeline",
      "Lower kiln IR to fused linalg on tensors (both targets)",
      buildLinalgPipeline);
  PassPipelineRegistration<CpuLoweringOptions>(
      "kiln-lower-cpu-pipeline",
      "Lower linalg on tensors to the LLVM dialect for x86-64",
      buildCpuLoweringPipeline);
  PassPipelineRegistration<CudaLoweringOptions>(
      "kiln-lower-cuda-pipeline",
      "Lower linalg on tensors to GPU kernels launched from the host entries",
      buildCudaMappingPipeline);
  PassPipelineRegistration<CudaLoweringOptions>(
      "kiln-cuda-to-llvm-pipeline",
      "Lower mapped GPU IR to PTX (gpu.binary) and LLVM-dialect host code",
      buildCudaToLlvmPipeline);
}
