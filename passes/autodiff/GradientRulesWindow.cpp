//===- GradientRulesWindow.cpp - Convolution and pooling VJPs ---*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Vector-Jacobian products of the sliding-window ops. A convolution is
// `P @ W2` with `P = extract_patches(x)` and `W2` the kernel as a
// (taps * C, F) matrix, so its rule is the matmul rule around the patches:
// the input gradient folds `g @ W2^T` back (col2im), the kernel gradient is
// `P^T @ g` over all rows. extract_patches and fold_patches are each
// other's adjoint; max_pool's gradient is `kiln.max_pool_grad`.
// `g` is the gradient with respect to the op's result (conventions: the
// `rule` comment in GradientBuilder.h).
//===----------------------------------------------------------------------===//

#include "passes/autodiff/GradientBuilder.h"

namespace mlir::kiln {
using Grads = SmallVectorImpl<Value>;

// conv(x, W) = P @ W2: dx = fold(g @ W2^T), dW = reshape(P^T @ g)
static void rule(ConvOp op, GradientBuilder &m, Value g, Grads &d) {
  OpBuilder &b = m.builder();
  Location loc = m.location();
  WindowGeometry geometry = op.getGeometry();
  bool pointwise = geometry.isPointwise();
  Value x = op.getInput();
  RankedTensorType kernelType = op.getKernel().getType();
  Value matrix = m.reshape(
      op.getKernel(), RankedTensorType::get({kernelType.getNumElements() /
                                                 kernelType.getShape().back(),
                                             kernelType.getShape().back()},
                                            kernelType.getElementType()));
  Value matrixT = m.transpose(matrix, {1, 0});
  Value dPatches = m.matmul(g, matrixT);
  d.push_back(pointwise
                  ? dPatches
                  : FoldPatchesOp::create(b, loc, dPatches, x, geometry.window,
                                          geometry.strides, geometry.dilations,
                                          geometry.padLow, geometry.padHigh)
                        .getResult());
  Value patches =
      pointwise ? x
                : ExtractPatchesOp::create(b, loc, x, geometry.window,
                                           geometry.strides, geometry.dilations,
                                           geometry.padLow, geometry.padHigh)
                      .getResult();
  Value patchRows = m.rows(patches);
  Value gRows = m.rows(g);
  Value dMatrix = m.matmul(m.transpose(patchRows, {1, 0}), gRows);
  d.push_back(m.reshape(dMatrix, kernelType));
}

// extract_patches: fold the patch gradients back.
static void rule(ExtractPatchesOp op, GradientBuilder &m, Value g, Grads &d) {
  d.push_back(FoldPatchesOp::create(
      m.builder(), m.location(), g, op.getInput(), op.getWindow(),
      op.getStrides(), op.getDilations(), op.getPadLow(), op.getPadHigh()));
}
// fold_patches: extract the gradient's patches; `like` only lends a shape.
static void rule(FoldPatchesOp op, GradientBuilder &m, Value g, Grads &d) {
  d.push_back(ExtractPatchesOp::create(
      m.builder(), m.location(), g, op.getWindow(), op.getStrides(),
      op.getDilations(), op.getPadLow(), op.getPadHigh()));
  d.push_back(Value());
}
// max_pool: each window's gradient to its first maximal element.
static void rule(MaxPoolOp op, GradientBuilder &m, Value g, Grads &d) {
  d.push_back(MaxPoolGradOp::create(m.builder(), m.location(), op.getInput(), g,
                                    op.getWindow(), op.getStrides(),
                                    op.getPadLow(), op.getPadHigh()));
}

} // namespace mlir::kiln

void mlir::kiln::registerWindowGradientRules(DialectRegistry &registry) {
  addVjpRules<ConvOp, ExtractPatchesOp, FoldPatchesOp, MaxPoolOp>(registry);
}
