//===- Info.cpp - ./model info ----------------------------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// `./model info`: the checked descriptor's inputs, outputs and parameters,
// and what training computes: the loss, the optimizer and the logs.
//
//===----------------------------------------------------------------------===//
#include "base/Array.h"
#include "base/Descriptor.h"
#include "cli/Cli.h"

#include <cinttypes>

namespace kiln::cli {

void Cli::printTensor(const char *kind, int64_t index,
                      const kiln_tensor_desc_t &tensor) {
  std::printf("%s %" PRId64 ": %s %s %s\n", kind, index, tensor.name,
              kiln_dtype_name(tensor.dtype),
              formatShape(tensor.rank, tensor.dims).c_str());
}

int Cli::runInfo() {
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
  if (const kiln_train_desc_t *train = desc->training) {
    std::printf("loss: %s%s\n", train->loss,
                train->from_logits ? " (from logits)" : "");
    if (train->train_step)
      std::printf("optimizer: %s\n", train->optimizer);
    for (int64_t i = 0; i < train->num_metrics; ++i) {
      const kiln_metric_desc_t &log = train->metrics[i];
      std::printf("log %" PRId64 ": %s (%s of output '%s')\n", i + 1, log.name,
                  log.kind, desc->outputs[log.output].name);
    }
  }
  if (desc->train_unavailable)
    std::printf("no training: %s\n", desc->train_unavailable);
  return kExitOk;
}

} // namespace kiln::cli
