//===- KilnDialect.h - The kiln dialect -------------------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Declares the kiln dialect, its ops and its interfaces. Include this one
// header to use any of them.
//===----------------------------------------------------------------------===//

#ifndef KILN_DIALECTS_KILN_IR_KILNDIALECT_H
#define KILN_DIALECTS_KILN_IR_KILNDIALECT_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "dialects/kiln/IR/KilnOpsDialect.h.inc"

#include "dialects/kiln/IR/KilnInterfaces.h.inc"

namespace mlir::kiln {
struct WindowGeometry;
} // namespace mlir::kiln

#define GET_OP_CLASSES
#include "dialects/kiln/IR/KilnOps.h.inc"

namespace mlir::kiln {

/// Argument attribute naming the model parameter a function argument binds.
constexpr llvm::StringLiteral kParamAttrName = "kiln.param";
/// Argument attribute naming the model input a function argument binds.
constexpr llvm::StringLiteral kInputAttrName = "kiln.input";
/// Argument attribute marking a parameter the optimizer does not update
/// (Keras `trainable: false` layers and weights).
constexpr llvm::StringLiteral kNonTrainableAttrName = "kiln.non_trainable";
/// Argument attribute marking non-trainable state that a training-mode op
/// updates (BatchNormalization's moving statistics); implies non-trainable.
constexpr llvm::StringLiteral kStateAttrName = "kiln.state";
/// Argument attribute of a trainable parameter with a Keras weight
/// regularizer: {l1 = f64, l2 = f64}. The training and evaluation losses add
/// l1 * sum(|w|) + l2 * sum(w^2), as Keras adds `model.losses`.
constexpr llvm::StringLiteral kRegularizerAttrName = "kiln.regularizer";
/// Argument attribute of a trainable parameter with a Keras weight
/// constraint, applied to the parameter after each optimizer update:
/// {kind = "max_norm" | "min_max_norm" | "unit_norm" | "non_neg",
///  max_value, min_value, rate = f64 (as the kind uses them),
///  axes = array<i64> (the norm's axes; not for non_neg)}.
constexpr llvm::StringLiteral kConstraintAttrName = "kiln.constraint";
/// Function attribute: "training" for @train_step; mode-dependent ops in
/// functions without it take their inference form.
constexpr llvm::StringLiteral kModeAttrName = "kiln.mode";
/// Unit attribute of a mode-dependent op that takes its inference form in
/// every function, @train_step's too: a Keras layer called with
/// `training=False` (BatchNormalization normalizes by its moving
/// statistics, which it never updates; Dropout keeps everything).
constexpr llvm::StringLiteral kInferenceOnlyAttrName = "kiln.inference_only";
/// Result attribute naming the model output a function result produces.
constexpr llvm::StringLiteral kOutputAttrName = "kiln.output";

/// Returns the NumPy broadcast of `lhs` and `rhs`, or failure with `reason`
/// set to a message naming the offending dimension. A dynamic dimension is
/// taken to equal its counterpart.
FailureOr<SmallVector<int64_t>> broadcastShapes(ArrayRef<int64_t> lhs,
                                                ArrayRef<int64_t> rhs,
                                                std::string &reason);

/// The shape `kiln.gather_nd` picks from `data` with index tuples
/// `indices` (the last dimension: a tuple's length r) and `batchDims`
/// paired leading dimensions, indices.shape[:-1] + data.shape[b + r:]; the
/// slices `kiln.scatter_nd_add` adds. Failure sets `reason`. A dynamic
/// batch dimension is taken to equal its counterpart.
FailureOr<SmallVector<int64_t>> gatherNdShape(ArrayRef<int64_t> data,
                                              ArrayRef<int64_t> indices,
                                              int64_t batchDims,
                                              std::string &reason);

/// The sliding window of a kiln window op (conv, extract/fold_patches,
/// max_pool), per spatial dimension: see KilnOps.td's window section.
struct WindowGeometry {
  SmallVector<int64_t> window, strides, dilations, padLow, padHigh;

  /// The number of spatial dimensions.
  int64_t rank() const { return window.size(); }
  /// The number of taps of one window (the product of `window`).
  int64_t taps() const;
  /// True when each output position reads exactly its own input element
  /// (1-tap windows, stride 1, no padding): the patches are the input.
  bool isPointwise() const;
  /// The output positions along each spatial dimension of an input with
  /// spatial sizes `spatial`, or failure with `reason` naming the problem
  /// (attribute lengths, non-positive sizes, a window larger than the
  /// padded input).
  FailureOr<SmallVector<int64_t>> outputSizes(ArrayRef<int64_t> spatial,
                                              std::string &reason) const;
};

} // namespace mlir::kiln

#endif // KILN_DIALECTS_KILN_IR_KILNDIALECT_H
