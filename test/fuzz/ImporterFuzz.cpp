//===- ImporterFuzz.cpp - libFuzzer target: the model importers -*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Arbitrary bytes as a model file given to `importModel` (frontend/Import.h),
// whose containers read paths: the first byte picks the form, the rest is
// written to files in a folder of this process and imported.
//   0  Keras JSON (`model.to_json()`)              model.json
//   1  tfjs model.json + its one weight shard      model.json, weights.bin
//   2  `.keras` archive (zip)                      model.keras
//   3  legacy full-model `.h5` (HDF5)              model.h5
//   4  Keras JSON + a `--weights` HDF5 file        model.json, weights.h5
//   5  an ONNX model (protobuf)                    model.onnx
//   6  an ONNX model + its external data file      model.onnx, weights.bin
// Two-file forms split the bytes at the first kSeparator (none: the second
// file is empty). Import failing is fine: every failure is one diagnostic.
// Crashing, reading out of bounds, undefined behaviour, leaking or an
// allocation beyond libFuzzer's limit is not. Seeds: seeds/importer (real
// Keras, tfjs and h5py files, JSON nested beyond kMaxJsonDepth, ONNX models
// written by onnx.helper, one with external data).
// KILN_IMPORTER_FUZZ_VERBOSE=1 prints each input's diagnostics or layers.
//===----------------------------------------------------------------------===//

#include "frontend/Import.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdio>
#include <cstdlib>
#include <string>

using namespace mlir;

static constexpr llvm::StringLiteral kSeparator = "\n--kiln-fuzz-file--\n";

/// A fresh folder of this process, removed at exit.
static const std::string &workDir() {
  // Never destroyed: the exit handler below runs after static destructors.
  static const std::string *dir = [] {
    llvm::SmallString<128> path;
    if (llvm::sys::fs::createUniqueDirectory("kiln-importer-fuzz", path)) {
      std::fprintf(stderr, "cannot create a temporary folder\n");
      std::abort();
    }
    std::atexit([] { llvm::sys::fs::remove_directories(workDir()); });
    return new std::string(path.str());
  }();
  return *dir;
}

static std::string writeFile(llvm::StringRef name, llvm::StringRef bytes) {
  llvm::SmallString<256> path(workDir());
  llvm::sys::path::append(path, name);
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (ec) {
    std::fprintf(stderr, "cannot write %s\n", path.c_str());
    std::abort();
  }
  os << bytes;
  return path.str().str();
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0)
    return 0;
  unsigned form = data[0] % 7;
  llvm::StringRef bytes(reinterpret_cast<const char *>(data) + 1, size - 1);
  auto [first, second] = bytes.split(kSeparator);
  std::string modelPath;
  kiln::ImportOptions options;
  std::vector<std::string> written;
  switch (form) {
  case 0:
    modelPath = writeFile("model.json", bytes);
    break;
  case 1:
    modelPath = writeFile("model.json", first);
    written.push_back(writeFile("weights.bin", second));
    break;
  case 2:
    modelPath = writeFile("model.keras", bytes);
    break;
  case 3:
    modelPath = writeFile("model.h5", bytes);
    break;
  case 4:
    modelPath = writeFile("model.json", first);
    options.weightsPath = writeFile("weights.h5", second);
    written.push_back(options.weightsPath);
    break;
  case 5:
    modelPath = writeFile("model.onnx", bytes);
    break;
  case 6:
    modelPath = writeFile("model.onnx", first);
    written.push_back(writeFile("weights.bin", second));
    break;
  }
  written.push_back(modelPath);
  {
    // One context per input, as `kiln` makes one per file.
    MLIRContext context(MLIRContext::Threading::DISABLED);
    unsigned errors = 0;
    static const bool verbose = std::getenv("KILN_IMPORTER_FUZZ_VERBOSE");
    ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diagnostic) {
      errors += diagnostic.getSeverity() == DiagnosticSeverity::Error;
      if (verbose)
        llvm::errs() << diagnostic << "\n";
      return success();
    });
    FailureOr<kiln::ImportedModel> model =
        kiln::importModel(&context, modelPath, options);
    if (verbose && succeeded(model))
      llvm::errs() << "imported " << model->layers.size() << " layers\n";
    // A failed import says why (a successful one was verified by it).
    if (failed(model) && errors == 0) {
      std::fprintf(stderr, "import failed without a diagnostic\n");
      std::abort();
    }
  }
  for (const std::string &path : written)
    llvm::sys::fs::remove(path);
  return 0;
}
