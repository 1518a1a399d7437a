//===- Events.cpp - TensorBoard event files, written and read ---*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// The Event proto subset of Events.h in protobuf wire format, by hand, and
// the TFRecord-framed event file writer. Records are written with one
// write(2) each and never buffered, so a crash loses at most the event being
// written, and TensorBoard (which tails the file) sees every epoch at once.
// A write that fails (a full disk, a file size limit) may have written
// part of its record: the file is cut back (ftruncate) to the end of the
// last complete record, so it never ends in a torn one, and the writer
// refuses further writes with the same error.
//
//===----------------------------------------------------------------------===//
#include "formats/Events.h"
#include "base/File.h"
#include "base/Status.h"
#include "formats/Crc32c.h"
#include "formats/ProtoWire.h"
#include "formats/TFRecord.h"

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

/// Reads a repeated fixed-width field, packed or not, into `out`.
template <typename T>
bool readRepeated(WireReader &reader, uint32_t wire, std::vector<T> &out) {
  if (wire == kLengthDelimited) {
    const uint8_t *data;
    size_t size;
    if (!reader.delimited(data, size) || size % sizeof(T))
      return false;
    size_t old = out.size();
    out.resize(old + size / sizeof(T));
    if (size)
      std::memcpy(out.data() + old, data, size);
    return true;
  }
  T value;
  if (wire != (sizeof(T) == 8 ? kFixed64 : kFixed32) ||
      !reader.fixed(&value, sizeof(T)))
    return false;
  out.push_back(value);
  return true;
}

/// Reads a length-delimited field as a string.
bool readString(WireReader &reader, std::string &out) {
  const uint8_t *data;
  size_t size;
  if (!reader.delimited(data, size))
    return false;
  out.assign(reinterpret_cast<const char *>(data), size);
  return true;
}

bool decodeHistogram(WireReader reader, Histogram &histo) {
  return reader.fields([&](uint32_t field, uint32_t wire, const uint8_t *) {
    double *scalar = field == 1   ? &histo.min
                     : field == 2 ? &histo.max
                     : field == 3 ? &histo.num
                     : field == 4 ? &histo.sum
                     : field == 5 ? &histo.sumSquares
                                  : nullptr;
    return scalar && wire == kFixed64 ? reader.fixed(scalar, 8)
           : field == 6 ? readRepeated(reader, wire, histo.bucketLimit)
           : field == 7 ? readRepeated(reader, wire, histo.bucket)
                        : reader.skip(wire);
  });
}

/// TensorShapeProto { repeated Dim dim = 2; }, Dim { int64 size = 1; }.
bool decodeShape(WireReader reader, std::vector<int64_t> &shape) {
  return reader.fields([&](uint32_t field, uint32_t wire, const uint8_t *) {
    WireReader dim;
    if (field != 2 || wire != kLengthDelimited)
      return reader.skip(wire);
    uint64_t size = 0;
    bool ok =
        reader.message(dim) &&
        dim.fields([&](uint32_t dimField, uint32_t dimWire, const uint8_t *) {
          return dimField == 1 && dimWire == kVarint ? dim.varint(size)
                                                     : dim.skip(dimWire);
        });
    shape.push_back(static_cast<int64_t>(size));
    return ok;
  });
}

bool decodeTensor(WireReader reader, EventValue &value) {
  value.hasTensor = true;
  return reader.fields([&](uint32_t field, uint32_t wire, const uint8_t *) {
    uint64_t dtype;
    WireReader shape;
    if (field == 1 && wire == kVarint) {
      if (!reader.varint(dtype))
        return false;
      value.tensorDtype = static_cast<int32_t>(dtype);
      return true;
    }
    if (field == 2 && wire == kLengthDelimited) {
      value.tensorShape.clear();
      return reader.message(shape) && decodeShape(shape, value.tensorShape);
    }
    if (field == 4 && wire == kLengthDelimited)
      return readString(reader, value.tensorContent);
    return field == 5   ? readRepeated(reader, wire, value.floatVal)
           : field == 6 ? readRepeated(reader, wire, value.doubleVal)
                        : reader.skip(wire);
  });
}

/// Reads SummaryMetadata { PluginData plugin_data = 1; }'s
/// PluginData { string plugin_name = 1; }.
bool decodeMetadata(WireReader reader, std::string &plugin) {
  return reader.fields([&](uint32_t field, uint32_t wire, const uint8_t *) {
    WireReader data;
    if (field != 1 || wire != kLengthDelimited)
      return reader.skip(wire);
    return reader.message(data) &&
           data.fields(
               [&](uint32_t dataField, uint32_t dataWire, const uint8_t *) {
                 return dataField == 1 && dataWire == kLengthDelimited
                            ? readString(data, plugin)
                            : data.skip(dataWire);
               });
  });
}

bool decodeValue(WireReader reader, EventValue &value) {
  return reader.fields([&](uint32_t field, uint32_t wire, const uint8_t *) {
    WireReader nested;
    if (wire == kLengthDelimited && field == 1)
      return readString(reader, value.tag);
    if (field == 2 && wire == kFixed32) {
      value.hasSimpleValue = true;
      return reader.fixed(&value.simpleValue, 4);
    }
    if (wire != kLengthDelimited || (field != 5 && field != 8 && field != 9))
      return reader.skip(wire);
    if (!reader.message(nested))
      return false;
    value.hasHisto = value.hasHisto || field == 5;
    return field == 5   ? decodeHistogram(nested, value.histo)
           : field == 8 ? decodeTensor(nested, value)
                        : decodeMetadata(nested, value.pluginName);
  });
}

} // namespace

std::vector<double> kiln::histogramBuckets(const float *values, int64_t count,
                                           int32_t bucketCount) {
  auto k = static_cast<size_t>(bucketCount > 0 ? bucketCount : 1);
  std::vector<double> out(3 * k, 0.0);
  double low = 0, high = 0;
  int64_t finite = 0;
  for (int64_t i = 0; i < count; ++i) {
    double value = values[i];
    if (!std::isfinite(value))
      continue;
    low = finite == 0 || value < low ? value : low;
    high = finite == 0 || value > high ? value : high;
    ++finite;
  }
  if (finite == 0)
    return out;
  if (!(high > low)) {
    // All equal: every edge at the value, the count in the last bucket.
    for (size_t b = 0; b < k; ++b)
      out[3 * b] = out[3 * b + 1] = low;
    out[3 * k - 1] = static_cast<double>(finite);
    return out;
  }
  double range = high - low, width = range / static_cast<double>(k);
  for (size_t b = 0; b < k; ++b) {
    // numpy/tf linspace(low, high, k + 1): low + b * (range / k), the last
    // edge exactly `high`.
    out[3 * b] = low + static_cast<double>(b) * width;
    out[3 * b + 1] =
        b + 1 == k ? high : low + static_cast<double>(b + 1) * width;
  }
  for (int64_t i = 0; i < count; ++i) {
    double value = values[i];
    if (!std::isfinite(value))
      continue;
    double index = std::floor((value - low) / width);
    size_t b = index >= static_cast<double>(k - 1) ? k - 1
                                                   : static_cast<size_t>(index);
    out[3 * b + 2] += 1;
  }
  return out;
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
  WireError error;
  WireReader reader(data, size, error);
  bool ok = reader.fields([&](uint32_t field, uint32_t wire, const uint8_t *) {
    uint64_t step;
    WireReader summary;
    if (field == 1 && wire == kFixed64)
      return reader.fixed(&event.wallTime, 8);
    if (field == 2 && wire == kVarint) {
      if (!reader.varint(step))
        return false;
      event.step = static_cast<int64_t>(step);
      return true;
    }
    if (field == 3 && wire == kLengthDelimited)
      return readString(reader, event.fileVersion);
    if (field != 5 || wire != kLengthDelimited)
      return reader.skip(wire);
    // Summary { repeated Value value = 1; }
    return reader.message(summary) && summary.fields([&](uint32_t valueField,
                                                         uint32_t valueWire,
                                                         const uint8_t *) {
      WireReader value;
      if (valueField != 1 || valueWire != kLengthDelimited)
        return summary.skip(valueWire);
      event.values.emplace_back();
      return summary.message(value) && decodeValue(value, event.values.back());
    });
  });
  if (!ok)
    return KILN_STATUS(KILN_STATUS_DATA_LOSS,
                       "malformed Event proto (%zu bytes)%s%s", size,
                       error.what ? ": " : "", error.what ? error.what : "");
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
  if (!failure.empty())
    return KILN_STATUS(KILN_STATUS_IO_ERROR, "%s", failure.c_str());
  if (!writeFully(fd, record.data(), record.size())) {
    int error = errno ? errno : EIO;
    // Cut a partly written record off: the file ends with a whole one.
    bool cut = ::ftruncate(fd, complete) == 0 &&
               ::lseek(fd, complete, SEEK_SET) == complete;
    failure = "cannot write '" + filePath + "': " + std::strerror(error) +
              (cut ? " (the file keeps its " + std::to_string(records) +
                         " complete record(s))"
                   : " (and cannot cut it back to its last complete "
                     "record: " +
                         std::string(std::strerror(errno)) + ")");
    return KILN_STATUS(KILN_STATUS_IO_ERROR, "%s", failure.c_str());
  }
  complete += static_cast<off_t>(record.size());
  ++records;
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
  entry.pluginName = "histograms";
  entry.hasTensor = true;
  entry.tensorDtype = 2; // DT_DOUBLE
  std::vector<double> buckets = histogramBuckets(values, count);
  entry.tensorShape = {static_cast<int64_t>(buckets.size() / 3), 3};
  entry.tensorContent.assign(reinterpret_cast<const char *>(buckets.data()),
                             buckets.size() * sizeof(double));
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
