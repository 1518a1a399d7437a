//===- MetricsTest.cpp - Tests of the epoch's metric aggregation -*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Checks how the runtime turns the steps' per-batch values into Keras's
// epoch values: a row-weighted mean, its root, or a ratio of counts
// (precision and recall, whose steps return two values).
//
//===----------------------------------------------------------------------===//
#include "base/Descriptor.h"
#include "train/Metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

using namespace kiln;

namespace {

TEST(MetricsTest, MeanWeighsBatchesByRows) {
  Metric metric(Metric::formOf(MetricKind::BinaryAccuracy));
  const float first[] = {1.0f}, second[] = {0.5f};
  metric.update(first, 2);
  metric.update(second, 6);
  EXPECT_DOUBLE_EQ(metric.result(), (1.0 * 2 + 0.5 * 6) / 8);
}

TEST(MetricsTest, RootMeanSquaredErrorIsTheRootOfTheEpochsMean) {
  Metric metric(Metric::formOf(MetricKind::RootMeanSquaredError));
  const float first[] = {4.0f}, second[] = {16.0f};
  metric.update(first, 1);
  metric.update(second, 1);
  EXPECT_DOUBLE_EQ(metric.result(), std::sqrt(10.0));
}

TEST(MetricsTest, PrecisionDividesTheEpochsCounts) {
  // Batches of 1/1 and 1/3 true over predicted positives: 2/4 over the
  // epoch, where the mean of the two ratios would be 2/3.
  Metric metric(Metric::formOf(MetricKind::Precision));
  const float first[] = {1.0f, 1.0f}, second[] = {1.0f, 3.0f};
  metric.update(first, 5);
  metric.update(second, 2);
  EXPECT_DOUBLE_EQ(metric.result(), 0.5);
  metric.reset();
  EXPECT_DOUBLE_EQ(metric.result(), 0.0);
}

TEST(MetricsTest, RatioOfNothingIsZero) {
  // No predicted positives in the whole epoch: Keras's divide_no_nan.
  Metric metric(Metric::formOf(MetricKind::Recall));
  const float none[] = {0.0f, 0.0f};
  metric.update(none, 5);
  EXPECT_DOUBLE_EQ(metric.result(), 0.0);
}

/// The counts a step returns for AUC: two positives scored `positive`
/// and two negatives scored `negative` (threshold i counts 199 p > i,
/// threshold 0 everything).
static std::vector<float> rocCounts(double positive, double negative) {
  std::vector<float> counts(2 * kAucThresholds, 0.0f);
  for (int64_t i = 0; i < kAucThresholds; ++i) {
    counts[i] = (i == 0 || 199 * positive > i) ? 2.0f : 0.0f;
    counts[kAucThresholds + i] = (i == 0 || 199 * negative > i) ? 2.0f : 0.0f;
  }
  return counts;
}

TEST(MetricsTest, RocAreaIntegratesTheEpochsCounts) {
  Metric metric(Metric::formOf(MetricKind::Auc));
  // Every positive above every negative: 1; the reverse: 0.
  metric.update(rocCounts(0.9, 0.1).data(), 4);
  EXPECT_NEAR(metric.result(), 1.0, 1e-12);
  metric.reset();
  metric.update(rocCounts(0.1, 0.9).data(), 4);
  EXPECT_NEAR(metric.result(), 0.0, 1e-12);
  // Two batches that each rank perfectly: the counts add up before the
  // curve, whose area is the epoch's 12 of 16 ordered pairs, not the mean
  // of the two batches' areas (1).
  metric.reset();
  metric.update(rocCounts(0.9, 0.5).data(), 4);
  metric.update(rocCounts(0.3, 0.1).data(), 4);
  EXPECT_NEAR(metric.result(), 0.75, 1e-12);
  metric.reset();
  EXPECT_DOUBLE_EQ(metric.result(), 0.0);
}

TEST(MetricsTest, RatiosTakeTwoValues) {
  for (const char *kind : {"precision", "recall"}) {
    kiln_metric_desc_t metric{"m", kind, 0};
    EXPECT_EQ(metricValueCount(metric), 2) << kind;
    MetricKind parsed;
    ASSERT_TRUE(parseMetricKind(kind, parsed));
    EXPECT_TRUE(metricImprovesUp(parsed));
    EXPECT_EQ(Metric::formOf(parsed), Metric::Form::Ratio);
  }
  kiln_metric_desc_t auc{"auc", "auc", 0};
  EXPECT_EQ(metricValueCount(auc), 2 * kAucThresholds);
  for (const char *kind : {"loss", "mse", "binary_accuracy",
                           "top_k_categorical_accuracy"}) {
    kiln_metric_desc_t metric{"m", kind, 0};
    EXPECT_EQ(metricValueCount(metric), 1) << kind;
  }
}

} // namespace
