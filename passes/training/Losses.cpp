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

#include "kiln/model.h"
#include "llvm/ADT/StringSwitch.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::kiln;

/// Keras's backend epsilon.
static constexpr double kEpsilon = 1e-7;
/// Keras's AUC thresholds (num_thresholds), as the descriptor counts them.
static constexpr unsigned kAucThresholds = KILN_AUC_THRESHOLDS;

/// Keras's losses by their function name, with the names Keras 2/3 and
/// TensorFlow.js also give them (short names, class names, tfjs camelCase
/// where tfjs computes the same formula; "" pads).
static const struct {
  const char *canonical;
  const char *aliases[5];
} kLosses[] = {
    {"mean_squared_error",
     {"mse", "MSE", "MeanSquaredError", "meanSquaredError", ""}},
    {"sparse_categorical_crossentropy",
     {"SparseCategoricalCrossentropy", "sparseCategoricalCrossentropy", "", "",
      ""}},
    {"categorical_crossentropy",
     {"CategoricalCrossentropy", "categoricalCrossentropy", "", "", ""}},
    {"binary_crossentropy",
     {"BinaryCrossentropy", "binaryCrossentropy", "", "", ""}},
    {"binary_focal_crossentropy", {"BinaryFocalCrossentropy", "", "", "", ""}},
    {"categorical_focal_crossentropy",
     {"CategoricalFocalCrossentropy", "", "", "", ""}},
    {"mean_absolute_error",
     {"mae", "MAE", "MeanAbsoluteError", "meanAbsoluteError", ""}},
    {"mean_absolute_percentage_error",
     {"mape", "MAPE", "MeanAbsolutePercentageError",
      "meanAbsolutePercentageError", ""}},
    {"mean_squared_logarithmic_error",
     {"msle", "MSLE", "MeanSquaredLogarithmicError",
      "meanSquaredLogarithmicError", ""}},
    {"huber", {"Huber", "huber_loss", "", "", ""}},
    {"log_cosh", {"logcosh", "LogCosh", "", "", ""}},
    // tfjs's kullbackLeiblerDivergence weighs by the unclipped targets.
    {"kl_divergence",
     {"kld", "KLD", "KLDivergence", "kullback_leibler_divergence", ""}},
    {"poisson", {"Poisson", "", "", "", ""}},
    // tfjs's hinge and squaredHinge do not map 0/1 labels to -1/1
    // (TrainingConfig.cpp refuses them).
    {"hinge", {"Hinge", "", "", "", ""}},
    {"squared_hinge", {"SquaredHinge", "", "", "", ""}},
    {"cosine_similarity", {"CosineSimilarity", "", "", "", ""}},
    {"categorical_hinge", {"CategoricalHinge", "categoricalHinge", "", "", ""}},
};

std::string mlir::kiln::canonicalLossName(llvm::StringRef name) {
  if (name.empty())
    return "";
  for (const auto &loss : kLosses)
    if (name == loss.canonical || llvm::is_contained(loss.aliases, name))
      return loss.canonical;
  return "";
}

std::string mlir::kiln::lossNames() {
  std::string names;
  for (const auto &loss : kLosses)
    names += (names.empty() ? "" : ", ") + std::string(loss.canonical);
  return names;
}

bool mlir::kiln::isSparseLoss(const LossSpec &loss) {
  return loss.name == "sparse_categorical_crossentropy";
}

llvm::Error mlir::kiln::checkLossSettings(const LossSpec &loss) {
  const LossSettings &s = loss.settings;
  const LossSettings defaults;
  StringRef name = loss.name;
  bool focal = name.ends_with("focal_crossentropy");
  auto refuse = [&](StringRef setting, StringRef owners) {
    return llvm::createStringError(name + " has no " + setting + " (" +
                                   owners + ")");
  };
  if (s.fromLogits && !name.ends_with("crossentropy"))
    return refuse("from_logits", "a crossentropy has");
  if (s.delta != defaults.delta && name != "huber")
    return refuse("delta", "huber has");
  if (!std::isfinite(s.delta) || s.delta <= 0)
    return llvm::createStringError("huber's delta must be a positive number");
  if (s.labelSmoothing != 0.0 && name != "categorical_crossentropy" &&
      name != "binary_crossentropy" && !focal)
    return refuse("label_smoothing",
                  "the categorical and binary crossentropies and their focal "
                  "forms have");
  if (!(s.labelSmoothing >= 0.0 && s.labelSmoothing <= 1.0))
    return llvm::createStringError(
        "label_smoothing must be a number from 0 to 1");
  if (!focal && (s.gamma != defaults.gamma || s.alpha != defaults.alpha))
    return refuse(s.gamma != defaults.gamma ? "gamma" : "alpha",
                  "the focal crossentropies have");
  if (s.applyClassBalancing && name != "binary_focal_crossentropy")
    return refuse("apply_class_balancing", "binary_focal_crossentropy has");
  if (!std::isfinite(s.gamma) || !std::isfinite(s.alpha))
    return llvm::createStringError("gamma and alpha must be finite numbers");
  return llvm::Error::success();
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

/// Keras's convert_binary_labels_to_hinge: when every label of the batch is
/// 0 or 1, 2t - 1; else the labels as they are.
static Value hingeLabels(GradientBuilder &m, Value t) {
  OpBuilder &b = m.builder();
  Location loc = m.location();
  RankedTensorType type = typeOf(t);
  Value binary =
      LogicalOrOp::create(b, loc, EqualOp::create(b, loc, t, m.scalar(t, 0)),
                          EqualOp::create(b, loc, t, m.scalar(t, 1)));
  Value other =
      CastOp::create(b, loc, type, LogicalNotOp::create(b, loc, binary));
  // all(binary) as 1.0 or 0.0: no label is another number.
  Value allBinary = CastOp::create(
      b, loc, RankedTensorType::get({}, type.getElementType()),
      EqualOp::create(b, loc, meanAll(m, b, loc, other), m.scalar(t, 0)));
  return m.add(t, m.mul(allBinary, m.sub(t, m.scalar(t, 1))));
}

/// Keras's normalize(x, axis=-1) (order 2): x * min(rsqrt(sum(x^2)), 1/eps).
static Value l2Normalize(GradientBuilder &m, Value x, int64_t last) {
  OpBuilder &b = m.builder();
  Location loc = m.location();
  Value squares = m.reduceSum(m.mul(x, x), {last}, /*keepDims=*/true);
  Value inverse = m.div(m.scalar(squares, 1), SqrtOp::create(b, loc, squares));
  return m.mul(
      x, MinimumOp::create(b, loc, inverse, m.scalar(inverse, 1 / kEpsilon)));
}

/// The losses (and metrics) that compare `p` with a target `t` of its
/// shape value by value and reduce over the last axis, as Keras 3 writes
/// them, averaged over the batch's rows; null for another name. The
/// cosine similarity is the loss's (negative) unless `metric`.
static Value buildElementwise(GradientBuilder &m, StringRef name, double delta,
                              Value p, Value t, bool metric) {
  OpBuilder &b = m.builder();
  Location loc = m.location();
  int64_t last = typeOf(p).getRank() - 1;
  auto mean = [&](Value v) { return meanAll(m, b, loc, v); };
  auto abs = [&](Value v) -> Value { return AbsOp::create(b, loc, v); };
  auto log = [&](Value v) -> Value { return LogOp::create(b, loc, v); };
  auto eps = [&] { return m.scalar(p, kEpsilon); };
  auto one = [&] { return m.scalar(p, 1); };
  if (name == "mean_squared_error") {
    Value diff = m.sub(p, t);
    return mean(m.mul(diff, diff));
  }
  if (name == "mean_absolute_error")
    return mean(abs(m.sub(p, t)));
  if (name == "mean_absolute_percentage_error") {
    Value scale = MaximumOp::create(b, loc, abs(t), eps());
    Value percent = mean(abs(m.div(m.sub(t, p), scale)));
    return m.mul(percent, m.scalar(percent, 100));
  }
  if (name == "mean_squared_logarithmic_error") {
    auto logOnePlus = [&](Value v) {
      return log(m.add(MaximumOp::create(b, loc, v, eps()), one()));
    };
    Value diff = m.sub(logOnePlus(p), logOnePlus(t));
    return mean(m.mul(diff, diff));
  }
  if (name == "huber") {
    Value error = m.sub(p, t);
    Value absError = abs(error);
    Value half = m.scalar(p, 0.5);
    Value quadratic = m.mul(half, m.mul(error, error));
    Value linear = m.sub(m.mul(m.scalar(p, delta), absError),
                         m.scalar(p, 0.5 * delta * delta));
    Value small =
        LessEqualOp::create(b, loc, absError, m.scalar(absError, delta));
    return mean(SelectOp::create(b, loc, small, quadratic, linear));
  }
  if (name == "log_cosh") {
    // x + softplus(-2x) - log(2)
    Value x = m.sub(p, t);
    Value tail = SoftplusOp::create(b, loc, m.mul(x, m.scalar(x, -2)));
    return mean(m.sub(m.add(x, tail), m.scalar(x, std::log(2.0))));
  }
  if (name == "kl_divergence") {
    auto clip = [&](Value v) -> Value {
      return ClipOp::create(b, loc, v, b.getF64FloatAttr(kEpsilon),
                            b.getF64FloatAttr(1));
    };
    Value tc = clip(t);
    Value terms = m.mul(tc, log(m.div(tc, clip(p))));
    return mean(m.reduceSum(terms, {last}, /*keepDims=*/false));
  }
  if (name == "poisson")
    return mean(m.sub(p, m.mul(t, log(m.add(p, eps())))));
  if (name == "hinge" || name == "squared_hinge") {
    Value margin =
        ReluOp::create(b, loc, m.sub(one(), m.mul(hingeLabels(m, t), p)));
    return mean(name == "hinge" ? margin : m.mul(margin, margin));
  }
  if (name == "categorical_hinge") {
    // max(0, 1 + max((1 - t) p) - sum(t p)) per row. The row's maximum is
    // read through a one-hot of its argmax, which carries no gradient: the
    // gradient goes to the first largest element, where TensorFlow's
    // reduce_max splits it among ties (equal non-target predictions).
    Value positive = m.reduceSum(m.mul(t, p), {last}, /*keepDims=*/false);
    Value others = m.mul(m.sub(one(), t), p);
    RankedTensorType type = typeOf(p);
    Value index = ArgMaxOp::create(b, loc, others, b.getI64IntegerAttr(last),
                                   b.getBoolAttr(false), b.getBoolAttr(false));
    auto indexType = cast<RankedTensorType>(index.getType());
    Value largest = OneHotOp::create(
        b, loc, type,
        CastOp::create(b, loc, indexType.clone(type.getElementType()), index),
        type.getDimSize(last));
    Value negative =
        m.reduceSum(m.mul(largest, others), {last}, /*keepDims=*/false);
    return mean(
        ReluOp::create(b, loc, m.add(m.sub(negative, positive), one())));
  }
  if (name == "cosine_similarity") {
    Value cosine = m.reduceSum(
        m.mul(l2Normalize(m, t, last), l2Normalize(m, p, last)), {last},
        /*keepDims=*/false);
    return mean(metric ? cosine : m.neg(cosine));
  }
  return Value();
}

Value mlir::kiln::activationLogits(Value prediction, int64_t lastAxis) {
  if (auto sigmoid = prediction.getDefiningOp<SigmoidOp>())
    return sigmoid.getInput();
  if (auto softmax = prediction.getDefiningOp<SoftmaxOp>();
      softmax && softmax.getNormalizedAxis() == lastAxis)
    return softmax.getInput();
  return Value();
}

/// Keras's label_smoothing: t (1 - s) + s / classes (2 for the binary
/// crossentropies: their targets are 0 or 1 each).
static Value smoothLabels(GradientBuilder &m, Value t, double s,
                          int64_t classes) {
  if (s == 0.0)
    return t;
  return m.add(m.mul(t, m.scalar(t, 1 - s)), m.scalar(t, s / double(classes)));
}

/// x ** exponent for a constant exponent, as TensorFlow's pow: a whole
/// exponent up to 8 in size as products (exact for x = 0 and defined for
/// x < 0), another as exp(exponent * log(x)) (0 or inf at x = 0, NaN below).
static Value power(GradientBuilder &m, Value x, double exponent) {
  if (exponent == 0)
    return m.scalar(x, 1);
  if (exponent == std::trunc(exponent) && std::abs(exponent) <= 8) {
    Value product = x;
    for (int i = 1; i < int(std::abs(exponent)); ++i)
      product = m.mul(product, x);
    return exponent > 0 ? product : m.div(m.scalar(x, 1), product);
  }
  OpBuilder &b = m.builder();
  Location loc = m.location();
  return m.exp(m.mul(m.scalar(x, exponent), LogOp::create(b, loc, x)));
}

/// Keras's binary crossentropy of each element (unreduced): from the
/// logits behind a sigmoid output, or of `prediction` with from_logits,
/// max(z, 0) - z t + log(1 + exp(-|z|)); else from the probabilities
/// clipped to [eps, 1 - eps], -(t log p + (1 - t) log(1 - p)) as Keras 3's
/// TensorFlow backend computes it.
static Value binaryCrossentropyTerms(GradientBuilder &m, Value prediction,
                                     Value target, bool fromLogits) {
  OpBuilder &b = m.builder();
  Location loc = m.location();
  Value z = prediction;
  if (Value logits =
          activationLogits(prediction, typeOf(prediction).getRank() - 1)) {
    z = logits;
    fromLogits = true;
  }
  if (fromLogits) {
    Value relu = ReluOp::create(b, loc, z);
    Value zt = m.mul(z, target);
    Value negAbs = m.neg(AbsOp::create(b, loc, z));
    Value tail = SoftplusOp::create(b, loc, negAbs);
    return m.add(m.sub(relu, zt), tail);
  }
  Value p = ClipOp::create(b, loc, prediction, b.getF64FloatAttr(kEpsilon),
                           b.getF64FloatAttr(1 - kEpsilon));
  Value one = m.scalar(p, 1);
  Value positive = m.mul(target, LogOp::create(b, loc, p));
  Value negative =
      m.mul(m.sub(one, target), LogOp::create(b, loc, m.sub(one, p)));
  return m.neg(m.add(positive, negative));
}

/// Keras 3's binary_focal_crossentropy of each element: the binary
/// crossentropy weighted by (1 - p_t)^gamma, p_t the probability given to
/// the target, and with class balancing by alpha (1 - alpha) for the
/// positive (negative) targets. From logits, the probabilities are their
/// sigmoid, whose logits the crossentropy then reads.
static Value binaryFocalTerms(GradientBuilder &m, const LossSettings &s,
                              Value prediction, Value target) {
  OpBuilder &b = m.builder();
  Location loc = m.location();
  Value t = smoothLabels(m, target, s.labelSmoothing, 2);
  Value p = s.fromLogits ? SigmoidOp::create(b, loc, prediction).getResult()
                         : prediction;
  Value bce = binaryCrossentropyTerms(m, p, t, /*fromLogits=*/false);
  Value one = m.scalar(p, 1);
  Value oneMinusT = m.sub(one, t);
  Value pt = m.add(m.mul(t, p), m.mul(oneMinusT, m.sub(one, p)));
  Value focal = m.mul(power(m, m.sub(one, pt), s.gamma), bce);
  if (!s.applyClassBalancing)
    return focal;
  Value weight = m.add(m.mul(t, m.scalar(t, s.alpha)),
                       m.mul(oneMinusT, m.scalar(t, 1 - s.alpha)));
  return m.mul(weight, focal);
}

/// Keras 3's categorical_focal_crossentropy per sample: over the classes,
/// the sum of alpha (1 - p)^gamma (-t log p), with p the predictions
/// normalized to sum to 1 and clipped to [eps, 1 - eps] (from logits,
/// their softmax). Keras reads no logits behind a softmax here.
static Value categoricalFocalPerSample(GradientBuilder &m,
                                       const LossSettings &s, Value prediction,
                                       Value target) {
  OpBuilder &b = m.builder();
  Location loc = m.location();
  int64_t last = typeOf(prediction).getRank() - 1;
  Value t = smoothLabels(m, target, s.labelSmoothing,
                         typeOf(prediction).getDimSize(last));
  Value p = s.fromLogits ? SoftmaxOp::create(b, loc, prediction,
                                             b.getI64IntegerAttr(last))
                               .getResult()
                         : prediction;
  Value normalized = m.div(p, m.reduceSum(p, {last}, /*keepDims=*/true));
  Value clipped = ClipOp::create(b, loc, normalized, b.getF64FloatAttr(kEpsilon),
                                 b.getF64FloatAttr(1 - kEpsilon));
  Value cce = m.mul(m.neg(t), LogOp::create(b, loc, clipped));
  Value modulating = power(m, m.sub(m.scalar(clipped, 1), clipped), s.gamma);
  Value weighting = m.mul(modulating, m.scalar(modulating, s.alpha));
  return m.reduceSum(m.mul(weighting, cce), {last}, /*keepDims=*/false);
}

Value mlir::kiln::buildLoss(GradientBuilder &m, const LossSpec &loss,
                            Value prediction, Value target) {
  OpBuilder &b = m.builder();
  Location loc = m.location();
  const LossSettings &s = loss.settings;
  int64_t last = typeOf(prediction).getRank() - 1;

  if (Value value = buildElementwise(m, loss.name, s.delta, prediction, target,
                                     /*metric=*/false))
    return value;

  if (loss.name == "binary_crossentropy")
    return meanAll(
        m, b, loc,
        binaryCrossentropyTerms(
            m, prediction, smoothLabels(m, target, s.labelSmoothing, 2),
            s.fromLogits));
  if (loss.name == "binary_focal_crossentropy")
    return meanAll(m, b, loc, binaryFocalTerms(m, s, prediction, target));
  if (loss.name == "categorical_focal_crossentropy")
    return meanAll(m, b, loc,
                   categoricalFocalPerSample(m, s, prediction, target));

  // The categorical cross-entropies: -sum(t * log_softmax(z)) per sample.
  bool sparse = isSparseLoss(loss);
  Value logits = prediction;
  bool fromLogits = s.fromLogits;
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
  t = smoothLabels(m, t, s.labelSmoothing, typeOf(prediction).getDimSize(last));
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
  // The metrics that are a loss's function (Keras's MeanMetricWrapper of
  // it): by the loss's names, logged as the kind.
  static const struct {
    const char *kind;
    const char *loss;
  } kLossMetrics[] = {
      {"mse", "mean_squared_error"},
      {"mae", "mean_absolute_error"},
      {"mape", "mean_absolute_percentage_error"},
      {"msle", "mean_squared_logarithmic_error"},
      {"kl_divergence", "kl_divergence"},
      {"poisson", "poisson"},
      {"hinge", "hinge"},
      {"squared_hinge", "squared_hinge"},
      {"cosine_similarity", "cosine_similarity"},
      {"categorical_hinge", "categorical_hinge"},
  };
  std::string function = canonicalLossName(name);
  for (const auto &metric : kLossMetrics)
    if (name == metric.kind || function == metric.loss)
      return metric.kind;
  if (isMetricKind(name))
    return name.str();
  return "";
}

unsigned mlir::kiln::metricValueCount(StringRef kind) {
  if (kind == "auc")
    return 2 * kAucThresholds;
  return kind == "precision" || kind == "recall" ? 2 : 1;
}

StringRef mlir::kiln::metricFunction(StringRef kind) {
  return llvm::StringSwitch<StringRef>(kind)
      .Case("mse", "mean_squared_error")
      .Case("mae", "mean_absolute_error")
      .Case("mape", "mean_absolute_percentage_error")
      .Case("msle", "mean_squared_logarithmic_error")
      // The step's value is the batch's mean squared error; the runtime
      // takes the root of the epoch's mean (Keras's RootMeanSquaredError).
      .Case("root_mean_squared_error", "mean_squared_error")
      .Cases({"kl_divergence", "poisson", "hinge", "squared_hinge",
              "cosine_similarity", "categorical_hinge"},
             kind)
      .Default("");
}

std::string mlir::kiln::metricTargetMismatch(llvm::StringRef kind,
                                             const LossSpec &loss) {
  bool sparseMetric = kind.starts_with("sparse_");
  if (sparseMetric == isSparseLoss(loss))
    return "";
  if (loss.name.empty())
    return "takes class indices, but an output without a loss takes targets "
           "shaped like the output";
  auto targets = [](bool sparse) {
    return sparse ? "class indices" : "targets shaped like the outputs";
  };
  return std::string("takes ") + targets(sparseMetric) + ", but loss '" +
         loss.name + "' takes " + targets(!sparseMetric);
}

std::string mlir::kiln::classAxisIssue(const LossSpec &loss,
                                       RankedTensorType output) {
  // Label smoothing spreads s over the classes: it needs their count.
  bool smoothed = (loss.name == "categorical_crossentropy" ||
                   loss.name == "categorical_focal_crossentropy") &&
                  loss.settings.labelSmoothing != 0.0;
  return classAxisIssue(smoothed ? "sparse_categorical_crossentropy"
                                 : llvm::StringRef(loss.name),
                        output);
}

std::string mlir::kiln::classAxisIssue(llvm::StringRef kind,
                                       RankedTensorType output) {
  if (!llvm::is_contained({"sparse_categorical_crossentropy",
                           "categorical_hinge", "sparse_categorical_accuracy",
                           "categorical_accuracy", "top_k_categorical_accuracy",
                           "sparse_top_k_categorical_accuracy"},
                          kind) ||
      (output.getRank() >= 2 && !output.isDynamicDim(output.getRank() - 1)))
    return "";
  std::string type;
  llvm::raw_string_ostream os(type);
  os << output;
  return "needs outputs of shape (batch, ..., classes), got '" + type + "'";
}

bool mlir::kiln::isMetricKind(llvm::StringRef kind) {
  return llvm::is_contained({"sparse_categorical_accuracy",
                             "categorical_accuracy", "binary_accuracy",
                             "sparse_categorical_crossentropy",
                             "categorical_crossentropy", "binary_crossentropy",
                             "top_k_categorical_accuracy",
                             "sparse_top_k_categorical_accuracy", "precision",
                             "recall", "auc"},
                            kind) ||
         !metricFunction(kind).empty();
}

llvm::Error mlir::kiln::checkMetricSettings(StringRef kind,
                                            const MetricSettings &settings) {
  const MetricSettings defaults;
  auto refuse = [&](StringRef setting, StringRef owners) {
    return llvm::createStringError(kind + " has no " + setting + " (" +
                                   owners + ")");
  };
  bool counting = kind == "precision" || kind == "recall";
  if (settings.threshold != defaults.threshold && kind != "binary_accuracy" &&
      !counting)
    return refuse("threshold",
                  "binary_accuracy, precision and recall have one");
  if (std::isnan(settings.threshold))
    return llvm::createStringError("threshold must be a number");
  if (counting && !(settings.threshold >= 0 && settings.threshold <= 1))
    return llvm::createStringError(
        kind + "'s thresholds must be in [0, 1], as Keras requires");
  if (settings.k != defaults.k && !kind.ends_with("top_k_categorical_accuracy"))
    return refuse("k", "the top-k categorical accuracies have");
  if (settings.fromLogits && !kind.ends_with("crossentropy") && kind != "auc")
    return refuse("from_logits", "the crossentropies and auc have");
  if (settings.labelSmoothing != defaults.labelSmoothing &&
      kind != "binary_crossentropy" && kind != "categorical_crossentropy")
    return refuse("label_smoothing",
                  "the binary and categorical crossentropies have");
  if (!(settings.labelSmoothing >= 0 && settings.labelSmoothing <= 1))
    return llvm::createStringError(
        "label_smoothing must be a number from 0 to 1");
  return llvm::Error::success();
}

llvm::Expected<SmallVector<std::pair<std::string, MetricSettings>>>
mlir::kiln::parseMetricList(ArrayRef<std::string> items) {
  SmallVector<std::pair<std::string, MetricSettings>> metrics;
  for (StringRef item : items) {
    item = item.trim();
    StringRef setting;
    if (item.contains('=') && !item.contains(':')) {
      if (metrics.empty())
        return llvm::createStringError("setting '" + item +
                                       "' before any metric");
      setting = item;
    } else {
      auto [name, rest] = item.split(':');
      if (name.trim().empty())
        return llvm::createStringError("missing metric name in '" + item +
                                       "'");
      metrics.push_back({name.trim().str(), {}});
      setting = rest;
    }
    if (setting.trim().empty())
      continue;
    auto [key, value] = setting.split('=');
    key = key.trim();
    value = value.trim();
    llvm::Expected<double> number = parseSettingValue(key, value);
    llvm::Error error =
        number ? setMetricSetting(metrics.back().second, key, *number)
               : number.takeError();
    if (error)
      return llvm::createStringError("metric '" + metrics.back().first +
                                     "': " + llvm::toString(std::move(error)));
  }
  return metrics;
}

Value mlir::kiln::buildMetric(GradientBuilder &m, StringRef kind,
                              const MetricSettings &settings,
                              Value prediction, Value target) {
  OpBuilder &b = m.builder();
  Location loc = m.location();
  if (StringRef(kind).ends_with("crossentropy")) {
    LossSpec loss{kind.str(), {}};
    loss.settings.fromLogits = settings.fromLogits;
    loss.settings.labelSmoothing = settings.labelSmoothing;
    return buildLoss(m, loss, prediction, target);
  }
  if (StringRef function = metricFunction(kind); !function.empty())
    return buildElementwise(m, function, /*delta=*/1.0, prediction, target,
                            /*metric=*/true);
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
  if (kind == "top_k_categorical_accuracy" ||
      kind == "sparse_top_k_categorical_accuracy") {
    // tf.math.in_top_k(target class, prediction, k): the class is in the
    // top k when fewer than k predictions of its row are above its own
    // (ties with it count as in), and its prediction is finite.
    int64_t classes = type.getDimSize(last);
    Value index = kind.starts_with("sparse_") ? target : argmax(target);
    SmallVector<int64_t> shape(typeOf(index).getShape());
    shape.push_back(classes);
    Value isTarget = OneHotOp::create(
        b, loc, RankedTensorType::get(shape, type.getElementType()), index,
        classes);
    Value targets = SelectOp::create(
        b, loc, GreaterOp::create(b, loc, isTarget, m.scalar(isTarget, 0.5)),
        prediction, m.zerosLike(prediction));
    Value own = m.reduceSum(targets, {last}, /*keepDims=*/false);
    SmallVector<int64_t> ownShape(typeOf(own).getShape());
    ownShape.push_back(1);
    Value above = m.reduceSum(
        asFloat(GreaterOp::create(
                    b, loc, prediction,
                    m.reshape(own, RankedTensorType::get(
                                       ownShape, type.getElementType()))),
                type),
        {last}, /*keepDims=*/false);
    Value finite = LessOp::create(
        b, loc, AbsOp::create(b, loc, own),
        m.scalar(above, std::numeric_limits<double>::infinity()));
    Value inTop = LogicalAndOp::create(
        b, loc,
        LessOp::create(b, loc, above, m.scalar(above, double(settings.k))),
        finite);
    return meanAll(m, b, loc,
                   asFloat(inTop, cast<RankedTensorType>(inTop.getType())));
  }
  // Counting metrics: every element of the batch, its target positive when
  // it is not 0 (Keras casts it to bool).
  SmallVector<int64_t> allAxes = llvm::to_vector(llvm::seq<int64_t>(0, last + 1));
  auto positiveTargets = [&] {
    return asFloat(LogicalNotOp::create(
                       b, loc,
                       EqualOp::create(b, loc, target, m.scalar(target, 0.0))),
                   typeOf(target));
  };
  if (kind == "precision" || kind == "recall") {
    // Keras's Precision and Recall (one threshold, 0.5 unless set): every
    // element is a binary prediction, positive above the threshold, its
    // target positive
    // when it is not 0. The batch's true positives and the denominator's
    // count (predicted positives, or actual ones), which the runtime sums
    // over the epoch before it divides (0 for 0 / 0, divide_no_nan).
    Value predicted = asFloat(
        GreaterOp::create(b, loc, prediction,
                          m.scalar(prediction, settings.threshold)),
        type);
    Value actual = positiveTargets();
    Value truePositives =
        m.reduceSum(m.mul(predicted, actual), allAxes, /*keepDims=*/false);
    Value counted = m.reduceSum(kind == "precision" ? predicted : actual,
                                allAxes, /*keepDims=*/false);
    auto pair = RankedTensorType::get({1}, type.getElementType());
    return ConcatOp::create(b, loc, ValueRange{m.reshape(truePositives, pair),
                                               m.reshape(counted, pair)},
                            b.getI64IntegerAttr(0));
  }
  if (kind == "auc") {
    // Keras's AUC (200 thresholds, ROC, interpolation), every element a
    // binary prediction: threshold i counts the predictions clipped to
    // [0, 1] with 199 p > i (Keras's bucket ceil(199 p) - 1 >= i, in the
    // same float arithmetic), threshold 0 every prediction. The batch's
    // true and false positives at each threshold; the runtime sums them
    // over the epoch and integrates the ROC curve. From logits, the
    // predictions' sigmoid, as Keras's AUC(from_logits=True) takes.
    if (settings.fromLogits)
      prediction = m.sigmoid(prediction);
    int64_t steps = kAucThresholds - 1;
    Type element = type.getElementType();
    Value scaled = m.mul(ClipOp::create(b, loc, prediction,
                                        b.getF64FloatAttr(0.0),
                                        b.getF64FloatAttr(1.0)),
                         m.scalar(prediction, double(steps)));
    SmallVector<int64_t> shape(type.getShape());
    shape.push_back(1);
    auto column = RankedTensorType::get(shape, element);
    SmallVector<Attribute> bounds{b.getFloatAttr(element, -1.0)};
    for (int64_t i = 1; i < int64_t(kAucThresholds); ++i)
      bounds.push_back(b.getFloatAttr(element, double(i)));
    auto boundsType =
        RankedTensorType::get({int64_t(kAucThresholds)}, element);
    Value thresholds =
        ConstantOp::create(b, loc, DenseElementsAttr::get(boundsType, bounds));
    Value above = GreaterOp::create(b, loc, m.reshape(scaled, column),
                                    thresholds);
    above = asFloat(above, cast<RankedTensorType>(above.getType()));
    Value actual = m.reshape(positiveTargets(), column);
    Value truePositives =
        m.reduceSum(m.mul(above, actual), allAxes, /*keepDims=*/false);
    Value falsePositives = m.reduceSum(
        m.mul(above, m.sub(m.scalar(actual, 1.0), actual)), allAxes,
        /*keepDims=*/false);
    return ConcatOp::create(b, loc, ValueRange{truePositives, falsePositives},
                            b.getI64IntegerAttr(0));
  }
  Value matches;
  if (kind == "sparse_categorical_accuracy")
    matches = EqualOp::create(b, loc, argmax(prediction), target);
  else if (kind == "categorical_accuracy")
    matches = EqualOp::create(b, loc, argmax(prediction), argmax(target));
  else if (kind == "binary_accuracy")
    matches = EqualOp::create(
        b, loc,
        asFloat(GreaterOp::create(b, loc, prediction,
                                  m.scalar(prediction, settings.threshold)),
                type),
        target);
  else
    return Value();
  return meanAll(m, b, loc,
                 asFloat(matches, cast<RankedTensorType>(matches.getType())));
}
