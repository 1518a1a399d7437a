//===- File.cpp - File errors, full writes, atomic files --------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// See File.h.
//
//===----------------------------------------------------------------------===//
#include "base/File.h"
#include "base/Status.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <mutex>
#include <pthread.h>
#include <sys/stat.h>
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

//===----------------------------------------------------------------------===//
// Paths
//===----------------------------------------------------------------------===//

std::string kiln::resolveLinks(const char *path) {
  std::string current = path;
  // As many links as the kernel follows; a longer chain (a loop) is left to
  // fail when opened.
  for (int hops = 0; hops < 40; ++hops) {
    struct stat info;
    if (::lstat(current.c_str(), &info) != 0 || !S_ISLNK(info.st_mode))
      break;
    char buffer[PATH_MAX];
    ssize_t size = ::readlink(current.c_str(), buffer, sizeof(buffer));
    if (size <= 0 || static_cast<size_t>(size) >= sizeof(buffer))
      break;
    std::string link(buffer, static_cast<size_t>(size));
    size_t slash = current.rfind('/');
    if (link[0] == '/' || slash == std::string::npos)
      current = link;
    else
      current = current.substr(0, slash + 1) + link;
  }
  return current;
}

namespace {

/// `path` split at its last slash: the folder ("." for none) and the name.
std::pair<std::string, std::string> splitPath(const std::string &path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos)
    return {".", path};
  return {slash ? path.substr(0, slash) : "/", path.substr(slash + 1)};
}

/// The file `path` is or would be: device and inode of the file, or of its
/// folder plus its name when it does not exist. False when neither exists.
bool identify(const char *path, dev_t &device, ino_t &inode,
              std::string &name) {
  std::string target = resolveLinks(path);
  struct stat info;
  name.clear();
  if (::stat(target.c_str(), &info) != 0) {
    auto [dir, base] = splitPath(target);
    if (base.empty() || base == "." || base == ".." ||
        ::stat(dir.c_str(), &info) != 0)
      return false;
    name = base;
  }
  device = info.st_dev;
  inode = info.st_ino;
  return true;
}

} // namespace

bool kiln::isSameFile(const char *a, const char *b) {
  dev_t deviceA, deviceB;
  ino_t inodeA, inodeB;
  std::string nameA, nameB;
  return identify(a, deviceA, inodeA, nameA) &&
         identify(b, deviceB, inodeB, nameB) && deviceA == deviceB &&
         inodeA == inodeB && nameA == nameB;
}

//===----------------------------------------------------------------------===//
// Temporaries
//===----------------------------------------------------------------------===//

namespace {

/// "<folder>/.<name>.kiln-tmp-" for `target`, the name cut so that the
/// whole temporary name (the prefix plus "<pid>-<n>") fits NAME_MAX. Cut
/// names may share a prefix; the pid and counter keep temporaries unique.
std::string temporaryPrefix(const std::string &target) {
  auto [dir, name] = splitPath(target);
  name.resize(std::min<size_t>(name.size(), NAME_MAX - 64));
  return dir + "/." + name + ".kiln-tmp-";
}

/// Removes the temporaries with `prefix` whose process no longer exists:
/// the leftovers of a writer killed before it could clean up.
void removeStaleTemporaries(const std::string &prefix) {
  auto [dir, start] = splitPath(prefix);
  DIR *folder = ::opendir(dir.c_str());
  if (!folder)
    return;
  while (const dirent *entry = ::readdir(folder)) {
    if (std::strncmp(entry->d_name, start.c_str(), start.size()) != 0)
      continue;
    const char *digits = entry->d_name + start.size();
    char *end = nullptr;
    long pid = std::strtol(digits, &end, 10);
    if (end == digits || *end != '-' || pid <= 0 || pid == ::getpid())
      continue;
    if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH)
      ::unlinkat(::dirfd(folder), entry->d_name, 0);
  }
  ::closedir(folder);
}

// The live temporaries, for the signal handler: each slot owns a malloc'ed
// path. Whoever takes a path out of its slot (exchange) owns it, so the
// handler and a writer finishing on another thread never share one.
constexpr int kMaxLive = 64;
std::atomic<char *> livePaths[kMaxLive];
static_assert(std::atomic<char *>::is_always_lock_free,
              "the signal handler needs lock-free slots");

constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP};
struct sigaction previousActions[3];

void removeTemporariesOnSignal(int signal) {
  int saved = errno;
  for (std::atomic<char *> &slot : livePaths)
    if (char *path = slot.exchange(nullptr))
      ::unlink(path);
  // Hand the signal to the previous disposition: the default ends the
  // process; a handler of the program's own (the kiln driver's LLVM one
  // removes its files, then ends it) runs now, and if it returns, this one
  // is installed again.
  int index = 0;
  while (kSignals[index] != signal)
    ++index;
  struct sigaction ours;
  ::sigaction(signal, &previousActions[index], &ours);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, signal);
  ::raise(signal);
  ::pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
  ::sigaction(signal, &ours, nullptr);
  errno = saved;
}

/// Installs the handler, once, for every signal not ignored.
void installSignalHandler() {
  static std::once_flag once;
  std::call_once(once, [] {
    for (int i = 0; i < 3; ++i) {
      struct sigaction action;
      std::memset(&action, 0, sizeof(action));
      action.sa_handler = removeTemporariesOnSignal;
      action.sa_flags = SA_RESTART;
      sigemptyset(&action.sa_mask);
      struct sigaction &previous = previousActions[i];
      if (::sigaction(kSignals[i], nullptr, &previous) != 0 ||
          (!(previous.sa_flags & SA_SIGINFO) && previous.sa_handler == SIG_IGN))
        continue;
      ::sigaction(kSignals[i], &action, nullptr);
    }
  });
}

/// Registers `path` for removal on a signal; returns its slot, -1 when all
/// are taken (the temporary is then left to the next run).
int registerTemporary(const std::string &path) {
  installSignalHandler();
  char *copy = ::strdup(path.c_str());
  if (!copy)
    return -1;
  for (int i = 0; i < kMaxLive; ++i) {
    char *empty = nullptr;
    if (livePaths[i].compare_exchange_strong(empty, copy))
      return i;
  }
  std::free(copy);
  return -1;
}

/// Takes `slot`'s path out of the registry (unless a handler already did).
void unregisterTemporary(int slot) {
  if (slot >= 0)
    std::free(livePaths[slot].exchange(nullptr));
}

} // namespace

//===----------------------------------------------------------------------===//
// AtomicFile
//===----------------------------------------------------------------------===//

AtomicFile::AtomicFile(AtomicFile &&other) noexcept {
  *this = std::move(other);
}

AtomicFile &AtomicFile::operator=(AtomicFile &&other) noexcept {
  if (this != &other) {
    discard();
    shown = std::move(other.shown);
    target = std::move(other.target);
    temp = std::move(other.temp);
    fd = std::exchange(other.fd, -1);
    slot = std::exchange(other.slot, -1);
    active = std::exchange(other.active, false);
    other.temp.clear();
  }
  return *this;
}

kiln_status_t AtomicFile::create(const char *path) {
  discard();
  shown = path;
  target = resolveLinks(path);
  // A device or FIFO is written in place: renaming over it would replace
  // it with a regular file.
  struct stat info;
  if (::stat(target.c_str(), &info) == 0 && !S_ISREG(info.st_mode)) {
    fd = ::open(target.c_str(), O_WRONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
      return errnoStatus(errno, "write", path);
    active = true;
    return nullptr;
  }
  static std::atomic<uint64_t> counter{0};
  std::string prefix = temporaryPrefix(target);
  removeStaleTemporaries(prefix);
  prefix += std::to_string(::getpid()) + "-";
  do {
    temp = prefix + std::to_string(counter++);
    fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  } while (fd < 0 && errno == EEXIST);
  if (fd < 0) {
    int error = errno;
    temp.clear();
    return errnoStatus(error, "create", path);
  }
  slot = registerTemporary(temp);
  active = true;
  return nullptr;
}

kiln_status_t AtomicFile::write(const void *data, size_t size) {
  if (fd < 0)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "'%s' is not open for writing", shown.c_str());
  if (writeFully(fd, data, size))
    return nullptr;
  kiln_status_t status = errnoStatus(errno, "write", shown.c_str());
  discard();
  return status;
}

kiln_status_t AtomicFile::finish() {
  if (fd < 0)
    return nullptr;
  // Only a regular file is synced: devices and FIFOs refuse fsync.
  bool ok = temp.empty() || ::fsync(fd) == 0;
  int error = errno;
  if (::close(fd) != 0 && ok) {
    ok = false;
    error = errno;
  }
  fd = -1;
  if (ok)
    return nullptr;
  kiln_status_t status = errnoStatus(error, "write", shown.c_str());
  discard();
  return status;
}

kiln_status_t AtomicFile::commit() {
  if (!active)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "'%s' is not open for writing", shown.c_str());
  KILN_RETURN_IF_ERROR(finish());
  if (!temp.empty() && ::rename(temp.c_str(), target.c_str()) != 0) {
    kiln_status_t status = errnoStatus(errno, "write", shown.c_str());
    discard();
    return status;
  }
  unregisterTemporary(std::exchange(slot, -1));
  temp.clear();
  active = false;
  return nullptr;
}

void AtomicFile::discard() {
  if (fd >= 0)
    ::close(fd);
  fd = -1;
  if (!temp.empty())
    ::unlink(temp.c_str());
  unregisterTemporary(std::exchange(slot, -1));
  temp.clear();
  active = false;
}

kiln_status_t kiln::writeFileAtomically(const char *path, const void *data,
                                        size_t size) {
  AtomicFile file;
  KILN_RETURN_IF_ERROR(file.create(path));
  KILN_RETURN_IF_ERROR(file.write(data, size));
  return file.commit();
}
