//===- RestFuzz.cpp - libFuzzer target: serve's request parser --*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Parses arbitrary bytes as a TF Serving predict request body (and as a
// request target) against three descriptors, chosen by the first byte: one
// float32 input; int32 ids, a bool mask and an int64 scalar per sample
// (row objects, named columns); and a fixed-shape input without a batch
// dimension (columnar only). Failing is fine; crashing, reading out of
// bounds, leaking, or a parsed request whose tensors do not hold `batch`
// samples of their inputs is not. A parsed request is answered, exercising
// the reply formatter on the same shapes.
//===----------------------------------------------------------------------===//

#include "serve/Rest.h"

#include <cstdlib>
#include <string>

namespace {

const int64_t kImage[] = {-1, 3, 2};
const int64_t kClasses[] = {-1, 4};
const int64_t kIds[] = {-1, 5};
const int64_t kScalar[] = {-1};
const int64_t kFixed[] = {2, 3};

const kiln_tensor_desc_t kOneIn[] = {{"image", KILN_DTYPE_F32, 3, kImage}};
const kiln_tensor_desc_t kOneOut[] = {{"probs", KILN_DTYPE_F32, 2, kClasses}};
const kiln_tensor_desc_t kThreeIn[] = {{"ids", KILN_DTYPE_I32, 2, kIds},
                                       {"mask", KILN_DTYPE_BOOL, 2, kIds},
                                       {"step", KILN_DTYPE_I64, 1, kScalar}};
const kiln_tensor_desc_t kTwoOut[] = {{"logits", KILN_DTYPE_F32, 2, kClasses},
                                      {"best", KILN_DTYPE_I64, 1, kScalar}};
const kiln_tensor_desc_t kFixedIn[] = {{"x", KILN_DTYPE_F32, 2, kFixed}};
const kiln_tensor_desc_t kFixedOut[] = {{"y", KILN_DTYPE_F32, 2, kFixed}};

kiln_model_desc_t describe(const kiln_tensor_desc_t *in, int64_t numIn,
                           const kiln_tensor_desc_t *out, int64_t numOut) {
  kiln_model_desc_t desc = {};
  desc.abi_version = KILN_MODEL_ABI_VERSION;
  desc.name = "fuzz";
  desc.num_inputs = numIn;
  desc.inputs = in;
  desc.num_outputs = numOut;
  desc.outputs = out;
  return desc;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const kiln_model_desc_t descs[] = {
      describe(kOneIn, 1, kOneOut, 1), describe(kThreeIn, 3, kTwoOut, 2),
      describe(kFixedIn, 1, kFixedOut, 1)};
  if (size == 0)
    return 0;
  const kiln_model_desc_t *desc = &descs[data[0] % 3];
  std::string_view body(reinterpret_cast<const char *>(data) + 1, size - 1);
  kiln::serve::parseRoute("POST", body);
  kiln::serve::PredictRequest request;
  if (kiln_status_t status =
          kiln::serve::parsePredictRequest(desc, body, request)) {
    kiln_status_free(status);
    return 0;
  }
  if (request.batch < 1 ||
      request.inputs.size() != static_cast<size_t>(desc->num_inputs))
    std::abort();
  std::vector<kiln::serve::Tensor> outputs;
  for (int64_t i = 0; i < desc->num_inputs; ++i) {
    kiln::serve::Tensor expected =
        kiln::serve::allocateTensor(desc->inputs[i], request.batch);
    if (request.inputs[i].bytes.size() != expected.bytes.size() ||
        request.inputs[i].shape != expected.shape)
      std::abort();
  }
  for (int64_t o = 0; o < desc->num_outputs; ++o)
    outputs.push_back(
        kiln::serve::allocateTensor(desc->outputs[o], request.batch));
  std::string reply = kiln::serve::formatPredictResponse(
      desc, request.columnar, request.batch, outputs);
  if (reply.empty())
    std::abort();
  return 0;
}
