//===- GradientBuilder.h - Building kiln math in gradient rules -*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// `GradientBuilder` lets a VJP rule read like the math: `g * y * (one - y)`
// becomes `mul(mul(g, y), sub(one, y))` with result types (NumPy broadcast
// shapes) inferred. Everything it builds is ordinary kiln IR, so gradients
// are optimized and lowered like the forward pass.
//===----------------------------------------------------------------------===//

#ifndef KILN_PASSES_AUTODIFF_GRADIENTBUILDER_H
#define KILN_PASSES_AUTODIFF_GRADIENTBUILDER_H

#include "dialects/kiln/IR/KilnDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectRegistry.h"

namespace mlir::kiln {

/// Whether `value` is all zeros: zerosLike's (a zero constant, or a zero
/// scalar broadcast), a kiln.zeros, or a slice of one.
bool isZeros(Value value);

class GradientBuilder {
public:
  GradientBuilder(OpBuilder &builder, Location loc) : b(builder), loc(loc) {}

  OpBuilder &builder() { return b; }
  Location location() const { return loc; }

  /// A scalar constant of `like`'s element type.
  Value scalar(Value like, double value);

  Value add(Value lhs, Value rhs) { return binary<AddOp>(lhs, rhs); }
  Value sub(Value lhs, Value rhs) { return binary<SubOp>(lhs, rhs); }
  Value mul(Value lhs, Value rhs) { return binary<MulOp>(lhs, rhs); }
  Value div(Value lhs, Value rhs) { return binary<DivOp>(lhs, rhs); }
  Value neg(Value x) { return NegOp::create(b, loc, x); }
  Value exp(Value x) { return ExpOp::create(b, loc, x); }
  Value erf(Value x) { return ErfOp::create(b, loc, x); }
  Value step(Value x) { return StepOp::create(b, loc, x); }
  Value sign(Value x) { return SignOp::create(b, loc, x); }
  Value sigmoid(Value x) { return SigmoidOp::create(b, loc, x); }

  Value matmul(Value lhs, Value rhs);
  Value transpose(Value x, ArrayRef<int64_t> permutation);
  /// reshape(x) to `type`'s shape (element type kept).
  Value reshape(Value x, RankedTensorType type);
  /// x of rank >= 2 as a matrix of rows: its leading dimensions merge
  /// (into the batch when it is dynamic), the last one stays.
  Value rows(Value x);
  /// broadcast_to(x, shape(reference)).
  Value broadcast(Value x, Value reference);
  /// reduce_sum over `axes` (normalized, sorted).
  Value reduceSum(Value x, ArrayRef<int64_t> axes, bool keepDims);
  /// Sums a gradient at a broadcast shape back to `type`'s shape.
  Value sumToShape(Value grad, RankedTensorType type);
  /// Zeros shaped like `like`.
  Value zerosLike(Value like);
  /// Zeros of a static shape.
  Value zeros(RankedTensorType type);
  /// The sum of two gradients of one value, `acc + g`. When both are
  /// concatenations along one axis with zeros among their parts (the
  /// gradients of slices of the value: an LSTM's four gates), the sum is
  /// taken range by range, a zero part adding nothing: the gradient of a
  /// value split into slices is the concatenation of theirs, not a sum of
  /// zero-padded copies. When either is a step scattered into zeros (a
  /// sequence_step's gradient), it is added into that step of the other:
  /// sequence_insert(sequence_step(other, t) + step, other, t).
  Value accumulate(Value acc, Value g);

private:
  template <typename OpTy> Value binary(Value lhs, Value rhs);

  OpBuilder &b;
  Location loc;
};

/// Binds the VJP rule of `OpTy` to it as its GradientOpInterface. The rule is
/// a function `rule(OpTy, GradientBuilder &, Value g,
/// SmallVectorImpl<Value> &operandGrads)` in namespace mlir::kiln (found by
/// argument-dependent lookup), one per op, in its op family's
/// GradientRules<Family>.cpp. It receives `g`, the gradient of the loss with
/// respect to the op's result, and appends one gradient per operand (null for
/// an operand that gets none), at the broadcast result shape: the generic
/// walk sums it back to the operand's shape. Rules name intermediate values
/// instead of nesting builder calls wherever two arguments would both build
/// ops: C++ leaves argument evaluation order unspecified, and the emitted IR
/// must not depend on the host compiler.
template <typename OpTy>
struct VjpModel
    : public GradientOpInterface::ExternalModel<VjpModel<OpTy>, OpTy> {
  LogicalResult buildVjp(Operation *op, OpBuilder &builder,
                         ValueRange resultGrads,
                         SmallVectorImpl<Value> &operandGrads) const {
    GradientBuilder m(builder, op->getLoc());
    rule(cast<OpTy>(op), m, resultGrads[0], operandGrads);
    return success();
  }
};

template <typename... OpTys> void attachVjpRules(MLIRContext *context) {
  (OpTys::template attachInterface<VjpModel<OpTys>>(*context), ...);
}

/// Registers the VJP rules of `OpTys`, attached when the kiln dialect loads:
/// the body of a family's `register<Family>GradientRules`.
template <typename... OpTys> void addVjpRules(DialectRegistry &registry) {
  registry.addExtension(+[](MLIRContext *context, KilnDialect *) {
    attachVjpRules<OpTys...>(context);
  });
}

/// Attaches every op family's VJP rules (GradientOpInterface) to the kiln
/// ops: calls each family's function below, the one list of them
/// (GradientRules.cpp).
void registerGradientRules(DialectRegistry &registry);

/// VJP rules of one op family (KilnOps.td's grouping), each defined in
/// passes/autodiff/GradientRules<Family>.cpp. kiln.constant has no operands
/// and so no rule.
void registerContractionGradientRules(DialectRegistry &registry);
void registerElementwiseBinaryGradientRules(DialectRegistry &registry);
void registerElementwiseUnaryGradientRules(DialectRegistry &registry);
void registerReductionGradientRules(DialectRegistry &registry);
void registerNormalizationGradientRules(DialectRegistry &registry);
void registerShapeGradientRules(DialectRegistry &registry);
void registerLossGradientRules(DialectRegistry &registry);
void registerRandomGradientRules(DialectRegistry &registry);
void registerWindowGradientRules(DialectRegistry &registry);
void registerSequenceGradientRules(DialectRegistry &registry);
void registerGatherGradientRules(DialectRegistry &registry);

} // namespace mlir::kiln

#endif // KILN_PASSES_AUTODIFF_GRADIENTBUILDER_H
