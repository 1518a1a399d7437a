//===- HostArrays.h - Run a compiled model on host tensors ------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// What `kiln run` and the ONNX conformance runner share: a compiled model's
// predict entry run once on `HostTensor`s (frontend/Import.h), each input
// converted to its descriptor's element type and each output read back in
// its own (float32, int32, int64, bool), through the runtime's arrays.
//===----------------------------------------------------------------------===//

#ifndef KILN_TOOLS_KILN_HOSTARRAYS_H
#define KILN_TOOLS_KILN_HOSTARRAYS_H

#include "frontend/Import.h"

#include "kiln/model.h"

#include <string>
#include <vector>

namespace mlir::kiln {

/// The ONNX element type of a runtime dtype (KILN_DTYPE_*).
OnnxType onnxTypeOfDtype(int32_t dtype);
/// The runtime dtype of an ONNX element type; 0 when the runtime has none.
int32_t dtypeOfOnnxType(OnnxType type);

/// Runs `desc`'s predict entry once on `inputs` (one per descriptor input,
/// in its order, shapes already checked) with `batch` rows, filling
/// `outputs` (one per descriptor output). "" on success, else the problem.
std::string predictOnce(const kiln_model_desc_t *desc,
                        llvm::ArrayRef<const HostTensor *> inputs,
                        int64_t batch, std::vector<HostTensor> &outputs);

} // namespace mlir::kiln

#endif // KILN_TOOLS_KILN_HOSTARRAYS_H
