//===- Example.h - tf.train.Example wire format, no protobuf ----*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// tf.train.Example in protobuf wire format, decoded and encoded by hand:
//   Example  { Features features = 1; }
//   Features { map<string, Feature> feature = 1; }  // entries {key=1, value=2}
//   Feature  { oneof { BytesList bytes_list = 1; FloatList float_list = 2;
//                      Int64List int64_list = 3; } }
//   BytesList { repeated bytes value = 1; }
//   FloatList { repeated float value = 1; }  // packed or not
//   Int64List { repeated int64 value = 1; }  // packed or not
// Decoding follows protobuf's merge semantics (a repeated key replaces the
// earlier entry; a oneof switching kind clears the values) and skips unknown
// fields of every wire type except groups.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_FORMATS_EXAMPLE_H
#define KILN_RUNTIME_FORMATS_EXAMPLE_H

#include "kiln/runtime.h"

#include <string>
#include <vector>

namespace kiln {

/// One named feature: a kind and the values of that kind.
struct ExampleFeature {
  std::string name;
  int32_t kind = KILN_FEATURE_NONE;
  std::vector<std::string> bytes;
  std::vector<float> floats;
  std::vector<int64_t> ints;

  size_t size() const {
    return kind == KILN_FEATURE_BYTES   ? bytes.size()
           : kind == KILN_FEATURE_FLOAT ? floats.size()
           : kind == KILN_FEATURE_INT64 ? ints.size()
                                        : 0;
  }
};

/// Decodes `data[0, size)` into `features`, sorted by name with unique
/// names. Malformed input is DATA_LOSS naming the problem and its offset.
kiln_status_t decodeExample(const uint8_t *data, size_t size,
                            std::vector<ExampleFeature> &features);

/// Appends the serialization of `features` (in their order) to `out`.
void encodeExample(const std::vector<ExampleFeature> &features, bool packed,
                   std::string &out);

/// The JSON line of `kiln_example_to_json`.
std::string exampleToJson(const std::vector<ExampleFeature> &features);

} // namespace kiln

#endif // KILN_RUNTIME_FORMATS_EXAMPLE_H
