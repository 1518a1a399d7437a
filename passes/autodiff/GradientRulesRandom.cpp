//===- GradientRulesRandom.cpp - Random numbers have no gradient -*- C++
//-*-===//
// SPDX-License-Identifier: Apache-2.0
//
// kiln.random_uniform reads only its operand's shape and the step's rng:
// its numbers are constants to autodiff (a dropout mask is), so neither
// operand gets a gradient.
//===----------------------------------------------------------------------===//

#include "passes/autodiff/GradientBuilder.h"

namespace mlir::kiln {
using Grads = SmallVectorImpl<Value>;

static void rule(RandomUniformOp op, GradientBuilder &m, Value g, Grads &d) {
  d.append(op->getNumOperands(), Value());
}

} // namespace mlir::kiln

void mlir::kiln::registerRandomGradientRules(DialectRegistry &registry) {
  addVjpRules<RandomUniformOp>(registry);
}
