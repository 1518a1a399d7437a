//===- LinalgBuilders.cpp - Shared kiln -> linalg helpers -------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//===----------------------------------------------------------------------===//

#include "codegen/common/LinalgBuilders.h"

using namespace mlir;
using namespace mlir::kiln;

Value lowering::floatConst(OpBuilder &b, Location loc, Type type,
                           double value) {
  return arith::ConstantOp::create(b, loc, b.getFloatAttr(type, value));
}

Value lowering::constLike(OpBuilder &b, Location loc, Value like,
                          double value) {
  return floatConst(b, loc, getElementTypeOrSelf(like.getType()), value);
}

Value lowering::buildEmpty(OpBuilder &b, Location loc, RankedTensorType type,
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
  return tensor::EmptyOp::create(b, loc, type.getShape(), type.getElementType(),
                                 dynamicDims);
}

lowering::AxisSlice::AxisSlice(OpBuilder &b, Location loc, Value v,
                               int64_t axis, OpFoldResult start, int64_t size) {
  auto type = cast<RankedTensorType>(v.getType());
  for (int64_t d = 0; d < type.getRank(); ++d) {
    offsets.push_back(d == axis ? start : b.getIndexAttr(0));
    strides.push_back(b.getIndexAttr(1));
    if (d == axis)
      sizes.push_back(b.getIndexAttr(size));
    else if (type.isDynamicDim(d))
      sizes.push_back(tensor::DimOp::create(b, loc, v, d).getResult());
    else
      sizes.push_back(b.getIndexAttr(type.getDimSize(d)));
  }
}

AffineMap lowering::broadcastMap(MLIRContext *ctx, RankedTensorType operandType,
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

Value lowering::buildElementwise(OpBuilder &b, Location loc,
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

Value lowering::buildMapped(
    OpBuilder &b, Location loc, Value input, Value init, AffineMap inputMap,
    function_ref<Value(OpBuilder &, Location, Value)> body) {
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

SmallVector<ReassociationIndices>
lowering::keptDimGroups(int64_t rank, ArrayRef<int64_t> reduced) {
  SmallVector<ReassociationIndices> groups;
  ReassociationIndices pending;
  for (int64_t i = 0; i < rank; ++i) {
    bool isReduced = llvm::is_contained(reduced, i);
    if (isReduced && groups.empty()) {
      pending.push_back(i);
    } else if (isReduced) {
      groups.back().push_back(i);
    } else {
      pending.push_back(i);
      groups.push_back(pending);
      pending.clear();
    }
  }
  return groups;
}

lowering::Reduction::Reduction(OpBuilder &b, Location loc, Value input,
                               ArrayRef<int64_t> axes) {
  auto type = cast<RankedTensorType>(input.getType());
  SmallVector<AffineExpr> exprs;
  for (int64_t i = 0; i < type.getRank(); ++i) {
    bool reduced = llvm::is_contained(axes, i);
    iterators.push_back(reduced ? utils::IteratorType::reduction
                                : utils::IteratorType::parallel);
    if (reduced)
      continue;
    shape.push_back(type.getDimSize(i));
    exprs.push_back(b.getAffineDimExpr(i));
    if (type.isDynamicDim(i))
      dynamicDims.push_back(tensor::DimOp::create(b, loc, input, i));
  }
  inputMap = b.getMultiDimIdentityMap(type.getRank());
  resultMap = AffineMap::get(type.getRank(), 0, exprs, b.getContext());
}

Value lowering::Reduction::filled(OpBuilder &b, Location loc,
                                  TypedAttr value) const {
  Value empty =
      tensor::EmptyOp::create(b, loc, shape, value.getType(), dynamicDims);
  Value scalar = arith::ConstantOp::create(b, loc, value);
  return linalg::FillOp::create(b, loc, scalar, empty).getResult(0);
}
