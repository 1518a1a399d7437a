//===- Info.cpp - ./model info ----------------------------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// `./model info`: the checked descriptor's inputs, outputs and parameters.
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
  return kExitOk;
}

} // namespace kiln::cli
