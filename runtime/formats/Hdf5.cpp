//===- Hdf5.cpp - Float datasets of an HDF5 file, as Keras writes them ----===//
// SPDX-License-Identifier: Apache-2.0
//
// Layouts from the HDF5 File Format Specification, version 2.0: superblock
// versions 0/1 (III.A), symbol table entries (III.C), version-1 B-trees
// (III.A.1), symbol table nodes (III.B), local heaps (III.D), version-1
// object headers and their dataspace, datatype, data layout (version 3),
// filter pipeline, continuation and symbol table messages (IV.A).
//===----------------------------------------------------------------------===//
#include "formats/Hdf5.h"

#include "base/File.h"
#include "base/Status.h"

#include <cerrno>
#include <cfloat>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>

using namespace kiln;

namespace {

constexpr char kSignature[] = "\x89HDF\r\n\x1a\n";
constexpr uint64_t kMaxVisits = 1 << 20; // B-tree nodes and entries per walk

std::string formatDims(const std::vector<int64_t> &dims) {
  std::string text = "(";
  for (size_t i = 0; i < dims.size(); ++i)
    text += (i ? ", " : "") + std::to_string(dims[i]);
  return text + (dims.size() == 1 ? ",)" : ")");
}

const char *const kTypeClasses[] = {
    "integer",  "floating point",  "time",     "string",
    "bitfield", "opaque",          "compound", "reference",
    "enum",     "variable-length", "array"};

/// Bytes 8-19 of an IEEE half, single or double datatype message (IV.A.2.d):
/// bit offset, precision, exponent location and size, mantissa location and
/// size, exponent bias; as h5py writes them.
bool isIeeeLayout(const char layout[12], uint32_t size) {
  static const unsigned char kHalf[12] = {0, 0, 16, 0, 10, 5, 0, 10, 15},
                             kSingle[12] = {0, 0, 32, 0, 23, 8, 0, 23, 127},
                             kDouble[12] = {0,  0, 64, 0,    52,
                                            11, 0, 52, 0xff, 3};
  const unsigned char *want = size == 2   ? kHalf
                              : size == 4 ? kSingle
                              : size == 8 ? kDouble
                                          : nullptr;
  return want && std::memcmp(layout, want, 12) == 0;
}

/// The `size`-byte element at `p`, in the given byte order.
uint64_t loadElement(const char *p, unsigned size, bool bigEndian) {
  uint64_t value = 0;
  for (unsigned i = 0; i < size; ++i)
    value |= uint64_t(static_cast<uint8_t>(p[bigEndian ? size - 1 - i : i]))
             << (8 * i);
  return value;
}

float halfToFloat(uint16_t half) {
  int exponent = (half >> 10) & 0x1f;
  float magnitude = exponent == 0    ? std::ldexp(float(half & 0x3ff), -24)
                    : exponent == 31 ? ((half & 0x3ff) ? NAN : INFINITY)
                                     : std::ldexp(float((half & 0x3ff) | 0x400),
                                                  exponent - 25);
  return (half & 0x8000) ? -magnitude : magnitude;
}

/// Element `bits` of an integer or IEEE float type as float32, rounded to
/// nearest as libhdf5's H5Dread(..., H5T_NATIVE_FLOAT, ...) converts it.
float toFloat(uint64_t bits, int typeClass, unsigned size, bool isSigned) {
  if (typeClass == 0) {
    if (!isSigned)
      return static_cast<float>(bits);
    if (size < 8 && (bits >> (8 * size - 1)) & 1)
      bits |= ~uint64_t(0) << (8 * size); // sign-extend
    return static_cast<float>(static_cast<int64_t>(bits));
  }
  if (size == 2)
    return halfToFloat(static_cast<uint16_t>(bits));
  if (size == 4) {
    uint32_t word = static_cast<uint32_t>(bits);
    float value;
    std::memcpy(&value, &word, 4);
    return value;
  }
  double value;
  std::memcpy(&value, &bits, 8);
  if (std::isfinite(value) && std::fabs(value) > FLT_MAX)
    return value > 0 ? INFINITY : -INFINITY;
  return static_cast<float>(value);
}

} // namespace

struct Hdf5File::Object {
  bool group = false;
  uint64_t btree = 0, heap = 0;
  bool hasSpace = false, hasType = false, hasLayout = false;
  std::vector<int64_t> dims;
  int typeClass = -1;    // 0: integer, 1: floating point
  uint32_t typeSize = 0; // bytes
  uint32_t typeBits = 0; // class bit field: byte order, sign, ...
  uint32_t bitOffset = 0, precision = 0; // integers
  char floatLayout[12] = {};             // floats: offset, precision, ...
  int layoutClass = -1;
  int layoutVersion = 0;
  uint64_t dataAddress = 0, dataSize = 0; // contiguous: file address
  uint64_t compactOffset = 0;             // compact: offset in `bytes`
  bool filtered = false;
};

kiln_status_t Hdf5File::open(const std::string &path,
                             std::unique_ptr<Hdf5File> &out) {
  std::FILE *file = std::fopen(path.c_str(), "rb");
  if (!file)
    return errnoStatus(errno, "cannot open", path.c_str());
  std::string contents;
  char chunk[1 << 16];
  size_t got;
  while ((got = std::fread(chunk, 1, sizeof(chunk), file)) > 0)
    contents.append(chunk, got);
  bool failed = std::ferror(file) != 0;
  int error = errno;
  std::fclose(file);
  if (failed)
    return errnoStatus(error, "cannot read", path.c_str());
  out = std::make_unique<Hdf5File>(path, std::move(contents));
  return out->parse();
}

kiln_status_t Hdf5File::damaged(const char *what) const {
  return KILN_STATUS(KILN_STATUS_DATA_LOSS, "%s: damaged HDF5 file: %s",
                     name.c_str(), what);
}

bool Hdf5File::fits(uint64_t offset, uint64_t size) const {
  return offset <= bytes.size() && size <= bytes.size() - offset;
}

uint64_t Hdf5File::readUnsigned(uint64_t offset, unsigned size) const {
  uint64_t value = 0;
  for (unsigned i = 0; i < size; ++i)
    value |= uint64_t(static_cast<uint8_t>(bytes[offset + i])) << (8 * i);
  return value;
}

kiln_status_t Hdf5File::parse() {
  if (!fits(0, 8) || std::memcmp(bytes.data(), kSignature, 8) != 0)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "%s: not an HDF5 file (no signature)", name.c_str());
  if (!fits(0, 24))
    return damaged("truncated superblock");
  unsigned version = static_cast<uint8_t>(bytes[8]);
  if (version > 1)
    return KILN_STATUS(KILN_STATUS_UNIMPLEMENTED,
                       "%s: HDF5 superblock version %u is not read (Keras "
                       "and h5py write version 0 by default)",
                       name.c_str(), version);
  offsetSize = static_cast<uint8_t>(bytes[13]);
  lengthSize = static_cast<uint8_t>(bytes[14]);
  auto valid = [](unsigned size) {
    return size == 2 || size == 4 || size == 8;
  };
  if (!valid(offsetSize) || !valid(lengthSize))
    return damaged("offset or length size not 2, 4 or 8");
  uint64_t at = version == 0 ? 24 : 28;
  // Base, free-space, end-of-file and driver addresses, then the root
  // group's symbol table entry.
  if (!fits(at, 4 * offsetSize + 2 * offsetSize + 24))
    return damaged("truncated superblock");
  base = readUnsigned(at, offsetSize);
  at += 4 * offsetSize;
  rootHeader = readUnsigned(at + offsetSize, offsetSize);
  return nullptr;
}

kiln_status_t Hdf5File::readObject(uint64_t address, Object &object) {
  uint64_t at = base + address;
  if (address > bytes.size() || !fits(at, 16))
    return damaged("object header outside the file");
  if (std::memcmp(bytes.data() + at, "OHDR", 4) == 0)
    return KILN_STATUS(KILN_STATUS_UNIMPLEMENTED,
                       "%s: version-2 HDF5 object headers are not read "
                       "(Keras and h5py write version 1 by default)",
                       name.c_str());
  if (static_cast<uint8_t>(bytes[at]) != 1)
    return damaged("unknown object header version");
  uint64_t messages = readUnsigned(at + 2, 2);
  uint64_t size = readUnsigned(at + 8, 4);
  // Blocks of messages: the header's own, then continuations.
  std::vector<std::pair<uint64_t, uint64_t>> blocks = {{at + 16, size}};
  uint64_t seen = 0;
  for (size_t b = 0; b < blocks.size(); ++b) {
    if (blocks.size() > messages + 1)
      return damaged("too many continuation blocks");
    auto [start, length] = blocks[b];
    if (!fits(start, length))
      return damaged("object header messages outside the file");
    for (uint64_t p = start; p + 8 <= start + length && seen < messages;
         ++seen) {
      unsigned type = static_cast<unsigned>(readUnsigned(p, 2));
      uint64_t dataSize = readUnsigned(p + 2, 2);
      uint64_t d = p + 8;
      if (dataSize > start + length - d)
        return damaged("a header message overruns its block");
      p = d + dataSize;
      auto need = [&](uint64_t n) { return n <= dataSize; };
      switch (type) {
      case 0x0001: { // dataspace
        if (!need(4))
          return damaged("short dataspace message");
        unsigned spaceVersion = static_cast<uint8_t>(bytes[d]);
        unsigned rank = static_cast<uint8_t>(bytes[d + 1]);
        uint64_t dimsAt = spaceVersion == 1 ? 8 : 4;
        if (spaceVersion < 1 || spaceVersion > 2 || rank > 32 ||
            !need(dimsAt + uint64_t(rank) * lengthSize))
          return damaged("bad dataspace message");
        object.hasSpace = true;
        object.dims.clear();
        for (unsigned r = 0; r < rank; ++r) {
          uint64_t dim = readUnsigned(d + dimsAt + r * lengthSize, lengthSize);
          if (dim > (uint64_t(1) << 40))
            return damaged("a dimension too large");
          object.dims.push_back(static_cast<int64_t>(dim));
        }
        break;
      }
      case 0x0003: // datatype
        if (!need(8))
          return damaged("short datatype message");
        object.hasType = true;
        object.typeClass = static_cast<uint8_t>(bytes[d]) & 0x0f;
        object.typeBits = static_cast<uint32_t>(readUnsigned(d + 1, 3));
        object.typeSize = static_cast<uint32_t>(readUnsigned(d + 4, 4));
        // Fixed-point and floating-point properties (IV.A.2.d).
        if (need(20) && object.typeClass == 1)
          std::memcpy(object.floatLayout, bytes.data() + d + 8, 12);
        else if (need(12) && object.typeClass == 0) {
          object.bitOffset = static_cast<uint32_t>(readUnsigned(d + 8, 2));
          object.precision = static_cast<uint32_t>(readUnsigned(d + 10, 2));
        }
        break;
      case 0x0008: // data layout
        if (!need(2))
          return damaged("short layout message");
        object.hasLayout = true;
        object.layoutVersion = static_cast<uint8_t>(bytes[d]);
        object.layoutClass = static_cast<uint8_t>(bytes[d + 1]);
        if (object.layoutVersion != 3)
          break; // refused when read
        if (object.layoutClass == 0) {
          if (!need(4))
            return damaged("short compact layout");
          object.dataSize = readUnsigned(d + 2, 2);
          object.compactOffset = d + 4;
          if (!need(4 + object.dataSize))
            return damaged("compact data overruns its message");
        } else if (object.layoutClass == 1) {
          if (!need(2 + offsetSize + lengthSize))
            return damaged("short contiguous layout");
          object.dataAddress = readUnsigned(d + 2, offsetSize);
          object.dataSize = readUnsigned(d + 2 + offsetSize, lengthSize);
        }
        break;
      case 0x000B: // filter pipeline (compression)
        object.filtered = true;
        break;
      case 0x0010: // continuation
        if (!need(offsetSize + lengthSize))
          return damaged("short continuation message");
        blocks.push_back({base + readUnsigned(d, offsetSize),
                          readUnsigned(d + offsetSize, lengthSize)});
        break;
      case 0x0011: // symbol table: a group
        if (!need(2 * offsetSize))
          return damaged("short symbol table message");
        object.group = true;
        object.btree = readUnsigned(d, offsetSize);
        object.heap = readUnsigned(d + offsetSize, offsetSize);
        break;
      default:
        break;
      }
    }
  }
  return nullptr;
}

kiln_status_t Hdf5File::scanTree(uint64_t node, uint64_t heapData,
                                 uint64_t heapSize, const std::string &child,
                                 uint64_t &address,
                                 std::vector<std::string> *names, int depth) {
  if (depth > 64)
    return damaged("group B-tree too deep");
  uint64_t header = 8 + 2 * uint64_t(offsetSize);
  if (!fits(node, header) || std::memcmp(bytes.data() + node, "TREE", 4) != 0)
    return damaged("group B-tree node missing");
  if (bytes[node + 4] != 0)
    return damaged("not a group B-tree");
  unsigned level = static_cast<uint8_t>(bytes[node + 5]);
  uint64_t entries = readUnsigned(node + 6, 2);
  uint64_t step = lengthSize + offsetSize;
  if (!fits(node + header, entries * step + lengthSize))
    return damaged("group B-tree node truncated");
  for (uint64_t i = 0; i < entries; ++i) {
    if (++visits > kMaxVisits)
      return damaged("group B-tree too large");
    uint64_t childAt =
        base + readUnsigned(node + header + lengthSize + i * step, offsetSize);
    if (level > 0) {
      KILN_RETURN_IF_ERROR(scanTree(childAt, heapData, heapSize, child, address,
                                    names, depth + 1));
      if (address)
        return nullptr;
      continue;
    }
    // A symbol table node: entries of (name offset, object header, ...).
    if (!fits(childAt, 8) ||
        std::memcmp(bytes.data() + childAt, "SNOD", 4) != 0)
      return damaged("symbol table node missing");
    uint64_t symbols = readUnsigned(childAt + 6, 2);
    uint64_t entrySize = 2 * uint64_t(offsetSize) + 24;
    if (!fits(childAt + 8, symbols * entrySize))
      return damaged("symbol table node truncated");
    for (uint64_t s = 0; s < symbols; ++s) {
      uint64_t entry = childAt + 8 + s * entrySize;
      uint64_t nameAt = readUnsigned(entry, offsetSize);
      if (nameAt >= heapSize)
        return damaged("a link name outside the local heap");
      const char *start = bytes.data() + heapData + nameAt;
      const void *end = std::memchr(start, '\0', heapSize - nameAt);
      if (!end)
        return damaged("an unterminated link name");
      std::string link(start, static_cast<const char *>(end));
      if (names) {
        if (++visits > kMaxVisits)
          return damaged("group too large");
        names->push_back(std::move(link));
      } else if (link == child) {
        address = readUnsigned(entry + offsetSize, offsetSize);
        return nullptr;
      }
    }
  }
  return nullptr;
}

kiln_status_t Hdf5File::findChild(const Object &group, const std::string &child,
                                  uint64_t &address,
                                  std::vector<std::string> *names) {
  uint64_t heap = base + group.heap;
  uint64_t heapHeader = 8 + 2 * uint64_t(lengthSize) + offsetSize;
  if (!fits(heap, heapHeader) || std::memcmp(bytes.data() + heap, "HEAP", 4))
    return damaged("local heap missing");
  uint64_t heapSize = readUnsigned(heap + 8, lengthSize);
  uint64_t heapData =
      base + readUnsigned(heap + 8 + 2 * lengthSize, offsetSize);
  if (!fits(heapData, heapSize))
    return damaged("local heap outside the file");
  address = 0;
  visits = 0;
  return scanTree(base + group.btree, heapData, heapSize, child, address, names,
                  0);
}

kiln_status_t Hdf5File::findObject(const std::string &path, uint64_t &address) {
  address = rootHeader;
  size_t start = 0;
  std::string walked;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    std::string part = path.substr(
        start, slash == std::string::npos ? std::string::npos : slash - start);
    start = slash == std::string::npos ? path.size() + 1 : slash + 1;
    if (part.empty())
      continue;
    Object group;
    KILN_RETURN_IF_ERROR(readObject(address, group));
    if (!group.group)
      return KILN_STATUS(KILN_STATUS_NOT_FOUND, "%s: '%s' is not a group",
                         name.c_str(), walked.c_str());
    KILN_RETURN_IF_ERROR(findChild(group, part, address));
    walked += (walked.empty() ? "" : "/") + part;
    if (!address)
      return KILN_STATUS(KILN_STATUS_NOT_FOUND, "%s: no '%s' (no '%s')",
                         name.c_str(), path.c_str(), walked.c_str());
  }
  return nullptr;
}

kiln_status_t Hdf5File::listMembers(const std::string &path,
                                    std::vector<std::string> &names) {
  uint64_t address;
  KILN_RETURN_IF_ERROR(findObject(path, address));
  Object group;
  KILN_RETURN_IF_ERROR(readObject(address, group));
  if (!group.group)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT, "%s: '%s' is not a group",
                       name.c_str(), path.c_str());
  names.clear();
  uint64_t unused;
  return findChild(group, "", unused, &names);
}

kiln_status_t Hdf5File::readFloat32(const std::string &path,
                                    const std::vector<int64_t> &dims,
                                    float *out) {
  uint64_t address;
  KILN_RETURN_IF_ERROR(findObject(path, address));
  Object data;
  KILN_RETURN_IF_ERROR(readObject(address, data));
  if (data.group || !data.hasSpace || !data.hasType || !data.hasLayout)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "%s: '%s' is not a dataset", name.c_str(), path.c_str());
  // Integers of 1-8 bytes and IEEE floats, either byte order, are converted
  // to float32 as libhdf5 does (Keras 3 stores an adapted Normalization's
  // `count` as an int64 scalar).
  bool bigEndian = (data.typeBits & 1) != 0;
  bool isSigned = (data.typeBits & 8) != 0;
  bool integer = data.typeClass == 0 && data.typeSize >= 1 &&
                 data.typeSize <= 8 && data.bitOffset == 0 &&
                 data.precision == 8 * data.typeSize;
  // Floats: mantissa normalization "implied msb" (bits 4-5), no VAX order
  // (bit 6), the sign in the top bit (bits 8-15).
  bool ieee = data.typeClass == 1 && (data.typeBits & 0x70) == 0x20 &&
              ((data.typeBits >> 8) & 0xff) == 8 * data.typeSize - 1 &&
              isIeeeLayout(data.floatLayout, data.typeSize);
  if (!integer && !ieee) {
    const char *kind = data.typeClass >= 0 && data.typeClass <= 10
                           ? kTypeClasses[data.typeClass]
                           : "unknown";
    return KILN_STATUS(KILN_STATUS_UNIMPLEMENTED,
                       "%s: dataset '%s' has a %u-byte %s type; only 1-8 byte "
                       "integers and IEEE float16/32/64 are read as float32",
                       name.c_str(), path.c_str(), data.typeSize, kind);
  }
  if (data.dims != dims)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "%s: dataset '%s' has shape %s, the model's parameter "
                       "%s",
                       name.c_str(), path.c_str(),
                       formatDims(data.dims).c_str(), formatDims(dims).c_str());
  if (data.filtered || data.layoutVersion != 3 || data.layoutClass > 1)
    return KILN_STATUS(KILN_STATUS_UNIMPLEMENTED,
                       "%s: dataset '%s' is chunked or compressed (Keras "
                       "writes contiguous weights)",
                       name.c_str(), path.c_str());
  uint64_t elements = 1;
  for (int64_t d : dims)
    elements *= static_cast<uint64_t>(d);
  if (data.layoutClass == 1 &&
      data.dataAddress == ~uint64_t(0) >> (64 - 8 * offsetSize)) {
    std::memset(out, 0, elements * sizeof(float)); // never written: the fill
    return nullptr;
  }
  uint64_t size = elements * data.typeSize;
  uint64_t at =
      data.layoutClass == 0 ? data.compactOffset : base + data.dataAddress;
  if (data.dataSize < size || !fits(at, size))
    return damaged("dataset storage outside the file");
  if (ieee && data.typeSize == 4 && !bigEndian) {
    std::memcpy(out, bytes.data() + at, size);
    return nullptr;
  }
  for (uint64_t i = 0; i < elements; ++i)
    out[i] = toFloat(loadElement(bytes.data() + at + i * data.typeSize,
                                 data.typeSize, bigEndian),
                     data.typeClass, data.typeSize, isSigned);
  return nullptr;
}
