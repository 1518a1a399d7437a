//===- Callback.h - Keras's callback hooks for fit --------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// `fit` (Train.cpp) is Keras 3's `Model.fit` loop over a `CallbackList`:
//
//   on_train_begin
//   for epoch in initial_epoch .. epochs-1:
//     on_epoch_begin(epoch)
//     for step in 0 .. steps-1:
//       train_step(learning_rate); on_train_batch_end(step, running logs)
//       if stop_training: break
//     validation; on_epoch_end(epoch, logs)   (callbacks may add logs)
//     if stop_training: break
//   on_train_end
//
// Epochs are 0-based here, as Keras passes them to callbacks. A callback
// asks to stop by setting `FitContext::stopTraining` (Keras's
// `model.stop_training`) and changes the learning rate of the following
// steps through `FitContext::learningRate` (Keras's
// `optimizer.learning_rate`; the compiled train step takes it as a
// run-time scalar). Callbacks run in list order; `makeCallbacks`
// (Callbacks.cpp) builds the list from the fit options.
//
// Checkpoints: a callback with state that `--resume` should restore
// (best values, wait counters, the current learning rate) writes a named
// record with `saveState`; ModelCheckpoint stores the records of the whole
// list in the weights file (model/Weights.cpp, format version 2) and
// `restoreState` gets them back, after `onTrainBegin`, on resume.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_TRAIN_CALLBACKS_CALLBACK_H
#define KILN_RUNTIME_TRAIN_CALLBACKS_CALLBACK_H

#include "kiln/runtime.h"
#include "train/Progress.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace kiln {

class CallbackList;

/// What callbacks see of a fit and may change (Keras's `self.model` and
/// `self.params`).
struct FitContext {
  kiln_model_t *model = nullptr;
  const kiln_fit_options_t *options = nullptr;
  int64_t epochs = 0;       // the final epoch index
  int64_t steps = 0;        // steps per epoch
  int64_t initialEpoch = 0; // the first epoch this fit runs (0-based)
  // During on_epoch_end: the epoch's logs (state saved then includes them).
  const LogValues *epochLogs = nullptr;
  bool hasValidation = false;
  float learningRate = 0;    // of the next train steps
  bool stopTraining = false; // model.stop_training
  const CallbackList *callbacks = nullptr;
};

/// Named binary records of callback state, kept in checkpoints.
class StateRecords {
public:
  /// Parses `bytes`; false if they are malformed (then no records).
  bool parse(const std::string &bytes);
  void add(const std::string &name, const std::string &payload);
  /// The payload of `name`, or NULL.
  const std::string *find(const std::string &name) const;
  std::string serialize() const;
  bool empty() const { return records.empty(); }

private:
  std::vector<std::pair<std::string, std::string>> records;
};

/// Little-endian fields of a state record.
class StateWriter {
public:
  StateWriter &i64(int64_t value);
  StateWriter &f64(double value);
  StateWriter &str(const std::string &value);
  StateWriter &bytes(const void *data, size_t size);
  std::string payload;
};

class StateReader {
public:
  explicit StateReader(const std::string &payload) : payload(payload) {}
  bool i64(int64_t &value);
  bool f64(double &value);
  bool str(std::string &value);
  /// Exactly `size` bytes into `data`.
  bool bytes(void *data, size_t size);
  bool atEnd() const { return offset == payload.size(); }

private:
  const std::string &payload;
  size_t offset = 0;
};

class Callback {
public:
  virtual ~Callback() = default;
  virtual kiln_status_t onTrainBegin(FitContext &) { return nullptr; }
  virtual kiln_status_t onTrainEnd(FitContext &) { return nullptr; }
  virtual kiln_status_t onEpochBegin(FitContext &, int64_t /*epoch*/) {
    return nullptr;
  }
  virtual kiln_status_t onEpochEnd(FitContext &, int64_t /*epoch*/,
                                   LogValues & /*logs*/) {
    return nullptr;
  }
  virtual kiln_status_t onTrainBatchEnd(FitContext &, int64_t /*step*/,
                                        const LogValues & /*logs*/) {
    return nullptr;
  }
  /// Adds this callback's resumable state to `records` (default: none).
  virtual void saveState(const FitContext &, StateRecords &) const {}
  /// Restores what `saveState` wrote; records it does not find or cannot
  /// use leave it fresh.
  virtual void restoreState(FitContext &, const StateRecords &) {}
};

/// The callbacks of one fit, called in order; the first error stops a hook.
class CallbackList {
public:
  void add(std::unique_ptr<Callback> callback) {
    callbacks.push_back(std::move(callback));
  }
  kiln_status_t trainBegin(FitContext &context);
  kiln_status_t trainEnd(FitContext &context);
  kiln_status_t epochBegin(FitContext &context, int64_t epoch);
  kiln_status_t epochEnd(FitContext &context, int64_t epoch, LogValues &logs);
  kiln_status_t trainBatchEnd(FitContext &context, int64_t step,
                              const LogValues &logs);
  /// The serialized state records of every callback ("" when none has
  /// state: checkpoints then stay in weights format version 1).
  std::string state(const FitContext &context) const;
  void restore(FitContext &context, const std::string &state);

private:
  std::vector<std::unique_ptr<Callback>> callbacks;
};

//===----------------------------------------------------------------------===//
// Shared pieces
//===----------------------------------------------------------------------===//

/// Keras's MonitorCallback (keras/src/callbacks/monitor_callback.py): the
/// monitored log, its direction and `min_delta`.
class Monitor {
public:
  /// `mode` is a kiln_monitor_mode_t; `minDelta`'s absolute value is used.
  Monitor(std::string name, int32_t mode, double minDelta);
  /// Keras's `_set_monitor_op`: min/max, or in auto mode "loss"/"val_loss"
  /// minimize and metrics go their own direction (accuracies up, errors
  /// and crossentropies down); any other name in auto mode is the
  /// INVALID_ARGUMENT Keras raises as ValueError (`who` names the callback).
  kiln_status_t resolve(const kiln_model_t *model, const char *who);
  /// `monitor_op(value - min_delta, reference)`; true without a reference.
  bool isImprovement(double value, bool hasReference, double reference) const;
  /// The monitored value in `logs`, or NULL.
  const double *find(const LogValues &logs) const;
  /// "loss,mae,...": the names in `logs` as Keras lists them.
  static std::string available(const LogValues &logs);
  const std::string &name() const { return monitored; }
  int32_t mode() const { return requestedMode; }

private:
  std::string monitored;
  int32_t requestedMode;
  bool greater = false;
  double minDelta;
};

/// Python's `repr(float)`: the shortest digits that read back, fixed
/// notation for exponents -4..15 ("0.5", "3.0", "1e-05", "nan", "inf").
std::string pythonFloat(double value);

/// Prints "warning: <message>" on stderr.
void warn(const std::string &message);

//===----------------------------------------------------------------------===//
// The callbacks, one file each
//===----------------------------------------------------------------------===//

/// Keras's ProgbarLogger: "Epoch e/E" and the progress bar (Progress.h).
std::unique_ptr<Callback> makeProgbarLogger();

/// Keras's History: `history_path` JSON after every epoch and the
/// `on_epoch_end` hook of the options. `json()` is history.history, with
/// null for NaN and infinite values (JSON has no NaN). When resuming, the
/// epochs before the first one run come back from the checkpoint (its
/// "history" state record) or else from the existing `history_path` file,
/// so the file continues instead of restarting.
class History : public Callback {
public:
  kiln_status_t onTrainBegin(FitContext &context) override;
  kiln_status_t onEpochEnd(FitContext &context, int64_t epoch,
                           LogValues &logs) override;
  kiln_status_t onTrainEnd(FitContext &context) override;
  void saveState(const FitContext &context,
                 StateRecords &records) const override;
  void restoreState(FitContext &context, const StateRecords &records) override;
  std::string json() const;

private:
  /// Keeps the first `epochs` epochs (fewer when fewer are known).
  void truncate(int64_t epochs);
  /// Appends one epoch's `logs` by name (missing ones null) as epoch
  /// `firstEpoch` or later (earlier unknown epochs null).
  static void append(std::vector<std::string> &names,
                     std::vector<std::vector<double>> &values,
                     const LogValues &logs, int64_t firstEpoch);
  /// The first epoch a resumed fit runs (0 when not resuming).
  static int64_t firstEpoch(const FitContext &context);
  int64_t epochCount() const {
    return values.empty() ? 0 : static_cast<int64_t>(values[0].size());
  }

  std::vector<std::string> names;
  std::vector<std::vector<double>> values;
  bool checked = false, written = false;
};

/// Parses a history JSON object as History writes it ({"name": [numbers or
/// null, ...], ...}; NaN/Infinity as older runtimes wrote them). False if
/// `text` is not one.
bool parseHistoryJson(const std::string &text, std::vector<std::string> &names,
                      std::vector<std::vector<double>> &values);

/// Keras's ModelCheckpoint (save_weights_only) to `checkpoint_path`, every
/// epoch or with `checkpoint_best_only` on improvement of
/// `checkpoint_monitor`.
kiln_status_t makeModelCheckpoint(const kiln_fit_options_t &options,
                                  std::unique_ptr<Callback> &out);

/// Keras's TensorBoard callback to `logdir` (formats/Events.h).
std::unique_ptr<Callback> makeTensorBoard();

/// Keras's EarlyStopping.
kiln_status_t makeEarlyStopping(const kiln_early_stopping_options_t *options,
                                std::unique_ptr<Callback> &out);

/// Keras's ReduceLROnPlateau.
kiln_status_t
makeReduceLROnPlateau(const kiln_reduce_lr_on_plateau_options_t *options,
                      std::unique_ptr<Callback> &out);

/// Keras's CSVLogger to `csv_log_path` (append: `csv_append`).
std::unique_ptr<Callback> makeCSVLogger();

/// Keras's TerminateOnNaN.
std::unique_ptr<Callback> makeTerminateOnNaN();

/// The callbacks `options` ask for, in the order they run: TensorBoard
/// (before anything changes the rate), TerminateOnNaN, EarlyStopping,
/// ReduceLROnPlateau (adds "learning_rate"), ModelCheckpoint (after the
/// state it saves has changed), CSVLogger, ProgbarLogger, History (its
/// `on_epoch_end` hook last, after the files are written). `history` points
/// into the list.
kiln_status_t makeCallbacks(const kiln_fit_options_t &options,
                            CallbackList &list, History *&history);

/// Helper of History: the shortest %g form of a double that reads back
/// exactly; NaN and infinities are `null` (strict JSON has no NaN: Python's
/// json.dumps would write the invalid tokens NaN/Infinity, JavaScript's
/// JSON.stringify writes null).
std::string formatJsonDouble(double value);

/// Writes `text` to `path` atomically; every failure is IO_ERROR.
kiln_status_t writeTextAtomic(const char *path, const std::string &text);

} // namespace kiln

#endif // KILN_RUNTIME_TRAIN_CALLBACKS_CALLBACK_H
