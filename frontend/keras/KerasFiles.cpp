//===- KerasFiles.cpp - The containers Keras models come in -----*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//===----------------------------------------------------------------------===//

#include "frontend/keras/KerasFiles.h"
#include "frontend/keras/Hdf5File.h"

#include "mlir/IR/Diagnostics.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <zip.h>

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::keras;
namespace json = llvm::json;

/// The deepest nesting of arrays and objects in `text`, counted outside
/// strings; stops counting past `limit`.
static unsigned jsonDepth(StringRef text, unsigned limit) {
  unsigned depth = 0, deepest = 0;
  bool inString = false;
  for (size_t i = 0; i < text.size() && deepest <= limit; ++i) {
    char c = text[i];
    if (inString) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        inString = false;
    } else if (c == '"') {
      inString = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

FailureOr<json::Value>
mlir::kiln::keras::parseModelJson(StringRef text, StringRef what,
                                  Location fileLoc) {
  if (jsonDepth(text, kMaxJsonDepth) > kMaxJsonDepth) {
    emitError(fileLoc) << "malformed JSON in " << what
                       << ": nested deeper than " << kMaxJsonDepth
                       << " levels";
    return failure();
  }
  llvm::Expected<json::Value> value = json::parse(text);
  if (!value) {
    emitError(fileLoc) << "malformed JSON in " << what << ": "
                       << llvm::toString(value.takeError());
    return failure();
  }
  return std::move(*value);
}

/// Reads member `name` of an open zip archive.
static std::optional<std::vector<char>> readZipMember(zip_t *archive,
                                                      const char *name,
                                                      std::string &error) {
  zip_stat_t stat;
  zip_stat_init(&stat);
  if (zip_stat(archive, name, 0, &stat) != 0 ||
      !(stat.valid & ZIP_STAT_SIZE)) {
    error = std::string("archive has no '") + name + "'";
    return std::nullopt;
  }
  if (stat.size > (1ull << 34)) {
    error = std::string("archive member '") + name + "' is too large";
    return std::nullopt;
  }
  zip_file_t *file = zip_fopen(archive, name, 0);
  if (!file) {
    error = std::string("cannot open archive member '") + name +
            "': " + zip_strerror(archive);
    return std::nullopt;
  }
  std::vector<char> bytes(stat.size);
  zip_int64_t got = zip_fread(file, bytes.data(), stat.size);
  // libzip checks the member's CRC only on a read that reaches its end.
  char extra;
  zip_int64_t tail = got < 0 ? -1 : zip_fread(file, &extra, 1);
  zip_fclose(file);
  if (got < 0 || uint64_t(got) != stat.size || tail != 0) {
    error = std::string("archive member '") + name +
            "' is corrupt or truncated";
    return std::nullopt;
  }
  return bytes;
}

/// A `.keras` v3 archive: config.json + model.weights.h5.
LogicalResult mlir::kiln::keras::loadKerasArchive(StringRef path,
                                                 Location fileLoc,
                                                 ModelSource &source) {
  int code = 0;
  zip_t *archive = zip_open(path.str().c_str(), ZIP_RDONLY | ZIP_CHECKCONS,
                            &code);
  if (!archive) {
    zip_error_t error;
    zip_error_init_with_code(&error, code);
    emitError(fileLoc) << "not a readable .keras archive: "
                       << zip_error_strerror(&error);
    zip_error_fini(&error);
    return failure();
  }
  std::string error;
  auto config = readZipMember(archive, "config.json", error);
  std::optional<std::vector<char>> weights;
  if (config && zip_name_locate(archive, "model.weights.h5", 0) >= 0)
    weights = readZipMember(archive, "model.weights.h5", error);
  bool weightsFailed = !error.empty();
  zip_close(archive);
  if (!config || weightsFailed) {
    emitError(fileLoc) << error;
    return failure();
  }
  FailureOr<json::Value> topology = parseModelJson(
      StringRef(config->data(), config->size()), "config.json", fileLoc);
  if (failed(topology))
    return failure();
  if (json::Object *root = topology->getAsObject())
    if (json::Value *compile = root->get("compile_config"))
      source.training = *compile;
  source.topology = std::move(*topology);
  if (weights) {
    source.weights = openHdf5WeightsImage(
        std::move(*weights), (path + ":model.weights.h5").str(), error);
    if (!source.weights) {
      emitError(fileLoc) << "model.weights.h5: " << error;
      return failure();
    }
  }
  return success();
}

/// A legacy full-model `.h5`: `model_config` attribute + `model_weights/`.
LogicalResult mlir::kiln::keras::loadLegacyH5Model(StringRef path,
                                                  Location fileLoc,
                                                  ModelSource &source) {
  std::string error;
  std::unique_ptr<Hdf5File> file = Hdf5File::open(path, error);
  if (!file) {
    emitError(fileLoc) << error;
    return failure();
  }
  if (!file->hasAttribute("/", "model_config")) {
    emitError(fileLoc) << "HDF5 file has no 'model_config' attribute: it "
                          "holds weights only; compile the model's JSON and "
                          "pass this file with --weights";
    return failure();
  }
  auto config = file->readStrings("/", "model_config", error);
  if (!config || config->size() != 1) {
    emitError(fileLoc) << "unreadable 'model_config' attribute: " << error;
    return failure();
  }
  FailureOr<json::Value> topology =
      parseModelJson(config->front(), "model_config", fileLoc);
  if (failed(topology))
    return failure();
  source.topology = std::move(*topology);
  if (file->hasAttribute("/", "training_config")) {
    auto training = file->readStrings("/", "training_config", error);
    if (training && training->size() == 1) {
      FailureOr<json::Value> parsed =
          parseModelJson(training->front(), "training_config", fileLoc);
      if (failed(parsed))
        return failure();
      source.training = std::move(*parsed);
    }
  }
  source.weights = openHdf5Weights(path, error);
  if (!source.weights) {
    emitError(fileLoc) << error;
    return failure();
  }
  return success();
}

/// Keras JSON (`model.to_json()`) or a tfjs `model.json`.
LogicalResult mlir::kiln::keras::loadJsonModel(StringRef path, Location fileLoc,
                                              ModelSource &source) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
  if (!buffer) {
    emitError(fileLoc) << "cannot read file: " << buffer.getError().message();
    return failure();
  }
  FailureOr<json::Value> root =
      parseModelJson((*buffer)->getBuffer(), "model file", fileLoc);
  if (failed(root))
    return failure();
  json::Object *object = root->getAsObject();
  if (!object) {
    emitError(fileLoc) << "model JSON is not an object";
    return failure();
  }
  json::Value *topology = object->get("modelTopology");
  if (!topology) { // Keras JSON
    if (json::Value *compile = object->get("compile_config"))
      source.training = *compile;
    source.topology = std::move(*root);
    return success();
  }
  if (json::Value *training = object->get("trainingConfig"))
    source.training = *training;
  // TensorFlow.js layers model: the topology may be wrapped in model_config.
  if (json::Object *t = topology->getAsObject())
    if (json::Value *inner = t->get("model_config"))
      topology = inner;
  source.topology = std::move(*topology);
  if (const json::Array *manifest = object->getArray("weightsManifest")) {
    std::string error;
    source.weights = openTfjsWeights(
        *manifest, llvm::sys::path::parent_path(path), path, error);
    if (!source.weights) {
      emitError(fileLoc) << error;
      return failure();
    }
  }
  return success();
}

LogicalResult mlir::kiln::keras::loadWeightsOverride(StringRef weightsPath,
                                                    Location fileLoc,
                                                    ModelSource &source) {
  std::string error;
  source.weights = openHdf5Weights(weightsPath, error);
  if (!source.weights) {
    emitError(FileLineColLoc::get(fileLoc.getContext(), weightsPath, 0, 0))
        << error;
    return failure();
  }
  return success();
}
