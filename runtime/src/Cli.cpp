//===- Cli.cpp - The command line of a compiled model -----------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// `kiln_cli_main` is the whole program behind a compiled model's executable
// (main.cpp only passes it `kiln_model_descriptor`). It lives in the runtime
// library, apart from `main`, so tests can drive it with a fake descriptor.
//
//   ./model summary                         Keras's model.summary() table
//   ./model info                            inputs, outputs, parameters
//   ./model predict --input x.npy ... --output y.npy ... [--batch-size N]
//                   [--weights FILE]
//   ./model train --data SPEC [--validation-data SPEC] [--epochs N] ...
//                 [--logdir DIR [--log-every N] [--histogram-freq N]]
//   ./model evaluate --data SPEC [--batch-size N] [--weights FILE] ...
// train and evaluate read a TFRecord file of tf.train.Example records as
// --data FILE with --features SPEC (per input) and --label SPEC (per target).
//
// Exit codes: 0 success, 1 runtime error ("error: <status message>"), 2 usage
// error (message plus a hint to run --help). predict reads every input before
// running and writes every output to a temporary file before renaming any,
// so a failure never leaves a half-written output behind; train writes its
// history and weights files atomically. train and evaluate need a model
// compiled with a loss (`kiln_model_desc_t::training`).
//
//===----------------------------------------------------------------------===//
#include "Array.h"
#include "Model.h"
#include "Npy.h"
#include "kiln/runtime.h"

#include <cerrno>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

using namespace kiln;

namespace {

constexpr int kExitOk = 0;
constexpr int kExitError = 1;
constexpr int kExitUsage = 2;

/// Releases the arrays it holds on scope exit.
class ArrayList {
public:
  ArrayList() = default;
  ArrayList(const ArrayList &) = delete;
  ArrayList &operator=(const ArrayList &) = delete;
  ~ArrayList() {
    for (kiln_array_t *array : arrays)
      kiln_array_release(array);
  }
  std::vector<kiln_array_t *> arrays;
};

/// Releases the model on scope exit.
class ModelRef {
public:
  ModelRef() = default;
  ModelRef(const ModelRef &) = delete;
  ModelRef &operator=(const ModelRef &) = delete;
  ~ModelRef() { kiln_model_release(model); }
  kiln_model_t *model = nullptr;
};

/// Releases the dataset on scope exit.
class DatasetRef {
public:
  DatasetRef() = default;
  DatasetRef(const DatasetRef &) = delete;
  DatasetRef &operator=(const DatasetRef &) = delete;
  ~DatasetRef() { kiln_dataset_release(dataset); }
  kiln_dataset_t *dataset = nullptr;
};

/// One parsed command-line option.
struct Option {
  std::string flag;
  std::string value;
};

/// An option a command accepts; `takesValue` options need a value.
struct OptionSpec {
  const char *flag;
  bool takesValue;
};

class Cli {
public:
  Cli(const kiln_model_desc_t *desc, int argc, char **argv)
      : desc(desc), args(argv + (argc > 0 ? 1 : 0), argv + argc) {
    const char *arg0 = argc > 0 && argv[0] ? argv[0] : "model";
    const char *slash = std::strrchr(arg0, '/');
    program = slash ? slash + 1 : arg0;
  }

  int run() {
    if (args.empty()) {
      printUsage(stderr);
      return kExitUsage;
    }
    const std::string &command = args[0];
    if (command == "-h" || command == "--help") {
      printUsage(stdout);
      return kExitOk;
    }
    if (command == "summary")
      return runSummary();
    if (command == "info")
      return runInfo();
    if (command == "predict")
      return runPredict();
    if (command == "train")
      return runTrain();
    if (command == "evaluate")
      return runEvaluate();
    if (!command.empty() && command[0] == '-')
      return usageError("unknown option '" + command + "'");
    return usageError("unknown command '" + command + "'");
  }

private:
  void printUsage(FILE *stream) const {
    std::fprintf(
        stream,
        "usage: %s <command> [options]\n"
        "\n"
        "Runs the compiled Keras model \"%s\" (%" PRId64 " input(s), %" PRId64
        " output(s)).\n"
        "\n"
        "commands:\n"
        "  summary           print the model.summary() table\n"
        "  info              print the inputs, outputs and parameters with "
        "their shapes\n"
        "  predict           run the model on .npy inputs, write .npy "
        "outputs\n"
        "  train             train the model (Keras's model.fit)\n"
        "  evaluate          compute the loss and metrics on a dataset "
        "(model.evaluate)\n"
        "%s"
        "\n"
        "predict options:\n"
        "  --input FILE      a .npy input; give one per model input, in "
        "order\n"
        "  --output FILE     a .npy output; give one per model output, in "
        "order\n"
        "  --batch-size N    samples per call of the compiled code (default "
        "32)\n"
        "  --weights FILE    load parameters from a weights file first\n"
        "\n"
        "Inputs of other numeric dtypes are converted to float32; outputs are\n"
        "float32 and written atomically.\n"
        "\n"
        "train options:\n"
        "  --data SPEC               training data (required; see below)\n"
        "  --validation-data SPEC    evaluated after every epoch (val_* "
        "logs)\n"
        "  --epochs N                the final epoch index (default 1)\n"
        "  --batch-size N            samples per step (default 32)\n"
        "  --shuffle, --no-shuffle   reshuffle the data every epoch (default "
        "on)\n"
        "  --seed S                  shuffle seed (default: random, or the "
        "resumed one)\n"
        "  --shuffle-buffer N        shuffle through a buffer of N samples, "
        "as tf.data's\n"
        "                            dataset.shuffle(N) (default: the whole "
        "dataset for\n"
        "                            .npy/.npz/IDX data, 10000 for TFRecord "
        "data)\n"
        "  --prefetch N              batches read ahead on a background "
        "thread (default 2)\n"
        "  --drop-remainder          drop each pass's last, partial batch "
        "(every step\n"
        "                            sees --batch-size samples)\n"
        "  --steps-per-epoch K       batches per epoch (default: one pass "
        "over the data)\n"
        "  --initial-epoch E         run epochs E+1..N (default 0, or the "
        "resumed epoch)\n"
        "  --learning-rate X         override the compiled learning rate\n"
        "  --history FILE            write history.history as JSON after "
        "every epoch\n"
        "  --save-weights FILE       write a weights file at the end\n"
        "  --checkpoint FILE         write a weights file after every epoch\n"
        "  --resume FILE             load a weights file (parameters, "
        "optimizer state,\n"
        "                            iteration, epoch) and continue\n"
        "  --logdir DIR              write TensorBoard event files to "
        "DIR/train and\n"
        "                            DIR/validation: epoch_loss, "
        "epoch_<metric>,\n"
        "                            epoch_learning_rate at step = epoch "
        "(0-based)\n"
        "  --log-every N             with --logdir, also batch_loss, "
        "batch_<metric>\n"
        "                            every N steps (step = iteration)\n"
        "  --histogram-freq N        with --logdir, parameter histograms "
        "every N epochs\n"
        "  --verbose 0|1|2           0 silent, 1 progress bar, 2 one line "
        "per epoch (default 1)\n"
        "\n"
        "evaluate options:\n"
        "  --data SPEC               the data (required)\n"
        "  --batch-size N            samples per step (default 32)\n"
        "  --weights FILE            load a weights file first\n"
        "  --verbose 0|1|2           1 progress bar, 2 final line, 0 one "
        "'name: value'\n"
        "                            line per log (default 1)\n"
        "  --features, --label       as for train\n"
        "  --skip-corrupt            as for train\n"
        "\n"
        "SPEC: x.npy,y.npy (the model's inputs then its targets, one .npy "
        "each);\n"
        "data.npz (arrays x and y, or x0.. and y0..); or MNIST IDX files\n"
        "images-idx3-ubyte,labels-idx1-ubyte. Any file may be gzipped. "
        "Arrays of\n"
        "any numeric dtype become float32; IDX bytes are scaled to [0, 1].\n"
        "\n"
        "TFRecord data: --data FILE.tfrecord[.gz] (also --validation-data) "
        "with\n"
        "  --features SPEC           one per model input, in order\n"
        "  --label SPEC              one per model target, in order\n"
        "  --skip-corrupt            skip records that are corrupt or do not "
        "decode into\n"
        "                            a sample, with a warning count "
        "(tf.data's\n"
        "                            ignore_errors)\n"
        "where SPEC is name:float32|int64[d0,d1,...][=default] "
        "(tf.train.Example\n"
        "features, FixedLenFeature semantics; shape [] or none: a scalar; "
        "int64\n"
        "becomes float32; the default fills records without the feature), "
        "e.g.\n"
        "  --features 'image:float32[28,28]' --label 'label:int64'\n"
        "or name:varlen(float32|int64)[d0,...][=pad] (VarLenFeature: up to "
        "d0*...\n"
        "values, padded at the end with pad, default 0; more is an error), "
        "e.g.\n"
        "  --features 'tokens:varlen(int64)[16]'\n"
        "TFRecord data streams: the file is checked once when opened, then "
        "re-read\n"
        "every epoch; memory holds the shuffle buffer and the prefetched "
        "batches,\n"
        "not the file (--no-shuffle streams in file order).\n"
        "\n"
        "options:\n"
        "  -h, --help        print this help (also after a command)\n"
        "\n"
        "exit status: 0 success, 1 runtime error, 2 usage error\n",
        program, desc->name ? desc->name : "", desc->num_inputs,
        desc->num_outputs,
        desc->training ? ""
                       : "  (this model was compiled without a loss: train "
                         "and evaluate are unavailable)\n");
  }

  int usageError(const std::string &message) const {
    std::fprintf(stderr, "error: %s\nrun '%s --help' for usage\n",
                 message.c_str(), program);
    return kExitUsage;
  }

  /// Prints and consumes a failed `status`.
  static int runtimeError(kiln_status_t status) {
    std::fprintf(stderr, "error: %s\n", kiln_status_message(status));
    kiln_status_free(status);
    return kExitError;
  }

  /// Handles `--help` and rejects any argument after a command that takes
  /// none; returns -1 to go on.
  int checkNoArguments() const {
    for (size_t i = 1; i < args.size(); ++i) {
      if (args[i] == "-h" || args[i] == "--help") {
        printUsage(stdout);
        return kExitOk;
      }
    }
    if (args.size() > 1)
      return usageError(args[0] + ": unexpected argument '" + args[1] + "'");
    return -1;
  }

  int runSummary() {
    if (int code = checkNoArguments(); code >= 0)
      return code;
    char *text = nullptr;
    if (kiln_status_t status = kiln_model_format_summary(desc, &text))
      return runtimeError(status);
    std::fputs(text, stdout);
    kiln_free(text);
    return kExitOk;
  }

  static void printTensor(const char *kind, int64_t index,
                          const kiln_tensor_desc_t &tensor) {
    std::printf("%s %" PRId64 ": %s %s %s\n", kind, index, tensor.name,
                kiln_dtype_name(tensor.dtype),
                formatShape(tensor.rank, tensor.dims).c_str());
  }

  int runInfo() {
    if (int code = checkNoArguments(); code >= 0)
      return code;
    if (kiln_status_t status = checkDescriptor(desc))
      return runtimeError(status);
    std::printf("model: %s (%s)\n", desc->name ? desc->name : "",
                desc->kind ? desc->kind : "");
    for (int64_t i = 0; i < desc->num_inputs; ++i)
      printTensor("input", i, desc->inputs[i]);
    for (int64_t i = 0; i < desc->num_outputs; ++i)
      printTensor("output", i, desc->outputs[i]);
    for (int64_t i = 0; i < desc->num_params; ++i)
      printTensor("param", i, desc->params[i]);
    return kExitOk;
  }

  /// Lists the names of `count` tensors for messages: "'a', 'b'".
  static std::string listNames(int64_t count,
                               const kiln_tensor_desc_t *tensors) {
    std::string text;
    for (int64_t i = 0; i < count; ++i)
      text += (i ? ", '" : "'") + std::string(tensors[i].name) + "'";
    return text;
  }

  /// Parses the arguments after the command against `specs`. Returns -1 to
  /// go on, else an exit code (help printed, or a usage error).
  int parseOptions(const std::vector<OptionSpec> &specs,
                   std::vector<Option> &options) const {
    const std::string &command = args[0];
    for (size_t i = 1; i < args.size(); ++i) {
      const std::string &arg = args[i];
      if (arg == "-h" || arg == "--help") {
        printUsage(stdout);
        return kExitOk;
      }
      std::string flag = arg, value;
      bool hasValue = false;
      if (size_t eq = arg.find('=');
          arg.rfind("--", 0) == 0 && eq != std::string::npos) {
        flag = arg.substr(0, eq);
        value = arg.substr(eq + 1);
        hasValue = true;
      }
      const OptionSpec *spec = nullptr;
      for (const OptionSpec &candidate : specs)
        if (flag == candidate.flag)
          spec = &candidate;
      if (!spec) {
        if (!arg.empty() && arg[0] == '-')
          return usageError(command + ": unknown option '" + arg + "'");
        return usageError(command + ": unexpected argument '" + arg + "'");
      }
      if (!spec->takesValue) {
        if (hasValue)
          return usageError(command + ": " + flag + " takes no value");
        options.push_back({flag, ""});
        continue;
      }
      if (!hasValue) {
        if (i + 1 == args.size())
          return usageError(command + ": " + flag + " needs a value");
        value = args[++i];
      }
      if (value.empty())
        return usageError(command + ": " + flag + " needs a non-empty value");
      options.push_back({flag, value});
    }
    return -1;
  }

  /// Parses `option`'s value as an integer in [`min`, `max`]; returns -1 on
  /// success, else the usage-error exit code.
  int parseInteger(const Option &option, int64_t min, int64_t max,
                   const char *what, int64_t &out) const {
    char *end = nullptr;
    errno = 0;
    long long parsed = std::strtoll(option.value.c_str(), &end, 10);
    if (errno != 0 || *end != '\0' || parsed < min || parsed > max)
      return usageError(args[0] + ": " + option.flag + " needs " + what +
                        ", got '" + option.value + "'");
    out = parsed;
    return -1;
  }

  /// The model for train/evaluate: created, with `weights` loaded if given.
  int createModel(ModelRef &ref, const char *weights) const {
    if (kiln_status_t status = kiln_model_create(desc, &ref.model))
      return runtimeError(status);
    if (weights)
      if (kiln_status_t status = kiln_model_load_weights(ref.model, weights))
        return runtimeError(status);
    return -1;
  }

  /// A usage error when the model cannot train; -1 to go on.
  int requireTraining() const {
    if (desc->training)
      return -1;
    return usageError(args[0] + ": model '" +
                      std::string(desc->name ? desc->name : "") +
                      "' was compiled without a loss, so it cannot be "
                      "trained or evaluated");
  }

  /// Opens `spec`: a TFRecord file read with `features`/`labels` when any
  /// are given, else a .npy/.npz/IDX SPEC. Returns -1 on success.
  /// `skipCorrupt`: skip (and count, with a warning) TFRecord records
  /// that are corrupt or do not decode.
  int openDataset(const std::string &spec,
                  const std::vector<const char *> &features,
                  const std::vector<const char *> &labels, bool skipCorrupt,
                  DatasetRef &ref) const {
    if (features.empty() && labels.empty()) {
      if (skipCorrupt)
        return usageError("--skip-corrupt applies to TFRecord data (with "
                          "--features/--label)");
      kiln_status_t status = kiln_dataset_open(desc, spec.c_str(), &ref.dataset);
      return status ? runtimeError(status) : -1;
    }
    kiln_tfrecord_options_t options;
    kiln_tfrecord_options_initialize(&options);
    options.skip_corrupt = skipCorrupt;
    if (kiln_status_t status = kiln_dataset_open_tfrecord_with_options(
            desc, spec.c_str(), features.data(),
            static_cast<int64_t>(features.size()), labels.data(),
            static_cast<int64_t>(labels.size()), &options, &ref.dataset))
      return runtimeError(status);
    if (int64_t skipped = kiln_dataset_num_skipped(ref.dataset))
      std::fprintf(stderr,
                   "warning: %s: skipped %" PRId64
                   " corrupt or undecodable record(s)\n",
                   spec.c_str(), skipped);
    return -1;
  }

  /// A usage error unless the --features/--label counts fit the model; -1
  /// to go on.
  int checkFeatureCounts(const std::vector<const char *> &features,
                         const std::vector<const char *> &labels) const {
    if (features.empty() && labels.empty())
      return -1;
    int64_t inputs = desc->num_inputs, targets = desc->training->num_targets;
    if (static_cast<int64_t>(features.size()) != inputs ||
        static_cast<int64_t>(labels.size()) != targets)
      return usageError(args[0] + ": the model takes " +
                        std::to_string(inputs) + " input(s) (" +
                        listNames(inputs, desc->inputs) + ") and " +
                        std::to_string(targets) + " target(s); got " +
                        std::to_string(features.size()) + " --features and " +
                        std::to_string(labels.size()) + " --label");
    return -1;
  }

  int runTrain() {
    std::vector<Option> options;
    if (int code = parseOptions(
            {{"--data", true},           {"--validation-data", true},
             {"--epochs", true},         {"--batch-size", true},
             {"--shuffle", false},       {"--no-shuffle", false},
             {"--seed", true},           {"--steps-per-epoch", true},
             {"--initial-epoch", true},  {"--learning-rate", true},
             {"--history", true},        {"--save-weights", true},
             {"--checkpoint", true},     {"--resume", true},
             {"--logdir", true},         {"--log-every", true},
             {"--histogram-freq", true}, {"--features", true},
             {"--label", true},          {"--verbose", true},
             {"--shuffle-buffer", true}, {"--prefetch", true},
             {"--drop-remainder", false}, {"--skip-corrupt", false}},
            options);
        code >= 0)
      return code;
    if (int code = requireTraining(); code >= 0)
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
        code = parseInteger(option, 0, INT64_MAX, "a non-negative integer",
                            value);
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

  int runEvaluate() {
    std::vector<Option> options;
    if (int code = parseOptions({{"--data", true},
                                 {"--features", true},
                                 {"--label", true},
                                 {"--batch-size", true},
                                 {"--weights", true},
                                 {"--verbose", true},
                                 {"--skip-corrupt", false}},
                                options);
        code >= 0)
      return code;
    if (int code = requireTraining(); code >= 0)
      return code;
    kiln_evaluate_options_t evaluate;
    kiln_evaluate_options_initialize(&evaluate);
    std::string data;
    const char *weights = nullptr;
    bool skipCorrupt = false;
    std::vector<const char *> features, labels;
    for (const Option &option : options) {
      int64_t value = 0;
      int code = -1;
      if (option.flag == "--data") {
        data = option.value;
      } else if (option.flag == "--features") {
        features.push_back(option.value.c_str());
      } else if (option.flag == "--label") {
        labels.push_back(option.value.c_str());
      } else if (option.flag == "--weights") {
        weights = option.value.c_str();
      } else if (option.flag == "--skip-corrupt") {
        skipCorrupt = true;
      } else if (option.flag == "--batch-size") {
        code = parseInteger(option, 1, INT64_MAX / 4, "a positive integer",
                            value);
        evaluate.batch_size = value;
      } else if (option.flag == "--verbose") {
        code = parseInteger(option, 0, 2, "0, 1 or 2", value);
        evaluate.verbose = static_cast<int32_t>(value);
      }
      if (code >= 0)
        return code;
    }
    if (data.empty())
      return usageError("evaluate: --data SPEC is required");
    if (int code = checkFeatureCounts(features, labels); code >= 0)
      return code;

    ModelRef ref;
    if (int code = createModel(ref, weights); code >= 0)
      return code;
    DatasetRef dataset;
    if (int code =
            openDataset(data, features, labels, skipCorrupt, dataset);
        code >= 0)
      return code;
    std::vector<double> values(
        static_cast<size_t>(kiln_model_num_logs(ref.model)));
    if (kiln_status_t status = kiln_model_evaluate(
            ref.model, dataset.dataset, &evaluate, values.data()))
      return runtimeError(status);
    if (evaluate.verbose == 0)
      for (size_t i = 0; i < values.size(); ++i)
        std::printf("%s: %.9g\n",
                    kiln_model_log_name(ref.model, static_cast<int64_t>(i)),
                    values[i]);
    return kExitOk;
  }

  int runPredict() {
    std::vector<std::string> inputPaths, outputPaths;
    int64_t batchSize = 0;
    const char *weights = nullptr;
    std::vector<Option> options;
    if (int code = parseOptions({{"--input", true},
                                 {"--output", true},
                                 {"--batch-size", true},
                                 {"--weights", true}},
                                options);
        code >= 0)
      return code;
    for (const Option &option : options) {
      if (option.flag == "--input") {
        inputPaths.push_back(option.value);
      } else if (option.flag == "--output") {
        outputPaths.push_back(option.value);
      } else if (option.flag == "--weights") {
        weights = option.value.c_str();
      } else if (int code = parseInteger(option, 1, INT64_MAX,
                                         "a positive integer", batchSize);
                 code >= 0) {
        return code;
      }
    }
    if (static_cast<int64_t>(inputPaths.size()) != desc->num_inputs)
      return usageError("predict: the model takes " +
                        std::to_string(desc->num_inputs) + " input(s) (" +
                        listNames(desc->num_inputs, desc->inputs) + "), got " +
                        std::to_string(inputPaths.size()) + " --input");
    if (static_cast<int64_t>(outputPaths.size()) != desc->num_outputs)
      return usageError(
          "predict: the model produces " + std::to_string(desc->num_outputs) +
          " output(s) (" + listNames(desc->num_outputs, desc->outputs) +
          "), got " + std::to_string(outputPaths.size()) + " --output");
    for (size_t i = 0; i < outputPaths.size(); ++i)
      for (size_t j = 0; j < i; ++j)
        if (outputPaths[i] == outputPaths[j])
          return usageError("predict: --output '" + outputPaths[i] +
                            "' is given twice");

    ModelRef ref;
    if (int code = createModel(ref, weights); code >= 0)
      return code;
    ArrayList inputs;
    for (const std::string &path : inputPaths) {
      kiln_array_t *array = nullptr;
      if (kiln_status_t status = kiln_npy_read(path.c_str(), &array))
        return runtimeError(status);
      inputs.arrays.push_back(array);
      if (array->dtype == KILN_DTYPE_F32)
        continue;
      kiln_array_t *converted = nullptr;
      if (kiln_status_t status =
              kiln_array_convert(array, KILN_DTYPE_F32, &converted))
        return runtimeError(status);
      kiln_array_release(array);
      inputs.arrays.back() = converted;
    }
    ArrayList outputs;
    outputs.arrays.assign(outputPaths.size(), nullptr);
    if (kiln_status_t status = kiln_model_predict_arrays(
            ref.model, batchSize, inputs.arrays.data(), outputs.arrays.data()))
      return runtimeError(status);

    // Write everything, then rename everything.
    std::vector<std::string> temps;
    for (size_t i = 0; i < outputPaths.size(); ++i) {
      std::string temp;
      if (kiln_status_t status =
              writeNpyTemp(outputPaths[i].c_str(), outputs.arrays[i], temp)) {
        for (const std::string &written : temps)
          discardNpyTemp(written);
        return runtimeError(status);
      }
      temps.push_back(temp);
    }
    for (size_t i = 0; i < temps.size(); ++i) {
      if (kiln_status_t status =
              commitNpyTemp(temps[i], outputPaths[i].c_str())) {
        for (size_t j = i + 1; j < temps.size(); ++j)
          discardNpyTemp(temps[j]);
        return runtimeError(status);
      }
    }
    return kExitOk;
  }

  const kiln_model_desc_t *desc;
  std::vector<std::string> args;
  const char *program;
};

} // namespace

extern "C" int kiln_cli_main(const kiln_model_desc_t *desc, int argc,
                             char **argv) {
  if (!desc) {
    std::fputs("error: no model descriptor\n", stderr);
    return kExitError;
  }
  return Cli(desc, argc, argv).run();
}
