//===- OutputFile.cpp - Outputs that appear whole or not at all -*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//===----------------------------------------------------------------------===//

#include "codegen/abi/OutputFile.h"

#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/Signals.h"

#include <cerrno>
#include <csignal>

using namespace mlir;
using namespace mlir::kiln;

std::string mlir::kiln::resolveOutputPath(llvm::StringRef path) {
  llvm::SmallString<256> real;
  if (llvm::sys::fs::is_symlink_file(path) &&
      !llvm::sys::fs::real_path(path, real))
    return real.str().str();
  return path.str();
}

/// Removes `<dir>/<stem>-<pid>-*` files whose process is gone: what a
/// kill -9 (or a crash) left of an earlier run's temporaries.
static void removeStaleTemporaries(llvm::StringRef dir, llvm::StringRef stem) {
  std::error_code ec;
  std::string prefix = (stem + "-").str();
  for (llvm::sys::fs::directory_iterator it(dir.empty() ? "." : dir, ec), end;
       it != end && !ec; it.increment(ec)) {
    llvm::StringRef name = llvm::sys::path::filename(it->path());
    if (!name.consume_front(prefix))
      continue;
    unsigned pid = 0;
    if (name.consumeInteger(10, pid) || !name.starts_with("-") || pid == 0)
      continue;
    if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH)
      llvm::sys::fs::remove(it->path());
  }
}

bool mlir::kiln::isSpecialFile(llvm::StringRef path) {
  llvm::sys::fs::file_status status;
  return !llvm::sys::fs::status(path, status) &&
         llvm::sys::fs::exists(status) &&
         !llvm::sys::fs::is_regular_file(status);
}

llvm::Expected<std::string>
mlir::kiln::createOwnedTemporary(llvm::StringRef dir, llvm::StringRef stem,
                                 llvm::StringRef suffix,
                                 llvm::StringRef forPath) {
  removeStaleTemporaries(dir, stem);
  // `<stem>-<pid>-<random><suffix>`: the pid tells a later run whether its
  // writer is still alive; the random part keeps it unique.
  llvm::SmallString<256> model(dir);
  llvm::sys::path::append(
      model, stem + "-" + llvm::Twine(llvm::sys::Process::getProcessId()) +
                 "-%%%%%%%%" + suffix);
  // Registered for removal before it exists: a termination signal (whose
  // handler runs on the main thread, where kiln writes its files) never
  // finds it created and unregistered. A name taken meanwhile is retried.
  std::error_code ec;
  for (int attempt = 0; attempt < 128; ++attempt) {
    llvm::SmallString<256> temporary;
    llvm::sys::fs::createUniquePath(model, temporary, /*MakeAbsolute=*/false);
    llvm::sys::RemoveFileOnSignal(temporary);
    llvm::Expected<llvm::sys::fs::file_t> file =
        llvm::sys::fs::openNativeFileForWrite(
            temporary, llvm::sys::fs::CD_CreateNew, llvm::sys::fs::OF_None);
    if (file) {
      llvm::sys::fs::closeFile(*file);
      return temporary.str().str();
    }
    ec = llvm::errorToErrorCode(file.takeError());
    llvm::sys::DontRemoveFileOnSignal(temporary);
    if (ec != std::errc::file_exists)
      break;
  }
  return llvm::createStringError(llvm::Twine("cannot write '") + forPath +
                                 "': cannot create a temporary in '" +
                                 (dir.empty() ? "." : dir) +
                                 "': " + ec.message());
}

void mlir::kiln::removeTemporary(llvm::StringRef path) {
  llvm::sys::fs::remove(path);
  llvm::sys::DontRemoveFileOnSignal(path);
}

llvm::Expected<std::string>
mlir::kiln::createTemporaryBeside(llvm::StringRef path,
                                  llvm::StringRef suffix) {
  // The name is cut so that the temporary's fits NAME_MAX.
  return createOwnedTemporary(
      llvm::sys::path::parent_path(path),
      ("." + llvm::sys::path::filename(path).take_front(200) + ".kiln").str(),
      suffix, path);
}

llvm::Error mlir::kiln::writeOutputFile(
    llvm::StringRef path, bool binary,
    llvm::function_ref<llvm::Error(llvm::raw_pwrite_stream &)> write) {
  if (path == "-") {
    if (llvm::Error error = write(llvm::outs()))
      return error;
    llvm::outs().flush();
    return llvm::Error::success();
  }
  std::string target = resolveOutputPath(path);
  llvm::sys::fs::OpenFlags flags =
      binary ? llvm::sys::fs::OF_None : llvm::sys::fs::OF_Text;
  bool special = isSpecialFile(target);
  std::string written = target;
  if (!special) {
    llvm::Expected<std::string> temporary =
        createTemporaryBeside(target, ".tmp");
    if (!temporary)
      return temporary.takeError();
    written = *temporary;
  }
  llvm::scope_exit release([&] {
    if (written != target)
      llvm::sys::DontRemoveFileOnSignal(written);
  });
  auto fail = [&](const llvm::Twine &reason) {
    if (written != target)
      llvm::sys::fs::remove(written);
    return llvm::createStringError(llvm::Twine("cannot write '") + path +
                                   "': " + reason);
  };
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(written, ec, flags);
    if (ec)
      return fail(ec.message());
    if (llvm::Error error = write(os)) {
      if (written != target)
        llvm::sys::fs::remove(written);
      return error;
    }
    os.close();
    if (os.has_error()) {
      std::string reason = os.error().message();
      os.clear_error();
      return fail(reason);
    }
  }
  if (written != target)
    if (std::error_code ec = llvm::sys::fs::rename(written, target))
      return fail(ec.message());
  return llvm::Error::success();
}

llvm::Error mlir::kiln::checkNotSameFile(llvm::StringRef output,
                                         llvm::StringRef input,
                                         llvm::StringRef what) {
  bool same = false;
  if (output == "-" || input.empty() ||
      llvm::sys::fs::equivalent(output, input, same) || !same)
    return llvm::Error::success();
  return llvm::createStringError(llvm::Twine("output '") + output +
                                 "' is the " + what + " '" + input +
                                 "'; refusing to overwrite an input");
}
