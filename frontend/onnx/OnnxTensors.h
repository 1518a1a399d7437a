//===- OnnxTensors.h - TensorProto to HostTensor ----------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Reads an ONNX TensorProto's values (raw little-endian bytes, the typed
// repeated fields, or an external data file next to the model) into a
// HostTensor, checking that their count matches the dimensions.
//===----------------------------------------------------------------------===//

#ifndef KILN_FRONTEND_ONNX_ONNXTENSORS_H
#define KILN_FRONTEND_ONNX_ONNXTENSORS_H

#include "frontend/Import.h"

#include "mlir/IR/Location.h"

namespace onnx {
class TensorProto;
} // namespace onnx

namespace mlir::kiln::onnx_import {

/// The values of `tensor`; `modelDir` resolves external data. Errors are
/// emitted at `loc` and name `what` ("initializer") and the tensor.
FailureOr<HostTensor> readTensorProto(const onnx::TensorProto &tensor,
                                      StringRef modelDir, Location loc,
                                      StringRef what);

} // namespace mlir::kiln::onnx_import

#endif // KILN_FRONTEND_ONNX_ONNXTENSORS_H
