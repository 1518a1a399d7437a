//===- Server.h - ./model serve: TF Serving's REST API ----------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// An HTTP/1.1 server on Boost.Beast (header-only, from Debian) answering
// TensorFlow Serving's REST API (Rest.h) for one compiled model, with its
// versions (Versions.h) and optional server-side batching (Batcher.h).
//
//   - `threads` I/O threads run the connections; each request is read with
//     a deadline (`readTimeout`: a slow client cannot hold a thread) and a
//     body limit (`maxBodyBytes`: 413), parsed, predicted on that thread
//     (each thread's compiled code keeps to one core when there are
//     several) or handed to the batcher, and answered with a write
//     deadline. At most `maxConnections` connections are open; more are
//     answered 503 and closed.
//   - SIGINT/SIGTERM stop accepting, close idle connections, let requests
//     in flight finish (answered with "Connection: close"), and return; a
//     second signal stops at once.
//   - With `verbose`, one access-log line per request on stderr.
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_SERVE_SERVER_H
#define KILN_RUNTIME_SERVE_SERVER_H

#include "kiln/runtime.h"

#include <cstdint>
#include <functional>
#include <string>

namespace kiln::serve {

struct ServeOptions {
  std::string host = "0.0.0.0";
  int port = 8501;          ///< 0: any free port (printed)
  std::string modelName;    ///< the NAME of /v1/models/NAME
  std::string basePath;     ///< version folders; empty: compiled weights
  double pollSeconds = 1.0; ///< how often basePath is scanned
  int threads = 0;          ///< I/O threads; 0: every core
  bool batching = false;
  int64_t maxBatchSize = 32;
  int64_t batchTimeoutMicros = 1000;
  int64_t maxQueuedRows = 0; ///< 0: 16 batches
  int64_t maxBodyBytes = 64ll << 20;
  double readTimeout = 30;  ///< seconds for a whole request
  double writeTimeout = 30; ///< seconds for a whole reply
  int64_t maxConnections = 1024;
  bool verbose = false;
  /// Runs on each loaded version's session (device placement).
  std::function<kiln_status_t(kiln_model_t *)> prepare;
};

/// Serves `desc` until SIGINT or SIGTERM. Prints the address it listens on
/// to stdout once ready; errors (the port in use, no version to serve)
/// return before that.
kiln_status_t runServer(const kiln_model_desc_t *desc,
                        const ServeOptions &options);

} // namespace kiln::serve

#endif // KILN_RUNTIME_SERVE_SERVER_H
