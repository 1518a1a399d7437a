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
// number of indices, not to the table's size.
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
static Value normalizedRow(OpBuilder &b, Location loc, Value raw,
                           int64_t rows) {
  Type i64 = b.getI64Type();
  Value i;
  if (isa<FloatType>(raw.getType()))
    i = arith::FPToSIOp::create(b, loc, i64, raw);
  else if (raw.getType() != i64)
    i = arith::ExtSIOp::create(b, loc, i64, raw);
  else
    i = raw;
  Value zero = arith::ConstantIntOp::create(b, loc, i64, 0);
  Value count = arith::ConstantIntOp::create(b, loc, i64, rows);
  Value last = arith::ConstantIntOp::create(b, loc, i64, rows - 1);
  Value negative =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, i, zero);
  Value wrapped = arith::AddIOp::create(b, loc, i, count);
  i = arith::SelectOp::create(b, loc, negative, wrapped, i);
  i = arith::MaxSIOp::create(b, loc, i, zero);
  i = arith::MinSIOp::create(b, loc, i, last);
  return arith::IndexCastOp::create(b, loc, b.getIndexType(), i);
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
          auto add = linalg::GenericOp::create(
              b, nloc, rowType, ValueRange{update}, ValueRange{current},
              SmallVector<AffineMap>(
                  2, AffineMap::getMultiDimIdentityMap(1, b.getContext())),
              {utils::IteratorType::parallel},
              [&](OpBuilder &bb, Location bloc, ValueRange args) {
                Value s = arith::AddFOp::create(bb, bloc, args[1], args[0]);
                linalg::YieldOp::create(bb, bloc, s);
              });
          Value next = tensor::InsertSliceOp::create(
              b, nloc, add.getResult(0), carried[0], at, sizes, strides);
          scf::YieldOp::create(b, nloc, next);
        });
    rewriter.replaceOp(op, loop.getResult(0));
    return success();
  }
};

} // namespace

void mlir::kiln::populateGatherToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<GatherLowering, ScatterAddLowering>(patterns.getContext());
}
