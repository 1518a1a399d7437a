//===- Flags.cpp - Option parsing shared by the commands --------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Parsing and checking the flags of a command, the usage and runtime
// errors every command reports, opening the model and the data, and the
// check of every output path before any work.
//
//===----------------------------------------------------------------------===//
#include "base/File.h"
#include "cli/Cli.h"
#include "formats/TFRecord.h"

#include <cerrno>
#include <cinttypes>
#include <cstdlib>
#include <cstring>

#include <sys/stat.h>
#include <unistd.h>

namespace kiln::cli {

int Cli::usageError(const std::string &message) const {
  std::fprintf(stderr, "error: %s\nrun '%s --help' for usage\n",
               message.c_str(), program);
  return kExitUsage;
}

/// Prints and consumes a failed `status`.
int Cli::runtimeError(kiln_status_t status) {
  std::fprintf(stderr, "error: %s\n", kiln_status_message(status));
  kiln_status_free(status);
  return kExitError;
}

/// Handles `--help` and rejects any argument after a command that takes
/// none; returns -1 to go on.
int Cli::checkNoArguments() const {
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

/// Lists the names of `count` tensors for messages: "'a', 'b'".
std::string Cli::listNames(int64_t count, const kiln_tensor_desc_t *tensors) {
  std::string text;
  for (int64_t i = 0; i < count; ++i)
    text += (i ? ", '" : "'") + std::string(tensors[i].name) + "'";
  return text;
}

/// Parses the arguments after the command against `specs`. Returns -1 to
/// go on, else an exit code (help printed, or a usage error).
int Cli::parseOptions(const std::vector<OptionSpec> &specs,
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
int Cli::parseInteger(const Option &option, int64_t min, int64_t max,
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
int Cli::createModel(ModelRef &ref, const char *weights) const {
  if (kiln_status_t status = kiln_model_create(desc, &ref.model))
    return runtimeError(status);
  if (int code = placeModel(ref.model); code >= 0)
    return code;
  if (weights)
    if (kiln_status_t status = kiln_model_load_weights(ref.model, weights))
      return runtimeError(status);
  return -1;
}

/// An error when the model cannot train (`train`) or evaluate; -1 to go
/// on. A refusal the compiler recorded (train_unavailable) is repeated as a
/// runtime error; a model compiled without a loss is a usage error.
int Cli::requireTraining(bool train) const {
  std::string name = desc->name ? desc->name : "";
  if (desc->train_unavailable &&
      (!desc->training || (train && !desc->training->train_step))) {
    std::fprintf(stderr, "error: model '%s' cannot %s: %s\n", name.c_str(),
                 train ? "train" : "evaluate", desc->train_unavailable);
    return 1;
  }
  if (desc->training)
    return -1;
  return usageError(args[0] + ": model '" + name +
                    "' was compiled without a loss, so it cannot be "
                    "trained or evaluated");
}

/// Opens `spec`: a TFRecord file read with `features`/`labels` when any
/// are given, else a .npy/.npz/IDX SPEC. Returns -1 on success.
/// `skipCorrupt`: skip (and count, with a warning) TFRecord records
/// that are corrupt or do not decode.
bool isTFRecordData(const std::string &spec) {
  if (spec.find(',') != std::string::npos)
    return false;
  // Decided by the framing of the first record (its length CRC), so that a
  // corrupt first record still reads as TFRecord: its error, or with
  // --skip-corrupt its skip, comes from the TFRecord reader.
  kiln::TFRecordReader reader;
  kiln_tfrecord_options_t options;
  kiln_tfrecord_options_initialize(&options);
  if (kiln_status_t status = reader.open(spec.c_str(), options)) {
    kiln_status_free(status);
    return false;
  }
  const uint8_t *data = nullptr;
  size_t size = 0;
  bool end = false;
  kiln_status_t status = reader.next(data, size, end);
  bool tfrecord = !status || reader.framed();
  kiln_status_free(status);
  return tfrecord;
}

int Cli::openDataset(const std::string &spec,
                     const std::vector<const char *> &features,
                     const std::vector<const char *> &labels, bool skipCorrupt,
                     DatasetRef &ref, bool specsUsedElsewhere) const {
  bool withSpecs = !features.empty() || !labels.empty();
  if (!withSpecs || !isTFRecordData(spec)) {
    // .npy/.npz/IDX data (or a TFRecord file without specs, which
    // kiln_dataset_open explains); a missing file is reported as such.
    struct stat info;
    bool exists =
        spec.find(',') != std::string::npos || ::stat(spec.c_str(), &info) == 0;
    if (exists && withSpecs && !specsUsedElsewhere)
      return usageError("--features/--label describe the features of "
                        "TFRecord data (tf.train.Example records); '" +
                        spec +
                        "' is .npy/.npz/IDX data, whose arrays feed the "
                        "model's inputs and targets in order: drop "
                        "--features/--label");
    if (skipCorrupt && !withSpecs)
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
  if (kiln_dataset_num_skipped(ref.dataset))
    std::fprintf(stderr, "warning: %s: %s\n", spec.c_str(),
                 kiln_dataset_skip_report(ref.dataset));
  return -1;
}

/// A usage error unless the --features/--label counts fit the model; -1
/// to go on.
int Cli::checkFeatureCounts(const std::vector<const char *> &features,
                            const std::vector<const char *> &labels) const {
  if (features.empty() && labels.empty())
    return -1;
  int64_t inputs = desc->num_inputs, targets = desc->training->num_targets;
  if (static_cast<int64_t>(features.size()) != inputs ||
      static_cast<int64_t>(labels.size()) != targets)
    return usageError(args[0] + ": the model takes " + std::to_string(inputs) +
                      " input(s) (" + listNames(inputs, desc->inputs) +
                      ") and " + std::to_string(targets) + " target(s); got " +
                      std::to_string(features.size()) + " --features and " +
                      std::to_string(labels.size()) + " --label");
  return -1;
}

std::string checkOutput(const char *flag, const std::string &output,
                        const std::vector<std::string> &inputs,
                        const std::vector<std::string> &outputs) {
  // The file written is the link's target; a device or FIFO is written in
  // place and replaces nothing.
  std::string target = resolveLinks(output.c_str());
  struct stat info;
  bool exists = stat(target.c_str(), &info) == 0;
  if (exists && S_ISDIR(info.st_mode))
    return std::string(flag) + " " + output + " is a folder";
  if (exists && !S_ISREG(info.st_mode))
    return "";
  std::string dir = target;
  size_t slash = dir.find_last_of('/');
  dir = slash == std::string::npos ? "." : dir.substr(0, slash ? slash : 1);
  if (stat(dir.c_str(), &info) != 0 || !S_ISDIR(info.st_mode))
    return std::string(flag) + " " + output + ": the folder '" + dir +
           "' does not exist";
  if (access(dir.c_str(), W_OK) != 0)
    return std::string(flag) + " " + output + ": the folder '" + dir +
           "' is not writable";
  int count = 0;
  for (const std::string &other : outputs)
    count += other == output;
  if (count > 1)
    return std::string(flag) + " " + output +
           " is named for two outputs of this run";
  for (const std::string &input : inputs)
    if (isSameFile(output.c_str(), input.c_str()))
      return std::string(flag) + " " + output + " is the input '" + input +
             "'; refusing to overwrite it";
  for (const std::string &other : outputs)
    if (&other != &output && isSameFile(output.c_str(), other.c_str()))
      return std::string(flag) + " " + output + " is also the output '" +
             other + "'";
  return "";
}

} // namespace kiln::cli
