//===- RecurrentLoop.cpp - The time loop both importers share ---*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//===----------------------------------------------------------------------===//

#include "frontend/RecurrentLoop.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

using namespace mlir;
using namespace mlir::kiln;

scf::ForOp mlir::kiln::buildTimeLoop(OpBuilder &b, Location loc,
                                     const TimeLoopOptions &options,
                                     ValueRange inits, Value sequence,
                                     TimeStepBuilder step) {
  SmallVector<Value> carried(inits);
  if (sequence)
    carried.push_back(sequence);
  int64_t steps = options.steps;
  Value lb = arith::ConstantIndexOp::create(b, loc, 0);
  Value ub = arith::ConstantIndexOp::create(b, loc, steps);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  return scf::ForOp::create(
      b, loc, lb, ub, one, carried,
      [&](OpBuilder &body, Location l, Value t, ValueRange states) {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPoint(body.getInsertionBlock(), body.getInsertionPoint());
        Value read = t;
        if (options.backwards)
          read = arith::SubIOp::create(
              b, l, arith::ConstantIndexOp::create(b, l, steps - 1), t);
        SmallVector<Value> next;
        Value out = step(l, read, states.take_front(inits.size()), next);
        if (sequence)
          next.push_back(SequenceInsertOp::create(
              b, l, out, states.back(), options.inputOrder ? read : t));
        scf::YieldOp::create(b, l, next);
      });
}
