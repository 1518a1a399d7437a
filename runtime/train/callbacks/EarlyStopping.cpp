//===- EarlyStopping.cpp - Keras's EarlyStopping callback -------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// A port of keras/src/callbacks/early_stopping.py (Keras 3.15):
//   on_epoch_end(e): nothing when the monitored log is missing (a warning,
//   once) or e < start_from_epoch; with restore_best_weights the first
//   monitored epoch's parameters stand as the best until one improves;
//   wait += 1; an improvement (see Monitor; the first value always is one)
//   becomes the best and resets wait when it also beats the baseline (if
//   any); otherwise wait >= patience and e > 0 stop training.
//   on_train_end: "Epoch N: early stopping" (verbose), then the best
//   parameters are restored (Keras's get_weights/set_weights: parameters,
//   not the optimizer's slots).
// Resumable state: best, wait, best epoch and the best parameters.
//
//===----------------------------------------------------------------------===//
#include "base/Descriptor.h"
#include "base/Options.h"
#include "base/Status.h"
#include "model/Model.h"
#include "train/callbacks/Callback.h"

#include <cinttypes>
#include <cstdio>
#include <cstring>

using namespace kiln;

namespace {

constexpr const char *kRecord = "early_stopping";

class EarlyStopping : public Callback {
public:
  explicit EarlyStopping(const kiln_early_stopping_options_t &options)
      : options(options),
        monitor(options.monitor, options.mode, options.min_delta),
        baseline(options.has_baseline != 0, options.baseline) {}

  kiln_status_t onTrainBegin(FitContext &context) override {
    wait = 0;
    stoppedEpoch = 0;
    hasBest = false;
    best = 0;
    bestWeights.clear();
    bestEpoch = 0;
    return monitor.resolve(context.model, "EarlyStopping");
  }

  kiln_status_t onEpochEnd(FitContext &context, int64_t epoch,
                           LogValues &logs) override {
    const double *current = monitor.find(logs);
    if (!current) {
      if (!warned)
        warn("Early stopping conditioned on metric `" + monitor.name() +
             "` which is not available. Available metrics are: " +
             Monitor::available(logs));
      warned = true;
      return nullptr;
    }
    if (epoch < options.start_from_epoch)
      return nullptr;
    if (options.restore_best_weights && bestWeights.empty()) {
      bestWeights = getWeights(context.model);
      bestEpoch = epoch;
    }
    ++wait;
    if (monitor.isImprovement(*current, hasBest, best)) {
      hasBest = true;
      best = *current;
      bestEpoch = epoch;
      if (options.restore_best_weights)
        bestWeights = getWeights(context.model);
      if (!baseline.first ||
          monitor.isImprovement(*current, true, baseline.second))
        wait = 0;
      return nullptr;
    }
    if (wait >= options.patience && epoch > 0) {
      stoppedEpoch = epoch;
      context.stopTraining = true;
    }
    return nullptr;
  }

  kiln_status_t onTrainEnd(FitContext &context) override {
    if (stoppedEpoch > 0 && options.verbose > 0)
      std::printf("Epoch %" PRId64 ": early stopping\n", stoppedEpoch + 1);
    if (options.restore_best_weights && !bestWeights.empty()) {
      if (options.verbose > 0)
        std::printf("Restoring model weights from the end of the best epoch: "
                    "%" PRId64 ".\n",
                    bestEpoch + 1);
      setWeights(context.model, bestWeights);
    }
    std::fflush(stdout);
    return nullptr;
  }

  void saveState(const FitContext &, StateRecords &records) const override {
    StateWriter writer;
    writer.str(monitor.name())
        .i64(wait)
        .i64(hasBest)
        .f64(best)
        .i64(bestEpoch)
        .i64(static_cast<int64_t>(bestWeights.size()))
        .bytes(bestWeights.data(), bestWeights.size());
    records.add(kRecord, writer.payload);
  }

  void restoreState(FitContext &context, const StateRecords &records) override {
    const std::string *payload = records.find(kRecord);
    if (!payload)
      return;
    StateReader reader(*payload);
    std::string name;
    int64_t savedWait, has, epoch, size;
    double value;
    if (!reader.str(name) || name != monitor.name() || !reader.i64(savedWait) ||
        !reader.i64(has) || !reader.f64(value) || !reader.i64(epoch) ||
        !reader.i64(size) || size < 0)
      return;
    std::string weights(static_cast<size_t>(size), '\0');
    if (!reader.bytes(&weights[0], weights.size()) || !reader.atEnd())
      return;
    wait = savedWait;
    hasBest = has != 0;
    best = value;
    bestEpoch = epoch;
    if (options.restore_best_weights &&
        weights.size() == getWeights(context.model).size())
      bestWeights = std::move(weights);
  }

private:
  static std::string getWeights(const kiln_model_t *model) {
    std::string bytes;
    const kiln_model_desc_t *desc = model->desc;
    for (int64_t i = 0; i < desc->num_params; ++i)
      bytes.append(static_cast<const char *>(model->paramPointers[i]),
                   tensorByteSize(desc->params[i]));
    return bytes;
  }

  static void setWeights(kiln_model_t *model, const std::string &bytes) {
    const kiln_model_desc_t *desc = model->desc;
    size_t offset = 0;
    for (int64_t i = 0; i < desc->num_params; ++i) {
      size_t size = tensorByteSize(desc->params[i]);
      if (size)
        std::memcpy(model->paramPointers[i], bytes.data() + offset, size);
      offset += size;
    }
    paramsWritten(model);
  }

  kiln_early_stopping_options_t options;
  Monitor monitor;
  std::pair<bool, double> baseline;
  int64_t wait = 0, stoppedEpoch = 0, bestEpoch = 0;
  bool hasBest = false;
  double best = 0;
  std::string bestWeights;
  bool warned = false;
};

} // namespace

kiln_status_t
kiln::makeEarlyStopping(const kiln_early_stopping_options_t *given,
                        std::unique_ptr<Callback> &out) {
  kiln_early_stopping_options_t options;
  KILN_RETURN_IF_ERROR(
      completeOptions(given, kiln_early_stopping_options_initialize,
                      "kiln_early_stopping_options_initialize", options));
  if (!options.monitor || !*options.monitor)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "early_stopping: monitor is empty");
  if (options.patience < 0 || options.start_from_epoch < 0)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "early_stopping: patience and start_from_epoch must "
                       "not be negative");
  out = std::make_unique<EarlyStopping>(options);
  return nullptr;
}

extern "C" void
kiln_early_stopping_options_initialize(kiln_early_stopping_options_t *options) {
  if (!options)
    return;
  std::memset(options, 0, sizeof(*options));
  options->struct_size = sizeof(*options);
  options->monitor = "val_loss";
}
