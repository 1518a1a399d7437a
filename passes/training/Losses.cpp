//===- Losses.cpp - Keras losses as kiln IR ---------------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Every loss is Keras's (TensorFlow backend) formula, reduced
// "sum_over_batch_size": the per-sample losses are averaged over the batch.
// From probabilities, Keras clips to [eps, 1 - eps] with eps = 1e-7; when the
// probabilities come straight from a softmax (sigmoid) op, Keras uses that
// op's logits instead, which is also the numerically stable fused form.
//
// Metrics (buildMetric) are Keras 3's metric functions averaged over the
// batch; the crossentropies are the losses' formulas with from_logits=False,
// so they too read a softmax's (sigmoid's) logits, as Keras on TensorFlow
// does.
//===----------------------------------------------------------------------===//

#include "passes/training/Training.h"

#include "passes/autodiff/GradientBuilder.h"

using namespace mlir;
using namespace mlir::kiln;

/// Keras's backend epsilon.
static constexpr double kEpsilon = 1e-7;

std::string mlir::kiln::canonicalLossName(llvm::StringRef name) {
  // Keras function names, Keras class names, tfjs names.
  static const struct {
    const char *canonical;
    const char *aliases[3];
  } kLosses[] = {
      {"mean_squared_error", {"mse", "MeanSquaredError", "meanSquaredError"}},
      {"sparse_categorical_crossentropy",
       {"SparseCategoricalCrossentropy", "sparseCategoricalCrossentropy", ""}},
      {"categorical_crossentropy",
       {"CategoricalCrossentropy", "categoricalCrossentropy", ""}},
      {"binary_crossentropy", {"BinaryCrossentropy", "binaryCrossentropy", ""}},
  };
  if (name.empty())
    return "";
  for (const auto &loss : kLosses)
    if (name == loss.canonical || llvm::is_contained(loss.aliases, name))
      return loss.canonical;
  return "";
}

bool mlir::kiln::isSparseLoss(const LossSpec &loss) {
  return loss.name == "sparse_categorical_crossentropy";
}

llvm::Error mlir::kiln::checkFromLogits(const LossSpec &loss) {
  if (!loss.fromLogits || llvm::StringRef(loss.name).ends_with("crossentropy"))
    return llvm::Error::success();
  return llvm::createStringError(loss.name +
                                 " has no from_logits (a crossentropy has)");
}

static RankedTensorType typeOf(Value v) {
  return cast<RankedTensorType>(v.getType());
}

/// The mean over every axis of `v`: the batch mean of per-sample losses.
static Value meanAll(GradientBuilder &m, OpBuilder &b, Location loc, Value v) {
  SmallVector<int64_t> axes;
  for (int64_t i = 0; i < typeOf(v).getRank(); ++i)
    axes.push_back(i);
  return ReduceMeanOp::create(b, loc, v, axes, false);
}

Value mlir::kiln::activationLogits(Value prediction, int64_t lastAxis) {
  if (auto sigmoid = prediction.getDefiningOp<SigmoidOp>())
    return sigmoid.getInput();
  if (auto softmax = prediction.getDefiningOp<SoftmaxOp>();
      softmax && softmax.getNormalizedAxis() == lastAxis)
    return softmax.getInput();
  return Value();
}

Value mlir::kiln::buildLoss(GradientBuilder &m, const LossSpec &loss,
                            Value prediction, Value target) {
  OpBuilder &b = m.builder();
  Location loc = m.location();
  int64_t last = typeOf(prediction).getRank() - 1;

  if (loss.name == "mean_squared_error") {
    Value diff = m.sub(prediction, target);
    return meanAll(m, b, loc, m.mul(diff, diff));
  }

  if (loss.name == "binary_crossentropy") {
    Value z = prediction;
    bool fromLogits = loss.fromLogits;
    if (Value logits = activationLogits(prediction, last)) {
      z = logits;
      fromLogits = true;
    }
    if (fromLogits) {
      // max(z, 0) - z * t + log(1 + exp(-|z|))
      Value relu = ReluOp::create(b, loc, z);
      Value zt = m.mul(z, target);
      Value negAbs = m.neg(AbsOp::create(b, loc, z));
      Value tail = SoftplusOp::create(b, loc, negAbs);
      return meanAll(m, b, loc, m.add(m.sub(relu, zt), tail));
    }
    // -(t log(p + eps) + (1 - t) log(1 - p + eps)), p clipped to [eps, 1-eps]
    Value p = ClipOp::create(b, loc, prediction, b.getF64FloatAttr(kEpsilon),
                             b.getF64FloatAttr(1 - kEpsilon));
    Value eps = m.scalar(p, kEpsilon), one = m.scalar(p, 1);
    Value logP = LogOp::create(b, loc, m.add(p, eps));
    Value oneMinusP = m.sub(one, p);
    Value logQ = LogOp::create(b, loc, m.add(oneMinusP, eps));
    Value oneMinusT = m.sub(one, target);
    Value positive = m.mul(target, logP);
    Value sum = m.add(positive, m.mul(oneMinusT, logQ));
    return m.neg(meanAll(m, b, loc, sum));
  }

  // The categorical cross-entropies: -sum(t * log_softmax(z)) per sample.
  bool sparse = isSparseLoss(loss);
  Value logits = prediction;
  bool fromLogits = loss.fromLogits;
  if (Value input = activationLogits(prediction, last)) {
    logits = input;
    fromLogits = true;
  }
  Value logProbs;
  if (fromLogits) {
    logProbs = LogSoftmaxOp::create(b, loc, logits, last);
  } else if (sparse) {
    // TF: log(clip(p, eps, 1 - eps)) used as logits.
    Value clipped =
        ClipOp::create(b, loc, prediction, b.getF64FloatAttr(kEpsilon),
                       b.getF64FloatAttr(1 - kEpsilon));
    logProbs =
        LogSoftmaxOp::create(b, loc, LogOp::create(b, loc, clipped), last);
  } else {
    // TF: p / sum(p), clipped to [eps, 1 - eps], then log.
    Value sum = m.reduceSum(prediction, {last}, /*keepDims=*/true);
    Value normalized = m.div(prediction, sum);
    Value clipped =
        ClipOp::create(b, loc, normalized, b.getF64FloatAttr(kEpsilon),
                       b.getF64FloatAttr(1 - kEpsilon));
    logProbs = LogOp::create(b, loc, clipped);
  }
  Value t = target;
  if (sparse) {
    int64_t depth = typeOf(prediction).getDimSize(last);
    SmallVector<int64_t> shape(typeOf(target).getShape());
    shape.push_back(depth);
    t = OneHotOp::create(
        b, loc, RankedTensorType::get(shape, typeOf(target).getElementType()),
        target, depth);
  }
  Value perSample = m.reduceSum(m.mul(t, logProbs), {last}, /*keepDims=*/false);
  return m.neg(meanAll(m, b, loc, perSample));
}

std::string mlir::kiln::resolveMetricKind(llvm::StringRef name,
                                          const LossSpec &loss,
                                          RankedTensorType output) {
  bool binary = output.getRank() > 0 && output.getShape().back() == 1;
  bool sparse = isSparseLoss(loss);
  auto variant = [&](llvm::StringRef suffix) {
    if (binary && !sparse)
      return ("binary_" + suffix).str();
    return ((sparse ? "sparse_categorical_" : "categorical_") + suffix).str();
  };
  if (name == "accuracy" || name == "acc")
    return variant("accuracy");
  if (name == "crossentropy" || name == "ce")
    return variant("crossentropy");
  if (name == "mse" || name == "mean_squared_error" ||
      name == "MeanSquaredError")
    return "mse";
  if (name == "mae" || name == "mean_absolute_error" ||
      name == "MeanAbsoluteError")
    return "mae";
  if (isMetricKind(name))
    return name.str();
  return "";
}

std::string mlir::kiln::metricTargetMismatch(llvm::StringRef kind,
                                             const LossSpec &loss) {
  bool sparseMetric = kind.starts_with("sparse_");
  if (sparseMetric == isSparseLoss(loss))
    return "";
  auto targets = [](bool sparse) {
    return sparse ? "class indices" : "targets shaped like the outputs";
  };
  return std::string("takes ") + targets(sparseMetric) + ", but loss '" +
         loss.name + "' takes " + targets(!sparseMetric);
}

bool mlir::kiln::isMetricKind(llvm::StringRef kind) {
  return llvm::is_contained({"sparse_categorical_accuracy",
                             "categorical_accuracy", "binary_accuracy", "mse",
                             "mae", "sparse_categorical_crossentropy",
                             "categorical_crossentropy", "binary_crossentropy"},
                            kind);
}

Value mlir::kiln::buildMetric(GradientBuilder &m, StringRef kind,
                              Value prediction, Value target) {
  OpBuilder &b = m.builder();
  Location loc = m.location();
  if (StringRef(kind).ends_with("crossentropy"))
    return buildLoss(m, LossSpec{kind.str(), /*fromLogits=*/false}, prediction,
                     target);
  if (kind == "mse")
    return buildLoss(m, LossSpec{"mean_squared_error", false}, prediction,
                     target);
  if (kind == "mae")
    return meanAll(m, b, loc, AbsOp::create(b, loc, m.sub(prediction, target)));
  // Accuracies: the mean of 0/1 matches, compared in float as Keras does
  // (argmax as a float index; a label need not be a whole number).
  RankedTensorType type = typeOf(prediction);
  int64_t last = type.getRank() - 1;
  auto asFloat = [&](Value v, RankedTensorType like) -> Value {
    return CastOp::create(b, loc, like.clone(type.getElementType()), v);
  };
  auto argmax = [&](Value v) -> Value {
    Value index = ArgMaxOp::create(b, loc, v, b.getI64IntegerAttr(last),
                                   b.getBoolAttr(false), b.getBoolAttr(false));
    return asFloat(index, cast<RankedTensorType>(index.getType()));
  };
  Value matches;
  if (kind == "sparse_categorical_accuracy")
    matches = EqualOp::create(b, loc, argmax(prediction), target);
  else if (kind == "categorical_accuracy")
    matches = EqualOp::create(b, loc, argmax(prediction), argmax(target));
  else if (kind == "binary_accuracy")
    matches =
        EqualOp::create(b, loc,
                        asFloat(GreaterOp::create(b, loc, prediction,
                                                  m.scalar(prediction, 0.5)),
                                type),
                        target);
  else
    return Value();
  return meanAll(m, b, loc,
                 asFloat(matches, cast<RankedTensorType>(matches.getType())));
}
