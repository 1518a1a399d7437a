//===- Batcher.cpp - Server-side batching of predict requests -------------===//
// SPDX-License-Identifier: Apache-2.0
//===----------------------------------------------------------------------===//
#include "serve/Batcher.h"

#include "base/Status.h"

#include <cinttypes>
#include <cstring>
#include <utility>

using namespace kiln;
using namespace kiln::serve;

kiln_status_t kiln::serve::runPredict(const Servable &servable,
                                      const PredictRequest &request,
                                      std::vector<Tensor> &outputs) {
  const kiln_model_desc_t *desc = kiln_model_descriptor_of(servable.model);
  outputs.clear();
  std::vector<const float *> in;
  std::vector<float *> out;
  for (const Tensor &t : request.inputs)
    in.push_back(reinterpret_cast<const float *>(t.bytes.data()));
  for (int64_t o = 0; o < desc->num_outputs; ++o)
    outputs.push_back(allocateTensor(desc->outputs[o], request.batch));
  for (Tensor &t : outputs)
    out.push_back(reinterpret_cast<float *>(t.bytes.data()));
  return kiln_model_predict(servable.model, request.batch, in.data(),
                            out.data());
}

Batcher::Batcher(int64_t maxBatchSize, std::chrono::microseconds timeout,
                 int64_t maxQueuedRows,
                 std::function<void(const std::string &)> log)
    : maxBatchSize(maxBatchSize), timeout(timeout),
      maxQueuedRows(maxQueuedRows), log(std::move(log)) {
  thread = std::thread([this] { loop(); });
}

void Batcher::submit(std::shared_ptr<const Servable> servable,
                     PredictRequest request, Done done) {
  std::unique_lock<std::mutex> lock(mutex);
  if (queuedRows > 0 && queuedRows + request.batch > maxQueuedRows) {
    lock.unlock();
    done(KILN_STATUS(KILN_STATUS_OUT_OF_MEMORY,
                     "the batching queue is full (%" PRId64
                     " rows waiting); retry later",
                     queuedRows),
         {});
    return;
  }
  queuedRows += request.batch;
  queue.push_back({std::move(servable), std::move(request), std::move(done)});
  lock.unlock();
  wake.notify_one();
}

void Batcher::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (stopping)
      return;
    stopping = true;
  }
  wake.notify_one();
  if (thread.joinable())
    thread.join();
}

void Batcher::loop() {
  std::unique_lock<std::mutex> lock(mutex);
  while (true) {
    wake.wait(lock, [this] { return stopping || !queue.empty(); });
    if (queue.empty())
      return; // stopping, and nothing left
    // Wait for more requests of the first one's version, up to the
    // timeout after it or a full batch.
    auto deadline = std::chrono::steady_clock::now() + timeout;
    auto rowsFor = [&] {
      int64_t rows = 0;
      for (const Item &item : queue)
        if (item.servable == queue.front().servable)
          rows += item.request.batch;
      return rows;
    };
    while (!stopping && rowsFor() < maxBatchSize &&
           wake.wait_until(lock, deadline) != std::cv_status::timeout) {
    }
    std::vector<Item> items;
    int64_t rows = 0;
    std::shared_ptr<const Servable> servable = queue.front().servable;
    for (auto it = queue.begin(); it != queue.end();) {
      bool fits = rows == 0 || rows + it->request.batch <= maxBatchSize;
      if (it->servable != servable || !fits) {
        ++it;
        continue;
      }
      rows += it->request.batch;
      items.push_back(std::move(*it));
      it = queue.erase(it);
    }
    queuedRows -= rows;
    lock.unlock();
    runBatch(items);
    lock.lock();
  }
}

void Batcher::runBatch(std::vector<Item> &items) {
  const Servable &servable = *items.front().servable;
  if (items.size() == 1) {
    std::vector<Tensor> outputs;
    kiln_status_t status = runPredict(servable, items.front().request, outputs);
    items.front().done(status, std::move(outputs));
    return;
  }
  // One request of every item's rows, in order.
  PredictRequest merged = std::move(items.front().request);
  int64_t firstRows = merged.batch;
  for (size_t i = 1; i < items.size(); ++i) {
    const PredictRequest &next = items[i].request;
    for (size_t k = 0; k < merged.inputs.size(); ++k) {
      const std::vector<uint8_t> &bytes = next.inputs[k].bytes;
      merged.inputs[k].bytes.insert(merged.inputs[k].bytes.end(), bytes.begin(),
                                    bytes.end());
      merged.inputs[k].shape[0] += next.batch;
    }
    merged.batch += next.batch;
  }
  if (log)
    log("batch of " + std::to_string(merged.batch) + " rows from " +
        std::to_string(items.size()) + " requests");
  std::vector<Tensor> outputs;
  kiln_status_t status = runPredict(servable, merged, outputs);
  int64_t start = 0;
  for (size_t i = 0; i < items.size(); ++i) {
    int64_t rows = i == 0 ? firstRows : items[i].request.batch;
    if (status) {
      items[i].done(KILN_STATUS(kiln_status_code(status), "%s",
                                kiln_status_message(status)),
                    {});
      continue;
    }
    std::vector<Tensor> mine;
    for (const Tensor &t : outputs) {
      Tensor part;
      part.dtype = t.dtype;
      part.shape = t.shape;
      part.shape[0] = rows;
      size_t rowBytes = t.bytes.size() / static_cast<size_t>(t.shape[0]);
      auto begin = t.bytes.begin() + static_cast<ptrdiff_t>(
                                         static_cast<size_t>(start) * rowBytes);
      part.bytes.assign(
          begin,
          begin + static_cast<ptrdiff_t>(static_cast<size_t>(rows) * rowBytes));
      mine.push_back(std::move(part));
    }
    items[i].done(nullptr, std::move(mine));
    start += rows;
  }
  kiln_status_free(status);
}
