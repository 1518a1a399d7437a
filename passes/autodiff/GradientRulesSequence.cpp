//===- GradientRulesSequence.cpp - Sequence step VJPs -----------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Vector-Jacobian products of the sequence ops: reading a step scatters its
// gradient back into that step; replacing a step routes the step's gradient
// to the value and the rest to the sequence. The step index gets none.
// `g` is the gradient with respect to the op's result (conventions: the
// `rule` comment in GradientBuilder.h).
//===----------------------------------------------------------------------===//

#include "passes/autodiff/GradientBuilder.h"

namespace mlir::kiln {
using Grads = SmallVectorImpl<Value>;

// sequence_step(x, t): dx = zeros with [:, t] = g
static void rule(SequenceStepOp op, GradientBuilder &m, Value g, Grads &d) {
  Value zeros = m.zerosLike(op.getInput());
  d.push_back(SequenceInsertOp::create(m.builder(), m.location(), g, zeros,
                                       op.getStep()));
  d.push_back(Value());
}
// sequence_insert(v, s, t): dv = g[:, t]; ds = g with [:, t] = 0
static void rule(SequenceInsertOp op, GradientBuilder &m, Value g, Grads &d) {
  d.push_back(
      SequenceStepOp::create(m.builder(), m.location(), g, op.getStep()));
  Value zeros = m.zerosLike(op.getValue());
  d.push_back(SequenceInsertOp::create(m.builder(), m.location(), zeros, g,
                                       op.getStep()));
  d.push_back(Value());
}

} // namespace mlir::kiln

void mlir::kiln::registerSequenceGradientRules(DialectRegistry &registry) {
  addVjpRules<SequenceStepOp, SequenceInsertOp>(registry);
}
