//===- ShapeToLinalg.cpp - Shape ops to linalg ------------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Shape ops: reshape becomes a collapse/expand pair through the flattened
// `[batch, features]` form, transpose and broadcast a copying
// `linalg.generic` reading the input through a permuted or broadcast map.
//===----------------------------------------------------------------------===//

#include "codegen/common/LinalgBuilders.h"

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::lowering;

namespace {

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
    int64_t count = 1, outCount = 1;
    for (int64_t dim : inType.getShape().drop_front(keep))
      count *= dim;
    for (int64_t dim : outType.getShape().drop_front(keep))
      outCount *= dim;
    if (batched && count != outCount) {
      // Rows merge into or split out of the batch: through the fully flat
      // form, the new leading size = old one * count / outCount.
      Value flat = tensor::CollapseShapeOp::create(
          rewriter, loc, adaptor.getInput(),
          SmallVector<ReassociationIndices>{
              llvm::to_vector(llvm::seq<int64_t>(0, inType.getRank()))});
      Value rows = tensor::DimOp::create(rewriter, loc, adaptor.getInput(), 0);
      Value lead = count > outCount
                       ? Value(arith::MulIOp::create(
                             rewriter, loc, rows,
                             arith::ConstantIndexOp::create(rewriter, loc,
                                                            count / outCount)))
                       : Value(arith::DivUIOp::create(
                             rewriter, loc, rows,
                             arith::ConstantIndexOp::create(rewriter, loc,
                                                            outCount / count)));
      SmallVector<OpFoldResult> outShape{lead};
      for (int64_t dim : outType.getShape().drop_front())
        outShape.push_back(rewriter.getIndexAttr(dim));
      rewriter.replaceOpWithNewOp<tensor::ExpandShapeOp>(
          op, outType, flat,
          SmallVector<ReassociationIndices>{
              llvm::to_vector(llvm::seq<int64_t>(0, outType.getRank()))},
          outShape);
      return success();
    }
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
    rewriter.replaceOp(
        op, buildMapped(rewriter, loc, adaptor.getInput(), empty,
                        AffineMap::get(type.getRank(), 0, inExprs, ctx)));
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
        op,
        buildMapped(
            rewriter, loc, input, empty,
            broadcastMap(ctx, cast<RankedTensorType>(input.getType()), type)));
    return success();
  }
};

// concat(a, b, ...) -> insert_slice of each into an empty result
struct ConcatLowering : public OpConversionPattern<ConcatOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ConcatOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType type = op.getType();
    int64_t axis = op.getNormalizedAxis();
    Value result = buildEmpty(rewriter, loc, type, adaptor.getInputs());
    int64_t start = 0;
    for (Value input : adaptor.getInputs()) {
      int64_t size = cast<RankedTensorType>(input.getType()).getDimSize(axis);
      AxisSlice slice(rewriter, loc, input, axis, rewriter.getIndexAttr(start),
                      size);
      result = tensor::InsertSliceOp::create(rewriter, loc, input, result,
                                             slice.offsets, slice.sizes,
                                             slice.strides);
      start += size;
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

// slice(x) -> extract_slice
struct SliceLowering : public OpConversionPattern<SliceOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(SliceOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    int64_t axis = op.getNormalizedAxis();
    AxisSlice slice(rewriter, op.getLoc(), adaptor.getInput(), axis,
                    rewriter.getIndexAttr(op.getStart()), op.getSize());
    rewriter.replaceOpWithNewOp<tensor::ExtractSliceOp>(
        op, op.getType(), adaptor.getInput(), slice.offsets, slice.sizes,
        slice.strides);
    return success();
  }
};

/// An empty tensor of `type`, whose dynamic leading dimension (the batch)
/// is `batchLike`'s (kiln.zeros, kiln.batch_index).
static Value emptyWithBatchOf(OpBuilder &b, Location loc, RankedTensorType type,
                              Value batchLike) {
  SmallVector<Value> dynamicDims;
  if (type.isDynamicDim(0))
    dynamicDims.push_back(tensor::DimOp::create(b, loc, batchLike, 0));
  return tensor::EmptyOp::create(b, loc, type.getShape(), type.getElementType(),
                                 dynamicDims);
}

// zeros(like) -> fill(0, empty(dim(like, 0), ...))
struct ZerosLowering : public OpConversionPattern<ZerosOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ZerosOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value empty =
        emptyWithBatchOf(rewriter, loc, op.getType(), adaptor.getBatchLike());
    rewriter.replaceOpWithNewOp<linalg::FillOp>(
        op, constLike(rewriter, loc, empty, 0.0), empty);
    return success();
  }
};

// batch_index(like) -> generic over empty(dim(like, 0), ...): index 0
struct BatchIndexLowering : public OpConversionPattern<BatchIndexOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(BatchIndexOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType type = op.getType();
    Value empty = emptyWithBatchOf(rewriter, loc, type, adaptor.getBatchLike());
    int64_t rank = type.getRank();
    auto generic = linalg::GenericOp::create(
        rewriter, loc, type, ValueRange{}, empty,
        AffineMap::getMultiDimIdentityMap(rank, rewriter.getContext()),
        SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
        [&](OpBuilder &b, Location nloc, ValueRange) {
          Value row = linalg::IndexOp::create(b, nloc, 0);
          linalg::YieldOp::create(
              b, nloc,
              arith::IndexCastOp::create(b, nloc, type.getElementType(), row)
                  .getResult());
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

} // namespace

void mlir::kiln::populateShapeToLinalgPatterns(RewritePatternSet &patterns) {
  patterns
      .add<ReshapeLowering, TransposeLowering, BroadcastLowering, ZerosLowering,
           BatchIndexLowering, ConcatLowering, SliceLowering>(
          patterns.getContext());
}
