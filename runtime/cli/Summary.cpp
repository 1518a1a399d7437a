//===- Summary.cpp - ./model summary ----------------------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// `./model summary`: Keras's model.summary() table (model/Summary.cpp).
//
//===----------------------------------------------------------------------===//
#include "cli/Cli.h"

namespace kiln::cli {

int Cli::runSummary() {
  if (int code = checkNoArguments(); code >= 0)
    return code;
  char *text = nullptr;
  if (kiln_status_t status = kiln_model_format_summary(desc, &text))
    return runtimeError(status);
  std::fputs(text, stdout);
  kiln_free(text);
  return kExitOk;
}

} // namespace kiln::cli
