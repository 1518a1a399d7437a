//===- RandomToLinalg.cpp - Counter-based random numbers --------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// kiln.random_uniform becomes one parallel generic: each element hashes its
// row-major index with the op's key (SplitMix64, KilnOps.td), so the loop
// has no carried state and vectorizes like any elementwise op.
//===----------------------------------------------------------------------===//

#include "codegen/common/LinalgBuilders.h"

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::lowering;

namespace {

Value i64Const(OpBuilder &b, Location loc, uint64_t value) {
  return arith::ConstantOp::create(
      b, loc, b.getI64IntegerAttr(static_cast<int64_t>(value)));
}

/// SplitMix64's finalizer: z ^= z >> 30; z *= C1; z ^= z >> 27; z *= C2;
/// z ^= z >> 31 (wrapping 64-bit arithmetic).
Value mix(OpBuilder &b, Location loc, Value z) {
  auto xorShift = [&](Value v, uint64_t shift) -> Value {
    return arith::XOrIOp::create(
        b, loc, v, arith::ShRUIOp::create(b, loc, v, i64Const(b, loc, shift)));
  };
  z = arith::MulIOp::create(b, loc, xorShift(z, 30),
                            i64Const(b, loc, 0xbf58476d1ce4e5b9ull));
  z = arith::MulIOp::create(b, loc, xorShift(z, 27),
                            i64Const(b, loc, 0x94d049bb133111ebull));
  return xorShift(z, 31);
}

struct RandomUniformLowering : public OpConversionPattern<RandomUniformOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(RandomUniformOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    OpBuilder &b = rewriter;
    // key = mix(seed ^ mix(step ^ mix(stream)))
    auto element = [&](int64_t i) -> Value {
      Value index = arith::ConstantIndexOp::create(b, loc, i);
      return tensor::ExtractOp::create(b, loc, adaptor.getRng(), index);
    };
    Value key = mix(b, loc, i64Const(b, loc, op.getStream()));
    key = mix(b, loc, arith::XOrIOp::create(b, loc, element(1), key));
    key = mix(b, loc, arith::XOrIOp::create(b, loc, element(0), key));
    // The sizes of every dimension, for the row-major index.
    SmallVector<Value> sizes;
    for (int64_t d = 0; d < type.getRank(); ++d)
      sizes.push_back(arith::IndexCastOp::create(
          b, loc, b.getI64Type(),
          tensor::DimOp::create(b, loc, adaptor.getLike(), d)));
    Value init = buildEmpty(b, loc, type, adaptor.getLike());
    AffineMap identity =
        AffineMap::getMultiDimIdentityMap(type.getRank(), b.getContext());
    SmallVector<utils::IteratorType> iterators(type.getRank(),
                                               utils::IteratorType::parallel);
    auto generic = linalg::GenericOp::create(
        b, loc, type, ValueRange{}, init, ArrayRef<AffineMap>{identity},
        iterators, [&](OpBuilder &nb, Location nloc, ValueRange) {
          Value linear = i64Const(nb, nloc, 0);
          for (int64_t d = 0; d < type.getRank(); ++d) {
            Value i = arith::IndexCastOp::create(
                nb, nloc, nb.getI64Type(),
                linalg::IndexOp::create(nb, nloc, d));
            linear = arith::AddIOp::create(
                nb, nloc, arith::MulIOp::create(nb, nloc, linear, sizes[d]), i);
          }
          // state = key + (index + 1) * golden; u = (mix(state) >> 40) 2^-24
          Value counter =
              arith::AddIOp::create(nb, nloc, linear, i64Const(nb, nloc, 1));
          Value state = arith::AddIOp::create(
              nb, nloc, key,
              arith::MulIOp::create(nb, nloc, counter,
                                    i64Const(nb, nloc, 0x9E3779B97F4A7C15ull)));
          Value bits = arith::ShRUIOp::create(nb, nloc, mix(nb, nloc, state),
                                              i64Const(nb, nloc, 40));
          Value value =
              arith::UIToFPOp::create(nb, nloc, type.getElementType(), bits);
          Value u = arith::MulFOp::create(
              nb, nloc, value,
              floatConst(nb, nloc, type.getElementType(), 0x1p-24));
          linalg::YieldOp::create(nb, nloc, u);
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

} // namespace

void mlir::kiln::populateRandomToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<RandomUniformLowering>(patterns.getContext());
}
