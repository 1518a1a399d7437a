//===- DataCommands.h - `kiln data inspect|convert` -------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Data tools over the runtime's readers and writers (TFRecord framing,
// tf.train.Example): no TensorFlow, no Python.
//===----------------------------------------------------------------------===//

#ifndef KILN_TOOLS_KILN_DATACOMMANDS_H
#define KILN_TOOLS_KILN_DATACOMMANDS_H

#include "llvm/ADT/StringRef.h"

namespace mlir::kiln {

/// Prints the records of a TFRecord file of Examples: with `json`, one JSON
/// object per record per line; otherwise a readable listing. `limit` < 0
/// prints all. Returns the exit code.
int inspectTFRecord(llvm::StringRef path, int64_t limit, bool json);

} // namespace mlir::kiln

#endif // KILN_TOOLS_KILN_DATACOMMANDS_H
