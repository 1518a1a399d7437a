//===- FeatureSpec.cpp - tf.train.Example records as samples ----*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Feature specs and the two decoding paths of FeatureSpec.h.
//
//===----------------------------------------------------------------------===//
#include "data/FeatureSpec.h"
#include "data/Dataset.h"

#include "base/Array.h"
#include "base/Status.h"
#include "formats/ProtoWire.h"

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cmath>
#include <cstdlib>
#include <cstring>

using namespace kiln;

namespace {

kiln_status_t specError(const std::string &text, const char *why) {
  return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                     "feature spec '%s': %s (expected "
                     "'name:float32|int64[d0,d1,...][=default]' or "
                     "'name:varlen(float32|int64)[d0,...][=pad]')",
                     text.c_str(), why);
}

/// Parses a comma-separated list of numbers (`integers`: of integers).
bool parseNumbers(const std::string &text, bool integers,
                  std::vector<double> &out) {
  size_t pos = 0;
  while (true) {
    size_t comma = text.find(',', pos);
    std::string item = text.substr(
        pos, comma == std::string::npos ? std::string::npos : comma - pos);
    if (item.empty())
      return false;
    char *end = nullptr;
    errno = 0;
    double value =
        integers ? static_cast<double>(std::strtoll(item.c_str(), &end, 10))
                 : std::strtod(item.c_str(), &end);
    if (errno || *end)
      return false;
    out.push_back(value);
    if (comma == std::string::npos)
      return true;
    pos = comma + 1;
  }
}

} // namespace

kiln_status_t kiln::parseFeatureSpec(const char *text, FeatureSpec &spec) {
  if (!text)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT, "feature spec is NULL");
  spec.text = text;
  std::string rest = text;
  size_t equals = rest.find(
      '=', rest.rfind(':') == std::string::npos ? 0 : rest.rfind(':'));
  std::string defaultText;
  if (equals != std::string::npos) {
    defaultText = rest.substr(equals + 1);
    rest.resize(equals);
    spec.hasDefault = true;
  }
  std::string shapeText;
  bool hasShape = false;
  if (!rest.empty() && rest.back() == ']') {
    size_t open = rest.rfind('[');
    if (open == std::string::npos)
      return specError(spec.text, "unbalanced ']': no '[' opens a shape");
    shapeText = rest.substr(open + 1, rest.size() - open - 2);
    rest.resize(open);
    hasShape = true;
  }
  size_t colon = rest.rfind(':');
  if (colon == std::string::npos || colon == 0)
    return specError(spec.text, "no 'name:' before the dtype");
  // A shape without its ']' ("x:float32[4", "x:float32[4=0").
  if (size_t bracket = rest.find('[', colon); bracket != std::string::npos) {
    std::string why = "missing ']': the shape opened by '[' at character " +
                      std::to_string(bracket + 1) + " is not closed";
    return specError(spec.text, why.c_str());
  }
  spec.name = rest.substr(0, colon);
  std::string dtype = rest.substr(colon + 1);
  const std::string varlen = "varlen(";
  if (dtype.compare(0, varlen.size(), varlen) == 0 && dtype.back() == ')') {
    spec.varLen = true;
    dtype = dtype.substr(varlen.size(), dtype.size() - varlen.size() - 1);
  }
  if (dtype == "int64")
    spec.isInt = true;
  else if (dtype != "float32")
    return specError(spec.text, "the dtype must be float32 or int64");
  if (hasShape && !shapeText.empty()) {
    std::vector<double> dims;
    if (!parseNumbers(shapeText, /*integers=*/true, dims))
      return specError(spec.text, "the shape is not a list of integers");
    for (double dim : dims) {
      if (dim < 0 || dim > double(INT32_MAX))
        return specError(spec.text, "a dimension is negative or too large");
      spec.shape.push_back(static_cast<int64_t>(dim));
    }
  }
  if (spec.shape.size() + 1 > KILN_MAX_RANK)
    return specError(spec.text, "too many dimensions");
  for (int64_t dim : spec.shape) {
    if (dim && spec.count > (int64_t(1) << 40) / dim)
      return specError(spec.text, "too many elements");
    spec.count *= dim;
  }
  if (spec.hasDefault) {
    std::vector<double> values;
    if (!parseNumbers(defaultText, /*integers=*/false, values))
      return specError(spec.text, "the default is not a list of numbers");
    if (values.size() != 1 && static_cast<int64_t>(values.size()) != spec.count)
      return specError(spec.text, "the default needs one value or one per "
                                  "element");
    for (double value : values)
      if (spec.isInt && value != std::trunc(value))
        return specError(spec.text, "the default of an int64 feature must be "
                                    "integers");
    for (int64_t i = 0; i < spec.count; ++i)
      spec.defaults.push_back(
          static_cast<float>(values[values.size() == 1 ? 0 : size_t(i)]));
  } else if (spec.varLen) {
    spec.defaults.assign(static_cast<size_t>(spec.count), 0.0f);
  }
  return nullptr;
}

namespace {

const char *kindName(int32_t kind) {
  return kind == KILN_FEATURE_BYTES   ? "bytes"
         : kind == KILN_FEATURE_FLOAT ? "float32"
         : kind == KILN_FEATURE_INT64 ? "int64"
                                      : "empty";
}

/// True when the `spec.count` values at `out` are class indices of a sparse
/// label spec (or the spec is not one); else `*bad` is the first other.
bool labelsInRange(const FeatureSpec &spec, const float *out, float *bad) {
  if (spec.numClasses <= 0)
    return true;
  for (int64_t i = 0; i < spec.count; ++i) {
    float label = out[i];
    if (!isClassIndex(label, spec.numClasses)) {
      *bad = label;
      return false;
    }
  }
  return true;
}

/// True when the int64 value `value` may feed `spec`: ids within
/// kMaxExactId, bools 0 or 1, anything else.
bool intFits(const FeatureSpec &spec, int64_t value) {
  if (spec.bools)
    return value == 0 || value == 1;
  return !spec.ids || (value <= kMaxExactId && value >= -kMaxExactId);
}

/// Writes the `spec.count` values of `spec` in the record `index`
/// (`features`) to `out`.
kiln_status_t gatherFeature(const char *path, int64_t index,
                            const std::vector<ExampleFeature> &features,
                            const FeatureSpec &spec, float *out) {
  const ExampleFeature *found = nullptr;
  for (const ExampleFeature &feature : features)
    if (feature.name == spec.name)
      found = &feature;
  if (!found ||
      (found->kind == KILN_FEATURE_NONE && (spec.count != 0 || spec.varLen))) {
    if (!spec.hasDefault && !spec.varLen)
      return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                         "%s: record %" PRId64
                         ": feature '%s' is missing and has no default "
                         "(give one as '%s=VALUE')",
                         path, index, spec.name.c_str(), spec.text.c_str());
    std::copy(spec.defaults.begin(), spec.defaults.end(), out);
    return nullptr;
  }
  // An empty list of another kind is refused too, as tf.io.parse_example
  // does ("Data types don't match"); only a Feature with no list is empty
  // of every kind.
  int32_t want = spec.isInt ? KILN_FEATURE_INT64 : KILN_FEATURE_FLOAT;
  if (found->kind != want && found->kind != KILN_FEATURE_NONE)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "%s: record %" PRId64
                       ": feature '%s' holds %s values, not %s as in '%s'",
                       path, index, spec.name.c_str(), kindName(found->kind),
                       kindName(want), spec.text.c_str());
  auto size = static_cast<int64_t>(found->size());
  std::string shape =
      formatShape(static_cast<int32_t>(spec.shape.size()), spec.shape.data());
  if (spec.varLen ? size > spec.count : size != spec.count)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "%s: record %" PRId64 ": feature '%s' has %" PRId64
                       " value(s); shape %s %s %" PRId64,
                       path, index, spec.name.c_str(), size, shape.c_str(),
                       spec.varLen ? "holds at most" : "needs", spec.count);
  if (found->kind == KILN_FEATURE_FLOAT)
    std::copy(found->floats.begin(), found->floats.end(), out);
  else
    for (size_t i = 0; i < found->ints.size(); ++i) {
      int64_t id = found->ints[i];
      if (spec.bools && !intFits(spec, id))
        return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                           "%s: record %" PRId64
                           ": feature '%s': value %" PRId64
                           " is not 0 or 1 (a bool input)",
                           path, index, spec.name.c_str(), id);
      if (!intFits(spec, id))
        return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                           "%s: record %" PRId64 ": feature '%s': id %" PRId64
                           " is beyond %" PRId64
                           ", the largest id kiln's batches carry",
                           path, index, spec.name.c_str(), id, kMaxExactId);
      out[i] = static_cast<float>(id);
    }
  if (size < spec.count) // varlen padding
    std::copy(spec.defaults.begin() + size, spec.defaults.end(), out + size);
  float label;
  if (!labelsInRange(spec, out, &label))
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "%s: record %" PRId64 ": feature '%s': label %g is "
                       "not a class index in [0, %" PRId64
                       ") (output '%s' has %" PRId64 " classes)",
                       path, index, spec.name.c_str(),
                       static_cast<double>(label), spec.numClasses,
                       spec.output.c_str(), spec.numClasses);
  return nullptr;
}

} // namespace

kiln_status_t kiln::checkFeatureDefaults(const char *path,
                                         const FeatureSpec &spec,
                                         const char *tensor) {
  // Integral for int64 specs (parseFeatureSpec checked that).
  for (float value : spec.defaults) {
    double v = static_cast<double>(value);
    if (spec.bools && value != 0 && value != 1)
      return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                         "%s: feature '%s': default %g is not 0 or 1, but "
                         "input '%s' takes bool",
                         path, spec.name.c_str(), v, tensor);
    if (spec.ids && std::fabs(v) > static_cast<double>(kMaxExactId))
      return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                         "%s: feature '%s': default id %.0f is beyond %" PRId64
                         ", the largest id kiln's batches carry (input '%s')",
                         path, spec.name.c_str(), v, kMaxExactId, tensor);
  }
  float label;
  if (!spec.defaults.empty() &&
      !labelsInRange(spec, spec.defaults.data(), &label))
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "%s: feature '%s': default label %g is not a class "
                       "index in [0, %" PRId64 ") (output '%s' has %" PRId64
                       " classes)",
                       path, spec.name.c_str(), static_cast<double>(label),
                       spec.numClasses, spec.output.c_str(), spec.numClasses);
  return nullptr;
}

//===----------------------------------------------------------------------===//
// SampleDecoder
//===----------------------------------------------------------------------===//

kiln::SampleDecoder::SampleDecoder(const std::vector<FeatureSpec> &specs)
    : specs(specs), outs(specs.size()), seen(specs.size()) {
  size_t offset = 0;
  for (const FeatureSpec &spec : specs) {
    offsets.push_back(offset);
    offset += static_cast<size_t>(spec.count);
  }
}

kiln_status_t kiln::SampleDecoder::decode(const char *path, int64_t index,
                                          const uint8_t *data, size_t size,
                                          float *const *to) {
  if (decodeFast(data, size, to))
    return nullptr;
  return decodeGeneral(path, index, data, size, to);
}

kiln_status_t kiln::SampleDecoder::decode(const char *path, int64_t index,
                                          const uint8_t *data, size_t size,
                                          float *out) {
  for (size_t s = 0; s < specs.size(); ++s)
    outs[s] = out + offsets[s];
  return decode(path, index, data, size, outs.data());
}

kiln_status_t kiln::SampleDecoder::decodeGeneral(const char *path,
                                                 int64_t index,
                                                 const uint8_t *data,
                                                 size_t size,
                                                 float *const *to) {
  if (kiln_status_t status = decodeExample(data, size, features)) {
    kiln_status_t named =
        KILN_STATUS(kiln_status_code(status), "%s: record %" PRId64 ": %s",
                    path, index, kiln_status_message(status));
    kiln_status_free(status);
    return named;
  }
  for (size_t s = 0; s < specs.size(); ++s)
    KILN_RETURN_IF_ERROR(gatherFeature(path, index, features, specs[s], to[s]));
  return nullptr;
}

bool kiln::SampleDecoder::decodeFast(const uint8_t *data, size_t size,
                                     float *const *to) {
  std::fill(seen.begin(), seen.end(), 0);
  WireError error;
  // Feature { oneof kind { BytesList = 1; FloatList = 2; Int64List = 3; } }
  // holding exactly one packed value list of the spec's kind.
  auto value = [&](const FeatureSpec &spec, WireReader feature, float *out) {
    uint32_t field, wire;
    WireReader list;
    if (feature.done() || !feature.tag(field, wire) ||
        wire != kLengthDelimited || !feature.message(list) || !feature.done() ||
        field != uint32_t(spec.isInt ? KILN_FEATURE_INT64 : KILN_FEATURE_FLOAT))
      return false;
    int64_t count = 0;
    if (!list.done()) {
      const uint8_t *values;
      size_t bytes;
      if (!list.tag(field, wire) || field != 1 || wire != kLengthDelimited ||
          !list.delimited(values, bytes) || !list.done())
        return false;
      if (spec.isInt) {
        WireReader packed(values, bytes, error);
        for (uint64_t v; !packed.done(); ++count) {
          if (count == spec.count || !packed.varint(v))
            return false;
          auto id = static_cast<int64_t>(v);
          if (!intFits(spec, id))
            return false; // the checked decode reports it
          out[count] = static_cast<float>(id);
        }
      } else {
        count = static_cast<int64_t>(bytes / 4);
        if (bytes % 4 || count > spec.count)
          return false;
        std::memcpy(out, values, bytes);
      }
    }
    if (count != spec.count) {
      if (!spec.varLen)
        return false;
      std::copy(spec.defaults.begin() + count, spec.defaults.end(),
                out + count);
    }
    return true;
  };
  // map<string, Feature> entry { key = 1; value = 2; }, in that order.
  auto entry = [&](WireReader reader) {
    uint32_t field, wire;
    const uint8_t *key;
    size_t keySize;
    WireReader feature;
    if (!reader.tag(field, wire) || field != 1 || wire != kLengthDelimited ||
        !reader.delimited(key, keySize) || reader.done() ||
        !reader.tag(field, wire) || field != 2 || wire != kLengthDelimited ||
        !reader.message(feature) || !reader.done())
      return false;
    // Every spec naming the feature (an input and a target may share it);
    // none: not a spec's feature, skipped.
    for (size_t s = 0; s < specs.size(); ++s) {
      const std::string &name = specs[s].name;
      if (name.size() != keySize || std::memcmp(name.data(), key, keySize))
        continue;
      if (seen[s])
        return false; // a repeated key: merge rules apply
      seen[s] = 1;
      if (!value(specs[s], feature, to[s]))
        return false;
    }
    return true;
  };
  WireReader example(data, size, error);
  bool ok = example.fields([&](uint32_t field, uint32_t wire, const uint8_t *) {
    WireReader features;
    if (field != 1)
      return example.skip(wire);
    return wire == kLengthDelimited && example.message(features) &&
           features.fields(
               [&](uint32_t key, uint32_t keyWire, const uint8_t *) {
                 WireReader item;
                 if (key != 1)
                   return features.skip(keyWire);
                 return keyWire == kLengthDelimited && features.message(item) &&
                        entry(item);
               });
  });
  if (!ok)
    return false;
  for (size_t s = 0; s < specs.size(); ++s) {
    const FeatureSpec &spec = specs[s];
    if (!seen[s]) {
      if (!spec.hasDefault && !spec.varLen)
        return false; // the general path reports it
      std::copy(spec.defaults.begin(), spec.defaults.end(), to[s]);
    }
    float bad;
    if (!labelsInRange(spec, to[s], &bad))
      return false;
  }
  return true;
}
