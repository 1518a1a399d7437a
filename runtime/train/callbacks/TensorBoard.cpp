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
    KILN_RETURN_IF_ERROR(
        train.writeScalar("epoch_learning_rate", epoch, context.learningRate));
    int64_t freq = context.options->histogram_freq;
    if (freq > 0 && epoch % freq == 0)
      KILN_RETURN_IF_ERROR(writeHistograms(context.model, epoch));
    return nullptr;
  }

  kiln_status_t onTrainEnd(FitContext &) override {
    kiln_status_t status = train.close();
    kiln_status_t other = validation.close();
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
          writer.writeScalar(prefix + name, step, entry.second));
    }
    return nullptr;
  }

  kiln_status_t writeHistograms(const kiln_model_t *model, int64_t step) {
    const kiln_model_desc_t *desc = model->desc;
    for (int64_t i = 0; i < desc->num_params; ++i) {
      const kiln_tensor_desc_t &param = desc->params[i];
      if (param.dtype != KILN_DTYPE_F32)
        continue;
      auto count = static_cast<int64_t>(tensorByteSize(param) / sizeof(float));
      KILN_RETURN_IF_ERROR(train.writeHistogram(
          param.name, step, static_cast<const float *>(model->paramPointers[i]),
          count));
    }
    return nullptr;
  }

  EventWriter train, validation;
};

} // namespace

std::unique_ptr<Callback> kiln::makeTensorBoard() {
  return std::make_unique<TensorBoard>();
}
