//===- Example.cpp - tf.train.Example decoding and encoding -----*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// A bounds-checked recursive-descent reader over the four fixed message
// levels (no unbounded recursion): every length is checked against the end
// of its enclosing message before it is used, so no input reads out of
// bounds, and every allocation is bounded by a small multiple of the input
// size.
//
//===----------------------------------------------------------------------===//
#include "formats/Example.h"

#include "base/Status.h"
#include "formats/ProtoWire.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <numeric>
#include <tuple>

using namespace kiln;

namespace {

/// Decodes the four message levels of an Example into features.
class Parser {
public:
  bool example(WireReader reader, std::vector<ExampleFeature> &out) {
    return reader.fields([&](uint32_t field, uint32_t wire, const uint8_t *at) {
      if (field != 1)
        return reader.skip(wire);
      WireReader features;
      if (wire != kLengthDelimited)
        return reader.fail(at, "wrong wire type for Example.features");
      return reader.message(features) && this->features(features, out);
    });
  }

private:
  bool features(WireReader reader, std::vector<ExampleFeature> &out) {
    return reader.fields([&](uint32_t field, uint32_t wire, const uint8_t *at) {
      if (field != 1)
        return reader.skip(wire);
      WireReader entry;
      if (wire != kLengthDelimited)
        return reader.fail(at, "wrong wire type for Features.feature");
      if (!reader.message(entry))
        return false;
      out.emplace_back();
      return this->entry(entry, out.back());
    });
  }

  bool entry(WireReader reader, ExampleFeature &out) {
    return reader.fields([&](uint32_t field, uint32_t wire, const uint8_t *at) {
      if (field != 1 && field != 2)
        return reader.skip(wire);
      if (wire != kLengthDelimited)
        return reader.fail(at, field == 1
                                   ? "wrong wire type for a feature name"
                                   : "wrong wire type for a feature value");
      if (field == 2) {
        WireReader value;
        return reader.message(value) && feature(value, out);
      }
      const uint8_t *name;
      size_t size;
      if (!reader.delimited(name, size))
        return false;
      out.name.assign(reinterpret_cast<const char *>(name), size);
      return true;
    });
  }

  bool feature(WireReader reader, ExampleFeature &out) {
    return reader.fields([&](uint32_t field, uint32_t wire, const uint8_t *at) {
      if (field < 1 || field > 3)
        return reader.skip(wire);
      WireReader list;
      if (wire != kLengthDelimited)
        return reader.fail(at, "wrong wire type for a feature's value list");
      if (!reader.message(list))
        return false;
      // A oneof switching kind clears the values; the same kind merges.
      if (out.kind != static_cast<int32_t>(field)) {
        out.bytes.clear();
        out.floats.clear();
        out.ints.clear();
        out.kind = static_cast<int32_t>(field);
      }
      return values(list, out);
    });
  }

  bool values(WireReader reader, ExampleFeature &out) {
    return reader.fields([&](uint32_t field, uint32_t wire, const uint8_t *at) {
      if (field != 1)
        return reader.skip(wire);
      const uint8_t *data;
      size_t size;
      switch (out.kind) {
      case KILN_FEATURE_BYTES:
        if (wire != kLengthDelimited)
          return reader.fail(at, "wrong wire type for BytesList.value");
        if (!reader.delimited(data, size))
          return false;
        out.bytes.emplace_back(reinterpret_cast<const char *>(data), size);
        return true;
      case KILN_FEATURE_FLOAT:
        if (wire == kFixed32) {
          float value;
          if (!reader.fixed(&value, 4))
            return false;
          out.floats.push_back(value);
          return true;
        }
        if (wire != kLengthDelimited)
          return reader.fail(at, "wrong wire type for FloatList.value");
        if (!reader.delimited(data, size))
          return false;
        if (size % 4)
          return reader.fail(at, "packed floats not a multiple of 4 bytes");
        if (size) {
          size_t old = out.floats.size();
          out.floats.resize(old + size / 4);
          std::memcpy(out.floats.data() + old, data, size);
        }
        return true;
      default: {
        uint64_t value;
        if (wire == kVarint) {
          if (!reader.varint(value))
            return false;
          out.ints.push_back(static_cast<int64_t>(value));
          return true;
        }
        WireReader packed;
        if (wire != kLengthDelimited)
          return reader.fail(at, "wrong wire type for Int64List.value");
        if (!reader.message(packed))
          return false;
        while (!packed.done()) {
          if (!packed.varint(value))
            return false;
          out.ints.push_back(static_cast<int64_t>(value));
        }
        return true;
      }
      }
    });
  }
};

std::string encodeFeature(const ExampleFeature &feature, bool packed) {
  std::string list;
  switch (feature.kind) {
  case KILN_FEATURE_BYTES:
    for (const std::string &value : feature.bytes)
      putBytes(list, 1, value);
    break;
  case KILN_FEATURE_FLOAT:
    if (packed) {
      if (!feature.floats.empty()) {
        std::string values;
        for (float value : feature.floats)
          putFixed(values, &value, 4);
        putBytes(list, 1, values);
      }
    } else {
      for (float value : feature.floats) {
        putTag(list, 1, kFixed32);
        putFixed(list, &value, 4);
      }
    }
    break;
  case KILN_FEATURE_INT64:
    if (packed) {
      if (!feature.ints.empty()) {
        std::string values;
        for (int64_t value : feature.ints)
          putVarint(values, static_cast<uint64_t>(value));
        putBytes(list, 1, values);
      }
    } else {
      for (int64_t value : feature.ints) {
        putTag(list, 1, kVarint);
        putVarint(list, static_cast<uint64_t>(value));
      }
    }
    break;
  default:
    return std::string();
  }
  std::string out;
  putBytes(out, static_cast<uint32_t>(feature.kind), list);
  return out;
}

/// Appends `text` as a JSON string: valid UTF-8 is kept, invalid bytes
/// become U+FFFD.
void appendJsonString(const std::string &text, std::string &out) {
  out += '"';
  const auto *p = reinterpret_cast<const uint8_t *>(text.data());
  const uint8_t *end = p + text.size();
  while (p < end) {
    uint8_t c = *p;
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
      ++p;
    } else if (c < 0x20) {
      // Python's json module's escapes.
      const char *shortEscape = c == '\b'   ? "\\b"
                                : c == '\f' ? "\\f"
                                : c == '\n' ? "\\n"
                                : c == '\r' ? "\\r"
                                : c == '\t' ? "\\t"
                                            : nullptr;
      char escape[8];
      if (!shortEscape)
        std::snprintf(escape, sizeof(escape), "\\u%04x", c);
      out += shortEscape ? shortEscape : escape;
      ++p;
    } else if (c < 0x80) {
      out += static_cast<char>(c);
      ++p;
    } else {
      // Length and minimum code point of a UTF-8 sequence.
      size_t length = (c & 0xe0) == 0xc0   ? 2
                      : (c & 0xf0) == 0xe0 ? 3
                      : (c & 0xf8) == 0xf0 ? 4
                                           : 0;
      uint32_t code = length == 2 ? c & 0x1f : length == 3 ? c & 0x0f : c & 7;
      bool valid = length && static_cast<size_t>(end - p) >= length;
      for (size_t i = 1; valid && i < length; ++i) {
        valid = (p[i] & 0xc0) == 0x80;
        code = code << 6 | (p[i] & 0x3f);
      }
      uint32_t minimum = length == 2 ? 0x80 : length == 3 ? 0x800 : 0x10000;
      if (valid && code >= minimum && code <= 0x10ffff &&
          (code < 0xd800 || code > 0xdfff)) {
        out.append(reinterpret_cast<const char *>(p), length);
        p += length;
      } else {
        out += "\\ufffd";
        ++p;
      }
    }
  }
  out += '"';
}

void appendBase64(const std::string &bytes, std::string &out) {
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const auto *p = reinterpret_cast<const uint8_t *>(bytes.data());
  size_t size = bytes.size(), i = 0;
  for (; i + 3 <= size; i += 3) {
    uint32_t v = uint32_t(p[i]) << 16 | uint32_t(p[i + 1]) << 8 | p[i + 2];
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (size - i == 1) {
    uint32_t v = uint32_t(p[i]) << 16;
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (size - i == 2) {
    uint32_t v = uint32_t(p[i]) << 16 | uint32_t(p[i + 1]) << 8;
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
}

void appendFloat(float value, std::string &out) {
  if (std::isnan(value)) {
    out += "NaN";
  } else if (std::isinf(value)) {
    out += value < 0 ? "-Infinity" : "Infinity";
  } else {
    char text[32];
    std::snprintf(text, sizeof(text), "%.9g", static_cast<double>(value));
    out += text;
  }
}

bool nameLess(const ExampleFeature &a, const ExampleFeature &b) {
  return a.name < b.name;
}

} // namespace

kiln_status_t kiln::decodeExample(const uint8_t *data, size_t size,
                                  std::vector<ExampleFeature> &features) {
  std::vector<ExampleFeature> parsed;
  if (size) {
    if (!data)
      return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT, "data must not be NULL");
    WireError error;
    if (!Parser().example(WireReader(data, size, error), parsed))
      return KILN_STATUS(KILN_STATUS_DATA_LOSS,
                         "malformed tf.train.Example: %s at byte %zu of %zu",
                         error.what, error.offset, size);
  }
  // Writers emit keys in order, so sorting is usually a no-op check (and
  // no allocation on the decode hot path).
  // Out of order: sorted by name, then by position, so that the last of
  // equal keys stays last (std::stable_sort's buffer comes from the
  // deprecated std::get_temporary_buffer in libstdc++ 12).
  if (!std::is_sorted(parsed.begin(), parsed.end(), nameLess)) {
    std::vector<size_t> order(parsed.size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return std::tie(parsed[a].name, a) < std::tie(parsed[b].name, b);
    });
    std::vector<ExampleFeature> sorted;
    sorted.reserve(parsed.size());
    for (size_t i : order)
      sorted.push_back(std::move(parsed[i]));
    parsed = std::move(sorted);
  }
  // A later map entry with the same key replaces an earlier one.
  size_t kept = 0;
  for (size_t i = 0; i < parsed.size(); ++i)
    if (i + 1 == parsed.size() || parsed[i].name != parsed[i + 1].name) {
      if (kept != i)
        parsed[kept] = std::move(parsed[i]);
      ++kept;
    }
  parsed.resize(kept);
  features = std::move(parsed);
  return nullptr;
}

void kiln::encodeExample(const std::vector<ExampleFeature> &features,
                         bool packed, std::string &out) {
  std::string map;
  for (const ExampleFeature &feature : features) {
    std::string entry;
    putBytes(entry, 1, feature.name);
    putBytes(entry, 2, encodeFeature(feature, packed));
    putBytes(map, 1, entry);
  }
  putBytes(out, 1, map);
}

std::string kiln::exampleToJson(const std::vector<ExampleFeature> &features) {
  std::string out = "{";
  for (size_t i = 0; i < features.size(); ++i) {
    const ExampleFeature &feature = features[i];
    if (i)
      out += ", ";
    appendJsonString(feature.name, out);
    out += ": {";
    switch (feature.kind) {
    case KILN_FEATURE_BYTES:
      out += "\"bytes\": [";
      for (size_t j = 0; j < feature.bytes.size(); ++j) {
        if (j)
          out += ", ";
        out += '"';
        appendBase64(feature.bytes[j], out);
        out += '"';
      }
      out += ']';
      break;
    case KILN_FEATURE_FLOAT:
      out += "\"float\": [";
      for (size_t j = 0; j < feature.floats.size(); ++j) {
        if (j)
          out += ", ";
        appendFloat(feature.floats[j], out);
      }
      out += ']';
      break;
    case KILN_FEATURE_INT64:
      out += "\"int64\": [";
      for (size_t j = 0; j < feature.ints.size(); ++j) {
        if (j)
          out += ", ";
        out += std::to_string(feature.ints[j]);
      }
      out += ']';
      break;
    default:
      break;
    }
    out += '}';
  }
  out += '}';
  return out;
}

//===----------------------------------------------------------------------===//
// C API
//===----------------------------------------------------------------------===//

struct kiln_example_t {
  std::atomic<int64_t> refCount{1};
  std::vector<ExampleFeature> features;
};

namespace {

/// The feature `name` of `example`, created (empty) when missing.
kiln_status_t featureFor(kiln_example_t *example, const char *name,
                         int32_t kind, ExampleFeature *&out) {
  if (!example || !name)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "example and name must not be NULL");
  ExampleFeature key;
  key.name = name;
  auto it = std::lower_bound(example->features.begin(), example->features.end(),
                             key, nameLess);
  if (it == example->features.end() || it->name != key.name)
    it = example->features.insert(it, std::move(key));
  it->kind = kind;
  it->bytes.clear();
  it->floats.clear();
  it->ints.clear();
  out = &*it;
  return nullptr;
}

const ExampleFeature *featureAt(const kiln_example_t *example, int64_t index) {
  if (!example || index < 0 ||
      static_cast<uint64_t>(index) >= example->features.size())
    return nullptr;
  return &example->features[static_cast<size_t>(index)];
}

char *mallocCopy(const std::string &text) {
  auto *copy = static_cast<char *>(std::malloc(text.size() + 1));
  if (copy)
    std::memcpy(copy, text.c_str(), text.size() + 1);
  return copy;
}

} // namespace

extern "C" {

kiln_status_t kiln_example_create(kiln_example_t **out_example) {
  if (!out_example)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "out_example must not be NULL");
  auto *example = new (std::nothrow) kiln_example_t;
  if (!example)
    return KILN_STATUS(KILN_STATUS_OUT_OF_MEMORY, "out of memory");
  *out_example = example;
  return nullptr;
}

kiln_status_t kiln_example_decode(const void *data, size_t size,
                                  kiln_example_t **out_example) {
  if (!out_example)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "out_example must not be NULL");
  std::vector<ExampleFeature> features;
  KILN_RETURN_IF_ERROR(
      decodeExample(static_cast<const uint8_t *>(data), size, features));
  auto *example = new (std::nothrow) kiln_example_t;
  if (!example)
    return KILN_STATUS(KILN_STATUS_OUT_OF_MEMORY, "out of memory");
  example->features = std::move(features);
  *out_example = example;
  return nullptr;
}

void kiln_example_retain(kiln_example_t *example) {
  if (example)
    example->refCount.fetch_add(1, std::memory_order_relaxed);
}

void kiln_example_release(kiln_example_t *example) {
  if (example && example->refCount.fetch_sub(1, std::memory_order_acq_rel) == 1)
    delete example;
}

kiln_status_t kiln_example_encode(const kiln_example_t *example, int32_t packed,
                                  uint8_t **out_data, size_t *out_size) {
  if (!example || !out_data || !out_size)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "example, out_data and out_size must not be NULL");
  std::string bytes;
  encodeExample(example->features, packed != 0, bytes);
  auto *copy = static_cast<uint8_t *>(std::malloc(bytes.size()));
  if (!copy)
    return KILN_STATUS(KILN_STATUS_OUT_OF_MEMORY, "out of memory");
  std::memcpy(copy, bytes.data(), bytes.size());
  *out_data = copy;
  *out_size = bytes.size();
  return nullptr;
}

kiln_status_t kiln_example_set_int64(kiln_example_t *example, const char *name,
                                     const int64_t *values, size_t count) {
  if (count && !values)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT, "values must not be NULL");
  ExampleFeature *feature;
  KILN_RETURN_IF_ERROR(featureFor(example, name, KILN_FEATURE_INT64, feature));
  feature->ints.assign(values, values + count);
  return nullptr;
}

kiln_status_t kiln_example_set_float(kiln_example_t *example, const char *name,
                                     const float *values, size_t count) {
  if (count && !values)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT, "values must not be NULL");
  ExampleFeature *feature;
  KILN_RETURN_IF_ERROR(featureFor(example, name, KILN_FEATURE_FLOAT, feature));
  feature->floats.assign(values, values + count);
  return nullptr;
}

kiln_status_t kiln_example_set_bytes(kiln_example_t *example, const char *name,
                                     const uint8_t *const *values,
                                     const size_t *sizes, size_t count) {
  if (count && (!values || !sizes))
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "values and sizes must not be NULL");
  for (size_t i = 0; i < count; ++i)
    if (sizes[i] && !values[i])
      return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                         "values[%zu] must not be NULL", i);
  ExampleFeature *feature;
  KILN_RETURN_IF_ERROR(featureFor(example, name, KILN_FEATURE_BYTES, feature));
  feature->bytes.reserve(count);
  for (size_t i = 0; i < count; ++i)
    feature->bytes.emplace_back(reinterpret_cast<const char *>(values[i]),
                                sizes[i]);
  return nullptr;
}

int64_t kiln_example_num_features(const kiln_example_t *example) {
  return example ? static_cast<int64_t>(example->features.size()) : 0;
}

int64_t kiln_example_find_feature(const kiln_example_t *example,
                                  const char *name) {
  if (!example || !name)
    return -1;
  ExampleFeature key;
  key.name = name;
  auto it = std::lower_bound(example->features.begin(), example->features.end(),
                             key, nameLess);
  if (it == example->features.end() || it->name != key.name)
    return -1;
  return it - example->features.begin();
}

const char *kiln_example_feature_name(const kiln_example_t *example,
                                      int64_t index, size_t *out_size) {
  const ExampleFeature *feature = featureAt(example, index);
  if (!feature)
    return nullptr;
  if (out_size)
    *out_size = feature->name.size();
  return feature->name.c_str();
}

int32_t kiln_example_feature_kind(const kiln_example_t *example,
                                  int64_t index) {
  const ExampleFeature *feature = featureAt(example, index);
  return feature ? feature->kind : KILN_FEATURE_NONE;
}

int64_t kiln_example_feature_size(const kiln_example_t *example,
                                  int64_t index) {
  const ExampleFeature *feature = featureAt(example, index);
  return feature ? static_cast<int64_t>(feature->size()) : 0;
}

const int64_t *kiln_example_feature_int64s(const kiln_example_t *example,
                                           int64_t index) {
  const ExampleFeature *feature = featureAt(example, index);
  if (!feature || feature->kind != KILN_FEATURE_INT64 || feature->ints.empty())
    return nullptr;
  return feature->ints.data();
}

const float *kiln_example_feature_floats(const kiln_example_t *example,
                                         int64_t index) {
  const ExampleFeature *feature = featureAt(example, index);
  if (!feature || feature->kind != KILN_FEATURE_FLOAT ||
      feature->floats.empty())
    return nullptr;
  return feature->floats.data();
}

const uint8_t *kiln_example_feature_bytes(const kiln_example_t *example,
                                          int64_t index, int64_t value,
                                          size_t *out_size) {
  const ExampleFeature *feature = featureAt(example, index);
  if (!feature || feature->kind != KILN_FEATURE_BYTES || value < 0 ||
      static_cast<uint64_t>(value) >= feature->bytes.size())
    return nullptr;
  const std::string &bytes = feature->bytes[static_cast<size_t>(value)];
  if (out_size)
    *out_size = bytes.size();
  return reinterpret_cast<const uint8_t *>(bytes.data());
}

kiln_status_t kiln_example_to_json(const kiln_example_t *example,
                                   char **out_json) {
  if (!example || !out_json)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "example and out_json must not be NULL");
  char *copy = mallocCopy(exampleToJson(example->features));
  if (!copy)
    return KILN_STATUS(KILN_STATUS_OUT_OF_MEMORY, "out of memory");
  *out_json = copy;
  return nullptr;
}

} // extern "C"
