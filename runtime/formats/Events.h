//===- Events.h - TensorBoard event files, written and read -----*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// TensorBoard reads `events.out.tfevents.*` files: TFRecord-framed
// `tensorflow.Event` protos. The runtime writes them by hand (no protobuf),
// with only the fields it needs (TensorFlow's field numbers):
//   Event           { double wall_time = 1; int64 step = 2;
//                     string file_version = 3; Summary summary = 5; }
//   Summary         { repeated Value value = 1; }
//   Summary.Value   { string tag = 1; float simple_value = 2;
//                     HistogramProto histo = 5; TensorProto tensor = 8;
//                     SummaryMetadata metadata = 9; }
//   SummaryMetadata { PluginData plugin_data = 1; }
//   PluginData      { string plugin_name = 1; bytes content = 2; }
//   HistogramProto  { double min = 1, max = 2, num = 3, sum = 4,
//                     sum_squares = 5; repeated double bucket_limit = 6
//                     [packed]; repeated double bucket = 7 [packed]; }
//   TensorProto     { DataType dtype = 1; TensorShapeProto tensor_shape = 2;
//                     bytes tensor_content = 4; repeated float float_val = 5;
//                     repeated double double_val = 6; }
//   TensorShapeProto { repeated Dim dim = 2 { int64 size = 1; } }
// Scalars are written the TF2 way (`tf.summary.scalar`): a rank-0 DT_FLOAT
// tensor whose 4-byte little-endian `tensor_content` is the value, with
// plugin "scalars". Histograms too (`tf.summary.histogram`): a DT_DOUBLE
// tensor of shape [30, 3], rows (left edge, right edge, count), plugin
// "histograms". HistogramProto is only read (TF1 writers).
//
// `decodeEvent` reads the same subset back (and `simple_value`, float_val,
// double_val as TF1 and older writers use them); unknown fields are skipped.
// Tests use it, and it keeps the writer honest.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_FORMATS_EVENTS_H
#define KILN_RUNTIME_FORMATS_EVENTS_H

#include "kiln/runtime.h"

#include <cstdint>
#include <string>
#include <sys/types.h>
#include <vector>

namespace kiln {

/// A HistogramProto.
struct Histogram {
  double min = 0, max = 0, num = 0, sum = 0, sumSquares = 0;
  std::vector<double> bucketLimit, bucket;
};

/// One Summary.Value, decoded.
struct EventValue {
  std::string tag;
  bool hasSimpleValue = false;
  float simpleValue = 0;
  std::string pluginName;
  bool hasTensor = false;
  int32_t tensorDtype = 0;
  std::vector<int64_t> tensorShape;
  std::string tensorContent;
  std::vector<float> floatVal;
  std::vector<double> doubleVal;
  bool hasHisto = false;
  Histogram histo;
};

/// One Event, decoded.
struct Event {
  double wallTime = 0;
  int64_t step = 0;
  std::string fileVersion;
  std::vector<EventValue> values;
};

/// The [bucketCount, 3] rows (left, right, count), row-major, that
/// TensorBoard's `tf.summary.histogram` writes for `values[count]`:
/// equal-width buckets over [min, max], value v in bucket
/// min(floor((v - min) / width), k - 1); all values equal: every edge at
/// the value and the count in the last bucket; no values: all zeros.
/// Non-finite values are left out (TensorFlow would fail on them).
std::vector<double> histogramBuckets(const float *values, int64_t count,
                                     int32_t bucketCount = 30);

/// Serializes `event` (Event proto wire format).
std::string encodeEvent(const Event &event);

/// Decodes the Event proto `data[0, size)`. Malformed input is DATA_LOSS.
kiln_status_t decodeEvent(const uint8_t *data, size_t size, Event &event);

/// The scalar of a value: `simple_value`, else a one-element DT_FLOAT or
/// DT_DOUBLE tensor (tensor_content, float_val or double_val). False when
/// `value` holds none.
bool eventScalar(const EventValue &value, double &out);

/// Appends events to `<dir>/events.out.tfevents.<time>.<host>.<pid>.v2`,
/// one TFRecord record each, written through (no buffering) so TensorBoard
/// sees them while training runs. The directory is created as needed and
/// the first event is the "brain.Event:2" file version. A failed write
/// leaves the file at its last complete record (ftruncate) and fails every
/// later write with the same error.
class EventWriter {
public:
  EventWriter() = default;
  EventWriter(const EventWriter &) = delete;
  EventWriter &operator=(const EventWriter &) = delete;
  ~EventWriter();

  kiln_status_t open(const std::string &dir);
  bool isOpen() const { return fd >= 0; }
  const std::string &path() const { return filePath; }

  kiln_status_t write(const Event &event);
  /// One TF2 scalar summary of `tag` at `step`.
  kiln_status_t writeScalar(const std::string &tag, int64_t step, double value);
  /// One TF2 histogram summary of `values[count]` at `step`.
  kiln_status_t writeHistogram(const std::string &tag, int64_t step,
                               const float *values, int64_t count);
  /// Syncs and closes the file.
  kiln_status_t close();

private:
  std::string filePath;
  int fd = -1;
  off_t complete = 0;  // bytes of the complete records written
  int64_t records = 0; // their number
  std::string failure; // the first failed write's error, repeated after it
};

/// The current wall time in seconds since the epoch.
double wallTime();

/// Creates directory `path` and its parents (`mkdir -p`).
kiln_status_t makeDirectories(const std::string &path);

} // namespace kiln

#endif // KILN_RUNTIME_FORMATS_EVENTS_H
