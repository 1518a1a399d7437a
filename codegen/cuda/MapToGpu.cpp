//===- MapToGpu.cpp - entries on buffers to GPU kernels ---------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// `--kiln-cuda-map-to-gpu`: each linalg op on buffers becomes a gpu.launch
// of one of three shapes (tiled matrix product, shared sum, one thread per
// element of a parallel loop), outlined into one gpu.module, or with
// `host-loops` run as host loops over blocks and threads. See Passes.td.
//===----------------------------------------------------------------------===//

#include "codegen/Passes.h"
#include "codegen/cuda/Contraction.h"
#include "codegen/cuda/GenericInputs.h"
#include "codegen/cuda/ScalarReplacement.h"
#include "codegen/cuda/TensorCore.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Utils/GPUUtils.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include <algorithm>

namespace mlir::kiln {
#define GEN_PASS_DEF_MAPTOGPUPASS
#define GEN_PASS_DEF_SPLITKPASS
#include "codegen/Passes.h.inc"
} // namespace mlir::kiln

using namespace mlir;
using namespace mlir::kiln;

namespace {

constexpr llvm::StringLiteral kKernelModuleName = "kiln_kernels";
/// The fewest steps of k one split of a split matrix product sums.
constexpr int64_t kMinChunk = 256;
// A split's chunk of k starts at a multiple of the staging step, so that
// its loads by four stay 16-byte aligned (mapTiledMatmul).
static_assert(kMinChunk % 32 == 0, "a chunk must be whole staging steps");

/// The fewest terms each thread of a split sum's block adds
/// (mapBlockReduction): a chunk of the reduction is at least this many
/// times the threads that share an output.
constexpr int64_t kMinTermsPerThread = 32;

/// The most blocks a block loop's rows split among (mapBlockLoop): each
/// reads all of the loop's ids, so more would mostly read.
constexpr int64_t kRowBlocks = 256;
/// The rows of a block loop's iterations a block computes ahead, into
/// workgroup memory (8 KiB of indices; stageRows).
constexpr int64_t kStagedRows = 1024;

/// The side of the square register tile each of a block's threads sums
/// for a tile of `area` elements of C: sqrt(area / kBlockThreads).
int64_t registerTileSide(int64_t area) {
  int64_t side = 1;
  while (side * side * kBlockThreads < area)
    side *= 2;
  assert(side * side * kBlockThreads == area && "a tile of 256 squares");
  return side;
}

/// The row length of a tiled product's shared tiles: `tile` floats, and
/// with tensor cores a padding that spreads a fragment's loads over the
/// banks.
int64_t tileWidthFor(int64_t tile, const std::optional<WarpMma> &mma) {
  if (!mma)
    return tile;
  return tile + (mma->kSteps() == 8 ? 8 : 4);
}

/// Lowers every linalg op of `func` to parallel loops, parallel dimensions
/// outermost so that the outer `scf.parallel` covers every output element.
LogicalResult linalgToParallelLoops(func::FuncOp func) {
  SmallVector<linalg::LinalgOp> ops;
  func.walk([&](linalg::LinalgOp op) { ops.push_back(op); });
  IRRewriter rewriter(func.getContext());
  for (linalg::LinalgOp op : ops) {
    rewriter.setInsertionPoint(op);
    if (auto generic = dyn_cast<linalg::GenericOp>(op.getOperation())) {
      SmallVector<unsigned> parallelFirst;
      SmallVector<utils::IteratorType> iterators =
          generic.getIteratorTypesArray();
      for (auto [i, kind] : llvm::enumerate(iterators))
        if (kind == utils::IteratorType::parallel)
          parallelFirst.push_back(i);
      for (auto [i, kind] : llvm::enumerate(iterators))
        if (kind != utils::IteratorType::parallel)
          parallelFirst.push_back(i);
      if (!llvm::equal(parallelFirst, llvm::seq<unsigned>(iterators.size()))) {
        FailureOr<linalg::GenericOp> swapped =
            linalg::interchangeGenericOp(rewriter, generic, parallelFirst);
        if (failed(swapped))
          return generic.emitError("cannot move the parallel dimensions of "
                                   "this op outermost for the GPU");
        op = *swapped;
      }
    }
    if (failed(linalg::linalgOpToParallelLoops(rewriter, op)))
      return op.emitError("cannot lower this op to loops for the GPU");
    rewriter.eraseOp(op);
  }
  return success();
}

/// Whether `op` holds loops to map or kernels mapped already: host control
/// flow around kernels.
bool containsKernels(Operation *op) {
  return op
      ->walk([](Operation *nested) {
        return isa<scf::ParallelOp, gpu::LaunchOp>(nested)
                   ? WalkResult::interrupt()
                   : WalkResult::advance();
      })
      .wasInterrupted();
}

/// A loop index that is `base`, a multiple of 4, plus `lane` (0 to 3):
/// an element of a computed factor staged by fours.
struct QuadIndex {
  unsigned dim;
  Value base;
  int64_t lane;
};

class GpuMapper {
public:
  /// Outlines kernels into `kernels`, or with `kernels` null runs each
  /// launch's blocks and threads as host loops.
  /// `tiling`: how the tiled products are tiled (matmulTiling). `mma`:
  /// they multiply with the tensor cores, in square tiles of its base.
  /// `reverseHostOrder`: the host loops run the last block and thread
  /// first; `hostOrderGlobal` (non-empty): they read which order at run
  /// time from that i32 global (nonzero: last first).
  GpuMapper(gpu::GPUModuleOp kernels, int64_t blockSize,
            const TilingPolicy &tiling, std::optional<WarpMma> mma,
            bool reverseHostOrder, StringRef hostOrderGlobal)
      : kernelTable(kernels ? std::make_optional<SymbolTable>(kernels)
                            : std::nullopt),
        blockSize(blockSize), tiling(tiling), mma(mma),
        reverseHostOrder(reverseHostOrder), hostOrderGlobal(hostOrderGlobal) {
    // Tensor cores take square tiles: matmul-tile's, or the wide ones,
    // staged at least one mma's steps of k at a time.
    if (mma)
      this->tiling = {tiling.base,
                      /*narrow=*/false,
                      tiling.wideMinTiles,
                      /*small=*/false,
                      {kWideTiling.tile,
                       std::max(kWideTiling.kStep, mma->kSteps())}};
  }

  LogicalResult mapFunction(func::FuncOp func) {
    funcName = func.getSymName().str();
    currentFunc = func;
    hostOrderReversed = Value();
    hostOrderOps.clear();
    // Long sums into few elements: a block of threads per element. Other
    // ops without parallel dimensions are one thread's work, their loops
    // and the loads and stores around them alike.
    SmallVector<linalg::LinalgOp> ops;
    func.walk([&](linalg::LinalgOp op) { ops.push_back(op); });
    // Epilogues applied by the product before them: erased already.
    llvm::SmallPtrSet<Operation *, 8> fused;
    for (linalg::LinalgOp op : ops) {
      if (fused.contains(op.getOperation()))
        continue;
      bool zeroInit = op->hasAttr(kZeroInitAttrName);
      if (op->hasAttr(kSplitKAttrName)) {
        // kiln-cuda-split-k's product or sum: its last input is the partial
        // sums (S x M x N, or S x outputs).
        Value partials =
            op.getDpsInputs().empty() ? Value() : op.getDpsInputs().back();
        if (std::optional<Contraction> product = matchContraction(op)) {
          mapTiledMatmul(*product, partials);
          continue;
        }
        std::optional<SumReduction> sum = matchSharedSum(op);
        auto type = dyn_cast_or_null<MemRefType>(partials ? partials.getType()
                                                          : Type());
        if (!sum || !type || type.getRank() != 2 ||
            type.getDimSize(1) != reductionOutputs(*sum))
          return op.emitError("kiln.split_k marks no matrix product or sum "
                              "with a partial-sum buffer");
        mapBlockReduction(*sum, partials, takeScalarEpilogue(op, fused));
        continue;
      }
      std::optional<SumReduction> sum = matchSumReduction(op);
      std::optional<Contraction> product =
          sum ? matchContraction(*sum) : std::nullopt;
      // kiln-cuda-fuse-into-matmul's products and shared sums no longer
      // read their output: only the two mappings below store the sums
      // instead.
      bool shared = sum && worthBlockReduction(*sum);
      if (zeroInit && !product && !shared)
        return op.emitError("kiln.zero_init marks no matrix product or "
                            "shared sum");
      if (shared) {
        mapBlockReduction(*sum, /*partials=*/nullptr,
                          takeScalarEpilogue(op, fused));
        continue;
      }
      if (product) {
        linalg::GenericOp epilogue = epilogueOf(*product);
        if (epilogue)
          fused.insert(epilogue);
        mapTiledMatmul(*product, /*partials=*/nullptr, epilogue);
        continue;
      }
      if (op.getNumParallelLoops() == 0 && failed(mapSingleThread(op)))
        return failure();
    }
    if (failed(linalgToParallelLoops(func)))
      return failure();
    // Each thread's accumulators in registers, and what it stores and
    // loads back passed on (ScalarReplacement.h).
    func.walk([](scf::ParallelOp loop) {
      if (loop->getParentOfType<scf::ParallelOp>() ||
          loop->getParentOfType<gpu::LaunchOp>())
        return;
      keepInRegisters(loop);
    });
    if (failed(mapRegion(func.getBody())))
      return failure();
    for (auto [launch, kind] : launches) {
      if (!kernelTable) {
        runOnHost(launch);
        continue;
      }
      if (failed(outline(launch, kind)))
        return failure();
    }
    launches.clear();
    return success();
  }

private:
  /// A host loop over the blocks or threads [0, `count`) at `b`'s
  /// insertion point, which moves into its body; returns the block or
  /// thread each iteration runs: the induction variable, or with
  /// `reverseHostOrder` (or `hostOrderGlobal` nonzero) count - 1 - it.
  /// Threads that share nothing between two barriers compute the same
  /// numbers in either order; threads that race do not, which is what the
  /// reverse order is for.
  Value hostLoop(OpBuilder &b, Location loc, Value count) {
    Value zero = arith::ConstantIndexOp::create(b, loc, 0);
    Value one = arith::ConstantIndexOp::create(b, loc, 1);
    bool reversible = reverseHostOrder || !hostOrderGlobal.empty();
    Value last =
        reversible ? arith::SubIOp::create(b, loc, count, one) : Value();
    Value reversed = hostOrderGlobal.empty() ? Value() : readHostOrder(loc);
    auto loop = scf::ForOp::create(b, loc, zero, count, one);
    b.setInsertionPointToStart(loop.getBody());
    Value iv = loop.getInductionVar();
    if (!reversible)
      return iv;
    Value flipped = arith::SubIOp::create(b, loc, last, iv);
    if (!reversed)
      return flipped;
    return arith::SelectOp::create(b, loc, reversed, flipped, iv);
  }

  /// Whether the function's host loops run last first, read once at its
  /// entry from `hostOrderGlobal` (host code that mapRegion leaves alone).
  Value readHostOrder(Location loc) {
    if (hostOrderReversed)
      return hostOrderReversed;
    OpBuilder b = OpBuilder::atBlockBegin(&currentFunc.getBody().front());
    Value order = memref::GetGlobalOp::create(
        b, loc, MemRefType::get({}, b.getI32Type()), hostOrderGlobal);
    Value load = memref::LoadOp::create(b, loc, order, ValueRange());
    hostOrderOps.insert(load.getDefiningOp());
    Value zero = arith::ConstantIntOp::create(b, loc, 0, 32);
    hostOrderReversed =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, load, zero);
    return hostOrderReversed;
  }

  LogicalResult mapRegion(Region &region) {
    for (Block &block : region)
      for (Operation &op : llvm::make_early_inc_range(block)) {
        if (isa<gpu::LaunchOp>(op) || hostOrderOps.contains(&op))
          continue;
        if (auto loop = dyn_cast<scf::ParallelOp>(op)) {
          if (failed(mapParallel(loop)))
            return failure();
          continue;
        }
        if (!touchesMemory(&op))
          continue;
        if (containsKernels(&op)) {
          auto loop = dyn_cast<scf::ForOp>(op);
          if (loop && readsDeviceValues(loop)) {
            if (failed(mapBlockLoop(loop)))
              return failure();
            continue;
          }
          // A host loop or branch around kernels: map its body.
          if (!isa<scf::ForOp, scf::IfOp>(op))
            return op.emitError("cannot map an op with parallel loops nested "
                                "in it to the GPU");
          for (Region &nested : op.getRegions())
            if (failed(mapRegion(nested)))
              return failure();
          continue;
        }
        if (failed(mapSingleThread(&op)))
          return failure();
      }
    return success();
  }

  /// Blocks of 256 threads share the sums: each block takes `lanes`
  /// consecutive output elements and splits each element's reduction
  /// `256 / lanes` ways. Thread t (lane t % lanes, split w = t / lanes) adds
  /// the terms w, w + splits, ... of its element in order; the block then
  /// adds the partial sums of each element as a tree over w in shared
  /// memory, and split 0 adds the total to the element. The order is fixed:
  /// results do not depend on scheduling. With 1024 elements or more, 32
  /// lanes (8 splits): a warp's lanes read neighbouring elements' terms,
  /// which sit side by side in memory (a weight gradient's columns);
  /// fewer elements take one each with 256 splits, so that the GPU still
  /// has work. On the host (host-loops), each phase between two barriers
  /// is a loop over the threads, with the same order.
  ///
  /// With `partials` (memref<S x outputs>, kiln-cuda-split-k), block b
  /// sums the (b / groups)-th chunk of the reduction (of at most S, each at
  /// least kMinTermsPerThread terms per thread) for its group b % groups of
  /// outputs and stores its totals there; a second kernel, one thread per
  /// output, then adds the chunks' totals in order. One chunk (a short
  /// reduction) adds its totals to the outputs directly.
  ///
  /// With `epilogue` (takeScalarEpilogue), the thread that stores the total
  /// then runs it; after several chunks, it runs on one thread after their
  /// addition.
  void mapBlockReduction(SumReduction sum, Value partials = nullptr,
                         linalg::GenericOp epilogue = nullptr) {
    linalg::LinalgOp op = sum.op;
    Location loc = op.getLoc();
    OpBuilder b(op);
    Type f32 = b.getF32Type();
    SmallVector<Range> ranges = op.createLoopRanges(b, loc);
    auto index = [&](OpBuilder &b, int64_t v) -> Value {
      return arith::ConstantIndexOp::create(b, loc, v);
    };
    Value zero = index(b, 0), one = index(b, 1);
    Value threads = index(b, kBlockThreads);
    SmallVector<Value> sizes;
    Value elements = one, length = one;
    for (auto [d, range] : llvm::enumerate(ranges)) {
      sizes.push_back(getValueOrCreateConstantIndexOp(b, loc, range.size));
      Value &product = sum.isReduction(d) ? length : elements;
      product = b.createOrFold<arith::MulIOp>(loc, product, sizes.back());
    }
    int64_t lanes = reductionLanes(sum);
    int64_t splits = kBlockThreads / lanes;
    Value groups =
        b.createOrFold<arith::CeilDivUIOp>(loc, elements, index(b, lanes));
    // Split: `active` (1 to S) chunks of `chunk` terms each. Both depend on
    // the reduction's length alone: the same batch sums in the same order
    // on any GPU. A reduction of nothing (a batch of 0) is one empty chunk.
    Value blocks = groups, chunk = length, active = one;
    if (partials) {
      int64_t most = cast<MemRefType>(partials.getType()).getDimSize(0);
      chunk = b.createOrFold<arith::MaxUIOp>(
          loc, b.createOrFold<arith::CeilDivUIOp>(loc, length, index(b, most)),
          index(b, kMinTermsPerThread * splits));
      active = b.createOrFold<arith::MaxUIOp>(
          loc, b.createOrFold<arith::CeilDivUIOp>(loc, length, chunk), one);
      blocks = b.createOrFold<arith::MulIOp>(loc, groups, active);
    }

    // Sets the parallel (or reduction) loop indices in `dims` from their
    // linear index `linear`, the innermost fastest.
    auto delinearize = [&](OpBuilder &b, Value linear, bool reduction,
                           SmallVector<Value> &dims) {
      SmallVector<unsigned> which;
      for (unsigned d = 0; d < ranges.size(); ++d)
        if (sum.isReduction(d) == reduction)
          which.push_back(d);
      Value rest = linear;
      for (int64_t i = which.size() - 1; i >= 0; --i) {
        unsigned d = which[i];
        dims[d] =
            i == 0 ? rest : arith::RemUIOp::create(b, loc, rest, sizes[d]);
        if (i > 0)
          rest = arith::DivUIOp::create(b, loc, rest, sizes[d]);
      }
    };
    // Thread `thread` of block `block`: its element (clamped inside the
    // output: a thread past the end computes the last one's terms and
    // stores nothing), whether it is real, its lane and split.
    // Its chunk of the reduction too: [begin, end), and the chunk's number.
    struct Role {
      SmallVector<Value> dims;
      Value valid, lane, split, element, chunk, begin, end;
    };
    auto roleOf = [&](OpBuilder &b, Value block, Value thread) {
      Role role;
      role.lane = arith::RemUIOp::create(b, loc, thread, index(b, lanes));
      role.split = arith::DivUIOp::create(b, loc, thread, index(b, lanes));
      Value group = block;
      role.begin = zero;
      role.end = length;
      if (partials) {
        group = arith::RemUIOp::create(b, loc, block, groups);
        role.chunk = arith::DivUIOp::create(b, loc, block, groups);
        role.begin = arith::MulIOp::create(b, loc, role.chunk, chunk);
        role.end = arith::MinUIOp::create(
            b, loc, arith::AddIOp::create(b, loc, role.begin, chunk), length);
      }
      role.element = arith::AddIOp::create(
          b, loc, arith::MulIOp::create(b, loc, group, index(b, lanes)),
          role.lane);
      role.valid = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult,
                                         role.element, elements);
      Value last = arith::SubIOp::create(b, loc, elements, one);
      role.dims.assign(ranges.size(), zero);
      delinearize(b, arith::MinUIOp::create(b, loc, role.element, last),
                  /*reduction=*/false, role.dims);
      return role;
    };
    // The slot of (split, lane) in the block's scratch.
    auto slot = [&](OpBuilder &b, Value split, Value lane) -> Value {
      return arith::AddIOp::create(
          b, loc, arith::MulIOp::create(b, loc, split, index(b, lanes)), lane);
    };
    auto partial = [&](OpBuilder &b, const Role &role, Value scratch) {
      Value init = arith::ConstantOp::create(b, loc, b.getZeroAttr(f32));
      auto loop = scf::ForOp::create(
          b, loc, arith::AddIOp::create(b, loc, role.begin, role.split),
          role.end, index(b, splits), init);
      {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPointToStart(loop.getBody());
        SmallVector<Value> at(role.dims);
        delinearize(b, loop.getInductionVar(), /*reduction=*/true, at);
        Value term = evaluateTerm(b, sum, at);
        Value acc =
            arith::AddFOp::create(b, loc, loop.getRegionIterArg(0), term);
        scf::YieldOp::create(b, loc, acc);
      }
      memref::StoreOp::create(b, loc, loop.getResult(0), scratch,
                              slot(b, role.split, role.lane));
    };
    // Tree step `s`: splits below `s` add the split `s` above theirs.
    auto combine = [&](OpBuilder &b, const Role &role, Value scratch,
                       int64_t s) {
      Value mineAt = slot(b, role.split, role.lane);
      Value theirsAt = slot(
          b, arith::AddIOp::create(b, loc, role.split, index(b, s)), role.lane);
      Value mine = memref::LoadOp::create(b, loc, scratch, mineAt);
      Value theirs = memref::LoadOp::create(b, loc, scratch, theirsAt);
      memref::StoreOp::create(
          b, loc, arith::AddFOp::create(b, loc, mine, theirs), scratch, mineAt);
    };
    auto finish = [&](OpBuilder &b, const Role &role, Value scratch) {
      Value total = memref::LoadOp::create(b, loc, scratch, role.lane);
      auto direct = [&](OpBuilder &b) {
        OpOperand *init = op.getDpsInitOperand(0);
        SmallVector<Value> at =
            applyMap(b, op.getMatchingIndexingMap(init), role.dims);
        storeSum(b, op, total, at);
        if (epilogue)
          b.clone(*epilogue);
      };
      if (!partials)
        return direct(b);
      auto several = scf::IfOp::create(
          b, loc,
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ugt, active, one),
          /*withElse=*/true);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(several.thenBlock());
      memref::StoreOp::create(b, loc, total, partials,
                              ValueRange{role.chunk, role.element});
      b.setInsertionPointToStart(several.elseBlock());
      direct(b);
    };
    // Runs `body` where `condition` holds.
    auto when = [&](OpBuilder &b, Value condition,
                    function_ref<void(OpBuilder &)> body) {
      auto branch = scf::IfOp::create(b, loc, condition, /*withElse=*/false);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(branch.thenBlock());
      body(b);
    };
    auto below = [&](OpBuilder &b, Value split, int64_t s) -> Value {
      return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, split,
                                   index(b, s));
    };
    auto isFinal = [&](OpBuilder &b, const Role &role) -> Value {
      return arith::AndIOp::create(
          b, loc,
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, role.split,
                                zero),
          role.valid);
    };

    if (!kernelTable) {
      // Host loops: each phase a loop over the threads.
      Value scratch = memref::AllocaOp::create(
          b, loc, MemRefType::get({kBlockThreads}, f32));
      Value block = hostLoop(b, loc, blocks);
      auto phase = [&](function_ref<void(OpBuilder &, const Role &)> body) {
        OpBuilder::InsertionGuard guard(b);
        Value thread = hostLoop(b, loc, threads);
        body(b, roleOf(b, block, thread));
      };
      phase([&](OpBuilder &b, const Role &role) { partial(b, role, scratch); });
      for (int64_t s = splits / 2; s > 0; s /= 2)
        phase([&](OpBuilder &b, const Role &role) {
          when(b, below(b, role.split, s),
               [&](OpBuilder &b) { combine(b, role, scratch, s); });
        });
      phase([&](OpBuilder &b, const Role &role) {
        when(b, isFinal(b, role),
             [&](OpBuilder &b) { finish(b, role, scratch); });
      });
      addChunks(sum, partials, active);
      finishEpilogue(op, epilogue, partials, active);
      op->erase();
      return;
    }

    Attribute shared = gpu::AddressSpaceAttr::get(
        b.getContext(), gpu::GPUDialect::getWorkgroupAddressSpace());
    auto scratchType = MemRefType::get({kBlockThreads}, f32,
                                       MemRefLayoutAttrInterface(), shared);
    auto launch = gpu::LaunchOp::create(
        b, loc, blocks, one, one, threads, one, one,
        /*dynamicSharedMemorySize=*/nullptr, /*asyncTokenType=*/nullptr,
        /*asyncDependencies=*/{}, TypeRange{scratchType});
    Block &body = launch.getBody().front();
    b.setInsertionPointToStart(&body);
    Value scratch = launch.getWorkgroupAttributions().front();
    Role role = roleOf(b, launch.getBlockIds().x, launch.getThreadIds().x);
    partial(b, role, scratch);
    gpu::BarrierOp::create(b, loc);
    for (int64_t s = splits / 2; s > 0; s /= 2) {
      when(b, below(b, role.split, s),
           [&](OpBuilder &b) { combine(b, role, scratch, s); });
      gpu::BarrierOp::create(b, loc);
    }
    when(b, isFinal(b, role), [&](OpBuilder &b) { finish(b, role, scratch); });
    gpu::TerminatorOp::create(b, loc);
    addChunks(sum, partials, active);
    finishEpilogue(op, epilogue, partials, active);
    op->erase();
    launches.push_back({launch, "sum"});
  }

  /// The op that finishes a sum to one scalar on that scalar alone: a
  /// generic without loops that is the next op after `op` to touch memory
  /// and reads its output (a loss's mean from its sum, a metric's update).
  /// Run by the thread that stores the sum (mapBlockReduction), it needs no
  /// kernel of its own. `op` moves down to it (only ops that touch no
  /// memory lie between, so the order of effects is kept) and it joins
  /// `fused`, the ops mapped already.
  static linalg::GenericOp
  takeScalarEpilogue(linalg::LinalgOp op,
                     llvm::SmallPtrSetImpl<Operation *> &fused) {
    if (op.getNumParallelLoops() != 0 || op.getNumDpsInits() != 1)
      return nullptr;
    auto epilogue = dyn_cast_or_null<linalg::GenericOp>(nextTouchingMemory(op));
    if (!epilogue || epilogue.getNumLoops() != 0 ||
        !epilogue.hasPureBufferSemantics() ||
        !llvm::is_contained(epilogue.getDpsInputs(), op.getDpsInits()[0]))
      return nullptr;
    op->moveBefore(epilogue);
    fused.insert(epilogue);
    return epilogue;
  }

  /// After a sum mapped with `epilogue`: where several chunks were added
  /// (`active` > 1), the epilogue runs on one thread after the addition;
  /// then the original goes.
  void finishEpilogue(Operation *op, linalg::GenericOp epilogue, Value partials,
                      Value active) {
    if (!epilogue)
      return;
    if (partials) {
      OpBuilder b(op);
      Location loc = op->getLoc();
      auto several = scf::IfOp::create(
          b, loc,
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ugt, active,
                                arith::ConstantIndexOp::create(b, loc, 1)),
          /*withElse=*/false);
      b.setInsertionPointToStart(several.thenBlock());
      (void)mapSingleThread(b.clone(*epilogue));
    }
    epilogue->erase();
  }

  /// After a split sum (mapBlockReduction): its output's column in the
  /// partials (memref<S x outputs>) is its linear index over the output
  /// dimensions, the innermost fastest.
  static void addChunks(const SumReduction &sum, Value partials, Value active) {
    if (!partials)
      return;
    linalg::LinalgOp op = sum.op;
    MLIRContext *ctx = op.getContext();
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    SmallVector<AffineExpr> outputAt(ranges.size(),
                                     getAffineConstantExpr(0, ctx));
    unsigned outputs = 0;
    for (unsigned d = 0; d < ranges.size(); ++d)
      if (!sum.isReduction(d))
        outputAt[d] = getAffineDimExpr(outputs++, ctx);
    AffineExpr column = getAffineConstantExpr(0, ctx);
    int64_t stride = 1;
    for (int64_t d = ranges.size() - 1; d >= 0; --d) {
      if (sum.isReduction(d))
        continue;
      column = column + outputAt[d] * stride;
      stride *= ranges[d];
    }
    // A scalar output (a loss): the partials' one column is a parallel
    // dimension of one step, so that the addition still is a kernel
    // launched where several chunks ran, not one launched always.
    if (outputs == 0)
      column = getAffineDimExpr(outputs++, ctx);
    addPartialSums(op, partials, active, outputs, outputAt, column);
  }

  /// Where more than one chunk of a split product or sum ran (`active` >
  /// 1): `op`'s output += the active chunks' sums in `partials` (the chunk
  /// first), in chunk order, as a generic over `dims` output dimensions
  /// and the chunk (mapped later: one thread per output). `outputAt` gives
  /// each of `op`'s loop dimensions in those (its reduction: unused), and
  /// `at` the partials' indices after the chunk. An output that starts
  /// from zeros (kiln.zero_init) takes chunk 0's sum itself.
  static void addPartialSums(linalg::LinalgOp op, Value partials, Value active,
                             unsigned dims, ArrayRef<AffineExpr> outputAt,
                             ArrayRef<AffineExpr> at) {
    Location loc = op.getLoc();
    OpBuilder b(op);
    MLIRContext *ctx = b.getContext();
    auto several = scf::IfOp::create(
        b, loc,
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ugt, active,
                              arith::ConstantIndexOp::create(b, loc, 1)),
        /*withElse=*/false);
    b.setInsertionPointToStart(several.thenBlock());
    SmallVector<AffineExpr> indices{getAffineDimExpr(dims, ctx)};
    llvm::append_range(indices, at);
    AffineMap input = AffineMap::get(dims + 1, 0, indices, ctx);
    OpOperand *init = op.getDpsInitOperand(0);
    AffineMap output = op.getMatchingIndexingMap(init).replaceDimsAndSymbols(
        outputAt, {}, dims + 1, 0);
    // The active chunks' sums only.
    auto type = cast<MemRefType>(partials.getType());
    SmallVector<OpFoldResult> offsets(type.getRank(), b.getIndexAttr(0));
    SmallVector<OpFoldResult> strides(type.getRank(), b.getIndexAttr(1));
    SmallVector<OpFoldResult> sizes{active};
    for (int64_t size : type.getShape().drop_front())
      sizes.push_back(b.getIndexAttr(size));
    Value used =
        memref::SubViewOp::create(b, loc, partials, offsets, sizes, strides);
    SmallVector<utils::IteratorType> iterators(dims,
                                               utils::IteratorType::parallel);
    iterators.push_back(utils::IteratorType::reduction);
    bool zeroInit = op->hasAttr(kZeroInitAttrName);
    linalg::GenericOp::create(
        b, loc, ValueRange{used}, ValueRange{init->get()},
        ArrayRef<AffineMap>{input, output}, iterators,
        [&](OpBuilder &b, Location loc, ValueRange args) {
          Value sum = arith::AddFOp::create(b, loc, args[1], args[0]);
          if (zeroInit)
            sum = arith::SelectOp::create(
                b, loc,
                arith::CmpIOp::create(
                    b, loc, arith::CmpIPredicate::eq,
                    linalg::IndexOp::create(b, loc, dims),
                    arith::ConstantIndexOp::create(b, loc, 0)),
                args[0], sum);
          linalg::YieldOp::create(b, loc, sum);
        });
  }

  /// A kRows x kCols tile of C (matmulTileShape: matmul-tile squared, 64
  /// x 64, or as narrow as the product's columns need, down to 256 x 16)
  /// per block of 256 threads, each thread a square register tile of R x R
  /// sums (R = sqrt(kRows kCols / 256): 2, 4 or 8), the threads a grid of
  /// (kRows / R) x (kCols / R), T = kCols / R of them a row (16 for a
  /// square tile, 4 for a 256 x 16 one); A and B pass through shared memory
  /// kStep (matmul-k-step, 16) steps of k at a time (zero outside the
  /// matrices), so each element of A and B is read from global memory once
  /// per tile row or column instead of once per product. Thread t's
  /// outputs are rows R (t / T) + i and columns g (t % T) +
  /// T g (j / g) + j % g of the tile, g = min(R, 4) (the columns in
  /// groups of four neighbours, threadCol); each sums its products in k order
  /// (fused multiply-adds) and then adds the sum to C: the same sums in the
  /// same order whatever the shape. On the host (host-loops) each phase between
  /// two barriers is a loop over the threads and the register tiles live in
  /// scratch memory, with the same order.
  ///
  /// With tensor cores (`mma`, --gpu-precision tf32|bf16; square tiles
  /// only, kTile = kRows = kCols), A and B are
  /// rounded to the multiplicand type as they are staged, and the block's
  /// 8 warps (2 x 4) each multiply a (kTile / 2) x (kTile / 4) part of the
  /// tile with mma.sync, 16 x 8 outputs at a time; a thread's sums are the
  /// instruction's (TensorCore.h), as many as the register tile. The tiles
  /// get a row of padding that spreads a fragment's loads over the 32
  /// banks. On the host, each lane loads its fragments into scratch in one
  /// phase and the next phase emulates the instruction from them.
  ///
  /// With `partials` (memref<S x M x N>, kiln-cuda-split-k), block b
  /// computes tile b % tiles over the (b / tiles)-th of S chunks of k (a
  /// multiple of kStep long) and stores its sums there; a second kernel,
  /// one thread per element of C, then adds the S partial sums in order.
  ///
  /// The tiling is matmul-tile and matmul-k-step's, the wide tiling
  /// (kWideTiling; BF16 stages 16 steps) for a wide product with
  /// wide-tile-min-tiles of them, or kSmallTiling for a small static fp32
  /// output (matmulTiling); with a dynamic m (the batch) and wide columns
  /// the host picks one of the two kernels per launch from m.
  void mapTiledMatmul(Contraction product, Value partials = nullptr,
                      linalg::GenericOp epilogue = nullptr) {
    linalg::LinalgOp op = product.sum.op;
    Location loc = op.getLoc();
    // At the epilogue, which may read views made after the product (a GRU
    // adds its recurrent bias, a subview, after the recurrent product);
    // only ops that touch no memory lie between the two (epilogueOf).
    OpBuilder b(epilogue ? epilogue.getOperation() : op.getOperation());
    SmallVector<int64_t> staticSizes = op.getStaticLoopRanges();
    std::optional<MatmulTiling> chosen = matmulTiling(
        tiling, staticSizes[product.m], staticSizes[product.n]);
    if (chosen) {
      emitTiledMatmul(b, product, *chosen, partials, epilogue);
    } else {
      // kiln-cuda-split-k's products have a static m.
      assert(!partials && "a split product with a dynamic m");
      Value sizeM = getValueOrCreateConstantIndexOp(
          b, loc, op.createLoopRanges(b, loc)[product.m].size);
      Value wide = arith::CmpIOp::create(
          b, loc, arith::CmpIPredicate::uge, sizeM,
          arith::ConstantIndexOp::create(
              b, loc,
              wideTileMinRows(tiling.wideMinTiles, staticSizes[product.n])));
      auto choice = scf::IfOp::create(b, loc, wide, /*withElse=*/true);
      OpBuilder then = OpBuilder::atBlockBegin(choice.thenBlock());
      emitTiledMatmul(then, product, tiling.wide, partials, epilogue);
      OpBuilder otherwise = OpBuilder::atBlockBegin(choice.elseBlock());
      emitTiledMatmul(otherwise, product, tiling.base, partials, epilogue);
    }
    op->erase();
    if (epilogue)
      epilogue->erase();
  }

  /// mapTiledMatmul's kernel tiled `chosen`, at `b`.
  void emitTiledMatmul(OpBuilder &b, Contraction product, MatmulTiling chosen,
                       Value partials, linalg::GenericOp epilogue) {
    linalg::LinalgOp op = product.sum.op;
    SmallVector<int64_t> staticSizes = op.getStaticLoopRanges();
    const TileShape shape =
        matmulTileShape(chosen.tile, chosen.kStep, tiling.narrow,
                        staticSizes[product.m], staticSizes[product.n]);
    const int64_t kRows = shape.rows, kCols = shape.cols, kTile = chosen.tile,
                  kStep = chosen.kStep,
                  // A square register tile, whatever the tile's shape: a
                  // narrow 256 x 16 tile takes 64 x 4 threads of 4 x 4
                  // sums (8 shared loads per 16 multiply-adds, as the
                  // square tile's), not 16 x 16 threads of 16 x 1 (17 per
                  // 16, and a k-step's 272 values in registers).
                  kRegs = registerTileSide(kRows * kCols),
                  kThreadsN = kCols / kRegs, kRegsM = kRegs,
                  kRegsN = kRegs, kSums = kRegsM * kRegsN;
    assert((!mma || (kRows == kTile && kCols == kTile)) &&
           "tensor cores take square tiles");
    Location loc = op.getLoc();
    Type f32 = b.getF32Type();
    SmallVector<Range> ranges = op.createLoopRanges(b, loc);
    auto size = [&](unsigned d) {
      return getValueOrCreateConstantIndexOp(b, loc, ranges[d].size);
    };
    Value sizeM = size(product.m), sizeN = size(product.n),
          sizeK = size(product.k);
    auto index = [&](OpBuilder &b, int64_t v) -> Value {
      return arith::ConstantIndexOp::create(b, loc, v);
    };
    Value zero = index(b, 0), one = index(b, 1);
    Value tileRows = index(b, kRows), tileCols = index(b, kCols);
    Value tilesN = b.createOrFold<arith::CeilDivUIOp>(loc, sizeN, tileCols);
    Value tilesM = b.createOrFold<arith::CeilDivUIOp>(loc, sizeM, tileRows);
    Value tiles = b.createOrFold<arith::MulIOp>(loc, tilesM, tilesN);
    Value threads = index(b, kBlockThreads);
    // Split-K: `active` (at most S) blocks per tile, each over `chunk`
    // steps of k: k / S rounded up to whole staging steps, and at least
    // kMinChunk, so that a short k (a small batch) runs fewer splits and
    // adds fewer partials. Both depend on k alone: the same batch sums in
    // the same order on any GPU.
    Value blocks = tiles, chunk = sizeK, active;
    if (partials) {
      int64_t splits = cast<MemRefType>(partials.getType()).getDimSize(0);
      Value perSplit =
          b.createOrFold<arith::CeilDivUIOp>(loc, sizeK, index(b, splits));
      chunk = b.createOrFold<arith::MaxUIOp>(
          loc,
          b.createOrFold<arith::MulIOp>(loc,
                                        b.createOrFold<arith::CeilDivUIOp>(
                                            loc, perSplit, index(b, kStep)),
                                        index(b, kStep)),
          index(b, kMinChunk));
      // At least one: with k = 0 (a batch of 0) the product still writes
      // its output, zeros when it replaced the output's fill.
      active = b.createOrFold<arith::MaxUIOp>(
          loc, b.createOrFold<arith::CeilDivUIOp>(loc, sizeK, chunk),
          index(b, 1));
      blocks = b.createOrFold<arith::MulIOp>(loc, tiles, active);
    }
    // Block `block`'s tile, and the range of k it sums.
    auto tileOf = [&](OpBuilder &b, Value block) -> Value {
      return partials ? arith::RemUIOp::create(b, loc, block, tiles).getResult()
                      : block;
    };
    auto kRange = [&](OpBuilder &b, Value block) -> std::pair<Value, Value> {
      if (!partials)
        return {zero, sizeK};
      Value begin = arith::MulIOp::create(
          b, loc, arith::DivUIOp::create(b, loc, block, tiles), chunk);
      Value end = arith::MinUIOp::create(
          b, loc, arith::AddIOp::create(b, loc, begin, chunk), sizeK);
      return {begin, end};
    };

    // The element of `factor` at (row, k) or (k, col), 0 outside; with
    // `four`, it and the next three along the factor's innermost
    // dimension, all inside or all outside (byFour below), in one load.
    // With `quad` (a computed factor staged by fours), loop index
    // quad->dim is quad->base (a multiple of 4) plus quad->lane.
    auto loadGuarded = [&](OpBuilder &b, const Factor &factor, unsigned outer,
                           Value outerIndex, Value outerSize, Value k,
                           bool four, std::optional<QuadIndex> quad) {
      Value inside = arith::AndIOp::create(
          b, loc,
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, outerIndex,
                                outerSize),
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, k, sizeK));
      Type type = four ? Type(VectorType::get({4}, f32)) : f32;
      SmallVector<Value> dims(3, zero);
      dims[outer] = outerIndex;
      dims[product.k] = k;
      IRMapping hoisted;
      if (!factor.operand)
        hoistFactorIndices(b, factor, dims, quad, hoisted);
      auto branch = scf::IfOp::create(b, loc, TypeRange{type}, inside,
                                      /*withElse=*/true);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(branch.thenBlock());
      if (four) {
        // 16-byte aligned on the GPU: a vector load there.
        llvm::MaybeAlign align;
        if (kernelTable)
          align = llvm::Align(16);
        scf::YieldOp::create(
            b, loc,
            Value(vector::LoadOp::create(
                b, loc, cast<VectorType>(type), factor.operand->get(),
                applyMap(b, op.getMatchingIndexingMap(factor.operand), dims),
                /*nontemporal=*/false, align)));
      } else {
        scf::YieldOp::create(b, loc,
                             evaluateFactor(b, op, factor, dims, hoisted));
      }
      b.setInsertionPointToStart(branch.elseBlock());
      scf::YieldOp::create(b, loc,
                           Value(arith::ConstantOp::create(
                               b, loc, cast<TypedAttr>(b.getZeroAttr(type)))));
      b.setInsertionPointAfter(branch);
      SmallVector<Value> values;
      if (!four)
        values.push_back(branch.getResult(0));
      for (int64_t i = 0; four && i < 4; ++i)
        values.push_back(
            vector::ExtractOp::create(b, loc, branch.getResult(0), i));
      return values;
    };
    // Staging: thread `thread` of block `block` loads its
    // kRows * kStep / 256 elements of A and kCols * kStep / 256 of B at
    // step `k0` (fetch: A's, then B's), and puts them into the tiles
    // ([2 kStep][width], k-major) at row `base` + their k (rounded, with
    // tensor cores).
    const int64_t kStagedA = kRows * kStep / kBlockThreads,
                  kStagedB = kCols * kStep / kBlockThreads,
                  kStaged = kStagedA + kStagedB;
    // The element the thread stages in round r, as (e / by, e % by) of its
    // index e in the tile; by fours, slots 4q .. 4q + 3 are vector q's
    // four elements, and vectors go to threads as elements do.
    auto staged = [&](OpBuilder &b, Value thread, int64_t r, int64_t by,
                      bool fours) {
      int64_t width = fours ? 4 : 1, lineLength = by / width,
              offset = r / width * kBlockThreads;
      Value line = index(b, lineLength);
      Value inner, outer;
      if (kBlockThreads % lineLength == 0) {
        // Whole lines a round: every round of the thread has the same
        // inner index, one value its rounds share.
        inner = arith::RemUIOp::create(b, loc, thread, line);
        outer = arith::AddIOp::create(
            b, loc, arith::DivUIOp::create(b, loc, thread, line),
            index(b, offset / lineLength));
      } else {
        Value e = arith::AddIOp::create(b, loc, thread, index(b, offset));
        inner = arith::RemUIOp::create(b, loc, e, line);
        outer = arith::DivUIOp::create(b, loc, e, line);
      }
      if (fours)
        inner = arith::AddIOp::create(
            b, loc, arith::MulIOp::create(b, loc, inner, index(b, 4)),
            index(b, r % 4));
      return std::make_pair(outer, inner);
    };
    // Consecutive threads take neighbours in memory, so that a warp's
    // loads coalesce: for A, consecutive k of one row, or, when A's
    // memory runs along m (a transposed factor: a weight gradient's
    // activations), consecutive rows of one k; for B, consecutive columns
    // of one k, or consecutive k of one column when B runs along k (an
    // input gradient's transposed weights).
    bool aAlongM = runsAlong(op, product.lhs, product.m);
    bool bAlongK = runsAlong(op, product.rhs, product.k);
    // Staging by fours: a factor read along its buffer's innermost,
    // unit-stride dimension (the one consecutive threads take neighbours
    // along) is fetched four neighbours at a time, one 16-byte load on the
    // GPU, when that loop's size is a static multiple of 4 and the
    // buffer's offset and other strides are too. The four are then all
    // inside the product or all outside, and 16-byte aligned: a vector
    // starts at a multiple of 4 along the dimension (tiles and staged
    // steps are), and the device's buffers start 16-byte aligned
    // (cuMemAlloc gives 256; workspace offsets are multiples of 64).
    auto byFour = [&](const Factor &factor, int64_t slots, unsigned along,
                      Value size) {
      if (slots % 4 != 0 || !runsAlong(op, factor, along))
        return false;
      auto type = cast<MemRefType>(factor.operand->get().getType());
      SmallVector<int64_t> strides;
      int64_t offset;
      if (!type.getElementType().isF32() ||
          failed(type.getStridesAndOffset(strides, offset)) ||
          ShapedType::isDynamic(offset) || offset % 4 != 0)
        return false;
      for (int64_t stride : ArrayRef(strides).drop_back())
        if (ShapedType::isDynamic(stride) || stride % 4 != 0)
          return false;
      // Only the innermost index moves along the vector.
      AffineMap map = op.getMatchingIndexingMap(factor.operand);
      for (AffineExpr result : map.getResults().drop_back())
        if (result.isFunctionOfDim(along))
          return false;
      std::optional<int64_t> length = getConstantIntValue(size);
      return length && *length % 4 == 0;
    };
    bool aByFour =
        byFour(product.lhs, kStagedA, aAlongM ? product.m : product.k,
               aAlongM ? sizeM : sizeK);
    bool bByFour =
        byFour(product.rhs, kStagedB, bAlongK ? product.k : product.n,
               bAlongK ? sizeK : sizeN);
    // A factor the body computes (an implicit GEMM's gather) is staged in
    // the same layout as by fours, each thread four neighbours along the
    // line, but loaded one element at a time: a thread's elements then lie
    // in a quarter as many rows (of a 256 x 16 tile's A: 4, not 16), whose
    // index arithmetic, the same every step, it keeps in registers.
    bool aFours = aByFour || (!product.lhs.operand && kStagedA % 4 == 0);
    bool bFours = bByFour || (!product.rhs.operand && kStagedB % 4 == 0);
    // (row, k) of A and (k, column) of B.
    auto stagedA = [&](OpBuilder &b, Value thread, int64_t r) {
      if (!aAlongM)
        return staged(b, thread, r, kStep, aFours);
      auto [k, row] = staged(b, thread, r, kRows, aFours);
      return std::make_pair(row, k);
    };
    auto stagedB = [&](OpBuilder &b, Value thread, int64_t r) {
      if (!bAlongK)
        return staged(b, thread, r, kCols, bFours);
      auto [col, k] = staged(b, thread, r, kStep, bFours);
      return std::make_pair(k, col);
    };
    // The first row and column of C that tile `block` covers.
    auto tileOrigin = [&](OpBuilder &b, Value block) {
      return std::make_pair(
          Value(arith::MulIOp::create(
              b, loc, arith::DivUIOp::create(b, loc, block, tilesN), tileRows)),
          Value(arith::MulIOp::create(
              b, loc, arith::RemUIOp::create(b, loc, block, tilesN),
              tileCols)));
    };
    auto fetch = [&](OpBuilder &b, Value block, Value thread, Value k0) {
      auto [rowBase, colBase] = tileOrigin(b, block);
      // One factor's slots in order, slot r at (`base` + outer, k0 + k) of
      // its (outer, k) = `slot(r)`; by fours, one load per four slots. A
      // computed factor in the by-fours layout (`quads`) has its four
      // neighbours along k (A) or along n (B), slot r at lane r % 4 of
      // slot r - r % 4's index.
      auto fetchFactor =
          [&](const Factor &factor, int64_t slots, unsigned outer, Value base,
              Value size, bool fours, bool quads, bool quadsAlongK,
              function_ref<std::pair<Value, Value>(int64_t)> slot) {
            auto indices = [&](int64_t r) {
              auto [at, k] = slot(r);
              return std::make_pair(
                  Value(arith::AddIOp::create(b, loc, base, at)),
                  Value(arith::AddIOp::create(b, loc, k0, k)));
            };
            SmallVector<Value> values;
            for (int64_t r = 0; r < slots; r += fours ? 4 : 1) {
              auto [outerIndex, kIndex] = indices(r);
              std::optional<QuadIndex> quad;
              if (quads && !factor.operand) {
                auto [outerBase, kBase] = indices(r - r % 4);
                quad = quadsAlongK ? QuadIndex{product.k, kBase, r % 4}
                                   : QuadIndex{outer, outerBase, r % 4};
              }
              llvm::append_range(values,
                                 loadGuarded(b, factor, outer, outerIndex, size,
                                             kIndex, fours, quad));
            }
            return values;
          };
      SmallVector<Value> values =
          fetchFactor(product.lhs, kStagedA, product.m, rowBase, sizeM, aByFour,
                      aFours, /*quadsAlongK=*/!aAlongM,
                      [&](int64_t r) { return stagedA(b, thread, r); });
      llvm::append_range(values,
                         fetchFactor(product.rhs, kStagedB, product.n, colBase,
                                     sizeN, bByFour, bFours,
                                     /*quadsAlongK=*/bAlongK, [&](int64_t r) {
                                       auto [k, col] = stagedB(b, thread, r);
                                       return std::make_pair(col, k);
                                     }));
      return values;
    };
    auto put = [&](OpBuilder &b, Value thread, ArrayRef<Value> values,
                   Value tileA, Value tileB, Value base) {
      auto rounded = [&](Value value) {
        return mma ? mma->round(b, loc, value, /*onGpu=*/kernelTable.has_value())
                   : value;
      };
      for (int64_t r = 0; r < kStagedA; ++r) {
        auto [aRow, aK] = stagedA(b, thread, r);
        memref::StoreOp::create(
            b, loc, rounded(values[r]), tileA,
            ValueRange{arith::AddIOp::create(b, loc, base, aK), aRow});
      }
      for (int64_t r = 0; r < kStagedB; ++r) {
        auto [bK, bCol] = stagedB(b, thread, r);
        memref::StoreOp::create(
            b, loc, rounded(values[kStagedA + r]), tileB,
            ValueRange{arith::AddIOp::create(b, loc, base, bK), bCol});
      }
    };
    // The products of the kStep steps staged at row `base` of the tiles
    // added to `acc`, thread `thread`'s register tile.
    // Thread `thread`'s first row of the tile, and the tile column of its
    // register tile's column j. The kRegsM rows are neighbours; the kRegsN
    // columns come in groups of at most four neighbours, group q at
    // kThreadsN * kGroupN * q: with eight columns a thread (a 128-wide
    // tile),
    // neighbouring threads' shared-memory loads of B and their stores to
    // C then fall on neighbouring 16-byte groups (no bank conflict, fewer
    // sectors) instead of every other one.
    const int64_t kGroupN = std::min<int64_t>(kRegsN, 4);
    std::optional<int64_t> staticK = getConstantIntValue(sizeK);
    const int64_t kStepsMultiplied =
        staticK ? std::clamp<int64_t>(*staticK, 1, kStep) : kStep;
    auto threadRow = [&](OpBuilder &b, Value thread) -> Value {
      return arith::MulIOp::create(
          b, loc, arith::DivUIOp::create(b, loc, thread, index(b, kThreadsN)),
          index(b, kRegsM));
    };
    auto threadCol = [&](OpBuilder &b, Value thread, int64_t j) -> Value {
      Value tx = arith::MulIOp::create(
          b, loc, arith::RemUIOp::create(b, loc, thread, index(b, kThreadsN)),
          index(b, kGroupN));
      return arith::AddIOp::create(
          b, loc, tx,
          index(b, j / kGroupN * kThreadsN * kGroupN + j % kGroupN));
    };
    auto multiply = [&](OpBuilder &b, Value thread, Value tileA, Value tileB,
                        Value base, SmallVector<Value> acc) {
      Value ty = threadRow(b, thread);
      SmallVector<Value> cols;
      for (int64_t j = 0; j < kRegsN; ++j)
        cols.push_back(threadCol(b, thread, j));
      // Unrolled: the shared loads' addresses become constant offsets of
      // one register, as the tensor-core path's are. A static k shorter
      // than a staged step (a first convolution's 9 taps, a Dense input
      // gradient's 10 classes) multiplies its own steps only, not the
      // staged zeros after them.
      for (int64_t step = 0; step < kStepsMultiplied; ++step) {
        Value kk = arith::AddIOp::create(b, loc, base, index(b, step));
        SmallVector<Value> as, bs;
        for (int64_t i = 0; i < kRegsM; ++i)
          as.push_back(memref::LoadOp::create(
              b, loc, tileA,
              ValueRange{kk, arith::AddIOp::create(b, loc, ty, index(b, i))}));
        for (int64_t j = 0; j < kRegsN; ++j)
          bs.push_back(
              memref::LoadOp::create(b, loc, tileB, ValueRange{kk, cols[j]}));
        // One fused multiply-add each: a separate multiply and add would be
        // two instructions (NVPTX keeps them apart, as `mul.rn` and
        // `add.rn`, without a contract flag), half the GPU's peak.
        for (int64_t i = 0; i < kRegsM; ++i)
          for (int64_t j = 0; j < kRegsN; ++j)
            acc[i * kRegsN + j] =
                math::FmaOp::create(b, loc, as[i], bs[j], acc[i * kRegsN + j]);
      }
      return acc;
    };
    // With tensor cores: thread `thread`'s warp, its lane, and the first
    // row and column of the warp's part of the tile.
    struct WarpPart {
      Value lane, row0, col0;
    };
    const int64_t mmaTiles = kTile / 32; // of 16 rows, and of 8 columns
    auto warpPart = [&](OpBuilder &b, Value thread) {
      Value warp = arith::DivUIOp::create(b, loc, thread, index(b, 32));
      WarpPart part;
      part.lane = arith::RemUIOp::create(b, loc, thread, index(b, 32));
      part.row0 = arith::MulIOp::create(
          b, loc, arith::DivUIOp::create(b, loc, warp, index(b, 4)),
          index(b, kTile / 2));
      part.col0 = arith::MulIOp::create(
          b, loc, arith::RemUIOp::create(b, loc, warp, index(b, 4)),
          index(b, kTile / 4));
      return part;
    };
    // Thread `thread`'s fragments of the steps staged at row `base`: for
    // each mma step s (kMma steps of k), `visit(s, as, bs)` with A's
    // registers of each row block of its warp's part (16 rows) and B's of
    // each column block (8 columns).
    using Fragments = ArrayRef<SmallVector<Value>>;
    auto forEachFragment =
        [&](OpBuilder &b, Value thread, Value tileA, Value tileB, Value base,
            function_ref<void(int64_t, Fragments, Fragments)> visit) {
          WarpPart part = warpPart(b, thread);
          for (int64_t s = 0; s < kStep / mma->kSteps(); ++s) {
            Value k0 = arith::AddIOp::create(b, loc, base,
                                             index(b, s * mma->kSteps()));
            SmallVector<SmallVector<Value>> as, bs;
            for (int64_t i = 0; i < mmaTiles; ++i)
              as.push_back(mma->loadA(
                  b, loc, tileA, k0,
                  arith::AddIOp::create(b, loc, part.row0, index(b, 16 * i)),
                  part.lane));
            for (int64_t j = 0; j < mmaTiles; ++j)
              bs.push_back(mma->loadB(
                  b, loc, tileB, k0,
                  arith::AddIOp::create(b, loc, part.col0, index(b, 8 * j)),
                  part.lane));
            visit(s, as, bs);
          }
        };
    // The mma products of the steps staged at row `base` added to thread
    // `thread`'s sums `acc`: 16 x 8 outputs (4 per lane) per pair of its
    // warp's row and column blocks.
    auto multiplyMma = [&](OpBuilder &b, Value thread, Value tileA, Value tileB,
                           Value base, SmallVector<Value> acc) {
      forEachFragment(
          b, thread, tileA, tileB, base,
          [&](int64_t, Fragments as, Fragments bs) {
            for (int64_t i = 0; i < mmaTiles; ++i)
              for (int64_t j = 0; j < mmaTiles; ++j) {
                MutableArrayRef<Value> sums =
                    MutableArrayRef(acc).slice((i * mmaTiles + j) * 4, 4);
                llvm::copy(mma->multiply(b, loc, as[i], bs[j], sums),
                           sums.begin());
              }
          });
      return acc;
    };
    // Where sum `r` of thread `thread` sits in the block's tile (row,
    // column): register tile row r / kRegsN and column r % kRegsN
    // (threadRow, threadCol), or with
    // tensor cores the mma's sum r % 4 of row and column block r / 4.
    auto offsetOf = [&](OpBuilder &b, Value thread,
                        int64_t r) -> std::pair<Value, Value> {
      if (mma) {
        WarpPart part = warpPart(b, thread);
        auto [row, col] = mma->sumAt(b, loc, part.lane, r % 4);
        int64_t i = r / 4 / mmaTiles, j = r / 4 % mmaTiles;
        return {arith::AddIOp::create(
                    b, loc, part.row0,
                    arith::AddIOp::create(b, loc, row, index(b, 16 * i))),
                arith::AddIOp::create(
                    b, loc, part.col0,
                    arith::AddIOp::create(b, loc, col, index(b, 8 * j)))};
      }
      return {arith::AddIOp::create(b, loc, threadRow(b, thread),
                                    index(b, r / kRegsN)),
              threadCol(b, thread, r % kRegsN)};
    };
    // Thread `thread`'s sums added to C, or stored as the block's split's
    // partial sums, inside the matrix.
    auto write = [&](OpBuilder &b, Value block, Value thread,
                     ArrayRef<Value> acc) {
      Value split =
          partials ? arith::DivUIOp::create(b, loc, block, tiles) : Value();
      auto [rowBase, colBase] = tileOrigin(b, tileOf(b, block));
      OpOperand *init = op.getDpsInitOperand(0);
      // One active split (a short k) adds its sums to C itself.
      Value toPartials =
          partials ? arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ugt,
                                           active, one)
                         .getResult()
                   : Value();
      for (int64_t r = 0; r < kSums; ++r) {
        auto [rowOffset, colOffset] = offsetOf(b, thread, r);
        Value row = arith::AddIOp::create(b, loc, rowBase, rowOffset);
        Value col = arith::AddIOp::create(b, loc, colBase, colOffset);
        Value inside = arith::AndIOp::create(
            b, loc,
            arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, row,
                                  sizeM),
            arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, col,
                                  sizeN));
        auto branch = scf::IfOp::create(b, loc, inside, /*withElse=*/false);
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPointToStart(branch.thenBlock());
        if (partials) {
          auto choice =
              scf::IfOp::create(b, loc, toPartials, /*withElse=*/true);
          b.setInsertionPointToStart(choice.thenBlock());
          memref::StoreOp::create(b, loc, acc[r], partials,
                                  ValueRange{split, row, col});
          b.setInsertionPointToStart(choice.elseBlock());
        }
        SmallVector<Value> dims(3, zero);
        dims[product.m] = row;
        dims[product.n] = col;
        SmallVector<Value> at =
            applyMap(b, op.getMatchingIndexingMap(init), dims);
        storeSum(b, op, acc[r], at, epilogue);
      }
    };
    // Split-K's second kernel, when more than one split ran: C[m, n] +=
    // partials[s, m, n] for the active s in order, as a generic over
    // (m, n, s) that the loop mapping gives one thread per element of C.
    auto addPartials = [&] {
      if (!partials)
        return;
      MLIRContext *ctx = b.getContext();
      SmallVector<AffineExpr> outputAt(3, getAffineConstantExpr(0, ctx));
      outputAt[product.m] = getAffineDimExpr(0, ctx);
      outputAt[product.n] = getAffineDimExpr(1, ctx);
      addPartialSums(op, partials, active, 2, outputAt,
                     {getAffineDimExpr(0, ctx), getAffineDimExpr(1, ctx)});
    };
    Value zeroF = arith::ConstantOp::create(b, loc, b.getZeroAttr(f32));
    SmallVector<Value> zeros(kSums, zeroF);
    Value step = index(b, kStep);
    // Nothing to do for an empty product (a batch of 0).
    Value any =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ugt, blocks, zero);
    auto guard = scf::IfOp::create(b, loc, any, /*withElse=*/false);
    b.setInsertionPointToStart(guard.thenBlock());

    // With tensor cores, a row of a tile is padded so that a fragment's
    // loads (4 steps of k by 8 rows for TF32, 4 pairs of steps for BF16)
    // fall into 32 different banks. Each tile holds two staged steps of k
    // (rows [0, kStep) and [kStep, 2 kStep)): while the block multiplies
    // one, its threads hold the next step's elements in registers, loaded
    // from global memory, and put them into the other after the products:
    // one barrier a step, and the loads' latency behind the arithmetic.
    int64_t padding = tileWidthFor(kTile, mma) - kTile;
    int64_t widthA = kRows + padding, widthB = kCols + padding;
    // The staged step's first row `base` and the other one's.
    auto otherBase = [&](OpBuilder &b, Value base) -> Value {
      return arith::SubIOp::create(b, loc, index(b, kStep), base);
    };
    auto hasNextStep = [&](OpBuilder &b, Value k0, Value kEnd) {
      Value next = arith::AddIOp::create(b, loc, k0, step);
      return std::make_pair(
          next, Value(arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult,
                                            next, kEnd)));
    };
    if (!kernelTable) {
      Value tileA = memref::AllocaOp::create(
          b, loc, MemRefType::get({2 * kStep, widthA}, f32));
      Value tileB = memref::AllocaOp::create(
          b, loc, MemRefType::get({2 * kStep, widthB}, f32));
      Value accs = memref::AllocaOp::create(
          b, loc, MemRefType::get({kBlockThreads, kSums}, f32));
      // Each thread's registers of the next step.
      Value prefetched = memref::AllocaOp::create(
          b, loc, MemRefType::get({kBlockThreads, kStaged}, f32));
      // Tensor cores: each lane's fragments of one staged step, register r
      // of row block i (column block j) of mma step s at
      // (s * mmaTiles + i) * 4 + r (* 2 + r for B).
      int64_t mmaSteps = mma ? kStep / mma->kSteps() : 0;
      Value fragsA, fragsB;
      if (mma) {
        Type i32 = b.getI32Type();
        fragsA = memref::AllocaOp::create(
            b, loc,
            MemRefType::get({kBlockThreads, mmaSteps * mmaTiles * 4}, i32));
        fragsB = memref::AllocaOp::create(
            b, loc,
            MemRefType::get({kBlockThreads, mmaSteps * mmaTiles * 2}, i32));
      }
      Value block = hostLoop(b, loc, blocks);
      auto eachThread = [&](OpBuilder &b,
                            function_ref<void(OpBuilder &, Value)> body) {
        OpBuilder::InsertionGuard guard(b);
        Value thread = hostLoop(b, loc, threads);
        body(b, thread);
      };
      // `body` for each thread, where `condition` holds.
      auto eachThreadIf = [&](OpBuilder &b, Value condition,
                              function_ref<void(OpBuilder &, Value)> body) {
        auto branch = scf::IfOp::create(b, loc, condition, /*withElse=*/false);
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPointToStart(branch.thenBlock());
        eachThread(b, body);
      };
      auto accsOf = [&](OpBuilder &b, Value thread) {
        SmallVector<Value> acc;
        for (int64_t r = 0; r < kSums; ++r)
          acc.push_back(memref::LoadOp::create(
              b, loc, accs, ValueRange{thread, index(b, r)}));
        return acc;
      };
      eachThread(b, [&](OpBuilder &b, Value thread) {
        for (int64_t r = 0; r < kSums; ++r)
          memref::StoreOp::create(b, loc, zeroF, accs,
                                  ValueRange{thread, index(b, r)});
      });
      auto [kBegin, kEnd] = kRange(b, block);
      Value tileBlock = tileOf(b, block);
      eachThread(b, [&](OpBuilder &b, Value thread) {
        put(b, thread, fetch(b, tileBlock, thread, kBegin), tileA, tileB, zero);
      });
      auto kLoop = scf::ForOp::create(b, loc, kBegin, kEnd, step);
      {
        OpBuilder::InsertionGuard g(b);
        b.setInsertionPointToStart(kLoop.getBody());
        Value k0 = kLoop.getInductionVar();
        // Step i is staged at row (i % 2) kStep.
        Value base = arith::MulIOp::create(
            b, loc,
            arith::RemUIOp::create(
                b, loc,
                arith::DivUIOp::create(
                    b, loc, arith::SubIOp::create(b, loc, k0, kBegin), step),
                index(b, 2)),
            step);
        auto [next, hasNext] = hasNextStep(b, k0, kEnd);
        eachThreadIf(b, hasNext, [&](OpBuilder &b, Value thread) {
          for (auto [i, value] :
               llvm::enumerate(fetch(b, tileBlock, thread, next)))
            memref::StoreOp::create(
                b, loc, value, prefetched,
                ValueRange{thread, index(b, static_cast<int64_t>(i))});
        });
        if (mma) {
          eachThread(b, [&](OpBuilder &b, Value thread) {
            auto save = [&](Value frags, ArrayRef<Value> regs, int64_t at) {
              for (auto [r, reg] : llvm::enumerate(regs))
                memref::StoreOp::create(
                    b, loc, reg, frags,
                    ValueRange{thread, index(b, at + int64_t(r))});
            };
            forEachFragment(b, thread, tileA, tileB, base,
                            [&](int64_t s, Fragments as, Fragments bs) {
                              for (int64_t i = 0; i < mmaTiles; ++i)
                                save(fragsA, as[i], (s * mmaTiles + i) * 4);
                              for (int64_t j = 0; j < mmaTiles; ++j)
                                save(fragsB, bs[j], (s * mmaTiles + j) * 2);
                            });
          });
        }
        eachThread(b, [&](OpBuilder &b, Value thread) {
          SmallVector<Value> acc = accsOf(b, thread);
          if (!mma) {
            acc = multiply(b, thread, tileA, tileB, base, acc);
          } else {
            Value lane = arith::RemUIOp::create(b, loc, thread, index(b, 32));
            Value warp0 = arith::SubIOp::create(b, loc, thread, lane);
            auto fragment = [&](Value frags, int64_t base) {
              return [&, frags, base](OpBuilder &b, Value l, int64_t r) {
                return Value(memref::LoadOp::create(
                    b, loc, frags,
                    ValueRange{arith::AddIOp::create(b, loc, warp0, l),
                               index(b, base + r)}));
              };
            };
            for (int64_t s = 0; s < mmaSteps; ++s)
              for (int64_t i = 0; i < mmaTiles; ++i)
                for (int64_t j = 0; j < mmaTiles; ++j) {
                  MutableArrayRef<Value> sums =
                      MutableArrayRef(acc).slice((i * mmaTiles + j) * 4, 4);
                  llvm::copy(
                      mma->emulate(
                          b, loc, fragment(fragsA, (s * mmaTiles + i) * 4),
                          fragment(fragsB, (s * mmaTiles + j) * 2), lane, sums),
                      sums.begin());
                }
          }
          for (int64_t r = 0; r < kSums; ++r)
            memref::StoreOp::create(b, loc, acc[r], accs,
                                    ValueRange{thread, index(b, r)});
        });
        eachThreadIf(b, hasNext, [&](OpBuilder &b, Value thread) {
          SmallVector<Value> values;
          for (int64_t i = 0; i < kStaged; ++i)
            values.push_back(memref::LoadOp::create(
                b, loc, prefetched, ValueRange{thread, index(b, i)}));
          put(b, thread, values, tileA, tileB, otherBase(b, base));
        });
      }
      eachThread(b, [&](OpBuilder &b, Value thread) {
        write(b, block, thread, accsOf(b, thread));
      });
      addPartials();
      return;
    }

    Attribute shared = gpu::AddressSpaceAttr::get(
        b.getContext(), gpu::GPUDialect::getWorkgroupAddressSpace());
    auto tileType = [&](int64_t width) {
      return MemRefType::get({2 * kStep, width}, f32,
                             MemRefLayoutAttrInterface(), shared);
    };
    auto launch = gpu::LaunchOp::create(
        b, loc, blocks, one, one, threads, one, one,
        /*dynamicSharedMemorySize=*/nullptr, /*asyncTokenType=*/nullptr,
        /*asyncDependencies=*/{},
        TypeRange{tileType(widthA), tileType(widthB)});
    Block &body = launch.getBody().front();
    b.setInsertionPointToStart(&body);
    Value tileA = launch.getWorkgroupAttributions()[0];
    Value tileB = launch.getWorkgroupAttributions()[1];
    Value block = launch.getBlockIds().x, thread = launch.getThreadIds().x;
    auto [kBegin, kEnd] = kRange(b, block);
    Value tileBlock = tileOf(b, block);
    put(b, thread, fetch(b, tileBlock, thread, kBegin), tileA, tileB, zero);
    gpu::BarrierOp::create(b, loc);
    // The sums, then the staged step's first row.
    SmallVector<Value> init(zeros);
    init.push_back(zero);
    auto kLoop = scf::ForOp::create(b, loc, kBegin, kEnd, step, init);
    {
      OpBuilder::InsertionGuard g(b);
      b.setInsertionPointToStart(kLoop.getBody());
      SmallVector<Value> iterArgs(kLoop.getRegionIterArgs());
      Value base = iterArgs.pop_back_val();
      auto [next, hasNext] = hasNextStep(b, kLoop.getInductionVar(), kEnd);
      auto prefetch =
          scf::IfOp::create(b, loc, SmallVector<Type>(kStaged, f32), hasNext,
                            /*withElse=*/true);
      {
        OpBuilder::InsertionGuard g(b);
        b.setInsertionPointToStart(prefetch.thenBlock());
        scf::YieldOp::create(b, loc, fetch(b, tileBlock, thread, next));
        b.setInsertionPointToStart(prefetch.elseBlock());
        scf::YieldOp::create(b, loc, SmallVector<Value>(kStaged, zeroF));
      }
      SmallVector<Value> acc =
          mma ? multiplyMma(b, thread, tileA, tileB, base, iterArgs)
              : multiply(b, thread, tileA, tileB, base, iterArgs);
      Value other = otherBase(b, base);
      auto store = scf::IfOp::create(b, loc, hasNext, /*withElse=*/false);
      {
        OpBuilder::InsertionGuard g(b);
        b.setInsertionPointToStart(store.thenBlock());
        put(b, thread, SmallVector<Value>(prefetch.getResults()), tileA, tileB,
            other);
      }
      gpu::BarrierOp::create(b, loc);
      acc.push_back(other);
      scf::YieldOp::create(b, loc, acc);
    }
    SmallVector<Value> sums(kLoop.getResults());
    sums.pop_back();
    write(b, block, thread, sums);
    gpu::TerminatorOp::create(b, loc);
    addPartials();
    launches.push_back({launch, "matmul"});
  }

  /// Whether `factor` of `op` is an input whose innermost, contiguous
  /// memory dimension is indexed by loop `dim` alone.
  static bool runsAlong(linalg::LinalgOp op, const Factor &factor,
                        unsigned dim) {
    if (!factor.operand)
      return false;
    auto type = dyn_cast<MemRefType>(factor.operand->get().getType());
    SmallVector<int64_t> strides;
    int64_t offset;
    if (!type || type.getRank() == 0 ||
        failed(type.getStridesAndOffset(strides, offset)) ||
        strides.back() != 1)
      return false;
    AffineExpr last =
        op.getMatchingIndexingMap(factor.operand).getResults().back();
    auto d = dyn_cast<AffineDimExpr>(last);
    return d && d.getPosition() == dim;
  }

  /// Clones at `b` the ops of computed `factor`'s slice that are pure
  /// (no memory, safe to run where the factor is not needed) and read
  /// only loop indices `dims` and what the slice does not compute: an
  /// implicit GEMM's index arithmetic (a row's batch, y and x, a step's
  /// tap and channel), outside the guard of each element, so that the
  /// elements of one row or one step share it and a row's stays out of
  /// the loop over k. `mapping` receives them (evaluateFactor's).
  ///
  /// With `quad`, loop index quad->dim is a multiple of 4 plus a lane
  /// below 4, so that its quotient by a multiple of 4 is the base's and
  /// its remainder the base's plus the lane: the four neighbours of a
  /// thread (one channel each, of one tap) share their tap's arithmetic.
  static void hoistFactorIndices(OpBuilder &b, const Factor &factor,
                                 ArrayRef<Value> dims,
                                 std::optional<QuadIndex> quad,
                                 IRMapping &mapping) {
    llvm::SmallPtrSet<Operation *, 16> slice(factor.slice.begin(),
                                             factor.slice.end());
    // `value` / `divisor` or `value` % `divisor` (`divisor` a positive
    // multiple of 4), where `value` is quad->dim's index.
    auto quadOperand = [&](Operation *nested) -> Value {
      if (!quad || !isa<arith::DivUIOp, arith::RemUIOp>(nested))
        return nullptr;
      auto index = nested->getOperand(0).getDefiningOp<linalg::IndexOp>();
      APInt divisor;
      if (!index || index.getDim() != quad->dim || !slice.contains(index) ||
          !matchPattern(nested->getOperand(1), m_ConstantInt(&divisor)) ||
          divisor.isZero() || divisor.getZExtValue() % 4)
        return nullptr;
      return nested->getOperand(1);
    };
    for (Operation *nested : factor.slice) {
      if (auto index = dyn_cast<linalg::IndexOp>(nested)) {
        mapping.map(index.getResult(), dims[index.getDim()]);
        continue;
      }
      if (Value divisor = quadOperand(nested)) {
        Location loc = nested->getLoc();
        divisor = mapping.lookupOrDefault(divisor);
        Value result;
        if (isa<arith::DivUIOp>(nested)) {
          result = arith::DivUIOp::create(b, loc, quad->base, divisor);
        } else {
          result = arith::AddIOp::create(
              b, loc, arith::RemUIOp::create(b, loc, quad->base, divisor),
              arith::ConstantIndexOp::create(b, loc, quad->lane));
        }
        mapping.map(nested->getResult(0), result);
        continue;
      }
      bool ready = llvm::all_of(nested->getOperands(), [&](Value v) {
        Operation *def = v.getDefiningOp();
        return !def || !slice.contains(def) || mapping.contains(v);
      });
      if (ready && nested->getNumRegions() == 0 && isPure(nested))
        b.clone(*nested, mapping);
    }
  }

  /// `factor` of `op` at loop indices `dims` (those it depends on): its
  /// input's element, or its computation cloned (but for what `mapping`
  /// has already: hoistFactorIndices).
  static Value evaluateFactor(OpBuilder &b, linalg::LinalgOp op,
                              const Factor &factor, ArrayRef<Value> dims,
                              IRMapping mapping = {}) {
    if (factor.operand)
      return memref::LoadOp::create(
          b, op.getLoc(), factor.operand->get(),
          applyMap(b, op.getMatchingIndexingMap(factor.operand), dims));
    for (Operation *nested : factor.slice) {
      if (auto index = dyn_cast<linalg::IndexOp>(nested))
        mapping.map(index.getResult(), dims[index.getDim()]);
      else if (!llvm::all_of(nested->getResults(), [&](Value v) {
                 return mapping.contains(v);
               }))
        b.clone(*nested, mapping);
    }
    return mapping.lookup(factor.computed);
  }

  /// The op right after `product` (memory-wise) that updates its output
  /// in place element for element (kiln-cuda-fuse-into-matmul leaves bias
  /// and activation so), reading nothing else of it: the product applies
  /// it to each sum as it stores it, one kernel and one pass over the
  /// output fewer. The op may see the output through an expand_shape (a
  /// convolution's rows as batch x positions) with static inner sizes.
  static linalg::GenericOp epilogueOf(const Contraction &product) {
    linalg::LinalgOp op = product.sum.op;
    auto epilogue = dyn_cast_or_null<linalg::GenericOp>(nextTouchingMemory(op));
    if (op->hasAttr(kSplitKAttrName) || !epilogue ||
        epilogue.getNumDpsInits() != 1 ||
        epilogue.getNumLoops() != epilogue.getNumParallelLoops() ||
        !epilogue.getBlock()->getArguments().back().use_empty() ||
        !epilogue.getMatchingIndexingMap(epilogue.getDpsInitOperand(0))
             .isIdentity())
      return nullptr;
    Value sums = op.getDpsInits()[0];
    Value updated = epilogue.getDpsInits()[0];
    if (auto expand = updated.getDefiningOp<memref::ExpandShapeOp>()) {
      MemRefType type = expand.getResultType();
      if (expand.getSrc() != sums)
        return nullptr;
      for (ReassociationIndices group : expand.getReassociationIndices())
        for (int64_t d : ArrayRef(group).drop_front())
          if (type.isDynamicDim(d))
            return nullptr;
    } else if (updated != sums) {
      return nullptr;
    }
    // The epilogue reads the sums once, as the element it updates: its
    // other inputs are loaded before the sums are stored (storeSum), so none
    // may view the sums' buffer in any way.
    int reads = 0;
    for (OpOperand *input : epilogue.getDpsInputOperands()) {
      if (input->get() == updated &&
          epilogue.getMatchingIndexingMap(input).isIdentity())
        ++reads;
      else if (isa<MemRefType>(input->get().getType()) &&
               bufferOf(input->get()) == bufferOf(sums))
        return nullptr;
    }
    return reads == 1 ? epilogue : nullptr;
  }

  /// Adds `sum` to `op`'s output element at `at`, or stores it there when
  /// the output starts from zeros (kiln.zero_init); with `epilogue`
  /// (epilogueOf), the epilogue's value of that element instead.
  static void storeSum(OpBuilder &b, linalg::LinalgOp op, Value sum,
                       ValueRange at, linalg::GenericOp epilogue = nullptr) {
    Location loc = op.getLoc();
    Value output = op.getDpsInitOperand(0)->get();
    if (!op->hasAttr(kZeroInitAttrName))
      sum = arith::AddFOp::create(
          b, loc, memref::LoadOp::create(b, loc, output, at), sum);
    if (epilogue) {
      Value updated = epilogue.getDpsInits()[0];
      SmallVector<Value> loops(at);
      if (auto expand = updated.getDefiningOp<memref::ExpandShapeOp>())
        loops = splitIndices(b, loc, expand.getResultType(),
                             expand.getReassociationIndices(), at);
      Block *body = epilogue.getBlock();
      IRMapping mapping;
      for (OpOperand *input : epilogue.getDpsInputOperands()) {
        Value value = input->get();
        if (value == updated)
          value = sum;
        else if (isa<MemRefType>(value.getType()))
          value = memref::LoadOp::create(
              b, loc, value,
              applyMap(b, epilogue.getMatchingIndexingMap(input), loops));
        mapping.map(body->getArgument(input->getOperandNumber()), value);
      }
      for (Operation &nested : body->without_terminator()) {
        if (auto index = dyn_cast<linalg::IndexOp>(nested))
          mapping.map(index.getResult(), loops[index.getDim()]);
        else
          b.clone(nested, mapping);
      }
      sum = mapping.lookupOrDefault(body->getTerminator()->getOperand(0));
    }
    memref::StoreOp::create(b, loc, sum, output, at);
  }

  /// `sum`'s term at loop indices `dims`: its inputs loaded, the payload up
  /// to the final addition cloned.
  static Value evaluateTerm(OpBuilder &b, SumReduction sum,
                            ArrayRef<Value> dims) {
    linalg::LinalgOp op = sum.op;
    Block *body = op.getBlock();
    IRMapping mapping;
    mapInputsAt(b, op, dims, mapping);
    for (Operation &nested : body->without_terminator()) {
      if (&nested == sum.add.getOperation())
        break;
      if (auto index = dyn_cast<linalg::IndexOp>(nested)) {
        mapping.map(index.getResult(), dims[index.getDim()]);
        continue;
      }
      b.clone(nested, mapping);
    }
    return mapping.lookupOrDefault(sum.term);
  }

  /// One thread per iteration of `loop`'s linearized space.
  LogicalResult mapParallel(scf::ParallelOp loop) {
    if (loop.getNumResults() != 0)
      return loop.emitError("cannot map a parallel loop with reductions to "
                            "the GPU");
    Location loc = loop.getLoc();
    OpBuilder b(loop);
    Value one = arith::ConstantIndexOp::create(b, loc, 1);
    // Folded as built: static extents stay constants in the kernel.
    auto [extents, total] = extentsOf(b, loop);
    int64_t threads = threadsFor(getConstantIntValue(total));
    Value block = arith::ConstantIndexOp::create(b, loc, threads);
    Value grid = b.createOrFold<arith::CeilDivUIOp>(loc, total, block);

    // Nothing to launch for an empty space (a batch of 0).
    Value zero = arith::ConstantIndexOp::create(b, loc, 0);
    Value nonEmpty =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ugt, total, zero);
    auto guard = scf::IfOp::create(b, loc, nonEmpty, /*withElseRegion=*/false);
    b.setInsertionPointToStart(guard.thenBlock());
    auto launch =
        gpu::LaunchOp::create(b, loc, grid, one, one, block, one, one);
    Block &body = launch.getBody().front();
    b.setInsertionPointToStart(&body);
    Value id = arith::AddIOp::create(
        b, loc,
        arith::MulIOp::create(b, loc, launch.getBlockIds().x,
                              launch.getBlockSize().x),
        launch.getThreadIds().x);
    Value inRange =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, id, total);
    auto inside = scf::IfOp::create(b, loc, inRange, /*withElseRegion=*/false);
    gpu::TerminatorOp::create(b, loc);

    b.setInsertionPointToStart(inside.thenBlock());
    cloneIteration(b, loop, extents, id);
    loop.erase();
    launches.push_back({launch, "loop"});
    return success();
  }

  /// The threads of a block for a space of `iterations`: a small static
  /// space needs fewer than a full block.
  int64_t threadsFor(std::optional<int64_t> iterations) const {
    if (!iterations)
      return blockSize;
    return std::clamp<int64_t>((*iterations + 31) / 32 * 32, 32, blockSize);
  }

  /// The iterations of `loop`, where its bounds and steps are constants.
  static std::optional<int64_t> staticIterations(scf::ParallelOp loop) {
    int64_t total = 1;
    for (auto [lb, ub, step] : llvm::zip(
             loop.getLowerBound(), loop.getUpperBound(), loop.getStep())) {
      std::optional<int64_t> l = getConstantIntValue(lb),
                             u = getConstantIntValue(ub),
                             s = getConstantIntValue(step);
      if (!l || !u || !s)
        return std::nullopt;
      total *= llvm::divideCeil(*u - *l, *s);
    }
    return total;
  }

  /// The extents of `loop`'s dimensions (iterations of each), folded as
  /// built, and their product.
  static std::pair<SmallVector<Value>, Value> extentsOf(OpBuilder &b,
                                                        scf::ParallelOp loop) {
    Location loc = loop.getLoc();
    SmallVector<Value> extents;
    Value total = arith::ConstantIndexOp::create(b, loc, 1);
    for (auto [lb, ub, step] : llvm::zip(
             loop.getLowerBound(), loop.getUpperBound(), loop.getStep())) {
      Value span = b.createOrFold<arith::SubIOp>(loc, ub, lb);
      Value extent = b.createOrFold<arith::CeilDivUIOp>(loc, span, step);
      extents.push_back(extent);
      total = b.createOrFold<arith::MulIOp>(loc, total, extent);
    }
    return {extents, total};
  }

  /// Clones the body of `loop` at the iteration whose linear index (the
  /// innermost dimension fastest) is `linear`.
  static void cloneIteration(OpBuilder &b, scf::ParallelOp loop,
                             ArrayRef<Value> extents, Value linear) {
    Location loc = loop.getLoc();
    IRMapping mapping;
    Value rest = linear;
    for (int64_t d = extents.size() - 1; d >= 0; --d) {
      Value index =
          d == 0 ? rest : arith::RemUIOp::create(b, loc, rest, extents[d]);
      if (d > 0)
        rest = arith::DivUIOp::create(b, loc, rest, extents[d]);
      Value iv = arith::AddIOp::create(
          b, loc, loop.getLowerBound()[d],
          arith::MulIOp::create(b, loc, index, loop.getStep()[d]));
      mapping.map(loop.getInductionVars()[d], iv);
    }
    for (Operation &op : loop.getBody()->without_terminator())
      b.clone(op, mapping);
  }

  /// Whether `loop` itself (outside its parallel loops) reads memory and
  /// goes on with the values: an embedding's gradient adds the gradient's
  /// row i to the row ids[i] of the table, ids read from a buffer. The
  /// host cannot read device memory, so mapBlockLoop runs such a loop on
  /// the GPU.
  static bool readsDeviceValues(scf::ForOp loop) {
    return loop.getRegion()
        .walk<WalkOrder::PreOrder>([](Operation *op) {
          if (isa<scf::ParallelOp, gpu::LaunchOp>(op))
            return WalkResult::skip();
          if (op->getNumRegions() == 0 && !op->use_empty() && touchesMemory(op))
            return WalkResult::interrupt();
          return WalkResult::advance();
        })
        .wasInterrupted();
  }

  /// A block loop's iterations, split among blocks by the row they touch:
  /// every load and store in the loop of a buffer the loop writes is at
  /// the same `row` (its first index, directly or through a one-row
  /// subview: an embedding's gradient adds to row ids[i] of the table), so
  /// iterations at different rows touch different elements, and the block
  /// that owns a row can run that row's iterations alone, in order.
  struct RowPartition {
    Value row;   // computed in the loop's body, before the accesses
    Value table; // a buffer written, defined outside the loop: its first
                 // dimension counts the rows
    llvm::SmallPtrSet<Value, 4> written; // bufferOf each buffer written
  };

  /// `loop`'s RowPartition, if its accesses prove one (see RowPartition).
  static std::optional<RowPartition> partitionByRow(scf::ForOp loop) {
    if (loop.getNumResults() != 0)
      return std::nullopt;
    struct Access {
      Value memref, buffer; // the view accessed, and bufferOf it
      Value first;          // the first index, if any
    };
    SmallVector<Access> accesses;
    llvm::SmallPtrSet<Value, 4> written;
    auto record = [&](Value memref, ValueRange indices) {
      accesses.push_back({memref, bufferOf(memref),
                          indices.empty() ? Value() : indices.front()});
    };
    WalkResult walked = loop.getBody()->walk([&](Operation *op) {
      if (auto load = dyn_cast<memref::LoadOp>(op)) {
        record(load.getMemRef(), load.getIndices());
        return WalkResult::advance();
      }
      if (auto store = dyn_cast<memref::StoreOp>(op)) {
        record(store.getMemRef(), store.getIndices());
        written.insert(accesses.back().buffer);
        return WalkResult::advance();
      }
      // Anything else that reads or writes memory: not proven.
      if (op->getNumRegions() == 0 && touchesMemory(op))
        return WalkResult::interrupt();
      return WalkResult::advance();
    });
    if (walked.wasInterrupted() || written.empty())
      return std::nullopt;
    Value row, table;
    for (const Access &access : accesses) {
      if (!written.contains(access.buffer))
        continue; // read only in the loop: any block may read it
      Value at;
      if (access.memref == access.buffer) {
        at = access.first;
      } else if (auto view = access.memref.getDefiningOp<memref::SubViewOp>();
                 view && view.getSource() == access.buffer &&
                 view.getStaticSizes()[0] == 1) {
        at = dyn_cast<Value>(view.getMixedOffsets()[0]);
      }
      if (!at || (row && at != row))
        return std::nullopt;
      row = at;
      table = access.buffer;
    }
    // Computed once per iteration, in the loop's own body, so that each
    // block can test it before the accesses.
    if (row != loop.getInductionVar() &&
        (!row.getDefiningOp() ||
         row.getDefiningOp()->getBlock() != loop.getBody()))
      return std::nullopt;
    auto type = dyn_cast<MemRefType>(table.getType());
    if (!type || type.getRank() == 0 ||
        (table.getDefiningOp() && loop->isAncestor(table.getDefiningOp())))
      return std::nullopt;
    return RowPartition{row, table, std::move(written)};
  }

  /// The ops of `loop`'s body that compute `partition.row`, in order, when
  /// they are pure or read buffers the loop does not write, from the
  /// loop's index and values from outside: then the row of any iteration
  /// can be computed ahead of it (stageRows). None when the row is the
  /// loop's index itself: nothing to read ahead.
  static std::optional<SmallVector<Operation *>>
  rowSlice(scf::ForOp loop, const RowPartition &partition) {
    if (partition.row == loop.getInductionVar())
      return std::nullopt;
    SmallVector<Operation *> slice;
    llvm::SmallPtrSet<Operation *, 8> seen;
    SmallVector<Value> worklist{partition.row};
    while (!worklist.empty()) {
      Value value = worklist.pop_back_val();
      if (value == loop.getInductionVar())
        continue;
      Operation *def = value.getDefiningOp();
      if (!def) {
        if (loop->isAncestor(value.getParentBlock()->getParentOp()))
          return std::nullopt; // a nested block's argument
        continue;              // from outside the loop
      }
      if (!loop->isAncestor(def) || !seen.insert(def).second)
        continue;
      if (def->getBlock() != loop.getBody() || def->getNumRegions() != 0)
        return std::nullopt;
      auto load = dyn_cast<memref::LoadOp>(def);
      if (load ? partition.written.contains(bufferOf(load.getMemRef()))
               : !isPure(def))
        return std::nullopt;
      slice.push_back(def);
      llvm::append_range(worklist, def->getOperands());
    }
    llvm::sort(slice, [](Operation *a, Operation *b) {
      return a->isBeforeInBlock(b);
    });
    return slice;
  }

  /// Rewrites a partitioned block loop to read its rows `chunk` iterations
  /// at a time: thread t of `threads` computes the rows of iterations
  /// c + t, c + t + threads, ... into `rowsOf` (workgroup memory on the
  /// GPU), the block waits, and the loop runs iterations c .. c + chunk - 1
  /// reading their rows from there; a barrier before the next chunk. Every
  /// block reads every row, and coalesced loads of `chunk` ids then replace
  /// `chunk` round trips to global memory, one after another, and two
  /// barriers a chunk the two an id there would be. `thread` gives the
  /// thread of each builder position (on the host, a loop over the threads
  /// it opens).
  /// Returns the loop over the chunks, which now holds `loop`, and
  /// updates partition.row.
  scf::ForOp stageRows(OpBuilder &b, scf::ForOp loop, RowPartition &partition,
                       ArrayRef<Operation *> slice, Value threads, Value chunk,
                       Value rowsOf, function_ref<Value(OpBuilder &)> thread) {
    Location loc = loop.getLoc();
    b.setInsertionPoint(loop);
    Value zero = arith::ConstantIndexOp::create(b, loc, 0);
    Value one = arith::ConstantIndexOp::create(b, loc, 1);
    Value lb = loop.getLowerBound(), step = loop.getStep();
    Value span = arith::SubIOp::create(b, loc, loop.getUpperBound(), lb);
    Value iterations = arith::SelectOp::create(
        b, loc,
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sgt,
                              loop.getUpperBound(), lb),
        arith::CeilDivUIOp::create(b, loc, span, step), zero);
    auto chunks = scf::ForOp::create(b, loc, zero, iterations, chunk);
    b.setInsertionPointToStart(chunks.getBody());
    Value first = chunks.getInductionVar();
    // The index of iteration `k` of the loop.
    auto indexOf = [&](OpBuilder &b, Value k) -> Value {
      return arith::AddIOp::create(b, loc, lb,
                                   arith::MulIOp::create(b, loc, k, step));
    };
    {
      OpBuilder::InsertionGuard guard(b);
      auto slots = scf::ForOp::create(b, loc, thread(b), chunk, threads);
      b.setInsertionPointToStart(slots.getBody());
      Value slot = slots.getInductionVar();
      Value k = arith::AddIOp::create(b, loc, first, slot);
      auto inside = scf::IfOp::create(
          b, loc,
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, k,
                                iterations),
          /*withElse=*/false);
      b.setInsertionPoint(inside.thenBlock()->getTerminator());
      IRMapping mapping;
      mapping.map(loop.getInductionVar(), indexOf(b, k));
      for (Operation *op : slice)
        b.clone(*op, mapping);
      memref::StoreOp::create(b, loc, mapping.lookup(partition.row), rowsOf,
                              slot);
    }
    if (kernelTable)
      gpu::BarrierOp::create(b, loc);
    Value count = arith::MinUIOp::create(
        b, loc, chunk, arith::SubIOp::create(b, loc, iterations, first));
    loop->moveBefore(chunks.getBody()->getTerminator());
    loop.getLowerBoundMutable().assign(zero);
    loop.getUpperBoundMutable().assign(count);
    loop.getStepMutable().assign(one);
    b.setInsertionPointToStart(loop.getBody());
    Value k = loop.getInductionVar();
    auto at = arith::AddIOp::create(b, loc, first, k);
    Value index = indexOf(b, at);
    k.replaceUsesWithIf(index,
                        [&](OpOperand &use) { return use.getOwner() != at; });
    Value row = memref::LoadOp::create(b, loc, rowsOf, k);
    partition.row.replaceAllUsesWith(row);
    partition.row = row;
    if (kernelTable) {
      b.setInsertionPointAfter(loop);
      gpu::BarrierOp::create(b, loc);
    }
    return chunks;
  }

  /// `loop` (readsDeviceValues) runs on the GPU as one block: every
  /// thread runs the loop itself, reading the same values, and thread t
  /// takes iterations t, t + T, ... of each parallel loop in it, with a
  /// barrier after each, so that every iteration of the loop sees what
  /// the ones before it wrote, as on the CPU (and one before each that
  /// writes a buffer the loop's own loads read). Each element is computed by
  /// one thread in the loop's order: the sums come out as the CPU's.
  /// Stores outside the parallel loops are thread 0's, then a barrier.
  /// When the loop's accesses split by row (partitionByRow), it runs as up
  /// to kRowBlocks such blocks instead, each taking the iterations of its
  /// range of rows, in order: every block reads every id, and works on
  /// its own; and when the rows can be computed ahead (rowSlice), the
  /// block reads them a block's worth at a time (stageRows). With host
  /// loops, each barrier-to-barrier phase is a loop over
  /// the threads instead, in a host loop over the blocks (DESIGN.md
  /// contract 4).
  LogicalResult mapBlockLoop(scf::ForOp loop) {
    WalkResult nested = loop.getRegion().walk([](Operation *op) {
      if (isa<gpu::LaunchOp>(op))
        return WalkResult::interrupt();
      return WalkResult::advance();
    });
    if (nested.wasInterrupted())
      return loop.emitError("cannot map a loop that reads indices from "
                            "memory and holds matrix products or long sums "
                            "to the GPU");
    // The parallel loops, and the loop's own accesses (outside them):
    // writes (results unused), and the buffers read by every thread.
    SmallVector<scf::ParallelOp> parallels;
    SmallVector<Operation *> writes;
    llvm::SmallDenseSet<Value> loaded, loadedWritten;
    bool loadsUnknown = false;
    loop.getRegion().walk<WalkOrder::PreOrder>([&](Operation *op) {
      if (auto parallel = dyn_cast<scf::ParallelOp>(op)) {
        parallels.push_back(parallel);
        return WalkResult::skip();
      }
      if (op->getNumRegions() != 0 || !touchesMemory(op))
        return WalkResult::advance();
      if (op->use_empty())
        writes.push_back(op);
      else if (!collectBuffers(op, loaded, loadedWritten, bufferOf))
        loadsUnknown = true;
      return WalkResult::advance();
    });
    for (scf::ParallelOp parallel : parallels)
      if (parallel.getNumResults() != 0)
        return parallel.emitError("cannot map a parallel loop with "
                                  "reductions to the GPU");
    // Threads for the widest parallel loop.
    int64_t threads = 32;
    for (scf::ParallelOp parallel : parallels)
      threads = std::max(threads, threadsFor(staticIterations(parallel)));

    std::optional<RowPartition> partition = partitionByRow(loop);
    std::optional<SmallVector<Operation *>> slice =
        partition ? rowSlice(loop, *partition) : std::nullopt;
    Location loc = loop.getLoc();
    OpBuilder b(loop);
    Value zero = arith::ConstantIndexOp::create(b, loc, 0);
    Value one = arith::ConstantIndexOp::create(b, loc, 1);
    Value count = arith::ConstantIndexOp::create(b, loc, threads);
    // Blocks, and the rows each owns: the last block takes what is left.
    Value blocks = one, rowsPerBlock, lastBlock;
    if (partition) {
      Value rows = b.createOrFold<memref::DimOp>(loc, partition->table, 0);
      blocks = arith::MinUIOp::create(
          b, loc, rows, arith::ConstantIndexOp::create(b, loc, kRowBlocks));
      blocks = arith::MaxUIOp::create(b, loc, blocks, one); // no rows
      rowsPerBlock = arith::CeilDivUIOp::create(b, loc, rows, blocks);
      lastBlock = arith::SubIOp::create(b, loc, blocks, one);
    }
    // The thread's share of each parallel loop; on the host, each thread's
    // share in turn.
    auto share = [&](OpBuilder &b, scf::ParallelOp parallel, Value thread) {
      auto [extents, total] = extentsOf(b, parallel);
      auto elements = scf::ForOp::create(b, loc, thread, total, count);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(elements.getBody());
      cloneIteration(b, parallel, extents, elements.getInductionVar());
    };
    // Whether block `block` owns this iteration's row (true unpartitioned),
    // computed right after the row; `b` is left where it was.
    auto owns = [&](OpBuilder &b, Value block) -> Value {
      if (!partition)
        return Value();
      OpBuilder::InsertionGuard guard(b);
      if (Operation *def = partition->row.getDefiningOp())
        b.setInsertionPointAfter(def);
      else
        b.setInsertionPointToStart(loop.getBody());
      Value owner = arith::MinUIOp::create(
          b, loc, arith::DivUIOp::create(b, loc, partition->row, rowsPerBlock),
          lastBlock);
      return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, owner,
                                   block);
    };
    // Moves `b` into a branch on `mine` (a block-wide value: its barriers
    // stay convergent) at `b`'s insertion point, unless `mine` is null.
    auto enter = [&](OpBuilder &b, Value mine) {
      if (!mine)
        return;
      auto branch = scf::IfOp::create(b, loc, mine, /*withElse=*/false);
      b.setInsertionPoint(branch.thenBlock()->getTerminator());
    };
    // Rows read ahead: kStagedRows, in whole rounds of the threads.
    int64_t staged = std::max(threads, kStagedRows / threads * threads);
    Value chunk = arith::ConstantIndexOp::create(b, loc, staged);
    auto rowsType = [&](Attribute memorySpace) {
      return MemRefType::get({staged}, b.getIndexType(),
                             MemRefLayoutAttrInterface(), memorySpace);
    };
    if (!kernelTable) {
      Operation *top = loop;
      if (slice) {
        Value rowsOf = memref::AllocaOp::create(b, loc, rowsType(Attribute()));
        top = stageRows(b, loop, *partition, *slice, count, chunk, rowsOf,
                        [&](OpBuilder &b) { return hostLoop(b, loc, count); });
      }
      // The loop, once per block.
      Value block = zero;
      if (partition) {
        b.setInsertionPoint(top);
        block = hostLoop(b, loc, blocks);
        top->moveBefore(b.getInsertionBlock(), b.getInsertionPoint());
      }
      Value mine = owns(b, block);
      for (scf::ParallelOp parallel : parallels) {
        b.setInsertionPoint(parallel);
        enter(b, mine);
        share(b, parallel, hostLoop(b, loc, count));
        parallel.erase();
      }
      for (Operation *write : writes) {
        if (!mine)
          break;
        b.setInsertionPoint(write);
        enter(b, mine);
        write->moveBefore(b.getInsertionBlock(), b.getInsertionPoint());
      }
      return success();
    }
    SmallVector<Type> workgroup;
    if (slice)
      workgroup.push_back(rowsType(gpu::AddressSpaceAttr::get(
          b.getContext(), gpu::GPUDialect::getWorkgroupAddressSpace())));
    auto launch = gpu::LaunchOp::create(
        b, loc, blocks, one, one, count, one, one,
        /*dynamicSharedMemorySize=*/nullptr, /*asyncTokenType=*/nullptr,
        /*asyncDependencies=*/{}, workgroup);
    Block &body = launch.getBody().front();
    b.setInsertionPointToStart(&body);
    gpu::TerminatorOp::create(b, loc);
    loop->moveBefore(&body.back());
    Value thread = launch.getThreadIds().x;
    if (slice)
      stageRows(b, loop, *partition, *slice, count, chunk,
                launch.getWorkgroupAttributions().front(),
                [&](OpBuilder &) { return thread; });
    Value mine = owns(b, launch.getBlockIds().x);
    // Every thread runs the loop's own loads (`loaded`), each when it gets
    // there: a write to a buffer they read waits at a barrier until all
    // threads have read it, else a thread running behind would load the
    // new value.
    auto waitForLoads = [&](OpBuilder &b, Operation *write) {
      llvm::SmallDenseSet<Value> reads, written;
      bool known = collectBuffers(write, reads, written, bufferOf);
      if (loadsUnknown || (!known && !loaded.empty()) ||
          llvm::any_of(written,
                       [&](Value buffer) { return loaded.contains(buffer); }))
        gpu::BarrierOp::create(b, loc);
    };
    for (scf::ParallelOp parallel : parallels) {
      b.setInsertionPoint(parallel);
      enter(b, mine);
      waitForLoads(b, parallel);
      share(b, parallel, thread);
      gpu::BarrierOp::create(b, loc);
      parallel.erase();
    }
    for (Operation *write : writes) {
      b.setInsertionPoint(write);
      enter(b, mine);
      waitForLoads(b, write);
      Value first =
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, thread, zero);
      auto branch = scf::IfOp::create(b, loc, first, /*withElse=*/false);
      write->moveBefore(branch.thenBlock()->getTerminator());
      b.setInsertionPointAfter(branch);
      gpu::BarrierOp::create(b, loc);
    }
    launches.push_back({launch, "block_loop"});
    return success();
  }

  /// `op` runs as it is on one thread (a linalg op: its loops do).
  LogicalResult mapSingleThread(Operation *op) {
    if (!op->use_empty())
      return op->emitError("cannot run an op whose results the host uses on "
                           "the GPU");
    Location loc = op->getLoc();
    OpBuilder b(op);
    Value one = arith::ConstantIndexOp::create(b, loc, 1);
    auto launch = gpu::LaunchOp::create(b, loc, one, one, one, one, one, one);
    Block &body = launch.getBody().front();
    b.setInsertionPointToStart(&body);
    gpu::TerminatorOp::create(b, loc);
    op->moveBefore(&body.back());
    launches.push_back({launch, "serial"});
    return success();
  }

  /// Replaces `launch` by host loops over its blocks and threads (DESIGN.md
  /// contract 4): the threads of a launch are independent (no barriers, no
  /// shared memory), so any order computes what the GPU does, and
  /// reverseHostOrder checks that they are.
  void runOnHost(gpu::LaunchOp launch) {
    Location loc = launch.getLoc();
    OpBuilder b(launch);
    Value zero = arith::ConstantIndexOp::create(b, loc, 0);
    gpu::KernelDim3 grid = launch.getGridSizeOperandValues();
    gpu::KernelDim3 block = launch.getBlockSizeOperandValues();
    Value blockId = hostLoop(b, loc, grid.x);
    Value threadId = hostLoop(b, loc, block.x);
    // This pass's launches are one-dimensional: y and z are 0 of 1.
    IRMapping mapping;
    auto bind = [&](gpu::KernelDim3 ids, Value x) {
      mapping.map(ids.x, x);
      mapping.map(ids.y, zero);
      mapping.map(ids.z, zero);
    };
    bind(launch.getBlockIds(), blockId);
    bind(launch.getThreadIds(), threadId);
    for (auto [arg, value] : llvm::zip(
             SmallVector<Value>{launch.getGridSize().x, launch.getGridSize().y,
                                launch.getGridSize().z, launch.getBlockSize().x,
                                launch.getBlockSize().y,
                                launch.getBlockSize().z},
             SmallVector<Value>{grid.x, grid.y, grid.z, block.x, block.y,
                                block.z}))
      mapping.map(arg, value);
    for (Operation &op : launch.getBody().front().without_terminator())
      b.clone(op, mapping);
    launch.erase();
  }

  /// Replaces `launch` by a gpu.launch_func of a kernel in @kiln_kernels.
  LogicalResult outline(gpu::LaunchOp launch, StringRef kind) {
    // Constants and globals are rematerialized in the kernel; views and
    // sizes are its arguments.
    if (failed(sinkOperationsIntoLaunchOp(launch, [](Operation *op) {
          return isa<arith::ConstantOp, memref::GetGlobalOp>(op);
        })))
      return failure();
    SmallVector<Value> operands;
    gpu::GPUFuncOp kernel =
        outlineKernelFunc(launch, funcName + "_" + kind.str(), operands);
    kernelTable->insert(kernel); // renamed if taken
    // The kernel's globals move to the device module with it.
    WalkResult copied = kernel.walk([&](memref::GetGlobalOp get) {
      if (kernelTable->lookup(get.getName()))
        return WalkResult::advance();
      auto global = SymbolTable::lookupNearestSymbolFrom<memref::GlobalOp>(
          launch, get.getNameAttr());
      if (!global) {
        get.emitError("global '") << get.getName() << "' not found";
        return WalkResult::interrupt();
      }
      kernelTable->insert(global->clone());
      return WalkResult::advance();
    });
    if (copied.wasInterrupted())
      return failure();
    OpBuilder b(launch);
    gpu::LaunchFuncOp::create(b, launch.getLoc(), kernel,
                              launch.getGridSizeOperandValues(),
                              launch.getBlockSizeOperandValues(),
                              launch.getDynamicSharedMemorySize(), operands);
    launch.erase();
    return success();
  }

  std::optional<SymbolTable> kernelTable;
  int64_t blockSize;
  TilingPolicy tiling; // mapTiledMatmul
  std::optional<WarpMma> mma;      // mapTiledMatmul, --gpu-precision
  bool reverseHostOrder;
  StringRef hostOrderGlobal;
  func::FuncOp currentFunc;
  Value hostOrderReversed; // readHostOrder
  llvm::SmallPtrSet<Operation *, 1> hostOrderOps;
  std::string funcName;
  /// Each launch of the function and the kind of kernel it is (the
  /// kernel's name: <entry>_<kind>[_N], e.g. train_step_matmul_3).
  SmallVector<std::pair<gpu::LaunchOp, StringRef>> launches;
};

struct MapToGpuPass : public kiln::impl::MapToGpuPassBase<MapToGpuPass> {
  using MapToGpuPassBase::MapToGpuPassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (blockSize < 32 || blockSize > 1024 || blockSize % 32) {
      module.emitError("block-size must be a multiple of 32 in [32, 1024]");
      return signalPassFailure();
    }
    const TilingPolicy tiling{
        {matmulTile, matmulKStep}, narrowTiles, wideTileMinTiles, smallTiles};
    if (std::string issue = tilingOptionsIssue(tiling); !issue.empty()) {
      module.emitError(issue);
      return signalPassFailure();
    }
    std::optional<GpuPrecision> parsed = parseGpuPrecision(precision);
    if (!parsed) {
      module.emitError("precision must be fp32, tf32 or bf16, not '")
          << precision << "'";
      return signalPassFailure();
    }
    std::optional<WarpMma> mma;
    if (*parsed != GpuPrecision::FP32) {
      mma = WarpMma{*parsed};
      if (matmulKStep % mma->kSteps()) {
        module.emitError("precision ")
            << precision << " multiplies " << mma->kSteps()
            << " steps of k at a time: matmul-k-step "
            << static_cast<int64_t>(matmulKStep) << " is not a multiple";
        return signalPassFailure();
      }
    }
    SmallVector<func::FuncOp> funcs;
    for (auto func : module.getOps<func::FuncOp>())
      if (!func.isExternal())
        funcs.push_back(func);
    // The mapping reads and writes buffers: linalg on tensors (a module
    // not yet bufferized, as --stage linalg prints) is refused, not mapped.
    WalkResult onTensors = module.walk([](linalg::LinalgOp op) {
      if (op.hasPureBufferSemantics())
        return WalkResult::advance();
      op->emitOpError("works on tensors: kiln-cuda-map-to-gpu maps "
                      "bufferized linalg (memrefs), as "
                      "kiln-lower-cuda-pipeline runs it");
      return WalkResult::interrupt();
    });
    if (onTensors.wasInterrupted())
      return signalPassFailure();
    gpu::GPUModuleOp kernels;
    if (!hostLoops) {
      module->setAttr(gpu::GPUDialect::getContainerModuleAttrName(),
                      UnitAttr::get(module.getContext()));
      OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
      kernels = gpu::GPUModuleOp::create(b, module.getLoc(), kKernelModuleName);
    }
    // A and B, two staged steps each, in the square tile (the narrow ones
    // that do not fit are never chosen).
    int64_t sharedBytes =
        matmulSharedBytes({matmulTile, matmulTile}, matmulKStep,
                          tileWidthFor(matmulTile, mma) - matmulTile);
    if (sharedBytes > kBlockSharedBytes) {
      module.emitError("matmul-tile ")
          << static_cast<int64_t>(matmulTile) << " with matmul-k-step "
          << static_cast<int64_t>(matmulKStep) << " needs " << sharedBytes
          << " bytes of shared memory for its double-buffered tiles, over "
             "the "
          << kBlockSharedBytes << " a block has";
      return signalPassFailure();
    }
    if ((reverseHostOrder || !hostOrderGlobal.empty()) && !hostLoops) {
      module.emitError("reverse-host-order and host-order-global order host "
                       "loops: they need host-loops");
      return signalPassFailure();
    }
    if (reverseHostOrder && !hostOrderGlobal.empty()) {
      module.emitError("reverse-host-order fixes the order that "
                       "host-order-global reads at run time: give one");
      return signalPassFailure();
    }
    if (!hostOrderGlobal.empty() &&
        !SymbolTable::lookupSymbolIn(module, hostOrderGlobal)) {
      // An external declaration: the runtime defines it
      // (runtime/base/Threads.cpp).
      OpBuilder b = OpBuilder::atBlockBegin(module.getBody());
      memref::GlobalOp::create(b, module.getLoc(), hostOrderGlobal,
                               /*sym_visibility=*/StringAttr(),
                               MemRefType::get({}, b.getI32Type()),
                               /*initial_value=*/Attribute(),
                               /*constant=*/false, /*alignment=*/IntegerAttr());
    }
    GpuMapper mapper(kernels, blockSize, tiling, mma, reverseHostOrder,
                     hostOrderGlobal);
    for (func::FuncOp func : funcs)
      if (failed(mapper.mapFunction(func)))
        return signalPassFailure();
  }
};

struct SplitKPass : public kiln::impl::SplitKPassBase<SplitKPass> {
  using SplitKPassBase::SplitKPassBase;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    const TilingPolicy tiling{
        {matmulTile, matmulKStep}, narrowTiles, wideTileMinTiles, smallTiles};
    std::string issue = tilingOptionsIssue(tiling);
    if (issue.empty() && targetBlocks < 1)
      issue = "target-blocks must be positive, not " +
              std::to_string(targetBlocks);
    if (issue.empty() && maxSplits < 2)
      issue = "max-splits must be at least 2, not " + std::to_string(maxSplits);
    if (!issue.empty()) {
      func.emitError(issue);
      return signalPassFailure();
    }
    SmallVector<linalg::LinalgOp> ops;
    func.walk([&](linalg::LinalgOp op) { ops.push_back(op); });
    for (linalg::LinalgOp op : ops) {
      std::optional<Contraction> product = matchContraction(op);
      if (!product) {
        if (std::optional<SumReduction> sum = matchSharedSum(op))
          splitSum(func, *sum);
        continue;
      }
      SmallVector<int64_t> ranges = op.getStaticLoopRanges();
      int64_t m = ranges[product->m], n = ranges[product->n],
              k = ranges[product->k];
      // Batch-sized outputs have blocks enough; a short static reduction
      // is not worth a second kernel.
      if (ShapedType::isDynamic(m) || ShapedType::isDynamic(n) ||
          (!ShapedType::isDynamic(k) && k < kMinSplitLength))
        continue;
      MatmulTiling chosen = *matmulTiling(tiling, m, n);
      TileShape shape =
          matmulTileShape(chosen.tile, chosen.kStep, narrowTiles, m, n);
      int64_t tiles =
          llvm::divideCeil(m, shape.rows) * llvm::divideCeil(n, shape.cols);
      int64_t splits =
          std::min<int64_t>(maxSplits, llvm::divideCeil(targetBlocks, tiles));
      if (!ShapedType::isDynamic(k))
        splits = std::min(splits, k / (kMinSplitLength / 4));
      if (splits >= 2)
        attachPartials(func, op, {splits, m, n});
    }
  }

  /// Gives `op` (generalized) a buffer of partial sums of shape `shape`,
  /// allocated at the function's start, as its last input (read through a
  /// constant map by no one), and marks it kiln.split_k.
  static void attachPartials(func::FuncOp func, linalg::LinalgOp op,
                             ArrayRef<int64_t> shape) {
    MLIRContext *ctx = op.getContext();
    IRRewriter rewriter(ctx);
    rewriter.setInsertionPoint(op);
    auto generic = dyn_cast<linalg::GenericOp>(op.getOperation());
    if (!generic) {
      FailureOr<linalg::GenericOp> generalized =
          linalg::generalizeNamedOp(rewriter, op);
      if (failed(generalized))
        return;
      generic = *generalized; // `op` is erased
    }
    rewriter.setInsertionPointToStart(&func.getBody().front());
    auto buffer =
        memref::AllocOp::create(rewriter, generic.getLoc(),
                                MemRefType::get(shape, rewriter.getF32Type()));
    SmallVector<AffineExpr> origin(shape.size(), getAffineConstantExpr(0, ctx));
    auto [split, partials] = appendGenericInput(
        generic, buffer, AffineMap::get(generic.getNumLoops(), 0, origin, ctx));
    split->setAttr(kSplitKAttrName, rewriter.getUnitAttr());
  }

  /// A sum that kiln-cuda-map-to-gpu shares among blocks of threads (a
  /// bias gradient: a few outputs, the batch times the image positions
  /// long): partial sums for S = min(max-splits, ceil(target-blocks /
  /// groups)) chunks of its reduction, where a group is the outputs one
  /// block takes (reductionLanes), and a static reduction gives each chunk
  /// at least kMinTermsPerThread terms per thread.
  void splitSum(func::FuncOp func, const SumReduction &sum) {
    linalg::LinalgOp op = sum.op;
    int64_t outputs = reductionOutputs(sum);
    int64_t lanes = reductionLanes(sum);
    int64_t groups = llvm::divideCeil(outputs, lanes);
    int64_t splits =
        std::min<int64_t>(maxSplits, llvm::divideCeil(targetBlocks, groups));
    int64_t length = 1;
    for (auto [d, extent] : llvm::enumerate(op.getStaticLoopRanges()))
      if (sum.isReduction(d))
        length = ShapedType::isDynamic(extent) || ShapedType::isDynamic(length)
                     ? ShapedType::kDynamic
                     : length * extent;
    if (!ShapedType::isDynamic(length))
      splits = std::min(
          splits, length / (kMinTermsPerThread * (kBlockThreads / lanes)));
    if (splits >= 2)
      attachPartials(func, op, {splits, outputs});
  }

  /// The shortest static reduction worth splitting; each split of one
  /// gets at least a quarter of it.
  static constexpr int64_t kMinSplitLength = 2048;
};

} // namespace
