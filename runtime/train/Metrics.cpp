//===- Metrics.cpp - Keras metrics computed by the runtime ------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Each row value follows tf.keras 2.x (keras/metrics, keras/backend):
//   sparse_categorical_accuracy  argmax(pred) == label
//   categorical_accuracy         argmax(pred) == argmax(target)
//   binary_accuracy              mean((pred > 0.5) == target)
//   mse / mae                    mean((pred - target)^2), mean(|pred - target|)
//   sparse_categorical_crossentropy
//       -log_softmax(log(clip(pred, eps, 1 - eps)))[label]
//   categorical_crossentropy
//       -sum(target * log(clip(pred / sum(pred), eps, 1 - eps)))
//   binary_crossentropy
//       -mean(t * log(p + eps) + (1 - t) * log(1 - p + eps)),
//       p = clip(pred, eps, 1 - eps)
// Crossentropy metrics take probabilities (Keras's metric default
// from_logits=False), whatever the loss uses. argmax takes the first maximum.
//
//===----------------------------------------------------------------------===//
#include "train/Metrics.h"

#include <cmath>
#include <cstring>

using namespace kiln;

namespace {

int64_t argmax(const float *row, int64_t size) {
  int64_t best = 0;
  for (int64_t i = 1; i < size; ++i)
    if (row[i] > row[best])
      best = i;
  return best;
}

double clip(double value) {
  double lo = kEpsilon, hi = 1.0 - static_cast<double>(kEpsilon);
  return value < lo ? lo : value > hi ? hi : value;
}

} // namespace

bool kiln::parseMetricKind(const char *name, MetricKind &kind) {
  struct Entry {
    const char *name;
    MetricKind kind;
  };
  static const Entry entries[] = {
      {"sparse_categorical_accuracy", MetricKind::SparseCategoricalAccuracy},
      {"categorical_accuracy", MetricKind::CategoricalAccuracy},
      {"binary_accuracy", MetricKind::BinaryAccuracy},
      {"mse", MetricKind::MeanSquaredError},
      {"mean_squared_error", MetricKind::MeanSquaredError},
      {"mae", MetricKind::MeanAbsoluteError},
      {"mean_absolute_error", MetricKind::MeanAbsoluteError},
      {"sparse_categorical_crossentropy",
       MetricKind::SparseCategoricalCrossentropy},
      {"categorical_crossentropy", MetricKind::CategoricalCrossentropy},
      {"binary_crossentropy", MetricKind::BinaryCrossentropy},
  };
  for (const Entry &entry : entries) {
    if (std::strcmp(entry.name, name) == 0) {
      kind = entry.kind;
      return true;
    }
  }
  return false;
}

bool kiln::isSparseMetric(MetricKind kind) {
  return kind == MetricKind::SparseCategoricalAccuracy ||
         kind == MetricKind::SparseCategoricalCrossentropy;
}

double Metric::rowValue(const float *p, const float *t) const {
  int64_t n = rowSize;
  double sum = 0;
  switch (kind) {
  case MetricKind::SparseCategoricalAccuracy:
    return static_cast<double>(argmax(p, n)) == static_cast<double>(t[0]);
  case MetricKind::CategoricalAccuracy:
    return argmax(p, n) == argmax(t, n);
  case MetricKind::BinaryAccuracy:
    for (int64_t i = 0; i < n; ++i)
      sum += static_cast<float>(p[i] > 0.5f) == t[i];
    return sum / n;
  case MetricKind::MeanSquaredError:
    for (int64_t i = 0; i < n; ++i)
      sum += (double(p[i]) - t[i]) * (double(p[i]) - t[i]);
    return sum / n;
  case MetricKind::MeanAbsoluteError:
    for (int64_t i = 0; i < n; ++i)
      sum += std::fabs(double(p[i]) - t[i]);
    return sum / n;
  case MetricKind::SparseCategoricalCrossentropy: {
    // log_softmax over the clipped log-probabilities renormalizes them.
    double total = 0;
    for (int64_t i = 0; i < n; ++i)
      total += clip(p[i]);
    auto label = static_cast<int64_t>(t[0]);
    if (label < 0 || label >= n)
      return NAN;
    return -(std::log(clip(p[label])) - std::log(total));
  }
  case MetricKind::CategoricalCrossentropy: {
    double total = 0;
    for (int64_t i = 0; i < n; ++i)
      total += p[i];
    for (int64_t i = 0; i < n; ++i)
      sum -= t[i] * std::log(clip(p[i] / total));
    return sum;
  }
  case MetricKind::BinaryCrossentropy:
    for (int64_t i = 0; i < n; ++i) {
      double q = clip(p[i]);
      sum += t[i] * std::log(q + kEpsilon) +
             (1.0 - t[i]) * std::log(1.0 - q + kEpsilon);
    }
    return -sum / n;
  }
  return 0;
}

void Metric::update(const float *predictions, const float *targets,
                    int64_t rows) {
  int64_t targetStride = isSparseMetric(kind) ? 1 : rowSize;
  for (int64_t r = 0; r < rows; ++r)
    total += rowValue(predictions + r * rowSize, targets + r * targetStride);
  count += static_cast<double>(rows);
}
