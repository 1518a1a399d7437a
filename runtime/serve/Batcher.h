//===- Batcher.h - Server-side batching of predict requests -----*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// TF Serving's `--enable_batching`: concurrent predict requests for the
// same version are merged into one compiled call of at most
// `maxBatchSize` rows, started when it is full or `timeout` after its first
// request arrived; each request then gets its own rows of the outputs. A
// request larger than the batch runs alone. At most `maxQueuedRows` rows
// wait; beyond that a request is refused (UNAVAILABLE as TF Serving's
// "the batch scheduling queue is full", here OUT_OF_MEMORY -> 503), so
// memory stays bounded under load. Samples are independent in predict,
// so merged and separate calls give the same rows.
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_SERVE_BATCHER_H
#define KILN_RUNTIME_SERVE_BATCHER_H

#include "serve/Rest.h"
#include "serve/Versions.h"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

namespace kiln::serve {

/// Runs predict on `request`'s inputs into `outputs` (allocated here).
kiln_status_t runPredict(const Servable &servable,
                         const PredictRequest &request,
                         std::vector<Tensor> &outputs);

class Batcher {
public:
  using Done = std::function<void(kiln_status_t, std::vector<Tensor>)>;

  /// `log`, when set, is told each merged call's rows and requests.
  Batcher(int64_t maxBatchSize, std::chrono::microseconds timeout,
          int64_t maxQueuedRows,
          std::function<void(const std::string &)> log = nullptr);
  Batcher(const Batcher &) = delete;
  Batcher &operator=(const Batcher &) = delete;
  ~Batcher() { stop(); }

  /// Queues `request`; `done` runs on the batching thread with the
  /// request's outputs or the failure (which it owns).
  void submit(std::shared_ptr<const Servable> servable, PredictRequest request,
              Done done);
  /// Runs what is queued, then ends the thread.
  void stop();

private:
  struct Item {
    std::shared_ptr<const Servable> servable;
    PredictRequest request;
    Done done;
  };
  void loop();
  void runBatch(std::vector<Item> &items);

  int64_t maxBatchSize;
  std::chrono::microseconds timeout;
  int64_t maxQueuedRows;
  std::function<void(const std::string &)> log;
  std::mutex mutex;
  std::condition_variable wake;
  std::deque<Item> queue;
  int64_t queuedRows = 0;
  bool stopping = false;
  std::thread thread;
};

} // namespace kiln::serve

#endif // KILN_RUNTIME_SERVE_BATCHER_H
