//===- LowerToLinalg.cpp - kiln ops to linalg on tensors --------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Lowers every kiln op to linalg/tensor/arith/math on tensors, the common
// entry of both targets' pipelines. Elementwise ops become `linalg.generic`s
// whose indexing maps encode NumPy broadcasting (a size-1 operand dimension
// reads index 0), so upstream elementwise fusion can merge them into chains
// (bias add + activation). Matmul becomes fill + `linalg.matmul`, softmax a
// max-reduce / exp / sum-reduce / divide sequence, reshape a collapse/expand
// pair through the flattened `[batch, features]` form.
//===----------------------------------------------------------------------===//

#include "codegen/Passes.h"
#include "dialects/kiln/IR/KilnDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

namespace mlir::kiln {
#define GEN_PASS_DEF_LOWERTOLINALGPASS
#include "codegen/Passes.h.inc"
} // namespace mlir::kiln

using namespace mlir;
using namespace mlir::kiln;

/// Builds a scalar constant of float type `type`.
static Value floatConst(OpBuilder &b, Location loc, Type type, double value) {
  return arith::ConstantOp::create(b, loc, b.getFloatAttr(type, value));
}

/// A constant of the same float type as `like`.
static Value constLike(OpBuilder &b, Location loc, Value like, double value) {
  return floatConst(b, loc, getElementTypeOrSelf(like.getType()), value);
}

/// A `tensor.empty` of `type` whose dynamic dimensions are read from
/// `sources`: dimension `i` comes from the first source whose trailing-aligned
/// dimension is dynamic too.
static Value buildEmpty(OpBuilder &b, Location loc, RankedTensorType type,
                        ValueRange sources) {
  SmallVector<Value> dynamicDims;
  int64_t rank = type.getRank();
  for (int64_t i = 0; i < rank; ++i) {
    if (!type.isDynamicDim(i))
      continue;
    Value dim;
    for (Value source : sources) {
      auto sourceType = cast<RankedTensorType>(source.getType());
      int64_t j = i - (rank - sourceType.getRank());
      if (j >= 0 && sourceType.isDynamicDim(j)) {
        dim = tensor::DimOp::create(b, loc, source, j);
        break;
      }
    }
    assert(dim && "verifier guarantees a dynamic source dimension");
    dynamicDims.push_back(dim);
  }
  return tensor::EmptyOp::create(b, loc, type.getShape(),
                                 type.getElementType(), dynamicDims);
}

/// The indexing map that reads `operandType` broadcast to `resultType`
/// (trailing alignment; a static size-1 dimension against a larger one reads
/// index 0).
static AffineMap broadcastMap(MLIRContext *ctx, RankedTensorType operandType,
                              RankedTensorType resultType) {
  int64_t rank = resultType.getRank(), operandRank = operandType.getRank();
  SmallVector<AffineExpr> exprs;
  for (int64_t j = 0; j < operandRank; ++j) {
    int64_t i = j + rank - operandRank;
    if (operandType.getDimSize(j) == 1 && resultType.getDimSize(i) != 1)
      exprs.push_back(getAffineConstantExpr(0, ctx));
    else
      exprs.push_back(getAffineDimExpr(i, ctx));
  }
  return AffineMap::get(rank, 0, exprs, ctx);
}

using ScalarBody =
    function_ref<Value(OpBuilder &, Location, ValueRange /*scalars*/)>;

/// A parallel `linalg.generic` computing `body` over broadcast `inputs`.
static Value buildElementwise(OpBuilder &b, Location loc,
                              RankedTensorType resultType, ValueRange inputs,
                              ScalarBody body) {
  MLIRContext *ctx = b.getContext();
  SmallVector<AffineMap> maps;
  for (Value input : inputs)
    maps.push_back(
        broadcastMap(ctx, cast<RankedTensorType>(input.getType()), resultType));
  maps.push_back(AffineMap::getMultiDimIdentityMap(resultType.getRank(), ctx));
  SmallVector<utils::IteratorType> iterators(resultType.getRank(),
                                             utils::IteratorType::parallel);
  Value init = buildEmpty(b, loc, resultType, inputs);
  auto generic = linalg::GenericOp::create(
      b, loc, resultType, inputs, init, maps, iterators,
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        Value result = body(nb, nloc, args.drop_back());
        linalg::YieldOp::create(nb, nloc, result);
      });
  return generic.getResult(0);
}

/// A parallel generic over `init`'s shape that reads `input` through
/// `inputMap` and yields `body(element)` (the element itself by default).
static Value buildMapped(
    OpBuilder &b, Location loc, Value input, Value init, AffineMap inputMap,
    function_ref<Value(OpBuilder &, Location, Value)> body = nullptr) {
  auto type = cast<RankedTensorType>(init.getType());
  SmallVector<utils::IteratorType> iterators(type.getRank(),
                                             utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, loc, type, input, init,
      ArrayRef<AffineMap>{inputMap, AffineMap::getMultiDimIdentityMap(
                                        type.getRank(), b.getContext())},
      iterators, [&](OpBuilder &nb, Location l, ValueRange args) {
        Value result = body ? body(nb, l, args[0]) : args[0];
        linalg::YieldOp::create(nb, l, result);
      });
  return generic.getResult(0);
}

namespace {

//===----------------------------------------------------------------------===//
// Elementwise ops
//===----------------------------------------------------------------------===//

/// Lowers an elementwise kiln op (unary or broadcasting binary) to a generic
/// whose body the subclass supplies through `scalar`.
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
    Value result = buildElementwise(
        rewriter, op.getLoc(), type, adaptor.getOperands(),
        [&](OpBuilder &b, Location loc, ValueRange args) {
          return scalar(op, b, loc, args);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// One-line lowerings: `BODY` computes the scalar result from `args`.
#define KILN_ELEMENTWISE(NAME, OP, BODY)                                       \
  struct NAME : public ElementwiseLowering<OP> {                               \
    using ElementwiseLowering::ElementwiseLowering;                            \
    Value scalar(OP op, OpBuilder &b, Location loc,                            \
                 ValueRange args) const override {                             \
      (void)op;                                                                \
      BODY                                                                     \
    }                                                                          \
  };

// lhs + rhs, lhs - rhs, lhs * rhs, lhs / rhs
KILN_ELEMENTWISE(AddLowering, AddOp,
                 return arith::AddFOp::create(b, loc, args[0], args[1]);)
KILN_ELEMENTWISE(SubLowering, SubOp,
                 return arith::SubFOp::create(b, loc, args[0], args[1]);)
KILN_ELEMENTWISE(MulLowering, MulOp,
                 return arith::MulFOp::create(b, loc, args[0], args[1]);)
KILN_ELEMENTWISE(DivLowering, DivOp,
                 return arith::DivFOp::create(b, loc, args[0], args[1]);)

// relu(x) = x > 0 ? x : 0 (unordered compare: NaN propagates like TF)
KILN_ELEMENTWISE(ReluLowering, ReluOp, {
  Value zero = constLike(b, loc, args[0], 0.0);
  Value positive = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UGT,
                                         args[0], zero);
  return arith::SelectOp::create(b, loc, positive, args[0], zero);
})
// sigmoid(x) = 1 / (1 + exp(-x))
KILN_ELEMENTWISE(SigmoidLowering, SigmoidOp, {
  Value one = constLike(b, loc, args[0], 1.0);
  Value e = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, args[0]));
  return arith::DivFOp::create(b, loc, one,
                               arith::AddFOp::create(b, loc, one, e));
})
KILN_ELEMENTWISE(TanhLowering, TanhOp,
                 return math::TanhOp::create(b, loc, args[0]);)
KILN_ELEMENTWISE(ExpLowering, ExpOp,
                 return math::ExpOp::create(b, loc, args[0]);)
KILN_ELEMENTWISE(LogLowering, LogOp,
                 return math::LogOp::create(b, loc, args[0]);)
KILN_ELEMENTWISE(ErfLowering, ErfOp,
                 return math::ErfOp::create(b, loc, args[0]);)
// step(x) = x > 0 ? 1 : 0
KILN_ELEMENTWISE(StepLowering, StepOp, {
  Value positive = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT,
                                         args[0], constLike(b, loc, args[0], 0));
  return arith::SelectOp::create(b, loc, positive, constLike(b, loc, args[0], 1),
                                 constLike(b, loc, args[0], 0));
})
// sign(x) = x > 0 ? 1 : (x < 0 ? -1 : 0)
KILN_ELEMENTWISE(SignLowering, SignOp, {
  Value zero = constLike(b, loc, args[0], 0);
  Value positive = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT,
                                         args[0], zero);
  Value negative = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT,
                                         args[0], zero);
  Value inner = arith::SelectOp::create(b, loc, negative,
                                        constLike(b, loc, args[0], -1), zero);
  return arith::SelectOp::create(b, loc, positive,
                                 constLike(b, loc, args[0], 1), inner);
})
// clip(x) = min(max(x, lo), hi); NaN stays NaN
KILN_ELEMENTWISE(ClipLowering, ClipOp, {
  Value lo = constLike(b, loc, args[0], op.getMin().convertToDouble());
  Value hi = constLike(b, loc, args[0], op.getMax().convertToDouble());
  return arith::MinimumFOp::create(
      b, loc, arith::MaximumFOp::create(b, loc, args[0], lo), hi);
})
KILN_ELEMENTWISE(NegLowering, NegOp,
                 return arith::NegFOp::create(b, loc, args[0]);)
KILN_ELEMENTWISE(AbsLowering, AbsOp,
                 return math::AbsFOp::create(b, loc, args[0]);)
KILN_ELEMENTWISE(SqrtLowering, SqrtOp,
                 return math::SqrtOp::create(b, loc, args[0]);)
// softplus(x) = max(x, 0) + log1p(exp(-|x|)), stable for large |x|
KILN_ELEMENTWISE(SoftplusLowering, SoftplusOp, {
  Value x = args[0];
  Value zero = constLike(b, loc, args[0], 0.0);
  Value relu = arith::MaxNumFOp::create(b, loc, x, zero);
  Value negAbs = arith::NegFOp::create(b, loc, math::AbsFOp::create(b, loc, x));
  Value tail = math::Log1pOp::create(b, loc, math::ExpOp::create(b, loc, negAbs));
  return arith::AddFOp::create(b, loc, relu, tail);
})
// gelu(x) = x * (1 + erf(x / sqrt(2))) / 2 (Keras's exact, approximate=False)
KILN_ELEMENTWISE(GeluLowering, GeluOp, {
  Value x = args[0];
  Value scaled = arith::MulFOp::create(b, loc, x, constLike(b, loc, args[0], M_SQRT1_2));
  Value erf = math::ErfOp::create(b, loc, scaled);
  Value onePlus = arith::AddFOp::create(b, loc, constLike(b, loc, args[0], 1.0), erf);
  Value half = arith::MulFOp::create(b, loc, x, constLike(b, loc, args[0], 0.5));
  return arith::MulFOp::create(b, loc, half, onePlus);
})

/// x > 0 ? scale * x : scale * alpha * expm1(x)
static Value buildElu(OpBuilder &b, Location loc, Value x, double alpha,
                      double scale) {
  Value zero = constLike(b, loc, x, 0.0);
  Value positive =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x, zero);
  Value negative = arith::MulFOp::create(b, loc, constLike(b, loc, x, alpha),
                                         math::ExpM1Op::create(b, loc, x));
  Value select = arith::SelectOp::create(b, loc, positive, x, negative);
  if (scale == 1.0)
    return select;
  return arith::MulFOp::create(b, loc, constLike(b, loc, x, scale), select);
}
KILN_ELEMENTWISE(EluLowering, EluOp,
                 return buildElu(b, loc, args[0],
                                 op.getAlpha().convertToDouble(), 1.0);)
// Keras's selu constants.
KILN_ELEMENTWISE(SeluLowering, SeluOp,
                 return buildElu(b, loc, args[0], 1.67326324235437728481,
                                 1.05070098735548049342);)

#undef KILN_ELEMENTWISE

//===----------------------------------------------------------------------===//
// Constants, contractions, normalizations, shapes
//===----------------------------------------------------------------------===//

// kiln.constant -> arith.constant
struct ConstantLowering : public OpConversionPattern<ConstantOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ConstantOp op, OpAdaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto value = dyn_cast<TypedAttr>(op.getValue());
    if (!value)
      return rewriter.notifyMatchFailure(op, "value is not a typed attribute");
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(op, value);
    return success();
  }
};

// matmul(A, B) -> linalg.matmul ins(A, B) outs(fill(0))
struct MatMulLowering : public OpConversionPattern<MatMulOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(MatMulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType type = op.getType();
    Value empty = buildEmpty(rewriter, loc, type, adaptor.getLhs());
    // buildEmpty aligns trailing dims; the batch dim of the result is lhs's.
    Value zero = constLike(rewriter, loc, empty, 0.0);
    Value init =
        linalg::FillOp::create(rewriter, loc, zero, empty).getResult(0);
    rewriter.replaceOpWithNewOp<linalg::MatmulOp>(
        op, TypeRange{type}, ValueRange{adaptor.getLhs(), adaptor.getRhs()},
        ValueRange{init});
    return success();
  }
};

/// A reduction of `input` over `axis` with `combine`, starting from `init`.
static Value buildAxisReduce(OpBuilder &b, Location loc, Value input,
                             int64_t axis, double init,
                             function_ref<Value(OpBuilder &, Location, Value,
                                                Value)>
                                 combine) {
  auto type = cast<RankedTensorType>(input.getType());
  MLIRContext *ctx = b.getContext();
  SmallVector<int64_t> shape(type.getShape());
  shape.erase(shape.begin() + axis);
  auto reducedType = RankedTensorType::get(shape, type.getElementType());
  SmallVector<Value> dynamicDims;
  for (int64_t i = 0; i < type.getRank(); ++i)
    if (i != axis && type.isDynamicDim(i))
      dynamicDims.push_back(tensor::DimOp::create(b, loc, input, i));
  Value empty = tensor::EmptyOp::create(b, loc, shape, type.getElementType(),
                                        dynamicDims);
  Value filled =
      linalg::FillOp::create(b, loc, constLike(b, loc, input, init), empty).getResult(0);
  AffineMap identity = AffineMap::getMultiDimIdentityMap(type.getRank(), ctx);
  AffineMap reduced = identity.dropResult(axis);
  SmallVector<utils::IteratorType> iterators(type.getRank(),
                                             utils::IteratorType::parallel);
  iterators[axis] = utils::IteratorType::reduction;
  auto generic = linalg::GenericOp::create(
      b, loc, reducedType, input, filled, ArrayRef<AffineMap>{identity, reduced},
      iterators, [&](OpBuilder &nb, Location nloc, ValueRange args) {
        linalg::YieldOp::create(nb, nloc, combine(nb, nloc, args[0], args[1]));
      });
  return generic.getResult(0);
}

/// A parallel generic over `input`'s shape combining each element with the
/// `reduced` value of its row along `axis`.
static Value buildWithReduced(OpBuilder &b, Location loc, Value input,
                              Value reduced, int64_t axis,
                              function_ref<Value(OpBuilder &, Location, Value,
                                                 Value)>
                                  body) {
  auto type = cast<RankedTensorType>(input.getType());
  MLIRContext *ctx = b.getContext();
  AffineMap identity = AffineMap::getMultiDimIdentityMap(type.getRank(), ctx);
  SmallVector<utils::IteratorType> iterators(type.getRank(),
                                             utils::IteratorType::parallel);
  Value empty = buildEmpty(b, loc, type, input);
  auto generic = linalg::GenericOp::create(
      b, loc, type, ValueRange{input, reduced}, empty,
      ArrayRef<AffineMap>{identity, identity.dropResult(axis), identity},
      iterators, [&](OpBuilder &nb, Location nloc, ValueRange args) {
        linalg::YieldOp::create(nb, nloc, body(nb, nloc, args[0], args[1]));
      });
  return generic.getResult(0);
}

/// exp(x - max(x)) along `axis`, and the max itself.
static std::pair<Value, Value> buildShiftedExp(OpBuilder &b, Location loc,
                                               Value x, int64_t axis) {
  Value max = buildAxisReduce(
      b, loc, x, axis, -std::numeric_limits<double>::infinity(),
      [](OpBuilder &nb, Location l, Value in, Value acc) -> Value {
        return arith::MaximumFOp::create(nb, l, in, acc);
      });
  Value e = buildWithReduced(
      b, loc, x, max, axis,
      [](OpBuilder &nb, Location l, Value in, Value m) -> Value {
        return math::ExpOp::create(nb, l, arith::SubFOp::create(nb, l, in, m));
      });
  return {e, max};
}

/// sum(v) along `axis`.
static Value buildAxisSum(OpBuilder &b, Location loc, Value v, int64_t axis) {
  return buildAxisReduce(
      b, loc, v, axis, 0.0,
      [](OpBuilder &nb, Location l, Value in, Value acc) -> Value {
        return arith::AddFOp::create(nb, l, in, acc);
      });
}

// softmax(x) = e / sum(e), e = exp(x - max(x)), along `axis`
struct SoftmaxLowering : public OpConversionPattern<SoftmaxOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(SoftmaxOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    int64_t axis = op.getNormalizedAxis();
    Value e = buildShiftedExp(rewriter, loc, adaptor.getInput(), axis).first;
    Value sum = buildAxisSum(rewriter, loc, e, axis);
    rewriter.replaceOp(
        op, buildWithReduced(
                rewriter, loc, e, sum, axis,
                [](OpBuilder &b, Location l, Value in, Value s) -> Value {
                  return arith::DivFOp::create(b, l, in, s);
                }));
    return success();
  }
};

// log_softmax(x) = x - max(x) - log(sum(exp(x - max(x)))), along `axis`
struct LogSoftmaxLowering : public OpConversionPattern<LogSoftmaxOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(LogSoftmaxOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    int64_t axis = op.getNormalizedAxis();
    Value x = adaptor.getInput();
    auto [e, max] = buildShiftedExp(rewriter, loc, x, axis);
    Value sum = buildAxisSum(rewriter, loc, e, axis);
    // shift = max + log(sum), per row.
    auto rowType = cast<RankedTensorType>(max.getType());
    Value shift = buildElementwise(
        rewriter, loc, rowType, ValueRange{max, sum},
        [](OpBuilder &b, Location l, ValueRange args) -> Value {
          return arith::AddFOp::create(b, l, args[0],
                                       math::LogOp::create(b, l, args[1]));
        });
    rewriter.replaceOp(
        op, buildWithReduced(
                rewriter, loc, x, shift, axis,
                [](OpBuilder &b, Location l, Value in, Value s) -> Value {
                  return arith::SubFOp::create(b, l, in, s);
                }));
    return success();
  }
};

/// The reassociation between a shape of rank `lowRank` and one of rank
/// `highRank` that agree on their first `keep` dimensions: the high shape's
/// remaining dimensions form the low shape's last group.
static SmallVector<ReassociationIndices>
tailReassociation(int64_t lowRank, int64_t highRank, int64_t keep) {
  SmallVector<ReassociationIndices> groups;
  for (int64_t i = 0; i < std::min(keep, lowRank); ++i)
    groups.push_back({i});
  ReassociationIndices tail;
  for (int64_t i = keep; i < highRank; ++i)
    tail.push_back(i);
  if (lowRank > keep)
    groups.push_back(tail);
  else if (!groups.empty())
    groups.back().append(tail.begin(), tail.end());
  return groups;
}

/// Reshapes `v` to `to`, which differs from its type only in the dimensions
/// after the first `keep`, one of them being the flat form.
static Value reshapeTail(OpBuilder &b, Location loc, Value v,
                         RankedTensorType to, int64_t keep) {
  auto from = cast<RankedTensorType>(v.getType());
  if (from == to)
    return v;
  int64_t lowRank = std::min(from.getRank(), to.getRank());
  int64_t highRank = std::max(from.getRank(), to.getRank());
  auto groups = tailReassociation(lowRank, highRank, keep);
  if (from.getRank() > to.getRank())
    return tensor::CollapseShapeOp::create(b, loc, to, v, groups);
  return tensor::ExpandShapeOp::create(b, loc, to, v, groups);
}

// reshape(x) -> expand(collapse(x)) through the flat form: [N] for static
// shapes, [batch, N] for batched ones.
struct ReshapeLowering : public OpConversionPattern<ReshapeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ReshapeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto inType = cast<RankedTensorType>(adaptor.getInput().getType());
    RankedTensorType outType = op.getType();
    bool batched = inType.getRank() > 0 && inType.isDynamicDim(0);
    int64_t keep = batched ? 1 : 0;
    int64_t count = 1;
    for (int64_t dim : inType.getShape().drop_front(keep))
      count *= dim;
    SmallVector<int64_t> flatShape;
    if (batched)
      flatShape.push_back(ShapedType::kDynamic);
    flatShape.push_back(count);
    auto flatType = RankedTensorType::get(flatShape, inType.getElementType());

    Value flat = reshapeTail(rewriter, loc, adaptor.getInput(), flatType, keep);
    Value result = reshapeTail(rewriter, loc, flat, outType, keep);
    rewriter.replaceOp(op, result);
    return success();
  }
};

// reduce_sum / reduce_mean -> a reduction generic (then / count for the
// mean), expanded back to size-1 dims for keep_dims.
template <typename OpTy, bool isMean>
struct ReduceLowering : public OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;
  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto inType = cast<RankedTensorType>(input.getType());
    SmallVector<int64_t> axes = op.getNormalizedAxes();
    int64_t rank = inType.getRank();
    auto isReduced = [&](int64_t i) { return llvm::is_contained(axes, i); };

    SmallVector<int64_t> shape;
    SmallVector<Value> dynamicDims;
    SmallVector<AffineExpr> outExprs;
    SmallVector<utils::IteratorType> iterators;
    for (int64_t i = 0; i < rank; ++i) {
      iterators.push_back(isReduced(i) ? utils::IteratorType::reduction
                                       : utils::IteratorType::parallel);
      if (isReduced(i))
        continue;
      shape.push_back(inType.getDimSize(i));
      outExprs.push_back(rewriter.getAffineDimExpr(i));
      if (inType.isDynamicDim(i))
        dynamicDims.push_back(tensor::DimOp::create(rewriter, loc, input, i));
    }
    auto reducedType = RankedTensorType::get(shape, inType.getElementType());
    Value empty = tensor::EmptyOp::create(rewriter, loc, shape,
                                          inType.getElementType(), dynamicDims);
    Value init = linalg::FillOp::create(rewriter, loc,
                                        constLike(rewriter, loc, input, 0.0),
                                        empty)
                     .getResult(0);
    MLIRContext *ctx = rewriter.getContext();
    AffineMap inMap = AffineMap::getMultiDimIdentityMap(rank, ctx);
    AffineMap outMap = AffineMap::get(rank, 0, outExprs, ctx);
    Value result =
        linalg::GenericOp::create(
            rewriter, loc, reducedType, input, init,
            ArrayRef<AffineMap>{inMap, outMap}, iterators,
            [](OpBuilder &b, Location l, ValueRange args) {
              Value sum = arith::AddFOp::create(b, l, args[0], args[1]);
              linalg::YieldOp::create(b, l, sum);
            })
            .getResult(0);
    if (isMean) {
      // count = product of the reduced dimensions (the batch may be one).
      Value count = arith::ConstantIndexOp::create(rewriter, loc, 1);
      for (int64_t axis : axes)
        count = arith::MulIOp::create(
            rewriter, loc, count,
            tensor::DimOp::create(rewriter, loc, input, axis));
      Type elementType = inType.getElementType();
      Value countF = arith::UIToFPOp::create(
          rewriter, loc, elementType,
          arith::IndexCastOp::create(rewriter, loc, rewriter.getI64Type(),
                                     count));
      result = buildElementwise(
          rewriter, loc, reducedType, result,
          [&](OpBuilder &b, Location l, ValueRange args) -> Value {
            return arith::DivFOp::create(b, l, args[0], countF);
          });
    }
    if (op.getKeepDims()) {
      // Each size-1 dim joins the group of its nearest kept dim.
      SmallVector<ReassociationIndices> groups;
      ReassociationIndices pending;
      for (int64_t i = 0; i < rank; ++i) {
        if (isReduced(i) && groups.empty()) {
          pending.push_back(i);
        } else if (isReduced(i)) {
          groups.back().push_back(i);
        } else {
          pending.push_back(i);
          groups.push_back(pending);
          pending.clear();
        }
      }
      result = tensor::ExpandShapeOp::create(rewriter, loc, op.getType(),
                                             result, groups);
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

// transpose(x) -> generic reading x through the inverse permutation
struct TransposeLowering : public OpConversionPattern<TransposeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(TransposeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType type = op.getType();
    ArrayRef<int64_t> perm = op.getPermutation();
    MLIRContext *ctx = rewriter.getContext();
    // result[d0..dn] = input[...]: input dim perm[i] is indexed by d_i.
    SmallVector<AffineExpr> inExprs(perm.size());
    for (auto [i, p] : llvm::enumerate(perm))
      inExprs[p] = getAffineDimExpr(i, ctx);
    SmallVector<Value> dynamicDims;
    for (auto [i, p] : llvm::enumerate(perm))
      if (type.isDynamicDim(i))
        dynamicDims.push_back(
            tensor::DimOp::create(rewriter, loc, adaptor.getInput(), p));
    Value empty = tensor::EmptyOp::create(rewriter, loc, type.getShape(),
                                          type.getElementType(), dynamicDims);
    rewriter.replaceOp(op, buildMapped(rewriter, loc, adaptor.getInput(), empty,
                                       AffineMap::get(type.getRank(), 0,
                                                      inExprs, ctx)));
    return success();
  }
};

// broadcast(x, ref) -> generic copying x through its broadcast map
struct BroadcastLowering : public OpConversionPattern<BroadcastOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(BroadcastOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType type = op.getType();
    MLIRContext *ctx = rewriter.getContext();
    Value input = adaptor.getInput();
    Value empty = buildEmpty(rewriter, loc, type, adaptor.getReference());
    rewriter.replaceOp(
        op, buildMapped(rewriter, loc, input, empty,
                        broadcastMap(ctx, cast<RankedTensorType>(input.getType()),
                                     type)));
    return success();
  }
};

// one_hot(i)[..., c] = (i == c) ? 1 : 0
struct OneHotLowering : public OpConversionPattern<OneHotOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(OneHotOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType type = op.getType();
    MLIRContext *ctx = rewriter.getContext();
    int64_t rank = type.getRank();
    // The result is the input's shape plus the class dimension.
    SmallVector<Value> dynamicDims;
    for (int64_t i = 0; i + 1 < rank; ++i)
      if (type.isDynamicDim(i))
        dynamicDims.push_back(
            tensor::DimOp::create(rewriter, loc, adaptor.getInput(), i));
    Value empty = tensor::EmptyOp::create(rewriter, loc, type.getShape(),
                                          type.getElementType(), dynamicDims);
    AffineMap inMap =
        AffineMap::getMultiDimIdentityMap(rank, ctx).dropResult(rank - 1);
    Value result = buildMapped(
        rewriter, loc, adaptor.getInput(), empty, inMap,
        [&](OpBuilder &b, Location l, Value label) -> Value {
          Value c = linalg::IndexOp::create(b, l, rank - 1);
          Value cInt = arith::IndexCastOp::create(b, l, b.getI64Type(), c);
          Value cFloat = arith::SIToFPOp::create(b, l, label.getType(), cInt);
          Value hit = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OEQ,
                                            label, cFloat);
          return arith::SelectOp::create(b, l, hit, constLike(b, l, label, 1),
                                         constLike(b, l, label, 0));
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void mlir::kiln::populateKilnToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<AddLowering, SubLowering, MulLowering, DivLowering, ReluLowering,
               SigmoidLowering, TanhLowering, ExpLowering, LogLowering,
               NegLowering, AbsLowering, SqrtLowering, SoftplusLowering,
               GeluLowering, EluLowering, SeluLowering, ConstantLowering,
               MatMulLowering, SoftmaxLowering, ReshapeLowering, ErfLowering,
               StepLowering, SignLowering,
               ReduceLowering<ReduceSumOp, /*isMean=*/false>,
               ReduceLowering<ReduceMeanOp, /*isMean=*/true>, TransposeLowering,
               BroadcastLowering, LogSoftmaxLowering, ClipLowering,
               OneHotLowering>(patterns.getContext());
}

void mlir::kiln::populateKilnToLinalgLegality(ConversionTarget &target) {
  target.addIllegalDialect<KilnDialect>();
  target.addLegalDialect<arith::ArithDialect, linalg::LinalgDialect,
                         math::MathDialect, tensor::TensorDialect>();
}

// --kiln-lower-to-linalg
namespace {
struct LowerToLinalgPass
    : public kiln::impl::LowerToLinalgPassBase<LowerToLinalgPass> {
  void runOnOperation() override {
    ConversionTarget target(getContext());
    populateKilnToLinalgLegality(target);
    RewritePatternSet patterns(&getContext());
    populateKilnToLinalgPatterns(patterns);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
