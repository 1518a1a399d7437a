//===- Einsum.h - Einsum over kiln ops, for both importers ------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// NumPy's einsum written with kiln's ops, two operands at a time from the
// left: the labels one operand alone carries are summed first, then the two are
// brought to (batch, rows, contracted) and (batch, contracted, columns) by
// transposes and reshapes, multiplied with kiln.matmul (no batch labels)
// or kiln.batch_matmul, and the product is reshaped and transposed to the
// output's labels. Keras's EinsumDense and MultiHeadAttention and ONNX's
// Einsum import through it; the ops it uses all have gradients, so the
// products train.
//===----------------------------------------------------------------------===//

#ifndef KILN_FRONTEND_EINSUM_H
#define KILN_FRONTEND_EINSUM_H

#include "mlir/IR/Builders.h"

#include <string>

namespace mlir::kiln {

/// An einsum equation with its ellipses expanded: each operand's labels
/// and the output's, one per dimension. Letters are their character codes;
/// the dimensions an ellipsis stands for get labels from 256 up, aligned
/// at the ellipsis's last dimension as NumPy broadcasts them.
struct EinsumEquation {
  SmallVector<SmallVector<int, 4>, 2> inputs;
  SmallVector<int, 4> output;
};

/// Parses `equation` ("ab,bc->ac", "...ij,...jk", "ij->") for operands of
/// `ranks` (one per operand). Without "->" the output is NumPy's implicit one: the ellipsis's
/// dimensions, then the letters that occur once, in alphabetical order.
/// Failure with `reason` for a malformed equation, a letter count that
/// does not match an operand's rank, or an output letter no operand has.
FailureOr<EinsumEquation> parseEinsum(StringRef equation,
                                      ArrayRef<int64_t> ranks,
                                      std::string &reason);

/// The einsum of one or more float `operands` (kiln's shapes: only the
/// leading dimension may be dynamic). Failure with `reason` when a label
/// repeats within one operand (a diagonal), labels disagree on a size, or
/// the output would place the dynamic dimension anywhere but first.
FailureOr<Value> buildEinsum(OpBuilder &b, Location loc,
                             const EinsumEquation &eq, ArrayRef<Value> operands,
                             std::string &reason);

} // namespace mlir::kiln

#endif // KILN_FRONTEND_EINSUM_H
