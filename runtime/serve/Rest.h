//===- Rest.h - TensorFlow Serving's REST API over a descriptor -*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// What `./model serve` says and understands, as TensorFlow Serving's REST
// API defines it (https://www.tensorflow.org/tfx/serving/api_rest), read
// from the model descriptor alone (contract 1). Pure functions of text and
// tensors, with no sockets, so the request parser is fuzzed on its own
// (test/fuzz/RestFuzz.cpp):
//   - routes: GET /v1/models/NAME[/versions/V] (version status),
//     GET .../metadata (the signature_def), POST .../NAME[/versions/V]:predict;
//   - predict requests: the row format `{"instances": [...]}` (one value per
//     sample, or an object of named inputs per sample) and the columnar
//     format `{"inputs": ...}` (the batch of the one input, or an object of
//     named batches), with an optional "signature_name" (serving_default);
//     values are checked against each input's dtype and shape, as TF
//     Serving checks them (no integer past 2^24 - 1 and no number past
//     float32's range for DT_FLOAT), and NaN, Inf and Infinity (signed)
//     are numbers, as in TF Serving's parser;
//   - replies: `{"predictions": [...]}` / `{"outputs": ...}`, floats as TF
//     Serving writes them ("%g" if it reads back exactly, else "%.9g";
//     "4.0", not "4"; NaN, Infinity, -Infinity), and `{"error": "..."}`
//     with the HTTP status TF Serving gives the error's code.
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_SERVE_REST_H
#define KILN_RUNTIME_SERVE_REST_H

#include "kiln/runtime.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kiln::serve {

/// A dense row-major tensor of one of the descriptor dtypes, `shape[0]`
/// the batch.
struct Tensor {
  int32_t dtype = KILN_DTYPE_F32;
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;
};

/// What a request asks for.
enum class RouteKind { Status, Metadata, Predict, Unsupported, Invalid };

struct Route {
  RouteKind kind = RouteKind::Invalid;
  std::string model;
  int64_t version = -1; ///< -1: the latest
  std::string what;     ///< for Unsupported: the verb (":classify")
};

/// Parses an HTTP method and target (path and query) into a route.
Route parseRoute(std::string_view method, std::string_view target);

/// A parsed predict request: one tensor per model input, all `batch` rows.
struct PredictRequest {
  bool columnar = false; ///< "inputs" rather than "instances"
  int64_t batch = 0;
  std::vector<Tensor> inputs;
};

/// Parses and checks a predict request body against `desc`'s inputs. The
/// error (INVALID_ARGUMENT) says what is wrong and where, as TF Serving's
/// messages do.
kiln_status_t parsePredictRequest(const kiln_model_desc_t *desc,
                                  std::string_view body,
                                  PredictRequest &request);

/// The reply to a predict request: `outputs` hold `batch` rows each.
std::string formatPredictResponse(const kiln_model_desc_t *desc, bool columnar,
                                  int64_t batch,
                                  const std::vector<Tensor> &outputs);

/// GET /v1/models/NAME[/versions/V]: the served version's status.
std::string formatVersionStatus(int64_t version);

/// GET .../metadata: the model spec and its serving_default signature.
std::string formatMetadata(const kiln_model_desc_t *desc, std::string_view name,
                           int64_t version);

/// `{"error": message}`.
std::string formatError(std::string_view message);

/// The HTTP status TF Serving answers a failure of `code` with.
int httpStatusOf(kiln_status_code_t code);

/// Whether `t`'s leading dimension is the dynamic batch.
bool hasBatch(const kiln_tensor_desc_t &t);
/// Whether every input and output has it: requests split and merge by rows.
bool everyTensorHasBatch(const kiln_model_desc_t *desc);

/// A tensor of `rows` samples of `tensor` (dims[0] == -1 becomes `rows`).
Tensor allocateTensor(const kiln_tensor_desc_t &tensor, int64_t rows);

} // namespace kiln::serve

#endif // KILN_RUNTIME_SERVE_REST_H
