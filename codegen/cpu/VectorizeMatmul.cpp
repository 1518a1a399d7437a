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
//
// A B larger than about half of L2 (a 2048 x 2048 layer: 16 MiB) would be
// streamed from memory by every row block, with a new page at every K step.
// Its whole tiles are then packed, GotoBLAS/BLIS style: for each block of
// `pack-n` columns by `pack-k` steps of K, B's block is copied into panels of
// one tile's columns, contiguous over K, which stay in L2 while all row
// blocks of A stream past them (A's rows are contiguous already and read by
// broadcasts, so A is not packed). 2048^3 went from 25% to 89% of one core's
// FMA peak. The sums run in the same order as without packing. A B read
// transposed (an input gradient G @ W^T) is always packed: the panels are
// where it becomes row-major.
//===----------------------------------------------------------------------===//

#include "codegen/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
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

/// Where a micro kernel reads B: vector `v` of row `k - kOffset` (`k` when
/// null) at column `colBase + v * width` of `mem`, after the leading
/// `prefix` indices (a packed panel's number). B itself has no prefix and
/// the tile's column of C as its base.
struct RhsAccess {
  Value mem;
  SmallVector<Value, 1> prefix;
  Value kOffset;
  Value colBase;
};

/// How a micro kernel's accumulators start.
struct TileInit {
  /// From zeros (the matmul's own fill of C was folded in: C is only
  /// written).
  bool zero = false;
  /// With `zero`: only where this i1 holds (the first block of K; later
  /// blocks add to C).
  Value onlyIf;
};

/// Emits `C[m : m+rows, n : n+cols] += A[m : m+rows, k0 : k1] *
/// B[k0 : k1, cols]` at the builder's insertion point, B read through
/// `rhs`.
static void emitTile(OpBuilder &b, Location loc, Value lhs,
                     const RhsAccess &rhs, Value out, Value m, Value n,
                     Value kBegin, Value kEnd, TileShape tile,
                     bool transposedLhs, TileInit init) {
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
  auto isLast = [&](int64_t v) { return v == tile.vectors - 1; };
  auto load = [&](OpBuilder &lb, Value mem, ValueRange indices,
                  bool last) -> Value {
    if (last && mask)
      return vector::MaskedLoadOp::create(lb, loc, vecType, mem, indices, mask,
                                          zeroVec);
    return vector::LoadOp::create(lb, loc, vecType, mem, indices);
  };

  SmallVector<Value> rowIdx, colIdx, rhsColIdx;
  for (int64_t r = 0; r < tile.rows; ++r)
    rowIdx.push_back(r == 0 ? m : arith::AddIOp::create(b, loc, m, index(r)));
  auto columns = [&](Value base, SmallVectorImpl<Value> &result) {
    for (int64_t v = 0; v < tile.vectors; ++v)
      result.push_back(
          v == 0 ? base
                 : arith::AddIOp::create(b, loc, base, index(v * tile.width)));
  };
  columns(n, colIdx);
  if (rhs.colBase == n)
    rhsColIdx = colIdx;
  else
    columns(rhs.colBase, rhsColIdx);

  // C's tile: zeros, C's elements, or zeros in the first block of K only.
  SmallVector<Value> initial;
  for (int64_t r = 0; r < tile.rows; ++r)
    for (int64_t v = 0; v < tile.vectors; ++v) {
      if (init.zero && !init.onlyIf) {
        initial.push_back(zeroVec);
        continue;
      }
      Value c = load(b, out, {rowIdx[r], colIdx[v]}, isLast(v));
      if (init.zero)
        c = arith::SelectOp::create(b, loc, init.onlyIf, zeroVec, c);
      initial.push_back(c);
    }

  auto kLoop = scf::ForOp::create(
      b, loc, kBegin, kEnd, index(1), initial,
      [&](OpBuilder &lb, Location ll, Value kIv, ValueRange accs) {
        SmallVector<Value> rhsIdx(rhs.prefix.begin(), rhs.prefix.end());
        rhsIdx.push_back(rhs.kOffset
                             ? arith::SubIOp::create(lb, ll, kIv, rhs.kOffset)
                             : kIv);
        rhsIdx.push_back(Value());
        SmallVector<Value> bVecs;
        for (int64_t v = 0; v < tile.vectors; ++v) {
          rhsIdx.back() = rhsColIdx[v];
          bVecs.push_back(load(lb, rhs.mem, rhsIdx, isLast(v)));
        }
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
      if (isLast(v) && mask)
        vector::MaskedStoreOp::create(b, loc, out, {rowIdx[r], colIdx[v]}, mask,
                                      acc);
      else
        vector::StoreOp::create(b, loc, acc, out, {rowIdx[r], colIdx[v]});
    }
}

/// An scf.for over [0, upper) in steps of `step`; `body` gets each block's
/// begin and end (min(begin + step, upper)).
static void forEachBlock(
    OpBuilder &b, Location loc, Value upper, int64_t step,
    llvm::function_ref<void(OpBuilder &, Location, Value, Value)> body) {
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value stepValue = arith::ConstantIndexOp::create(b, loc, step);
  scf::ForOp::create(b, loc, zero, upper, stepValue, ValueRange{},
                     [&](OpBuilder &fb, Location l, Value begin, ValueRange) {
                       Value end = arith::MinSIOp::create(
                           fb, l, upper,
                           arith::AddIOp::create(fb, l, begin, stepValue));
                       body(fb, l, begin, end);
                       scf::YieldOp::create(fb, l);
                     });
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

/// The pattern's parameters (the pass's options).
struct MatmulOptions {
  int64_t width, rows, vectors, parallelThreshold;
  int64_t packThreshold, packK, packN, packM;
};

// linalg.matmul(A, B, C) on buffers -> register-blocked vector FMA loops
struct MatmulToVectorFma : public OpRewritePattern<linalg::MatmulOp> {
  MatmulToVectorFma(MLIRContext *ctx, MatmulOptions options)
      : OpRewritePattern(ctx), o(options) {}

  /// Emits one block of rows (at row `m`, `tile.rows` of them) of C.
  using RowBlockFn =
      llvm::function_ref<void(OpBuilder &, Location, Value m, TileShape)>;

  /// The matmul being rewritten, and what its rewrite shares.
  struct Operands {
    Location loc;
    Value lhs, rhs, out;
    bool transposedLhs, transposedRhs;
    Value numRows, k;
    int64_t staticRows, staticK;
  };

  LogicalResult matchAndRewrite(linalg::MatmulOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureBufferSemantics())
      return rewriter.notifyMatchFailure(op, "not on buffers");
    // The default maps, A read transposed ((k, m), (k, n) -> (m, n)) or B
    // read transposed ((m, k), (n, k) -> (m, n)).
    bool transposedLhs = false, transposedRhs = false;
    if (op.hasUserDefinedMaps()) {
      MLIRContext *ctx = op.getContext();
      AffineExpr m = getAffineDimExpr(0, ctx), n = getAffineDimExpr(1, ctx),
                 k = getAffineDimExpr(2, ctx);
      SmallVector<AffineMap> transposedA{AffineMap::get(3, 0, {k, m}, ctx),
                                         AffineMap::get(3, 0, {k, n}, ctx),
                                         AffineMap::get(3, 0, {m, n}, ctx)};
      SmallVector<AffineMap> transposedB{AffineMap::get(3, 0, {m, k}, ctx),
                                         AffineMap::get(3, 0, {n, k}, ctx),
                                         AffineMap::get(3, 0, {m, n}, ctx)};
      transposedLhs = op.getIndexingMapsArray() == transposedA;
      transposedRhs = op.getIndexingMapsArray() == transposedB;
      if (!transposedLhs && !transposedRhs)
        return rewriter.notifyMatchFailure(op, "non-default indexing maps");
    }
    Value lhs = op.getDpsInputs()[0], rhs = op.getDpsInputs()[1];
    Value out = op.getDpsInits()[0];
    if (!llvm::all_of(TypeRange{lhs.getType(), rhs.getType(), out.getType()},
                      isRowMajorF32Matrix))
      return rewriter.notifyMatchFailure(op, "not row-major f32 matrices");
    auto rhsType = cast<MemRefType>(rhs.getType());
    unsigned rhsK = transposedRhs ? 1 : 0, rhsN = 1 - rhsK;
    if (rhsType.isDynamicDim(rhsN))
      return rewriter.notifyMatchFailure(op, "N is dynamic");
    // B^T is only read through packed panels, sized by K.
    if (transposedRhs && rhsType.isDynamicDim(rhsK))
      return rewriter.notifyMatchFailure(op, "K of B^T is dynamic");

    // C = 0 just before (the fill that every matmul of a layer starts
    // from, outlined into the same kernel): the tiles start from zeros.
    // Only with a static K: a dynamic one (the batch) may be 0, leaving C
    // to the fill.
    bool zeroInit = false;
    if (auto fill = dyn_cast_or_null<linalg::FillOp>(op->getPrevNode())) {
      auto zero = fill.getInputs()[0].getDefiningOp<arith::ConstantOp>();
      auto value = zero ? dyn_cast<FloatAttr>(zero.getValue()) : FloatAttr();
      if (!rhsType.isDynamicDim(rhsK) && fill.hasPureBufferSemantics() &&
          fill.getOutputs()[0] == out && value && value.getValue().isZero() &&
          !value.getValue().isNegative())
        zeroInit = true;
      if (zeroInit)
        rewriter.eraseOp(fill);
    }

    Location loc = op.getLoc();
    unsigned rowDim = transposedLhs ? 1 : 0;
    Operands x{loc,
               lhs,
               rhs,
               out,
               transposedLhs,
               transposedRhs,
               memref::DimOp::create(rewriter, loc, lhs, rowDim),
               memref::DimOp::create(rewriter, loc, rhs, rhsK),
               cast<MemRefType>(lhs.getType()).getDimSize(rowDim),
               rhsType.getDimSize(rhsK)};

    int64_t n = rhsType.getDimSize(rhsN);
    int64_t tileCols = o.vectors * o.width;
    int64_t fullCols = n / tileCols * tileCols;
    TileShape fullTile{o.rows, o.vectors, o.width, o.width};
    if (transposedRhs) {
      // Whole tiles, then the column tail as one narrower panel (its last
      // vector masked), all through packed copies of B^T.
      emitPacked(rewriter, x, zeroInit, op, 0, fullCols, fullTile);
      int64_t tailCols = n - fullCols;
      int64_t tailVectors = llvm::divideCeil(tailCols, o.width);
      emitPacked(rewriter, x, zeroInit, op, fullCols, n,
                 {tailVectors == 1 ? kMaxRows : o.rows, tailVectors,
                  tailCols - (tailVectors - 1) * o.width, o.width});
      rewriter.eraseOp(op);
      return success();
    }
    // Packing B pays when B (or a dynamic K's block of it) does not stay
    // in the cache across the row blocks, and there are rows enough to
    // reuse the packed copy.
    int64_t bRows = ShapedType::isDynamic(x.staticK) ? kBlock : x.staticK;
    bool pack =
        o.packThreshold > 0 && fullCols > 0 &&
        bRows * fullCols * 4 > o.packThreshold &&
        (ShapedType::isDynamic(x.staticRows) || x.staticRows >= kMinPackRows);
    if (!pack) {
      emitUnpacked(rewriter, x, zeroInit, 0, n);
    } else if (!ShapedType::isDynamic(x.staticRows)) {
      emitPacked(rewriter, x, zeroInit, op, 0, fullCols, fullTile);
      emitUnpacked(rewriter, x, zeroInit, fullCols, n);
    } else {
      // M is the batch: a few rows (batch 1) read B directly.
      Value many = arith::CmpIOp::create(
          rewriter, loc, arith::CmpIPredicate::sge, x.numRows,
          arith::ConstantIndexOp::create(rewriter, loc, kMinPackRows));
      scf::IfOp::create(
          rewriter, loc, many,
          [&](OpBuilder &b, Location l) {
            emitPacked(b, x, zeroInit, op, 0, fullCols, fullTile);
            emitUnpacked(b, x, zeroInit, fullCols, n);
            scf::YieldOp::create(b, l);
          },
          [&](OpBuilder &b, Location l) {
            emitUnpacked(b, x, zeroInit, 0, n);
            scf::YieldOp::create(b, l);
          });
    }
    rewriter.eraseOp(op);
    return success();
  }

  /// Whether the row blocks of a product over `cols` columns and K steps
  /// [kBegin, kEnd) run on all threads: decided when compiling for static
  /// M and K (`parallel`), else per call (the i1 `decide`, from the
  /// multiply-adds against the parallel threshold).
  struct Threads {
    bool parallel = false;
    Value decide;
  };
  Threads chooseThreads(OpBuilder &b, const Operands &x, Value kBegin,
                        Value kEnd, int64_t cols) const {
    Threads threads;
    if (o.parallelThreshold <= 0)
      return threads;
    if (!ShapedType::isDynamic(x.staticRows) &&
        !ShapedType::isDynamic(x.staticK)) {
      threads.parallel = x.staticRows * x.staticK * cols >= o.parallelThreshold;
      return threads;
    }
    Location loc = x.loc;
    Value work = arith::MulIOp::create(
        b, loc,
        arith::MulIOp::create(b, loc, x.numRows,
                              arith::SubIOp::create(b, loc, kEnd, kBegin)),
        arith::ConstantIndexOp::create(b, loc, cols));
    threads.decide = arith::CmpIOp::create(
        b, loc, arith::CmpIPredicate::sge, work,
        arith::ConstantIndexOp::create(b, loc, o.parallelThreshold));
    return threads;
  }

  /// Row blocks of `tile.rows` rows of [rowBegin, rowEnd) (all rows when
  /// null; a multiple of `tile.rows` from rowBegin, or the last rows) in
  /// parallel when `parallel` is true, or where the i1 `decide` holds, with
  /// a serial copy for the rest; then the rows left over: one block of them
  /// when M is static (a weight gradient's 9 taps), else one by one.
  void emitRowBlocks(OpBuilder &b, const Operands &x, TileShape tile,
                     bool parallel, Value decide, RowBlockFn body,
                     Value rowBegin = Value(), Value rowEnd = Value()) const {
    Location loc = x.loc;
    auto index = [&](int64_t v) -> Value {
      return arith::ConstantIndexOp::create(b, loc, v);
    };
    if (!rowBegin) {
      rowBegin = index(0);
      rowEnd = x.numRows;
    }
    Value blockEnd = arith::SubIOp::create(
        b, loc, rowEnd,
        arith::RemUIOp::create(b, loc,
                               arith::SubIOp::create(b, loc, rowEnd, rowBegin),
                               index(tile.rows)));
    auto rowLoop = [&](OpBuilder &lb, Value begin, Value end,
                       int64_t blockRows) {
      TileShape shape = tile;
      shape.rows = blockRows;
      scf::ForOp::create(lb, loc, begin, end, index(blockRows), ValueRange{},
                         [&](OpBuilder &rb, Location l, Value m, ValueRange) {
                           body(rb, l, m, shape);
                           scf::YieldOp::create(rb, l);
                         });
    };
    // Each block writes its own rows of C: no reduction across threads.
    auto parallelRowLoop = [&](OpBuilder &lb) {
      scf::ParallelOp::create(lb, loc, ValueRange{rowBegin},
                              ValueRange{blockEnd},
                              ValueRange{index(tile.rows)},
                              [&](OpBuilder &rb, Location l, ValueRange ivs) {
                                body(rb, l, ivs[0], tile);
                              });
    };
    if (parallel) {
      parallelRowLoop(b);
    } else if (!decide) {
      rowLoop(b, rowBegin, blockEnd, tile.rows);
    } else {
      scf::IfOp::create(
          b, loc, decide,
          [&](OpBuilder &tb, Location l) {
            parallelRowLoop(tb);
            scf::YieldOp::create(tb, l);
          },
          [&](OpBuilder &eb, Location l) {
            rowLoop(eb, rowBegin, blockEnd, tile.rows);
            scf::YieldOp::create(eb, l);
          });
    }
    int64_t leftOver =
        ShapedType::isDynamic(x.staticRows) ? 1 : x.staticRows % tile.rows;
    if (leftOver > 0)
      rowLoop(b, blockEnd, rowEnd, leftOver);
  }

  /// Columns [colBegin, colEnd) of C, reading B where it is. A dynamic K
  /// (the batch: weight gradients X^T @ G, K the batch times the positions
  /// of a convolution) is long enough that every row block would stream
  /// all of B (and A) from memory again: C is then updated block by block
  /// of `kBlock` steps, whose slices of A and B stay in the cache across
  /// the row blocks.
  void emitUnpacked(OpBuilder &b, const Operands &x, bool zeroInit,
                    int64_t colBegin, int64_t colEnd) const {
    if (colBegin >= colEnd)
      return;
    Location loc = x.loc;
    auto index = [&](int64_t v) -> Value {
      return arith::ConstantIndexOp::create(b, loc, v);
    };
    int64_t width = o.width, tileCols = o.vectors * width;
    int64_t fullEnd = colBegin + (colEnd - colBegin) / tileCols * tileCols;
    int64_t tailCols = colEnd - fullEnd;
    int64_t tailVectors = llvm::divideCeil(tailCols, width);
    // A one-vector column tile (N = 16: a first convolution's filters)
    // takes 12 rows, or each K step would load B for a handful of FMAs.
    // Wider tiles keep `rows`: on the CNN's N = 32 layers, 8 rows (the
    // same 16 accumulators) made the train step 8% slower than 4, with
    // twice the rows of A streamed at once.
    int64_t tailRows = tailVectors == 1 ? kMaxRows : o.rows;
    TileInit init{zeroInit, Value()};

    auto emitColumns = [&](OpBuilder &cb, Value kBegin, Value kEnd,
                           int64_t begin, int64_t end, TileShape tile) {
      Threads threads = chooseThreads(cb, x, kBegin, kEnd, end - begin);
      int64_t step = tile.vectors * width;
      emitRowBlocks(
          cb, x, tile, threads.parallel, threads.decide,
          [&](OpBuilder &rb, Location l, Value m, TileShape shape) {
            scf::ForOp::create(
                rb, l, index(begin), index(end), index(step), ValueRange{},
                [&](OpBuilder &nb, Location nl, Value col, ValueRange) {
                  emitTile(nb, nl, x.lhs, RhsAccess{x.rhs, {}, Value(), col},
                           x.out, m, col, kBegin, kEnd, shape, x.transposedLhs,
                           init);
                  scf::YieldOp::create(nb, nl);
                });
          });
    };
    auto emitAllColumns = [&](OpBuilder &cb, Value kBegin, Value kEnd) {
      if (fullEnd > colBegin)
        emitColumns(cb, kBegin, kEnd, colBegin, fullEnd,
                    {o.rows, o.vectors, width, width});
      if (tailCols > 0)
        emitColumns(cb, kBegin, kEnd, fullEnd, colEnd,
                    {tailRows, tailVectors,
                     tailCols - (tailVectors - 1) * width, width});
    };
    if (ShapedType::isDynamic(x.staticK)) {
      forEachBlock(b, loc, x.k, kBlock,
                   [&](OpBuilder &kb, Location, Value kBegin, Value kEnd) {
                     emitAllColumns(kb, kBegin, kEnd);
                   });
    } else {
      emitAllColumns(b, index(0), x.k);
    }
  }

  /// Columns [colBegin, colEnd) of C in tiles of `tile` through packed
  /// copies of B (GotoBLAS/BLIS): for each block of `packN` columns and
  /// `packK` steps of K, B's block is copied into panels of one tile's
  /// columns, each contiguous over its K steps, that stay in L2 while every
  /// row block of A streams over them. The copy lives on the stack (at most
  /// `packK` x `packN` floats), allocated once at the function's start.
  void emitPacked(OpBuilder &b, const Operands &x, bool zeroInit, Operation *op,
                  int64_t colBegin, int64_t colEnd, TileShape tile) const {
    if (colBegin >= colEnd)
      return;
    Location loc = x.loc;
    auto index = [&](int64_t v) -> Value {
      return arith::ConstantIndexOp::create(b, loc, v);
    };
    int64_t width = o.width, nr = tile.vectors * width;
    // Columns of each panel that exist (fewer in a tail panel).
    int64_t panelCols = colEnd - colBegin < nr ? colEnd - colBegin : nr;
    int64_t blockCols = std::min(std::max(o.packN / nr, int64_t(1)) * nr,
                                 int64_t(llvm::alignTo(colEnd - colBegin, nr)));
    int64_t panels = blockCols / nr;
    int64_t kc = ShapedType::isDynamic(x.staticK)
                     ? o.packK
                     : std::min(o.packK, x.staticK);
    Type f32 = b.getF32Type();
    auto vecType = VectorType::get({width}, f32);
    Value packed;
    {
      OpBuilder::InsertionGuard guard(b);
      auto func = op->getParentOfType<func::FuncOp>();
      b.setInsertionPointToStart(&func.getBody().front());
      packed = memref::AllocaOp::create(b, loc,
                                        MemRefType::get({panels, kc, nr}, f32),
                                        ValueRange{}, b.getI64IntegerAttr(64));
    }
    bool parallel = o.parallelThreshold > 0;
    bool smallB = x.transposedRhs && !ShapedType::isDynamic(x.staticK) &&
                  x.staticK * (colEnd - colBegin) * 4 <= o.packThreshold;
    // A large B's product always has work for all threads; a small B^T's
    // decides as an unpacked product does (per call for a batch of rows).
    Threads rows{parallel, Value()};
    if (smallB)
      rows = chooseThreads(b, x, index(0), x.k, colEnd - colBegin);
    // One block of rows [ic, icEnd): all of its column blocks and K steps.
    auto rowsBlock = [&](OpBuilder &ib, Location il, Value ic, Value icEnd) {
      forEachBlock(
          ib, il, index(colEnd - colBegin), blockCols,
          [&](OpBuilder &jb, Location l, Value jcRel, Value jcEnd) {
            Value jc = arith::AddIOp::create(jb, l, jcRel, index(colBegin));
            Value numPanels = arith::CeilDivUIOp::create(
                jb, l, arith::SubIOp::create(jb, l, jcEnd, jcRel), index(nr));
            forEachBlock(
                jb, l, x.k, kc,
                [&](OpBuilder &kb, Location kl, Value pc, Value kEnd) {
                  Value kLen = arith::SubIOp::create(kb, kl, kEnd, pc);
                  emitPack(kb, kl, x.rhs, x.transposedRhs, packed, jc, pc, kLen,
                           numPanels, nr, panelCols, vecType,
                           parallel && panels > 1);
                  TileInit init{zeroInit, Value()};
                  if (zeroInit)
                    init.onlyIf = arith::CmpIOp::create(
                        kb, kl, arith::CmpIPredicate::eq, pc, index(0));
                  emitRowBlocks(
                      kb, x, tile, rows.parallel, rows.decide,
                      [&](OpBuilder &rb, Location rl, Value m,
                          TileShape shape) {
                        scf::ForOp::create(
                            rb, rl, index(0), numPanels, index(1), ValueRange{},
                            [&](OpBuilder &pb, Location ql, Value p,
                                ValueRange) {
                              Value n = arith::AddIOp::create(
                                  pb, ql, jc,
                                  arith::MulIOp::create(pb, ql, p, index(nr)));
                              emitTile(pb, ql, x.lhs,
                                       RhsAccess{packed, {p}, pc, index(0)},
                                       x.out, m, n, pc, kEnd, shape,
                                       x.transposedLhs, init);
                              scf::YieldOp::create(pb, ql);
                            });
                      },
                      ic, icEnd);
                });
          });
    };
    // Blocks of `packM` rows, whose slice of A (packM x packK) stays in L2
    // across the column blocks; B is packed again for each (a static M of
    // at most one block runs once, without the loop). A B^T small enough
    // to stay in the cache (a convolution's input gradient: K x N = 32 x
    // 144) is packed once for all rows.
    int64_t mc = std::max<int64_t>(o.packM / tile.rows, 1) * tile.rows;
    if (smallB ||
        (!ShapedType::isDynamic(x.staticRows) && x.staticRows <= mc)) {
      rowsBlock(b, loc, index(0), x.numRows);
      return;
    }
    forEachBlock(b, loc, x.numRows, mc, rowsBlock);
  }

  /// packed[p, k, :] = B[pc + k, jc + p * nr : ... + nr] for the block's
  /// panels (one per thread when `parallel`) and K steps; from B^T (stored
  /// N x K), the same elements read along its rows, `panelCols` (< nr in
  /// a tail panel) of each panel.
  static void emitPack(OpBuilder &b, Location loc, Value rhs, bool transposed,
                       Value packed, Value jc, Value pc, Value kLen,
                       Value numPanels, int64_t nr, int64_t panelCols,
                       VectorType vecType, bool parallel) {
    auto index = [&](int64_t v) -> Value {
      return arith::ConstantIndexOp::create(b, loc, v);
    };
    int64_t width = vecType.getNumElements();
    auto panel = [&](OpBuilder &pb, Location pl, Value p) {
      Value col0 = arith::AddIOp::create(
          pb, pl, jc, arith::MulIOp::create(pb, pl, p, index(nr)));
      if (transposed) {
        // Along B^T's rows (contiguous in K), one column of the panel at a
        // time.
        scf::ForOp::create(
            pb, pl, index(0), index(panelCols), index(1), ValueRange{},
            [&](OpBuilder &cb, Location cl, Value c, ValueRange) {
              Value n = arith::AddIOp::create(cb, cl, col0, c);
              scf::ForOp::create(
                  cb, cl, index(0), kLen, index(1), ValueRange{},
                  [&](OpBuilder &kb, Location kl, Value k, ValueRange) {
                    Value v = memref::LoadOp::create(
                        kb, kl, rhs,
                        ValueRange{n, arith::AddIOp::create(kb, kl, pc, k)});
                    memref::StoreOp::create(kb, kl, v, packed,
                                            ValueRange{p, k, c});
                    scf::YieldOp::create(kb, kl);
                  });
              scf::YieldOp::create(cb, cl);
            });
        return;
      }
      scf::ForOp::create(
          pb, pl, index(0), kLen, index(1), ValueRange{},
          [&](OpBuilder &kb, Location kl, Value k, ValueRange) {
            Value row = arith::AddIOp::create(kb, kl, pc, k);
            for (int64_t c = 0; c < nr; c += width) {
              Value col =
                  c == 0 ? col0 : arith::AddIOp::create(kb, kl, col0, index(c));
              Value v = vector::LoadOp::create(kb, kl, vecType, rhs,
                                               ValueRange{row, col});
              vector::StoreOp::create(kb, kl, v, packed,
                                      ValueRange{p, k, index(c)});
            }
            scf::YieldOp::create(kb, kl);
          });
    };
    if (parallel) {
      scf::ParallelOp::create(b, loc, ValueRange{index(0)},
                              ValueRange{numPanels}, ValueRange{index(1)},
                              [&](OpBuilder &pb, Location pl, ValueRange ivs) {
                                panel(pb, pl, ivs[0]);
                              });
    } else {
      scf::ForOp::create(b, loc, index(0), numPanels, index(1), ValueRange{},
                         [&](OpBuilder &pb, Location pl, Value p, ValueRange) {
                           panel(pb, pl, p);
                           scf::YieldOp::create(pb, pl);
                         });
    }
  }

  /// K steps per block of a dynamic K: a block of B (256 x N) and of A
  /// (M x 256) stay in L2 across the row blocks.
  static constexpr int64_t kBlock = 256;

  /// Registers: accumulators + B vectors + a broadcast within AVX-512's 32.
  static constexpr int64_t kMaxRows = 12;

  /// Rows from which B is packed: below, the copy costs more than the
  /// reads it saves (batch 1 reads each weight once).
  static constexpr int64_t kMinPackRows = 16;

  MatmulOptions o;
};

} // namespace

// --kiln-cpu-vectorize-matmul
namespace {
struct VectorizeMatmulPass
    : public kiln::impl::VectorizeMatmulPassBase<VectorizeMatmulPass> {
  using VectorizeMatmulPassBase::VectorizeMatmulPassBase;
  void runOnOperation() override {
    if (vectorWidth < 1 || rows < 1 || vectors < 1 || parallelThreshold < 0 ||
        packThreshold < 0 || packK < 1 || packN < 1 || packM < 1) {
      getOperation().emitError(
          "kiln-cpu-vectorize-matmul: vector-width, rows, vectors, pack-k, "
          "pack-n and pack-m must be positive, the thresholds not negative");
      return signalPassFailure();
    }
    RewritePatternSet patterns(&getContext());
    patterns.add<MatmulToVectorFma>(
        &getContext(),
        MatmulOptions{vectorWidth, rows, vectors, parallelThreshold,
                      packThreshold, packK, packN, packM});
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
