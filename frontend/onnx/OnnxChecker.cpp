//===- OnnxChecker.cpp - onnx::checker without exceptions -------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Compiled with -fexceptions (CMakeLists.txt): the only place kiln catches.
//===----------------------------------------------------------------------===//

#include "frontend/onnx/OnnxChecker.h"

#include "onnx/checker.h"

#include <exception>

std::string
mlir::kiln::onnx_import::checkOnnxModel(const onnx::ModelProto &model,
                                        llvm::StringRef path) {
  try {
    // External data is checked relative to the model's folder, which only
    // the path form of the checker knows.
    bool external = false;
    for (const auto &init : model.graph().initializer())
      external |= init.data_location() == onnx::TensorProto::EXTERNAL;
    if (external)
      onnx::checker::check_model(path.str());
    else
      onnx::checker::check_model(model);
  } catch (const std::exception &e) {
    std::string message = e.what();
    // The checker appends a multi-line context dump; the first line says
    // what is wrong.
    size_t newline = message.find('\n');
    if (newline != std::string::npos)
      message.resize(newline);
    return message.empty() ? "rejected by onnx::checker" : message;
  } catch (...) {
    return "rejected by onnx::checker";
  }
  return "";
}
