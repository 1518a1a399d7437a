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
// return the batch's two counts, the runtime sums and divides.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_TRAIN_METRICS_H
#define KILN_RUNTIME_TRAIN_METRICS_H

#include "kiln/runtime.h"

#include <cmath>

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
};

/// Resolves a metric kind name of `kiln_metric_desc_t` (also the long
/// aliases "mean_squared_error" and "mean_absolute_error"); false if unknown.
bool parseMetricKind(const char *name, MetricKind &kind);

/// True for kinds whose targets are class indices, one per row.
bool isSparseMetric(MetricKind kind);

/// True for kinds that improve upward (Keras's direction "up"): the
/// accuracies, the cosine similarity, precision and recall.
bool metricImprovesUp(MetricKind kind);

/// A running mean of one metric over one output (its root, for
/// RootMeanSquaredError), or a ratio of two running sums (Precision,
/// Recall).
class Metric {
public:
  enum class Form { Mean, RootOfMean, Ratio };
  explicit Metric(Form form = Form::Mean) : form(form) {}
  /// The form that computes `kind`.
  static Form formOf(MetricKind kind) {
    if (kind == MetricKind::RootMeanSquaredError)
      return Form::RootOfMean;
    if (kind == MetricKind::Precision || kind == MetricKind::Recall)
      return Form::Ratio;
    return Form::Mean;
  }
  /// Adds a batch: the mean `values[0]` of its `rows` values, or for a
  /// ratio its numerator `values[0]` and denominator `values[1]`.
  void update(const float *values, int64_t rows) {
    if (form == Form::Ratio) {
      total += values[0];
      count += values[1];
      return;
    }
    total += static_cast<double>(values[0]) * static_cast<double>(rows);
    count += static_cast<double>(rows);
  }
  /// The mean so far, its root, or the ratio (0 before any update, and for
  /// a ratio of nothing: Keras's divide_no_nan).
  double result() const {
    double mean = count ? total / count : 0.0;
    return form == Form::RootOfMean ? std::sqrt(mean) : mean;
  }
  void reset() {
    total = 0;
    count = 0;
  }

private:
  Form form;
  double total = 0;
  double count = 0;
};

} // namespace kiln

#endif // KILN_RUNTIME_TRAIN_METRICS_H
