//===- OnnxTensors.cpp - TensorProto to HostTensor --------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//===----------------------------------------------------------------------===//

#include "frontend/onnx/OnnxTensors.h"
#include "frontend/onnx/OnnxImporter.h"

#include "mlir/IR/BuiltinTypeInterfaces.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include "onnx/onnx_pb.h"

#include <cmath>
#include <cstring>

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::onnx_import;

StringRef mlir::kiln::typeName(OnnxType type) {
  switch (type) {
  case OnnxType::Float:
    return "float32";
  case OnnxType::Uint8:
    return "uint8";
  case OnnxType::Int8:
    return "int8";
  case OnnxType::Uint16:
    return "uint16";
  case OnnxType::Int16:
    return "int16";
  case OnnxType::Int32:
    return "int32";
  case OnnxType::Int64:
    return "int64";
  case OnnxType::String:
    return "string";
  case OnnxType::Bool:
    return "bool";
  case OnnxType::Float16:
    return "float16";
  case OnnxType::Double:
    return "float64";
  case OnnxType::Uint32:
    return "uint32";
  case OnnxType::Uint64:
    return "uint64";
  case OnnxType::Bfloat16:
    return "bfloat16";
  default:
    return "an unknown element type";
  }
}

Type mlir::kiln::onnx_import::elementTypeOf(MLIRContext *ctx, OnnxType type) {
  switch (type) {
  case OnnxType::Float:
    return Float32Type::get(ctx);
  case OnnxType::Int32:
    return IntegerType::get(ctx, 32);
  case OnnxType::Int64:
    return IntegerType::get(ctx, 64);
  case OnnxType::Bool:
    return IntegerType::get(ctx, 1);
  default:
    return {};
  }
}

OnnxType mlir::kiln::onnx_import::onnxTypeOf(Type type) {
  Type element = getElementTypeOrSelf(type);
  if (element.isF32())
    return OnnxType::Float;
  if (element.isF64())
    return OnnxType::Double;
  if (element.isInteger(1))
    return OnnxType::Bool;
  if (element.isInteger(32))
    return OnnxType::Int32;
  if (element.isInteger(64))
    return OnnxType::Int64;
  return OnnxType::Undefined;
}

bool mlir::kiln::onnx_import::isNumeric(Type type) {
  Type element = getElementTypeOrSelf(type);
  return isa<FloatType>(element) || element.isInteger(32) ||
         element.isInteger(64);
}

bool mlir::kiln::isIntegral(OnnxType type) {
  switch (type) {
  case OnnxType::Uint8:
  case OnnxType::Int8:
  case OnnxType::Uint16:
  case OnnxType::Int16:
  case OnnxType::Int32:
  case OnnxType::Int64:
  case OnnxType::Bool:
  case OnnxType::Uint32:
  case OnnxType::Uint64:
    return true;
  default:
    return false;
  }
}

SmallVector<int64_t> HostTensor::toInt64() const {
  SmallVector<int64_t> result;
  result.reserve(values.size());
  for (double v : values) {
    if (v == kDynamicBatchValue)
      result.push_back(ShapedType::kDynamic);
    else if (batchMultiple(v))
      result.push_back(INT64_MIN);
    else if (std::isnan(v))
      result.push_back(0);
    else if (v >= 9.2233720368547758e18)
      result.push_back(INT64_MAX);
    else if (v <= -9.2233720368547758e18)
      result.push_back(INT64_MIN);
    else
      result.push_back(static_cast<int64_t>(v));
  }
  return result;
}

std::optional<double> mlir::kiln::foldBatchArith(BatchArith op, double x,
                                                 double y) {
  int64_t kx = batchMultiple(x), ky = batchMultiple(y);
  switch (op) {
  case BatchArith::Mul: {
    if (!kx && !ky)
      return x * y;
    double other = kx ? y : x;
    if ((kx && ky) || other < 0 || other != std::trunc(other))
      return std::nullopt;
    if (other == 0)
      return 0.0;
    if (!batchMultiple(x * y))
      return std::nullopt;
    return x * y;
  }
  case BatchArith::Div: {
    // Integer division, truncating (ONNX's, C's).
    if (!kx && !ky)
      return y == 0 ? std::nullopt : std::optional<double>(std::trunc(x / y));
    // (kx * batch) / (ky * batch) is kx / ky for every batch.
    if (kx && ky)
      return std::trunc(double(kx) / double(ky));
    // (kx * batch) / y is (kx / y) * batch where y divides kx.
    if (kx)
      return y > 0 && y <= double(kx) && y == std::trunc(y) &&
                     kx % int64_t(y) == 0
                 ? std::optional<double>(x / y)
                 : std::nullopt;
    // x / (ky * batch) is 0 for every batch where 0 <= x < ky.
    return x >= 0 && x < double(ky) ? std::optional<double>(0.0) : std::nullopt;
  }
  case BatchArith::Max:
  case BatchArith::Min:
  case BatchArith::Equal: {
    if (!kx && !ky)
      return op == BatchArith::Equal ? double(x == y)
             : op == BatchArith::Max ? std::max(x, y)
                                     : std::min(x, y);
    // k * batch >= k: at least any size up to k (equal to none below k),
    // and the multiples are ordered by k.
    if (kx && ky)
      return op == BatchArith::Equal ? double(kx == ky)
             : (op == BatchArith::Max) == (kx > ky) ? x
                                                     : y;
    int64_t k = kx ? kx : ky;
    double size = kx ? y : x, multiple = kx ? x : y;
    if (op == BatchArith::Equal ? size >= k : size > k)
      return std::nullopt;
    return op == BatchArith::Equal ? 0.0
           : op == BatchArith::Max ? multiple
                                   : size;
  }
  }
  return std::nullopt;
}

bool HostTensor::hasDynamicBatch() const {
  return llvm::any_of(values, [](double v) { return batchMultiple(v) > 0; });
}

/// Bytes per element of the fixed-size types kiln reads.
static int64_t elementBytes(OnnxType type) {
  switch (type) {
  case OnnxType::Uint8:
  case OnnxType::Int8:
  case OnnxType::Bool:
    return 1;
  case OnnxType::Uint16:
  case OnnxType::Int16:
    return 2;
  case OnnxType::Float:
  case OnnxType::Int32:
  case OnnxType::Uint32:
    return 4;
  case OnnxType::Int64:
  case OnnxType::Double:
  case OnnxType::Uint64:
    return 8;
  default:
    return 0;
  }
}

std::pair<unsigned, bool> mlir::kiln::integerWidth(OnnxType type) {
  if (!isIntegral(type) || type == OnnxType::Bool)
    return {0, false};
  bool isSigned = type == OnnxType::Int8 || type == OnnxType::Int16 ||
                  type == OnnxType::Int32 || type == OnnxType::Int64;
  return {static_cast<unsigned>(8 * elementBytes(type)), isSigned};
}

/// One little-endian element of `type` at `p`, as a double.
static double decode(OnnxType type, const char *p) {
  using namespace llvm::support;
  switch (type) {
  case OnnxType::Uint8:
  case OnnxType::Bool:
    return static_cast<uint8_t>(*p);
  case OnnxType::Int8:
    return static_cast<int8_t>(*p);
  case OnnxType::Uint16:
    return endian::read16le(p);
  case OnnxType::Int16:
    return static_cast<int16_t>(endian::read16le(p));
  case OnnxType::Int32:
    return static_cast<int32_t>(endian::read32le(p));
  case OnnxType::Uint32:
    return endian::read32le(p);
  case OnnxType::Int64:
    return static_cast<double>(static_cast<int64_t>(endian::read64le(p)));
  case OnnxType::Uint64:
    return static_cast<double>(endian::read64le(p));
  case OnnxType::Float: {
    uint32_t bits = endian::read32le(p);
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
  }
  case OnnxType::Double: {
    uint64_t bits = endian::read64le(p);
    double d;
    std::memcpy(&d, &bits, 8);
    return d;
  }
  default:
    return 0;
  }
}

/// The bytes of an external tensor, read from `location` below `modelDir`.
static FailureOr<std::string>
readExternal(const onnx::TensorProto &tensor, StringRef modelDir,
             const std::function<InFlightDiagnostic()> &error) {
  std::string location;
  int64_t offset = 0, length = -1;
  for (const onnx::StringStringEntryProto &entry : tensor.external_data()) {
    long long parsed = 0;
    if (entry.key() == "location")
      location = entry.value();
    else if ((entry.key() == "offset" || entry.key() == "length") &&
             (llvm::StringRef(entry.value()).getAsInteger(10, parsed) ||
              parsed < 0))
      return error() << "external data " << entry.key() << " '" << entry.value()
                     << "' is not a byte count",
             failure();
    else if (entry.key() == "offset")
      offset = parsed;
    else if (entry.key() == "length")
      length = parsed;
  }
  if (location.empty())
    return error() << "external data has no location", failure();
  // The file must sit below the model's folder: a model file may not make
  // the compiler read /etc/shadow.
  if (llvm::sys::path::is_absolute(location) ||
      llvm::is_contained(llvm::make_range(llvm::sys::path::begin(location),
                                          llvm::sys::path::end(location)),
                         ".."))
    return error() << "external data location '" << location
                   << "' is not a path below the model's folder",
           failure();
  llvm::SmallString<256> full(modelDir);
  llvm::sys::path::append(full, location);
  auto buffer = llvm::MemoryBuffer::getFile(full, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return error() << "cannot read external data '" << full
                   << "': " << buffer.getError().message(),
           failure();
  StringRef bytes = (*buffer)->getBuffer();
  if (offset > int64_t(bytes.size()) ||
      (length >= 0 && length > int64_t(bytes.size()) - offset))
    return error() << "external data '" << location << "' is " << bytes.size()
                   << " bytes, shorter than offset " << offset << " + length "
                   << length,
           failure();
  bytes = bytes.drop_front(offset);
  if (length >= 0)
    bytes = bytes.take_front(length);
  return bytes.str();
}

FailureOr<HostTensor>
mlir::kiln::onnx_import::readTensorProto(const onnx::TensorProto &tensor,
                                         StringRef modelDir, Location loc,
                                         StringRef what) {
  auto error = [&]() -> InFlightDiagnostic {
    InFlightDiagnostic diag = emitError(loc);
    diag << what << " '" << tensor.name() << "': ";
    return diag;
  };
  HostTensor t;
  t.type = static_cast<OnnxType>(tensor.data_type());
  int64_t bytesPer = elementBytes(t.type);
  if (!bytesPer) {
    error() << "element type " << typeName(t.type) << " is not supported";
    return failure();
  }
  int64_t count = 1;
  for (int64_t d : tensor.dims()) {
    if (d < 0 || (d && count > (int64_t(1) << 40) / d)) {
      error() << "dimensions are negative or too large";
      return failure();
    }
    t.shape.push_back(d);
    count *= d;
  }
  const std::string *raw = nullptr;
  std::string external;
  if (tensor.data_location() == onnx::TensorProto::EXTERNAL) {
    FailureOr<std::string> bytes = readExternal(tensor, modelDir, error);
    if (failed(bytes))
      return failure();
    external = std::move(*bytes);
    raw = &external;
  } else if (tensor.has_raw_data()) {
    raw = &tensor.raw_data();
  }
  if (raw) {
    if (int64_t(raw->size()) != count * bytesPer) {
      error() << "holds " << raw->size() << " bytes; its shape "
              << formatKerasShape(t.shape) << " of " << typeName(t.type)
              << " needs " << count * bytesPer;
      return failure();
    }
    t.values.reserve(count);
    for (int64_t i = 0; i < count; ++i)
      t.values.push_back(decode(t.type, raw->data() + i * bytesPer));
    return t;
  }
  auto take = [&](const auto &field) -> LogicalResult {
    if (int64_t(field.size()) != count) {
      error() << "holds " << field.size() << " values; its shape "
              << formatKerasShape(t.shape) << " needs " << count;
      return failure();
    }
    t.values.reserve(count);
    for (auto v : field)
      t.values.push_back(static_cast<double>(v));
    return success();
  };
  LogicalResult taken = success();
  switch (t.type) {
  case OnnxType::Float:
    taken = take(tensor.float_data());
    break;
  case OnnxType::Double:
    taken = take(tensor.double_data());
    break;
  case OnnxType::Int64:
    taken = take(tensor.int64_data());
    break;
  case OnnxType::Uint32:
  case OnnxType::Uint64:
    taken = take(tensor.uint64_data());
    break;
  default: // int32_data holds the narrow integer types and bool
    taken = take(tensor.int32_data());
    if (t.type == OnnxType::Bool)
      for (double &v : t.values)
        v = v != 0;
  }
  if (failed(taken))
    return failure();
  return t;
}

LogicalResult
mlir::kiln::onnx_import::readProtoFile(StringRef path,
                                       google::protobuf::MessageLite &message,
                                       std::string &problem) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer) {
    problem = "cannot read: " + buffer.getError().message();
    return failure();
  }
  StringRef bytes = (*buffer)->getBuffer();
  problem.clear();
  return success(bytes.size() <= size_t(INT32_MAX) &&
                 message.ParseFromArray(bytes.data(), int(bytes.size())));
}

FailureOr<HostTensor>
mlir::kiln::onnx_import::readTensorFile(MLIRContext *context, StringRef path,
                                        std::string *name) {
  Location loc = FileLineColLoc::get(context, path, 0, 0);
  onnx::TensorProto tensor;
  std::string problem;
  if (failed(readProtoFile(path, tensor, problem))) {
    emitError(loc) << (problem.empty() ? "not an ONNX TensorProto (the "
                                         "protobuf does not parse)"
                                       : problem);
    return failure();
  }
  if (name)
    *name = tensor.name();
  return readTensorProto(tensor, llvm::sys::path::parent_path(path), loc,
                         "tensor");
}

std::string mlir::kiln::onnx_import::serializeTensor(StringRef name,
                                                     const HostTensor &t) {
  onnx::TensorProto tensor;
  tensor.set_name(name.str());
  for (int64_t d : t.shape)
    tensor.add_dims(d);
  // Raw little-endian bytes of the tensor's own type (float32, int32,
  // int64, bool as one byte each).
  size_t width = t.type == OnnxType::Int64  ? 8
                 : t.type == OnnxType::Bool ? 1
                                            : 4;
  tensor.set_data_type(t.type == OnnxType::Int64 || t.type == OnnxType::Int32 ||
                               t.type == OnnxType::Bool
                           ? int32_t(t.type)
                           : onnx::TensorProto::FLOAT);
  std::string raw(t.values.size() * width, '\0');
  for (auto [i, v] : llvm::enumerate(t.values)) {
    char *at = raw.data() + i * width;
    if (t.type == OnnxType::Int64) {
      llvm::support::endian::write64le(at, uint64_t(int64_t(v)));
    } else if (t.type == OnnxType::Int32) {
      llvm::support::endian::write32le(at, uint32_t(int32_t(v)));
    } else if (t.type == OnnxType::Bool) {
      *at = v != 0;
    } else {
      float f = static_cast<float>(v);
      uint32_t bits;
      std::memcpy(&bits, &f, 4);
      llvm::support::endian::write32le(at, bits);
    }
  }
  tensor.set_raw_data(std::move(raw));
  return tensor.SerializeAsString();
}
