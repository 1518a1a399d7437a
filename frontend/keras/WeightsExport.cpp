//===- WeightsExport.cpp - Writing Keras 3 .weights.h5 files ----*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//===----------------------------------------------------------------------===//

#include "frontend/keras/WeightsExport.h"

#include "llvm/Support/FileSystem.h"

#include <hdf5.h>

using namespace mlir::kiln;
using namespace mlir::kiln::keras;

namespace {
/// Writes one HDF5 file; every call returns false on the first failure.
class Writer {
public:
  explicit Writer(hid_t file) : file(file) {
    groupProps = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(groupProps, 1);
  }
  ~Writer() { H5Pclose(groupProps); }

  bool group(const std::string &path) {
    if (H5Lexists(file, path.c_str(), H5P_DEFAULT) > 0)
      return true;
    hid_t g =
        H5Gcreate2(file, path.c_str(), groupProps, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0)
      return false;
    H5Gclose(g);
    return true;
  }

  bool dataset(const std::string &path, llvm::ArrayRef<int64_t> shape,
               const float *data) {
    std::vector<hsize_t> dims(shape.begin(), shape.end());
    hid_t space = H5Screate_simple(dims.size(), dims.data(), nullptr);
    hid_t set = H5Dcreate2(file, path.c_str(), H5T_IEEE_F32LE, space,
                           groupProps, H5P_DEFAULT, H5P_DEFAULT);
    bool ok = set >= 0 && H5Dwrite(set, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL,
                                   H5P_DEFAULT, data) >= 0;
    if (set >= 0)
      H5Dclose(set);
    H5Sclose(space);
    return ok;
  }

private:
  hid_t file;
  hid_t groupProps;
};
} // namespace

llvm::Error
mlir::kiln::keras::writeKeras3Weights(llvm::StringRef path,
                                      const ImportedModel &model,
                                      llvm::ArrayRef<const float *> values) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  std::string tmp = (path + ".kiln-tmp").str();
  hid_t file = H5Fcreate(tmp.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (file < 0)
    return llvm::createStringError("cannot create '" + tmp + "'");
  bool ok = true;
  {
    Writer writer(file);
    ok &= writer.group("/vars"); // the model's own (no) variables
    for (const LayerRow &layer : model.layers)
      if (!layer.keras3Path.empty())
        ok &= writer.group("/" + layer.keras3Path + "/vars");
    for (auto [param, data] : llvm::zip(model.params, values))
      ok &= !param.keras3Path.empty() &&
            writer.dataset("/" + param.keras3Path, param.shape, data);
  }
  ok &= H5Fclose(file) >= 0;
  if (!ok) {
    llvm::sys::fs::remove(tmp);
    return llvm::createStringError("cannot write HDF5 data to '" + tmp + "'");
  }
  if (std::error_code ec = llvm::sys::fs::rename(tmp, path)) {
    llvm::sys::fs::remove(tmp);
    return llvm::createStringError("cannot write '" + path +
                                   "': " + ec.message());
  }
  return llvm::Error::success();
}
