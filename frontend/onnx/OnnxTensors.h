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

namespace google::protobuf {
class MessageLite;
} // namespace google::protobuf

namespace onnx {
class TensorProto;
} // namespace onnx

namespace mlir::kiln::onnx_import {

/// The values of `tensor`; `modelDir` resolves external data. Errors are
/// emitted at `loc` and name `what` ("initializer") and the tensor.
FailureOr<HostTensor> readTensorProto(const onnx::TensorProto &tensor,
                                      StringRef modelDir, Location loc,
                                      StringRef what);

/// The kiln element type of ONNX tensors of `type` at run time: f32, i32,
/// i64, or i1 for bool; null for the types kiln does not compute with.
Type elementTypeOf(MLIRContext *ctx, OnnxType type);
/// The ONNX element type of a kiln tensor type (or element type).
OnnxType onnxTypeOf(Type type);
/// True for the element types of a kiln tensor type (or element type) that
/// kiln's arithmetic computes with: float, int32 and int64 (Add/Sub/Mul,
/// Max/Min, CumSum); bool is not a number to it.
bool isNumeric(Type type);

/// Reads the protobuf file at `path` into `message`: success, or failure
/// with `problem` set to "cannot read: <reason>", or left empty when the
/// bytes do not parse as the message (the caller says what it expected).
LogicalResult readProtoFile(StringRef path,
                            google::protobuf::MessageLite &message,
                            std::string &problem);

} // namespace mlir::kiln::onnx_import

#endif // KILN_FRONTEND_ONNX_ONNXTENSORS_H
