//===- RunCommand.cpp - kiln run: compile in memory, run once ---*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// An ONNX model's inputs are given to the importer as known values too, so
// that integer inputs feeding shapes, axes or indices fold the way the
// conformance runner folds them, and the run's shapes are the files'.
//===----------------------------------------------------------------------===//

#include "tools/kiln/RunCommand.h"
#include "codegen/abi/OutputFile.h"
#include "codegen/cpu/ModelJit.h"
#include "frontend/onnx/OnnxImporter.h"
#include "tools/kiln/HostArrays.h"

#include "kiln/runtime.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>

using namespace mlir;
using namespace mlir::kiln;

static int fail(const llvm::Twine &message) {
  llvm::errs() << "kiln: error: " << message << "\n";
  return 1;
}

static bool hasExtension(llvm::StringRef path, llvm::StringRef ext) {
  return llvm::sys::path::extension(path).equals_insensitive(ext);
}

/// A .npy file as a HostTensor (its dtype kept).
static FailureOr<HostTensor> readNpy(llvm::StringRef path) {
  kiln_array_t *array = nullptr;
  if (kiln_status_t status = kiln_npy_read(path.str().c_str(), &array)) {
    fail(path + ": " + kiln_status_message(status));
    kiln_status_free(status);
    return failure();
  }
  HostTensor t;
  t.type = onnxTypeOfDtype(kiln_array_dtype(array));
  t.shape.assign(kiln_array_dims(array),
                 kiln_array_dims(array) + kiln_array_rank(array));
  kiln_array_t *wide = nullptr;
  if (kiln_status_t status = kiln_array_convert(array, KILN_DTYPE_F64, &wide)) {
    kiln_array_release(array);
    fail(path + ": " + kiln_status_message(status));
    kiln_status_free(status);
    return failure();
  }
  const double *data = static_cast<const double *>(kiln_array_data(wide));
  t.values.assign(data, data + kiln_array_num_elements(wide));
  kiln_array_release(wide);
  kiln_array_release(array);
  return t;
}

static FailureOr<HostTensor> readInput(MLIRContext &ctx, llvm::StringRef path) {
  if (hasExtension(path, ".npy"))
    return readNpy(path);
  if (hasExtension(path, ".pb"))
    return onnx_import::readTensorFile(&ctx, path);
  fail(path + ": unknown input format (expected .npy or an ONNX TensorProto "
              ".pb)");
  return failure();
}

static LogicalResult writeResult(llvm::StringRef path, llvm::StringRef name,
                                 const HostTensor &t) {
  if (hasExtension(path, ".npy")) {
    kiln_array_t *array = nullptr;
    kiln_array_t *typed = nullptr;
    kiln_status_t status = kiln_array_create(
        KILN_DTYPE_F64, int32_t(t.shape.size()), t.shape.data(), &array);
    if (!status) {
      std::copy(t.values.begin(), t.values.end(),
                static_cast<double *>(kiln_array_data(array)));
      status = kiln_array_convert(array, dtypeOfOnnxType(t.type), &typed);
    }
    if (!status)
      status = kiln_npy_write(path.str().c_str(), typed);
    kiln_array_release(array);
    kiln_array_release(typed);
    if (status) {
      fail(path + ": " + kiln_status_message(status));
      kiln_status_free(status);
      return failure();
    }
    return success();
  }
  if (!hasExtension(path, ".pb")) {
    fail(path + ": unknown output format (expected .npy or .pb)");
    return failure();
  }
  std::string bytes = onnx_import::serializeTensor(name, t);
  if (llvm::Error error = writeOutputFile(path, /*binary=*/true,
                                          [&](llvm::raw_pwrite_stream &os) {
                                            os << bytes;
                                            return llvm::Error::success();
                                          })) {
    fail(llvm::toString(std::move(error)));
    return failure();
  }
  return success();
}

/// "name: float32 (2, 10)  min .. max .. mean ..  [first values]".
static void printSummary(llvm::raw_ostream &os, llvm::StringRef name,
                         const HostTensor &t) {
  double lo = INFINITY, hi = -INFINITY, sum = 0;
  for (double v : t.values) {
    lo = std::min(lo, v);
    hi = std::max(hi, v);
    sum += v;
  }
  os << name << ": " << typeName(t.type) << " "
     << formatKerasShape(t.shape).substr(0) << "  min "
     << llvm::format("%.6g", lo) << "  max " << llvm::format("%.6g", hi)
     << "  mean "
     << llvm::format("%.6g", t.values.empty() ? 0.0 : sum / t.values.size())
     << "\n  [";
  for (size_t i = 0; i < t.values.size() && i < 8; ++i)
    os << (i ? ", " : "") << llvm::format("%.6g", t.values[i]);
  os << (t.values.size() > 8 ? ", ...]\n" : "]\n");
}

int mlir::kiln::runModelOnce(MLIRContext &ctx, llvm::StringRef modelPath,
                             const RunOptions &options) {
  std::vector<HostTensor> inputs;
  for (const std::string &path : options.inputs) {
    FailureOr<HostTensor> t = readInput(ctx, path);
    if (failed(t))
      return 1;
    inputs.push_back(std::move(*t));
  }
  ImportOptions importOptions = options.import;
  bool onnx = detectModelFormat(modelPath) == ModelFormat::Onnx;
  // The model's input names, in order: an ONNX graph's, or (Keras) the
  // imported signature's.
  std::vector<std::string> names;
  if (onnx) {
    FailureOr<onnx_import::OnnxModelInfo> info =
        onnx_import::inspectOnnxModel(&ctx, modelPath);
    if (failed(info))
      return 1;
    names = info->inputs;
    if (names.size() == inputs.size())
      for (auto [name, tensor] : llvm::zip(names, inputs))
        importOptions.inputValues[name] = tensor;
  }
  FailureOr<ImportedModel> model = importModel(&ctx, modelPath, importOptions);
  if (failed(model))
    return 1;
  if (!onnx)
    for (const TensorSignature &t : getModelSignature(*model).inputs)
      names.push_back(t.name);
  if (names.size() != inputs.size()) {
    std::string list;
    for (const std::string &name : names)
      list += (list.empty() ? "" : ", ") + name;
    return fail("the model has " + llvm::Twine(names.size()) + " inputs (" +
                list + "); " + llvm::Twine(inputs.size()) +
                " --input files were given");
  }

  llvm::Expected<std::unique_ptr<CpuTarget>> target =
      createCpuTarget(options.targetCpu);
  if (!target)
    return fail(llvm::toString(target.takeError()));
  llvm::Expected<std::unique_ptr<ModelJit>> jit =
      ModelJit::compile(*model, **target);
  if (!jit)
    return fail(llvm::toString(jit.takeError()));
  const kiln_model_desc_t *desc = (*jit)->descriptor();
  if (!options.outputs.empty() &&
      int64_t(options.outputs.size()) != desc->num_outputs)
    return fail("the model has " + llvm::Twine(desc->num_outputs) +
                " outputs; " + llvm::Twine(options.outputs.size()) +
                " --output files were given");

  // Inputs in the descriptor's order, checked against its shapes.
  int64_t batch = -1;
  std::vector<const HostTensor *> ordered;
  for (int64_t i = 0; i < desc->num_inputs; ++i) {
    const kiln_tensor_desc_t &d = desc->inputs[i];
    size_t index = llvm::find(names, d.name) - names.begin();
    const HostTensor &t = inputs[index];
    const std::string &path = options.inputs[index];
    bool ok = int64_t(t.shape.size()) == d.rank;
    for (int32_t k = 0; ok && k < d.rank; ++k) {
      if (d.dims[k] != -1) {
        ok = t.shape[k] == d.dims[k];
      } else if (batch < 0 || batch == t.shape[k]) {
        batch = t.shape[k];
      } else {
        return fail(path + ": batch " + llvm::Twine(t.shape[k]) +
                    " differs from the other inputs' " + llvm::Twine(batch));
      }
    }
    if (!ok) {
      SmallVector<int64_t> want(d.dims, d.dims + d.rank);
      return fail(path + ": shape " + formatKerasShape(t.shape) +
                  " does not match input '" + d.name + "' " +
                  formatKerasShape(want) + " (None: any batch)");
    }
    ordered.push_back(&t);
  }
  std::vector<HostTensor> outputs;
  std::string problem =
      predictOnce(desc, ordered, batch < 0 ? 1 : batch, outputs);
  if (!problem.empty())
    return fail(problem);
  for (int64_t i = 0; i < desc->num_outputs; ++i) {
    if (options.outputs.empty())
      printSummary(llvm::outs(), desc->outputs[i].name, outputs[i]);
    else if (failed(writeResult(options.outputs[i], desc->outputs[i].name,
                                outputs[i])))
      return 1;
  }
  return 0;
}
