//===- Zip.cpp - A minimal reader of zip archives (.npz) --------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// The zip layout (PKWARE APPNOTE 6.3): local headers with member data, then
// the central directory, then the end-of-central-directory record (EOCD,
// possibly preceded by the zip64 EOCD and its locator). The central
// directory is authoritative for sizes and offsets (numpy's local headers
// carry 0xffffffff sizes and a zip64 extra field); the local header only
// tells where the data starts. Every offset and size is bounds-checked
// against the archive, and the declared uncompressed size of a deflated
// member is bounded by deflate's maximal ratio, and by the memory available
// (MemAvailable, RLIMIT_AS), before allocating. A deflated member's buffer
// then grows as the data actually inflates, so a member that declares 4 GB
// and holds less (or corrupt data) costs only what it holds.
//
//===----------------------------------------------------------------------===//
#include "formats/Zip.h"
#include "base/Status.h"

#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <sys/resource.h>
#include <unistd.h>
#include <zlib.h>

using namespace kiln;

namespace {

constexpr uint32_t kLocalSignature = 0x04034b50;
constexpr uint32_t kCentralSignature = 0x02014b50;
constexpr uint32_t kEndSignature = 0x06054b50;
constexpr uint32_t kEnd64Signature = 0x06064b50;
constexpr uint32_t kEnd64LocatorSignature = 0x07064b50;
constexpr size_t kEndSize = 22;
constexpr size_t kCentralSize = 46;
constexpr size_t kLocalSize = 30;
/// Deflate cannot compress better than 1032:1.
constexpr uint64_t kMaxDeflateRatio = 1032;

uint16_t le16(const uint8_t *p) { return uint16_t(p[0] | (p[1] << 8)); }
uint32_t le32(const uint8_t *p) {
  return uint32_t(p[0]) | (uint32_t(p[1]) << 8) | (uint32_t(p[2]) << 16) |
         (uint32_t(p[3]) << 24);
}
uint64_t le64(const uint8_t *p) {
  return uint64_t(le32(p)) | (uint64_t(le32(p + 4)) << 32);
}

/// Bytes this process can still allocate: the kernel's MemAvailable and
/// the address-space limit, whichever is smaller (UINT64_MAX if unknown).
uint64_t availableMemory() {
  uint64_t available = UINT64_MAX;
  if (FILE *file = std::fopen("/proc/meminfo", "r")) {
    char line[256];
    unsigned long long kib = 0;
    while (std::fgets(line, sizeof(line), file))
      if (std::sscanf(line, "MemAvailable: %llu kB", &kib) == 1) {
        available = uint64_t(kib) * 1024;
        break;
      }
    std::fclose(file);
  }
  rlimit limit;
  if (::getrlimit(RLIMIT_AS, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) {
    // The limit counts the address space already mapped (a sanitized
    // build maps terabytes of shadow memory).
    uint64_t used = 0;
    if (FILE *file = std::fopen("/proc/self/statm", "r")) {
      unsigned long long pages = 0;
      if (std::fscanf(file, "%llu", &pages) == 1)
        used = uint64_t(pages) * uint64_t(::sysconf(_SC_PAGESIZE));
      std::fclose(file);
    }
    uint64_t left =
        uint64_t(limit.rlim_cur) > used ? uint64_t(limit.rlim_cur) - used : 0;
    if (left < available)
      available = left;
  }
  return available;
}

kiln_status_t corrupt(const char *name, const char *what) {
  return KILN_STATUS(KILN_STATUS_DATA_LOSS, "%s: corrupt or truncated zip: %s",
                     name, what);
}

/// Reads the zip64 extended-information extra field of a central entry,
/// replacing the fields that are 0xffffffff.
kiln_status_t readZip64Extra(const char *name, const uint8_t *extra,
                             size_t length, ZipMember &member, bool sizeIsMax,
                             bool compressedIsMax, bool offsetIsMax) {
  while (length >= 4) {
    uint16_t id = le16(extra), fieldSize = le16(extra + 2);
    if (fieldSize > length - 4)
      return corrupt(name, "extra field overruns its entry");
    if (id == 0x0001) {
      const uint8_t *cur = extra + 4, *end = cur + fieldSize;
      uint64_t *targets[3] = {sizeIsMax ? &member.size : nullptr,
                              compressedIsMax ? &member.compressedSize
                                              : nullptr,
                              offsetIsMax ? &member.localOffset : nullptr};
      for (uint64_t *target : targets) {
        if (!target)
          continue;
        if (end - cur < 8)
          return corrupt(name, "short zip64 extra field");
        *target = le64(cur);
        cur += 8;
      }
      return nullptr;
    }
    extra += 4 + fieldSize;
    length -= 4 + fieldSize;
  }
  if (sizeIsMax || compressedIsMax || offsetIsMax)
    return corrupt(name, "missing zip64 extra field");
  return nullptr;
}

} // namespace

bool kiln::isZip(const uint8_t *bytes, size_t size) {
  return size >= 4 &&
         (le32(bytes) == kLocalSignature || le32(bytes) == kEndSignature);
}

kiln_status_t kiln::listZip(const char *name, const uint8_t *bytes, size_t size,
                            std::vector<ZipMember> &members) {
  if (size < kEndSize)
    return corrupt(name, "no end-of-central-directory record");
  // The EOCD ends the file, followed only by a comment of up to 64 KiB.
  size_t endOffset = size - kEndSize;
  size_t lowest = size - kEndSize > 0xffff ? size - kEndSize - 0xffff : 0;
  while (true) {
    if (le32(bytes + endOffset) == kEndSignature &&
        endOffset + kEndSize + le16(bytes + endOffset + 20) == size)
      break;
    if (endOffset == lowest)
      return corrupt(name, "no end-of-central-directory record");
    --endOffset;
  }
  const uint8_t *end = bytes + endOffset;
  uint64_t count = le16(end + 10);
  uint64_t directorySize = le32(end + 12);
  uint64_t directoryOffset = le32(end + 16);
  if (count == 0xffff || directorySize == 0xffffffff ||
      directoryOffset == 0xffffffff) {
    if (endOffset < 20 || le32(end - 20) != kEnd64LocatorSignature)
      return corrupt(name, "missing zip64 end-of-central-directory locator");
    uint64_t end64Offset = le64(end - 20 + 8);
    if (end64Offset > size || size - end64Offset < 56 ||
        le32(bytes + end64Offset) != kEnd64Signature)
      return corrupt(name, "bad zip64 end-of-central-directory record");
    const uint8_t *end64 = bytes + end64Offset;
    count = le64(end64 + 32);
    directorySize = le64(end64 + 40);
    directoryOffset = le64(end64 + 48);
  }
  if (directoryOffset > size || directorySize > size - directoryOffset)
    return corrupt(name, "central directory outside the file");
  if (count > directorySize / kCentralSize)
    return corrupt(name, "central directory too small for its entries");

  const uint8_t *cur = bytes + directoryOffset;
  const uint8_t *limit = cur + directorySize;
  members.clear();
  for (uint64_t i = 0; i < count; ++i) {
    if (static_cast<size_t>(limit - cur) < kCentralSize ||
        le32(cur) != kCentralSignature)
      return corrupt(name, "bad central directory entry");
    ZipMember member;
    member.flags = le16(cur + 8);
    member.method = le16(cur + 10);
    member.crc = le32(cur + 16);
    member.compressedSize = le32(cur + 20);
    member.size = le32(cur + 24);
    size_t nameLength = le16(cur + 28), extraLength = le16(cur + 30),
           commentLength = le16(cur + 32);
    member.localOffset = le32(cur + 42);
    size_t entrySize = kCentralSize + nameLength + extraLength + commentLength;
    if (static_cast<size_t>(limit - cur) < entrySize)
      return corrupt(name, "central directory entry overruns the directory");
    member.name.assign(reinterpret_cast<const char *>(cur + kCentralSize),
                       nameLength);
    KILN_RETURN_IF_ERROR(readZip64Extra(
        name, cur + kCentralSize + nameLength, extraLength, member,
        member.size == 0xffffffff, member.compressedSize == 0xffffffff,
        member.localOffset == 0xffffffff));
    members.push_back(std::move(member));
    cur += entrySize;
  }
  return nullptr;
}

kiln_status_t kiln::extractZip(const char *name, const uint8_t *bytes,
                               size_t size, const ZipMember &member,
                               Buffer &out) {
  const char *memberName = member.name.c_str();
  if (member.flags & 1)
    return KILN_STATUS(KILN_STATUS_UNIMPLEMENTED,
                       "%s: member '%s' is encrypted", name, memberName);
  if (member.method != 0 && member.method != 8)
    return KILN_STATUS(KILN_STATUS_UNIMPLEMENTED,
                       "%s: member '%s' uses compression method %u (supported: "
                       "stored, deflate)",
                       name, memberName, member.method);
  if (member.localOffset > size || size - member.localOffset < kLocalSize ||
      le32(bytes + member.localOffset) != kLocalSignature)
    return corrupt(name, "bad local header");
  const uint8_t *local = bytes + member.localOffset;
  uint64_t dataOffset =
      member.localOffset + kLocalSize + le16(local + 26) + le16(local + 28);
  if (dataOffset > size || member.compressedSize > size - dataOffset)
    return corrupt(name, "member data outside the file");
  const uint8_t *data = bytes + dataOffset;
  if (member.method == 0
          ? member.size != member.compressedSize
          : member.size / kMaxDeflateRatio > member.compressedSize + 1)
    return corrupt(name, "implausible member size");
  uint64_t available = availableMemory();
  if (member.size > available || member.size > SIZE_MAX / 2)
    return KILN_STATUS(KILN_STATUS_OUT_OF_MEMORY,
                       "%s: member '%s' declares %" PRIu64
                       " bytes uncompressed (%.1f GiB), more than the %" PRIu64
                       " bytes (%.1f GiB) of memory available; not extracted",
                       name, memberName, member.size,
                       double(member.size) / double(1ull << 30), available,
                       double(available) / double(1ull << 30));
  // Stored data is all there (checked above); deflated data grows into a
  // buffer as it inflates.
  constexpr uint64_t kFirstChunk = uint64_t(64) << 20;
  uint64_t capacity = member.method == 0 || member.size <= kFirstChunk
                          ? member.size
                          : kFirstChunk;
  if (!out.allocate(static_cast<size_t>(capacity)))
    return KILN_STATUS(KILN_STATUS_OUT_OF_MEMORY,
                       "%s: out of memory extracting '%s' (%" PRIu64 " bytes)",
                       name, memberName, member.size);
  if (member.method == 0) {
    if (member.size)
      std::memcpy(out.data(), data, static_cast<size_t>(member.size));
  } else {
    z_stream stream;
    std::memset(&stream, 0, sizeof(stream));
    if (inflateInit2(&stream, -MAX_WBITS) != Z_OK)
      return KILN_STATUS(KILN_STATUS_OUT_OF_MEMORY, "%s: inflateInit failed",
                         name);
    // Feed and drain in chunks that fit zlib's 32-bit counters.
    const uint8_t *in = data;
    uint64_t inLeft = member.compressedSize, outDone = 0;
    int result = Z_OK;
    while (result == Z_OK) {
      if (outDone == capacity && capacity < member.size) {
        uint64_t grown =
            capacity * 2 < member.size ? capacity * 2 : member.size;
        Buffer bigger;
        if (!bigger.allocate(static_cast<size_t>(grown))) {
          inflateEnd(&stream);
          return KILN_STATUS(KILN_STATUS_OUT_OF_MEMORY,
                             "%s: out of memory extracting '%s' (%" PRIu64
                             " bytes)",
                             name, memberName, member.size);
        }
        std::memcpy(bigger.data(), out.data(), static_cast<size_t>(outDone));
        out = std::move(bigger);
        capacity = grown;
      }
      uInt inChunk = inLeft > 0x40000000 ? 0x40000000 : uInt(inLeft);
      uint64_t outLeft = capacity - outDone;
      uInt outChunk = outLeft > 0x40000000 ? 0x40000000 : uInt(outLeft);
      stream.next_in = const_cast<Bytef *>(in);
      stream.avail_in = inChunk;
      stream.next_out = out.data() + outDone;
      stream.avail_out = outChunk;
      // An empty output window with a zero-size member still needs one call
      // to see the end of the stream.
      uint8_t sink = 0;
      if (outChunk == 0) {
        stream.next_out = &sink;
        stream.avail_out = 1;
      }
      result = inflate(&stream, Z_NO_FLUSH);
      uint64_t consumed = inChunk - stream.avail_in;
      uint64_t produced = (outChunk == 0 ? 1 : outChunk) - stream.avail_out;
      in += consumed;
      inLeft -= consumed;
      if (outChunk == 0 && produced) {
        result = Z_DATA_ERROR; // more data than declared
        break;
      }
      if (result == Z_BUF_ERROR && outDone + produced == capacity &&
          capacity < member.size)
        result = Z_OK; // the window was full: grow it
      outDone += produced;
      if (result == Z_OK && consumed == 0 && produced == 0)
        result = Z_BUF_ERROR;
    }
    inflateEnd(&stream);
    if (result != Z_STREAM_END || outDone != member.size)
      return KILN_STATUS(KILN_STATUS_DATA_LOSS,
                         "%s: corrupt or truncated deflate data in member "
                         "'%s' (%" PRIu64 " of the %" PRIu64
                         " bytes it declares inflated)",
                         name, memberName, outDone, member.size);
  }
  uLong crc = crc32(0L, Z_NULL, 0);
  uint64_t done = 0;
  while (done < member.size) {
    uInt chunk =
        member.size - done > 0x40000000 ? 0x40000000 : uInt(member.size - done);
    crc = crc32(crc, out.data() + done, chunk);
    done += chunk;
  }
  if (crc != member.crc)
    return KILN_STATUS(KILN_STATUS_DATA_LOSS,
                       "%s: CRC mismatch in member '%s' (corrupt archive)",
                       name, memberName);
  return nullptr;
}
