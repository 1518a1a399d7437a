//===- Npy.cpp - Reading and writing numpy .npy files -----------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// The .npy format (numpy/lib/format.py): the magic "\x93NUMPY", a major and
// minor version byte, the header length (uint16 LE for 1.0, uint32 LE for 2.0
// and 3.0), then a Python dict literal such as
//   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
// padded with spaces and a final '\n', then the raw row-major data. The
// element types read and written: little-endian '<f4', '<f8', '<i4', '<i8',
// and the single-byte '|u1' and '|b1' (numpy's bool: bytes 0 and 1).
//
// Files are outside data, so the reader trusts nothing: the header is parsed
// by a strict recursive-descent parser over exactly the literal subset numpy
// writes, sizes are overflow-checked, and the data length is checked against
// the file size before anything is allocated. Like numpy, trailing bytes after
// the data are ignored. Writes are atomic (temporary file + rename) and laid
// out exactly as numpy writes them (header padded to a 64-byte boundary).
//
//===----------------------------------------------------------------------===//
#include "formats/Npy.h"
#include "base/Array.h"
#include "base/File.h"
#include "base/Memory.h"
#include "base/Status.h"

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the .npy reader and writer assume a little-endian host"
#endif

using namespace kiln;

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicSize = 6;
/// numpy refuses headers above 10000 bytes by default; we allow more but stop
/// a corrupt length from driving a huge read.
constexpr uint64_t kMaxHeaderSize = 1 << 20;

/// Closes a file descriptor on scope exit.
class FileCloser {
public:
  explicit FileCloser(int fd) : fd(fd) {}
  FileCloser(const FileCloser &) = delete;
  FileCloser &operator=(const FileCloser &) = delete;
  ~FileCloser() {
    if (fd >= 0)
      ::close(fd);
  }

private:
  int fd;
};

/// What the header dict says.
struct NpyHeader {
  int32_t dtype = 0;
  bool fortranOrder = false;
  int32_t rank = 0;
  int64_t dims[KILN_MAX_RANK] = {};
};

//===----------------------------------------------------------------------===//
// Header parser
//===----------------------------------------------------------------------===//

/// Parses the dict literal of a .npy header: exactly the keys 'descr',
/// 'fortran_order' and 'shape', in any order, with Python string, bool and
/// int-tuple values. Every failure names the file and the byte offset.
class HeaderParser {
public:
  HeaderParser(const char *path, const char *text, size_t size)
      : path(path), begin(text), cur(text), end(text + size) {}

  kiln_status_t parse(NpyHeader &header) {
    bool seenDescr = false, seenOrder = false, seenShape = false;
    skipSpace();
    if (!consume('{'))
      return malformed("expected '{'");
    while (true) {
      skipSpace();
      if (consume('}'))
        break;
      const char *keyStart = cur;
      std::string key;
      KILN_RETURN_IF_ERROR(parseString(key));
      skipSpace();
      if (!consume(':'))
        return malformed("expected ':' after a key");
      skipSpace();
      if (key == "descr") {
        if (seenDescr)
          return malformed("duplicate key 'descr'", keyStart);
        seenDescr = true;
        KILN_RETURN_IF_ERROR(parseDescr(header.dtype));
      } else if (key == "fortran_order") {
        if (seenOrder)
          return malformed("duplicate key 'fortran_order'", keyStart);
        seenOrder = true;
        KILN_RETURN_IF_ERROR(parseBool(header.fortranOrder));
      } else if (key == "shape") {
        if (seenShape)
          return malformed("duplicate key 'shape'", keyStart);
        seenShape = true;
        KILN_RETURN_IF_ERROR(parseShape(header));
      } else {
        return malformed(("unexpected key '" + printable(key) + "'").c_str(),
                         keyStart);
      }
      skipSpace();
      if (consume(','))
        continue;
      if (consume('}'))
        break;
      return malformed("expected ',' or '}'");
    }
    // numpy pads with spaces and ends with '\n'; nothing else may follow.
    skipSpace();
    if (cur != end)
      return malformed("unexpected text after the dict");
    if (!seenDescr || !seenOrder || !seenShape)
      return KILN_STATUS(KILN_STATUS_DATA_LOSS,
                         "%s: malformed .npy header: missing key '%s'", path,
                         !seenDescr   ? "descr"
                         : !seenOrder ? "fortran_order"
                                      : "shape");
    return nullptr;
  }

private:
  /// A DATA_LOSS status for a syntax error at `at` (default: the cursor).
  kiln_status_t malformed(const char *what, const char *at = nullptr) const {
    return KILN_STATUS(KILN_STATUS_DATA_LOSS,
                       "%s: malformed .npy header: %s at byte %zu", path, what,
                       static_cast<size_t>((at ? at : cur) - begin));
  }

  /// `text` with bytes outside printable ASCII escaped as \xNN.
  static std::string printable(const std::string &text) {
    std::string result;
    for (unsigned char c : text) {
      if (c >= 0x20 && c < 0x7f) {
        result += static_cast<char>(c);
        continue;
      }
      char escaped[8];
      std::snprintf(escaped, sizeof(escaped), "\\x%02x", c);
      result += escaped;
    }
    return result;
  }

  void skipSpace() {
    while (cur != end &&
           (*cur == ' ' || *cur == '\t' || *cur == '\n' || *cur == '\r'))
      ++cur;
  }

  bool consume(char c) {
    if (cur == end || *cur != c)
      return false;
    ++cur;
    return true;
  }

  bool consumeWord(const char *word) {
    size_t length = std::strlen(word);
    if (static_cast<size_t>(end - cur) < length ||
        std::memcmp(cur, word, length) != 0)
      return false;
    cur += length;
    return true;
  }

  /// A quoted string without escapes ('...' or "...").
  kiln_status_t parseString(std::string &out) {
    if (cur == end || (*cur != '\'' && *cur != '"'))
      return malformed("expected a string");
    char quote = *cur++;
    const char *start = cur;
    while (cur != end && *cur != quote && *cur != '\n') {
      if (*cur == '\\')
        return malformed("unsupported escape in a string");
      ++cur;
    }
    if (cur == end || *cur == '\n')
      return malformed("unterminated string");
    out.assign(start, cur);
    ++cur;
    return nullptr;
  }

  kiln_status_t parseBool(bool &out) {
    if (consumeWord("True"))
      out = true;
    else if (consumeWord("False"))
      out = false;
    else
      return malformed("expected True or False");
    return nullptr;
  }

  /// A numpy dtype string such as '<f4'; see the file comment for the set.
  kiln_status_t parseDescr(int32_t &dtype) {
    if (cur != end && (*cur == '[' || *cur == '('))
      return KILN_STATUS(KILN_STATUS_UNIMPLEMENTED,
                         "%s: structured dtypes are not supported", path);
    std::string descr;
    KILN_RETURN_IF_ERROR(parseString(descr));
    struct Known {
      const char *type;
      int32_t dtype;
    };
    static const Known known[] = {
        {"f4", KILN_DTYPE_F32}, {"f8", KILN_DTYPE_F64},
        {"i4", KILN_DTYPE_I32}, {"i8", KILN_DTYPE_I64},
        {"u1", KILN_DTYPE_U8},  {"b1", KILN_DTYPE_BOOL}};
    // A single-byte type needs no byte order ("b1", as np.dtype reads it).
    for (const Known &entry : known)
      if (descr == entry.type && kiln_dtype_size(entry.dtype) == 1) {
        dtype = entry.dtype;
        return nullptr;
      }
    if (descr.size() >= 2) {
      char order = descr[0];
      std::string type = descr.substr(1);
      for (const Known &entry : known) {
        if (type != entry.type)
          continue;
        bool singleByte = kiln_dtype_size(entry.dtype) == 1;
        if (order == '<' || order == '=' ||
            (singleByte && order != '\0' && std::strchr("|>", order))) {
          dtype = entry.dtype;
          return nullptr;
        }
        if (order == '>')
          return KILN_STATUS(KILN_STATUS_UNIMPLEMENTED,
                             "%s: big-endian data ('%s') is not supported; "
                             "convert with arr.astype('<%s')",
                             path, descr.c_str(), entry.type);
      }
    }
    return KILN_STATUS(KILN_STATUS_UNIMPLEMENTED,
                       "%s: unsupported dtype '%s' (supported: <f4, <f8, <i4, "
                       "<i8, |u1, |b1)",
                       path, printable(descr).c_str());
  }

  /// A tuple of non-negative ints: "()", "(5,)", "(2, 3)", "(2, 3,)".
  kiln_status_t parseShape(NpyHeader &header) {
    if (!consume('('))
      return malformed("expected '(' to start the shape");
    header.rank = 0;
    bool needComma = false; // "(5)" is an int in Python, not a tuple.
    while (true) {
      skipSpace();
      if (consume(')'))
        break;
      if (header.rank == KILN_MAX_RANK)
        return malformed("shape has too many dimensions");
      KILN_RETURN_IF_ERROR(parseDim(header.dims[header.rank++]));
      skipSpace();
      if (consume(',')) {
        needComma = false;
        continue;
      }
      if (!consume(')'))
        return malformed("expected ',' or ')' in the shape");
      needComma = header.rank == 1;
      break;
    }
    if (needComma)
      return malformed("shape is not a tuple");
    return nullptr;
  }

  kiln_status_t parseDim(int64_t &dim) {
    if (cur == end || *cur < '0' || *cur > '9')
      return malformed("expected a non-negative integer in the shape");
    uint64_t value = 0;
    while (cur != end && *cur >= '0' && *cur <= '9') {
      uint64_t digit = static_cast<uint64_t>(*cur - '0');
      if (value > (static_cast<uint64_t>(INT64_MAX) - digit) / 10)
        return malformed("dimension overflows int64");
      value = value * 10 + digit;
      ++cur;
    }
    consume('L'); // Python 2 long literals, as old numpy wrote them.
    dim = static_cast<int64_t>(value);
    return nullptr;
  }

  const char *path;
  const char *begin;
  const char *cur;
  const char *end;
};

/// Builds the padded header dict numpy would write for `array`.
std::string formatHeader(const kiln_array_t *array, size_t preambleSize) {
  const char *descr = "<f4";
  switch (array->dtype) {
  case KILN_DTYPE_F64:
    descr = "<f8";
    break;
  case KILN_DTYPE_I32:
    descr = "<i4";
    break;
  case KILN_DTYPE_I64:
    descr = "<i8";
    break;
  case KILN_DTYPE_U8:
    descr = "|u1";
    break;
  case KILN_DTYPE_BOOL:
    descr = "|b1";
    break;
  default:
    break;
  }
  std::string header = std::string("{'descr': '") + descr +
                       "', 'fortran_order': False, 'shape': " +
                       formatShape(array->rank, array->dims) + ", }";
  // Pad with spaces so that the data starts on a 64-byte boundary.
  size_t total = preambleSize + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  return header;
}

} // namespace

//===----------------------------------------------------------------------===//
// Two-phase write
//===----------------------------------------------------------------------===//

kiln_status_t kiln::writeNpyFile(const char *path, const kiln_array_t *array,
                                 AtomicFile &file) {
  if (!path || !array)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "path and array must not be NULL");
  // What the reader would refuse is never written.
  if (int64_t bad =
          array->dtype == KILN_DTYPE_BOOL ? findNonBoolByte(array) : -1;
      bad >= 0)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "%s: bool element %" PRId64 " is byte %d, not 0 or 1",
                       path, bad,
                       static_cast<const uint8_t *>(array->data)[bad]);
  std::string header = formatHeader(array, 10);
  uint8_t preamble[12];
  std::memcpy(preamble, kMagic, kMagicSize);
  size_t preambleSize = 10;
  if (header.size() <= 0xffff) {
    preamble[6] = 1;
    preamble[7] = 0;
    preamble[8] = static_cast<uint8_t>(header.size());
    preamble[9] = static_cast<uint8_t>(header.size() >> 8);
  } else {
    preambleSize = 12;
    header = formatHeader(array, preambleSize);
    preamble[6] = 2;
    preamble[7] = 0;
    for (int i = 0; i < 4; ++i)
      preamble[8 + i] = static_cast<uint8_t>(header.size() >> (8 * i));
  }

  KILN_RETURN_IF_ERROR(file.create(path));
  KILN_RETURN_IF_ERROR(file.write(preamble, preambleSize));
  KILN_RETURN_IF_ERROR(file.write(header.data(), header.size()));
  KILN_RETURN_IF_ERROR(file.write(array->data, array->byteSize));
  return file.finish();
}

bool kiln::isNpy(const uint8_t *bytes, size_t size) {
  return size >= kMagicSize && std::memcmp(bytes, kMagic, kMagicSize) == 0;
}

kiln_status_t kiln::parseNpy(const char *name, const uint8_t *bytes,
                             size_t size, kiln_array_t **outArray) {
  size_t magicBytes = size < kMagicSize ? size : kMagicSize;
  if (magicBytes && std::memcmp(bytes, kMagic, magicBytes) != 0)
    return KILN_STATUS(KILN_STATUS_DATA_LOSS,
                       "%s: not a .npy file (bad magic bytes)", name);
  if (size < 10)
    return KILN_STATUS(KILN_STATUS_DATA_LOSS,
                       "%s: truncated .npy file: %zu bytes, the preamble alone "
                       "needs 10",
                       name, size);
  int major = bytes[6], minor = bytes[7];
  if (major < 1 || major > 3 || minor != 0)
    return KILN_STATUS(KILN_STATUS_UNIMPLEMENTED,
                       "%s: unsupported .npy format version %d.%d (supported: "
                       "1.0, 2.0, 3.0)",
                       name, major, minor);
  size_t preambleSize = major == 1 ? 10 : 12;
  if (size < preambleSize)
    return KILN_STATUS(KILN_STATUS_DATA_LOSS,
                       "%s: truncated .npy file: %zu bytes, the preamble alone "
                       "needs %zu",
                       name, size, preambleSize);
  uint64_t headerSize = bytes[8] | (uint64_t(bytes[9]) << 8);
  if (major != 1)
    headerSize |= (uint64_t(bytes[10]) << 16) | (uint64_t(bytes[11]) << 24);
  if (headerSize > kMaxHeaderSize)
    return KILN_STATUS(KILN_STATUS_DATA_LOSS,
                       "%s: .npy header length %" PRIu64
                       " exceeds the limit of %" PRIu64 " bytes",
                       name, headerSize, kMaxHeaderSize);
  uint64_t dataOffset = preambleSize + headerSize;
  if (size < dataOffset)
    return KILN_STATUS(KILN_STATUS_DATA_LOSS,
                       "%s: truncated .npy header: needs %" PRIu64
                       " bytes, the file has %zu",
                       name, dataOffset, size);
  NpyHeader header;
  KILN_RETURN_IF_ERROR(
      HeaderParser(name, reinterpret_cast<const char *>(bytes) + preambleSize,
                   static_cast<size_t>(headerSize))
          .parse(header));
  if (header.fortranOrder)
    return KILN_STATUS(KILN_STATUS_UNIMPLEMENTED,
                       "%s: Fortran-order arrays are not supported; save a "
                       "C-order copy (np.ascontiguousarray)",
                       name);
  int64_t numElements = 0;
  size_t byteSize = 0;
  std::string shape = formatShape(header.rank, header.dims);
  if (!computeArraySize(header.dtype, header.rank, header.dims, numElements,
                        byteSize))
    return KILN_STATUS(KILN_STATUS_DATA_LOSS,
                       "%s: .npy shape %s of %s is too large", name,
                       shape.c_str(), kiln_dtype_name(header.dtype));
  if (size - dataOffset < byteSize)
    return KILN_STATUS(KILN_STATUS_DATA_LOSS,
                       "%s: truncated .npy data: shape %s of %s needs %zu "
                       "bytes, the file has %" PRIu64,
                       name, shape.c_str(), kiln_dtype_name(header.dtype),
                       byteSize, size - dataOffset);
  kiln_array_t *array = nullptr;
  KILN_RETURN_IF_ERROR(createArray(header.dtype, header.rank, header.dims,
                                   /*zero=*/false, &array));
  if (byteSize)
    std::memcpy(array->data, bytes + dataOffset, byteSize);
  // numpy writes bools as 0 and 1; another byte is a corrupt file, which
  // compiled code reading one byte per bool must never see.
  if (int64_t bad =
          array->dtype == KILN_DTYPE_BOOL ? findNonBoolByte(array) : -1;
      bad >= 0) {
    kiln_status_t status =
        KILN_STATUS(KILN_STATUS_DATA_LOSS,
                    "%s: corrupt .npy data: bool element %" PRId64
                    " is byte %d, not 0 or 1",
                    name, bad, static_cast<const uint8_t *>(array->data)[bad]);
    kiln_array_release(array);
    return status;
  }
  *outArray = array;
  return nullptr;
}

extern "C" {

kiln_status_t kiln_npy_read(const char *path, kiln_array_t **out_array) {
  if (!path || !out_array)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "path and out_array must not be NULL");
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return errnoStatus(errno, "open", path);
  FileCloser closer(fd);
  struct stat info;
  if (::fstat(fd, &info) != 0)
    return errnoStatus(errno, "stat", path);
  if (!S_ISREG(info.st_mode))
    return KILN_STATUS(KILN_STATUS_IO_ERROR, "cannot read '%s': not a file",
                       path);
  // The whole file is parsed in memory: one parser for files, .npz members
  // and decompressed data. It is read, not mapped: a file truncated by
  // another process meanwhile is then a short read (a truncation error
  // naming it), where a mapping would raise SIGBUS.
  size_t fileSize = static_cast<size_t>(info.st_size);
  if (fileSize == 0)
    return parseNpy(path, nullptr, 0, out_array);
  Buffer bytes;
  if (!bytes.allocate(fileSize))
    return KILN_STATUS(KILN_STATUS_OUT_OF_MEMORY,
                       "out of memory reading '%s' (%zu bytes)", path,
                       fileSize);
  size_t done = 0;
  while (done < fileSize) {
    ssize_t count = ::read(fd, bytes.data() + done, fileSize - done);
    if (count < 0 && errno == EINTR)
      continue;
    if (count < 0)
      return errnoStatus(errno, "read", path);
    if (count == 0)
      break;
    done += static_cast<size_t>(count);
  }
  return parseNpy(path, bytes.data(), done, out_array);
}

kiln_status_t kiln_npy_write(const char *path, const kiln_array_t *array) {
  AtomicFile file;
  KILN_RETURN_IF_ERROR(writeNpyFile(path, array, file));
  return file.commit();
}

} // extern "C"
