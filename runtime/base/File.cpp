//===- File.cpp - File errors, full writes, atomic files --------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// See File.h.
//
//===----------------------------------------------------------------------===//
#include "base/File.h"
#include "base/Status.h"

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>
#include <utility>

using namespace kiln;

kiln_status_t kiln::errnoStatus(int error, const char *action,
                                const char *path) {
  kiln_status_code_t code = KILN_STATUS_IO_ERROR;
  if (error == ENOENT || error == ENOTDIR)
    code = KILN_STATUS_NOT_FOUND;
  else if (error == ENOMEM)
    code = KILN_STATUS_OUT_OF_MEMORY;
  return KILN_STATUS(code, "cannot %s '%s': %s", action, path,
                     std::strerror(error));
}

bool kiln::writeFully(int fd, const void *data, size_t size) {
  const auto *bytes = static_cast<const uint8_t *>(data);
  while (size > 0) {
    ssize_t count = ::write(fd, bytes, size);
    if (count < 0 && errno == EINTR)
      continue;
    if (count <= 0) {
      if (count == 0)
        errno = EIO;
      return false;
    }
    bytes += count;
    size -= static_cast<size_t>(count);
  }
  return true;
}

AtomicFile::AtomicFile(AtomicFile &&other) noexcept
    : target(std::move(other.target)), temp(std::move(other.temp)),
      fd(other.fd) {
  other.temp.clear();
  other.fd = -1;
}

AtomicFile &AtomicFile::operator=(AtomicFile &&other) noexcept {
  if (this != &other) {
    discard();
    target = std::move(other.target);
    temp = std::move(other.temp);
    fd = other.fd;
    other.temp.clear();
    other.fd = -1;
  }
  return *this;
}

kiln_status_t AtomicFile::create(const char *path) {
  discard();
  std::string name = std::string(path) + ".tmp." + std::to_string(::getpid());
  fd = ::open(name.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0)
    return errnoStatus(errno, "create", name.c_str());
  target = path;
  temp = std::move(name);
  return nullptr;
}

kiln_status_t AtomicFile::write(const void *data, size_t size) {
  if (fd < 0)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "'%s' is not open for writing", temp.c_str());
  if (writeFully(fd, data, size))
    return nullptr;
  kiln_status_t status = errnoStatus(errno, "write", temp.c_str());
  discard();
  return status;
}

kiln_status_t AtomicFile::finish() {
  if (fd < 0)
    return nullptr;
  bool ok = ::fsync(fd) == 0;
  int error = errno;
  if (::close(fd) != 0 && ok) {
    ok = false;
    error = errno;
  }
  fd = -1;
  if (ok)
    return nullptr;
  kiln_status_t status = errnoStatus(error, "write", temp.c_str());
  discard();
  return status;
}

kiln_status_t AtomicFile::commit() {
  if (temp.empty())
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "no temporary file to rename to '%s'", target.c_str());
  KILN_RETURN_IF_ERROR(finish());
  if (::rename(temp.c_str(), target.c_str()) != 0) {
    kiln_status_t status =
        errnoStatus(errno, "rename a temporary file to", target.c_str());
    discard();
    return status;
  }
  temp.clear();
  return nullptr;
}

void AtomicFile::discard() {
  if (fd >= 0)
    ::close(fd);
  fd = -1;
  if (!temp.empty())
    ::unlink(temp.c_str());
  temp.clear();
}

kiln_status_t kiln::writeFileAtomically(const char *path, const void *data,
                                        size_t size) {
  AtomicFile file;
  KILN_RETURN_IF_ERROR(file.create(path));
  KILN_RETURN_IF_ERROR(file.write(data, size));
  return file.commit();
}
