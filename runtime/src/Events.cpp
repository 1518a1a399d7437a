//===- Events.cpp - TensorBoard event files, written and read ---*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// The Event proto subset of Events.h in protobuf wire format, by hand, and
// the TFRecord-framed event file writer. Records are written with one
// write(2) each and never buffered, so a crash loses at most the event being
// written, and TensorBoard (which tails the file) sees every epoch at once.
//
//===----------------------------------------------------------------------===//
#include "Events.h"
#include "Crc32c.h"
#include "Status.h"
#include "TFRecord.h"

#include <cerrno>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace kiln;

namespace {

//===----------------------------------------------------------------------===//
// Encoding
//===----------------------------------------------------------------------===//

enum WireType : uint32_t {
  kVarint = 0,
  kFixed64 = 1,
  kLengthDelimited = 2,
  kFixed32 = 5,
};

void putVarint(std::string &out, uint64_t value) {
  while (value >= 0x80) {
    out += static_cast<char>((value & 0x7f) | 0x80);
    value >>= 7;
  }
  out += static_cast<char>(value);
}

void putTag(std::string &out, uint32_t field, WireType type) {
  putVarint(out, (uint64_t(field) << 3) | type);
}

void putFixed(std::string &out, const void *value, size_t size) {
  // Little-endian hosts only (as the rest of the runtime).
  out.append(static_cast<const char *>(value), size);
}

void putDouble(std::string &out, uint32_t field, double value) {
  putTag(out, field, kFixed64);
  putFixed(out, &value, sizeof(value));
}

void putBytes(std::string &out, uint32_t field, const std::string &bytes) {
  putTag(out, field, kLengthDelimited);
  putVarint(out, bytes.size());
  out += bytes;
}

void putPackedDoubles(std::string &out, uint32_t field,
                      const std::vector<double> &values) {
  if (values.empty())
    return;
  putTag(out, field, kLengthDelimited);
  putVarint(out, values.size() * sizeof(double));
  putFixed(out, values.data(), values.size() * sizeof(double));
}

std::string encodeHistogram(const Histogram &histo) {
  std::string out;
  putDouble(out, 1, histo.min);
  putDouble(out, 2, histo.max);
  putDouble(out, 3, histo.num);
  putDouble(out, 4, histo.sum);
  putDouble(out, 5, histo.sumSquares);
  putPackedDoubles(out, 6, histo.bucketLimit);
  putPackedDoubles(out, 7, histo.bucket);
  return out;
}

std::string encodeTensor(const EventValue &value) {
  std::string out, shape;
  putTag(out, 1, kVarint);
  putVarint(out, static_cast<uint64_t>(value.tensorDtype));
  for (int64_t dim : value.tensorShape) {
    std::string entry;
    putTag(entry, 1, kVarint);
    putVarint(entry, static_cast<uint64_t>(dim));
    putBytes(shape, 2, entry);
  }
  putBytes(out, 2, shape); // An empty shape is a scalar; still written.
  if (!value.tensorContent.empty())
    putBytes(out, 4, value.tensorContent);
  return out;
}

std::string encodeValue(const EventValue &value) {
  std::string out;
  putBytes(out, 1, value.tag);
  if (value.hasSimpleValue) {
    putTag(out, 2, kFixed32);
    putFixed(out, &value.simpleValue, sizeof(float));
  }
  if (value.hasHisto)
    putBytes(out, 5, encodeHistogram(value.histo));
  if (value.hasTensor)
    putBytes(out, 8, encodeTensor(value));
  if (!value.pluginName.empty()) {
    std::string pluginData, metadata;
    putBytes(pluginData, 1, value.pluginName);
    putBytes(metadata, 1, pluginData);
    putBytes(out, 9, metadata);
  }
  return out;
}

//===----------------------------------------------------------------------===//
// Decoding
//===----------------------------------------------------------------------===//

/// A bounds-checked cursor over one message.
class Reader {
public:
  Reader(const uint8_t *data, size_t size) : cur(data), end(data + size) {}
  bool done() const { return cur == end; }

  bool varint(uint64_t &value) {
    value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (cur == end)
        return false;
      uint8_t byte = *cur++;
      value |= uint64_t(byte & 0x7f) << shift;
      if (!(byte & 0x80))
        return true;
    }
    return false;
  }
  bool fixed(void *out, size_t size) {
    if (size_t(end - cur) < size)
      return false;
    std::memcpy(out, cur, size);
    cur += size;
    return true;
  }
  bool bytes(const uint8_t *&data, size_t &size) {
    uint64_t length = 0;
    if (!varint(length) || length > uint64_t(end - cur))
      return false;
    data = cur;
    size = static_cast<size_t>(length);
    cur += size;
    return true;
  }
  bool tag(uint32_t &field, uint32_t &type) {
    uint64_t key = 0;
    if (!varint(key) || (key >> 3) == 0 || (key >> 3) > 0x1fffffff)
      return false;
    field = static_cast<uint32_t>(key >> 3);
    type = static_cast<uint32_t>(key & 7);
    return true;
  }
  /// Skips a field of wire `type` (groups are refused).
  bool skip(uint32_t type) {
    uint64_t ignored = 0;
    const uint8_t *data = nullptr;
    size_t size = 0;
    char scratch[8];
    switch (type) {
    case kVarint:
      return varint(ignored);
    case kFixed64:
      return fixed(scratch, 8);
    case kLengthDelimited:
      return bytes(data, size);
    case kFixed32:
      return fixed(scratch, 4);
    default:
      return false;
    }
  }

private:
  const uint8_t *cur, *end;
};

/// Reads a repeated fixed-width field, packed or not, into `out`.
template <typename T>
bool readRepeated(Reader &reader, uint32_t type, std::vector<T> &out) {
  if (type == kLengthDelimited) {
    const uint8_t *data = nullptr;
    size_t size = 0;
    if (!reader.bytes(data, size) || size % sizeof(T))
      return false;
    size_t old = out.size();
    out.resize(old + size / sizeof(T));
    if (size)
      std::memcpy(out.data() + old, data, size);
    return true;
  }
  if (type != (sizeof(T) == 8 ? kFixed64 : kFixed32))
    return false;
  T value;
  if (!reader.fixed(&value, sizeof(T)))
    return false;
  out.push_back(value);
  return true;
}

bool decodeHistogram(const uint8_t *data, size_t size, Histogram &histo) {
  Reader reader(data, size);
  while (!reader.done()) {
    uint32_t field = 0, type = 0;
    if (!reader.tag(field, type))
      return false;
    double *scalar = field == 1   ? &histo.min
                     : field == 2 ? &histo.max
                     : field == 3 ? &histo.num
                     : field == 4 ? &histo.sum
                     : field == 5 ? &histo.sumSquares
                                  : nullptr;
    bool ok = scalar && type == kFixed64 ? reader.fixed(scalar, 8)
              : field == 6 ? readRepeated(reader, type, histo.bucketLimit)
              : field == 7 ? readRepeated(reader, type, histo.bucket)
                           : reader.skip(type);
    if (!ok)
      return false;
  }
  return true;
}

bool decodeShape(const uint8_t *data, size_t size,
                 std::vector<int64_t> &shape) {
  Reader reader(data, size);
  while (!reader.done()) {
    uint32_t field = 0, type = 0;
    if (!reader.tag(field, type))
      return false;
    if (field != 2 || type != kLengthDelimited) {
      if (!reader.skip(type))
        return false;
      continue;
    }
    const uint8_t *dimData = nullptr;
    size_t dimSize = 0;
    if (!reader.bytes(dimData, dimSize))
      return false;
    Reader dim(dimData, dimSize);
    uint64_t dimValue = 0;
    while (!dim.done()) {
      uint32_t dimField = 0, dimType = 0;
      if (!dim.tag(dimField, dimType))
        return false;
      bool ok = dimField == 1 && dimType == kVarint ? dim.varint(dimValue)
                                                    : dim.skip(dimType);
      if (!ok)
        return false;
    }
    shape.push_back(static_cast<int64_t>(dimValue));
  }
  return true;
}

bool decodeTensor(const uint8_t *data, size_t size, EventValue &value) {
  Reader reader(data, size);
  value.hasTensor = true;
  while (!reader.done()) {
    uint32_t field = 0, type = 0;
    if (!reader.tag(field, type))
      return false;
    const uint8_t *bytes = nullptr;
    size_t length = 0;
    bool ok = true;
    if (field == 1 && type == kVarint) {
      uint64_t dtype = 0;
      ok = reader.varint(dtype);
      value.tensorDtype = static_cast<int32_t>(dtype);
    } else if (field == 2 && type == kLengthDelimited) {
      value.tensorShape.clear();
      ok = reader.bytes(bytes, length) &&
           decodeShape(bytes, length, value.tensorShape);
    } else if (field == 4 && type == kLengthDelimited) {
      ok = reader.bytes(bytes, length);
      if (ok)
        value.tensorContent.assign(reinterpret_cast<const char *>(bytes),
                                   length);
    } else if (field == 5) {
      ok = readRepeated(reader, type, value.floatVal);
    } else if (field == 6) {
      ok = readRepeated(reader, type, value.doubleVal);
    } else {
      ok = reader.skip(type);
    }
    if (!ok)
      return false;
  }
  return true;
}

/// Reads SummaryMetadata's plugin_data.plugin_name.
bool decodeMetadata(const uint8_t *data, size_t size, std::string &plugin) {
  Reader reader(data, size);
  while (!reader.done()) {
    uint32_t field = 0, type = 0;
    if (!reader.tag(field, type))
      return false;
    if (field != 1 || type != kLengthDelimited) {
      if (!reader.skip(type))
        return false;
      continue;
    }
    const uint8_t *bytes = nullptr;
    size_t length = 0;
    if (!reader.bytes(bytes, length))
      return false;
    Reader inner(bytes, length);
    while (!inner.done()) {
      uint32_t innerField = 0, innerType = 0;
      if (!inner.tag(innerField, innerType))
        return false;
      const uint8_t *name = nullptr;
      size_t nameSize = 0;
      if (innerField == 1 && innerType == kLengthDelimited) {
        if (!inner.bytes(name, nameSize))
          return false;
        plugin.assign(reinterpret_cast<const char *>(name), nameSize);
      } else if (!inner.skip(innerType)) {
        return false;
      }
    }
  }
  return true;
}

bool decodeValue(const uint8_t *data, size_t size, EventValue &value) {
  Reader reader(data, size);
  while (!reader.done()) {
    uint32_t field = 0, type = 0;
    if (!reader.tag(field, type))
      return false;
    const uint8_t *bytes = nullptr;
    size_t length = 0;
    bool ok = true;
    if (field == 1 && type == kLengthDelimited) {
      ok = reader.bytes(bytes, length);
      if (ok)
        value.tag.assign(reinterpret_cast<const char *>(bytes), length);
    } else if (field == 2 && type == kFixed32) {
      ok = reader.fixed(&value.simpleValue, 4);
      value.hasSimpleValue = true;
    } else if (field == 5 && type == kLengthDelimited) {
      value.hasHisto = true;
      ok = reader.bytes(bytes, length) &&
           decodeHistogram(bytes, length, value.histo);
    } else if (field == 8 && type == kLengthDelimited) {
      ok = reader.bytes(bytes, length) && decodeTensor(bytes, length, value);
    } else if (field == 9 && type == kLengthDelimited) {
      ok = reader.bytes(bytes, length) &&
           decodeMetadata(bytes, length, value.pluginName);
    } else {
      ok = reader.skip(type);
    }
    if (!ok)
      return false;
  }
  return true;
}

} // namespace

Histogram kiln::makeHistogram(const float *values, int64_t count,
                              int32_t numBuckets) {
  Histogram histo;
  if (numBuckets < 1)
    numBuckets = 1;
  histo.min = count ? DBL_MAX : 0;
  histo.max = count ? -DBL_MAX : 0;
  for (int64_t i = 0; i < count; ++i) {
    double value = values[i];
    if (std::isnan(value))
      continue;
    histo.min = value < histo.min ? value : histo.min;
    histo.max = value > histo.max ? value : histo.max;
    histo.num += 1;
    histo.sum += value;
    histo.sumSquares += value * value;
  }
  if (histo.num == 0) {
    histo.min = histo.max = 0;
    return histo;
  }
  double low = histo.min, high = histo.max;
  if (!(high > low)) {
    low -= 0.5;
    high += 0.5;
  }
  double width = (high - low) / numBuckets;
  histo.bucket.assign(static_cast<size_t>(numBuckets), 0.0);
  for (int32_t b = 0; b < numBuckets; ++b)
    histo.bucketLimit.push_back(b + 1 == numBuckets ? DBL_MAX
                                                    : low + width * (b + 1));
  for (int64_t i = 0; i < count; ++i) {
    double value = values[i];
    if (std::isnan(value))
      continue;
    auto b = static_cast<int64_t>((value - low) / width);
    b = b < 0 ? 0 : b >= numBuckets ? numBuckets - 1 : b;
    // Keep [limit[b-1], limit[b]) exact against rounding of the division.
    while (b > 0 && value < histo.bucketLimit[static_cast<size_t>(b - 1)])
      --b;
    while (b + 1 < numBuckets &&
           value >= histo.bucketLimit[static_cast<size_t>(b)])
      ++b;
    histo.bucket[static_cast<size_t>(b)] += 1;
  }
  return histo;
}

std::string kiln::encodeEvent(const Event &event) {
  std::string out;
  putDouble(out, 1, event.wallTime);
  if (event.step) {
    putTag(out, 2, kVarint);
    putVarint(out, static_cast<uint64_t>(event.step));
  }
  if (!event.fileVersion.empty())
    putBytes(out, 3, event.fileVersion);
  if (!event.values.empty()) {
    std::string summary;
    for (const EventValue &value : event.values)
      putBytes(summary, 1, encodeValue(value));
    putBytes(out, 5, summary);
  }
  return out;
}

kiln_status_t kiln::decodeEvent(const uint8_t *data, size_t size,
                                Event &event) {
  event = Event();
  Reader reader(data, size);
  while (!reader.done()) {
    uint32_t field = 0, type = 0;
    bool ok = reader.tag(field, type);
    const uint8_t *bytes = nullptr;
    size_t length = 0;
    if (!ok) {
    } else if (field == 1 && type == kFixed64) {
      ok = reader.fixed(&event.wallTime, 8);
    } else if (field == 2 && type == kVarint) {
      uint64_t step = 0;
      ok = reader.varint(step);
      event.step = static_cast<int64_t>(step);
    } else if (field == 3 && type == kLengthDelimited) {
      ok = reader.bytes(bytes, length);
      if (ok)
        event.fileVersion.assign(reinterpret_cast<const char *>(bytes), length);
    } else if (field == 5 && type == kLengthDelimited) {
      ok = reader.bytes(bytes, length);
      Reader summary(bytes, length);
      while (ok && !summary.done()) {
        uint32_t valueField = 0, valueType = 0;
        ok = summary.tag(valueField, valueType);
        if (ok && valueField == 1 && valueType == kLengthDelimited) {
          const uint8_t *valueData = nullptr;
          size_t valueSize = 0;
          event.values.emplace_back();
          ok = summary.bytes(valueData, valueSize) &&
               decodeValue(valueData, valueSize, event.values.back());
        } else if (ok) {
          ok = summary.skip(valueType);
        }
      }
    } else {
      ok = reader.skip(type);
    }
    if (!ok)
      return KILN_STATUS(KILN_STATUS_DATA_LOSS,
                         "malformed Event proto (%zu bytes)", size);
  }
  return nullptr;
}

bool kiln::eventScalar(const EventValue &value, double &out) {
  if (value.hasSimpleValue) {
    out = value.simpleValue;
    return true;
  }
  if (!value.hasTensor)
    return false;
  if (value.tensorDtype == 1 && value.tensorContent.size() == 4) {
    float scalar;
    std::memcpy(&scalar, value.tensorContent.data(), 4);
    out = scalar;
    return true;
  }
  if (value.tensorDtype == 2 && value.tensorContent.size() == 8) {
    std::memcpy(&out, value.tensorContent.data(), 8);
    return true;
  }
  if (value.floatVal.size() == 1) {
    out = value.floatVal[0];
    return true;
  }
  if (value.doubleVal.size() == 1) {
    out = value.doubleVal[0];
    return true;
  }
  return false;
}

//===----------------------------------------------------------------------===//
// EventWriter
//===----------------------------------------------------------------------===//

double kiln::wallTime() {
  timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  return static_cast<double>(now.tv_sec) + now.tv_nsec * 1e-9;
}

kiln_status_t kiln::makeDirectories(const std::string &path) {
  for (size_t pos = 1; pos <= path.size(); ++pos) {
    if (pos < path.size() && path[pos] != '/')
      continue;
    std::string prefix = path.substr(0, pos);
    if (::mkdir(prefix.c_str(), 0777) == 0 || errno == EEXIST)
      continue;
    return KILN_STATUS(KILN_STATUS_IO_ERROR, "cannot create directory '%s': %s",
                       prefix.c_str(), std::strerror(errno));
  }
  struct stat info;
  if (::stat(path.c_str(), &info) != 0 || !S_ISDIR(info.st_mode))
    return KILN_STATUS(KILN_STATUS_IO_ERROR, "'%s' is not a directory",
                       path.c_str());
  return nullptr;
}

EventWriter::~EventWriter() {
  if (fd >= 0)
    ::close(fd);
}

kiln_status_t EventWriter::open(const std::string &dir) {
  KILN_RETURN_IF_ERROR(makeDirectories(dir));
  char host[256] = "localhost";
  if (::gethostname(host, sizeof(host) - 1) != 0 || !host[0])
    std::strcpy(host, "localhost");
  host[sizeof(host) - 1] = '\0';
  double now = wallTime();
  std::string base = dir + "/events.out.tfevents." +
                     std::to_string(static_cast<int64_t>(now)) + "." + host +
                     "." + std::to_string(::getpid());
  // A second writer of this process in the same second gets a counter, as
  // TensorFlow's writers do.
  for (int attempt = 0; fd < 0; ++attempt) {
    filePath = base + (attempt ? "." + std::to_string(attempt) : "") + ".v2";
    fd =
        ::open(filePath.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0 && (errno != EEXIST || attempt > 1000))
      return KILN_STATUS(KILN_STATUS_IO_ERROR, "cannot create '%s': %s",
                         filePath.c_str(), std::strerror(errno));
  }
  Event version;
  version.wallTime = now;
  version.fileVersion = "brain.Event:2";
  return write(version);
}

kiln_status_t EventWriter::write(const Event &event) {
  if (fd < 0)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT, "event file is not open");
  std::string payload = encodeEvent(event);
  std::string record(kTFRecordHeaderSize, '\0');
  encodeTFRecordHeader(payload.size(), reinterpret_cast<uint8_t *>(&record[0]));
  record += payload;
  uint32_t crc = maskCrc32c(crc32c(
      reinterpret_cast<const uint8_t *>(payload.data()), payload.size()));
  putFixed(record, &crc, sizeof(crc));
  size_t done = 0;
  while (done < record.size()) {
    ssize_t count = ::write(fd, record.data() + done, record.size() - done);
    if (count < 0 && errno == EINTR)
      continue;
    if (count <= 0)
      return KILN_STATUS(KILN_STATUS_IO_ERROR, "cannot write '%s': %s",
                         filePath.c_str(),
                         std::strerror(count < 0 ? errno : EIO));
    done += static_cast<size_t>(count);
  }
  return nullptr;
}

kiln_status_t EventWriter::writeScalar(const std::string &tag, int64_t step,
                                       double value) {
  Event event;
  event.wallTime = wallTime();
  event.step = step;
  event.values.emplace_back();
  EventValue &entry = event.values.back();
  entry.tag = tag;
  entry.pluginName = "scalars";
  entry.hasTensor = true;
  entry.tensorDtype = 1; // DT_FLOAT
  float scalar = static_cast<float>(value);
  entry.tensorContent.assign(reinterpret_cast<const char *>(&scalar), 4);
  return write(event);
}

kiln_status_t EventWriter::writeHistogram(const std::string &tag, int64_t step,
                                          const float *values, int64_t count) {
  Event event;
  event.wallTime = wallTime();
  event.step = step;
  event.values.emplace_back();
  EventValue &entry = event.values.back();
  entry.tag = tag;
  entry.hasHisto = true;
  entry.histo = makeHistogram(values, count);
  return write(event);
}

kiln_status_t EventWriter::close() {
  if (fd < 0)
    return nullptr;
  bool ok = ::fsync(fd) == 0 || errno == EINVAL;
  int error = errno;
  if (::close(fd) != 0 && ok) {
    ok = false;
    error = errno;
  }
  fd = -1;
  if (!ok)
    return KILN_STATUS(KILN_STATUS_IO_ERROR, "cannot write '%s': %s",
                       filePath.c_str(), std::strerror(error));
  return nullptr;
}
