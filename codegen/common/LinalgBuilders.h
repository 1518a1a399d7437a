//===- LinalgBuilders.h - Shared kiln -> linalg helpers ---------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// What more than one op family's lowering (codegen/common/<Family>ToLinalg.cpp)
// builds: float constants, `tensor.empty`s with dynamic sizes read from the
// operands, NumPy-broadcast indexing maps, parallel `linalg.generic`s, and
// `ElementwiseLowering`, the pattern of every elementwise op. A helper used by
// one family stays in that family's file.
//===----------------------------------------------------------------------===//

#ifndef KILN_CODEGEN_COMMON_LINALGBUILDERS_H
#define KILN_CODEGEN_COMMON_LINALGBUILDERS_H

#include "codegen/Passes.h"
#include "dialects/kiln/IR/KilnDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

namespace mlir::kiln::lowering {

/// A scalar `arith.constant` of float type `type`.
Value floatConst(OpBuilder &b, Location loc, Type type, double value);

/// A scalar constant of the same float (element) type as `like`.
Value constLike(OpBuilder &b, Location loc, Value like, double value);

/// A `tensor.empty` of `type` whose dynamic dimensions are read from
/// `sources`: dimension `i` comes from the first source whose trailing-aligned
/// dimension is dynamic too.
Value buildEmpty(OpBuilder &b, Location loc, RankedTensorType type,
                 ValueRange sources);

/// The indexing map that reads `operandType` broadcast to `resultType`
/// (trailing alignment; a static size-1 dimension against a larger one reads
/// index 0).
AffineMap broadcastMap(MLIRContext *ctx, RankedTensorType operandType,
                       RankedTensorType resultType);

/// Offsets, sizes and strides of the slice of `v` that is `[start, start +
/// size)` along `axis` and whole along every other dimension (dynamic sizes
/// read from `v`).
struct AxisSlice {
  SmallVector<OpFoldResult> offsets, sizes, strides;
  AxisSlice(OpBuilder &b, Location loc, Value v, int64_t axis,
            OpFoldResult start, int64_t size);
};

/// The iteration space of a reduction of `input` over `axes`: the result
/// shape (the dimensions not reduced), its dynamic sizes read from `input`,
/// the iterator types and the result's indexing map.
struct Reduction {
  SmallVector<int64_t> shape;
  SmallVector<Value> dynamicDims;
  SmallVector<utils::IteratorType> iterators;
  AffineMap inputMap, resultMap;
  Reduction(OpBuilder &b, Location loc, Value input, ArrayRef<int64_t> axes);
  /// A `tensor.empty` of the result shape filled with `value`.
  Value filled(OpBuilder &b, Location loc, TypedAttr value) const;
};

/// The reassociation that expands a reduction's result (the dimensions of
/// a rank-`rank` tensor but `reduced`) back to size-1 reduced dimensions:
/// each joins the group of its nearest kept dimension.
SmallVector<ReassociationIndices> keptDimGroups(int64_t rank,
                                                ArrayRef<int64_t> reduced);

using ScalarBody =
    function_ref<Value(OpBuilder &, Location, ValueRange /*scalars*/)>;

/// A parallel `linalg.generic` computing `body` over broadcast `inputs`.
Value buildElementwise(OpBuilder &b, Location loc, RankedTensorType resultType,
                       ValueRange inputs, ScalarBody body);

/// A parallel generic over `init`'s shape that reads `input` through
/// `inputMap` and yields `body(element)` (the element itself by default).
Value buildMapped(
    OpBuilder &b, Location loc, Value input, Value init, AffineMap inputMap,
    function_ref<Value(OpBuilder &, Location, Value)> body = nullptr);

/// Lowers an elementwise kiln op (unary or broadcasting binary) to a generic
/// whose body the subclass supplies through `scalar`. Reads the op only
/// through its result type and converted operands.
template <typename OpTy>
struct ElementwiseLowering : public OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;
  using Adaptor = typename OpConversionPattern<OpTy>::OpAdaptor;

  virtual Value scalar(OpTy op, OpBuilder &b, Location loc,
                       ValueRange args) const = 0;

  LogicalResult
  matchAndRewrite(OpTy op, Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    Value result =
        buildElementwise(rewriter, op.getLoc(), type, adaptor.getOperands(),
                         [&](OpBuilder &b, Location loc, ValueRange args) {
                           return scalar(op, b, loc, args);
                         });
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace mlir::kiln::lowering

/// A one-line elementwise lowering `NAME` of `OP`: `BODY` computes the scalar
/// result from `args` (and may read `op`'s attributes).
#define KILN_ELEMENTWISE_LOWERING(NAME, OP, BODY)                              \
  struct NAME : public ::mlir::kiln::lowering::ElementwiseLowering<OP> {       \
    using ElementwiseLowering::ElementwiseLowering;                            \
    Value scalar(OP op, OpBuilder &b, Location loc,                            \
                 ValueRange args) const override {                             \
      (void)op;                                                                \
      BODY                                                                     \
    }                                                                          \
  };

#endif // KILN_CODEGEN_COMMON_LINALGBUILDERS_H
