//===- ImageToLinalg.cpp - Projective image resampling lowering -*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// kiln.image_transform becomes a parallel `linalg.generic` over the result
// (N, H, W, C) whose body is TensorFlow's ImageProjectiveTransformV3 kernel
// for one output element, in float32 and in the kernel's order of
// operations: it `tensor.extract`s the image's map, projects the output
// pixel, maps the coordinates by the fill mode, and reads the nearest pixel
// or the four around it. Every read is of an index clamped into the image;
// whether the pixel is inside it is decided on the float coordinates
// (NaN is outside), so no read goes out of bounds whatever the map holds.
//===----------------------------------------------------------------------===//

#include "codegen/common/LinalgBuilders.h"

#include "mlir/Dialect/Math/IR/Math.h"

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::lowering;

namespace {

/// Scalar float32 arithmetic in a generic's body.
struct Scalar {
  OpBuilder &b;
  Location loc;

  Value c(double v) { return floatConst(b, loc, b.getF32Type(), v); }
  Value add(Value x, Value y) { return arith::AddFOp::create(b, loc, x, y); }
  Value sub(Value x, Value y) { return arith::SubFOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) { return arith::MulFOp::create(b, loc, x, y); }
  Value div(Value x, Value y) { return arith::DivFOp::create(b, loc, x, y); }
  Value trunc(Value x) { return math::TruncOp::create(b, loc, x); }
  Value cmp(arith::CmpFPredicate p, Value x, Value y) {
    return arith::CmpFOp::create(b, loc, p, x, y);
  }
  Value lt(Value x, Value y) { return cmp(arith::CmpFPredicate::OLT, x, y); }
  Value gt(Value x, Value y) { return cmp(arith::CmpFPredicate::OGT, x, y); }
  Value ge(Value x, Value y) { return cmp(arith::CmpFPredicate::OGE, x, y); }
  Value le(Value x, Value y) { return cmp(arith::CmpFPredicate::OLE, x, y); }
  Value select(Value cond, Value x, Value y) {
    return arith::SelectOp::create(b, loc, cond, x, y);
  }
  Value both(Value x, Value y) { return arith::AndIOp::create(b, loc, x, y); }
  /// Eigen's scalar_clamp_op: min(max(x, lo), hi), NaN staying NaN.
  Value clamp(Value x, double lo, double hi) {
    return arith::MinimumFOp::create(
        b, loc, arith::MaximumFOp::create(b, loc, x, c(lo)), c(hi));
  }
  /// An index as float32.
  Value fromIndex(Value i) {
    Value wide = arith::IndexCastOp::create(b, loc, b.getI64Type(), i);
    return arith::SIToFPOp::create(b, loc, b.getF32Type(), wide);
  }
  /// A float32 holding an integer in [0, len) as an index.
  Value toIndex(Value x) {
    Value wide = arith::FPToSIOp::create(b, loc, b.getI64Type(), x);
    return arith::IndexCastOp::create(b, loc, b.getIndexType(), wide);
  }
};

/// TensorFlow's MapCoordinate: `coord` outside [0, len - 1] brought inside
/// by `mode` (reflect, wrap, nearest: then clamped; constant: as it is).
Value mapCoordinate(Scalar &s, Value coord, int64_t len, StringRef mode) {
  if (mode == "constant")
    return coord;
  double last = double(len - 1);
  if (mode == "nearest")
    return s.clamp(coord, 0.0, last);
  if (len <= 1)
    return s.c(0.0);
  Value below = s.lt(coord, s.c(0.0)), above = s.gt(coord, s.c(last));
  Value low, high;
  if (mode == "reflect") {
    // [abcd] -> [dcba|abcd|dcba], period 2 len.
    Value period = s.c(2.0 * len);
    Value lifted =
        s.add(s.mul(period, s.trunc(s.div(s.sub(s.c(0.0), coord), period))),
              coord);
    low = s.select(s.lt(lifted, s.c(-double(len))), s.add(lifted, period),
                   s.sub(s.sub(s.c(0.0), lifted), s.c(1.0)));
    Value folded =
        s.sub(coord, s.mul(period, s.trunc(s.div(coord, period))));
    high = s.select(s.ge(folded, s.c(double(len))),
                    s.sub(s.sub(period, folded), s.c(1.0)), folded);
  } else { // wrap: [abcd] -> [abcd|abcd|abcd], as TensorFlow's kernel counts
    Value size = s.c(last), count = s.c(double(len));
    low = s.add(coord,
                s.mul(count, s.add(s.trunc(s.div(s.sub(s.c(0.0), coord), size)),
                                   s.c(1.0))));
    high = s.sub(coord, s.mul(count, s.trunc(s.div(coord, size))));
  }
  Value mapped = s.select(below, low, s.select(above, high, coord));
  return s.clamp(mapped, 0.0, last);
}

// image_transform(I, T)[n, y, x, c] -> generic over the result: project
// (x, y) by T[n], map, interpolate from I[n, ., ., c].
struct ImageTransformLowering : public OpConversionPattern<ImageTransformOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ImageTransformOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType type = op.getType();
    Value images = adaptor.getImages(), transforms = adaptor.getTransforms();
    int64_t height = type.getDimSize(1), width = type.getDimSize(2);
    StringRef mode = op.getFillMode();
    bool nearest = op.getInterpolation() == "nearest";
    double fill = op.getFillValue().convertToDouble();
    Value init = buildEmpty(rewriter, loc, type, images);
    MLIRContext *ctx = rewriter.getContext();
    auto generic = linalg::GenericOp::create(
        rewriter, loc, type, ValueRange{}, init,
        SmallVector<AffineMap>{AffineMap::getMultiDimIdentityMap(4, ctx)},
        SmallVector<utils::IteratorType>(4, utils::IteratorType::parallel),
        [&](OpBuilder &b, Location nloc, ValueRange) {
          Scalar s{b, nloc};
          Value n = linalg::IndexOp::create(b, nloc, 0);
          Value channel = linalg::IndexOp::create(b, nloc, 3);
          Value y = s.fromIndex(linalg::IndexOp::create(b, nloc, 1));
          Value x = s.fromIndex(linalg::IndexOp::create(b, nloc, 2));
          Value t[8];
          for (int64_t k = 0; k < 8; ++k)
            t[k] = tensor::ExtractOp::create(
                b, nloc, transforms,
                ValueRange{n, arith::ConstantIndexOp::create(b, nloc, k)});
          Value projection =
              s.add(s.add(s.mul(t[6], x), s.mul(t[7], y)), s.c(1.0));
          Value inX = s.div(s.add(s.add(s.mul(t[0], x), s.mul(t[1], y)), t[2]),
                            projection);
          Value inY = s.div(s.add(s.add(s.mul(t[3], x), s.mul(t[4], y)), t[5]),
                            projection);
          Value mx = mapCoordinate(s, inX, width, mode);
          Value my = mapCoordinate(s, inY, height, mode);
          // The pixel at integer-valued (py, px), or fill outside the image.
          auto read = [&](Value py, Value px) {
            Value inside =
                s.both(s.both(s.ge(py, s.c(0.0)), s.le(py, s.c(height - 1))),
                       s.both(s.ge(px, s.c(0.0)), s.le(px, s.c(width - 1))));
            Value iy = s.toIndex(s.select(inside, py, s.c(0.0)));
            Value ix = s.toIndex(s.select(inside, px, s.c(0.0)));
            Value pixel = tensor::ExtractOp::create(
                b, nloc, images, ValueRange{n, iy, ix, channel});
            return s.select(inside, pixel, s.c(fill));
          };
          Value value;
          if (nearest) {
            value = read(math::RoundOp::create(b, nloc, my),
                         math::RoundOp::create(b, nloc, mx));
          } else {
            Value y0 = math::FloorOp::create(b, nloc, my);
            Value x0 = math::FloorOp::create(b, nloc, mx);
            Value y1 = s.add(y0, s.c(1.0)), x1 = s.add(x0, s.c(1.0));
            Value wx0 = s.sub(x1, mx), wx1 = s.sub(mx, x0);
            Value top = s.add(s.mul(wx0, read(y0, x0)), s.mul(wx1, read(y0, x1)));
            Value bottom =
                s.add(s.mul(wx0, read(y1, x0)), s.mul(wx1, read(y1, x1)));
            value = s.add(s.mul(s.sub(y1, my), top), s.mul(s.sub(my, y0), bottom));
          }
          Value atInfinity =
              s.cmp(arith::CmpFPredicate::OEQ, projection, s.c(0.0));
          linalg::YieldOp::create(b, nloc, s.select(atInfinity, s.c(fill), value));
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

} // namespace

void mlir::kiln::populateImageToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<ImageTransformLowering>(patterns.getContext());
}
