//===- NormalizationToLinalg.cpp - Softmax to linalg ------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Normalizations along an axis: softmax becomes a max-reduce / exp /
// sum-reduce / divide sequence, log_softmax the same with a log-sum-exp
// shift. The axis reductions below are this family's building blocks.
//===----------------------------------------------------------------------===//

#include "codegen/common/LinalgBuilders.h"

#include <limits>

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::lowering;

namespace {

/// A reduction of `input` over `axis` with `combine`, starting from `init`.
static Value buildAxisReduce(
    OpBuilder &b, Location loc, Value input, int64_t axis, double init,
    function_ref<Value(OpBuilder &, Location, Value, Value)> combine) {
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
      linalg::FillOp::create(b, loc, constLike(b, loc, input, init), empty)
          .getResult(0);
  AffineMap identity = AffineMap::getMultiDimIdentityMap(type.getRank(), ctx);
  AffineMap reduced = identity.dropResult(axis);
  SmallVector<utils::IteratorType> iterators(type.getRank(),
                                             utils::IteratorType::parallel);
  iterators[axis] = utils::IteratorType::reduction;
  auto generic = linalg::GenericOp::create(
      b, loc, reducedType, input, filled,
      ArrayRef<AffineMap>{identity, reduced}, iterators,
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        linalg::YieldOp::create(nb, nloc, combine(nb, nloc, args[0], args[1]));
      });
  return generic.getResult(0);
}

/// A parallel generic over `input`'s shape combining each element with the
/// `reduced` value of its row along `axis`.
static Value buildWithReduced(
    OpBuilder &b, Location loc, Value input, Value reduced, int64_t axis,
    function_ref<Value(OpBuilder &, Location, Value, Value)> body) {
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

} // namespace

void mlir::kiln::populateNormalizationToLinalgPatterns(
    RewritePatternSet &patterns) {
  patterns.add<SoftmaxLowering, LogSoftmaxLowering>(patterns.getContext());
}
