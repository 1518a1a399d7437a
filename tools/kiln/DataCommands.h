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
/// prints all. `skipCorrupt` skips corrupt records and records that are no
/// Example, with a warning count. Returns the exit code.
int inspectTFRecord(llvm::StringRef path, int64_t limit, bool json,
                    bool skipCorrupt);

/// Writes the samples of a data SPEC (as for training: `x.npy,y.npy`,
/// `data.npz`, `images.gz,labels.gz`) to a TFRecord file of Examples, one per
/// sample: `image` (the sample's values, flattened: int32/int64 arrays,
/// such as an Embedding's ids, as int64 values, exactly; others as floats,
/// IDX bytes scaled to [0, 1] as training scales them, .npy/.npz values as
/// stored) and `label` (int64 for int32/int64 arrays and for float labels,
/// one per sample, that are whole numbers: class indices; else floats). `compression` is "none",
/// "gzip" or "zlib", or empty: gzip for an `output` ending in .gz, else
/// none (an uncompressed .gz is refused). The output appears atomically.
/// Returns the exit code.
int convertToTFRecord(llvm::StringRef spec, llvm::StringRef output,
                      llvm::StringRef compression);

} // namespace mlir::kiln

#endif // KILN_TOOLS_KILN_DATACOMMANDS_H
