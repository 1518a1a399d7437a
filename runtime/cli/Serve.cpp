//===- Serve.cpp - ./model serve --------------------------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// `./model serve`: TensorFlow Serving's REST API for this model
// (runtime/serve), with the flags TF Serving users know:
//   --rest_api_port N (alias --port; 0: any free port), --model_name NAME
//   (default: the model's name), --model_base_path DIR (numbered version
//   folders of *.kw weights; default: the compiled weights as version 1),
//   --file_system_poll_wait_seconds S, --rest_api_num_threads N (alias
//   --threads), --rest_api_timeout_in_ms MS, --enable_batching,
//   --max_batch_size N, --batch_timeout_micros N, --max_enqueued_batches N;
// and --host ADDR, --max_request_bytes N, --max_connections N, --verbose.
//===----------------------------------------------------------------------===//
#include "cli/Cli.h"

#include "serve/Server.h"

#include <cerrno>
#include <cinttypes>
#include <cstdlib>

namespace kiln::cli {

int Cli::runServe() {
  std::vector<Option> options;
  if (int code = parseOptions({{"--rest_api_port", true},
                               {"--port", true},
                               {"--model_name", true},
                               {"--model_base_path", true},
                               {"--file_system_poll_wait_seconds", true},
                               {"--rest_api_num_threads", true},
                               {"--threads", true},
                               {"--rest_api_timeout_in_ms", true},
                               {"--enable_batching", false},
                               {"--max_batch_size", true},
                               {"--batch_timeout_micros", true},
                               {"--max_enqueued_batches", true},
                               {"--host", true},
                               {"--max_request_bytes", true},
                               {"--max_connections", true},
                               {"--verbose", false}},
                              options);
      code >= 0)
    return code;
  serve::ServeOptions serve;
  serve.modelName = desc->name && *desc->name ? desc->name : "default";
  int64_t value = 0, enqueued = 0;
  for (const Option &option : options) {
    const std::string &flag = option.flag;
    int code = -1;
    if (flag == "--rest_api_port" || flag == "--port") {
      code = parseInteger(option, 0, 65535, "a port (0: any free one)", value);
      serve.port = static_cast<int>(value);
    } else if (flag == "--model_name") {
      serve.modelName = option.value;
      if (serve.modelName.find_first_of("/:?#") != std::string::npos)
        return usageError("serve: --model_name '" + option.value +
                          "' may not hold '/', ':', '?' or '#'");
    } else if (flag == "--model_base_path") {
      serve.basePath = option.value;
    } else if (flag == "--file_system_poll_wait_seconds") {
      code = parseInteger(option, 0, 86400, "seconds (0: never)", value);
      serve.pollSeconds = static_cast<double>(value);
    } else if (flag == "--rest_api_num_threads" || flag == "--threads") {
      code = parseInteger(option, 1, 1024, "a positive thread count", value);
      serve.threads = static_cast<int>(value);
    } else if (flag == "--rest_api_timeout_in_ms") {
      code = parseInteger(option, 1, 3600000, "milliseconds", value);
      serve.readTimeout = serve.writeTimeout =
          static_cast<double>(value) / 1000.0;
    } else if (flag == "--enable_batching") {
      serve.batching = true;
    } else if (flag == "--max_batch_size") {
      code = parseInteger(option, 1, 1 << 20, "a positive batch size",
                          serve.maxBatchSize);
    } else if (flag == "--batch_timeout_micros") {
      code = parseInteger(option, 0, 10000000, "microseconds",
                          serve.batchTimeoutMicros);
    } else if (flag == "--max_enqueued_batches") {
      code = parseInteger(option, 1, 1 << 20, "a positive count", enqueued);
    } else if (flag == "--host") {
      serve.host = option.value;
    } else if (flag == "--max_request_bytes") {
      code = parseInteger(option, 1024, int64_t(1) << 34, "bytes (>= 1024)",
                          serve.maxBodyBytes);
    } else if (flag == "--max_connections") {
      code = parseInteger(option, 1, 1 << 20, "a positive count",
                          serve.maxConnections);
    } else if (flag == "--verbose") {
      serve.verbose = true;
    }
    if (code >= 0)
      return code;
  }
  // Settings of a mode not on: they would do nothing.
  for (const Option &option : options) {
    const std::string &flag = option.flag;
    if (!serve.batching &&
        (flag == "--max_batch_size" || flag == "--batch_timeout_micros" ||
         flag == "--max_enqueued_batches"))
      return usageError("serve: " + flag + " needs --enable_batching");
    if (serve.basePath.empty() && flag == "--file_system_poll_wait_seconds")
      return usageError("serve: " + flag + " needs --model_base_path");
  }
  if (enqueued > 0)
    serve.maxQueuedRows = enqueued * serve.maxBatchSize;
  std::string chosen = chooseDevice();
  if (!chosen.empty())
    serve.prepare = [chosen](kiln_model_t *model) {
      return kiln_model_set_device(model, chosen.c_str());
    };
  if (kiln_status_t status = serve::runServer(desc, serve))
    return runtimeError(status);
  return kExitOk;
}

} // namespace kiln::cli
