//===- RunCommand.h - kiln run: compile in memory, run once -----*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// `kiln run MODEL --input FILE ...` compiles a model in memory (the ORC JIT,
// codegen/cpu/ModelJit.h: the pipelines and ABI of `kiln compile`), runs its
// predict entry once on the given inputs, and writes the outputs (or prints
// a short summary of each). Inputs and outputs are `.npy` files or ONNX
// TensorProto `.pb` files, by extension.
//===----------------------------------------------------------------------===//

#ifndef KILN_TOOLS_KILN_RUNCOMMAND_H
#define KILN_TOOLS_KILN_RUNCOMMAND_H

#include "frontend/Import.h"

#include "mlir/IR/MLIRContext.h"

#include <string>
#include <vector>

namespace mlir::kiln {

struct RunOptions {
  /// One file per model input, in the model's input order (an ONNX
  /// graph's inputs that are no initializers).
  std::vector<std::string> inputs;
  /// None (print a summary) or one file per model output.
  std::vector<std::string> outputs;
  /// --weights, --seed, --input-shape.
  ImportOptions import;
  std::string targetCpu;
};

/// Runs `modelPath` once; the process exit status (errors printed).
int runModelOnce(MLIRContext &ctx, llvm::StringRef modelPath,
                 const RunOptions &options);

} // namespace mlir::kiln

#endif // KILN_TOOLS_KILN_RUNCOMMAND_H
