//===- Versions.cpp - The served versions of a model ----------------------===//
// SPDX-License-Identifier: Apache-2.0
//===----------------------------------------------------------------------===//
#include "serve/Versions.h"

#include "base/Status.h"
#include "formats/Hdf5.h"
#include "model/Model.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <dirent.h>
#include <map>
#include <sys/stat.h>
#include <utility>
#include <vector>

using namespace kiln;
using namespace kiln::serve;

namespace {

bool isDirectory(const std::string &path) {
  struct stat info;
  return ::stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode);
}

/// The numbered subfolders of `dir`, highest first.
kiln_status_t listVersions(const std::string &dir,
                           std::vector<int64_t> &versions) {
  DIR *handle = ::opendir(dir.c_str());
  if (!handle)
    return KILN_STATUS(KILN_STATUS_NOT_FOUND,
                       "--model_base_path %s: cannot read the folder: %s",
                       dir.c_str(), std::strerror(errno));
  versions.clear();
  while (dirent *entry = ::readdir(handle)) {
    const char *name = entry->d_name;
    size_t length = std::strlen(name);
    if (length == 0 || length > 18 ||
        !std::all_of(name, name + length,
                     [](char c) { return c >= '0' && c <= '9'; }))
      continue;
    if (isDirectory(dir + "/" + name))
      versions.push_back(std::strtoll(name, nullptr, 10));
  }
  ::closedir(handle);
  std::sort(versions.rbegin(), versions.rend());
  return nullptr;
}

/// The one weights file of a version folder: *.kw, else *.weights.h5.
kiln_status_t weightsFile(const std::string &folder, std::string &path) {
  DIR *handle = ::opendir(folder.c_str());
  if (!handle)
    return KILN_STATUS(KILN_STATUS_NOT_FOUND, "%s: cannot read the folder: %s",
                       folder.c_str(), std::strerror(errno));
  std::vector<std::string> found, other;
  while (dirent *entry = ::readdir(handle)) {
    std::string name = entry->d_name;
    if (name.size() > 3 && name.compare(name.size() - 3, 3, ".kw") == 0)
      found.push_back(name);
    else if (name.size() > 11 &&
             name.compare(name.size() - 11, 11, ".weights.h5") == 0)
      other.push_back(name);
  }
  ::closedir(handle);
  if (found.empty())
    found = other;
  if (found.size() == 1) {
    path = folder + "/" + found[0];
    return nullptr;
  }
  if (found.size() > 1)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "%s: %zu weights files; a version holds one",
                       folder.c_str(), found.size());
  return KILN_STATUS(KILN_STATUS_NOT_FOUND,
                     "%s: no weights file (*.kw, as ./model train "
                     "--save-weights writes, or a Keras *.weights.h5)",
                     folder.c_str());
}

bool endsWith(const std::string &text, const char *suffix) {
  size_t n = std::strlen(suffix);
  return text.size() >= n && text.compare(text.size() - n, n, suffix) == 0;
}

/// Loads a Keras 3 weights file into `model`'s parameters, each from the
/// dataset the descriptor names. Like Keras's load_weights, a `vars` group
/// with more (or fewer) variables than the model's layer has is refused:
/// the file is another model's.
kiln_status_t loadKeras3Weights(kiln_model_t *model, const std::string &path) {
  const kiln_model_desc_t *desc = kiln_model_descriptor_of(model);
  if (!desc->keras3_paths)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "%s: model '%s' has no Keras 3 weights layout (an "
                       "ONNX model?); serve a kiln weights file (*.kw)",
                       path.c_str(), desc->name ? desc->name : "");
  std::unique_ptr<Hdf5File> file;
  KILN_RETURN_IF_ERROR(Hdf5File::open(path, file));
  std::map<std::string, size_t> perGroup; // "layers/dense/vars" -> 2
  for (int64_t i = 0; i < desc->num_params; ++i)
    if (const char *dataset = desc->keras3_paths[i]) {
      const char *slash = std::strrchr(dataset, '/');
      ++perGroup[std::string(dataset, slash ? slash - dataset : 0)];
    }
  for (const auto &[group, count] : perGroup) {
    std::vector<std::string> members;
    KILN_RETURN_IF_ERROR(file->listMembers(group, members));
    if (members.size() != count)
      return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                         "%s: '%s' holds %zu variables, the model's layer "
                         "has %zu",
                         path.c_str(), group.c_str(), members.size(), count);
  }
  for (int64_t i = 0; i < desc->num_params; ++i) {
    const char *dataset = desc->keras3_paths[i];
    if (!dataset)
      continue; // not stored by Keras: the compiled value
    const kiln_tensor_desc_t &param = desc->params[i];
    std::vector<int64_t> dims(param.dims, param.dims + param.rank);
    kiln_status_t status =
        file->readFloat32(dataset, dims, kiln::paramData(model, i));
    kiln::paramsWritten(model);
    KILN_RETURN_IF_ERROR(status);
  }
  return nullptr;
}

} // namespace

VersionManager::VersionManager(
    const kiln_model_desc_t *desc, std::string basePath, double pollSeconds,
    std::function<kiln_status_t(kiln_model_t *)> prepare,
    std::function<void(const std::string &)> log)
    : desc(desc), basePath(std::move(basePath)), pollSeconds(pollSeconds),
      prepare(std::move(prepare)), log(std::move(log)) {}

kiln_status_t VersionManager::load(int64_t version, const std::string &folder,
                                   std::shared_ptr<const Servable> &out) {
  std::string weights;
  if (!folder.empty())
    KILN_RETURN_IF_ERROR(weightsFile(folder, weights));
  kiln_model_t *model = nullptr;
  KILN_RETURN_IF_ERROR(kiln_model_create(desc, &model));
  auto servable = std::make_shared<const Servable>(version, model);
  if (endsWith(weights, ".h5"))
    KILN_RETURN_IF_ERROR(loadKeras3Weights(model, weights));
  else if (!weights.empty())
    KILN_RETURN_IF_ERROR(kiln_model_load_weights(model, weights.c_str()));
  if (prepare)
    KILN_RETURN_IF_ERROR(prepare(model));
  out = std::move(servable);
  return nullptr;
}

kiln_status_t VersionManager::poll(bool initial) {
  if (basePath.empty()) {
    std::shared_ptr<const Servable> builtIn;
    KILN_RETURN_IF_ERROR(load(1, "", builtIn));
    std::lock_guard<std::mutex> lock(mutex);
    served = std::move(builtIn);
    return nullptr;
  }
  std::vector<int64_t> versions;
  KILN_RETURN_IF_ERROR(listVersions(basePath, versions));
  std::shared_ptr<const Servable> current = latest();
  // TF Serving's latest policy serves the highest version on disk: when the
  // served version's folder is gone, the highest remaining one that loads
  // replaces it, a lower one included.
  bool gone = current && std::find(versions.begin(), versions.end(),
                                   current->version) == versions.end();
  int64_t floor = current && !gone ? current->version : -1;
  std::string failures;
  for (int64_t version : versions) {
    if (version <= floor)
      break;
    std::shared_ptr<const Servable> next;
    std::string folder = basePath + "/" + std::to_string(version);
    if (kiln_status_t status = load(version, folder, next)) {
      failures += std::string(failures.empty() ? "" : "; ") + "version " +
                  std::to_string(version) + ": " + kiln_status_message(status);
      kiln_status_free(status);
      continue;
    }
    {
      std::lock_guard<std::mutex> lock(mutex);
      served = std::move(next);
      lastFailure.clear();
    }
    log((gone ? "version " + std::to_string(current->version) +
                    " is gone from disk; "
              : std::string()) +
        "serving version " + std::to_string(version) + " (" + folder + ")");
    return nullptr;
  }
  if (gone) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      served.reset();
    }
    log("version " + std::to_string(current->version) +
        " is gone from disk; no version to serve" +
        (failures.empty() ? "" : " (" + failures + ")"));
    lastFailure = failures;
    return nullptr;
  }
  if (initial && !latest())
    return KILN_STATUS(
        KILN_STATUS_NOT_FOUND, "--model_base_path %s: no version to serve%s%s",
        basePath.c_str(), failures.empty() ? "" : ": ",
        failures.empty() ? " (expected numbered folders, e.g. 1/, each "
                           "with one *.kw weights file)"
                         : failures.c_str());
  if (!failures.empty() && failures != lastFailure) {
    lastFailure = failures;
    log("not serving " + failures + " (retried every poll)");
  }
  return nullptr;
}

kiln_status_t VersionManager::start() {
  KILN_RETURN_IF_ERROR(poll(/*initial=*/true));
  if (basePath.empty() || pollSeconds <= 0)
    return nullptr;
  poller = std::thread([this] {
    std::unique_lock<std::mutex> lock(mutex);
    auto interval = std::chrono::duration<double>(pollSeconds);
    while (!wake.wait_for(lock, interval, [this] { return stopping; })) {
      lock.unlock();
      if (kiln_status_t status = poll(/*initial=*/false)) {
        std::string message = kiln_status_message(status);
        kiln_status_free(status);
        if (message != lastFailure) {
          lastFailure = message;
          log(message);
        }
      }
      lock.lock();
    }
  });
  return nullptr;
}

void VersionManager::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex);
    stopping = true;
  }
  wake.notify_all();
  if (poller.joinable())
    poller.join();
}

std::shared_ptr<const Servable> VersionManager::latest() const {
  std::lock_guard<std::mutex> lock(mutex);
  return served;
}
