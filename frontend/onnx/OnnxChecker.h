//===- OnnxChecker.h - onnx::checker without exceptions ---------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// libonnx's checker reports problems by throwing; kiln is built without
// exceptions, so the one translation unit that calls it (with -fexceptions)
// turns them into a message.
//===----------------------------------------------------------------------===//

#ifndef KILN_FRONTEND_ONNX_ONNXCHECKER_H
#define KILN_FRONTEND_ONNX_ONNXCHECKER_H

#include "llvm/ADT/StringRef.h"

#include <string>

namespace onnx {
class ModelProto;
} // namespace onnx

namespace mlir::kiln::onnx_import {

/// Runs onnx::checker::check_model on `model`, read from `path` (external
/// data is resolved next to it); the checker's message, or "" when the
/// model is valid.
std::string checkOnnxModel(const onnx::ModelProto &model, llvm::StringRef path);

} // namespace mlir::kiln::onnx_import

#endif // KILN_FRONTEND_ONNX_ONNXCHECKER_H
