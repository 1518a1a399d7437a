//===- MapToGpu.cpp - entries on buffers to GPU kernels ---------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// `--kiln-cuda-map-to-gpu`: linalg ops on buffers -> parallel loops -> one
// gpu.launch per loop nest (one thread per iteration of the linearized
// parallel space) -> kernels outlined into one gpu.module. See Passes.td.
//===----------------------------------------------------------------------===//

#include "codegen/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Utils/GPUUtils.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace mlir::kiln {
#define GEN_PASS_DEF_MAPTOGPUPASS
#include "codegen/Passes.h.inc"
} // namespace mlir::kiln

using namespace mlir;
using namespace mlir::kiln;

namespace {

constexpr llvm::StringLiteral kKernelModuleName = "kiln_kernels";

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

/// Whether `op` or an op nested in it reads or writes memory.
bool touchesMemory(Operation *op) {
  WalkResult result = op->walk([](Operation *nested) {
    auto effects = dyn_cast<MemoryEffectOpInterface>(nested);
    if (!effects) {
      // An op that does not say is assumed to, unless its regions say.
      return nested->hasTrait<OpTrait::HasRecursiveMemoryEffects>()
                 ? WalkResult::advance()
                 : WalkResult::interrupt();
    }
    if (effects.hasEffect<MemoryEffects::Read>() ||
        effects.hasEffect<MemoryEffects::Write>())
      return WalkResult::interrupt();
    return WalkResult::advance();
  });
  return result.wasInterrupted();
}

bool containsParallelLoop(Operation *op) {
  return op
      ->walk([](scf::ParallelOp) { return WalkResult::interrupt(); })
      .wasInterrupted();
}

class GpuMapper {
public:
  GpuMapper(gpu::GPUModuleOp kernels, int64_t blockSize)
      : kernelTable(kernels), blockSize(blockSize) {}

  LogicalResult mapFunction(func::FuncOp func) {
    funcName = func.getSymName().str();
    // An op without parallel dimensions (a sum to a scalar) is one thread's
    // work, its loops and the loads and stores around them alike.
    SmallVector<linalg::LinalgOp> serial;
    func.walk([&](linalg::LinalgOp op) {
      if (op.getNumParallelLoops() == 0)
        serial.push_back(op);
    });
    for (linalg::LinalgOp op : serial)
      if (failed(mapSingleThread(op)))
        return failure();
    if (failed(linalgToParallelLoops(func)))
      return failure();
    if (failed(mapRegion(func.getBody())))
      return failure();
    for (gpu::LaunchOp launch : launches)
      if (failed(outline(launch)))
        return failure();
    launches.clear();
    return success();
  }

private:
  LogicalResult mapRegion(Region &region) {
    for (Block &block : region)
      for (Operation &op : llvm::make_early_inc_range(block)) {
        if (isa<gpu::LaunchOp>(op))
          continue;
        if (auto loop = dyn_cast<scf::ParallelOp>(op)) {
          if (failed(mapParallel(loop)))
            return failure();
          continue;
        }
        if (!touchesMemory(&op))
          continue;
        if (containsParallelLoop(&op)) {
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

  /// One thread per iteration of `loop`'s linearized space.
  LogicalResult mapParallel(scf::ParallelOp loop) {
    if (loop.getNumResults() != 0)
      return loop.emitError("cannot map a parallel loop with reductions to "
                            "the GPU");
    Location loc = loop.getLoc();
    OpBuilder b(loop);
    Value one = arith::ConstantIndexOp::create(b, loc, 1);
    SmallVector<Value> extents;
    Value total = one;
    for (auto [lb, ub, step] : llvm::zip(
             loop.getLowerBound(), loop.getUpperBound(), loop.getStep())) {
      // ceil((ub - lb) / step) iterations.
      // Folded as built: static extents stay constants in the kernel.
      Value span = b.createOrFold<arith::SubIOp>(loc, ub, lb);
      Value extent = b.createOrFold<arith::CeilDivUIOp>(loc, span, step);
      extents.push_back(extent);
      total = b.createOrFold<arith::MulIOp>(loc, total, extent);
    }
    // A small static space needs fewer threads than a full block.
    int64_t threads = blockSize;
    if (std::optional<int64_t> known = getConstantIntValue(total))
      threads = std::clamp<int64_t>((*known + 31) / 32 * 32, 32, blockSize);
    Value block = arith::ConstantIndexOp::create(b, loc, threads);
    Value grid = b.createOrFold<arith::CeilDivUIOp>(loc, total, block);

    // Nothing to launch for an empty space (a batch of 0).
    Value zero = arith::ConstantIndexOp::create(b, loc, 0);
    Value nonEmpty = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ugt,
                                           total, zero);
    auto guard = scf::IfOp::create(b, loc, nonEmpty, /*withElseRegion=*/false);
    b.setInsertionPointToStart(guard.thenBlock());
    auto launch = gpu::LaunchOp::create(b, loc, grid, one, one, block, one, one);
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

    // Delinearize, innermost dimension fastest.
    b.setInsertionPointToStart(inside.thenBlock());
    IRMapping mapping;
    Value rest = id;
    for (int64_t d = extents.size() - 1; d >= 0; --d) {
      Value index = d == 0 ? rest
                           : arith::RemUIOp::create(b, loc, rest, extents[d]);
      if (d > 0)
        rest = arith::DivUIOp::create(b, loc, rest, extents[d]);
      Value iv = arith::AddIOp::create(
          b, loc, loop.getLowerBound()[d],
          arith::MulIOp::create(b, loc, index, loop.getStep()[d]));
      mapping.map(loop.getInductionVars()[d], iv);
    }
    for (Operation &op : loop.getBody()->without_terminator())
      b.clone(op, mapping);
    loop.erase();
    launches.push_back(launch);
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
    launches.push_back(launch);
    return success();
  }

  /// Replaces `launch` by a gpu.launch_func of a kernel in @kiln_kernels.
  LogicalResult outline(gpu::LaunchOp launch) {
    // Constants and globals are rematerialized in the kernel; views and
    // sizes are its arguments.
    if (failed(sinkOperationsIntoLaunchOp(launch, [](Operation *op) {
          return isa<arith::ConstantOp, memref::GetGlobalOp>(op);
        })))
      return failure();
    SmallVector<Value> operands;
    gpu::GPUFuncOp kernel =
        outlineKernelFunc(launch, funcName + "_kernel", operands);
    kernelTable.insert(kernel); // renamed if taken
    // The kernel's globals move to the device module with it.
    WalkResult copied = kernel.walk([&](memref::GetGlobalOp get) {
      if (kernelTable.lookup(get.getName()))
        return WalkResult::advance();
      auto global = SymbolTable::lookupNearestSymbolFrom<memref::GlobalOp>(
          launch, get.getNameAttr());
      if (!global) {
        get.emitError("global '") << get.getName() << "' not found";
        return WalkResult::interrupt();
      }
      kernelTable.insert(global->clone());
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

  SymbolTable kernelTable;
  int64_t blockSize;
  std::string funcName;
  SmallVector<gpu::LaunchOp> launches;
};

struct MapToGpuPass : public kiln::impl::MapToGpuPassBase<MapToGpuPass> {
  using MapToGpuPassBase::MapToGpuPassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (blockSize < 32 || blockSize > 1024 || blockSize % 32) {
      module.emitError("block-size must be a multiple of 32 in [32, 1024]");
      return signalPassFailure();
    }
    SmallVector<func::FuncOp> funcs;
    for (auto func : module.getOps<func::FuncOp>())
      if (!func.isExternal())
        funcs.push_back(func);
    module->setAttr(gpu::GPUDialect::getContainerModuleAttrName(),
                    UnitAttr::get(module.getContext()));
    OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
    auto kernels =
        gpu::GPUModuleOp::create(b, module.getLoc(), kKernelModuleName);
    GpuMapper mapper(kernels, blockSize);
    for (func::FuncOp func : funcs)
      if (failed(mapper.mapFunction(func)))
        return signalPassFailure();
  }
};

} // namespace
