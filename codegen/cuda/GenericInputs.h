//===- GenericInputs.h - Adding inputs to a linalg.generic ------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// The CUDA passes that run on buffers before workspace allocation give a
// generic a new input: a scalar its body loaded from the host
// (ScalarOperands.cpp), or the partial-sum buffer of a split matrix product
// (MapToGpu.cpp). As an operand, the buffer is read or written inside the
// kernel, and the workspace allocator sees the use.
//===----------------------------------------------------------------------===//

#ifndef KILN_CODEGEN_CUDA_GENERICINPUTS_H
#define KILN_CODEGEN_CUDA_GENERICINPUTS_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"

namespace mlir::kiln {

/// Replaces `generic` by one with `value` as its last input, read through
/// `map` (over the generic's loops), and returns it with the new block
/// argument. The body and the discardable attributes move over.
std::pair<linalg::GenericOp, BlockArgument>
appendGenericInput(linalg::GenericOp generic, Value value, AffineMap map);

} // namespace mlir::kiln

#endif // KILN_CODEGEN_CUDA_GENERICINPUTS_H
