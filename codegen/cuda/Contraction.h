//===- Contraction.h - Sums and matrix products on buffers ------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// The shapes of linalg op the CUDA passes recognize on buffers: a sum into
// one output (a block of threads can share it) and a matrix product in any
// layout (tiled through shared memory). kiln-cuda-split-k and
// kiln-cuda-fuse-into-matmul decide what to do with a product;
// kiln-cuda-map-to-gpu maps it. A factor of a product is an input read at
// its indexing map, or a value the body computes from two loop indices (a
// gather folded in by kiln-cuda-fuse-into-matmul: an implicit GEMM).
//===----------------------------------------------------------------------===//

#ifndef KILN_CODEGEN_CUDA_CONTRACTION_H
#define KILN_CODEGEN_CUDA_CONTRACTION_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SmallBitVector.h"

#include <optional>

namespace mlir::kiln {

/// The mark kiln-cuda-split-k gives a matrix product whose last input it
/// made the product's partial sums.
inline constexpr llvm::StringLiteral kSplitKAttrName = "kiln.split_k";
/// The mark kiln-cuda-fuse-into-matmul gives a product whose output it no
/// longer fills with zeros: the product stores its sums instead of adding
/// them.
inline constexpr llvm::StringLiteral kZeroInitAttrName = "kiln.zero_init";

/// A linalg op that reduces dimensions by addition into its one output,
/// out = out + term(inputs): the shape of a weight gradient (a matmul
/// whose reduction is the batch), a bias gradient (over batch and image
/// positions) or a loss's sum, which a block of threads can share.
struct SumReduction {
  linalg::LinalgOp op;
  SmallVector<unsigned> reductionDims; // in loop order
  bool isReduction(unsigned d) const {
    return llvm::is_contained(reductionDims, d);
  }
  arith::AddFOp add; // the payload's final addition
  Value term;        // its operand that is not the output element
};

std::optional<SumReduction> matchSumReduction(linalg::LinalgOp op);

/// Whether `reduction` has too little parallel work and too long a
/// reduction for one thread per output element: a block per element then
/// shares the reduction.
bool worthBlockReduction(const SumReduction &reduction);

/// `op` as a sum that blocks of threads share (worthBlockReduction).
std::optional<SumReduction> matchSharedSum(linalg::LinalgOp op);

/// The outputs of `reduction`: the product of its static parallel extents.
int64_t reductionOutputs(const SumReduction &reduction);

/// The outputs a block of 256 threads of `reduction` takes side by side
/// (its lanes; the block's other threads split each output's terms): 32
/// with 1024 outputs or more. Fewer outputs take as many lanes as there are
/// outputs (a power of two, at most 32) when neighbouring outputs are
/// neighbours in memory (an input's innermost index is the innermost
/// output dimension: a bias gradient's channels), so that a warp's loads
/// coalesce; else one lane, 256 threads per output.
int64_t reductionLanes(const SumReduction &reduction);

/// One factor of a matrix product: an input's element, or a value of the
/// body computed from loop indices, constants and loads of buffers from
/// outside the op (`computed`, with `slice` the body's ops it needs, in
/// order).
struct Factor {
  OpOperand *operand = nullptr;
  Value computed;
  SmallVector<Operation *> slice;
  llvm::SmallBitVector dims; // the loop dimensions it depends on
};

/// A matrix product in any layout, C[m, n] += A(m, k) * B(k, n): a
/// SumReduction over three loops whose term multiplies a factor that
/// depends on (m, k) only by one that depends on (k, n) only. A split
/// product (kiln.split_k) has one more input, last: its partial sums.
struct Contraction {
  SumReduction sum;
  unsigned m, n, k; // loop dimensions
  Factor lhs, rhs;  // of (m, k) and (k, n)
};

std::optional<Contraction> matchContraction(const SumReduction &sum);

/// Both matchers at once: `op` as a matrix product.
std::optional<Contraction> matchContraction(linalg::LinalgOp op);

/// Threads of a kiln-cuda-map-to-gpu block (a tiled product's 16 x 16, a
/// shared reduction's).
constexpr int64_t kBlockThreads = 256;
/// The shared memory a block has without opting in to more.
constexpr int64_t kBlockSharedBytes = 48 * 1024;

/// The rows and columns of C one block of a tiled matrix product computes
/// (kiln-cuda-map-to-gpu; 256 threads, each a square register tile of
/// sqrt(rows cols / 256) a side).
struct TileShape {
  int64_t rows, cols;
};

/// The tile of a product with `m` rows and `n` columns of C (either may be
/// ShapedType::kDynamic) for `matmul-tile` `tile` staged `kStep` steps of
/// k at a time. Square (tile x tile) unless `narrow`: then, of the shapes
/// with the same area and register tile, (tile 2^j) x (tile / 2^j) with
/// at least 16 columns whose staging gives each thread whole elements and
/// whose two staged steps fit a block's shared memory, the one that
/// computes the fewest elements of C and its padding (a dynamic m counts
/// as long, so only the columns' padding counts), the squarest of equals,
/// if that is at most half of what the square tile computes (a narrow
/// tile loads more of A and B per multiply-add): a convolution's 16 or 32
/// output channels take 256 x 16 or 128 x 32 tiles instead of wasting
/// three quarters or half of a 64 x 64 one.
/// kiln-cuda-split-k counts tiles with the same function.
TileShape matmulTileShape(int64_t tile, int64_t kStep, bool narrow, int64_t m,
                          int64_t n);

/// The tiling of a product: `tile` x `tile` outputs a block (before
/// matmulTileShape narrows it), staged `kStep` steps of k at a time.
struct MatmulTiling {
  int64_t tile, kStep;
  bool operator==(const MatmulTiling &other) const {
    return tile == other.tile && kStep == other.kStep;
  }
  bool operator!=(const MatmulTiling &other) const { return !(*this == other); }
};

/// The tiling of a wide product (kiln-cuda-map-to-gpu's and
/// kiln-cuda-split-k's `wide-tile-min-tiles`): 128 x 128 outputs a block,
/// a register tile of 8 x 8 per thread, staged 8 steps of k at a time.
/// On an H200 (2026-12-04) a 4096^3 fp32 product ran at 44.3 TFLOP/s, 86%
/// of cuBLAS, against 30.1 (59%) in 64 x 64 tiles staged 16 steps. With
/// tensor cores a warp multiplies 64 x 32 of the tile where it multiplies
/// 32 x 16 of a 64 x 64 one: half the shared-memory loads per mma.sync;
/// BF16 stages 16 steps (its mma's).
constexpr MatmulTiling kWideTiling{128, 8};

/// The fewest columns of C for which a product may take kWideTiling:
/// narrower ones keep their (narrow) tiles.
constexpr int64_t kWideTileMinColumns = 256;

/// The tiling of a product with a small static output (a convolution's
/// weight gradient, 9 x 16 for 3 x 3 x 1 -> 16 channels) that a larger
/// tile would mostly compute outside C: 32 x 32 outputs a block (or
/// narrower, matmulTileShape), a register tile of 2 x 2 per thread,
/// staged 32 steps of k at a time.
constexpr MatmulTiling kSmallTiling{32, 32};

/// How kiln-cuda-map-to-gpu and kiln-cuda-split-k tile the products of
/// one compilation (their options).
struct TilingPolicy {
  MatmulTiling base;    // matmul-tile, matmul-k-step
  bool narrow;          // narrow-tiles (matmulTileShape)
  int64_t wideMinTiles; // wide-tile-min-tiles; 0: no wide tiles
  bool small;           // small-tiles
  /// The wide tiling: kWideTiling, staged more steps where the tensor
  /// cores' mma takes more (128 x 128 tiles whatever it is).
  MatmulTiling wide = kWideTiling;
};

/// What is wrong with `policy`'s options (matmul-tile, matmul-k-step and
/// wide-tile-min-tiles, of kiln-cuda-map-to-gpu and kiln-cuda-split-k
/// alike), naming the option and its value; "" when nothing is.
std::string tilingOptionsIssue(const TilingPolicy &policy);

/// The tiling of a product with `m` rows and `n` columns of C (either may
/// be dynamic):
/// - the wide tiling when `n` is static and at least kWideTileMinColumns,
///   wideMinTiles is positive and the product has at least wideMinTiles
///   tiles of it; with a dynamic `m` and `n` wide enough, std::nullopt:
///   the choice waits for the launch (wideTileMinRows);
/// - kSmallTiling when `small`, both are static and its tiles compute at
///   most a quarter of the elements (C and its padding) that the base
///   tiling's do;
/// - else the base tiling.
std::optional<MatmulTiling> matmulTiling(const TilingPolicy &policy,
                                         int64_t m, int64_t n);

/// The fewest rows from which a product of `n` (static) columns has at
/// least `minTiles` tiles of kWideTiling.
int64_t wideTileMinRows(int64_t minTiles, int64_t n);

/// The shared memory the double-buffered tiles of `shape` take: two
/// staged steps of k of A and of B, each row `padding` floats longer.
int64_t matmulSharedBytes(TileShape shape, int64_t kStep, int64_t padding);

/// Whether `op` or an op nested in it reads or writes memory (an
/// allocation does neither; an op that does not say does).
bool touchesMemory(Operation *op);

/// The first op after `op` in its block that touches memory, or null.
Operation *nextTouchingMemory(Operation *op);

/// The buffer `value` is a view of (through any view-like op): an
/// allocation or an argument. Before workspace allocation, distinct roots
/// are distinct memory.
Value rootBuffer(Value value);

/// Adds the buffers (`buffer` of each value: rootBuffer, or bufferOf
/// after workspace allocation) that `op` and the ops nested in it read and
/// write to `reads` and `writes`; false when an effect names no buffer or
/// an op does not say what it touches.
bool collectBuffers(Operation *op, llvm::SmallDenseSet<Value> &reads,
                    llvm::SmallDenseSet<Value> &writes,
                    Value (*buffer)(Value) = rootBuffer);

/// The buffer `value` views after workspace allocation: rootBuffer, but
/// each memref.view of the workspace is a buffer of its own
/// (WorkspaceAllocation gives buffers that are live together, as those
/// one loop touches are, disjoint ranges).
Value bufferOf(Value value);

/// The indices `map` gives at loop indices `dims` (one affine.apply each).
SmallVector<Value> applyMap(OpBuilder &b, AffineMap map, ArrayRef<Value> dims);

/// Maps each input argument of `op`'s body to the input's element at loop
/// indices `dims`: a buffer's loaded, a scalar operand as it is.
void mapInputsAt(OpBuilder &b, linalg::LinalgOp op, ArrayRef<Value> dims,
                 IRMapping &mapping);

/// `op`'s iteration at loop indices `dims`: its inputs loaded (and the
/// outputs its body reads), its body, each output's value stored.
void emitIterationAt(OpBuilder &b, linalg::LinalgOp op, ArrayRef<Value> dims);

/// The indices into `expanded` of the element at `collapsed` of a reshape
/// that merges each of `groups` (dimensions of `expanded`) into one: each
/// index splits by division by its group's inner sizes, which must be
/// static (a unit dimension's index is 0).
SmallVector<Value> splitIndices(OpBuilder &b, Location loc, MemRefType expanded,
                                ArrayRef<ReassociationIndices> groups,
                                ValueRange collapsed);

} // namespace mlir::kiln

#endif // KILN_CODEGEN_CUDA_CONTRACTION_H
