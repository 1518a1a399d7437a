//===- TensorBoard.cpp - Keras's TensorBoard callback -----------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// With `logdir`, event files in logdir/train and (with validation data)
// logdir/validation, as Keras's TensorBoard callback writes them:
// epoch_<log> scalars at step = the 0-based epoch ("val_" logs in the
// validation file without the prefix), epoch_learning_rate (the rate the
// epoch trained with: it runs before ReduceLROnPlateau), batch_<log>
// running means every `log_every` steps at step = the iteration count, and
// parameter histograms every `histogram_freq` epochs (formats/Events.cpp).
//
// A failed write (a full disk) does not stop training: the event file is
// cut back to its last complete record (EventWriter), the error is reported
// once as a warning naming the file, and that file gets no more events.
//
//===----------------------------------------------------------------------===//
#include "base/Descriptor.h"
#include "base/Status.h"
#include "formats/Events.h"
#include "model/Model.h"
#include "train/callbacks/Callback.h"

using namespace kiln;

namespace {

class TensorBoard : public Callback {
public:
  kiln_status_t onTrainBegin(FitContext &context) override {
    const kiln_fit_options_t &options = *context.options;
    if (!*options.logdir)
      return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT, "logdir is empty");
    std::string dir = options.logdir;
    KILN_RETURN_IF_ERROR(train.open(dir + "/train"));
    if (context.hasValidation)
      KILN_RETURN_IF_ERROR(validation.open(dir + "/validation"));
    return nullptr;
  }

  kiln_status_t onTrainBatchEnd(FitContext &context, int64_t,
                                const LogValues &logs) override {
    int64_t every = context.options->log_every;
    int64_t iterations = context.model->iterations;
    if (every > 0 && iterations % every == 0)
      return writeLogs(logs, "batch_", iterations);
    return nullptr;
  }

  kiln_status_t onEpochEnd(FitContext &context, int64_t epoch,
                           LogValues &logs) override {
    KILN_RETURN_IF_ERROR(writeLogs(logs, "epoch_", epoch));
    KILN_RETURN_IF_ERROR(report(
        train.writeScalar("epoch_learning_rate", epoch, context.learningRate)));
    int64_t freq = context.options->histogram_freq;
    if (freq > 0 && epoch % freq == 0)
      KILN_RETURN_IF_ERROR(writeHistograms(context.model, epoch));
    return nullptr;
  }

  kiln_status_t onTrainEnd(FitContext &) override {
    kiln_status_t status = report(train.close());
    kiln_status_t other = report(validation.close());
    if (status) {
      kiln_status_ignore(other);
      return status;
    }
    return other;
  }

private:
  /// Writes `logs` as "<prefix><name>" scalars; "val_" logs go to the
  /// validation file without their prefix.
  kiln_status_t writeLogs(const LogValues &logs, const char *prefix,
                          int64_t step) {
    for (const auto &entry : logs) {
      bool isValidation = entry.first.rfind("val_", 0) == 0;
      EventWriter &writer = isValidation ? validation : train;
      if (!writer.isOpen())
        continue;
      std::string name = isValidation ? entry.first.substr(4) : entry.first;
      KILN_RETURN_IF_ERROR(
          report(writer.writeScalar(prefix + name, step, entry.second)));
    }
    return nullptr;
  }

  /// Warns about the first failed write (the writer keeps failing with
  /// the same error and is skipped); training goes on.
  kiln_status_t report(kiln_status_t status) {
    if (!status)
      return nullptr;
    if (kiln_status_code(status) != KILN_STATUS_IO_ERROR)
      return status;
    if (!warned)
      warn(std::string(kiln_status_message(status)) +
           "; TensorBoard logging to it stops, training continues");
    warned = true;
    kiln_status_free(status);
    return nullptr;
  }

  kiln_status_t writeHistograms(const kiln_model_t *model, int64_t step) {
    const kiln_model_desc_t *desc = model->desc;
    for (int64_t i = 0; i < desc->num_params; ++i) {
      const kiln_tensor_desc_t &param = desc->params[i];
      if (param.dtype != KILN_DTYPE_F32)
        continue;
      auto count = static_cast<int64_t>(tensorByteSize(param) / sizeof(float));
      KILN_RETURN_IF_ERROR(report(train.writeHistogram(
          param.name, step, static_cast<const float *>(model->paramPointers[i]),
          count)));
    }
    return nullptr;
  }

  EventWriter train, validation;
  bool warned = false;
};

} // namespace

std::unique_ptr<Callback> kiln::makeTensorBoard() {
  return std::make_unique<TensorBoard>();
}
