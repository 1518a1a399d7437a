//===- WindowToLinalg.cpp - Convolution and pooling to linalg ---*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Sliding-window ops. A convolution is im2col then a contraction: it is
// rewritten to `kiln.extract_patches` and a `kiln.matmul` with the kernel
// reshaped to (taps * C, F), so it reaches the CPU pipeline's vector FMA
// micro kernel like Dense does (a 1x1, stride-1, unpadded convolution skips
// the patches). The other window ops become one `linalg.generic` each over
// (batch, positions..., taps..., channels) with the channels innermost:
//  - extract_patches reads the input at `o * s - pad_low + k * dil`, clamped
//    into range, and selects 0 outside it;
//  - fold_patches (its adjoint) gathers, for each input element, the patch
//    entries read from it, reducing over the taps;
//  - max_pool reduces each window with `maximumf`, padding read as -inf;
//  - max_pool_grad first finds each window's first maximal tap (strict `>`
//    in row-major tap order, TensorFlow's MaxPoolGrad rule), then gathers,
//    for each input element, the gradients of the windows whose maximum it
//    is.
//===----------------------------------------------------------------------===//

#include "codegen/common/LinalgBuilders.h"

#include <cmath>

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::lowering;

namespace {

/// Builds the loop nests of one window op: the iteration space is
/// (batch, outer spatial..., taps..., channels) where "outer" is the output
/// positions for ops that write per window and the input positions for the
/// gathers (fold_patches, max_pool_grad).
class WindowNest {
public:
  WindowNest(OpBuilder &b, Location loc, const WindowGeometry &g)
      : b(b), loc(loc), g(g), d(g.rank()) {}

  /// Iteration dimensions: 0 batch, 1..d outer, d+1..2d taps, 2d+1 channels.
  int64_t numDims() const { return 2 * d + 2; }
  AffineExpr dim(int64_t i) const { return b.getAffineDimExpr(i); }
  Value index(int64_t i) const { return linalg::IndexOp::create(b, loc, i); }
  Value cst(int64_t v) const {
    return arith::ConstantIndexOp::create(b, loc, v);
  }

  /// Map (n, outer..., c), dropping the taps.
  AffineMap outerMap() const {
    SmallVector<AffineExpr> exprs{dim(0)};
    for (int64_t i = 0; i < d; ++i)
      exprs.push_back(dim(1 + i));
    exprs.push_back(dim(numDims() - 1));
    return AffineMap::get(numDims(), 0, exprs, b.getContext());
  }
  /// Map (k...) of the taps, and a `tensor.empty` of the window's shape
  /// read through it: the operand that gives a reduction over the taps its
  /// bounds (as linalg's pooling ops take a window operand).
  AffineMap tapsMap() const {
    SmallVector<AffineExpr> exprs;
    for (int64_t i = 0; i < d; ++i)
      exprs.push_back(dim(1 + d + i));
    return AffineMap::get(numDims(), 0, exprs, b.getContext());
  }
  Value windowOperand(Type element) const {
    return tensor::EmptyOp::create(b, loc, g.window, element);
  }

  /// The builder and location ops are created at.
  std::pair<OpBuilder &, Location> position() const { return {b, loc}; }

  /// A generic reducing the taps into `init` (indexed by (n, outer..., c)),
  /// its body built by `body` from the accumulator.
  Value reduceTaps(Value init, Type element,
                   function_ref<Value(WindowNest &, Value)> body) const {
    return linalg::GenericOp::create(
               b, loc, init.getType(), windowOperand(element), init,
               ArrayRef<AffineMap>{tapsMap(), outerMap()},
               iterators(/*reduceTaps=*/true),
               [&](OpBuilder &nb, Location l, ValueRange args) {
                 WindowNest at(nb, l, g);
                 linalg::YieldOp::create(nb, l, body(at, args[1]));
               })
        .getResult(0);
  }
  /// A `linalg.fill` of `value` shaped `shape`, its batch `like`'s.
  Value filled(ArrayRef<int64_t> shape, Value value, Value like) const {
    return linalg::FillOp::create(b, loc, value,
                                  empty(shape, value.getType(), like))
        .getResult(0);
  }

  /// Iterators with the taps reducing (or all parallel).
  SmallVector<utils::IteratorType> iterators(bool reduceTaps) const {
    SmallVector<utils::IteratorType> its(numDims(),
                                         utils::IteratorType::parallel);
    if (reduceTaps)
      for (int64_t i = 0; i < d; ++i)
        its[1 + d + i] = utils::IteratorType::reduction;
    return its;
  }

  /// The tap's row-major number within the window, as an i32 (a buffer
  /// element type).
  Value flatTap() const {
    Value flat = cst(0);
    for (int64_t i = 0; i < d; ++i)
      flat = arith::AddIOp::create(
          b, loc, arith::MulIOp::create(b, loc, flat, cst(g.window[i])),
          index(1 + d + i));
    return arith::IndexCastOp::create(b, loc, b.getI32Type(), flat);
  }

  /// In a per-window nest: the input element the current tap reads,
  /// clamped into range, and whether it is in range (not padding).
  std::pair<SmallVector<Value>, Value>
  inputIndex(ArrayRef<int64_t> spatial) const {
    SmallVector<Value> idx{index(0)};
    Value valid = arith::ConstantIntOp::create(b, loc, 1, 1);
    for (int64_t i = 0; i < d; ++i) {
      // o * s - pad_low + k * dil
      Value pos = arith::AddIOp::create(
          b, loc,
          arith::SubIOp::create(
              b, loc,
              arith::MulIOp::create(b, loc, index(1 + i), cst(g.strides[i])),
              cst(g.padLow[i])),
          arith::MulIOp::create(b, loc, index(1 + d + i), cst(g.dilations[i])));
      valid = andInRange(valid, pos, spatial[i]);
      idx.push_back(clamp(pos, spatial[i]));
    }
    idx.push_back(index(numDims() - 1));
    return {idx, valid};
  }

  /// In a gather nest over input elements: the window position whose tap
  /// reads the current input element, clamped, and whether there is one
  /// (inside the output, and on the stride).
  std::pair<SmallVector<Value>, Value>
  windowIndex(ArrayRef<int64_t> outSpatial) const {
    SmallVector<Value> idx{index(0)};
    Value valid = arith::ConstantIntOp::create(b, loc, 1, 1);
    for (int64_t i = 0; i < d; ++i) {
      // t = x + pad_low - k * dil = o * s
      Value t = arith::SubIOp::create(
          b, loc, arith::AddIOp::create(b, loc, index(1 + i), cst(g.padLow[i])),
          arith::MulIOp::create(b, loc, index(1 + d + i), cst(g.dilations[i])));
      Value nonNegative =
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge, t, cst(0));
      valid = arith::AndIOp::create(b, loc, valid, nonNegative);
      Value tc = arith::MaxSIOp::create(b, loc, t, cst(0));
      Value o = tc;
      if (g.strides[i] != 1) {
        Value rem = arith::RemUIOp::create(b, loc, tc, cst(g.strides[i]));
        valid = arith::AndIOp::create(
            b, loc, valid,
            arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, rem,
                                  cst(0)));
        o = arith::DivUIOp::create(b, loc, tc, cst(g.strides[i]));
      }
      valid = andInRange(valid, o, outSpatial[i]);
      idx.push_back(clamp(o, outSpatial[i]));
    }
    idx.push_back(index(numDims() - 1));
    return {idx, valid};
  }

  /// A tensor.empty of `shape` whose dynamic batch is `like`'s.
  Value empty(ArrayRef<int64_t> shape, Type element, Value like) const {
    SmallVector<Value> dynamic;
    if (ShapedType::isDynamic(shape.front()))
      dynamic.push_back(tensor::DimOp::create(b, loc, like, 0));
    return tensor::EmptyOp::create(b, loc, shape, element, dynamic);
  }

  /// `shape` (batch, spatial..., channels) with the taps inserted before the
  /// channels.
  SmallVector<int64_t> withTaps(ArrayRef<int64_t> shape) const {
    SmallVector<int64_t> out(shape.drop_back());
    out.append(g.window);
    out.push_back(shape.back());
    return out;
  }
  /// Reassociation merging the taps with the channels.
  SmallVector<ReassociationIndices> tapsWithChannels() const {
    SmallVector<ReassociationIndices> groups;
    for (int64_t i = 0; i <= d; ++i)
      groups.push_back({i});
    ReassociationIndices last;
    for (int64_t i = d + 1; i < numDims(); ++i)
      last.push_back(i);
    groups.push_back(last);
    return groups;
  }

private:
  Value andInRange(Value valid, Value pos, int64_t size) const {
    Value lo =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge, pos, cst(0));
    Value hi = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, pos,
                                     cst(size));
    return arith::AndIOp::create(b, loc, valid,
                                 arith::AndIOp::create(b, loc, lo, hi));
  }
  Value clamp(Value pos, int64_t size) const {
    return arith::MinSIOp::create(
        b, loc, arith::MaxSIOp::create(b, loc, pos, cst(0)), cst(size - 1));
  }

  OpBuilder &b;
  Location loc;
  const WindowGeometry &g;
  int64_t d;
};

/// The spatial sizes of a channels-last shape.
static ArrayRef<int64_t> spatialOf(Type type) {
  return cast<RankedTensorType>(type).getShape().drop_front().drop_back();
}

// conv(x, w) -> matmul(extract_patches(x), reshape(w, (taps * C, F)))
struct ConvLowering : public OpConversionPattern<ConvOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ConvOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    WindowGeometry g = op.getGeometry();
    Value patches = adaptor.getInput();
    if (!g.isPointwise())
      patches =
          ExtractPatchesOp::create(rewriter, loc, patches, g.window, g.strides,
                                   g.dilations, g.padLow, g.padHigh);
    RankedTensorType kernelType = op.getKernel().getType();
    int64_t rows = 1;
    for (int64_t dim : kernelType.getShape().drop_back())
      rows *= dim;
    Value matrix = ReshapeOp::create(
        rewriter, loc,
        RankedTensorType::get({rows, kernelType.getShape().back()},
                              kernelType.getElementType()),
        adaptor.getKernel());
    rewriter.replaceOpWithNewOp<MatMulOp>(op, patches, matrix);
    return success();
  }
};

/// The output shape (batch, positions..., channels) of a window op over
/// `input` that keeps its channels.
static SmallVector<int64_t> pooledShape(Value input, const WindowGeometry &g) {
  auto type = cast<RankedTensorType>(input.getType());
  std::string reason;
  SmallVector<int64_t> shape{type.getDimSize(0)};
  shape.append(*g.outputSizes(spatialOf(type), reason));
  shape.push_back(type.getShape().back());
  return shape;
}

// extract_patches(x) -> collapse(generic over (n, o..., k..., c) reading x)
struct ExtractPatchesLowering : public OpConversionPattern<ExtractPatchesOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ExtractPatchesOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    WindowGeometry g = op.getGeometry();
    WindowNest nest(rewriter, loc, g);
    Value input = adaptor.getInput();
    ArrayRef<int64_t> spatial = spatialOf(input.getType());
    Type element = op.getType().getElementType();
    auto expandedType =
        RankedTensorType::get(nest.withTaps(pooledShape(input, g)), element);
    Value init = nest.empty(expandedType.getShape(), element, input);
    Value zero = floatConst(rewriter, loc, element, 0.0);
    Value patches =
        linalg::GenericOp::create(
            rewriter, loc, expandedType, ValueRange{}, init,
            AffineMap::getMultiDimIdentityMap(nest.numDims(),
                                              rewriter.getContext()),
            nest.iterators(/*reduceTaps=*/false),
            [&](OpBuilder &b, Location l, ValueRange) {
              WindowNest at(b, l, g);
              auto [idx, valid] = at.inputIndex(spatial);
              Value v = tensor::ExtractOp::create(b, l, input, idx);
              linalg::YieldOp::create(
                  b, l, Value(arith::SelectOp::create(b, l, valid, v, zero)));
            })
            .getResult(0);
    rewriter.replaceOpWithNewOp<tensor::CollapseShapeOp>(
        op, op.getType(), patches, nest.tapsWithChannels());
    return success();
  }
};

// fold_patches(p, like) -> generic over (n, x..., k..., c), reducing the
// taps, gathering expand(p) at the window that read x with tap k.
struct FoldPatchesLowering : public OpConversionPattern<FoldPatchesOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(FoldPatchesOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    WindowGeometry g = op.getGeometry();
    WindowNest nest(rewriter, loc, g);
    Value like = adaptor.getLike();
    Type element = op.getType().getElementType();
    SmallVector<int64_t> pooled = pooledShape(like, g);
    Value patches = tensor::ExpandShapeOp::create(
        rewriter, loc, RankedTensorType::get(nest.withTaps(pooled), element),
        adaptor.getPatches(), nest.tapsWithChannels());
    Value zero = floatConst(rewriter, loc, element, 0.0);
    ArrayRef<int64_t> outSpatial =
        ArrayRef<int64_t>(pooled).drop_front().drop_back();
    Value init = nest.filled(op.getType().getShape(), zero, like);
    rewriter.replaceOp(
        op, nest.reduceTaps(init, element, [&](WindowNest &at, Value acc) {
          auto [b, l] = at.position();
          auto [idx, valid] = at.windowIndex(outSpatial);
          // The patch entry (window o, tap k, channel c).
          SmallVector<Value> entry(idx.begin(), idx.end() - 1);
          for (int64_t i = 0; i < g.rank(); ++i)
            entry.push_back(at.index(1 + g.rank() + i));
          entry.push_back(idx.back());
          Value v = tensor::ExtractOp::create(b, l, patches, entry);
          return arith::AddFOp::create(
              b, l, acc, arith::SelectOp::create(b, l, valid, v, zero));
        }));
    return success();
  }
};

/// The generic over (n, o..., k..., c) that reduces each window of `input`
/// to (its maximum, with maximumf, padding reading -inf; the flat index of
/// its first maximal tap, as i32). max_pool takes the first result and
/// max_pool_grad the second: built from the same values alike, the two are
/// one op after CSE, so a training step finds the window maxima once and
/// its backward does not read the pooled input again. Without a gradient
/// (predict) the unused taps are erased with their compares.
static linalg::GenericOp buildWindowMax(OpBuilder &builder, Location loc,
                                        const WindowGeometry &g, Value input,
                                        ArrayRef<int64_t> pooled) {
  WindowNest nest(builder, loc, g);
  ArrayRef<int64_t> spatial = spatialOf(input.getType());
  Type element = cast<RankedTensorType>(input.getType()).getElementType();
  Value lowest = floatConst(builder, loc, element, -INFINITY);
  Value maxInit = nest.filled(pooled, lowest, input);
  Value tapInit = nest.filled(
      pooled, arith::ConstantIntOp::create(builder, loc, 0, 32), input);
  return linalg::GenericOp::create(
      builder, loc, TypeRange{maxInit.getType(), tapInit.getType()},
      nest.windowOperand(element), ValueRange{maxInit, tapInit},
      ArrayRef<AffineMap>{nest.tapsMap(), nest.outerMap(), nest.outerMap()},
      nest.iterators(/*reduceTaps=*/true),
      [&](OpBuilder &b, Location l, ValueRange args) {
        WindowNest at(b, l, g);
        auto [idx, valid] = at.inputIndex(spatial);
        Value v = tensor::ExtractOp::create(b, l, input, idx);
        v = arith::SelectOp::create(b, l, valid, v, lowest);
        Value greater =
            arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT, v, args[1]);
        linalg::YieldOp::create(
            b, l,
            ValueRange{
                arith::MaximumFOp::create(b, l, args[1], v),
                arith::SelectOp::create(b, l, greater, at.flatTap(), args[2])});
      });
}

// max_pool(x) -> the window maxima of buildWindowMax.
struct MaxPoolLowering : public OpConversionPattern<MaxPoolOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(MaxPoolOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, buildWindowMax(rewriter, op.getLoc(),
                                          op.getGeometry(), adaptor.getInput(),
                                          op.getType().getShape())
                               .getResult(0));
    return success();
  }
};

// max_pool_grad(x, g) -> (1) each window's first maximal tap
// (buildWindowMax), (2) for each x element, the sum of g over the windows
// whose maximal tap reads it.
struct MaxPoolGradLowering : public OpConversionPattern<MaxPoolGradOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(MaxPoolGradOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    WindowGeometry g = op.getGeometry();
    WindowNest nest(rewriter, loc, g);
    Value input = adaptor.getInput(), grad = adaptor.getGrad();
    auto gradType = cast<RankedTensorType>(grad.getType());
    Type element = gradType.getElementType();
    Value taps = buildWindowMax(rewriter, loc, g, input, gradType.getShape())
                     .getResult(1);

    Value zero = floatConst(rewriter, loc, element, 0.0);
    Value init = nest.filled(op.getType().getShape(), zero, input);
    rewriter.replaceOp(
        op, nest.reduceTaps(init, element, [&](WindowNest &at, Value acc) {
          auto [b, l] = at.position();
          auto [idx, valid] = at.windowIndex(spatialOf(gradType));
          Value tap = tensor::ExtractOp::create(b, l, taps, idx);
          Value hit = arith::AndIOp::create(
              b, l, valid,
              arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, tap,
                                    at.flatTap()));
          Value v = tensor::ExtractOp::create(b, l, grad, idx);
          return arith::AddFOp::create(
              b, l, acc, arith::SelectOp::create(b, l, hit, v, zero));
        }));
    return success();
  }
};

} // namespace

void mlir::kiln::populateWindowToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<ConvLowering, ExtractPatchesLowering, FoldPatchesLowering,
               MaxPoolLowering, MaxPoolGradLowering>(patterns.getContext());
}
