//===- Hdf5File.h - Read-only access to Keras HDF5 files --------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// A small RAII layer over libhdf5's C API with exactly what the Keras
// importer reads: string attributes (fixed or variable length, scalar or
// list), float datasets, group listings. Errors come back as llvm::Error for
// the caller to wrap in a diagnostic naming the file and layer; libhdf5's own
// error stack printing is switched off.
//===----------------------------------------------------------------------===//

#ifndef KILN_FRONTEND_KERAS_HDF5FILE_H
#define KILN_FRONTEND_KERAS_HDF5FILE_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace mlir::kiln::keras {

/// A numeric dataset read as float32, with its shape.
struct Hdf5Floats {
  llvm::SmallVector<int64_t> shape;
  std::vector<float> values;
};

class Hdf5File {
public:
  /// Opens `path` read-only.
  static llvm::Expected<std::unique_ptr<Hdf5File>> open(llvm::StringRef path);
  /// Opens an HDF5 file image held in memory (a `.keras` archive member).
  static llvm::Expected<std::unique_ptr<Hdf5File>>
  openImage(llvm::ArrayRef<char> bytes);
  ~Hdf5File();
  Hdf5File(const Hdf5File &) = delete;
  Hdf5File &operator=(const Hdf5File &) = delete;

  /// True if `path` names a group (or the root, "/").
  bool hasGroup(llvm::StringRef path) const;
  /// True if the object at `path` carries attribute `name`.
  bool hasAttribute(llvm::StringRef path, llvm::StringRef name) const;
  /// Reads a string attribute, or a list of strings (a 1-D string array; an
  /// empty numeric array reads as an empty list). Fails when it is missing
  /// or not made of strings.
  llvm::Expected<std::vector<std::string>>
  readStrings(llvm::StringRef path, llvm::StringRef name) const;
  /// Reads a numeric dataset converted to float32, with its shape.
  llvm::Expected<Hdf5Floats> readFloats(llvm::StringRef path) const;
  /// Names of the members of group `path`, in the file's (name) order.
  std::vector<std::string> listGroup(llvm::StringRef path) const;

private:
  explicit Hdf5File(int64_t file) : file(file) {}
  int64_t file; ///< hid_t
};

} // namespace mlir::kiln::keras

#endif // KILN_FRONTEND_KERAS_HDF5FILE_H
