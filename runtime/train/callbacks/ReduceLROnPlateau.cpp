//===- ReduceLROnPlateau.cpp - Keras's ReduceLROnPlateau --------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// A port of keras/src/callbacks/reduce_lr_on_plateau.py (Keras 3.15):
//   on_epoch_end(e): logs["learning_rate"] = the rate (float32, as the
//   optimizer variable holds it); a missing monitored log warns (once) and
//   changes nothing. Otherwise: in cooldown, cooldown_counter -= 1 and
//   wait = 0; an improvement (Monitor: value -/+ min_delta better than the
//   best; the first value always) becomes the best with wait = 0; else, out
//   of cooldown, wait += 1 and at wait >= patience a rate above
//   float32(min_lr) becomes max(rate * factor, min_lr) (rounded to float32
//   when assigned), cooldown_counter = cooldown and wait = 0.
// The new rate is what the next train steps get (FitContext::learningRate).
// Resumable state: best, wait, cooldown counter and the current rate.
//
//===----------------------------------------------------------------------===//
#include "base/Options.h"
#include "base/Status.h"
#include "train/callbacks/Callback.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstring>

using namespace kiln;

namespace {

constexpr const char *kRecord = "reduce_lr_on_plateau";

class ReduceLROnPlateau : public Callback {
public:
  explicit ReduceLROnPlateau(const kiln_reduce_lr_on_plateau_options_t &options)
      : options(options),
        monitor(options.monitor, options.mode, options.min_delta) {}

  kiln_status_t onTrainBegin(FitContext &context) override {
    hasBest = false;
    best = 0;
    cooldownCounter = 0;
    wait = 0;
    return monitor.resolve(context.model, "ReduceLROnPlateau");
  }

  kiln_status_t onEpochEnd(FitContext &context, int64_t epoch,
                           LogValues &logs) override {
    double rate = static_cast<double>(context.learningRate);
    bool present = false;
    for (auto &entry : logs)
      if (entry.first == "learning_rate") {
        entry.second = rate;
        present = true;
      }
    if (!present)
      logs.emplace_back("learning_rate", rate);
    const double *current = monitor.find(logs);
    if (!current) {
      if (!warned)
        warn("Learning rate reduction is conditioned on metric `" +
             monitor.name() +
             "` which is not available. Available metrics "
             "are: " +
             Monitor::available(logs) + ".");
      warned = true;
      return nullptr;
    }
    if (cooldownCounter > 0) {
      --cooldownCounter;
      wait = 0;
    }
    if (monitor.isImprovement(*current, hasBest, best)) {
      hasBest = true;
      best = *current;
      wait = 0;
    } else if (cooldownCounter <= 0) {
      ++wait;
      if (wait >= options.patience &&
          rate > static_cast<double>(static_cast<float>(options.min_lr))) {
        double reduced = std::max(rate * options.factor, options.min_lr);
        context.learningRate = static_cast<float>(reduced);
        if (options.verbose > 0) {
          std::printf("\nEpoch %" PRId64
                      ": ReduceLROnPlateau reducing learning rate to %s.\n",
                      epoch + 1, pythonFloat(reduced).c_str());
          std::fflush(stdout);
        }
        cooldownCounter = options.cooldown;
        wait = 0;
      }
    }
    return nullptr;
  }

  void saveState(const FitContext &context,
                 StateRecords &records) const override {
    StateWriter writer;
    writer.str(monitor.name())
        .i64(wait)
        .i64(cooldownCounter)
        .i64(hasBest)
        .f64(best)
        .f64(static_cast<double>(context.learningRate));
    records.add(kRecord, writer.payload);
  }

  void restoreState(FitContext &context, const StateRecords &records) override {
    const std::string *payload = records.find(kRecord);
    if (!payload)
      return;
    StateReader reader(*payload);
    std::string name;
    int64_t savedWait, cooldown, has;
    double value, rate;
    if (!reader.str(name) || name != monitor.name() || !reader.i64(savedWait) ||
        !reader.i64(cooldown) || !reader.i64(has) || !reader.f64(value) ||
        !reader.f64(rate) || !reader.atEnd())
      return;
    wait = savedWait;
    cooldownCounter = cooldown;
    hasBest = has != 0;
    best = value;
    // An explicit learning_rate wins over the resumed one.
    if (!(context.options->learning_rate >= 0))
      context.learningRate = static_cast<float>(rate);
  }

private:
  kiln_reduce_lr_on_plateau_options_t options;
  Monitor monitor;
  bool hasBest = false;
  double best = 0;
  int64_t wait = 0, cooldownCounter = 0;
  bool warned = false;
};

} // namespace

kiln_status_t
kiln::makeReduceLROnPlateau(const kiln_reduce_lr_on_plateau_options_t *given,
                            std::unique_ptr<Callback> &out) {
  kiln_reduce_lr_on_plateau_options_t options;
  KILN_RETURN_IF_ERROR(
      completeOptions(given, kiln_reduce_lr_on_plateau_options_initialize,
                      "kiln_reduce_lr_on_plateau_options_initialize", options));
  if (!options.monitor || !*options.monitor)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "reduce_lr_on_plateau: monitor is empty");
  if (!(options.factor < 1.0))
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "ReduceLROnPlateau does not support a factor >= 1.0. "
                       "Received factor=%s",
                       pythonFloat(options.factor).c_str());
  if (options.patience < 0 || options.cooldown < 0)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "reduce_lr_on_plateau: patience and cooldown must not "
                       "be negative");
  out = std::make_unique<ReduceLROnPlateau>(options);
  return nullptr;
}

extern "C" void kiln_reduce_lr_on_plateau_options_initialize(
    kiln_reduce_lr_on_plateau_options_t *options) {
  if (!options)
    return;
  std::memset(options, 0, sizeof(*options));
  options->struct_size = sizeof(*options);
  options->monitor = "val_loss";
  options->factor = 0.1;
  options->patience = 10;
  options->min_delta = 1e-4;
}
