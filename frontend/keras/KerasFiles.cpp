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

FailureOr<json::Value> mlir::kiln::keras::parseModelJson(StringRef text,
                                                         StringRef what,
                                                         Location fileLoc) {
  if (jsonDepth(text, kMaxJsonDepth) > kMaxJsonDepth) {
    emitError(fileLoc) << "malformed JSON in " << what
                       << ": nested deeper than " << kMaxJsonDepth << " levels";
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

/// Emits `error` on `loc`, consuming it.
static LogicalResult emitErrorAt(Location loc, llvm::Error error) {
  emitError(loc) << llvm::toString(std::move(error));
  return failure();
}

/// Reads member `name` of an open zip archive.
static llvm::Expected<std::vector<char>> readZipMember(zip_t *archive,
                                                       const char *name) {
  zip_stat_t stat;
  zip_stat_init(&stat);
  if (zip_stat(archive, name, 0, &stat) != 0 || !(stat.valid & ZIP_STAT_SIZE))
    return llvm::createStringError(llvm::Twine("archive has no '") + name +
                                   "'");
  if (stat.size > (1ull << 34))
    return llvm::createStringError(llvm::Twine("archive member '") + name +
                                   "' is too large");
  zip_file_t *file = zip_fopen(archive, name, 0);
  if (!file)
    return llvm::createStringError(llvm::Twine("cannot open archive member '") +
                                   name + "': " + zip_strerror(archive));
  std::vector<char> bytes(stat.size);
  zip_int64_t got = zip_fread(file, bytes.data(), stat.size);
  // libzip checks the member's CRC only on a read that reaches its end.
  char extra;
  zip_int64_t tail = got < 0 ? -1 : zip_fread(file, &extra, 1);
  zip_fclose(file);
  if (got < 0 || uint64_t(got) != stat.size || tail != 0)
    return llvm::createStringError(llvm::Twine("archive member '") + name +
                                   "' is corrupt or truncated");
  return bytes;
}

/// A `.keras` v3 archive: config.json + model.weights.h5.
LogicalResult mlir::kiln::keras::loadKerasArchive(StringRef path,
                                                  Location fileLoc,
                                                  ModelSource &source) {
  int code = 0;
  zip_t *archive =
      zip_open(path.str().c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &code);
  if (!archive) {
    zip_error_t error;
    zip_error_init_with_code(&error, code);
    emitError(fileLoc) << "not a readable .keras archive: "
                       << zip_error_strerror(&error);
    zip_error_fini(&error);
    return failure();
  }
  llvm::Expected<std::vector<char>> config =
      readZipMember(archive, "config.json");
  std::optional<llvm::Expected<std::vector<char>>> weights, metadata;
  if (config && zip_name_locate(archive, "model.weights.h5", 0) >= 0)
    weights.emplace(readZipMember(archive, "model.weights.h5"));
  if (config && zip_name_locate(archive, "metadata.json", 0) >= 0)
    metadata.emplace(readZipMember(archive, "metadata.json"));
  zip_close(archive);
  if (!config)
    return emitErrorAt(fileLoc, config.takeError());
  if (weights && !*weights)
    return emitErrorAt(fileLoc, weights->takeError());
  if (metadata && !*metadata)
    return emitErrorAt(fileLoc, metadata->takeError());
  if (metadata) {
    FailureOr<json::Value> parsed =
        parseModelJson(StringRef((*metadata)->data(), (*metadata)->size()),
                       "metadata.json", fileLoc);
    if (failed(parsed))
      return failure();
    if (const json::Object *object = parsed->getAsObject())
      if (std::optional<StringRef> version = object->getString("keras_version"))
        source.flavor = flavorOfKerasVersion(*version);
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
    llvm::Expected<std::unique_ptr<WeightSource>> opened = openHdf5WeightsImage(
        std::move(**weights), (path + ":model.weights.h5").str());
    if (!opened) {
      emitError(fileLoc) << "model.weights.h5: "
                         << llvm::toString(opened.takeError());
      return failure();
    }
    source.weights = std::move(*opened);
  }
  return success();
}

/// A legacy full-model `.h5`: `model_config` attribute + `model_weights/`.
LogicalResult mlir::kiln::keras::loadLegacyH5Model(StringRef path,
                                                   Location fileLoc,
                                                   ModelSource &source) {
  llvm::Expected<std::unique_ptr<Hdf5File>> opened = Hdf5File::open(path);
  if (!opened)
    return emitErrorAt(fileLoc, opened.takeError());
  std::unique_ptr<Hdf5File> file = std::move(*opened);
  if (!file->hasAttribute("/", "model_config")) {
    emitError(fileLoc) << "HDF5 file has no 'model_config' attribute: it "
                          "holds weights only; compile the model's JSON and "
                          "pass this file with --weights";
    return failure();
  }
  llvm::Expected<std::vector<std::string>> config =
      file->readStrings("/", "model_config");
  if (!config) {
    emitError(fileLoc) << "unreadable 'model_config' attribute: "
                       << llvm::toString(config.takeError());
    return failure();
  }
  if (config->size() != 1) {
    emitError(fileLoc) << "unreadable 'model_config' attribute: ";
    return failure();
  }
  FailureOr<json::Value> topology =
      parseModelJson(config->front(), "model_config", fileLoc);
  if (failed(topology))
    return failure();
  source.topology = std::move(*topology);
  if (file->hasAttribute("/", "keras_version")) {
    llvm::Expected<std::vector<std::string>> version =
        file->readStrings("/", "keras_version");
    if (!version)
      llvm::consumeError(version.takeError()); // the flavor stays unknown
    else if (version->size() == 1)
      source.flavor = flavorOfKerasVersion(version->front());
  }
  if (file->hasAttribute("/", "training_config")) {
    // An unreadable training_config is ignored: the model still compiles
    // for inference.
    llvm::Expected<std::vector<std::string>> training =
        file->readStrings("/", "training_config");
    if (!training)
      llvm::consumeError(training.takeError());
    else if (training->size() == 1) {
      FailureOr<json::Value> parsed =
          parseModelJson(training->front(), "training_config", fileLoc);
      if (failed(parsed))
        return failure();
      source.training = std::move(*parsed);
    }
  }
  llvm::Expected<std::unique_ptr<WeightSource>> weights = openHdf5Weights(path);
  if (!weights)
    return emitErrorAt(fileLoc, weights.takeError());
  source.weights = std::move(*weights);
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
    // Keras 2's to_json records its version; Keras 3's does not, but only
    // it writes the serialization's "module" and "registered_name".
    if (std::optional<StringRef> version = object->getString("keras_version"))
      source.flavor = flavorOfKerasVersion(*version);
    else if (object->get("module") || object->get("registered_name"))
      source.flavor = KerasFlavor::Keras3;
    source.topology = std::move(*root);
    return success();
  }
  source.flavor = KerasFlavor::TfJs; // tfjs's activations, whoever wrote it
  if (json::Value *training = object->get("trainingConfig"))
    source.training = *training;
  // TensorFlow.js layers model: the topology may be wrapped in model_config.
  if (json::Object *t = topology->getAsObject())
    if (json::Value *inner = t->get("model_config"))
      topology = inner;
  source.topology = std::move(*topology);
  if (const json::Array *manifest = object->getArray("weightsManifest")) {
    llvm::Expected<std::unique_ptr<WeightSource>> weights =
        openTfjsWeights(*manifest, llvm::sys::path::parent_path(path), path);
    if (!weights)
      return emitErrorAt(fileLoc, weights.takeError());
    source.weights = std::move(*weights);
  }
  return success();
}

LogicalResult mlir::kiln::keras::loadWeightsOverride(StringRef weightsPath,
                                                     Location fileLoc,
                                                     ModelSource &source) {
  llvm::Expected<std::unique_ptr<WeightSource>> weights =
      openHdf5Weights(weightsPath);
  if (!weights)
    return emitErrorAt(
        FileLineColLoc::get(fileLoc.getContext(), weightsPath, 0, 0),
        weights.takeError());
  source.weights = std::move(*weights);
  return success();
}
