//===- GradientRulesGather.cpp - Gather VJPs --------------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Vector-Jacobian products of the gather ops (Keras's Embedding, ONNX's
// GatherND): a gather's gradient scatter-adds into the table's rows (the
// data's slices); a scatter-add's gradient gathers. The integer indices get
// none. `g` is the gradient with respect to the op's result (conventions: the
// `rule` comment in GradientBuilder.h).
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

// gather_nd(D, I): dD = scatter_nd_add(g, I) into D's shape
static void rule(GatherNdOp op, GradientBuilder &m, Value g, Grads &d) {
  d.push_back(ScatterNdAddOp::create(m.builder(), m.location(),
                                     op.getData().getType(), g, op.getIndices(),
                                     op.getData(), op.getBatchDims()));
  d.push_back(Value());
}
// scatter_nd_add(U, I, like): dU = gather_nd(g, I)
static void rule(ScatterNdAddOp op, GradientBuilder &m, Value g, Grads &d) {
  d.push_back(GatherNdOp::create(m.builder(), m.location(), g, op.getIndices(),
                                 op.getBatchDims()));
  d.push_back(Value());
  d.push_back(Value());
}

} // namespace mlir::kiln

void mlir::kiln::registerGatherGradientRules(DialectRegistry &registry) {
  addVjpRules<GatherOp, ScatterAddOp, GatherNdOp, ScatterNdAddOp>(registry);
}
