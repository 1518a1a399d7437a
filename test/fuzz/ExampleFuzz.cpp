//===- ExampleFuzz.cpp - libFuzzer target: tf.train.Example -----*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Decodes arbitrary bytes as a tf.train.Example; whatever decodes must
// re-encode (packed and unpacked) to bytes that decode to the same JSON.
//
//===----------------------------------------------------------------------===//
#include "kiln/runtime.h"

#include <cstdlib>
#include <cstring>
#include <string>

namespace {

std::string jsonOf(const kiln_example_t *example) {
  char *json = nullptr;
  kiln_status_t status = kiln_example_to_json(example, &json);
  if (status) {
    kiln_status_free(status);
    std::abort();
  }
  std::string text = json;
  kiln_free(json);
  return text;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  kiln_example_t *example = nullptr;
  kiln_status_t status = kiln_example_decode(data, size, &example);
  if (status) {
    if (kiln_status_code(status) != KILN_STATUS_DATA_LOSS || example)
      std::abort();
    kiln_status_free(status);
    return 0;
  }
  std::string json = jsonOf(example);
  for (int32_t packed = 0; packed < 2; ++packed) {
    uint8_t *bytes = nullptr;
    size_t count = 0;
    kiln_example_t *again = nullptr;
    if (kiln_example_encode(example, packed, &bytes, &count) ||
        kiln_example_decode(bytes, count, &again) || jsonOf(again) != json)
      std::abort();
    kiln_example_release(again);
    kiln_free(bytes);
  }
  kiln_example_release(example);
  return 0;
}
