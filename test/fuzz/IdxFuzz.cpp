//===- IdxFuzz.cpp - libFuzzer target: IDX parser ---------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Parses arbitrary bytes as an IDX (MNIST) file. Failing is fine; crashing,
// reading out of bounds or leaking is not.
//===----------------------------------------------------------------------===//

#include "formats/Idx.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  kiln_array_t *array = nullptr;
  if (kiln_status_t status = kiln::parseIdx("fuzz.idx", data, size, &array)) {
    kiln_status_free(status);
    return 0;
  }
  volatile uint8_t sink = 0;
  const uint8_t *bytes = static_cast<const uint8_t *>(kiln_array_data(array));
  for (size_t i = 0; i < kiln_array_byte_size(array); ++i)
    sink ^= bytes[i];
  kiln_array_release(array);
  return 0;
}
