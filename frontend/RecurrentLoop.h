//===- RecurrentLoop.h - The time loop both importers share -----*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// A recurrent layer (Keras's SimpleRNN/LSTM/GRU/RNN/Bidirectional, ONNX's
// RNN/LSTM/GRU) is one `scf.for` over the time steps of batch-major
// sequences (batch, steps, ...): the body reads its step with
// `kiln.sequence_step` (from the end when running backwards), carries the
// cells' states as the loop's values, and, when the layer returns its
// sequence, collects each step's output with `kiln.sequence_insert`.
// Autodiff reverses the loop (BPTT).
//===----------------------------------------------------------------------===//

#ifndef KILN_FRONTEND_RECURRENTLOOP_H
#define KILN_FRONTEND_RECURRENTLOOP_H

#include "dialects/kiln/IR/KilnDialect.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"

namespace mlir::kiln {

/// One time step: `read` is the index of the step to read (with
/// `kiln.sequence_step`); computes from the carried `states`, appends their
/// new values to `next` (as many, in order) and returns the step's output
/// (what the loop collects; may be null when it collects nothing). `b` is
/// positioned in the loop's body.
using TimeStepBuilder = llvm::function_ref<Value(
    Location loc, Value read, ValueRange states, SmallVectorImpl<Value> &next)>;

/// How the loop runs.
struct TimeLoopOptions {
  int64_t steps = 0;
  /// Read the steps from the last to the first.
  bool backwards = false;
  /// With `backwards`: collect the outputs in input order (at the index
  /// read) rather than in processing order.
  bool inputOrder = false;
};

/// `scf.for t in [0, steps)` carrying `inits`, then `sequence` when given:
/// a (batch, steps, units) tensor (`kiln.zeros`) into which each step's
/// output goes with `kiln.sequence_insert`. `step` builds the body with `b`
/// (positioned in it). The loop's results are the final states, then the
/// sequence.
scf::ForOp buildTimeLoop(OpBuilder &b, Location loc,
                         const TimeLoopOptions &options, ValueRange inits,
                         Value sequence, TimeStepBuilder step);

} // namespace mlir::kiln

#endif // KILN_FRONTEND_RECURRENTLOOP_H
