//===- CudaTarget.h - The GPU part of a model object ------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// `kiln compile --target cuda`: the fused linalg of every entry, lowered by
// buildCudaMappingPipeline and buildCudaToLlvmPipeline, becomes PTX (one
// gpu.binary) and host entries that launch it; here that host module is
// translated to LLVM IR for the CPU's target machine, its entries renamed
// and wrapped (kiln_gpu_desc_t), ready to be linked into the CPU module.
//===----------------------------------------------------------------------===//

#ifndef KILN_CODEGEN_CUDA_CUDATARGET_H
#define KILN_CODEGEN_CUDA_CUDATARGET_H

#include "codegen/abi/ModelAbi.h"
#include "codegen/cpu/CpuTarget.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <string>

namespace mlir {
class DialectRegistry;
namespace kiln {

/// The PTX architectures kiln generates code for ("sm_70" ... "sm_120").
bool isKnownGpuArch(llvm::StringRef arch);

/// Whether the known architecture `arch` has the TF32 and BF16 mma.sync of
/// --gpu-precision (sm_80 and newer).
bool hasTf32AndBf16Mma(llvm::StringRef arch);

/// Registers what the CUDA pipelines and their translation need: the NVVM
/// target (PTX from LLVM's NVPTX backend) and the gpu/nvvm translations.
void registerCudaTranslations(DialectRegistry &registry);

/// The PTX objects of the lowered `module`'s gpu.binary, one per
/// architecture in the order of the pipeline's `chip` list, or an error
/// (also when one calls a function nothing defines).
llvm::Expected<llvm::SmallVector<GpuPtx>> extractPtx(ModuleOp module);

/// Translates the lowered CUDA `module` (host code in the LLVM dialect plus
/// the gpu.binary, whose first object the host code embeds) to LLVM IR for
/// `target`, with the GPU entry wrappers and kiln_gpu_desc_t of emitGpuAbi
/// listing `ptx` and the kernels' `matmulPrecision` (--gpu-precision).
llvm::Expected<std::unique_ptr<llvm::Module>>
translateGpuModel(ModuleOp module, llvm::LLVMContext &context,
                  const ImportedModel &model, const ModelSignature &signature,
                  llvm::ArrayRef<GpuPtx> ptx, const CpuTarget &target,
                  llvm::StringRef matmulPrecision);

} // namespace kiln
} // namespace mlir

#endif // KILN_CODEGEN_CUDA_CUDATARGET_H
