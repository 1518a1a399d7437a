//===- Metrics.h - Keras metrics over an epoch ------------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// The compiled train/eval steps compute the metrics the model was compiled
// with (passes/training, buildMetric): each returns each metric, on the
// output it was given for, as the mean of the batch's values (one per row,
// a row being one vector along the output's last axis). The runtime
// averages those over the epoch weighted by the rows, as Keras's
// MeanMetricWrapper does: a sample-weighted mean across batches.
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
};

/// Resolves a metric kind name of `kiln_metric_desc_t` (also the long
/// aliases "mean_squared_error" and "mean_absolute_error"); false if unknown.
bool parseMetricKind(const char *name, MetricKind &kind);

/// True for kinds whose targets are class indices, one per row.
bool isSparseMetric(MetricKind kind);

/// True for kinds that improve upward (Keras's direction "up"): the
/// accuracies and the cosine similarity.
bool metricImprovesUp(MetricKind kind);

/// A running mean of one metric over one output (its root, for
/// RootMeanSquaredError).
class Metric {
public:
  explicit Metric(bool rootOfMean = false) : rootOfMean(rootOfMean) {}
  /// Adds a batch whose `rows` values have the mean `batchMean`.
  void update(double batchMean, int64_t rows) {
    total += batchMean * static_cast<double>(rows);
    count += static_cast<double>(rows);
  }
  /// The mean so far, or its root (0 before any update).
  double result() const {
    double mean = count ? total / count : 0.0;
    return rootOfMean ? std::sqrt(mean) : mean;
  }
  void reset() {
    total = 0;
    count = 0;
  }

private:
  bool rootOfMean;
  double total = 0;
  double count = 0;
};

} // namespace kiln

#endif // KILN_RUNTIME_TRAIN_METRICS_H
