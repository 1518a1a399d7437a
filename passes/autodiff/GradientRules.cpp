//===- GradientRules.cpp - Every op family's VJP rules ----------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// The one list of op families with gradient rules. Each family's rules live
// in GradientRules<Family>.cpp; an op without a rule is reported by
// `--kiln-differentiate` when a gradient reaches it.
//===----------------------------------------------------------------------===//

#include "passes/autodiff/GradientBuilder.h"

void mlir::kiln::registerGradientRules(DialectRegistry &registry) {
  registerContractionGradientRules(registry);
  registerElementwiseBinaryGradientRules(registry);
  registerElementwiseUnaryGradientRules(registry);
  registerReductionGradientRules(registry);
  registerNormalizationGradientRules(registry);
  registerShapeGradientRules(registry);
  registerLossGradientRules(registry);
  registerRandomGradientRules(registry);
  registerWindowGradientRules(registry);
  registerSequenceGradientRules(registry);
  registerGatherGradientRules(registry);
}
