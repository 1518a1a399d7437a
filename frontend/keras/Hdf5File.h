//===- Hdf5File.h - Read-only access to Keras HDF5 files --------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// A small RAII layer over libhdf5's C API with exactly what the Keras
// importer reads: string attributes (fixed or variable length, scalar or
// list), float datasets, group listings. Errors come back as text for the
// caller to wrap in a diagnostic naming the file and layer; libhdf5's own
// error stack printing is switched off.
//===----------------------------------------------------------------------===//

#ifndef KILN_FRONTEND_KERAS_HDF5FILE_H
#define KILN_FRONTEND_KERAS_HDF5FILE_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace mlir::kiln::keras {

class Hdf5File {
public:
  /// Opens `path` read-only; on failure returns null and sets `error`.
  static std::unique_ptr<Hdf5File> open(llvm::StringRef path,
                                        std::string &error);
  /// Opens an HDF5 file image held in memory (a `.keras` archive member).
  static std::unique_ptr<Hdf5File> openImage(llvm::ArrayRef<char> bytes,
                                             std::string &error);
  ~Hdf5File();
  Hdf5File(const Hdf5File &) = delete;
  Hdf5File &operator=(const Hdf5File &) = delete;

  /// True if `path` names a group (or the root, "/").
  bool hasGroup(llvm::StringRef path) const;
  /// True if the object at `path` carries attribute `name`.
  bool hasAttribute(llvm::StringRef path, llvm::StringRef name) const;
  /// Reads a string attribute, or a list of strings (a 1-D string array; an
  /// empty numeric array reads as an empty list). Returns nullopt and sets
  /// `error` when it is missing or not made of strings.
  std::optional<std::vector<std::string>>
  readStrings(llvm::StringRef path, llvm::StringRef name,
              std::string &error) const;
  /// Reads a numeric dataset converted to float32, with its shape.
  bool readFloats(llvm::StringRef path, llvm::SmallVectorImpl<int64_t> &shape,
                  std::vector<float> &values, std::string &error) const;
  /// Names of the members of group `path`, in the file's (name) order.
  std::vector<std::string> listGroup(llvm::StringRef path) const;

private:
  explicit Hdf5File(int64_t file) : file(file) {}
  int64_t file; ///< hid_t
};

} // namespace mlir::kiln::keras

#endif // KILN_FRONTEND_KERAS_HDF5FILE_H
