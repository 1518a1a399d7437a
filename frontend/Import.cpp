//===- Import.cpp - The one entry point of the frontend ---------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//===----------------------------------------------------------------------===//

#include "frontend/Import.h"
#include "frontend/keras/KerasFiles.h"
#include "frontend/keras/KerasImporter.h"
#include "frontend/onnx/OnnxImporter.h"

#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

using namespace mlir;
using namespace mlir::kiln;

ModelFormat mlir::kiln::detectModelFormat(StringRef path) {
  // The HDF5 superblock may follow a user block of 512, 1024, 2048... bytes.
  constexpr uint64_t kHeadBytes = 4096 + 8;
  auto buffer = llvm::MemoryBuffer::getFileSlice(path, kHeadBytes, 0,
                                                 /*IsVolatile=*/false);
  if (!buffer) // shorter than kHeadBytes: read it whole
    buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                         /*RequiresNullTerminator=*/false);
  if (!buffer)
    return ModelFormat::Unknown;
  StringRef head = (*buffer)->getBuffer().take_front(kHeadBytes);
  if (head.starts_with("PK\x03\x04"))
    return ModelFormat::KerasArchive;
  static constexpr char kHdf5Signature[] = "\x89HDF\r\n\x1a\n";
  for (size_t offset = 0; offset + 8 <= head.size();
       offset = offset ? offset * 2 : 512)
    if (head.substr(offset, 8) == StringRef(kHdf5Signature, 8))
      return ModelFormat::KerasH5;
  StringRef text = head;
  text.consume_front("\xEF\xBB\xBF"); // UTF-8 byte order mark
  text = text.ltrim(" \t\r\n");
  if (text.starts_with("{"))
    return ModelFormat::KerasJson;
  // An ONNX ModelProto starts with its ir_version field (tag 1, varint).
  if (head.size() > 2 && head[0] == '\x08' && head[1] >= 1 && head[1] <= 15)
    return ModelFormat::Onnx;
  // Content unknown: a file named for a format goes to that format's reader,
  // whose error says what is wrong with it ("not a zip archive").
  StringRef ext = llvm::sys::path::extension(path);
  if (ext.equals_insensitive(".onnx"))
    return ModelFormat::Onnx;
  if (ext.equals_insensitive(".keras"))
    return ModelFormat::KerasArchive;
  if (ext.equals_insensitive(".h5") || ext.equals_insensitive(".hdf5"))
    return ModelFormat::KerasH5;
  if (ext.equals_insensitive(".json"))
    return ModelFormat::KerasJson;
  return ModelFormat::Unknown;
}

static FailureOr<ImportedModel> importAnyModel(MLIRContext *context,
                                               StringRef path,
                                               const ImportOptions &options) {
  Location fileLoc = FileLineColLoc::get(context, path, 0, 0);
  if (!llvm::sys::fs::exists(path)) {
    emitError(fileLoc) << "no such file";
    return failure();
  }
  if (llvm::sys::fs::is_directory(path)) {
    emitError(fileLoc) << "is a directory, not a model file";
    return failure();
  }
  // A FIFO or device would block or never end: model files are regular.
  if (!llvm::sys::fs::is_regular_file(path)) {
    emitError(fileLoc) << "is not a regular file";
    return failure();
  }
  keras::ModelSource source;
  LogicalResult loaded = failure();
  ModelFormat format = detectModelFormat(path);
  // ONNX-only options; a Keras model says the same in its own config.
  if (format != ModelFormat::Onnx && format != ModelFormat::Unknown) {
    if (!options.frozen.empty()) {
      emitError(fileLoc) << "--freeze applies to ONNX models; a Keras "
                            "layer's trainable: false freezes its weights";
      return failure();
    }
    if (!options.inputShapes.empty()) {
      emitError(fileLoc) << "--input-shape applies to ONNX models; a Keras "
                            "model's input shapes are in its config";
      return failure();
    }
  }
  switch (format) {
  case ModelFormat::KerasJson:
    loaded = keras::loadJsonModel(path, fileLoc, source);
    break;
  case ModelFormat::KerasArchive:
    loaded = keras::loadKerasArchive(path, fileLoc, source);
    break;
  case ModelFormat::KerasH5:
    loaded = keras::loadLegacyH5Model(path, fileLoc, source);
    break;
  case ModelFormat::Onnx:
    if (!options.weightsPath.empty()) {
      emitError(fileLoc) << "--weights applies to Keras models; an ONNX "
                            "model carries its initializers";
      return failure();
    }
    return onnx_import::importOnnxModel(context, path, options);
  case ModelFormat::Unknown:
    emitError(fileLoc) << "unrecognized model format (expected Keras JSON, a "
                          ".keras archive, a Keras .h5 model, a "
                          "TensorFlow.js model.json or an .onnx model)";
    return failure();
  }
  if (failed(loaded))
    return failure();
  // Keras always saves a .keras model with its weights; one without them
  // would silently start from random initializers.
  if (format == ModelFormat::KerasArchive && !source.weights &&
      options.weightsPath.empty()) {
    emitError(fileLoc) << "archive has no 'model.weights.h5' (Keras saves "
                          "one with every model; give the weights with "
                          "--weights FILE, or compile the model's JSON to "
                          "start from its initializers)";
    return failure();
  }
  if (!options.weightsPath.empty()) {
    if (!llvm::sys::fs::is_regular_file(options.weightsPath)) {
      emitError(FileLineColLoc::get(context, options.weightsPath, 0, 0))
          << (llvm::sys::fs::exists(options.weightsPath)
                  ? "is not a regular file"
                  : "no such file");
      return failure();
    }
    if (failed(
            keras::loadWeightsOverride(options.weightsPath, fileLoc, source)))
      return failure();
  }
  return keras::importKerasModel(context, path, std::move(source), options);
}

FailureOr<ImportedModel> mlir::kiln::importModel(MLIRContext *context,
                                                 StringRef path,
                                                 const ImportOptions &options) {
  FailureOr<ImportedModel> model = importAnyModel(context, path, options);
  if (failed(model) || !options.seedGiven ||
      llvm::any_of(model->params,
                   [](const ParamData &p) { return p.initialized; }))
    return model;
  emitError(FileLineColLoc::get(context, path, 0, 0))
      << "--seed seeds the initializers of parameters no file gives, and "
         "every parameter of this model comes from "
      << (options.weightsPath.empty() ? "the model file"
                                      : "'" + options.weightsPath + "'");
  return failure();
}
