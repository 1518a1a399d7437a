//===- KerasWeights.cpp - Keras weight file layouts -------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//===----------------------------------------------------------------------===//

#include "frontend/keras/KerasWeights.h"
#include "frontend/keras/Hdf5File.h"

#include "llvm/ADT/StringExtras.h"
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

namespace {

//===----------------------------------------------------------------------===//
// HDF5 layouts
//===----------------------------------------------------------------------===//

class Hdf5WeightSource : public WeightSource {
public:
  enum class Layout { Keras2, Keras3 };

  Hdf5WeightSource(std::unique_ptr<Hdf5File> file, std::string name,
                   Layout layout, std::string root)
      : file(std::move(file)), name(std::move(name)), layout(layout),
        root(std::move(root)) {}

  /// Detects the layout of `file`; null with `error` set if it is not a
  /// Keras weights file.
  static std::unique_ptr<WeightSource> create(std::unique_ptr<Hdf5File> file,
                                              StringRef name,
                                              std::string &error) {
    if (file->hasAttribute("/", "layer_names"))
      return std::make_unique<Hdf5WeightSource>(std::move(file), name.str(),
                                                Layout::Keras2, "");
    if (file->hasAttribute("/model_weights", "layer_names"))
      return std::make_unique<Hdf5WeightSource>(
          std::move(file), name.str(), Layout::Keras2, "/model_weights");
    if (file->hasGroup("/layers"))
      return std::make_unique<Hdf5WeightSource>(std::move(file), name.str(),
                                                Layout::Keras3, "");
    error = "not a Keras weights file (no 'layer_names' attribute and no "
            "'layers' group)";
    return nullptr;
  }

  bool layerWeights(const LayerKey &layer,
                    std::optional<std::vector<WeightArray>> &result,
                    std::string &error) override {
    result.reset();
    std::vector<std::string> names;
    std::string group;
    if (layout == Layout::Keras2) {
      group = root + "/" + layer.name.str();
      if (!file->hasGroup(group))
        return true;
      auto weightNames = file->readStrings(group, "weight_names", error);
      if (!weightNames)
        return false;
      names = *weightNames;
    } else {
      group = "/" + layer.keras3Path.str() + "/vars";
      if (!file->hasGroup(group))
        return true;
      names = file->listGroup(group);
      // Variables are named 0, 1, ...: order them numerically.
      for (const std::string &n : names)
        if (n.empty() || !llvm::all_of(n, llvm::isDigit)) {
          error = "unexpected member '" + n + "' in '" + group + "'";
          return false;
        }
      llvm::sort(names, [](const std::string &a, const std::string &b) {
        return std::stoll(a) < std::stoll(b);
      });
    }
    result.emplace();
    for (const std::string &n : names) {
      WeightArray array;
      array.name = n;
      if (!file->readFloats(group + "/" + n, array.shape, array.values, error))
        return false;
      result->push_back(std::move(array));
    }
    return true;
  }

  StringRef fileName() const override { return name; }

private:
  std::unique_ptr<Hdf5File> file;
  std::string name;
  Layout layout;
  std::string root;
};

//===----------------------------------------------------------------------===//
// TensorFlow.js shards
//===----------------------------------------------------------------------===//

class TfjsWeightSource : public WeightSource {
public:
  explicit TfjsWeightSource(std::string name) : name(std::move(name)) {}

  bool layerWeights(const LayerKey &layer,
                    std::optional<std::vector<WeightArray>> &result,
                    std::string &) override {
    result.reset();
    for (const WeightArray &array : arrays) {
      // "dense_1/kernel" or "model/dense_1/kernel" belong to layer dense_1.
      StringRef owner = StringRef(array.name).rsplit('/').first;
      if (owner != layer.name && !owner.ends_with(("/" + layer.name).str()))
        continue;
      if (!result)
        result.emplace();
      result->push_back(array);
    }
    return true;
  }

  StringRef fileName() const override { return name; }

  std::vector<WeightArray> arrays;

private:
  std::string name;
};

} // namespace

std::unique_ptr<WeightSource>
mlir::kiln::keras::openHdf5Weights(StringRef path, std::string &error) {
  std::unique_ptr<Hdf5File> file = Hdf5File::open(path, error);
  if (!file)
    return nullptr;
  return Hdf5WeightSource::create(std::move(file), path, error);
}

std::unique_ptr<WeightSource>
mlir::kiln::keras::openHdf5WeightsImage(std::vector<char> bytes,
                                        StringRef displayName,
                                        std::string &error) {
  std::unique_ptr<Hdf5File> file = Hdf5File::openImage(bytes, error);
  if (!file)
    return nullptr;
  return Hdf5WeightSource::create(std::move(file), displayName, error);
}

std::unique_ptr<WeightSource>
mlir::kiln::keras::openTfjsWeights(const llvm::json::Array &manifest,
                                   StringRef modelDir, StringRef modelPath,
                                   std::string &error) {
  auto source = std::make_unique<TfjsWeightSource>(modelPath.str());
  for (const llvm::json::Value &groupValue : manifest) {
    const llvm::json::Object *group = groupValue.getAsObject();
    const llvm::json::Array *paths = group ? group->getArray("paths") : nullptr;
    const llvm::json::Array *weights =
        group ? group->getArray("weights") : nullptr;
    if (!paths || !weights) {
      error = "weightsManifest entry lacks 'paths' or 'weights'";
      return nullptr;
    }
    std::string bytes;
    for (const llvm::json::Value &p : *paths) {
      std::optional<StringRef> shard = p.getAsString();
      if (!shard) {
        error = "weightsManifest path is not a string";
        return nullptr;
      }
      llvm::SmallString<256> shardPath(modelDir);
      llvm::sys::path::append(shardPath, *shard);
      auto buffer = llvm::MemoryBuffer::getFile(shardPath, /*IsText=*/false);
      if (!buffer) {
        error = "cannot read weight shard '" + shardPath.str().str() +
                "': " + buffer.getError().message();
        return nullptr;
      }
      bytes += (*buffer)->getBuffer();
    }
    size_t offset = 0;
    for (const llvm::json::Value &w : *weights) {
      const llvm::json::Object *weight = w.getAsObject();
      std::optional<StringRef> name =
          weight ? weight->getString("name") : std::nullopt;
      std::optional<StringRef> dtype =
          weight ? weight->getString("dtype") : std::optional<StringRef>("");
      const llvm::json::Array *shape = weight ? weight->getArray("shape") : nullptr;
      if (!name || !shape) {
        error = "weightsManifest weight lacks 'name' or 'shape'";
        return nullptr;
      }
      if (weight->get("quantization")) {
        error = "weight '" + name->str() + "' is quantized (unsupported)";
        return nullptr;
      }
      WeightArray array;
      array.name = name->str();
      uint64_t count = 1;
      for (const llvm::json::Value &d : *shape) {
        std::optional<int64_t> dim = d.getAsInteger();
        if (!dim || *dim < 0 || (*dim > 0 && count > (1ull << 40) / *dim)) {
          error = "weight '" + array.name + "' has an invalid shape";
          return nullptr;
        }
        array.shape.push_back(*dim);
        count *= *dim;
      }
      StringRef type = dtype ? *dtype : "float32";
      if (type != "float32" && type != "int32") {
        error = "weight '" + array.name + "' has unsupported dtype '" +
                type.str() + "'";
        return nullptr;
      }
      size_t size = count * 4;
      if (offset + size > bytes.size()) {
        error = "weight shards hold " + std::to_string(bytes.size()) +
                " bytes but the manifest needs more for '" + array.name +
                "' (truncated shard?)";
        return nullptr;
      }
      if (type == "float32") {
        array.values.resize(count);
        std::memcpy(array.values.data(), bytes.data() + offset, size);
        source->arrays.push_back(std::move(array));
      }
      // int32 entries (an optimizer's step counter) are not layer weights.
      offset += size;
    }
    if (offset != bytes.size()) {
      error = "weight shards hold " + std::to_string(bytes.size()) +
              " bytes but the manifest describes " + std::to_string(offset);
      return nullptr;
    }
  }
  return source;
}
