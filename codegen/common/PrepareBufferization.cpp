//===- PrepareBufferization.cpp - What one-shot bufferization needs -*- C++
//-*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Two facts one-shot bufferization must be told:
//  - entry arguments are the caller's parameters and inputs: read-only
//    (`bufferization.writable = false`), never updated in place;
//  - every tensor an scf.for yields must live in its iteration argument's
//    buffer. Recurrent bodies compute the next state into a new tensor; the
//    yield then writes it into the carried buffer
//    (bufferization.materialize_in_destination), one copy per iteration.
//===----------------------------------------------------------------------===//

#include "codegen/Passes.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace mlir::kiln {
#define GEN_PASS_DEF_PREPAREBUFFERIZATIONPASS
#include "codegen/Passes.h.inc"
} // namespace mlir::kiln

using namespace mlir;
using namespace mlir::kiln;

/// True when `value` already lives in `state`'s buffer: `state` itself, an
/// insert_slice into it, or an inner loop carrying it (whose own yields
/// this pass handles), in any chain.
static bool writesInto(Value value, Value state) {
  while (value != state) {
    if (auto insert = value.getDefiningOp<tensor::InsertSliceOp>()) {
      value = insert.getDest();
    } else if (auto loop = value.getDefiningOp<scf::ForOp>()) {
      value = loop.getTiedLoopInit(cast<OpResult>(value))->get();
    } else {
      return false;
    }
  }
  return true;
}

namespace {
struct PrepareBufferizationPass
    : public kiln::impl::PrepareBufferizationPassBase<
          PrepareBufferizationPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    for (unsigned i = 0; i < func.getNumArguments(); ++i)
      if (isa<TensorType>(func.getArgument(i).getType()))
        func.setArgAttr(i,
                        bufferization::BufferizationDialect::kWritableAttrName,
                        BoolAttr::get(func.getContext(), false));
    func.walk([](scf::ForOp loop) {
      auto yield = cast<scf::YieldOp>(loop.getBody()->getTerminator());
      OpBuilder b(yield);
      for (auto [operand, state] :
           llvm::zip(yield->getOpOperands(), loop.getRegionIterArgs())) {
        Value next = operand.get();
        if (!isa<RankedTensorType>(next.getType()) || writesInto(next, state))
          continue;
        auto materialize = bufferization::MaterializeInDestinationOp::create(
            b, yield.getLoc(), next, state);
        operand.set(materialize.getResult());
      }
    });
  }
};
} // namespace
