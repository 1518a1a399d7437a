//===- GatherToLinalg.cpp - Gather and scatter-add lowering -----*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// kiln.gather becomes a parallel `linalg.generic` over the result that reads
// each index and `tensor.extract`s the table element at the normalized row
// (KilnOps.td's index rule: truncate floats, wrap negatives, clamp into the
// table, so no index reads out of bounds). kiln.scatter_add, its adjoint,
// is a sequential `scf.for` over the flattened indices that adds each update
// row into the normalized row of a zero-filled table (`extract_slice`, add,
// `insert_slice` into the loop-carried table, which bufferization updates in
// place): repeated indices accumulate, and the work is proportional to the
// number of indices, not to the table's size. kiln.gather_nd and its
// adjoint kiln.scatter_nd_add are the same two shapes with a tuple of
// coordinates per index, each normalized against its own dimension of the
// data, which may be the dynamic batch.
//===----------------------------------------------------------------------===//

#include "codegen/common/LinalgBuilders.h"

#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::lowering;

namespace {

/// The table row of index `raw` (any integer or float scalar) for a table
/// of `rows` rows, as an `index`: floats truncate toward zero, negatives
/// count from the end, and the result is clamped into [0, rows).
static Value normalizedRow(OpBuilder &b, Location loc, Value raw, Value count) {
  Type i64 = b.getI64Type();
  Value i;
  if (isa<FloatType>(raw.getType()))
    i = arith::FPToSIOp::create(b, loc, i64, raw);
  else if (raw.getType() != i64)
    i = arith::ExtSIOp::create(b, loc, i64, raw);
  else
    i = raw;
  Value zero = arith::ConstantIntOp::create(b, loc, i64, 0);
  Value one = arith::ConstantIntOp::create(b, loc, i64, 1);
  Value last = arith::SubIOp::create(b, loc, count, one);
  Value negative =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, i, zero);
  Value wrapped = arith::AddIOp::create(b, loc, i, count);
  i = arith::SelectOp::create(b, loc, negative, wrapped, i);
  i = arith::MaxSIOp::create(b, loc, i, zero);
  i = arith::MinSIOp::create(b, loc, i, last);
  return arith::IndexCastOp::create(b, loc, b.getIndexType(), i);
}
static Value normalizedRow(OpBuilder &b, Location loc, Value raw,
                           int64_t rows) {
  return normalizedRow(
      b, loc, raw, arith::ConstantIntOp::create(b, loc, b.getI64Type(), rows));
}

/// The sizes of `v`'s dimensions [from, to), as i64 values (a constant
/// for a static one, `tensor.dim` for the batch).
static SmallVector<Value> dimSizesI64(OpBuilder &b, Location loc, Value v,
                                      int64_t from, int64_t to) {
  SmallVector<Value> sizes;
  for (int64_t d = from; d < to; ++d) {
    Value size = tensor::DimOp::create(b, loc, v, d);
    sizes.push_back(arith::IndexCastOp::create(b, loc, b.getI64Type(), size));
  }
  return sizes;
}

/// The data coordinates of index tuple `at` (the indices' leading
/// coordinates, without the tuple's own dimension): the first `batchDims`
/// of `at`, then each of the tuple's `bounds.size()` entries normalized
/// against its bound.
static SmallVector<Value> tupleCoordinates(OpBuilder &b, Location loc,
                                           Value indices, ValueRange at,
                                           int64_t batchDims,
                                           ArrayRef<Value> bounds) {
  SmallVector<Value> coords(at.take_front(batchDims));
  SmallVector<Value> position(at);
  position.push_back(Value());
  for (auto [k, bound] : llvm::enumerate(bounds)) {
    position.back() = arith::ConstantIndexOp::create(b, loc, k);
    Value raw = tensor::ExtractOp::create(b, loc, indices, position);
    coords.push_back(normalizedRow(b, loc, raw, bound));
  }
  return coords;
}

/// `current + update`, two slices of one shape, as a parallel generic
/// (a scatter's step: its result goes back where `current` came from).
static Value addSlices(OpBuilder &b, Location loc, Value update,
                       Value current) {
  auto type = cast<RankedTensorType>(current.getType());
  int64_t rank = type.getRank();
  return linalg::GenericOp::create(
             b, loc, type, ValueRange{update}, ValueRange{current},
             SmallVector<AffineMap>(
                 2, AffineMap::getMultiDimIdentityMap(rank, b.getContext())),
             SmallVector<utils::IteratorType>(rank,
                                              utils::IteratorType::parallel),
             [&](OpBuilder &bb, Location l, ValueRange args) {
               Value sum = arith::AddFOp::create(bb, l, args[1], args[0]);
               linalg::YieldOp::create(bb, l, sum);
             })
      .getResult(0);
}

/// `v` with its leading dimensions but the last `keep` merged into one.
static Value collapseLeading(OpBuilder &b, Location loc, Value v,
                             int64_t keep) {
  auto type = cast<RankedTensorType>(v.getType());
  int64_t lead = type.getRank() - keep;
  if (lead == 1)
    return v;
  SmallVector<ReassociationIndices> groups(1);
  for (int64_t d = 0; d < lead; ++d)
    groups[0].push_back(d);
  for (int64_t d = lead; d < type.getRank(); ++d)
    groups.push_back({d});
  return tensor::CollapseShapeOp::create(b, loc, v, groups);
}

// gather(T, i)[n..., d] -> generic over the result: extract T[norm(i[n...]), d]
struct GatherLowering : public OpConversionPattern<GatherOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(GatherOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    Value indices = adaptor.getIndices();
    Value table = adaptor.getTable();
    int64_t rank = type.getRank(), rows = op.getTable().getType().getDimSize(0);
    SmallVector<Value> dynamicDims;
    for (int64_t d = 0; d + 1 < rank; ++d)
      if (type.isDynamicDim(d))
        dynamicDims.push_back(tensor::DimOp::create(rewriter, loc, indices, d));
    Value init = tensor::EmptyOp::create(rewriter, loc, type.getShape(),
                                         type.getElementType(), dynamicDims);
    MLIRContext *ctx = rewriter.getContext();
    SmallVector<AffineExpr> leading;
    for (int64_t d = 0; d + 1 < rank; ++d)
      leading.push_back(getAffineDimExpr(d, ctx));
    SmallVector<AffineMap> maps = {
        AffineMap::get(rank, 0, leading, ctx),
        AffineMap::getMultiDimIdentityMap(rank, ctx)};
    SmallVector<utils::IteratorType> iterators(rank,
                                               utils::IteratorType::parallel);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, type, indices, init, maps, iterators,
        [&](OpBuilder &b, Location nloc, ValueRange args) {
          Value row = normalizedRow(b, nloc, args[0], rows);
          Value column = linalg::IndexOp::create(b, nloc, rank - 1);
          Value element = tensor::ExtractOp::create(b, nloc, table,
                                                    ValueRange{row, column});
          linalg::YieldOp::create(b, nloc, element);
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

// scatter_add(u, i) -> for each flattened n: T[norm(i[n])] += u[n]
struct ScatterAddLowering : public OpConversionPattern<ScatterAddOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ScatterAddOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    int64_t rows = op.getNumRows(), width = type.getDimSize(1);
    Value indices = collapseLeading(rewriter, loc, adaptor.getIndices(), 0);
    Value updates = collapseLeading(rewriter, loc, adaptor.getUpdates(), 1);
    Value empty = tensor::EmptyOp::create(rewriter, loc, type.getShape(),
                                          type.getElementType());
    Value zero = floatConst(rewriter, loc, type.getElementType(), 0.0);
    Value table =
        linalg::FillOp::create(rewriter, loc, zero, empty).getResult(0);
    Value lower = arith::ConstantIndexOp::create(rewriter, loc, 0);
    Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
    Value count = tensor::DimOp::create(rewriter, loc, indices, 0);
    auto rowType = RankedTensorType::get({width}, type.getElementType());
    SmallVector<OpFoldResult> sizes = {rewriter.getIndexAttr(1),
                                       rewriter.getIndexAttr(width)};
    SmallVector<OpFoldResult> strides(2, rewriter.getIndexAttr(1));
    auto loop = scf::ForOp::create(
        rewriter, loc, lower, count, one, ValueRange{table},
        [&](OpBuilder &b, Location nloc, Value n, ValueRange carried) {
          Value raw = tensor::ExtractOp::create(b, nloc, indices, n);
          Value row = normalizedRow(b, nloc, raw, rows);
          SmallVector<OpFoldResult> from = {n, b.getIndexAttr(0)};
          SmallVector<OpFoldResult> at = {row, b.getIndexAttr(0)};
          Value update = tensor::ExtractSliceOp::create(
              b, nloc, rowType, updates, from, sizes, strides);
          Value current = tensor::ExtractSliceOp::create(
              b, nloc, rowType, carried[0], at, sizes, strides);
          Value next = tensor::InsertSliceOp::create(
              b, nloc, addSlices(b, nloc, update, current), carried[0], at,
              sizes, strides);
          scf::YieldOp::create(b, nloc, next);
        });
    rewriter.replaceOp(op, loop.getResult(0));
    return success();
  }
};

// gather_nd(D, I)[n..., i..., s...] -> generic over the result: extract
// D[n..., norm(I[n..., i..., 0]), ..., norm(I[n..., i..., r-1]), s...]
struct GatherNdLowering : public OpConversionPattern<GatherNdOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(GatherNdOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    Value data = adaptor.getData(), indices = adaptor.getIndices();
    int64_t batchDims = op.getBatchDims(), rank = type.getRank();
    int64_t lead = op.getIndices().getType().getRank() - 1;
    int64_t r = op.getIndices().getType().getShape().back();
    SmallVector<Value> bounds =
        dimSizesI64(rewriter, loc, data, batchDims, batchDims + r);
    SmallVector<Value> dynamicDims;
    for (int64_t d = 0; d < rank; ++d)
      if (type.isDynamicDim(d))
        dynamicDims.push_back(
            tensor::DimOp::create(rewriter, loc, d < lead ? indices : data,
                                  d < lead ? d : d - lead + batchDims + r));
    Value init = tensor::EmptyOp::create(rewriter, loc, type.getShape(),
                                         type.getElementType(), dynamicDims);
    SmallVector<AffineMap> maps = {
        AffineMap::getMultiDimIdentityMap(rank, rewriter.getContext())};
    SmallVector<utils::IteratorType> iterators(rank,
                                               utils::IteratorType::parallel);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, type, ValueRange{}, init, maps, iterators,
        [&](OpBuilder &b, Location nloc, ValueRange) {
          SmallVector<Value> at;
          for (int64_t d = 0; d < rank; ++d)
            at.push_back(linalg::IndexOp::create(b, nloc, d));
          SmallVector<Value> coords =
              tupleCoordinates(b, nloc, indices, ArrayRef(at).take_front(lead),
                               batchDims, bounds);
          coords.append(at.begin() + lead, at.end());
          Value element = tensor::ExtractOp::create(b, nloc, data, coords);
          linalg::YieldOp::create(b, nloc, element);
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

// scatter_nd_add(U, I, like D) -> for each index tuple n (the indices'
// leading coordinates, delinearized): T[n_batch..., norm(I[n, 0]), ...,
// norm(I[n, r-1]), :...] += U[n, :...]
struct ScatterNdAddLowering : public OpConversionPattern<ScatterNdAddOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ScatterNdAddOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    Value like = adaptor.getLike(), indices = adaptor.getIndices();
    Value updates = adaptor.getUpdates();
    int64_t batchDims = op.getBatchDims();
    int64_t lead = op.getIndices().getType().getRank() - 1;
    int64_t r = op.getIndices().getType().getShape().back();
    int64_t first = batchDims + r; // the first dimension of a slice
    SmallVector<Value> bounds =
        dimSizesI64(rewriter, loc, like, batchDims, first);
    SmallVector<Value> dynamicDims;
    for (int64_t d = 0; d < type.getRank(); ++d)
      if (type.isDynamicDim(d))
        dynamicDims.push_back(tensor::DimOp::create(rewriter, loc, like, d));
    Value empty = tensor::EmptyOp::create(rewriter, loc, type.getShape(),
                                          type.getElementType(), dynamicDims);
    Value zero = floatConst(rewriter, loc, type.getElementType(), 0.0);
    Value table =
        linalg::FillOp::create(rewriter, loc, zero, empty).getResult(0);

    // The tuples' count and the leading sizes they delinearize over.
    SmallVector<Value> leadSizes;
    Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
    Value count = one;
    for (int64_t d = 0; d < lead; ++d) {
      leadSizes.push_back(tensor::DimOp::create(rewriter, loc, indices, d));
      count = arith::MulIOp::create(rewriter, loc, count, leadSizes.back());
    }
    ArrayRef<int64_t> sliceShape = type.getShape().drop_front(first);
    auto sliceType = RankedTensorType::get(sliceShape, type.getElementType());
    int64_t sliceRank = sliceShape.size();
    Value lower = arith::ConstantIndexOp::create(rewriter, loc, 0);
    auto loop = scf::ForOp::create(
        rewriter, loc, lower, count, one, ValueRange{table},
        [&](OpBuilder &b, Location nloc, Value n, ValueRange carried) {
          SmallVector<Value> at(lead);
          for (int64_t d = lead - 1; d >= 0; --d) {
            at[d] =
                d == 0 ? n : arith::RemUIOp::create(b, nloc, n, leadSizes[d]);
            if (d > 0)
              n = arith::DivUIOp::create(b, nloc, n, leadSizes[d]);
          }
          SmallVector<Value> coords =
              tupleCoordinates(b, nloc, indices, at, batchDims, bounds);
          if (sliceRank == 0) {
            // Single elements: a scalar read-add-write (no 0-d generic,
            // which the GPU mapping would launch on its own).
            Value update = tensor::ExtractOp::create(b, nloc, updates, at);
            Value current =
                tensor::ExtractOp::create(b, nloc, carried[0], coords);
            Value sum = arith::AddFOp::create(b, nloc, current, update);
            scf::YieldOp::create(
                b, nloc,
                tensor::InsertOp::create(b, nloc, sum, carried[0], coords)
                    .getResult());
            return;
          }
          auto slice = [&](Value source, ArrayRef<Value> offsets) {
            SmallVector<OpFoldResult> from(offsets.begin(), offsets.end());
            SmallVector<OpFoldResult> sizes(offsets.size(), b.getIndexAttr(1));
            for (int64_t d = 0; d < sliceRank; ++d) {
              from.push_back(b.getIndexAttr(0));
              sizes.push_back(
                  tensor::getMixedSize(b, nloc, source, offsets.size() + d));
            }
            SmallVector<OpFoldResult> strides(from.size(), b.getIndexAttr(1));
            return std::make_tuple(from, sizes, strides);
          };
          auto [uFrom, uSizes, uStrides] = slice(updates, at);
          auto [tFrom, tSizes, tStrides] = slice(carried[0], coords);
          Value update = tensor::ExtractSliceOp::create(
              b, nloc, sliceType, updates, uFrom, uSizes, uStrides);
          Value current = tensor::ExtractSliceOp::create(
              b, nloc, sliceType, carried[0], tFrom, tSizes, tStrides);
          Value next = tensor::InsertSliceOp::create(
              b, nloc, addSlices(b, nloc, update, current), carried[0], tFrom,
              tSizes, tStrides);
          scf::YieldOp::create(b, nloc, next);
        });
    rewriter.replaceOp(op, loop.getResult(0));
    return success();
  }
};

} // namespace

void mlir::kiln::populateGatherToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<GatherLowering, ScatterAddLowering, GatherNdLowering,
               ScatterNdAddLowering>(patterns.getContext());
}
