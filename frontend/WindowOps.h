//===- WindowOps.h - Window-op formulas both importers share ----*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Convolutions and poolings that kiln has no single op for, written once
// over its window ops (channels-last, KilnOps.td) for the Keras and ONNX
// importers alike: grouped convolution, and the average pooling whose
// divisor counts the input elements (or the padded ones) in each window.
//===----------------------------------------------------------------------===//

#ifndef KILN_FRONTEND_WINDOWOPS_H
#define KILN_FRONTEND_WINDOWOPS_H

#include "dialects/kiln/IR/KilnDialect.h"

#include "mlir/IR/Builders.h"

namespace mlir::kiln {

/// A convolution of channels-last `x` (N, S..., C) with `kernel` (K..., C /
/// groups, F) in `groups` groups: group j's filters read only its channels,
/// out[n, o, j * Fg + f] = sum_{k, c} patch[n, o, k, j, c] * kernel[k, c,
/// j * Fg + f]. One group is plain `kiln.conv`.
Value buildGroupedConv(OpBuilder &b, Location loc, Value x, Value kernel,
                       const WindowGeometry &g, int64_t groups);

/// The average of each window of channels-last `x` (N, S..., C) at output
/// sizes `out`: the sum of its patches over the number of elements of the
/// window that lie in [-countLow, S + countHigh) per dimension (zeros:
/// the input elements only, Keras's rule and ONNX's default; the explicit
/// padding: ONNX's count_include_pad).
Value buildAveragePool(OpBuilder &b, Location loc, Value x,
                       const WindowGeometry &g, ArrayRef<int64_t> out,
                       ArrayRef<int64_t> countLow, ArrayRef<int64_t> countHigh);

} // namespace mlir::kiln

#endif // KILN_FRONTEND_WINDOWOPS_H
