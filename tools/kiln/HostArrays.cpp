//===- HostArrays.cpp - Run a compiled model on host tensors ----*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//===----------------------------------------------------------------------===//

#include "tools/kiln/HostArrays.h"

#include "kiln/runtime.h"

#include <algorithm>
#include <cmath>
#include <memory>

using namespace mlir;
using namespace mlir::kiln;

namespace {
/// Owns a kiln_array_t.
struct ArrayDeleter {
  void operator()(kiln_array_t *a) const { kiln_array_release(a); }
};
using Array = std::unique_ptr<kiln_array_t, ArrayDeleter>;

/// The message of `status` (freed), or "" for success.
std::string take(kiln_status_t status) {
  if (!status)
    return "";
  std::string message = kiln_status_message(status);
  kiln_status_free(status);
  return message;
}
} // namespace

OnnxType mlir::kiln::onnxTypeOfDtype(int32_t dtype) {
  switch (dtype) {
  case KILN_DTYPE_F32:
    return OnnxType::Float;
  case KILN_DTYPE_F64:
    return OnnxType::Double;
  case KILN_DTYPE_I32:
    return OnnxType::Int32;
  case KILN_DTYPE_I64:
    return OnnxType::Int64;
  case KILN_DTYPE_U8:
    return OnnxType::Uint8;
  case KILN_DTYPE_BOOL:
    return OnnxType::Bool;
  default:
    return OnnxType::Undefined;
  }
}

int32_t mlir::kiln::dtypeOfOnnxType(OnnxType type) {
  for (int32_t dtype : {KILN_DTYPE_F32, KILN_DTYPE_F64, KILN_DTYPE_I32,
                        KILN_DTYPE_I64, KILN_DTYPE_U8, KILN_DTYPE_BOOL})
    if (onnxTypeOfDtype(dtype) == type)
      return dtype;
  return 0;
}

std::string mlir::kiln::predictOnce(const kiln_model_desc_t *desc,
                                    llvm::ArrayRef<const HostTensor *> inputs,
                                    int64_t batch,
                                    std::vector<HostTensor> &outputs) {
  // Inputs: the values as float64, converted to the descriptor's dtype
  // (which refuses a fraction or NaN where an integer is expected).
  std::vector<Array> in;
  std::vector<const float *> inPtrs;
  for (int64_t i = 0; i < desc->num_inputs; ++i) {
    const HostTensor &t = *inputs[i];
    kiln_array_t *wide = nullptr, *typed = nullptr;
    std::string problem = take(kiln_array_create(
        KILN_DTYPE_F64, int32_t(t.shape.size()), t.shape.data(), &wide));
    Array owner(wide);
    if (!problem.empty())
      return problem;
    std::copy(t.values.begin(), t.values.end(),
              static_cast<double *>(kiln_array_data(wide)));
    problem = take(kiln_array_convert(wide, desc->inputs[i].dtype, &typed));
    if (!problem.empty())
      return std::string("input '") + desc->inputs[i].name + "': " + problem;
    in.emplace_back(typed);
    inPtrs.push_back(static_cast<const float *>(kiln_array_data(typed)));
  }
  // Outputs in their own dtypes.
  std::vector<Array> out;
  std::vector<float *> outPtrs;
  outputs.assign(desc->num_outputs, HostTensor());
  for (int64_t i = 0; i < desc->num_outputs; ++i) {
    const kiln_tensor_desc_t &d = desc->outputs[i];
    for (int32_t k = 0; k < d.rank; ++k)
      outputs[i].shape.push_back(d.dims[k] == -1 ? batch : d.dims[k]);
    outputs[i].type = onnxTypeOfDtype(d.dtype);
    kiln_array_t *array = nullptr;
    std::string problem = take(
        kiln_array_create(d.dtype, d.rank, outputs[i].shape.data(), &array));
    out.emplace_back(array);
    if (!problem.empty())
      return problem;
    // NaN marks a float output the model left unwritten.
    if (d.dtype == KILN_DTYPE_F32)
      std::fill_n(static_cast<float *>(kiln_array_data(array)),
                  kiln_array_num_elements(array), NAN);
    outPtrs.push_back(static_cast<float *>(kiln_array_data(array)));
  }
  kiln_model_t *session = nullptr;
  std::string problem = take(kiln_model_create(desc, &session));
  if (problem.empty())
    problem =
        take(kiln_model_predict(session, batch, inPtrs.data(), outPtrs.data()));
  kiln_model_release(session);
  if (!problem.empty())
    return problem;
  for (int64_t i = 0; i < desc->num_outputs; ++i) {
    kiln_array_t *wide = nullptr;
    problem = take(kiln_array_convert(out[i].get(), KILN_DTYPE_F64, &wide));
    Array owner(wide);
    if (!problem.empty())
      return problem;
    const double *data = static_cast<const double *>(kiln_array_data(wide));
    outputs[i].values.assign(data, data + kiln_array_num_elements(wide));
  }
  return "";
}
