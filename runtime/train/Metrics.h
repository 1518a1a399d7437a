//===- Metrics.h - Keras metrics over an epoch ------------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// The compiled train/eval steps compute the metrics the model was compiled
// with (passes/training, buildMetric): each returns each metric, on the
// output it was given for, as the mean of the batch's values (one per row,
// a row being one vector along the output's last axis). The runtime
// averages those over the epoch weighted by the rows, as Keras's
// MeanMetricWrapper does: a sample-weighted mean across batches. Precision
// and recall are ratios of counts over the epoch, as Keras's: the steps
// return the batch's two counts, the runtime sums and divides. AUC is
// likewise the ROC curve of the epoch's counts at each threshold.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_TRAIN_METRICS_H
#define KILN_RUNTIME_TRAIN_METRICS_H

#include "base/Descriptor.h"
#include "kiln/runtime.h"

#include <cmath>
#include <vector>

namespace kiln {

enum class MetricKind {
  SparseCategoricalAccuracy,
  CategoricalAccuracy,
  BinaryAccuracy,
  MeanSquaredError,
  MeanAbsoluteError,
  SparseCategoricalCrossentropy,
  CategoricalCrossentropy,
  BinaryCrossentropy,
  MeanAbsolutePercentageError,
  MeanSquaredLogarithmicError,
  KLDivergence,
  Poisson,
  Hinge,
  SquaredHinge,
  CosineSimilarity,
  CategoricalHinge,
  /// The steps return the batch's mean squared error; the result is the
  /// root of the epoch's mean (Keras's RootMeanSquaredError).
  RootMeanSquaredError,
  /// Whether the target class is among the k = 5 highest predictions.
  TopKCategoricalAccuracy,
  SparseTopKCategoricalAccuracy,
  /// True positives over predicted (actual) positives, counted over the
  /// epoch (threshold 0.5): the steps return the batch's two counts.
  Precision,
  Recall,
  /// The area under the ROC curve (200 thresholds, interpolated): the steps
  /// return the batch's true and false positives at each threshold.
  Auc,
};

/// Resolves a metric kind name of `kiln_metric_desc_t` (also the long
/// aliases "mean_squared_error" and "mean_absolute_error"); false if unknown.
bool parseMetricKind(const char *name, MetricKind &kind);

/// True for kinds whose targets are class indices, one per row.
bool isSparseMetric(MetricKind kind);

/// True for kinds that improve upward (Keras's direction "up"): the
/// accuracies, the cosine similarity, precision, recall and AUC.
bool metricImprovesUp(MetricKind kind);

/// A running mean of one metric over one output (its root, for
/// RootMeanSquaredError), a ratio of two running sums (Precision, Recall),
/// or the ROC curve's area from running sums at each threshold (AUC).
class Metric {
public:
  enum class Form { Mean, RootOfMean, Ratio, RocArea };
  explicit Metric(Form form = Form::Mean) : form(form) {}
  /// The form that computes `kind`.
  static Form formOf(MetricKind kind) {
    if (kind == MetricKind::RootMeanSquaredError)
      return Form::RootOfMean;
    if (kind == MetricKind::Precision || kind == MetricKind::Recall)
      return Form::Ratio;
    if (kind == MetricKind::Auc)
      return Form::RocArea;
    return Form::Mean;
  }
  /// Adds a batch: the mean `values[0]` of its `rows` values, for a ratio
  /// its numerator `values[0]` and denominator `values[1]`, for a ROC area
  /// its true positives at each of kAucThresholds thresholds, then its false
  /// positives (the first threshold counts every prediction).
  void update(const float *values, int64_t rows) {
    if (form == Form::RocArea) {
      positives.resize(2 * size_t(kAucThresholds));
      for (size_t i = 0; i < positives.size(); ++i)
        positives[i] += values[i];
      return;
    }
    if (form == Form::Ratio) {
      total += values[0];
      count += values[1];
      return;
    }
    total += static_cast<double>(values[0]) * static_cast<double>(rows);
    count += static_cast<double>(rows);
  }
  /// The mean so far, its root, the ratio or the area (0 before any
  /// update, and for a ratio of nothing: Keras's divide_no_nan).
  double result() const {
    if (form == Form::RocArea)
      return rocArea();
    double mean = count ? total / count : 0.0;
    return form == Form::RootOfMean ? std::sqrt(mean) : mean;
  }
  void reset() {
    total = 0;
    count = 0;
    positives.clear();
  }

private:
  /// Keras's AUC.result() for curve ROC, summation "interpolation": recall
  /// and false-positive rate at each threshold (0 where nothing was
  /// counted), and the trapezoids between neighbouring thresholds.
  double rocArea() const {
    if (positives.empty())
      return 0.0;
    const double *tp = positives.data(), *fp = tp + kAucThresholds;
    // The first threshold counts every prediction: all the positives and
    // all the negatives.
    double allPositive = tp[0], allNegative = fp[0], area = 0;
    auto rate = [](double part, double whole) {
      return whole ? part / whole : 0.0;
    };
    for (int64_t i = 0; i + 1 < kAucThresholds; ++i)
      area += (rate(fp[i], allNegative) - rate(fp[i + 1], allNegative)) *
              (rate(tp[i], allPositive) + rate(tp[i + 1], allPositive)) / 2;
    return area;
  }

  Form form;
  std::vector<double> positives; // RocArea: sums of tp[], then fp[]
  double total = 0;
  double count = 0;
};

} // namespace kiln

#endif // KILN_RUNTIME_TRAIN_METRICS_H
