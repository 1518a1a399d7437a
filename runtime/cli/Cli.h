//===- Cli.h - The command line of a compiled model -------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// The pieces every command of `kiln_cli_main` shares: exit codes, scope
// guards, option parsing (Flags.cpp) and the `Cli` object whose commands
// each live in their own file (Summary, Info, Predict, Train, Evaluate).
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_CLI_CLI_H
#define KILN_RUNTIME_CLI_CLI_H

#include "kiln/runtime.h"

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace kiln::cli {

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

/// Why the file `output` (given with `flag`) cannot be written by this
/// run, or "": its folder must exist and be writable, and it must not be
/// the same file (`isSameFile`, links followed) as one of `inputs` or
/// another of `outputs`, which holds it. A device or FIFO is written in
/// place and always passes. Every command that writes checks each output
/// before any work: a bad path never costs a finished run, and an output
/// never destroys an input.
std::string checkOutput(const char *flag, const std::string &output,
                        const std::vector<std::string> &inputs,
                        const std::vector<std::string> &outputs);

/// One run of the command line over `desc`.
/// True when `spec` is one TFRecord file (its first record's header is
/// TFRecord framing, even when its data is corrupt, or it is empty),
/// whatever its name: the data that feature specs describe.
bool isTFRecordData(const std::string &spec);

class Cli {
public:
  Cli(const kiln_model_desc_t *desc, int argc, char **argv)
      : desc(desc), args(argv + (argc > 0 ? 1 : 0), argv + argc) {
    const char *arg0 = argc > 0 && argv[0] ? argv[0] : "model";
    const char *slash = std::strrchr(arg0, '/');
    program = slash ? slash + 1 : arg0;
  }

  int run();

private:
  // Usage and option parsing (Flags.cpp, Cli.cpp)
  void printUsage(FILE *stream) const;

  int usageError(const std::string &message) const;

  /// Prints and consumes a failed `status`.
  static int runtimeError(kiln_status_t status);

  /// Handles `--help` and rejects any argument after a command that takes
  /// none; returns -1 to go on.
  int checkNoArguments() const;

  /// Lists the names of `count` tensors for messages: "'a', 'b'".
  static std::string listNames(int64_t count,
                               const kiln_tensor_desc_t *tensors);

  /// Parses the arguments after the command against `specs`. Returns -1 to
  /// go on, else an exit code (help printed, or a usage error).
  int parseOptions(const std::vector<OptionSpec> &specs,
                   std::vector<Option> &options) const;

  /// Parses `option`'s value as an integer in [`min`, `max`]; returns -1 on
  /// success, else the usage-error exit code.
  int parseInteger(const Option &option, int64_t min, int64_t max,
                   const char *what, int64_t &out) const;

  /// The model for train/evaluate: created, with `weights` loaded if given.
  int createModel(ModelRef &ref, const char *weights) const;

  /// A usage error when the model cannot train; -1 to go on.
  int requireTraining(bool train) const;

  /// Opens `spec`: a TFRecord file (by its content) read with
  /// `features`/`labels`, else a .npy/.npz/IDX SPEC, whose arrays need no
  /// specs. Returns -1 on success. Feature specs or `skipCorrupt` given for
  /// array data are a usage error unless `specsUsedElsewhere` (TFRecord
  /// validation data with .npy training data, or the other way round).
  /// `skipCorrupt`: skip (and report, with a warning) TFRecord records
  /// that are corrupt or do not decode.
  int openDataset(const std::string &spec,
                  const std::vector<const char *> &features,
                  const std::vector<const char *> &labels, bool skipCorrupt,
                  DatasetRef &ref, bool specsUsedElsewhere = false) const;

  /// A usage error unless the --features/--label counts fit the model; -1
  /// to go on.
  int checkFeatureCounts(const std::vector<const char *> &features,
                         const std::vector<const char *> &labels) const;

  // The commands, one file each
  int runSummary();

  static void printTensor(const char *kind, int64_t index,
                          const kiln_tensor_desc_t &tensor);

  int runInfo();

  int runPredict();

  int runTrain();

  int runEvaluate();

  int runBench();

  int runDevices();

  int runServe();

  /// Puts a created model on --device, or by default on the first GPU its
  /// PTX runs on when the model carries GPU code; says which on stderr
  /// when the model has GPU code. -1 to go on, else an exit code.
  int placeModel(kiln_model_t *model) const;

  /// The device --device names, else the default for this model ("gpu:N",
  /// the first GPU its PTX runs on, when it carries GPU code; "cpu" when
  /// it carries GPU code and there is no GPU); "" when there is nothing to
  /// choose or no GPU runs it (then a line on stderr says why).
  std::string chooseDevice() const;

  const kiln_model_desc_t *desc;
  std::vector<std::string> args;
  std::string device; // --device; empty: the default
  const char *program;
};

} // namespace kiln::cli

#endif // KILN_RUNTIME_CLI_CLI_H
