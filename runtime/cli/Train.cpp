//===- Train.cpp - ./model train --------------------------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// `./model train`: Keras `fit` over .npy/.npz/IDX or TFRecord data.
//
//===----------------------------------------------------------------------===//
#include "cli/Cli.h"

#include <cinttypes>
#include <cmath>
#include <cstdlib>
#include <cstring>

namespace kiln::cli {

int Cli::runTrain() {
  std::vector<Option> options;
  if (int code = parseOptions({{"--data", true},
                               {"--validation-data", true},
                               {"--epochs", true},
                               {"--batch-size", true},
                               {"--shuffle", false},
                               {"--no-shuffle", false},
                               {"--seed", true},
                               {"--steps-per-epoch", true},
                               {"--initial-epoch", true},
                               {"--learning-rate", true},
                               {"--history", true},
                               {"--save-weights", true},
                               {"--checkpoint", true},
                               {"--resume", true},
                               {"--logdir", true},
                               {"--log-every", true},
                               {"--histogram-freq", true},
                               {"--features", true},
                               {"--label", true},
                               {"--verbose", true},
                               {"--shuffle-buffer", true},
                               {"--prefetch", true},
                               {"--drop-remainder", false},
                               {"--skip-corrupt", false}},
                              options);
      code >= 0)
    return code;
  if (int code = requireTraining(/*train=*/true); code >= 0)
    return code;
  kiln_fit_options_t fit;
  kiln_fit_options_initialize(&fit);
  bool skipCorrupt = false;
  std::string data, validation;
  std::vector<const char *> features, labels;
  const int64_t big = INT64_MAX / 4;
  for (const Option &option : options) {
    const std::string &flag = option.flag;
    int64_t value = 0;
    int code = -1;
    if (flag == "--data") {
      data = option.value;
    } else if (flag == "--validation-data") {
      validation = option.value;
    } else if (flag == "--epochs") {
      code = parseInteger(option, 0, big, "a non-negative integer", value);
      fit.epochs = value;
    } else if (flag == "--batch-size") {
      code = parseInteger(option, 1, big, "a positive integer", value);
      fit.batch_size = value;
    } else if (flag == "--shuffle" || flag == "--no-shuffle") {
      fit.shuffle = flag == "--shuffle";
    } else if (flag == "--seed") {
      code =
          parseInteger(option, 0, INT64_MAX, "a non-negative integer", value);
      fit.seed = value;
    } else if (flag == "--shuffle-buffer") {
      code = parseInteger(option, 1, big, "a positive integer", value);
      fit.shuffle_buffer = value;
    } else if (flag == "--prefetch") {
      code = parseInteger(option, 1, 1 << 20, "a positive integer", value);
      fit.prefetch = value;
    } else if (flag == "--drop-remainder") {
      fit.drop_remainder = 1;
    } else if (flag == "--skip-corrupt") {
      skipCorrupt = true;
    } else if (flag == "--steps-per-epoch") {
      code = parseInteger(option, 1, big, "a positive integer", value);
      fit.steps_per_epoch = value;
    } else if (flag == "--initial-epoch") {
      code = parseInteger(option, 0, big, "a non-negative integer", value);
      fit.initial_epoch = value;
    } else if (flag == "--verbose") {
      code = parseInteger(option, 0, 2, "0, 1 or 2", value);
      fit.verbose = static_cast<int32_t>(value);
    } else if (flag == "--learning-rate") {
      char *end = nullptr;
      errno = 0;
      double rate = std::strtod(option.value.c_str(), &end);
      if (errno != 0 || *end != '\0' || !std::isfinite(rate) || rate < 0)
        return usageError("train: --learning-rate needs a non-negative "
                          "number, got '" +
                          option.value + "'");
      fit.learning_rate = rate;
    } else if (flag == "--history") {
      fit.history_path = option.value.c_str();
    } else if (flag == "--save-weights") {
      fit.save_weights_path = option.value.c_str();
    } else if (flag == "--checkpoint") {
      fit.checkpoint_path = option.value.c_str();
    } else if (flag == "--resume") {
      fit.resume_path = option.value.c_str();
    } else if (flag == "--features") {
      features.push_back(option.value.c_str());
    } else if (flag == "--label") {
      labels.push_back(option.value.c_str());
    } else if (flag == "--logdir") {
      fit.logdir = option.value.c_str();
    } else if (flag == "--log-every") {
      code = parseInteger(option, 1, big, "a positive integer", value);
      fit.log_every = value;
    } else if (flag == "--histogram-freq") {
      code = parseInteger(option, 1, big, "a positive integer", value);
      fit.histogram_freq = value;
    }
    if (code >= 0)
      return code;
  }
  if (data.empty())
    return usageError("train: --data SPEC is required");
  if ((fit.log_every || fit.histogram_freq) && !fit.logdir)
    return usageError("train: --log-every and --histogram-freq need "
                      "--logdir DIR");
  if (int code = checkFeatureCounts(features, labels); code >= 0)
    return code;

  ModelRef ref;
  if (int code = createModel(ref, nullptr); code >= 0)
    return code;
  DatasetRef train, check;
  if (int code = openDataset(data, features, labels, skipCorrupt, train);
      code >= 0)
    return code;
  if (!validation.empty()) {
    if (int code =
            openDataset(validation, features, labels, skipCorrupt, check);
        code >= 0)
      return code;
    fit.validation_data = check.dataset;
  }
  if (kiln_status_t status =
          kiln_model_fit(ref.model, train.dataset, &fit, nullptr))
    return runtimeError(status);
  return kExitOk;
}

} // namespace kiln::cli
