//===- GradientRulesGather.cpp - Gather VJPs --------------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Vector-Jacobian products of the gather ops (Keras's Embedding): a gather's
// gradient scatter-adds into the table's rows; a scatter-add's gradient
// gathers. The integer indices get none. `g` is the gradient with respect to
// the op's result (conventions: the `rule` comment in GradientBuilder.h).
//===----------------------------------------------------------------------===//

#include "passes/autodiff/GradientBuilder.h"

namespace mlir::kiln {
using Grads = SmallVectorImpl<Value>;

// gather(T, i): dT = scatter_add(g, i) over T's rows
static void rule(GatherOp op, GradientBuilder &m, Value g, Grads &d) {
  int64_t rows = op.getTable().getType().getDimSize(0);
  d.push_back(ScatterAddOp::create(m.builder(), m.location(), g,
                                   op.getIndices(), rows));
  d.push_back(Value());
}
// scatter_add(u, i): du = gather(g, i)
static void rule(ScatterAddOp op, GradientBuilder &m, Value g, Grads &d) {
  d.push_back(GatherOp::create(m.builder(), m.location(), g, op.getIndices()));
  d.push_back(Value());
}

} // namespace mlir::kiln

void mlir::kiln::registerGatherGradientRules(DialectRegistry &registry) {
  addVjpRules<GatherOp, ScatterAddOp>(registry);
}
