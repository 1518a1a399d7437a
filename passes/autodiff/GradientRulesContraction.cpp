//===- GradientRulesContraction.cpp - VJP of matmul -------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Vector-Jacobian products of the contractions (matmul, batch_matmul).
// `g` is the gradient with respect to the op's result (conventions: the
// `rule` comment in GradientBuilder.h).
//===----------------------------------------------------------------------===//

#include "passes/autodiff/GradientBuilder.h"

namespace mlir::kiln {
using Grads = SmallVectorImpl<Value>;

// d(A @ B) = (g @ B^T, A^T @ g)
// d lhs = g rhs^T (row by row, any rank); d rhs = lhs^T g over all rows:
// an lhs of rank > 2 and its g are first reshaped to rows (their leading
// dimensions merge into the batch).
static void rule(MatMulOp op, GradientBuilder &m, Value g, Grads &d) {
  d.push_back(m.matmul(g, m.transpose(op.getRhs(), {1, 0})));
  Value lhs = m.rows(op.getLhs());
  g = m.rows(g);
  d.push_back(m.matmul(m.transpose(lhs, {1, 0}), g));
}

// d(A @ B) per batch element = (g @ B^T, A^T @ g)
static void rule(BatchMatMulOp op, GradientBuilder &m, Value g, Grads &d) {
  d.push_back(BatchMatMulOp::create(m.builder(), m.location(), g,
                                    m.transpose(op.getRhs(), {0, 2, 1})));
  d.push_back(BatchMatMulOp::create(m.builder(), m.location(),
                                    m.transpose(op.getLhs(), {0, 2, 1}), g));
}

} // namespace mlir::kiln

void mlir::kiln::registerContractionGradientRules(DialectRegistry &registry) {
  addVjpRules<MatMulOp, BatchMatMulOp>(registry);
}
