//===- Model.h - Descriptor validation shared with the CLI ------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// `kiln_model_create` validates a descriptor before copying its parameters;
// the command line's `info` validates without the copy.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_SRC_MODEL_H
#define KILN_RUNTIME_SRC_MODEL_H

#include "kiln/runtime.h"

namespace kiln {

/// Checks `desc`: ABI version, tensor tables (names, float32, ranks; only the
/// leading dimension of inputs/outputs may be -1) and that every parameter
/// lies within the weights blob.
kiln_status_t checkDescriptor(const kiln_model_desc_t *desc);

} // namespace kiln

#endif // KILN_RUNTIME_SRC_MODEL_H
