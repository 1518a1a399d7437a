//===- main.cpp - The main function of a compiled model ---------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Linked (as libkiln_runtime_main.a) into the executable `kiln compile` builds
// for a model; the model object defines `kiln_model_descriptor`. Everything
// else is `kiln_cli_main`, so the runtime library itself has no `main`.
//
//===----------------------------------------------------------------------===//
#include "kiln/runtime.h"

int main(int argc, char **argv) {
  return kiln_cli_main(&kiln_model_descriptor, argc, argv);
}
