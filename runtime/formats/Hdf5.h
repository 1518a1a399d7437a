//===- Hdf5.h - Float datasets of an HDF5 file, as Keras writes them -*- C++
//-*-===//
// SPDX-License-Identifier: Apache-2.0
//
// A reader of the HDF5 files Keras 3 saves weights in (`.weights.h5`, h5py's
// default format): superblock version 0 or 1, version-1 object headers
// (with continuation blocks), groups as symbol tables (version-1 B-trees,
// symbol-table nodes, local heaps), and datasets of integers (1-8 bytes) or
// IEEE floats (float16/32/64), either byte order, with a contiguous or
// compact layout (Keras neither chunks nor compresses weights); elements are
// converted to float32 as libhdf5's H5Dread into H5T_NATIVE_FLOAT does.
// Anything else is refused by name (UNIMPLEMENTED): a newer file format,
// chunked or filtered data, another element type. Every offset and size read
// from the file is checked against it; a damaged file is DATA_LOSS, never a
// crash (test/fuzz/Hdf5Fuzz.cpp). No libhdf5: the runtime stays free of it.
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_FORMATS_HDF5_H
#define KILN_RUNTIME_FORMATS_HDF5_H

#include "kiln/runtime.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace kiln {

/// An HDF5 file in memory.
class Hdf5File {
public:
  /// Takes the file's bytes; `name` is for messages.
  Hdf5File(std::string name, std::string bytes)
      : name(std::move(name)), bytes(std::move(bytes)) {}

  /// Reads the whole file at `path` and parses its superblock.
  static kiln_status_t open(const std::string &path,
                            std::unique_ptr<Hdf5File> &out);

  /// Checks the superblock and finds the root group (before any read).
  kiln_status_t parse();

  /// Reads the dataset at `path` ("layers/dense/vars/0"), which must have
  /// the shape `dims`, into `out` as float32.
  kiln_status_t readFloat32(const std::string &path,
                            const std::vector<int64_t> &dims, float *out);

  /// The names of the members of the group at `path` ("layers/dense/vars").
  kiln_status_t listMembers(const std::string &path,
                            std::vector<std::string> &names);

private:
  struct Object; // a parsed object header
  kiln_status_t readObject(uint64_t address, Object &object);
  /// The object header address of `path`, from the root group.
  kiln_status_t findObject(const std::string &path, uint64_t &address);
  /// The address of `group`'s member `child` (0 if none), or with `names`,
  /// every member's name.
  kiln_status_t findChild(const Object &group, const std::string &child,
                          uint64_t &address,
                          std::vector<std::string> *names = nullptr);
  kiln_status_t scanTree(uint64_t node, uint64_t heapData, uint64_t heapSize,
                         const std::string &child, uint64_t &address,
                         std::vector<std::string> *names, int depth);
  kiln_status_t damaged(const char *what) const;
  bool fits(uint64_t offset, uint64_t size) const;
  uint64_t readUnsigned(uint64_t offset, unsigned size) const;

  std::string name;
  std::string bytes;
  unsigned offsetSize = 8, lengthSize = 8;
  uint64_t base = 0;
  uint64_t rootHeader = 0;
  uint64_t visits = 0; // B-tree entries seen by the current findChild
};

} // namespace kiln

#endif // KILN_RUNTIME_FORMATS_HDF5_H
