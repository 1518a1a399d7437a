//===- Initializers.h - Keras weight initializers ---------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Compile-time evaluation of Keras initializers (`glorot_uniform`, `zeros`,
// VarianceScaling and its presets, random uniform/normal/truncated normal,
// constants) for models that come without weights. The distributions and
// their parameters follow Keras exactly; the random stream is kiln's own
// (seeded by `--seed` and the weight's name), so values are reproducible but
// not bit-identical to Keras's.
//===----------------------------------------------------------------------===//

#ifndef KILN_FRONTEND_KERAS_INITIALIZERS_H
#define KILN_FRONTEND_KERAS_INITIALIZERS_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"

#include <string>
#include <vector>

namespace mlir::kiln::keras {

/// The axes of a weight whose sizes count as its fan-in and fan-out, where
/// they are not Keras's default (the last two, times the rest): Keras 3's
/// EinsumDense hands them to a VarianceScaling initializer.
struct FanAxes {
  std::vector<int64_t> input, output;
};

/// The values of a weight of `shape` from the initializer `spec` (a string
/// such as "zeros", or `{"class_name": ..., "config": {...}}`; null means
/// `fallback`). A VarianceScaling initializer takes its fans over the
/// config's `input_axes` and `output_axes` when set, else over `fans` when
/// given. Fails for an unknown or unsupported initializer.
llvm::Expected<std::vector<float>>
evaluateInitializer(const llvm::json::Value *spec, llvm::StringRef fallback,
                    llvm::ArrayRef<int64_t> shape, uint64_t seed,
                    llvm::StringRef weightName,
                    const FanAxes *fans = nullptr);

} // namespace mlir::kiln::keras

#endif // KILN_FRONTEND_KERAS_INITIALIZERS_H
