//===- TFRecordFuzz.cpp - libFuzzer target: TFRecord reader -----*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Reads arbitrary bytes as a TFRecord file (auto-detected compression, both
// strict and skipping corrupt records) and decodes every record as a
// tf.train.Example. The reader only reads files, so each input goes through
// a temporary file.
//
//===----------------------------------------------------------------------===//
#include "kiln/runtime.h"

#include <cstdio>
#include <cstdlib>
#include <string>

#include <unistd.h>

namespace {

void readFile(const char *path, int32_t skipCorrupt) {
  kiln_tfrecord_options_t options;
  kiln_tfrecord_options_initialize(&options);
  options.skip_corrupt = skipCorrupt;
  kiln_tfrecord_reader_t *reader = nullptr;
  if (kiln_status_t status =
          kiln_tfrecord_reader_open(path, &options, &reader)) {
    kiln_status_free(status);
    return;
  }
  for (;;) {
    const uint8_t *data = nullptr;
    size_t size = 0;
    kiln_status_t status = kiln_tfrecord_reader_next(reader, &data, &size);
    if (status) {
      kiln_status_code_t code = kiln_status_code(status);
      kiln_status_free(status);
      // Skipping readers end cleanly; strict ones may report data loss.
      if (code != KILN_STATUS_OUT_OF_RANGE &&
          (skipCorrupt || code != KILN_STATUS_DATA_LOSS))
        std::abort();
      break;
    }
    kiln_example_t *example = nullptr;
    kiln_status_ignore(kiln_example_decode(data, size, &example));
    kiln_example_release(example);
  }
  kiln_tfrecord_reader_release(reader);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const std::string path = [] {
    const char *dir = std::getenv("TMPDIR");
    return std::string(dir ? dir : "/tmp") + "/kiln-tfrecord-fuzz." +
           std::to_string(::getpid());
  }();
  FILE *file = std::fopen(path.c_str(), "wb");
  if (!file)
    return 0;
  bool ok = std::fwrite(data, 1, size, file) == size;
  ok = std::fclose(file) == 0 && ok;
  if (ok) {
    readFile(path.c_str(), 0);
    readFile(path.c_str(), 1);
  }
  std::remove(path.c_str());
  return 0;
}
