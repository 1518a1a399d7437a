//===- Predict.cpp - ./model predict ----------------------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// `./model predict`: .npy inputs through the model into .npy outputs, each
// output in its dtype (float32, int32, int64 or bool, as numpy reads them
// back). Every output is checked before any work (no output is an input or
// another output), and written to a temporary file before any is renamed.
//
//===----------------------------------------------------------------------===//
#include "base/Array.h"
#include "base/Status.h"
#include "cli/Cli.h"
#include "formats/Npy.h"

#include <cinttypes>
#include <cstdlib>

namespace kiln::cli {

int Cli::runPredict() {
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
    return usageError("predict: the model produces " +
                      std::to_string(desc->num_outputs) + " output(s) (" +
                      listNames(desc->num_outputs, desc->outputs) + "), got " +
                      std::to_string(outputPaths.size()) + " --output");
  // Every output path, before any work (checkOutput in Flags.cpp).
  std::vector<std::string> inputFiles = inputPaths;
  if (weights)
    inputFiles.push_back(weights);
  for (const std::string &output : outputPaths) {
    std::string why = checkOutput("--output", output, inputFiles, outputPaths);
    if (!why.empty())
      return usageError("predict: " + why);
  }

  ModelRef ref;
  if (int code = createModel(ref, weights); code >= 0)
    return code;
  ArrayList inputs;
  for (const std::string &path : inputPaths) {
    kiln_array_t *array = nullptr;
    if (kiln_status_t status = kiln_npy_read(path.c_str(), &array))
      return runtimeError(status);
    inputs.arrays.push_back(array);
    // The input's dtype: float32, int32/int64 ids, which must be integers
    // (a fraction is an error, never truncated), or bool, which takes 0 and
    // 1 only (0.5 is an error, never true).
    const kiln_tensor_desc_t &tensor = desc->inputs[inputs.arrays.size() - 1];
    if (array->dtype == tensor.dtype)
      continue;
    kiln_array_t *converted = nullptr;
    if (kiln_status_t status = convertArray(array, tensor.dtype,
                                            /*exactBool=*/true, &converted)) {
      kiln_status_t named =
          KILN_STATUS(kiln_status_code(status), "%s: input '%s' takes %s: %s",
                      path.c_str(), tensor.name, kiln_dtype_name(tensor.dtype),
                      kiln_status_message(status));
      kiln_status_free(status);
      return runtimeError(named);
    }
    kiln_array_release(array);
    inputs.arrays.back() = converted;
  }
  ArrayList outputs;
  outputs.arrays.assign(outputPaths.size(), nullptr);
  if (kiln_status_t status = kiln_model_predict_arrays(
          ref.model, batchSize, inputs.arrays.data(), outputs.arrays.data()))
    return runtimeError(status);

  // Write everything, then rename everything.
  std::vector<AtomicFile> files(outputPaths.size());
  for (size_t i = 0; i < outputPaths.size(); ++i)
    if (kiln_status_t status =
            writeNpyFile(outputPaths[i].c_str(), outputs.arrays[i], files[i]))
      return runtimeError(status); // `files` removes what was written
  for (AtomicFile &file : files)
    if (kiln_status_t status = file.commit())
      return runtimeError(status);
  return kExitOk;
}

} // namespace kiln::cli
