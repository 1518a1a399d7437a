//===- Metrics.cpp - Keras metric kinds -------------------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// The kinds of metric a compiled model may carry; the steps compute them
// (Metrics.h).
//
//===----------------------------------------------------------------------===//
#include "train/Metrics.h"

#include <cstring>

using namespace kiln;

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
      {"mape", MetricKind::MeanAbsolutePercentageError},
      {"msle", MetricKind::MeanSquaredLogarithmicError},
      {"kl_divergence", MetricKind::KLDivergence},
      {"poisson", MetricKind::Poisson},
      {"hinge", MetricKind::Hinge},
      {"squared_hinge", MetricKind::SquaredHinge},
      {"cosine_similarity", MetricKind::CosineSimilarity},
      {"categorical_hinge", MetricKind::CategoricalHinge},
      {"root_mean_squared_error", MetricKind::RootMeanSquaredError},
      {"top_k_categorical_accuracy", MetricKind::TopKCategoricalAccuracy},
      {"sparse_top_k_categorical_accuracy",
       MetricKind::SparseTopKCategoricalAccuracy},
      {"precision", MetricKind::Precision},
      {"recall", MetricKind::Recall},
      {"auc", MetricKind::Auc},
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
         kind == MetricKind::SparseCategoricalCrossentropy ||
         kind == MetricKind::SparseTopKCategoricalAccuracy;
}

bool kiln::metricImprovesUp(MetricKind kind) {
  return kind == MetricKind::SparseCategoricalAccuracy ||
         kind == MetricKind::CategoricalAccuracy ||
         kind == MetricKind::BinaryAccuracy ||
         kind == MetricKind::CosineSimilarity ||
         kind == MetricKind::TopKCategoricalAccuracy ||
         kind == MetricKind::SparseTopKCategoricalAccuracy ||
         kind == MetricKind::Precision || kind == MetricKind::Recall ||
         kind == MetricKind::Auc;
}
