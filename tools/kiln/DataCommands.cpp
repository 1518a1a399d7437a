//===- DataCommands.cpp - `kiln data inspect|convert` -----------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//===----------------------------------------------------------------------===//

#include "tools/kiln/DataCommands.h"

#include "kiln/runtime.h"

#include "llvm/ADT/ScopeExit.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <cstring>
#include <vector>

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

int mlir::kiln::inspectTFRecord(llvm::StringRef path, int64_t limit, bool json,
                                bool skipCorrupt) {
  kiln_tfrecord_reader_t *reader = nullptr;
  std::string file = path.str();
  kiln_tfrecord_options_t options;
  kiln_tfrecord_options_initialize(&options);
  options.skip_corrupt = skipCorrupt;
  if (kiln_status_t status =
          kiln_tfrecord_reader_open(file.c_str(), &options, &reader))
    return reportStatus(status);
  int64_t notExamples = 0;
  uint64_t notExampleBytes = 0;
  llvm::scope_exit closeReader([&] {
    // Records and bytes actually skipped, and any dropped rest of the file.
    std::string report = kiln_tfrecord_reader_skip_report(reader);
    if (notExamples)
      report += (report.empty() ? "" : "; ") + std::string("skipped ") +
                std::to_string(notExamples) +
                " record(s) that are not tf.train.Example (" +
                std::to_string(notExampleBytes) + " bytes)";
    if (!report.empty())
      llvm::errs() << "kiln: warning: " << path << ": " << report << "\n";
    kiln_tfrecord_reader_release(reader);
  });
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
      if (skipCorrupt) {
        kiln_status_free(decode);
        ++notExamples;
        notExampleBytes += size + 16; // with the record's framing
        --index;                      // not listed
        continue;
      }
      llvm::errs() << "kiln: error: " << path << ": record " << index
                   << " is not a tf.train.Example: "
                   << kiln_status_message(decode) << "\n";
      kiln_status_free(decode);
      return 1;
    }
    llvm::scope_exit release([&] { kiln_example_release(example); });
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

namespace {
/// Owns a runtime array.
struct ArrayRef {
  kiln_array_t *array = nullptr;
  ~ArrayRef() { kiln_array_release(array); }
};
} // namespace

/// Sample `index` of `array` as `T`s (uint8 as stored: kiln_data_read has
/// scaled IDX images already).
template <typename T>
static void sampleValues(kiln_array_t *array, int64_t index,
                         std::vector<T> &out) {
  int64_t count = kiln_array_num_elements(array) /
                  std::max<int64_t>(kiln_array_dims(array)[0], 1);
  out.resize(count);
  const uint8_t *base = static_cast<const uint8_t *>(kiln_array_data(array));
  size_t elementSize = kiln_dtype_size(kiln_array_dtype(array));
  const uint8_t *p = base + index * count * elementSize;
  auto read = [](const uint8_t *e, auto value) {
    std::memcpy(&value, e, sizeof(value));
    return T(value);
  };
  for (int64_t i = 0; i < count; ++i) {
    const uint8_t *e = p + i * elementSize;
    switch (kiln_array_dtype(array)) {
    case KILN_DTYPE_F32:
      out[i] = read(e, float());
      break;
    case KILN_DTYPE_F64:
      out[i] = read(e, double());
      break;
    case KILN_DTYPE_I32:
      out[i] = read(e, int32_t());
      break;
    case KILN_DTYPE_I64:
      out[i] = read(e, int64_t());
      break;
    default: // KILN_DTYPE_U8
      out[i] = T(*e);
    }
  }
}

/// Whether `array` holds integers (ids, class indices): written as int64
/// values, exactly.
static bool isIntegral(kiln_array_t *array) {
  int32_t dtype = kiln_array_dtype(array);
  return dtype == KILN_DTYPE_I32 || dtype == KILN_DTYPE_I64;
}

/// Sets feature `name` of `example` to sample `index` of `array`: int64
/// values when `asInt64`, else floats.
static kiln_status_t setSample(kiln_example_t *example, const char *name,
                               kiln_array_t *array, int64_t index,
                               bool asInt64) {
  if (asInt64) {
    std::vector<int64_t> values;
    sampleValues(array, index, values);
    return kiln_example_set_int64(example, name, values.data(), values.size());
  }
  std::vector<float> values;
  sampleValues(array, index, values);
  return kiln_example_set_float(example, name, values.data(), values.size());
}

int mlir::kiln::convertToTFRecord(llvm::StringRef spec, llvm::StringRef output,
                                  llvm::StringRef compression) {
  kiln_tfrecord_options_t options;
  kiln_tfrecord_options_initialize(&options);
  // By default a .gz name is written gzipped; never uncompressed.
  bool gzName = output.ends_with(".gz");
  if (compression.empty())
    compression = gzName ? "gzip" : "none";
  if (compression == "none" && gzName) {
    llvm::errs() << "kiln: error: " << output
                 << ": a .gz name for an uncompressed file (--compression "
                    "none); use --compression gzip or another name\n";
    return 2;
  }
  if (compression == "gzip")
    options.compression = KILN_TFRECORD_GZIP;
  else if (compression == "zlib")
    options.compression = KILN_TFRECORD_ZLIB;
  else if (compression == "none")
    options.compression = KILN_TFRECORD_NONE;
  else {
    llvm::errs() << "kiln: error: unknown compression '" << compression
                 << "' (expected none, gzip or zlib)\n";
    return 2;
  }
  ArrayRef x, y;
  std::string specText = spec.str(), out = output.str();
  if (kiln_status_t status =
          kiln_data_read(specText.c_str(), &x.array, &y.array))
    return reportStatus(status);
  if (kiln_array_rank(x.array) < 1 ||
      (y.array &&
       (kiln_array_rank(y.array) < 1 ||
        kiln_array_dims(y.array)[0] != kiln_array_dims(x.array)[0]))) {
    llvm::errs() << "kiln: error: " << spec
                 << ": x and y must hold the same number of samples\n";
    return 1;
  }
  int64_t samples = kiln_array_dims(x.array)[0];
  // Integer arrays (ids, classes) are written as int64, exactly; so are
  // float labels, one per sample, that are all whole numbers (classes).
  bool intImages = isIntegral(x.array);
  bool intLabels = y.array && isIntegral(y.array);
  if (y.array && !intLabels && kiln_array_num_elements(y.array) == samples) {
    std::vector<double> label;
    intLabels = true;
    for (int64_t i = 0; intLabels && i < samples; ++i) {
      sampleValues(y.array, i, label);
      intLabels = std::abs(label[0]) < 0x1p62 &&
                  label[0] == std::trunc(label[0]);
    }
  }

  kiln_tfrecord_writer_t *writer = nullptr;
  if (kiln_status_t status =
          kiln_tfrecord_writer_open(out.c_str(), &options, &writer))
    return reportStatus(status);
  llvm::scope_exit closeWriter([&] { kiln_tfrecord_writer_release(writer); });
  for (int64_t i = 0; i < samples; ++i) {
    kiln_example_t *example = nullptr;
    uint8_t *bytes = nullptr;
    size_t size = 0;
    kiln_status_t status = kiln_example_create(&example);
    if (!status)
      status = setSample(example, "image", x.array, i, intImages);
    if (!status && y.array)
      status = setSample(example, "label", y.array, i, intLabels);
    if (!status)
      status = kiln_example_encode(example, /*packed=*/1, &bytes, &size);
    if (!status)
      status = kiln_tfrecord_writer_write(writer, bytes, size);
    kiln_free(bytes);
    kiln_example_release(example);
    if (status)
      return reportStatus(status);
  }
  if (kiln_status_t status = kiln_tfrecord_writer_close(writer))
    return reportStatus(status);
  llvm::outs() << "wrote " << samples << " records to " << output << "\n";
  return 0;
}
