//===- Regularization.cpp - Keras weight penalties and constraints -*- C++
//-*-===//
// SPDX-License-Identifier: Apache-2.0
//
// What the `kiln.regularizer` and `kiln.constraint` argument attributes
// (KilnDialect.h) add to a training step, in kiln ops, as Keras 3 computes
// them:
//   L1L2:        l1 * sum(|w|) + l2 * sum(w^2), added to the loss;
//   NonNeg:      w * (w >= 0)
//   MaxNorm:     w * clip(n, 0, max) / (eps + n)
//   MinMaxNorm:  w * (rate * clip(n, min, max) + (1 - rate) * n) / (eps + n)
//   UnitNorm:    w / (eps + n)
// where n = sqrt(sum(w^2, axes, keepdims)) and eps = 1e-7 (Keras's
// backend.epsilon()); constraints follow each optimizer update. An
// activity regularizer (`kiln.activity_regularizer` on a layer's output x)
// adds (l1 * sum(|x|) + l2 * sum(x^2)) / N to the loss, N the batch size,
// as Keras 3 divides it.
//===----------------------------------------------------------------------===//

#include "passes/training/Training.h"

#include "dialects/kiln/IR/KilnDialect.h"
#include "passes/autodiff/GradientBuilder.h"

using namespace mlir;
using namespace mlir::kiln;

static double getNumber(DictionaryAttr attrs, StringRef name) {
  auto attr = attrs.getAs<FloatAttr>(name);
  return attr ? attr.getValueAsDouble() : 0.0;
}

Value mlir::kiln::buildWeightPenalty(GradientBuilder &m,
                                     DictionaryAttr regularizer, Value w) {
  Value total;
  auto allAxes = llvm::to_vector(
      llvm::seq<int64_t>(0, cast<RankedTensorType>(w.getType()).getRank()));
  auto addTerm = [&](double factor, Value perElement) {
    if (factor == 0.0)
      return;
    Value sum = m.reduceSum(perElement, allAxes, /*keepDims=*/false);
    Value term = m.mul(m.scalar(sum, factor), sum);
    total = total ? m.add(total, term) : term;
  };
  addTerm(getNumber(regularizer, "l1"),
          AbsOp::create(m.builder(), m.location(), w));
  addTerm(getNumber(regularizer, "l2"), m.mul(w, w));
  return total;
}

Value mlir::kiln::buildActivityPenalties(GradientBuilder &m, Block *body) {
  SmallVector<ActivityRegularizerOp> ops;
  body->walk([&](ActivityRegularizerOp op) { ops.push_back(op); });
  Value total;
  for (ActivityRegularizerOp op : ops) {
    Value x = op.getInput();
    auto type = cast<RankedTensorType>(x.getType());
    // Per sample, then the batch's mean: the sum over everything / N.
    auto sampleAxes = llvm::to_vector(llvm::seq<int64_t>(1, type.getRank()));
    auto addTerm = [&](double factor, Value perElement) {
      if (factor == 0.0)
        return;
      Value perSample = sampleAxes.empty()
                            ? perElement
                            : m.reduceSum(perElement, sampleAxes,
                                          /*keepDims=*/false);
      Value mean = ReduceMeanOp::create(m.builder(), m.location(), perSample,
                                        ArrayRef<int64_t>{0},
                                        /*keep_dims=*/false);
      Value term = m.mul(m.scalar(mean, factor), mean);
      total = total ? m.add(total, term) : term;
    };
    addTerm(op.getL1().convertToDouble(),
            AbsOp::create(m.builder(), m.location(), x));
    addTerm(op.getL2().convertToDouble(), m.mul(x, x));
  }
  return total;
}

Value mlir::kiln::applyConstraint(GradientBuilder &m, DictionaryAttr constraint,
                                  Value w) {
  StringRef kind = constraint.getAs<StringAttr>("kind").getValue();
  if (kind == "non_neg")
    return m.mul(w, m.step(w));
  // Norms along `axes`, kept for broadcasting.
  SmallVector<int64_t> axes(
      constraint.getAs<DenseI64ArrayAttr>("axes").asArrayRef());
  OpBuilder &b = m.builder();
  Value norms = SqrtOp::create(b, m.location(),
                               m.reduceSum(m.mul(w, w), axes,
                                           /*keepDims=*/true));
  Value denominator = m.add(m.scalar(norms, 1e-7), norms);
  if (kind == "unit_norm")
    return m.div(w, denominator);
  double max = getNumber(constraint, "max_value");
  double min = kind == "max_norm" ? 0.0 : getNumber(constraint, "min_value");
  Value desired = ClipOp::create(b, m.location(), norms, b.getF64FloatAttr(min),
                                 b.getF64FloatAttr(max));
  if (kind == "min_max_norm") {
    double rate = getNumber(constraint, "rate");
    desired = m.add(m.mul(m.scalar(norms, rate), desired),
                    m.mul(m.scalar(norms, 1.0 - rate), norms));
  }
  return m.mul(w, m.div(desired, denominator));
}
