//===- ModelAbi.h - Model descriptor and C entry points ---------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Adds to a translated LLVM module what makes it a kiln model object
// (DESIGN.md contracts 1-3): the weights blob, the `kiln_model_descriptor`
// constant of runtime/include/kiln/model.h, and the C entry point
// `void(int64_t batch, void *const *buffers)` that unpacks caller-owned
// buffers into the memref arguments of the lowered @predict.
//===----------------------------------------------------------------------===//

#ifndef KILN_CODEGEN_ABI_MODELABI_H
#define KILN_CODEGEN_ABI_MODELABI_H

#include "dialects/kiln/Model/ImportedModel.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <optional>
#include <string>

namespace llvm {
class Function;
class Module;
} // namespace llvm

namespace mlir::kiln {

/// Emits `int32_t entryName(int64_t batch, void *const *buffers, void
/// *workspace)` (kiln_entry_fn) calling the lowered `implName`, whose memref
/// arguments are, in order, one row-major buffer per entry of `bufferDims`
/// (dims[0] == -1 takes `batch`) and the workspace. The entry is internal
/// unless `exported`. An error when `implName` is missing or its arguments
/// do not match.
///
/// With `chunkRows` > 0 the entry calls `implName` on consecutive slices of
/// at most `chunkRows` rows of every batch-sized buffer (whose elements
/// take `elementBytes[i]` bytes) until the batch is done: only valid when
/// each row's results depend on that row alone (inference), and the way to
/// keep a large batch's intermediates in the cache.
llvm::Expected<llvm::Function *> emitEntryWrapper(
    llvm::Module &module, llvm::StringRef implName, llvm::StringRef entryName,
    llvm::ArrayRef<llvm::SmallVector<int64_t>> bufferDims, bool exported,
    int64_t chunkRows = 0, llvm::ArrayRef<int64_t> elementBytes = {});

/// Rows per call of the predict entry (0: the whole batch at once) for a
/// model whose one row needs `rowBytes` of workspace, input and output: a
/// chunk's intermediates stay within the shared L3 cache, and each of
/// its parallel loops has work enough for all threads.
int64_t predictChunkRows(int64_t rowBytes);

/// kiln_tensor_desc_t::flags of a parameter (KILN_TENSOR_NON_TRAINABLE,
/// KILN_TENSOR_STATE), for compiled descriptors and the driver's in-memory
/// ones alike.
int64_t descriptorFlags(const ParamData &param);

/// kiln_tensor_desc_t::dtype of a model input or output: KILN_DTYPE_F32,
/// KILN_DTYPE_I32/I64 for integers, KILN_DTYPE_BOOL for booleans.
int32_t descriptorDtype(const TensorSignature &tensor);

/// Emits the weights blob, the entry wrapper around `implName` (the lowered
/// @predict, made internal) and the descriptor into `module`. An error if
/// the lowered function's ABI is not the expected one.
llvm::Error emitModelAbi(llvm::Module &module, const ImportedModel &model,
                         const ModelSignature &signature,
                         llvm::StringRef implName);

/// The name of the kiln_gpu_desc_t global that emitGpuAbi emits and
/// emitModelAbi points the descriptor's `cuda` field at, when present.
inline constexpr llvm::StringLiteral kGpuDescriptorName = "kiln_gpu_descriptor";

/// One PTX of a model's GPU kernels.
struct GpuPtx {
  std::string arch; // "sm_80"
  std::string text;
};

/// Emits the GPU entry wrappers around the lowered `<implPrefix>predict`,
/// `train_step` and `eval_step` of the CUDA host code (each that exists)
/// and their kiln_gpu_desc_t, named kGpuDescriptorName: `ptx[0]` is the
/// PTX the host code embeds already (only its architecture is recorded),
/// the others become `more_ptx`.
llvm::Error emitGpuAbi(llvm::Module &module, const ImportedModel &model,
                       const ModelSignature &signature,
                       llvm::ArrayRef<GpuPtx> ptx, llvm::StringRef implPrefix,
                       llvm::StringRef matmulPrecision);

/// Removes the kiln.* argument and result attributes (parameters, inputs,
/// outputs) that LLVM does not know, before the CPU lowering: the ABI has
/// been read from them by then (getModelSignature).
void stripAbiAttributes(ModuleOp module);

} // namespace mlir::kiln

#endif // KILN_CODEGEN_ABI_MODELABI_H
