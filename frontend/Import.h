//===- Import.h - The one entry point of the frontend -----------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// `importModel` picks the importer by the file's content (its first bytes),
// not by its name: a zip archive is a `.keras` model, an HDF5 file a legacy
// Keras `.h5` model, a JSON object a Keras `model.to_json()` file or a
// TensorFlow.js `model.json`. Anything else is "unrecognized model format",
// unless its extension names a format, whose reader then reports the damage.
// Each importer builds kiln IR (dialects/kiln/Model/ImportedModel.h) and knows
// nothing of targets.
//===----------------------------------------------------------------------===//

#ifndef KILN_FRONTEND_IMPORT_H
#define KILN_FRONTEND_IMPORT_H

#include "dialects/kiln/Model/ImportedModel.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"

#include <optional>
#include <string>
#include <utility>

namespace mlir::kiln {

/// The model file forms the frontend tells apart.
enum class ModelFormat {
  Unknown,
  KerasJson,    ///< Keras `model.to_json()` or a tfjs `model.json`
  KerasArchive, ///< `.keras` (zip)
  KerasH5,      ///< legacy full-model `.h5` (HDF5)
  Onnx,         ///< `.onnx` (ONNX ModelProto)
};

/// Element types of tensors known at compile time, numbered as ONNX's
/// TensorProto.DataType.
enum class OnnxType : int32_t {
  Undefined = 0,
  Float = 1,
  Uint8 = 2,
  Int8 = 3,
  Uint16 = 4,
  Int16 = 5,
  Int32 = 6,
  Int64 = 7,
  String = 8,
  Bool = 9,
  Float16 = 10,
  Double = 11,
  Uint32 = 12,
  Uint64 = 13,
  Bfloat16 = 16,
};

/// The ONNX name of an element type ("float", "int64", ...).
StringRef typeName(OnnxType type);
/// True for the integer and bool types, whose values a HostTensor holds
/// exactly.
bool isIntegral(OnnxType type);
/// The width in bits and the signedness of an integer type (not bool); 0
/// bits for the other types.
std::pair<unsigned, bool> integerWidth(OnnxType type);

/// A tensor known at compile time. Values are held as doubles: exact for
/// float32 and for integers up to 2^53 (shapes, axes, indices; INT64_MAX
/// as Slice's "to the end" rounds, and `toInt64` clamps it back).
struct HostTensor {
  OnnxType type = OnnxType::Float;
  SmallVector<int64_t> shape;
  std::vector<double> values;

  int64_t numElements() const {
    int64_t n = 1;
    for (int64_t d : shape)
      n *= d;
    return n;
  }
  /// The values as int64 (clamped to the int64 range; the dynamic batch
  /// size as ShapedType::kDynamic, a multiple of it as INT64_MIN).
  SmallVector<int64_t> toInt64() const;
  /// True when an element is the dynamic batch size or a multiple of it.
  bool hasDynamicBatch() const;
};

/// The value a known shape tensor holds for the dynamic batch size (ONNX
/// `Shape` of a batched tensor): -2^40, exact in a double and no size. It
/// passes through the ops that move shape elements (Gather, Concat,
/// Unsqueeze, Slice, Cast) and means the batch where a shape is read
/// (Reshape). k times it, for k up to kMaxBatchMultiple, is k times the
/// batch: the size of a dimension that merges the batch with others
/// (PyTorch's attention, batch * heads), from Shape or from Mul by a known
/// integer, the only arithmetic on it that the importers fold: up to
/// 2^22 - 1 times (a sequence of 4M tokens, or 2048^2 pixels, merged with
/// the batch), every multiple exact in a double and an int64. (INT64_MIN,
/// Slice's "from the start", is 2^23 times it: past the bound.)
constexpr double kDynamicBatchValue = -1099511627776.0;
constexpr int64_t kMaxBatchMultiple = (int64_t(1) << 22) - 1;

/// k when `v` is k times the dynamic batch size (1 <= k <=
/// kMaxBatchMultiple), 0 otherwise.
inline int64_t batchMultiple(double v) {
  if (v > kDynamicBatchValue)
    return 0;
  double k = v / kDynamicBatchValue;
  return k == double(int64_t(k)) && k <= double(kMaxBatchMultiple)
             ? int64_t(k)
             : 0;
}

/// The shape arithmetic the importers fold on values that may hold the
/// batch size (batchMultiple): the result when it is the same for every
/// batch size >= 1 (k * batch times 3 is (3k) * batch; max(2 * batch, 2)
/// is 2 * batch; (6 * batch) / (2 * batch) is 3, integer division), nullopt
/// when it depends on it.
enum class BatchArith { Mul, Div, Max, Min, Equal };
std::optional<double> foldBatchArith(BatchArith op, double x, double y);

/// Settings every importer honours.
struct ImportOptions {
  /// A weights file overriding (or supplying) the model's own weights.
  std::string weightsPath;
  /// Seed of the initializers of a model without weights.
  uint64_t seed = 0;
  /// The seed was asked for (`--seed`): a model whose every parameter comes
  /// from a file is then an error, not a flag that does nothing.
  bool seedGiven = false;
  /// Shapes of model inputs, fixing the dimensions a file leaves symbolic
  /// (`--input-shape name=1x3x224x224`).
  llvm::StringMap<SmallVector<int64_t>> inputShapes;
  /// Values of model inputs known when compiling (`kiln run`, the ONNX
  /// conformance runner): an input that an op needs at compile time (a
  /// shape, axes, Gather's indices) is folded in; one that is not float32
  /// is no model input then.
  llvm::StringMap<HostTensor> inputValues;
  /// Parameters the optimizer must not update (`--freeze NAME,...`).
  llvm::StringSet<> frozen;
  /// The model is compiled to train (a loss was given): an importer warns
  /// about what training it would not read from the file.
  bool training = false;
};

/// The format of the file at `path`, from its content; from its extension
/// only when the content is none of the known ones (so that the reader of a
/// damaged `.keras` file says what is wrong with it). Unknown otherwise.
ModelFormat detectModelFormat(StringRef path);

/// Imports the model at `path`, whatever its format. On failure one error
/// naming the file (and the layer and problem) has been emitted on `context`.
FailureOr<ImportedModel> importModel(MLIRContext *context, StringRef path,
                                     const ImportOptions &options);

} // namespace mlir::kiln

#endif // KILN_FRONTEND_IMPORT_H
