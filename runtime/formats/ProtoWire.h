//===- ProtoWire.h - Protobuf wire format, read and written -----*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// The protobuf wire format as the runtime's hand-written messages use it
// (tf.train.Example in Example.cpp and FeatureSpec.cpp, TensorBoard events in
// Events.cpp): a bounds-checked reader whose first failure records what went
// wrong and at which byte of the outermost message, a field walk, and the
// append-to-string writers. Groups (wire types 3 and 4) are refused; nothing
// here allocates while reading.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_FORMATS_PROTOWIRE_H
#define KILN_RUNTIME_FORMATS_PROTOWIRE_H

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

namespace kiln {

enum WireType : uint32_t {
  kVarint = 0,
  kFixed64 = 1,
  kLengthDelimited = 2,
  kStartGroup = 3,
  kEndGroup = 4,
  kFixed32 = 5,
};

/// The first failure of a read: what, and its offset from `base`.
struct WireError {
  const char *what = nullptr;
  size_t offset = 0;
};

/// A cursor over one message, `[cur, end)` inside a buffer that starts at
/// `base`. Readers of nested messages share the outer one's error.
class WireReader {
public:
  WireReader() = default;
  WireReader(const uint8_t *data, size_t size, WireError &error)
      : base(data), cur(data), end(data + size), error(&error) {}

  bool done() const { return cur >= end; }
  const uint8_t *position() const { return cur; }

  /// Records the first failure (at `at`) and returns false.
  bool fail(const uint8_t *at, const char *what) {
    if (!error->what) {
      error->what = what;
      error->offset = static_cast<size_t>(at - base);
    }
    return false;
  }

  bool varint(uint64_t &value) {
    const uint8_t *start = cur;
    // The common one-byte case first.
    if (cur < end && *cur < 0x80) {
      value = *cur++;
      return true;
    }
    value = 0;
    for (int shift = 0; shift < 70; shift += 7) {
      if (cur == end)
        return fail(start, "truncated varint");
      uint8_t byte = *cur++;
      if (shift < 64)
        value |= uint64_t(byte & 0x7f) << shift;
      if (!(byte & 0x80))
        return true;
    }
    return fail(start, "varint longer than 10 bytes");
  }

  /// Reads a field's key; refuses field 0, groups and unknown wire types.
  bool tag(uint32_t &field, uint32_t &wire) {
    const uint8_t *start = cur;
    uint64_t key;
    if (!varint(key))
      return false;
    if (key > 0xffffffffu)
      return fail(start, "field tag out of range");
    field = static_cast<uint32_t>(key >> 3);
    wire = static_cast<uint32_t>(key & 7);
    if (field == 0)
      return fail(start, "field number 0");
    if (wire == kStartGroup || wire == kEndGroup)
      return fail(start, "groups are not supported");
    if (wire > kFixed32)
      return fail(start, "invalid wire type");
    return true;
  }

  /// Copies `size` (4 or 8) little-endian bytes to `out`.
  bool fixed(void *out, size_t size) {
    if (static_cast<size_t>(end - cur) < size)
      return fail(cur, "truncated fixed-size field");
    std::memcpy(out, cur, size);
    cur += size;
    return true;
  }

  /// Reads a length prefix and the bytes it covers.
  bool delimited(const uint8_t *&data, size_t &size) {
    const uint8_t *at = cur;
    uint64_t length;
    if (!varint(length))
      return false;
    if (length > static_cast<uint64_t>(end - cur))
      return fail(at, "length past the end of the message");
    data = cur;
    size = static_cast<size_t>(length);
    cur += size;
    return true;
  }

  /// Reads a length-delimited field as a nested message.
  bool message(WireReader &nested) {
    const uint8_t *data;
    size_t size;
    if (!delimited(data, size))
      return false;
    nested = WireReader(base, data, data + size, *error);
    return true;
  }

  /// Skips the value of a field of wire type `wire`.
  bool skip(uint32_t wire) {
    uint64_t ignored;
    const uint8_t *data;
    size_t size;
    switch (wire) {
    case kVarint:
      return varint(ignored);
    case kFixed64:
    case kFixed32:
      size = wire == kFixed64 ? 8 : 4;
      if (static_cast<size_t>(end - cur) < size)
        return fail(cur, "truncated fixed-size field");
      cur += size;
      return true;
    case kLengthDelimited:
      return delimited(data, size);
    default:
      return fail(cur, "invalid wire type");
    }
  }

  /// Calls `visit(field, wire, at)` for each field until the end of the
  /// message; `visit` consumes the value (or `skip`s it) and returns false
  /// to stop. `at` is where the field's key starts, for messages.
  template <typename Visit> bool fields(Visit &&visit) {
    while (cur < end) {
      const uint8_t *at = cur;
      uint32_t field, wire;
      if (!tag(field, wire) || !visit(field, wire, at))
        return false;
    }
    return true;
  }

private:
  WireReader(const uint8_t *base, const uint8_t *begin, const uint8_t *end,
             WireError &error)
      : base(base), cur(begin), end(end), error(&error) {}

  const uint8_t *base = nullptr, *cur = nullptr, *end = nullptr;
  WireError *error = nullptr;
};

inline void putVarint(std::string &out, uint64_t value) {
  while (value >= 0x80) {
    out += static_cast<char>((value & 0x7f) | 0x80);
    value >>= 7;
  }
  out += static_cast<char>(value);
}

inline void putTag(std::string &out, uint32_t field, WireType wire) {
  putVarint(out, (uint64_t(field) << 3) | wire);
}

/// Appends `size` bytes of a little-endian value (the runtime's hosts).
inline void putFixed(std::string &out, const void *value, size_t size) {
  out.append(static_cast<const char *>(value), size);
}

inline void putBytes(std::string &out, uint32_t field,
                     const std::string &bytes) {
  putTag(out, field, kLengthDelimited);
  putVarint(out, bytes.size());
  out += bytes;
}

} // namespace kiln

#endif // KILN_RUNTIME_FORMATS_PROTOWIRE_H
