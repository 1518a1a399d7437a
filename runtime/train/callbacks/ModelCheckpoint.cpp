//===- ModelCheckpoint.cpp - Keras's ModelCheckpoint callback ---*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Writes `checkpoint_path` (a weights file: parameters, optimizer slots,
// iteration, epoch, seed, and the state records of the callback list)
// after every epoch, or with `checkpoint_best_only` as Keras's
// `save_best_only=True` does: when `checkpoint_monitor` improves on the
// best so far (the first value always; no min_delta); when the log is
// missing, Keras 3 warns and saves anyway. Its best value is itself
// resumable state.
//
//===----------------------------------------------------------------------===//
#include "base/Status.h"
#include "model/Weights.h"
#include "train/callbacks/Callback.h"

#include <cstdio>

using namespace kiln;

namespace {

constexpr const char *kRecord = "model_checkpoint";

class ModelCheckpoint : public Callback {
public:
  ModelCheckpoint(std::string path, bool bestOnly, Monitor monitor)
      : path(std::move(path)), bestOnly(bestOnly), monitor(std::move(monitor)) {
  }

  kiln_status_t onTrainBegin(FitContext &context) override {
    if (bestOnly)
      KILN_RETURN_IF_ERROR(monitor.resolve(context.model, "ModelCheckpoint"));
    return nullptr;
  }

  kiln_status_t onEpochEnd(FitContext &context, int64_t,
                           LogValues &logs) override {
    if (bestOnly) {
      const double *current = monitor.find(logs);
      if (!current) {
        if (!warned)
          warn("Can save best model only with " + monitor.name() +
               " available.");
        warned = true;
      } else if (monitor.isImprovement(*current, hasBest, best)) {
        hasBest = true;
        best = *current;
      } else {
        return nullptr;
      }
    }
    return saveWeights(context.model, path.c_str(),
                       context.callbacks->state(context));
  }

  void saveState(const FitContext &, StateRecords &records) const override {
    if (!bestOnly)
      return;
    StateWriter writer;
    writer.str(monitor.name()).i64(hasBest).f64(best);
    records.add(kRecord, writer.payload);
  }

  void restoreState(FitContext &, const StateRecords &records) override {
    const std::string *payload = records.find(kRecord);
    if (!bestOnly || !payload)
      return;
    StateReader reader(*payload);
    std::string name;
    int64_t has = 0;
    double value = 0;
    if (reader.str(name) && reader.i64(has) && reader.f64(value) &&
        name == monitor.name()) {
      hasBest = has != 0;
      best = value;
    }
  }

private:
  std::string path;
  bool bestOnly;
  Monitor monitor;
  bool hasBest = false;
  double best = 0;
  bool warned = false;
};

} // namespace

kiln_status_t kiln::makeModelCheckpoint(const kiln_fit_options_t &options,
                                        std::unique_ptr<Callback> &out) {
  const char *name =
      options.checkpoint_monitor ? options.checkpoint_monitor : "val_loss";
  if (!*name)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "checkpoint_monitor is empty");
  out = std::make_unique<ModelCheckpoint>(
      options.checkpoint_path, options.checkpoint_best_only != 0,
      Monitor(name, options.checkpoint_mode, 0));
  return nullptr;
}
