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

#include "frontend/common/ImportedModel.h"

#include "llvm/ADT/StringRef.h"

#include <optional>
#include <string>

namespace llvm {
class Function;
class Module;
} // namespace llvm

namespace mlir::kiln {

/// The logical signature of @predict: parameters, inputs and outputs as the
/// descriptor lists them (dims[0] == -1 for a dynamic batch).
struct TensorSignature {
  std::string name;
  llvm::SmallVector<int64_t> dims;
};
/// What the training descriptor (kiln_train_desc_t) records.
struct TrainingSignature {
  std::string loss;
  bool fromLogits = false;
  std::string optimizer;
  llvm::SmallVector<std::pair<std::string, double>> hyper;
  /// (name the user gave, resolved Keras function)
  llvm::SmallVector<std::pair<std::string, std::string>> metrics;
  llvm::SmallVector<TensorSignature> targets;
  llvm::SmallVector<TensorSignature> slots;
};

struct ModelSignature {
  llvm::SmallVector<TensorSignature> inputs;
  llvm::SmallVector<TensorSignature> outputs;
  /// Set when the module also holds @train_step and @eval_step.
  std::optional<TrainingSignature> training;
};

/// Reads the input/output signature off @predict in `model.module` (kiln or
/// tensor level, before bufferization).
ModelSignature getModelSignature(const ImportedModel &model);

/// Emits `void entryName(int64_t batch, void *const *buffers)` calling the
/// lowered `implName`, whose memref arguments are, in order, one row-major
/// buffer per entry of `bufferDims` (dims[0] == -1 takes `batch`). The entry
/// is internal unless `exported`. Returns null with `error` set when
/// `implName` is missing or its arguments do not match.
llvm::Function *emitEntryWrapper(llvm::Module &module, llvm::StringRef implName,
                                 llvm::StringRef entryName,
                                 llvm::ArrayRef<llvm::SmallVector<int64_t>> bufferDims,
                                 bool exported, std::string &error);

/// Emits the weights blob, the entry wrapper around `implName` (the lowered
/// @predict, made internal) and the descriptor into `module`. Returns false
/// with `error` set if the lowered function's ABI is not the expected one.
bool emitModelAbi(llvm::Module &module, const ImportedModel &model,
                  const ModelSignature &signature, llvm::StringRef implName,
                  std::string &error);

} // namespace mlir::kiln

#endif // KILN_CODEGEN_ABI_MODELABI_H
