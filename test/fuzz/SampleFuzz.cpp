//===- SampleFuzz.cpp - libFuzzer target: Example -> sample -----*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Differential fuzzing of the two paths of `SampleDecoder` (FeatureSpec.h)
// on arbitrary bytes, with fixed, varlen, defaulted, sparse-label and bool
// specs:
//   - whenever the general path (protobuf merge rules) decodes a record and
//     the fast path accepts it too, both give bit-identical samples;
//   - the fast path may accept a record the general path rejects only when
//     the general path found it malformed (DATA_LOSS) in a feature no spec
//     names, which the fast path skips by length as TensorFlow's does;
//   - `decode` is the fast path, else the general one.
//
//===----------------------------------------------------------------------===//
#include "data/FeatureSpec.h"

#include <cstdlib>
#include <cstring>
#include <vector>

using namespace kiln;

namespace {

const std::vector<FeatureSpec> &specs() {
  static std::vector<FeatureSpec> parsed = [] {
    std::vector<FeatureSpec> out;
    for (const char *text :
         {"a:float32[3]", "b:int64=7", "c:varlen(float32)[4]",
          "d:varlen(int64)[2]=-1", "e:float32[]=0.5",
          "a:varlen(float32)[5]"}) { // a second spec of "a"
      out.emplace_back();
      if (kiln_status_t status = parseFeatureSpec(text, out.back())) {
        kiln_status_free(status);
        std::abort();
      }
    }
    out[1].numClasses = 5; // b: a sparse label in [0, 5)
    out[1].output = "out";
    out[3].bools = true; // d: a bool input's values, 0 or 1
    return out;
  }();
  return parsed;
}

constexpr size_t kFloats = 3 + 1 + 4 + 2 + 1 + 5;

/// Spec s's place in a sample of `kFloats` floats at `sample`.
struct Places {
  explicit Places(float *sample) {
    for (const FeatureSpec &spec : specs()) {
      at.push_back(sample);
      sample += spec.count;
    }
  }
  std::vector<float *> at;
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static SampleDecoder decoder(specs());
  float fast[kFloats], general[kFloats], combined[kFloats];
  bool fastOk = decoder.decodeFast(data, size, Places(fast).at.data());
  kiln_status_t generalStatus =
      decoder.decodeGeneral("fuzz", 0, data, size, Places(general).at.data());
  kiln_status_t status = decoder.decode("fuzz", 0, data, size, combined);
  if (fastOk) {
    if (status || std::memcmp(fast, combined, sizeof(fast)) != 0)
      std::abort(); // decode must take the fast path's answer
    if (!generalStatus && std::memcmp(fast, general, sizeof(fast)) != 0)
      std::abort(); // the two paths disagree on a valid record
    if (generalStatus &&
        kiln_status_code(generalStatus) != KILN_STATUS_DATA_LOSS)
      std::abort(); // the fast path accepted a spec violation
  } else {
    bool same = !status == !generalStatus &&
                (status ? std::strcmp(kiln_status_message(status),
                                      kiln_status_message(generalStatus)) == 0
                        : std::memcmp(general, combined, sizeof(general)) == 0);
    if (!same)
      std::abort(); // decode must be the general path
  }
  kiln_status_free(generalStatus);
  kiln_status_free(status);
  return 0;
}
