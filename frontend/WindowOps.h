//===- WindowOps.h - Window-op formulas both importers share ----*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Convolutions, poolings and resampling blocks that kiln has no single op
// for, written once over its ops (channels-last, KilnOps.td) for the Keras
// and ONNX importers alike: grouped and transposed convolution, the average
// pooling whose divisor counts the input elements (or the padded ones) in
// each window, constant padding, nearest-neighbour repetition and the
// linear maps of resizing (ONNX Resize, Keras Resizing).
//===----------------------------------------------------------------------===//

#ifndef KILN_FRONTEND_WINDOWOPS_H
#define KILN_FRONTEND_WINDOWOPS_H

#include "dialects/kiln/IR/KilnDialect.h"

#include "mlir/IR/Builders.h"

#include <string>
#include <vector>

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

/// The transposed convolution of channels-last `x` (N, S..., C) with
/// `kernel` (C, K..., F / groups) in `groups` groups, to output sizes
/// `out`: the adjoint of the convolution over `out` with geometry `g` (the
/// window is K...). Input position i spreads x[n, i, j * Cg + c] *
/// kernel[j * Cg + c, k, f] onto output i * stride - padLow + k * dilation,
/// channel j * Fg + f; positions outside [0, out) are dropped. A negative
/// padLow / padHigh adds output positions that no window reaches (zeros):
/// ONNX's output_padding and output_shape. `checkConvTranspose` must hold.
/// Each row x @ W^T (a matmul; a product summed over the group's channels
/// when groups > 1) is folded into the output with `kiln.fold_patches`.
Value buildConvTranspose(OpBuilder &b, Location loc, Value x, Value kernel,
                         const WindowGeometry &g, ArrayRef<int64_t> out,
                         int64_t groups);

/// Whether the transposed convolution of `g` maps input sizes `in` onto
/// output sizes `out` (the forward convolution over `out` has exactly `in`
/// positions, and some output position is reached); failure with `reason`
/// otherwise.
LogicalResult checkConvTranspose(const WindowGeometry &g, ArrayRef<int64_t> in,
                                 ArrayRef<int64_t> out, std::string &reason);

/// Zeros shaped `shape` of `x`'s element type, whose dynamic batch (when
/// `shape` keeps x's leading dimension) is x's: `kiln.zeros`, or a
/// constant when the leading dimension differs (static shapes only).
Value buildZerosLike(OpBuilder &b, Location loc, Value x,
                     ArrayRef<int64_t> shape);

/// `x` with `before` and `after` elements concatenated along `axis` (a
/// static one): zeros, plus `fill` (a tensor broadcasting to the blocks,
/// such as a scalar) when given.
Value buildConstantPad(OpBuilder &b, Location loc, Value x, int64_t axis,
                       int64_t before, int64_t after, Value fill = {});

/// Every element of `x` repeated `factors[d]` times along each dimension d
/// (nearest-neighbour upsampling by integer factors; 1 leaves a dimension,
/// the dynamic batch included, as it is): x reshaped with a 1 after each
/// repeated dimension, broadcast to the factors, reshaped back.
Value buildRepeat(OpBuilder &b, Location loc, Value x,
                  ArrayRef<int64_t> factors);

/// How a resize maps output coordinates to input ones along an axis, and
/// the weights there (ONNX Resize's attributes; Keras's Resizing is ONNX's
/// half_pixel linear, or tf_half_pixel_for_nn nearest rounding down).
struct Interpolation {
  enum class Mode { Nearest, Linear, Cubic } mode = Mode::Nearest;
  std::string transform = "half_pixel";
  std::string nearest = "round_prefer_floor";
  double cubicA = -0.75;
  /// Linear and cubic downsampling stretch their filter by 1 / scale
  /// (ONNX Resize-18's antialias).
  bool antialias = false;
  bool excludeOutside = false;
  float extrapolation = 0;
};

/// One axis's map: per output position, the input positions it reads and
/// their weights (none for a position outside the input, which
/// tf_crop_and_resize extrapolates).
struct AxisMap {
  int64_t in = 0, out = 0;
  std::vector<SmallVector<std::pair<int64_t, double>, 4>> rows;
  std::vector<bool> outside;

  /// Whether output position o is input position i alone.
  bool reads(int64_t o, int64_t i) const {
    return !outside[o] && rows[o].size() == 1 && rows[o][0].first == i &&
           rows[o][0].second == 1.0;
  }
  bool isIdentity() const {
    if (in != out)
      return false;
    for (int64_t o = 0; o < out; ++o)
      if (!reads(o, o))
        return false;
    return true;
  }
  /// k when every input element is repeated k times, else 0.
  int64_t repeatFactor() const {
    if (out % in)
      return 0;
    int64_t k = out / in;
    for (int64_t o = 0; o < out; ++o)
      if (!reads(o, o / k))
        return 0;
    return k;
  }
};

/// The map of one axis of `in` elements resized to `out` at `scale` (the
/// given scale, or out / in for sizes), following ONNX's reference
/// interpolation (onnx/backend/test/case/node/resize.py); `outputWidth`,
/// `roiStart` and `roiEnd` serve align_corners and tf_crop_and_resize.
AxisMap buildAxisMap(const Interpolation &ip, int64_t in, int64_t out,
                     double scale, double outputWidth, double roiStart,
                     double roiEnd);

/// `x` with the matrix of `m` applied along `axis` (a static one): the
/// axis moved last, `kiln.matmul` with the (in, out) transpose of the map,
/// moved back.
Value applyAxisMap(OpBuilder &b, Location loc, Value x, int64_t axis,
                   const AxisMap &m);

} // namespace mlir::kiln

#endif // KILN_FRONTEND_WINDOWOPS_H
