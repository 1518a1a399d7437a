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
#include "Example.h"

#include "Status.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

using namespace kiln;

namespace {

enum WireType : uint32_t {
  kVarint = 0,
  kFixed64 = 1,
  kLengthDelimited = 2,
  kStartGroup = 3,
  kEndGroup = 4,
  kFixed32 = 5,
};

/// A protobuf wire-format reader; the first error stops it.
class Parser {
public:
  Parser(const uint8_t *data) : base(data) {}

  bool varint(const uint8_t *&p, const uint8_t *end, uint64_t &value) {
    value = 0;
    const uint8_t *start = p;
    for (int shift = 0; shift < 70; shift += 7) {
      if (p == end)
        return fail(start, "truncated varint");
      uint8_t byte = *p++;
      if (shift < 64)
        value |= uint64_t(byte & 0x7f) << shift;
      if (!(byte & 0x80))
        return true;
    }
    return fail(start, "varint longer than 10 bytes");
  }

  bool tag(const uint8_t *&p, const uint8_t *end, uint32_t &field,
           uint32_t &wire) {
    const uint8_t *start = p;
    uint64_t value;
    if (!varint(p, end, value))
      return false;
    if (value > 0xffffffffu)
      return fail(start, "field tag out of range");
    field = static_cast<uint32_t>(value >> 3);
    wire = static_cast<uint32_t>(value & 7);
    if (field == 0)
      return fail(start, "field number 0");
    if (wire == kStartGroup || wire == kEndGroup)
      return fail(start, "groups are not supported");
    if (wire > kFixed32)
      return fail(start, "invalid wire type");
    return true;
  }

  /// Reads a length prefix and the bytes it covers.
  bool delimited(const uint8_t *&p, const uint8_t *end, const uint8_t *&start,
                 size_t &size) {
    const uint8_t *at = p;
    uint64_t length;
    if (!varint(p, end, length))
      return false;
    if (length > static_cast<uint64_t>(end - p))
      return fail(at, "length past the end of the message");
    start = p;
    size = static_cast<size_t>(length);
    p += size;
    return true;
  }

  bool skip(const uint8_t *&p, const uint8_t *end, uint32_t wire) {
    const uint8_t *at = p;
    switch (wire) {
    case kVarint: {
      uint64_t ignored;
      return varint(p, end, ignored);
    }
    case kFixed64:
    case kFixed32: {
      size_t size = wire == kFixed64 ? 8 : 4;
      if (static_cast<size_t>(end - p) < size)
        return fail(at, "truncated fixed-size field");
      p += size;
      return true;
    }
    default: {
      const uint8_t *start;
      size_t size;
      return delimited(p, end, start, size);
    }
    }
  }

  bool example(const uint8_t *p, const uint8_t *end,
               std::vector<ExampleFeature> &out) {
    while (p < end) {
      const uint8_t *at = p;
      uint32_t field, wire;
      if (!tag(p, end, field, wire))
        return false;
      if (field != 1) {
        if (!skip(p, end, wire))
          return false;
        continue;
      }
      if (wire != kLengthDelimited)
        return fail(at, "wrong wire type for Example.features");
      const uint8_t *start;
      size_t size;
      if (!delimited(p, end, start, size) ||
          !features(start, start + size, out))
        return false;
    }
    return true;
  }

  bool features(const uint8_t *p, const uint8_t *end,
                std::vector<ExampleFeature> &out) {
    while (p < end) {
      const uint8_t *at = p;
      uint32_t field, wire;
      if (!tag(p, end, field, wire))
        return false;
      if (field != 1) {
        if (!skip(p, end, wire))
          return false;
        continue;
      }
      if (wire != kLengthDelimited)
        return fail(at, "wrong wire type for Features.feature");
      const uint8_t *start;
      size_t size;
      if (!delimited(p, end, start, size))
        return false;
      out.emplace_back();
      if (!entry(start, start + size, out.back()))
        return false;
    }
    return true;
  }

  bool entry(const uint8_t *p, const uint8_t *end, ExampleFeature &out) {
    while (p < end) {
      const uint8_t *at = p;
      uint32_t field, wire;
      if (!tag(p, end, field, wire))
        return false;
      if (field != 1 && field != 2) {
        if (!skip(p, end, wire))
          return false;
        continue;
      }
      if (wire != kLengthDelimited)
        return fail(at, field == 1 ? "wrong wire type for a feature name"
                                   : "wrong wire type for a feature value");
      const uint8_t *start;
      size_t size;
      if (!delimited(p, end, start, size))
        return false;
      if (field == 1)
        out.name.assign(reinterpret_cast<const char *>(start), size);
      else if (!feature(start, start + size, out))
        return false;
    }
    return true;
  }

  bool feature(const uint8_t *p, const uint8_t *end, ExampleFeature &out) {
    while (p < end) {
      const uint8_t *at = p;
      uint32_t field, wire;
      if (!tag(p, end, field, wire))
        return false;
      if (field < 1 || field > 3) {
        if (!skip(p, end, wire))
          return false;
        continue;
      }
      if (wire != kLengthDelimited)
        return fail(at, "wrong wire type for a feature's value list");
      const uint8_t *start;
      size_t size;
      if (!delimited(p, end, start, size))
        return false;
      if (out.kind != static_cast<int32_t>(field)) {
        out.bytes.clear();
        out.floats.clear();
        out.ints.clear();
        out.kind = static_cast<int32_t>(field);
      }
      if (!list(start, start + size, out))
        return false;
    }
    return true;
  }

  bool list(const uint8_t *p, const uint8_t *end, ExampleFeature &out) {
    while (p < end) {
      const uint8_t *at = p;
      uint32_t field, wire;
      if (!tag(p, end, field, wire))
        return false;
      if (field != 1) {
        if (!skip(p, end, wire))
          return false;
        continue;
      }
      if (out.kind == KILN_FEATURE_BYTES) {
        if (wire != kLengthDelimited)
          return fail(at, "wrong wire type for BytesList.value");
        const uint8_t *start;
        size_t size;
        if (!delimited(p, end, start, size))
          return false;
        out.bytes.emplace_back(reinterpret_cast<const char *>(start), size);
      } else if (out.kind == KILN_FEATURE_FLOAT) {
        if (wire == kFixed32) {
          if (end - p < 4)
            return fail(at, "truncated float");
          out.floats.push_back(loadFloat(p));
          p += 4;
        } else if (wire == kLengthDelimited) {
          const uint8_t *start;
          size_t size;
          if (!delimited(p, end, start, size))
            return false;
          if (size % 4)
            return fail(at, "packed floats not a multiple of 4 bytes");
          size_t old = out.floats.size();
          out.floats.resize(old + size / 4);
          if (size != 0 && isLittleEndian())
            std::memcpy(out.floats.data() + old, start, size);
          else
            for (size_t i = 0; i < size; i += 4)
              out.floats[old + i / 4] = loadFloat(start + i);
        } else {
          return fail(at, "wrong wire type for FloatList.value");
        }
      } else {
        if (wire == kVarint) {
          uint64_t value;
          if (!varint(p, end, value))
            return false;
          out.ints.push_back(static_cast<int64_t>(value));
        } else if (wire == kLengthDelimited) {
          const uint8_t *start;
          size_t size;
          if (!delimited(p, end, start, size))
            return false;
          const uint8_t *q = start, *packedEnd = start + size;
          while (q < packedEnd) {
            uint64_t value;
            if (!varint(q, packedEnd, value))
              return false;
            out.ints.push_back(static_cast<int64_t>(value));
          }
        } else {
          return fail(at, "wrong wire type for Int64List.value");
        }
      }
    }
    return true;
  }

  const char *error = nullptr;
  size_t errorOffset = 0;

private:
  bool fail(const uint8_t *at, const char *what) {
    error = what;
    errorOffset = static_cast<size_t>(at - base);
    return false;
  }
  static bool isLittleEndian() {
    const uint16_t probe = 1;
    uint8_t first;
    std::memcpy(&first, &probe, 1);
    return first == 1;
  }
  static float loadFloat(const uint8_t *p) {
    uint32_t bits = uint32_t(p[0]) | uint32_t(p[1]) << 8 |
                    uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
    float value;
    std::memcpy(&value, &bits, 4);
    return value;
  }

  const uint8_t *base;
};

void putVarint(uint64_t value, std::string &out) {
  while (value >= 0x80) {
    out += static_cast<char>((value & 0x7f) | 0x80);
    value >>= 7;
  }
  out += static_cast<char>(value);
}

void putTag(uint32_t field, uint32_t wire, std::string &out) {
  putVarint(uint64_t(field) << 3 | wire, out);
}

void putDelimited(uint32_t field, const std::string &bytes, std::string &out) {
  putTag(field, kLengthDelimited, out);
  putVarint(bytes.size(), out);
  out += bytes;
}

void putFloat(float value, std::string &out) {
  uint32_t bits;
  std::memcpy(&bits, &value, 4);
  for (int i = 0; i < 4; ++i)
    out += static_cast<char>(bits >> (8 * i));
}

std::string encodeFeature(const ExampleFeature &feature, bool packed) {
  std::string list;
  switch (feature.kind) {
  case KILN_FEATURE_BYTES:
    for (const std::string &value : feature.bytes)
      putDelimited(1, value, list);
    break;
  case KILN_FEATURE_FLOAT:
    if (packed) {
      if (!feature.floats.empty()) {
        std::string values;
        for (float value : feature.floats)
          putFloat(value, values);
        putDelimited(1, values, list);
      }
    } else {
      for (float value : feature.floats) {
        putTag(1, kFixed32, list);
        putFloat(value, list);
      }
    }
    break;
  case KILN_FEATURE_INT64:
    if (packed) {
      if (!feature.ints.empty()) {
        std::string values;
        for (int64_t value : feature.ints)
          putVarint(static_cast<uint64_t>(value), values);
        putDelimited(1, values, list);
      }
    } else {
      for (int64_t value : feature.ints) {
        putTag(1, kVarint, list);
        putVarint(static_cast<uint64_t>(value), list);
      }
    }
    break;
  default:
    return std::string();
  }
  std::string out;
  putDelimited(static_cast<uint32_t>(feature.kind), list, out);
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
    Parser parser(data);
    if (!parser.example(data, data + size, parsed))
      return KILN_STATUS(KILN_STATUS_DATA_LOSS,
                         "malformed tf.train.Example: %s at byte %zu of %zu",
                         parser.error, parser.errorOffset, size);
  }
  // Writers emit keys in order, so sorting is usually a no-op check (and
  // no allocation on the decode hot path).
  if (!std::is_sorted(parsed.begin(), parsed.end(), nameLess))
    std::stable_sort(parsed.begin(), parsed.end(), nameLess);
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
    putDelimited(1, feature.name, entry);
    putDelimited(2, encodeFeature(feature, packed), entry);
    putDelimited(1, entry, map);
  }
  putDelimited(1, map, out);
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
