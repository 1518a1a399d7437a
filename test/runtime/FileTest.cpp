//===- FileTest.cpp - Atomic files and output identity ----------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// base/File.h's rules for every file the runtime writes: symlinks written at
// their target, devices and FIFOs in place (a full device is a clear
// error), unique recognizable temporaries that a signal, a failure or the
// next run (for a killed writer) removes, names up to NAME_MAX, messages
// with the caller's path; and isSameFile, the check that keeps an output
// from destroying an input.
//
//===----------------------------------------------------------------------===//
#include "base/File.h"

#include "TestUtil.h"

#include <algorithm>
#include <climits>
#include <csignal>
#include <thread>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>

namespace kiln::test {
namespace {

std::string readText(const std::string &path) {
  std::vector<uint8_t> bytes = readBytes(path);
  return std::string(bytes.begin(), bytes.end());
}

kiln_status_t writeText(const std::string &path, const std::string &text) {
  return writeFileAtomically(path.c_str(), text.data(), text.size());
}

std::vector<std::string> sortedList(const ScratchDir &dir) {
  std::vector<std::string> names = dir.list();
  std::sort(names.begin(), names.end());
  return names;
}

bool isLink(const std::string &path) {
  struct stat info;
  return lstat(path.c_str(), &info) == 0 && S_ISLNK(info.st_mode);
}

bool isCharDevice(const char *path) {
  struct stat info;
  return stat(path, &info) == 0 && S_ISCHR(info.st_mode);
}

TEST(FileTest, SymlinkWritesItsTarget) {
  ScratchDir dir;
  KILN_ASSERT_OK(writeText(dir.file("real"), "old"));
  ASSERT_EQ(symlink("real", dir.file("link").c_str()), 0);
  KILN_ASSERT_OK(writeText(dir.file("link"), "new"));
  EXPECT_TRUE(isLink(dir.file("link")));
  EXPECT_EQ(readText(dir.file("real")), "new");
  // A link to a link, and a dangling link, lead to the file they name.
  ASSERT_EQ(symlink(dir.file("link").c_str(), dir.file("link2").c_str()), 0);
  KILN_ASSERT_OK(writeText(dir.file("link2"), "newer"));
  EXPECT_EQ(readText(dir.file("real")), "newer");
  ASSERT_EQ(symlink("later", dir.file("dangling").c_str()), 0);
  KILN_ASSERT_OK(writeText(dir.file("dangling"), "made"));
  EXPECT_TRUE(isLink(dir.file("dangling")));
  EXPECT_EQ(readText(dir.file("later")), "made");
  EXPECT_EQ(
      sortedList(dir),
      (std::vector<std::string>{"dangling", "later", "link", "link2", "real"}));
}

TEST(FileTest, DevicesAndFifosAreWrittenInPlace) {
  KILN_ASSERT_OK(writeText("/dev/null", "discarded"));
  EXPECT_TRUE(isCharDevice("/dev/null"));
  if (isCharDevice("/dev/full")) {
    StatusPtr full(writeText("/dev/full", "x"));
    EXPECT_EQ(kiln_status_code(full.get()), KILN_STATUS_IO_ERROR);
    EXPECT_STREQ(kiln_status_message(full.get()),
                 "cannot write '/dev/full': No space left on device");
    EXPECT_TRUE(isCharDevice("/dev/full"));
  }
  ScratchDir dir;
  std::string fifo = dir.file("fifo");
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  std::string received;
  std::thread reader([&] { received = readText(fifo); });
  StatusPtr status(writeText(fifo, "through the pipe"));
  reader.join();
  EXPECT_EQ(status.get(), nullptr) << kiln_status_message(status.get());
  EXPECT_EQ(received, "through the pipe");
  struct stat info;
  ASSERT_EQ(stat(fifo.c_str(), &info), 0);
  EXPECT_TRUE(S_ISFIFO(info.st_mode));
}

TEST(FileTest, TemporariesAreUniqueAndRecognizable) {
  ScratchDir dir;
  std::string path = dir.file("y.npy");
  AtomicFile first, second;
  KILN_ASSERT_OK(first.create(path.c_str()));
  KILN_ASSERT_OK(second.create(path.c_str()));
  KILN_ASSERT_OK(first.write("1", 1));
  KILN_ASSERT_OK(second.write("2", 1));
  std::string prefix = ".y.npy.kiln-tmp-" + std::to_string(getpid()) + "-";
  std::vector<std::string> names = sortedList(dir);
  ASSERT_EQ(names.size(), 2u);
  for (const std::string &name : names)
    EXPECT_EQ(name.rfind(prefix, 0), 0u) << name;
  EXPECT_NE(names[0], names[1]);
  KILN_ASSERT_OK(first.commit());
  KILN_ASSERT_OK(second.commit());
  EXPECT_EQ(readText(path), "2");
  EXPECT_EQ(dir.list(), std::vector<std::string>{"y.npy"});
}

TEST(FileTest, NextWriteRemovesStaleTemporaries) {
  ScratchDir dir;
  // A process that has exited stands for one killed while writing.
  pid_t dead = fork();
  if (dead == 0)
    _exit(0);
  ASSERT_GT(dead, 0);
  waitpid(dead, nullptr, 0);
  std::string stale = ".y.npy.kiln-tmp-" + std::to_string(dead) + "-3";
  std::string live = ".y.npy.kiln-tmp-" + std::to_string(getppid()) + "-0";
  std::string other = ".z.npy.kiln-tmp-" + std::to_string(dead) + "-0";
  for (const std::string &name : {stale, live, other})
    writeBytes(dir.file(name), {'x'});
  KILN_ASSERT_OK(writeText(dir.file("y.npy"), "whole"));
  // Only y.npy's temporaries of processes that are gone are removed.
  EXPECT_EQ(sortedList(dir), (std::vector<std::string>{live, other, "y.npy"}));
}

TEST(FileTest, NamesUpToNameMax) {
  ScratchDir dir;
  for (size_t length : {200, 250, NAME_MAX}) {
    std::string path = dir.file(std::string(length, 'n'));
    KILN_ASSERT_OK(writeText(path, "long"));
    EXPECT_EQ(readText(path), "long");
    EXPECT_EQ(unlink(path.c_str()), 0);
    EXPECT_TRUE(dir.list().empty());
  }
}

TEST(FileTest, MessagesNameThePathAndTheReason) {
  ScratchDir dir;
  std::string missing = dir.file("no/y.npy");
  StatusPtr status(writeText(missing, "x"));
  EXPECT_EQ(kiln_status_code(status.get()), KILN_STATUS_NOT_FOUND);
  EXPECT_EQ(kiln_status_message(status.get()),
            "cannot create '" + missing + "': No such file or directory");
  ASSERT_EQ(mkdir(dir.file("d").c_str(), 0755), 0);
  status.reset(writeText(dir.file("d"), "x"));
  EXPECT_EQ(kiln_status_message(status.get()),
            "cannot write '" + dir.file("d") + "': Is a directory");
  EXPECT_EQ(rmdir(dir.file("d").c_str()), 0);
  EXPECT_TRUE(dir.list().empty());
}

TEST(FileTest, SameFile) {
  ScratchDir dir;
  std::string a = dir.file("a"), b = dir.file("b");
  KILN_ASSERT_OK(writeText(a, "a"));
  KILN_ASSERT_OK(writeText(b, "b"));
  ASSERT_EQ(symlink("a", dir.file("sym").c_str()), 0);
  ASSERT_EQ(link(a.c_str(), dir.file("hard").c_str()), 0);
  EXPECT_TRUE(isSameFile(a.c_str(), a.c_str()));
  EXPECT_TRUE(isSameFile(dir.file("sym").c_str(), a.c_str()));
  EXPECT_TRUE(isSameFile(a.c_str(), dir.file("hard").c_str()));
  EXPECT_TRUE(isSameFile((dir.path + "/./a").c_str(), a.c_str()));
  EXPECT_FALSE(isSameFile(a.c_str(), b.c_str()));
  // Files not written yet: one folder and one name, or not.
  EXPECT_TRUE(
      isSameFile(dir.file("new").c_str(), (dir.path + "/./new").c_str()));
  EXPECT_FALSE(isSameFile(dir.file("new").c_str(), dir.file("new2").c_str()));
  EXPECT_FALSE(isSameFile(dir.file("new").c_str(), a.c_str()));
  EXPECT_FALSE(isSameFile(dir.file("no/x").c_str(), dir.file("no/x").c_str()));
}

/// Writes part of `path`, then raises `signal` (in a death test's child).
void writeThenRaise(const std::string &path, int signal) {
  AtomicFile file;
  if (kiln_status_t status = file.create(path.c_str())) {
    kiln_status_free(status);
    _exit(3);
  }
  if (kiln_status_t status = file.write("partial", 7)) {
    kiln_status_free(status);
    _exit(3);
  }
  raise(signal);
  _exit(0); // only when the signal did not end the process
}

// (A signal ignored when the process starts stays ignored: e2e's
// interrupt_runtime.sh, which needs a fresh process.)
TEST(FileTest, SignalsRemoveLiveTemporaries) {
  ScratchDir dir;
  for (int signal : {SIGINT, SIGTERM, SIGHUP}) {
    EXPECT_EXIT(writeThenRaise(dir.file("y.npy"), signal),
                testing::KilledBySignal(signal), "");
    EXPECT_TRUE(dir.list().empty()) << strsignal(signal);
  }
}

} // namespace
} // namespace kiln::test
