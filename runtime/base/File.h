//===- File.h - File errors, full writes, atomic files ----------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// The one implementation of what every file the runtime writes needs: the
// status of a failed system call (`errnoStatus`), a write that survives short
// writes and EINTR (`writeFully`), and an atomic file (`AtomicFile`): written
// under "<path>.tmp.<pid>" beside its path, fsync'ed, then renamed over it, so
// a reader never sees a half-written file and a failure leaves the old one.
// .npy outputs, TFRecord files, weights files and history files use it.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_BASE_FILE_H
#define KILN_RUNTIME_BASE_FILE_H

#include "kiln/runtime.h"

#include <cstddef>
#include <string>

namespace kiln {

/// The status of a failed file operation: "cannot <action> '<path>':
/// <strerror(error)>", NOT_FOUND for ENOENT/ENOTDIR, OUT_OF_MEMORY for
/// ENOMEM, else IO_ERROR.
kiln_status_t errnoStatus(int error, const char *action, const char *path);

/// Writes exactly `size` bytes to `fd`, retrying short writes and EINTR;
/// false sets errno (EIO when the system accepts no bytes).
bool writeFully(int fd, const void *data, size_t size);

/// A file replaced atomically: `create` opens "<path>.tmp.<pid>", `write`
/// appends to it, `finish` syncs and closes it, `commit` (after `finish` or
/// not) renames it over `path`. Any failure, and destruction or `discard`
/// before `commit`, removes the temporary file. Messages name the temporary
/// file ("cannot create", "cannot write") or `path` ("cannot rename a
/// temporary file to").
class AtomicFile {
public:
  AtomicFile() = default;
  AtomicFile(const AtomicFile &) = delete;
  AtomicFile &operator=(const AtomicFile &) = delete;
  AtomicFile(AtomicFile &&other) noexcept;
  AtomicFile &operator=(AtomicFile &&other) noexcept;
  ~AtomicFile() { discard(); }

  kiln_status_t create(const char *path);
  kiln_status_t write(const void *data, size_t size);
  kiln_status_t finish();
  kiln_status_t commit();
  /// Closes and removes the temporary file, if any.
  void discard();

  const std::string &temporaryPath() const { return temp; }

private:
  std::string target, temp; // temp is empty once committed or discarded
  int fd = -1;              // -1 once finished
};

/// Writes the `size` bytes at `data` to `path` with an `AtomicFile`.
kiln_status_t writeFileAtomically(const char *path, const void *data,
                                  size_t size);

} // namespace kiln

#endif // KILN_RUNTIME_BASE_FILE_H
