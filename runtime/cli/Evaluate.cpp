//===- Evaluate.cpp - ./model evaluate --------------------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// `./model evaluate`: Keras `evaluate` over .npy/.npz/IDX or TFRecord data.
//
//===----------------------------------------------------------------------===//
#include "cli/Cli.h"

#include <cinttypes>
#include <cmath>
#include <cstdlib>
#include <cstring>

namespace kiln::cli {

int Cli::runEvaluate() {
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
  if (int code = requireTraining(/*train=*/false); code >= 0)
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
      code =
          parseInteger(option, 1, INT64_MAX / 4, "a positive integer", value);
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
  if (int code = openDataset(data, features, labels, skipCorrupt, dataset);
      code >= 0)
    return code;
  std::vector<double> values(
      static_cast<size_t>(kiln_model_num_logs(ref.model)));
  if (kiln_status_t status = kiln_model_evaluate(ref.model, dataset.dataset,
                                                 &evaluate, values.data()))
    return runtimeError(status);
  if (evaluate.verbose == 0)
    for (size_t i = 0; i < values.size(); ++i)
      std::printf("%s: %.9g\n",
                  kiln_model_log_name(ref.model, static_cast<int64_t>(i)),
                  values[i]);
  return kExitOk;
}

} // namespace kiln::cli
