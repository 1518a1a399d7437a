//===- ProgbarLogger.cpp - Keras's ProgbarLogger callback -------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// "Epoch e/E" at every epoch's start, live updates of the progress bar
// (train/Progress.h) after every step and its final line with the epoch's
// logs; verbose 0 prints nothing.
//
//===----------------------------------------------------------------------===//
#include "train/callbacks/Callback.h"

#include <cinttypes>
#include <cstdio>

using namespace kiln;

namespace {

class ProgbarLogger : public Callback {
public:
  kiln_status_t onEpochBegin(FitContext &context, int64_t epoch) override {
    int verbose = context.options->verbose;
    if (verbose)
      std::printf("Epoch %" PRId64 "/%" PRId64 "\n", epoch + 1, context.epochs);
    std::fflush(stdout);
    bar = std::make_unique<ProgressBar>(context.steps, verbose);
    return nullptr;
  }

  kiln_status_t onTrainBatchEnd(FitContext &, int64_t step,
                                const LogValues &logs) override {
    if (bar)
      bar->update(step + 1, logs);
    return nullptr;
  }

  kiln_status_t onEpochEnd(FitContext &context, int64_t,
                           LogValues &logs) override {
    if (bar)
      bar->finish(context.steps, logs);
    bar.reset();
    return nullptr;
  }

private:
  std::unique_ptr<ProgressBar> bar;
};

} // namespace

std::unique_ptr<Callback> kiln::makeProgbarLogger() {
  return std::make_unique<ProgbarLogger>();
}
