//===- OnnxImporter.h - ONNX model importer ---------------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Builds kiln IR from an ONNX model (`.onnx`, protobuf, read with Debian's
// libonnx and checked with `onnx::checker`; initializers may live in
// external data files next to the model). Opsets 7-17 of the default
// domain. Each node goes to the handler registered for its (op type,
// opset) (OnnxOps.h); float32 initializers become parameters (trainable
// unless frozen), graph inputs become model inputs, an unknown or symbolic
// first dimension becoming kiln's dynamic batch dimension.
//
// Also here: the TensorProto files that ONNX's test data and `kiln run`
// use for inputs and outputs.
//===----------------------------------------------------------------------===//

#ifndef KILN_FRONTEND_ONNX_ONNXIMPORTER_H
#define KILN_FRONTEND_ONNX_ONNXIMPORTER_H

#include "frontend/Import.h"
#include "frontend/onnx/OnnxOps.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Support/LLVM.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

namespace mlir::kiln::onnx_import {

/// Imports the ONNX model at `path`. On failure one error naming the file
/// (and the node and the problem) has been emitted on `context`.
FailureOr<ImportedModel> importOnnxModel(MLIRContext *context, StringRef path,
                                         const ImportOptions &options);

/// Prints the supported (op, opset range) table, one op per line, from the
/// importer's own dispatch table.
void printSupportedOps(llvm::raw_ostream &os);

/// What tools that sort and feed ONNX models need to know of one.
struct OnnxModelInfo {
  int64_t opset = -1;
  /// Graph inputs that are no initializers, in order (what test data
  /// sets' input_<i>.pb files feed), and the graph outputs.
  std::vector<std::string> inputs, outputs;
  /// The op types the graph uses (domain-qualified outside the default
  /// domain), each once, in order of appearance.
  std::vector<std::string> ops;
  /// Those without a handler at the model's opset ("Op"), and "opset N"
  /// when the opset itself is outside what kiln reads.
  std::vector<std::string> unsupported;
};

/// Reads and checks the model at `path` without importing it; failure
/// (after an error) when the file is no valid ONNX model.
FailureOr<OnnxModelInfo> inspectOnnxModel(MLIRContext *context, StringRef path);

/// The ONNX model at `path` with the initializers of `params` replaced by
/// `trained[i]` (the parameter's values as kiln holds them: in its stored
/// layout, which `ParamData::filePermutation` undoes), stored inline, and
/// serialized: `kiln export-weights` writing trained parameters back. An
/// error names an initializer that is missing or whose size differs.
llvm::Expected<std::string>
rewriteOnnxInitializers(StringRef path, ArrayRef<ParamData> params,
                        ArrayRef<const float *> trained);

/// Reads a serialized ONNX TensorProto (`input_0.pb`); errors name `path`.
FailureOr<HostTensor> readTensorFile(MLIRContext *context, StringRef path,
                                     std::string *name = nullptr);
/// `tensor` as a serialized TensorProto named `name`, in its element type
/// (int32, int64, bool; float32 for any other).
std::string serializeTensor(StringRef name, const HostTensor &tensor);

} // namespace mlir::kiln::onnx_import

#endif // KILN_FRONTEND_ONNX_ONNXIMPORTER_H
