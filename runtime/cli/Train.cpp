//===- Train.cpp - ./model train --------------------------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// `./model train`: Keras `fit` over .npy/.npz/IDX or TFRecord data.
//
//===----------------------------------------------------------------------===//
#include "cli/Cli.h"

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace kiln::cli {

namespace {

/// The files of data SPECs ("x.npy,y.npy", "train.tfrecord").
void addSpecFiles(const std::string &spec, std::vector<std::string> &files) {
  size_t start = 0;
  while (start <= spec.size()) {
    size_t comma = spec.find(',', start);
    std::string part = spec.substr(
        start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!part.empty())
      files.push_back(part);
    if (comma == std::string::npos)
      break;
    start = comma + 1;
  }
}

/// The fields of a callback SPEC: "key=value,..." (a first item without
/// '=' is the monitor).
struct SpecParser {
  std::string error;

  bool number(const std::string &key, const std::string &text, double &out) {
    char *end = nullptr;
    errno = 0;
    out = std::strtod(text.c_str(), &end);
    if (errno != 0 || *end != '\0' || text.empty() || !std::isfinite(out)) {
      error = key + " needs a number, got '" + text + "'";
      return false;
    }
    return true;
  }

  bool integer(const std::string &key, const std::string &text, int64_t &out) {
    char *end = nullptr;
    errno = 0;
    long long value = std::strtoll(text.c_str(), &end, 10);
    if (errno != 0 || *end != '\0' || text.empty() || value < 0) {
      error = key + " needs a non-negative integer, got '" + text + "'";
      return false;
    }
    out = value;
    return true;
  }

  bool boolean(const std::string &key, const std::string &text, int32_t &out) {
    if (text == "true" || text == "True" || text == "1") {
      out = 1;
    } else if (text == "false" || text == "False" || text == "0") {
      out = 0;
    } else {
      error = key + " needs true or false, got '" + text + "'";
      return false;
    }
    return true;
  }

  bool mode(const std::string &text, int32_t &out) {
    if (text == "auto")
      out = KILN_MONITOR_AUTO;
    else if (text == "min")
      out = KILN_MONITOR_MIN;
    else if (text == "max")
      out = KILN_MONITOR_MAX;
    else {
      error = "mode needs auto, min or max, got '" + text + "'";
      return false;
    }
    return true;
  }

  /// Splits `spec` and calls `field(key, value)` for each item.
  template <typename Field> bool parse(const std::string &spec, Field field) {
    size_t start = 0;
    for (bool first = true; start <= spec.size(); first = false) {
      size_t comma = spec.find(',', start);
      std::string item =
          spec.substr(start, comma == std::string::npos ? std::string::npos
                                                        : comma - start);
      start = comma == std::string::npos ? spec.size() + 1 : comma + 1;
      size_t eq = item.find('=');
      std::string key = eq == std::string::npos ? "" : item.substr(0, eq);
      std::string value = eq == std::string::npos ? item : item.substr(eq + 1);
      if (eq == std::string::npos && !(first && !item.empty())) {
        error = "expected key=value, got '" + item + "'";
        return false;
      }
      if (key.empty())
        key = "monitor";
      if (key == "monitor" && value.empty()) {
        error = "monitor needs a log name";
        return false;
      }
      if (!field(key, value))
        return false;
    }
    return true;
  }
};

} // namespace

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
                               {"--repeat", false},
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
                               {"--skip-corrupt", false},
                               {"--early-stopping", true},
                               {"--checkpoint-best", false},
                               {"--checkpoint-monitor", true},
                               {"--reduce-lr-on-plateau", true},
                               {"--csv-log", true},
                               {"--terminate-on-nan", false}},
                              options);
      code >= 0)
    return code;
  if (int code = requireTraining(/*train=*/true); code >= 0)
    return code;
  kiln_fit_options_t fit;
  kiln_fit_options_initialize(&fit);
  bool skipCorrupt = false;
  kiln_early_stopping_options_t earlyStopping;
  kiln_early_stopping_options_initialize(&earlyStopping);
  kiln_reduce_lr_on_plateau_options_t reduceLR;
  kiln_reduce_lr_on_plateau_options_initialize(&reduceLR);
  std::string earlyMonitor, reduceMonitor;
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
      code = parseInteger(option, 1, 1 << 20,
                          "a whole number of batches from 1 to 1048576", value);
      fit.prefetch = value;
    } else if (flag == "--drop-remainder") {
      fit.drop_remainder = 1;
    } else if (flag == "--skip-corrupt") {
      skipCorrupt = true;
    } else if (flag == "--steps-per-epoch") {
      code = parseInteger(option, 1, big, "a positive integer", value);
      fit.steps_per_epoch = value;
    } else if (flag == "--repeat") {
      fit.repeat = 1;
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
    } else if (flag == "--early-stopping") {
      SpecParser parser;
      kiln_early_stopping_options_t &es = earlyStopping;
      bool ok = parser.parse(
          option.value, [&](const std::string &key, const std::string &text) {
            int64_t verbose = 0;
            if (key == "monitor") {
              earlyMonitor = text;
              return true;
            }
            if (key == "patience")
              return parser.integer(key, text, es.patience);
            if (key == "min_delta")
              return parser.number(key, text, es.min_delta);
            if (key == "mode")
              return parser.mode(text, es.mode);
            if (key == "baseline") {
              es.has_baseline = 1;
              return parser.number(key, text, es.baseline);
            }
            if (key == "restore_best_weights")
              return parser.boolean(key, text, es.restore_best_weights);
            if (key == "start_from_epoch")
              return parser.integer(key, text, es.start_from_epoch);
            if (key == "verbose") {
              bool good = parser.integer(key, text, verbose);
              es.verbose = verbose != 0;
              return good;
            }
            parser.error = "unknown key '" + key + "'";
            return false;
          });
      if (!ok)
        return usageError("train: --early-stopping: " + parser.error);
      fit.early_stopping = &earlyStopping;
    } else if (flag == "--reduce-lr-on-plateau") {
      SpecParser parser;
      kiln_reduce_lr_on_plateau_options_t &rl = reduceLR;
      bool ok = parser.parse(
          option.value, [&](const std::string &key, const std::string &text) {
            int64_t verbose = 0;
            if (key == "monitor") {
              reduceMonitor = text;
              return true;
            }
            if (key == "factor") {
              if (!parser.number(key, text, rl.factor))
                return false;
              if (!(rl.factor < 1.0)) {
                parser.error = "factor must be < 1, got '" + text + "'";
                return false;
              }
              return true;
            }
            if (key == "patience")
              return parser.integer(key, text, rl.patience);
            if (key == "min_delta")
              return parser.number(key, text, rl.min_delta);
            if (key == "cooldown")
              return parser.integer(key, text, rl.cooldown);
            if (key == "min_lr")
              return parser.number(key, text, rl.min_lr);
            if (key == "mode")
              return parser.mode(text, rl.mode);
            if (key == "verbose") {
              bool good = parser.integer(key, text, verbose);
              rl.verbose = verbose != 0;
              return good;
            }
            parser.error = "unknown key '" + key + "'";
            return false;
          });
      if (!ok)
        return usageError("train: --reduce-lr-on-plateau: " + parser.error);
      fit.reduce_lr_on_plateau = &reduceLR;
    } else if (flag == "--checkpoint-best") {
      fit.checkpoint_best_only = 1;
    } else if (flag == "--checkpoint-monitor") {
      fit.checkpoint_monitor = option.value.c_str();
    } else if (flag == "--csv-log") {
      fit.csv_log_path = option.value.c_str();
    } else if (flag == "--terminate-on-nan") {
      fit.terminate_on_nan = 1;
    } else if (flag == "--histogram-freq") {
      code = parseInteger(option, 1, big, "a positive integer", value);
      fit.histogram_freq = value;
    }
    if (code >= 0)
      return code;
  }
  if (data.empty())
    return usageError("train: --data SPEC is required");
  if (!earlyMonitor.empty())
    earlyStopping.monitor = earlyMonitor.c_str();
  if (!reduceMonitor.empty())
    reduceLR.monitor = reduceMonitor.c_str();
  if ((fit.checkpoint_best_only || fit.checkpoint_monitor) &&
      !fit.checkpoint_path)
    return usageError("train: --checkpoint-best and --checkpoint-monitor "
                      "need --checkpoint FILE");
  if (fit.checkpoint_monitor && !fit.checkpoint_best_only)
    return usageError("train: --checkpoint-monitor needs --checkpoint-best");
  // Keras's CSVLogger(append=True) when continuing a run.
  fit.csv_append = fit.resume_path != nullptr;
  if ((fit.log_every || fit.histogram_freq) && !fit.logdir)
    return usageError("train: --log-every and --histogram-freq need "
                      "--logdir DIR");
  if (fit.repeat && !fit.steps_per_epoch)
    return usageError("train: --repeat needs --steps-per-epoch K (an epoch "
                      "over endlessly repeated data has no end)");
  if (fit.shuffle_buffer && !fit.shuffle)
    return usageError("train: --shuffle-buffer needs shuffling (drop "
                      "--no-shuffle)");
  if (int code = checkFeatureCounts(features, labels); code >= 0)
    return code;

  // Every output path, before any work: writable folders, no input
  // overwritten, no two outputs in one file.
  {
    std::vector<std::string> inputs, outputs;
    addSpecFiles(data, inputs);
    addSpecFiles(validation, inputs);
    if (fit.resume_path)
      inputs.push_back(fit.resume_path);
    std::pair<const char *, const char *> named[] = {
        {"--history", fit.history_path},
        {"--save-weights", fit.save_weights_path},
        {"--checkpoint", fit.checkpoint_path},
        {"--csv-log", fit.csv_log_path}};
    for (auto [flag, path] : named)
      if (path)
        outputs.push_back(path);
    size_t k = 0;
    for (auto [flag, path] : named) {
      if (!path)
        continue;
      // Weights files may replace the file the run resumed from (read
      // before the first step; written atomically): Keras users continue a
      // checkpoint in place.
      bool weights =
          path == fit.save_weights_path || path == fit.checkpoint_path;
      std::vector<std::string> others = inputs;
      if (weights && fit.resume_path)
        others.pop_back();
      std::string why = checkOutput(flag, outputs[k++], others, outputs);
      if (!why.empty())
        return usageError("train: " + why);
    }
  }

  ModelRef ref;
  if (int code = createModel(ref, nullptr); code >= 0)
    return code;
  DatasetRef train, check;
  // Feature specs describe the TFRecord one of .npy training data and
  // TFRecord validation data (or the other way round).
  bool withSpecs = !features.empty() || !labels.empty();
  bool dataIsTFRecord = withSpecs && isTFRecordData(data);
  bool validationIsTFRecord =
      withSpecs && !validation.empty() && isTFRecordData(validation);
  if (int code = openDataset(data, features, labels, skipCorrupt, train,
                             validationIsTFRecord);
      code >= 0)
    return code;
  if (!validation.empty()) {
    if (int code = openDataset(validation, features, labels, skipCorrupt, check,
                               dataIsTFRecord);
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
