//===- Metrics.h - Keras metrics computed by the runtime --------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Compiled train/eval steps return only the loss and the predictions; the
// metrics the model was compiled with are computed here from predictions
// and targets, as Keras's MeanMetricWrapper does: a per-row value (a row is
// one vector along the output's last axis), averaged over every row seen in
// the epoch, i.e. a sample-weighted mean across batches.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_TRAIN_METRICS_H
#define KILN_RUNTIME_TRAIN_METRICS_H

#include "kiln/runtime.h"

namespace kiln {

/// Keras's `backend.epsilon()`, the clipping bound of crossentropies.
constexpr float kEpsilon = 1e-7f;

enum class MetricKind {
  SparseCategoricalAccuracy,
  CategoricalAccuracy,
  BinaryAccuracy,
  MeanSquaredError,
  MeanAbsoluteError,
  SparseCategoricalCrossentropy,
  CategoricalCrossentropy,
  BinaryCrossentropy,
};

/// Resolves a metric kind name of `kiln_metric_desc_t` (also the long
/// aliases "mean_squared_error" and "mean_absolute_error"); false if unknown.
bool parseMetricKind(const char *name, MetricKind &kind);

/// True for kinds whose targets are class indices, one per row.
bool isSparseMetric(MetricKind kind);

/// A running mean of one metric over one output.
class Metric {
public:
  Metric(MetricKind kind, int64_t rowSize) : kind(kind), rowSize(rowSize) {}

  /// Adds `rows` rows: `predictions` holds rows x `rowSize` floats,
  /// `targets` rows labels (sparse kinds) or rows x `rowSize` floats.
  void update(const float *predictions, const float *targets, int64_t rows);
  /// The mean so far (0 before any update).
  double result() const { return count ? total / count : 0.0; }
  void reset() {
    total = 0;
    count = 0;
  }

private:
  double rowValue(const float *prediction, const float *target) const;

  MetricKind kind;
  int64_t rowSize;
  double total = 0;
  double count = 0;
};

} // namespace kiln

#endif // KILN_RUNTIME_TRAIN_METRICS_H
