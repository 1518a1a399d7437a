//===- DataCommands.cpp - `kiln data inspect|convert` -----------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//===----------------------------------------------------------------------===//

#include "tools/kiln/DataCommands.h"

#include "kiln/runtime.h"

#include "llvm/ADT/ScopeExit.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir::kiln;

/// Prints a runtime failure as one error line and consumes it.
static int reportStatus(kiln_status_t status) {
  llvm::errs() << "kiln: error: " << kiln_status_message(status) << "\n";
  kiln_status_free(status);
  return 1;
}

/// A readable listing of one Example's features.
static void printExample(const kiln_example_t *example, int64_t index) {
  llvm::outs() << "record " << index << ":\n";
  for (int64_t f = 0; f < kiln_example_num_features(example); ++f) {
    size_t nameSize = 0;
    const char *name = kiln_example_feature_name(example, f, &nameSize);
    int64_t size = kiln_example_feature_size(example, f);
    llvm::outs() << "  " << llvm::StringRef(name, nameSize) << ": ";
    switch (kiln_example_feature_kind(example, f)) {
    case KILN_FEATURE_INT64:
      llvm::outs() << "int64[" << size << "]";
      for (int64_t i = 0; i < std::min<int64_t>(size, 8); ++i)
        llvm::outs() << " " << kiln_example_feature_int64s(example, f)[i];
      break;
    case KILN_FEATURE_FLOAT:
      llvm::outs() << "float[" << size << "]";
      for (int64_t i = 0; i < std::min<int64_t>(size, 8); ++i)
        llvm::outs() << " " << kiln_example_feature_floats(example, f)[i];
      break;
    case KILN_FEATURE_BYTES:
      llvm::outs() << "bytes[" << size << "]";
      for (int64_t i = 0; i < std::min<int64_t>(size, 4); ++i) {
        size_t bytes = 0;
        kiln_example_feature_bytes(example, f, i, &bytes);
        llvm::outs() << " <" << bytes << " bytes>";
      }
      break;
    default:
      llvm::outs() << "(no value)";
    }
    llvm::outs() << (size > 8 ? " ...\n" : "\n");
  }
}

int mlir::kiln::inspectTFRecord(llvm::StringRef path, int64_t limit,
                                bool json) {
  kiln_tfrecord_reader_t *reader = nullptr;
  std::string file = path.str();
  if (kiln_status_t status =
          kiln_tfrecord_reader_open(file.c_str(), nullptr, &reader))
    return reportStatus(status);
  auto closeReader =
      llvm::make_scope_exit([&] { kiln_tfrecord_reader_release(reader); });
  for (int64_t index = 0; limit < 0 || index < limit; ++index) {
    const uint8_t *data = nullptr;
    size_t size = 0;
    kiln_status_t status = kiln_tfrecord_reader_next(reader, &data, &size);
    if (status && kiln_status_code(status) == KILN_STATUS_OUT_OF_RANGE) {
      kiln_status_free(status);
      break;
    }
    if (status)
      return reportStatus(status);
    kiln_example_t *example = nullptr;
    if (kiln_status_t decode = kiln_example_decode(data, size, &example)) {
      llvm::errs() << "kiln: error: " << path << ": record " << index
                   << " is not a tf.train.Example: "
                   << kiln_status_message(decode) << "\n";
      kiln_status_free(decode);
      return 1;
    }
    auto release = llvm::make_scope_exit([&] { kiln_example_release(example); });
    if (json) {
      char *text = nullptr;
      if (kiln_status_t render = kiln_example_to_json(example, &text))
        return reportStatus(render);
      llvm::outs() << text << "\n";
      kiln_free(text);
    } else {
      printExample(example, index);
    }
  }
  return 0;
}
