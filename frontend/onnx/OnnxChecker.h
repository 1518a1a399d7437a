//===- OnnxChecker.h - onnx::checker without exceptions ---------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// libonnx's checker reports problems by throwing; kiln is built without
// exceptions, so the one translation unit that calls it (with -fexceptions)
// turns them into a message.
//
// The libonnx kiln links (Debian 12's, ONNX 1.12) knows IR version 8 and
// opsets up to 17. A newer model (PyTorch's exporter writes IR 10 and opset
// 18 on) gets the same checks but through a schema registry that answers
// the ops kiln imports with an op version libonnx knows (`libonnxKnows`)
// with libonnx's schema, and every other op with a schema that takes any
// inputs and attributes: the importer checks those nodes itself
// (OpKind::maxInputs, the attributes each handler lists) or refuses them
// (an op kiln does not import at that opset).
//===----------------------------------------------------------------------===//

#ifndef KILN_FRONTEND_ONNX_ONNXCHECKER_H
#define KILN_FRONTEND_ONNX_ONNXCHECKER_H

#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <string>

namespace onnx {
class ModelProto;
} // namespace onnx

namespace mlir::kiln::onnx_import {

/// The last IR version and default-domain opset libonnx's checker knows.
int64_t checkerIrVersion();
int64_t checkerLastOpset();

/// Checks `model`, read from `path` (external data is resolved next to
/// it), at its default-domain `opset`; the checker's message, or "" when
/// the model is valid. `libonnxKnows(op)` is true for the ops that kiln
/// imports at `opset` with a handler of an op version libonnx knows.
std::string
checkOnnxModel(const onnx::ModelProto &model, llvm::StringRef path,
               int64_t opset,
               llvm::function_ref<bool(llvm::StringRef)> libonnxKnows);

} // namespace mlir::kiln::onnx_import

#endif // KILN_FRONTEND_ONNX_ONNXCHECKER_H
