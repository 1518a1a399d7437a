//===- TerminateOnNaN.cpp - Keras's TerminateOnNaN callback -----*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// keras/src/callbacks/terminate_on_nan.py: after a step whose "loss" log
// (the epoch's running mean, as Keras 3 reports batch logs) is NaN or
// infinite, prints "Batch <step>: Invalid loss, terminating training" (step
// 0-based within the epoch) and stops training; the epoch still ends
// (validation, epoch logs) as Keras's fit loop does.
//
//===----------------------------------------------------------------------===//
#include "train/callbacks/Callback.h"

#include <cinttypes>
#include <cmath>
#include <cstdio>

using namespace kiln;

namespace {

class TerminateOnNaN : public Callback {
public:
  kiln_status_t onTrainBatchEnd(FitContext &context, int64_t step,
                                const LogValues &logs) override {
    for (const auto &entry : logs)
      if (entry.first == "loss" && !std::isfinite(entry.second)) {
        std::printf("Batch %" PRId64 ": Invalid loss, terminating training\n",
                    step);
        std::fflush(stdout);
        context.stopTraining = true;
      }
    return nullptr;
  }
};

} // namespace

std::unique_ptr<Callback> kiln::makeTerminateOnNaN() {
  return std::make_unique<TerminateOnNaN>();
}
