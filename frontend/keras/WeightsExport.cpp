//===- WeightsExport.cpp - Writing Keras 3 .weights.h5 files ----*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//===----------------------------------------------------------------------===//

#include "frontend/keras/WeightsExport.h"

#include <hdf5.h>

using namespace mlir::kiln;
using namespace mlir::kiln::keras;

namespace {
/// An HDF5 handle closed on scope exit (a negative id is a failed call).
class Handle {
public:
  Handle(hid_t id, herr_t (*close)(hid_t)) : id(id), close(close) {}
  Handle(const Handle &) = delete;
  Handle &operator=(const Handle &) = delete;
  ~Handle() {
    if (id >= 0)
      close(id);
  }
  bool valid() const { return id >= 0; }
  operator hid_t() const { return id; }

private:
  hid_t id;
  herr_t (*close)(hid_t);
};

/// Writes one HDF5 file; every call returns false on the first failure.
/// Objects carry no timestamps, so the same weights give the same bytes.
class Writer {
public:
  explicit Writer(hid_t file)
      : file(file), groupProps(H5Pcreate(H5P_GROUP_CREATE), H5Pclose),
        datasetProps(H5Pcreate(H5P_DATASET_CREATE), H5Pclose) {}

  bool valid() const {
    return groupProps.valid() && datasetProps.valid() &&
           H5Pset_obj_track_times(groupProps, 0) >= 0 &&
           H5Pset_obj_track_times(datasetProps, 0) >= 0;
  }

  /// Creates the group `path` ("/a/b") and its parents, as needed.
  bool group(llvm::StringRef path) {
    for (size_t slash = path.find('/', 1);; slash = path.find('/', slash + 1)) {
      std::string prefix = path.take_front(slash).str();
      if (H5Lexists(file, prefix.c_str(), H5P_DEFAULT) <= 0) {
        Handle g(H5Gcreate2(file, prefix.c_str(), H5P_DEFAULT, groupProps,
                            H5P_DEFAULT),
                 H5Gclose);
        if (!g.valid())
          return false;
      }
      if (slash == llvm::StringRef::npos)
        return true;
    }
  }

  bool dataset(llvm::StringRef path, llvm::ArrayRef<int64_t> shape,
               const float *data) {
    if (!group(path.rsplit('/').first))
      return false;
    std::vector<hsize_t> dims(shape.begin(), shape.end());
    Handle space(H5Screate_simple(dims.size(), dims.data(), nullptr), H5Sclose);
    if (!space.valid())
      return false;
    Handle set(H5Dcreate2(file, path.str().c_str(), H5T_IEEE_F32LE, space,
                          H5P_DEFAULT, datasetProps, H5P_DEFAULT),
               H5Dclose);
    return set.valid() && H5Dwrite(set, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL,
                                   H5P_DEFAULT, data) >= 0;
  }

private:
  hid_t file;
  Handle groupProps, datasetProps;
};
} // namespace

llvm::Expected<std::string>
mlir::kiln::keras::buildKeras3Weights(const ImportedModel &model,
                                      llvm::ArrayRef<const float *> values) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  auto failure = [] {
    return llvm::createStringError("cannot build the Keras 3 weights file "
                                   "in memory (HDF5 failed)");
  };
  // The core driver without a backing store: the file exists only in memory.
  Handle access(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  if (!access.valid() || H5Pset_fapl_core(access, 1 << 20, 0) < 0)
    return failure();
  Handle file(H5Fcreate("model.weights.h5", H5F_ACC_TRUNC, H5P_DEFAULT, access),
              H5Fclose);
  if (!file.valid())
    return failure();
  Writer writer(file);
  bool ok = writer.valid() && writer.group("/vars"); // the model's own (none)
  for (const LayerRow &layer : model.layers)
    if (!layer.keras3Path.empty())
      ok = ok && writer.group("/" + layer.keras3Path + "/vars");
  for (auto [param, data] : llvm::zip(model.params, values)) {
    if (param.keras3Path.empty())
      return llvm::createStringError("parameter '" + param.name +
                                     "' has no place in a Keras 3 file");
    ok = ok && writer.dataset("/" + param.keras3Path, param.shape, data);
  }
  if (!ok || H5Fflush(file, H5F_SCOPE_GLOBAL) < 0)
    return failure();
  ssize_t size = H5Fget_file_image(file, nullptr, 0);
  if (size <= 0)
    return failure();
  std::string image(static_cast<size_t>(size), '\0');
  if (H5Fget_file_image(file, image.data(), image.size()) != size)
    return failure();
  return image;
}
