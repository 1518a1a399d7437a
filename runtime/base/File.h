//===- File.h - File errors, full writes, atomic files ----------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// The one implementation of what every file the runtime writes needs: the
// status of a failed system call (`errnoStatus`), a write that survives short
// writes and EINTR (`writeFully`), an atomic file (`AtomicFile`), and the
// identity test that keeps an output from destroying an input
// (`isSameFile`).
//
// An atomic file is written where its path leads: a symlink's target (the
// link stays a link). An existing device or FIFO (/dev/null, /dev/full) is
// written in place. Anything else goes to a temporary
// ".<name>.kiln-tmp-<pid>-<n>" beside it, fsync'ed and renamed over it, so a
// reader never sees a half-written file and a failure leaves the old one.
// Temporaries never outlive their writer: failures and destruction remove
// them, SIGINT/SIGTERM/SIGHUP remove every live one (a registry and a
// handler that then hands the signal to the disposition it replaced: the
// default, or a program's own handler; a signal ignored when the first file
// is created stays ignored), and those of a process that died anyway
// (kill -9; its pid no longer exists) are removed by the next write of the
// same file. A long name is shortened in the temporary's name, so any name
// that fits NAME_MAX works. Messages name the caller's path and the reason,
// never the temporary.
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

/// Where writing `path` lands: `path` with symlinks followed (a dangling
/// link leads to the file it would create).
std::string resolveLinks(const char *path);

/// Whether `a` and `b` are one file: the same device and inode, links
/// followed. A path that does not exist yet is identified by its folder
/// and name, so two new outputs written to one file are caught too.
bool isSameFile(const char *a, const char *b);

/// A file replaced atomically (see above): `create` opens it, `write`
/// appends, `finish` syncs and closes, `commit` (after `finish` or not)
/// renames the temporary over the file. Any failure, and destruction or
/// `discard` before `commit`, removes the temporary.
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

private:
  std::string shown;   // the path as the caller named it, for messages
  std::string target;  // `shown` with links followed: what is replaced
  std::string temp;    // the temporary; empty when writing in place
  int fd = -1;         // -1 once finished
  int slot = -1;       // `temp`'s entry in the signal handler's registry
  bool active = false; // created, not yet committed or discarded
};

/// Writes the `size` bytes at `data` to `path` with an `AtomicFile`.
kiln_status_t writeFileAtomically(const char *path, const void *data,
                                  size_t size);

} // namespace kiln

#endif // KILN_RUNTIME_BASE_FILE_H
