//===- KerasWeights.cpp - Keras weight file layouts -------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//===----------------------------------------------------------------------===//

#include "frontend/keras/KerasWeights.h"
#include "frontend/keras/Hdf5File.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <algorithm>
#include <cstring>
#include <regex>

using namespace mlir::kiln::keras;
using llvm::StringRef;

std::string mlir::kiln::keras::toSnakeCase(StringRef className) {
  // Keras's naming.to_snake_case, regex for regex.
  std::string name = className.str();
  name = std::regex_replace(name, std::regex("\\W+"), "");
  name = std::regex_replace(name, std::regex("(.)([A-Z][a-z]+)"), "$1_$2");
  name = std::regex_replace(name, std::regex("([a-z])([A-Z])"), "$1_$2");
  return StringRef(name).lower();
}

/// The datasets at `paths` of `file`, as weight arrays named after them.
static llvm::Expected<std::vector<WeightArray>>
readArrays(const Hdf5File &file, llvm::ArrayRef<std::string> paths,
           StringRef prefix = "") {
  std::vector<WeightArray> result;
  for (const std::string &path : paths) {
    llvm::Expected<Hdf5Floats> floats = file.readFloats(prefix.str() + path);
    if (!floats)
      return floats.takeError();
    WeightArray array;
    array.name = path;
    array.shape = std::move(floats->shape);
    array.values = std::move(floats->values);
    result.push_back(std::move(array));
  }
  return result;
}

llvm::Error WeightSource::checkNoWeights(const LayerKey &layer) {
  llvm::Expected<std::optional<std::vector<WeightArray>>> weights =
      layerWeights(layer);
  if (!weights)
    return weights.takeError();
  if (*weights && !(*weights)->empty())
    return llvm::createStringError("the file has " +
                                   std::to_string((*weights)->size()) +
                                   " weights for this layer, which has none");
  return llvm::Error::success();
}

namespace {

//===----------------------------------------------------------------------===//
// HDF5 layouts
//===----------------------------------------------------------------------===//

/// Keras 2 `save_weights` (and a legacy full-model file's `model_weights`):
/// `layer_names` lists the layers, each group's `weight_names` its weights.
/// Keras (2 and 3 alike, `load_weights_from_hdf5_group`) pairs the file's
/// layers that have weights with the model's in order, whatever their
/// names, so this source does too.
class Keras2Hdf5Source : public WeightSource {
public:
  static llvm::Expected<std::unique_ptr<WeightSource>>
  create(std::unique_ptr<Hdf5File> file, StringRef name, StringRef root) {
    auto source = std::make_unique<Keras2Hdf5Source>();
    llvm::Expected<std::vector<std::string>> layerNames =
        file->readStrings(root.empty() ? "/" : root, "layer_names");
    if (!layerNames)
      return layerNames.takeError();
    for (std::string &layer : *layerNames) {
      std::string group = root.str() + "/" + layer;
      if (!file->hasGroup(group))
        return llvm::createStringError("'layer_names' lists '" + layer +
                                       "', which has no group in the file");
      std::vector<std::string> weights;
      if (file->hasAttribute(group, "weight_names")) {
        llvm::Expected<std::vector<std::string>> names =
            file->readStrings(group, "weight_names");
        if (!names)
          return names.takeError();
        weights = std::move(*names);
      }
      // Keras skips the layers without weights (Flatten, Dropout, ...).
      if (!weights.empty())
        source->layers.push_back({std::move(layer), group, std::move(weights)});
    }
    source->file = std::move(file);
    source->name = name.str();
    return source;
  }

  llvm::Expected<std::optional<std::vector<WeightArray>>>
  layerWeights(const LayerKey &layer) override {
    if (next >= layers.size())
      return llvm::createStringError(
          "the file has weights for " + countLayers(layers.size()) +
          " and this is the model's layer " + std::to_string(next + 1) +
          " with weights (Keras pairs a Keras 2 weights file's layers with "
          "the model's in order)");
    const FileLayer &fileLayer = layers[next++];
    paired.push_back({layer.name.str(), fileLayer.name});
    llvm::Expected<std::vector<WeightArray>> arrays =
        readArrays(*file, fileLayer.weights, fileLayer.group + "/");
    if (!arrays)
      return arrays.takeError();
    return std::optional<std::vector<WeightArray>>(std::move(*arrays));
  }

  /// A layer without weights takes no file layer: Keras skips both.
  llvm::Error checkNoWeights(const LayerKey &) override {
    return llvm::Error::success();
  }

  llvm::Error finish(std::vector<std::string> &warnings) override {
    if (next < layers.size())
      return llvm::createStringError(
          "the file has weights for " + countLayers(layers.size()) +
          ", the model for " + countLayers(next) +
          " (Keras pairs them in order); the file's layer '" +
          layers[next].name + "' is left over");
    // Legal, and what Keras does, but a file whose layer names are the
    // model's in another order was most likely meant to pair by name.
    llvm::StringSet<> modelNames;
    for (const auto &[model, stored] : paired)
      modelNames.insert(model);
    std::string crossed;
    for (const auto &[model, stored] : paired)
      if (model != stored && modelNames.contains(stored))
        crossed += (crossed.empty() ? "" : ", ") + std::string("'") + model +
                   "' takes '" + stored + "''s";
    if (!crossed.empty())
      warnings.push_back(
          "the file names the model's layers in another order; its weights "
          "are paired with the layers in order, as Keras does, not by name: " +
          crossed);
    return llvm::Error::success();
  }

  StringRef fileName() const override { return name; }

private:
  static std::string countLayers(size_t n) {
    return std::to_string(n) + (n == 1 ? " layer" : " layers");
  }

  struct FileLayer {
    std::string name, group;
    std::vector<std::string> weights;
  };
  std::unique_ptr<Hdf5File> file;
  std::string name;
  /// The file's layers that have weights, in the file's order.
  std::vector<FileLayer> layers;
  size_t next = 0;
  /// (model layer, file layer) in pairing order.
  std::vector<std::pair<std::string, std::string>> paired;
};

/// Keras 3 `.weights.h5`: `layers/<path>/vars/<i>`, found by the layer's
/// path as Keras 3 does.
class Keras3Hdf5Source : public WeightSource {
public:
  Keras3Hdf5Source(std::unique_ptr<Hdf5File> file, StringRef name)
      : file(std::move(file)), name(name.str()) {}

  llvm::Expected<std::optional<std::vector<WeightArray>>>
  layerWeights(const LayerKey &layer) override {
    // The layer's own variables, then each sublayer scope's.
    std::vector<std::string> groups{"/" + layer.keras3Path.str() + "/vars"};
    for (const std::string &scope : layer.keras3Scopes)
      groups.push_back("/" + layer.keras3Path.str() + "/" + scope + "/vars");
    std::vector<std::string> names;
    bool any = false;
    for (const std::string &g : groups) {
      if (!file->hasGroup(g))
        continue;
      any = true;
      std::vector<std::string> vars = file->listGroup(g);
      // Variables are named 0, 1, ...: order them numerically.
      for (const std::string &n : vars)
        if (n.empty() || !llvm::all_of(n, llvm::isDigit))
          return llvm::createStringError("unexpected member '" + n + "' in '" +
                                         g + "'");
      llvm::sort(vars, [](const std::string &a, const std::string &b) {
        return std::stoll(a) < std::stoll(b);
      });
      for (const std::string &n : vars)
        names.push_back(g + "/" + n);
    }
    if (!any)
      return std::nullopt;
    llvm::Expected<std::vector<WeightArray>> arrays = readArrays(*file, names);
    if (!arrays)
      return arrays.takeError();
    return std::optional<std::vector<WeightArray>>(std::move(*arrays));
  }

  StringRef fileName() const override { return name; }

private:
  std::unique_ptr<Hdf5File> file;
  std::string name;
};

//===----------------------------------------------------------------------===//
// TensorFlow.js shards
//===----------------------------------------------------------------------===//

class TfjsWeightSource : public WeightSource {
public:
  explicit TfjsWeightSource(std::string name) : name(std::move(name)) {}

  llvm::Expected<std::optional<std::vector<WeightArray>>>
  layerWeights(const LayerKey &layer) override {
    std::optional<std::vector<WeightArray>> result;
    for (const WeightArray &array : arrays) {
      // "dense_1/kernel" or "model/dense_1/kernel" belong to layer dense_1.
      // A layer with sublayers (an RNN's cells) also owns
      // "rnn_1/RNNCell_0/kernel".
      StringRef owner = StringRef(array.name).rsplit('/').first;
      std::string prefix = (layer.name + "/").str();
      bool nested = !layer.keras3Scopes.empty() &&
                    (StringRef(array.name).starts_with(prefix) ||
                     StringRef(array.name).contains("/" + prefix));
      if (owner != layer.name && !owner.ends_with(("/" + layer.name).str()) &&
          !nested)
        continue;
      if (!result)
        result.emplace();
      result->push_back(array);
    }
    return result;
  }

  StringRef fileName() const override { return name; }

  std::vector<WeightArray> arrays;

private:
  std::string name;
};

} // namespace

/// Detects the layout of `file`; fails if it is not a Keras weights file.
static llvm::Expected<std::unique_ptr<WeightSource>>
openHdf5Source(std::unique_ptr<Hdf5File> file, StringRef name) {
  if (file->hasAttribute("/", "layer_names"))
    return Keras2Hdf5Source::create(std::move(file), name, "");
  if (file->hasAttribute("/model_weights", "layer_names"))
    return Keras2Hdf5Source::create(std::move(file), name, "/model_weights");
  if (file->hasGroup("/layers"))
    return std::make_unique<Keras3Hdf5Source>(std::move(file), name);
  return llvm::createStringError(
      llvm::Twine("not a Keras weights file (no 'layer_names' attribute and "
                  "no 'layers' group)"));
}

llvm::Expected<std::unique_ptr<WeightSource>>
mlir::kiln::keras::openHdf5Weights(StringRef path) {
  llvm::Expected<std::unique_ptr<Hdf5File>> file = Hdf5File::open(path);
  if (!file)
    return file.takeError();
  return openHdf5Source(std::move(*file), path);
}

llvm::Expected<std::unique_ptr<WeightSource>>
mlir::kiln::keras::openHdf5WeightsImage(std::vector<char> bytes,
                                        StringRef displayName) {
  llvm::Expected<std::unique_ptr<Hdf5File>> file = Hdf5File::openImage(bytes);
  if (!file)
    return file.takeError();
  return openHdf5Source(std::move(*file), displayName);
}

llvm::Expected<std::unique_ptr<WeightSource>>
mlir::kiln::keras::openTfjsWeights(const llvm::json::Array &manifest,
                                   StringRef modelDir, StringRef modelPath) {
  auto source = std::make_unique<TfjsWeightSource>(modelPath.str());
  for (const llvm::json::Value &groupValue : manifest) {
    const llvm::json::Object *group = groupValue.getAsObject();
    const llvm::json::Array *paths = group ? group->getArray("paths") : nullptr;
    const llvm::json::Array *weights =
        group ? group->getArray("weights") : nullptr;
    if (!paths || !weights)
      return llvm::createStringError(
          llvm::Twine("weightsManifest entry lacks 'paths' or 'weights'"));
    std::string bytes;
    for (const llvm::json::Value &p : *paths) {
      std::optional<StringRef> shard = p.getAsString();
      if (!shard)
        return llvm::createStringError(
            llvm::Twine("weightsManifest path is not a string"));
      // Shards live in the model's folder: no absolute paths, no "..", and
      // no symlink leading out of it (nothing else may be embedded).
      bool escapes = llvm::sys::path::is_absolute(*shard);
      for (auto it = llvm::sys::path::begin(*shard),
                end = llvm::sys::path::end(*shard);
           it != end; ++it)
        escapes |= *it == "..";
      llvm::SmallString<256> shardPath(modelDir);
      llvm::sys::path::append(shardPath, *shard);
      llvm::SmallString<256> realDir, realShard;
      if (!escapes &&
          !llvm::sys::fs::real_path(
              modelDir.empty() ? StringRef(".") : modelDir, realDir) &&
          !llvm::sys::fs::real_path(shardPath, realShard))
        escapes = !StringRef(realShard).starts_with(
            (realDir + llvm::sys::path::get_separator()).str());
      if (escapes)
        return llvm::createStringError(llvm::Twine("weight shard path '") +
                                       *shard + "' leaves the model's folder");
      if (!llvm::sys::fs::is_regular_file(shardPath) &&
          llvm::sys::fs::exists(shardPath))
        return llvm::createStringError(llvm::Twine("weight shard '") +
                                       shardPath + "' is not a regular file");
      auto buffer = llvm::MemoryBuffer::getFile(shardPath, /*IsText=*/false);
      if (!buffer)
        return llvm::createStringError("cannot read weight shard '" +
                                       shardPath.str().str() +
                                       "': " + buffer.getError().message());
      bytes += (*buffer)->getBuffer();
    }
    size_t offset = 0;
    for (const llvm::json::Value &w : *weights) {
      const llvm::json::Object *weight = w.getAsObject();
      std::optional<StringRef> name =
          weight ? weight->getString("name") : std::nullopt;
      std::optional<StringRef> dtype =
          weight ? weight->getString("dtype") : std::optional<StringRef>("");
      const llvm::json::Array *shape =
          weight ? weight->getArray("shape") : nullptr;
      if (!name || !shape)
        return llvm::createStringError(
            llvm::Twine("weightsManifest weight lacks 'name' or 'shape'"));
      if (weight->get("quantization"))
        return llvm::createStringError("weight '" + name->str() +
                                       "' is quantized (unsupported)");
      WeightArray array;
      array.name = name->str();
      uint64_t count = 1;
      for (const llvm::json::Value &d : *shape) {
        std::optional<int64_t> dim = d.getAsInteger();
        if (!dim || *dim < 0 || (*dim > 0 && count > (1ull << 40) / *dim))
          return llvm::createStringError("weight '" + array.name +
                                         "' has an invalid shape");
        array.shape.push_back(*dim);
        count *= *dim;
      }
      StringRef type = dtype ? *dtype : "float32";
      if (type != "float32" && type != "int32")
        return llvm::createStringError("weight '" + array.name +
                                       "' has unsupported dtype '" +
                                       type.str() + "'");
      size_t size = count * 4;
      if (offset + size > bytes.size())
        return llvm::createStringError(
            "weight shards hold " + std::to_string(bytes.size()) +
            " bytes but the manifest needs more for '" + array.name +
            "' (truncated shard?)");
      if (type == "float32") {
        array.values.resize(count);
        // A zero-element weight copies nothing (memcpy may not be given an
        // empty vector's null pointer).
        if (size != 0)
          std::memcpy(array.values.data(), bytes.data() + offset, size);
        source->arrays.push_back(std::move(array));
      }
      // int32 entries (an optimizer's step counter) are not layer weights.
      offset += size;
    }
    if (offset != bytes.size())
      return llvm::createStringError(
          "weight shards hold " + std::to_string(bytes.size()) +
          " bytes but the manifest describes " + std::to_string(offset));
  }
  return source;
}
