//===- FeatureSpec.h - tf.train.Example records as samples ------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// A feature spec names one feature of tf.train.Example records and how it
// becomes a model input or target, as tf.io's parsing specs do:
//
//   name:dtype[d0,d1,...][=default]          tf.io.FixedLenFeature
//   name:varlen(dtype)[d0,d1,...][=pad]      tf.io.VarLenFeature, densified
//
// dtype is float32 or int64 (int64 values become float32); the shape is per
// sample (`[]` or no brackets: a scalar). A fixed-length feature must hold
// exactly d0*d1*... values; the default (one number, or one per element)
// stands in for a record without it. A variable-length feature holds at
// most d0*d1*... values, written in row-major order and padded with `pad`
// (0 when not given), like `tf.sparse.to_dense` followed by Keras's
// `pad_sequences(padding='post')`; a missing one is all padding, and more
// values than the shape holds is an error rather than a silent truncation.
// The name is everything before the last ':' ahead of the dtype.
//
// `SampleDecoder` turns one serialized record into the floats of a sample
// (every spec in order). Its fast path walks the wire format once, copies
// the named features' values straight into the sample and skips other
// features by length without looking inside them, as TensorFlow's own
// fast Example parser does; records it does not expect (a repeated key, a
// feature split over several value lists, unpacked values, anything
// malformed or wrong) go through the general decoder (Example.cpp), which
// applies protobuf's merge rules and produces the exact error.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_DATA_FEATURESPEC_H
#define KILN_RUNTIME_DATA_FEATURESPEC_H

#include "kiln/runtime.h"

#include "formats/Example.h"

#include <string>
#include <vector>

namespace kiln {

struct FeatureSpec {
  std::string text; // as given, for messages
  std::string name;
  bool isInt = false;
  bool varLen = false;
  std::vector<int64_t> shape;
  int64_t count = 1; // elements per sample
  bool hasDefault = false;
  std::vector<float> defaults; // `count` values (varlen: the padding)
  int64_t numClasses = 0;      // > 0: a sparse label below this
  bool ids = false;   // an int32/int64 input's ids: |value| <= kMaxExactId
  bool bools = false; // a bool input's values: 0 or 1
  std::string output; // the output of a sparse label
};

/// Parses `text` (see above) into `spec`; an int64 spec's default must be
/// integers.
kiln_status_t parseFeatureSpec(const char *text, FeatureSpec &spec);

/// Checks the defaults (varlen: the pad values) of `spec` of the file
/// `path`, feeding the model input or target `tensor`, once its roles are
/// set, as record values are checked: ids within kMaxExactId, bools 0 or 1,
/// sparse labels class indices.
kiln_status_t checkFeatureDefaults(const char *path, const FeatureSpec &spec,
                                   const char *tensor);

/// Decodes records into samples for fixed specs. Not thread-safe (it keeps
/// scratch space); one per reading thread.
class SampleDecoder {
public:
  explicit SampleDecoder(const std::vector<FeatureSpec> &specs);

  /// Writes the sample of record `index` (`data[size]`) of `path`: spec
  /// s's `count` values to `outs[s]`.
  kiln_status_t decode(const char *path, int64_t index, const uint8_t *data,
                       size_t size, float *const *outs);
  /// `decode` with every spec's values in order at `out`.
  kiln_status_t decode(const char *path, int64_t index, const uint8_t *data,
                       size_t size, float *out);

  /// The fast path alone: true when it decoded the record; false when the
  /// record needs the general decoder (`outs` then hold garbage).
  bool decodeFast(const uint8_t *data, size_t size, float *const *outs);
  /// The general path alone (as `decode` after the fast path declines).
  kiln_status_t decodeGeneral(const char *path, int64_t index,
                              const uint8_t *data, size_t size,
                              float *const *outs);

private:
  const std::vector<FeatureSpec> &specs;
  std::vector<size_t> offsets;          // spec s at out + offsets[s]
  std::vector<float *> outs;            // for the contiguous `decode`
  std::vector<uint8_t> seen;            // per spec, in the fast path
  std::vector<ExampleFeature> features; // the general path's scratch
};

} // namespace kiln

#endif // KILN_RUNTIME_DATA_FEATURESPEC_H
