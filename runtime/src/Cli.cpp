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
//
// Exit codes: 0 success, 1 runtime error ("error: <status message>"), 2 usage
// error (message plus a hint to run --help). predict reads every input before
// running and writes every output to a temporary file before renaming any,
// so a failure never leaves a half-written output behind.
//
//===----------------------------------------------------------------------===//
#include "Array.h"
#include "Model.h"
#include "Npy.h"
#include "kiln/runtime.h"

#include <cerrno>
#include <cinttypes>
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
        "\n"
        "predict options:\n"
        "  --input FILE      a .npy input; give one per model input, in "
        "order\n"
        "  --output FILE     a .npy output; give one per model output, in "
        "order\n"
        "  --batch-size N    samples per call of the compiled code (default "
        "32)\n"
        "\n"
        "Inputs of other numeric dtypes are converted to float32; outputs are\n"
        "float32 and written atomically.\n"
        "\n"
        "options:\n"
        "  -h, --help        print this help (also after a command)\n"
        "\n"
        "exit status: 0 success, 1 runtime error, 2 usage error\n",
        program, desc->name ? desc->name : "", desc->num_inputs,
        desc->num_outputs);
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

  int runPredict() {
    std::vector<std::string> inputPaths, outputPaths;
    int64_t batchSize = 0;
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
      if (flag != "--input" && flag != "--output" && flag != "--batch-size") {
        if (!arg.empty() && arg[0] == '-')
          return usageError("predict: unknown option '" + arg + "'");
        return usageError("predict: unexpected argument '" + arg + "'");
      }
      if (!hasValue) {
        if (i + 1 == args.size())
          return usageError("predict: " + flag + " needs a value");
        value = args[++i];
      }
      if (value.empty())
        return usageError("predict: " + flag + " needs a non-empty value");
      if (flag == "--input") {
        inputPaths.push_back(value);
      } else if (flag == "--output") {
        outputPaths.push_back(value);
      } else {
        char *end = nullptr;
        errno = 0;
        long long parsed = std::strtoll(value.c_str(), &end, 10);
        if (errno != 0 || *end != '\0' || parsed <= 0)
          return usageError("predict: --batch-size needs a positive integer, "
                            "got '" +
                            value + "'");
        batchSize = parsed;
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
    if (kiln_status_t status = kiln_model_create(desc, &ref.model))
      return runtimeError(status);
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
