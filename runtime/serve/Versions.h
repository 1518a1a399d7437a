//===- Versions.h - The served versions of a model --------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// TF Serving's version policy "latest" over `--model_base_path DIR`: DIR
// holds numbered version folders (DIR/1, DIR/2, ...), each with one weights
// file: kiln's (*.kw, as ./model train --save-weights writes it: all
// parameters) or Keras 3's (*.weights.h5, read without libhdf5 by
// formats/Hdf5.h, each parameter from the dataset the descriptor's
// keras3_paths names). The
// highest version that loads is served; a poll thread looks for newer ones
// every `pollSeconds` and swaps a new version in once its weights have
// loaded into a fresh session, so a request keeps the version it started
// with (it holds a shared_ptr) and none fails during the swap. A version
// that does not load (a file still being copied, a file of another model)
// is reported and retried at the next poll. When the served version's
// folder is deleted, the highest remaining version that loads is served
// instead, or none (requests get 404) until one appears. Without a base
// path the compiled weights are version 1.
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_SERVE_VERSIONS_H
#define KILN_RUNTIME_SERVE_VERSIONS_H

#include "kiln/runtime.h"

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace kiln::serve {

/// One loaded version: a session with its weights.
struct Servable {
  Servable(int64_t version, kiln_model_t *model)
      : version(version), model(model) {}
  Servable(const Servable &) = delete;
  Servable &operator=(const Servable &) = delete;
  ~Servable() { kiln_model_release(model); }
  int64_t version;
  kiln_model_t *model;
};

class VersionManager {
public:
  /// `prepare` runs on each new session before it is served (device
  /// placement); `log` receives one line per event.
  VersionManager(const kiln_model_desc_t *desc, std::string basePath,
                 double pollSeconds,
                 std::function<kiln_status_t(kiln_model_t *)> prepare,
                 std::function<void(const std::string &)> log);
  VersionManager(const VersionManager &) = delete;
  VersionManager &operator=(const VersionManager &) = delete;
  ~VersionManager() { stop(); }

  /// Loads the first version (an error when none loads) and starts
  /// polling.
  kiln_status_t start();
  void stop();

  /// The served version; null once its folder is gone and no other loads.
  std::shared_ptr<const Servable> latest() const;

private:
  /// Loads the highest version above the served one, if any, or the highest
  /// of all when the served one's folder is gone (else serves none); an
  /// error only when `initial` and nothing is served.
  kiln_status_t poll(bool initial);
  kiln_status_t load(int64_t version, const std::string &folder,
                     std::shared_ptr<const Servable> &out);

  const kiln_model_desc_t *desc;
  std::string basePath;
  double pollSeconds;
  std::function<kiln_status_t(kiln_model_t *)> prepare;
  std::function<void(const std::string &)> log;
  mutable std::mutex mutex;
  std::shared_ptr<const Servable> served;
  std::string lastFailure; // reported once until it changes
  std::condition_variable wake;
  bool stopping = false;
  std::thread poller;
};

} // namespace kiln::serve

#endif // KILN_RUNTIME_SERVE_VERSIONS_H
