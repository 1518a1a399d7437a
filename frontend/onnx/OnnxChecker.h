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
// each op with the newest schema libonnx has for it, or, for the ops that
// kiln imports in a version newer than libonnx (`newerOp`), with a schema
// that takes any inputs and attributes: the importer checks those nodes
// itself (OpKind::maxInputs, the attributes each handler lists).
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
/// the model is valid. `newerOp(op)` is true for the ops whose node at
/// `opset` kiln imports with a handler of an op version newer than
/// libonnx's.
std::string checkOnnxModel(const onnx::ModelProto &model, llvm::StringRef path,
                           int64_t opset,
                           llvm::function_ref<bool(llvm::StringRef)> newerOp);

} // namespace mlir::kiln::onnx_import

#endif // KILN_FRONTEND_ONNX_ONNXCHECKER_H
