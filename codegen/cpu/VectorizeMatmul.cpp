//===- VectorizeMatmul.cpp - Register-blocked vector matmul -----*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Rewrites `linalg.matmul` on buffers into a register-blocked micro kernel of
// vector FMAs, the CPU's dense-layer workhorse. For a tile of `rows` rows of C
// and `vectors` vectors of `vector-width` lanes, the accumulators stay in
// registers across the whole K loop; each K step broadcasts one element of A
// per row and loads `vectors` vectors of B (one contiguous row segment), so B
// streams through the cache exactly once per row block. The tile shape is
// chosen for AVX-512 (4 x 4 zmm accumulators + 4 B vectors + 1 broadcast = 21
// of 32 registers); other vector widths are options.
//
// M and K may be dynamic (the batch: activations X @ W, weight gradients
// X^T @ G): full row blocks run first, then a one-row loop. A may be read
// transposed (indexing maps (k, m), (k, n) -> (m, n): X^T @ G without
// copying X); its broadcast elements of one K step are then adjacent. N is
// static (it comes from the weights); the column tail that is not a multiple of
// the tile becomes one narrower tile whose last vector is masked.
//===----------------------------------------------------------------------===//

#include "codegen/Passes.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::kiln {
#define GEN_PASS_DEF_VECTORIZEMATMULPASS
#include "codegen/Passes.h.inc"
} // namespace mlir::kiln

using namespace mlir;
using namespace mlir::kiln;

namespace {

/// The static shape of one micro kernel.
struct TileShape {
  int64_t rows;      ///< rows of C
  int64_t vectors;   ///< vectors of C per row
  int64_t lastLanes; ///< active lanes of the last vector (== width if full)
  int64_t width;     ///< lanes per vector
};

/// Emits `C[m : m+rows, n : n+cols] += A[m : m+rows, k0 : k1] *
/// B[k0 : k1, n : n+cols]` at the builder's insertion point.
static void emitTile(OpBuilder &b, Location loc, Value lhs, Value rhs,
                     Value out, Value m, Value n, Value kBegin, Value kEnd,
                     TileShape tile, bool transposedLhs, bool zeroInit) {
  Type f32 = b.getF32Type();
  auto vecType = VectorType::get({tile.width}, f32);
  auto index = [&](int64_t v) -> Value {
    return arith::ConstantIndexOp::create(b, loc, v);
  };
  Value mask;
  Value zeroVec = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(vecType, b.getF32FloatAttr(0.0)));
  if (tile.lastLanes < tile.width) {
    auto maskType = VectorType::get({tile.width}, b.getI1Type());
    mask = vector::ConstantMaskOp::create(b, loc, maskType,
                                          ArrayRef<int64_t>{tile.lastLanes});
  }
  bool (*isLast)(int64_t, TileShape) = [](int64_t v, TileShape t) {
    return v == t.vectors - 1;
  };
  auto load = [&](OpBuilder &lb, Value mem, Value row, Value col,
                  bool last) -> Value {
    if (last && mask)
      return vector::MaskedLoadOp::create(lb, loc, vecType, mem, {row, col},
                                          mask, zeroVec);
    return vector::LoadOp::create(lb, loc, vecType, mem, {row, col});
  };

  SmallVector<Value> rowIdx, colIdx;
  for (int64_t r = 0; r < tile.rows; ++r)
    rowIdx.push_back(r == 0 ? m : arith::AddIOp::create(b, loc, m, index(r)));
  for (int64_t v = 0; v < tile.vectors; ++v)
    colIdx.push_back(
        v == 0 ? n : arith::AddIOp::create(b, loc, n, index(v * tile.width)));

  // C's tile: zeros when the matmul's own fill of C was folded in (C is
  // then only written), else C's elements.
  SmallVector<Value> init;
  for (int64_t r = 0; r < tile.rows; ++r)
    for (int64_t v = 0; v < tile.vectors; ++v)
      init.push_back(zeroInit
                         ? zeroVec
                         : load(b, out, rowIdx[r], colIdx[v], isLast(v, tile)));

  auto kLoop = scf::ForOp::create(
      b, loc, kBegin, kEnd, index(1), init,
      [&](OpBuilder &lb, Location ll, Value kIv, ValueRange accs) {
        SmallVector<Value> bVecs;
        for (int64_t v = 0; v < tile.vectors; ++v)
          bVecs.push_back(load(lb, rhs, kIv, colIdx[v], isLast(v, tile)));
        SmallVector<Value> next;
        for (int64_t r = 0; r < tile.rows; ++r) {
          Value a = memref::LoadOp::create(lb, ll, lhs,
                                           transposedLhs
                                               ? ValueRange{kIv, rowIdx[r]}
                                               : ValueRange{rowIdx[r], kIv});
          Value aVec = vector::BroadcastOp::create(lb, ll, vecType, a);
          for (int64_t v = 0; v < tile.vectors; ++v)
            next.push_back(vector::FMAOp::create(lb, ll, aVec, bVecs[v],
                                                 accs[r * tile.vectors + v]));
        }
        scf::YieldOp::create(lb, ll, next);
      });

  for (int64_t r = 0; r < tile.rows; ++r)
    for (int64_t v = 0; v < tile.vectors; ++v) {
      Value acc = kLoop.getResult(r * tile.vectors + v);
      if (isLast(v, tile) && mask)
        vector::MaskedStoreOp::create(b, loc, out, {rowIdx[r], colIdx[v]}, mask,
                                      acc);
      else
        vector::StoreOp::create(b, loc, acc, out, {rowIdx[r], colIdx[v]});
    }
}

/// True for a rank-2 f32 memref whose rows are contiguous: the identity
/// layout, or a strided view with unit column stride (a step of a recurrent
/// layer's saved states, a column block of a gate matrix).
static bool isRowMajorF32Matrix(Type type) {
  auto memref = dyn_cast<MemRefType>(type);
  if (!memref || memref.getRank() != 2 || !memref.getElementType().isF32())
    return false;
  if (memref.getLayout().isIdentity())
    return true;
  SmallVector<int64_t> strides;
  int64_t offset;
  return succeeded(memref.getStridesAndOffset(strides, offset)) &&
         strides.back() == 1;
}

// linalg.matmul(A, B, C) on buffers -> register-blocked vector FMA loops
struct MatmulToVectorFma : public OpRewritePattern<linalg::MatmulOp> {
  MatmulToVectorFma(MLIRContext *ctx, int64_t width, int64_t rows,
                    int64_t vectors, int64_t parallelThreshold)
      : OpRewritePattern(ctx), width(width), rows(rows), vectors(vectors),
        parallelThreshold(parallelThreshold) {}

  LogicalResult matchAndRewrite(linalg::MatmulOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureBufferSemantics())
      return rewriter.notifyMatchFailure(op, "not on buffers");
    // The default maps, or A read transposed: (k, m), (k, n) -> (m, n).
    bool transposedLhs = false;
    if (op.hasUserDefinedMaps()) {
      MLIRContext *ctx = op.getContext();
      AffineExpr m = getAffineDimExpr(0, ctx), n = getAffineDimExpr(1, ctx),
                 k = getAffineDimExpr(2, ctx);
      SmallVector<AffineMap> transposedA{AffineMap::get(3, 0, {k, m}, ctx),
                                         AffineMap::get(3, 0, {k, n}, ctx),
                                         AffineMap::get(3, 0, {m, n}, ctx)};
      if (op.getIndexingMapsArray() != transposedA)
        return rewriter.notifyMatchFailure(op, "non-default indexing maps");
      transposedLhs = true;
    }
    Value lhs = op.getDpsInputs()[0], rhs = op.getDpsInputs()[1];
    Value out = op.getDpsInits()[0];
    if (!llvm::all_of(TypeRange{lhs.getType(), rhs.getType(), out.getType()},
                      isRowMajorF32Matrix))
      return rewriter.notifyMatchFailure(op, "not row-major f32 matrices");
    auto rhsType = cast<MemRefType>(rhs.getType());
    if (rhsType.isDynamicDim(1))
      return rewriter.notifyMatchFailure(op, "N is dynamic");

    // K is dynamic when it is the batch (weight gradients X^T @ G, K the
    // batch times the positions of a convolution): long enough that every
    // row block would stream all of B (and A) from memory again. It is
    // blocked: C is updated block by block of `kBlock` steps, whose slices
    // of A and B stay in the cache across the row blocks.
    bool blockK = rhsType.isDynamicDim(0);

    // C = 0 just before (the fill that every matmul of a layer starts
    // from, outlined into the same kernel): the tiles start from zeros
    // (unless C is updated block by block of K).
    bool zeroInit = false;
    if (auto fill = dyn_cast_or_null<linalg::FillOp>(op->getPrevNode())) {
      auto zero = fill.getInputs()[0].getDefiningOp<arith::ConstantOp>();
      auto value = zero ? dyn_cast<FloatAttr>(zero.getValue()) : FloatAttr();
      if (!blockK && fill.hasPureBufferSemantics() &&
          fill.getOutputs()[0] == out && value && value.getValue().isZero() &&
          !value.getValue().isNegative())
        zeroInit = true;
      if (zeroInit)
        rewriter.eraseOp(fill);
    }

    Location loc = op.getLoc();
    int64_t n = rhsType.getDimSize(1);
    auto index = [&](int64_t v) -> Value {
      return arith::ConstantIndexOp::create(rewriter, loc, v);
    };
    Value k = memref::DimOp::create(rewriter, loc, rhs, 0);
    unsigned rowDim = transposedLhs ? 1 : 0;
    Value numRows = memref::DimOp::create(rewriter, loc, lhs, rowDim);
    int64_t staticRows = cast<MemRefType>(lhs.getType()).getDimSize(rowDim);

    int64_t tileCols = vectors * width;
    int64_t fullCols = n / tileCols * tileCols, tailCols = n - fullCols;
    int64_t tailVectors = llvm::divideCeil(tailCols, width);
    // A one-vector column tile (N = 16: a first convolution's filters)
    // takes 12 rows, or each K step would load B for a handful of FMAs.
    // Wider tiles keep `rows`: on the CNN's N = 32 layers, 8 rows (the
    // same 16 accumulators) made the train step 8% slower than 4, with
    // twice the rows of A streamed at once.
    int64_t tailRows = tailVectors == 1 ? kMaxRows : rows;
    // Row blocks of `tile.rows` rows of one column range over K steps
    // [kBegin, kEnd), then the rows left over: one block of them when M is
    // static (a weight gradient's 9 taps), else one by one.
    auto emitColumns = [&](OpBuilder &b, Value kBegin, Value kEnd,
                           int64_t colBegin, int64_t colEnd, TileShape tile) {
      Value blockEnd = arith::SubIOp::create(
          b, loc, numRows,
          arith::RemUIOp::create(b, loc, numRows, index(tile.rows)));
      int64_t tileWidth = tile.vectors * width;
      // One row block: its column tiles.
      auto rowBlock = [&](OpBuilder &rb, Location l, Value m,
                          int64_t blockRows) {
        TileShape shape = tile;
        shape.rows = blockRows;
        scf::ForOp::create(
            rb, l, index(colBegin), index(colEnd), index(tileWidth),
            ValueRange{},
            [&](OpBuilder &nb, Location nl, Value col, ValueRange) {
              emitTile(nb, nl, lhs, rhs, out, m, col, kBegin, kEnd, shape,
                       transposedLhs, zeroInit);
              scf::YieldOp::create(nb, nl);
            });
      };
      auto rowLoop = [&](OpBuilder &lb, Value begin, Value end,
                         int64_t blockRows) {
        scf::ForOp::create(lb, loc, begin, end, index(blockRows), ValueRange{},
                           [&](OpBuilder &rb, Location l, Value m, ValueRange) {
                             rowBlock(rb, l, m, blockRows);
                             scf::YieldOp::create(rb, l);
                           });
      };
      // The full row blocks: in parallel when the product is large
      // enough (each block writes its own rows of C).
      auto parallelRowLoop = [&](OpBuilder &lb) {
        scf::ParallelOp::create(lb, loc, ValueRange{index(0)},
                                ValueRange{blockEnd},
                                ValueRange{index(tile.rows)},
                                [&](OpBuilder &rb, Location l, ValueRange ivs) {
                                  rowBlock(rb, l, ivs[0], tile.rows);
                                });
      };
      int64_t staticK = rhsType.getDimSize(0);
      if (parallelThreshold <= 0) {
        rowLoop(b, index(0), blockEnd, tile.rows);
      } else if (!ShapedType::isDynamic(staticRows) &&
                 !ShapedType::isDynamic(staticK)) {
        if (staticRows * staticK * (colEnd - colBegin) >= parallelThreshold)
          parallelRowLoop(b);
        else
          rowLoop(b, index(0), blockEnd, tile.rows);
      } else {
        // M or K is the batch: decided per call.
        Value work = arith::MulIOp::create(
            b, loc,
            arith::MulIOp::create(b, loc, numRows,
                                  arith::SubIOp::create(b, loc, kEnd, kBegin)),
            index(colEnd - colBegin));
        Value large = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge,
                                            work, index(parallelThreshold));
        scf::IfOp::create(
            b, loc, large,
            [&](OpBuilder &tb, Location l) {
              parallelRowLoop(tb);
              scf::YieldOp::create(tb, l);
            },
            [&](OpBuilder &eb, Location l) {
              rowLoop(eb, index(0), blockEnd, tile.rows);
              scf::YieldOp::create(eb, l);
            });
      }
      int64_t leftOver =
          ShapedType::isDynamic(staticRows) ? 1 : staticRows % tile.rows;
      if (leftOver > 0)
        rowLoop(b, blockEnd, numRows, leftOver);
    };
    auto emitAllColumns = [&](OpBuilder &b, Value kBegin, Value kEnd) {
      if (fullCols > 0)
        emitColumns(b, kBegin, kEnd, 0, fullCols,
                    {rows, vectors, width, width});
      if (tailCols > 0)
        emitColumns(b, kBegin, kEnd, fullCols, n,
                    {tailRows, tailVectors,
                     tailCols - (tailVectors - 1) * width, width});
    };
    if (blockK) {
      scf::ForOp::create(
          rewriter, loc, index(0), k, index(kBlock), ValueRange{},
          [&](OpBuilder &b, Location l, Value kBegin, ValueRange) {
            Value kEnd = arith::MinSIOp::create(
                b, l, k, arith::AddIOp::create(b, l, kBegin, index(kBlock)));
            emitAllColumns(b, kBegin, kEnd);
            scf::YieldOp::create(b, l);
          });
    } else {
      emitAllColumns(rewriter, index(0), k);
    }
    rewriter.eraseOp(op);
    return success();
  }

  /// K steps per block of a dynamic K: a block of B (256 x N) and of A
  /// (M x 256) stay in L2 across the row blocks.
  static constexpr int64_t kBlock = 256;

  /// Registers: accumulators + B vectors + a broadcast within AVX-512's 32.
  static constexpr int64_t kMaxRows = 12;

  int64_t width, rows, vectors, parallelThreshold;
};

} // namespace

// --kiln-cpu-vectorize-matmul
namespace {
struct VectorizeMatmulPass
    : public kiln::impl::VectorizeMatmulPassBase<VectorizeMatmulPass> {
  using VectorizeMatmulPassBase::VectorizeMatmulPassBase;
  void runOnOperation() override {
    if (vectorWidth < 1 || rows < 1 || vectors < 1 || parallelThreshold < 0) {
      getOperation().emitError("kiln-cpu-vectorize-matmul: vector-width, "
                               "rows and vectors must be positive");
      return signalPassFailure();
    }
    RewritePatternSet patterns(&getContext());
    patterns.add<MatmulToVectorFma>(&getContext(), vectorWidth, rows, vectors,
                                    parallelThreshold);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
