//===- Progress.h - Keras's progress bar (Progbar) --------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// The console output of `fit` and `evaluate`, as tf.keras 2.13-2.15's
// `keras.utils.Progbar` prints it:
//   verbose=1, live:  "\r 12/469 [=>.....] - ETA: 3s - loss: 0.5123"
//   verbose=1, final: "469/469 [======] - 2s 4ms/step - loss: 0.4990"
//   verbose=2, final: "469/469 - 2s - 4ms/step - loss: 0.4990"
// Live updates are drawn in place with '\r' only when stdout is a terminal,
// at most every 0.05 s (Keras's interval); otherwise only the final line is
// printed. Values print with 4 decimals, or as %.4e when |v| <= 1e-3.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_TRAIN_PROGRESS_H
#define KILN_RUNTIME_TRAIN_PROGRESS_H

#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

namespace kiln {

/// Seconds on a monotonic clock.
double monotonicSeconds();

/// Name/value pairs shown after the timing.
using LogValues = std::vector<std::pair<std::string, double>>;

class ProgressBar {
public:
  /// A bar over `target` steps at Keras verbosity `verbose` (0, 1 or 2).
  ProgressBar(int64_t target, int verbose, FILE *stream = stdout);

  /// Reports `current` steps done; draws a live line when due.
  void update(int64_t current, const LogValues &values);
  /// Prints the final line for `current` steps with `values`.
  void finish(int64_t current, const LogValues &values);

private:
  std::string formatValues(const LogValues &values, bool absolute) const;
  std::string formatBar(int64_t current) const;

  int64_t target;
  int verbose;
  FILE *stream;
  bool dynamic;
  double start;
  double lastUpdate = -1;
  size_t previousWidth = 0;
};

} // namespace kiln

#endif // KILN_RUNTIME_TRAIN_PROGRESS_H
