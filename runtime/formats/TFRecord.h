//===- TFRecord.h - TFRecord framing, read and written ----------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// A TFRecord file is a sequence of records, each
//   u64 LE length | masked CRC-32C(length bytes) | data | masked CRC-32C(data)
// optionally compressed as one zlib or gzip stream. `TFRecordReader` and
// `TFRecordWriter` are the C++ side of `kiln_tfrecord_reader_t` and
// `kiln_tfrecord_writer_t`; datasets use the reader directly.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_FORMATS_TFRECORD_H
#define KILN_RUNTIME_FORMATS_TFRECORD_H

#include "kiln/runtime.h"

#include "base/File.h"
#include "base/Memory.h"

#include <string>

#include <sys/stat.h>
#include <zlib.h>

namespace kiln {

/// The size of a record's header (length + its CRC) and footer (data CRC).
constexpr size_t kTFRecordHeaderSize = 12;
constexpr size_t kTFRecordFooterSize = 4;

/// Writes the 12-byte header of a record of `size` bytes to `out`.
void encodeTFRecordHeader(uint64_t size, uint8_t out[kTFRecordHeaderSize]);

/// Returns the options in `options` (NULL: defaults) completed with the
/// defaults of fields an older caller did not know.
kiln_status_t effectiveTFRecordOptions(const kiln_tfrecord_options_t *options,
                                       kiln_tfrecord_options_t &effective);

/// Reads records sequentially from a possibly compressed file.
class TFRecordReader {
public:
  TFRecordReader() = default;
  TFRecordReader(const TFRecordReader &) = delete;
  TFRecordReader &operator=(const TFRecordReader &) = delete;
  ~TFRecordReader();

  /// Opens `path`; call once.
  kiln_status_t open(const char *path, const kiln_tfrecord_options_t &options);

  /// Reads the next record; sets `end` (and returns OK) at the end of the
  /// file. `data` stays valid until the next call.
  kiln_status_t next(const uint8_t *&data, size_t &size, bool &end);

  /// Starts over at the first record without reopening the file, when it
  /// is an uncompressed regular file unchanged since `open` (same inode,
  /// size and mtime); false when the caller must open a new reader instead.
  bool rewind();

  int64_t numRecords() const { return records; }
  /// The index in the file of the record `next` returned last (skipped
  /// records count).
  int64_t recordIndex() const { return index - 1; }
  int64_t numSkipped() const { return skipped; }
  /// What `skip_corrupt` passed over, for a warning ("" when nothing):
  /// the records skipped and their bytes (plus `undecodable` records of
  /// `undecodableBytes` a caller could not decode), and, after a corrupt
  /// length or a truncation, the rest of the file dropped (its offset and
  /// bytes: its records cannot be counted).
  std::string skipReport(int64_t undecodable = 0,
                         uint64_t undecodableBytes = 0) const;
  /// The resolved compression (AUTO resolved on open).
  int32_t compression() const { return mode; }
  /// True once `next` has read a record header whose length CRC holds: the
  /// file is TFRecord-framed, even when that record's data is corrupt.
  bool framed() const { return sawHeader; }

private:
  /// Reads up to `size` bytes; fewer only at the end of the stream.
  kiln_status_t read(uint8_t *out, size_t size, size_t &got);
  kiln_status_t fillInput();
  /// A DATA_LOSS failure for the current record, or, with skip_corrupt, a
  /// count and `end`/`skip` set.
  kiln_status_t corrupt(const char *what, bool resumable, bool &end, bool &skip,
                        uint64_t recordBytes = 0);

  std::string path;
  int fd = -1;
  // Files are read with read(2), never memory-mapped: a file truncated by
  // another process while it is read would raise SIGBUS in a mapping; a
  // read sees the shorter file and reports a truncated record.
  bool rewindable = false; // uncompressed (every input is a regular file)
  int64_t fileSize = -1;   // of a regular file at `open`
  // What skip_corrupt passed over: whole records, then the dropped rest.
  uint64_t skippedBytes = 0;
  int64_t droppedOffset = -1, droppedBytes = -1;
  std::string droppedWhy;
  struct stat identity = {}; // of that file at `open`, for `rewind`
  int32_t mode = KILN_TFRECORD_NONE;
  bool skipCorrupt = false;
  bool failed = false;
  bool finished = false;
  bool sawHeader = false; // see `framed`
  // Compressed input.
  z_stream stream = {};
  bool streamInit = false;
  bool inputEof = false;
  bool streamEnded = false;
  uint64_t totalIn = 0;              // compressed bytes consumed
  const char *streamError = nullptr; // set by `read` on corrupt input
  Buffer input;
  size_t inputUsed = 0, inputSize = 0;
  // Bytes peeked on open (auto-detection) served before the file.
  uint8_t peek[kTFRecordHeaderSize];
  size_t peekSize = 0, peekUsed = 0;
  // The current record.
  Buffer record;
  uint64_t offset = 0; // uncompressed offset of the next record
  int64_t index = 0;   // index of the next record (including skipped ones)
  int64_t records = 0, skipped = 0;
};

/// Writes records to an `AtomicFile` (base/File.h) committed on close.
class TFRecordWriter {
public:
  TFRecordWriter() = default;
  TFRecordWriter(const TFRecordWriter &) = delete;
  TFRecordWriter &operator=(const TFRecordWriter &) = delete;
  /// Removes the temporary file unless closed successfully.
  ~TFRecordWriter();

  kiln_status_t open(const char *path, const kiln_tfrecord_options_t &options);
  kiln_status_t write(const void *data, size_t size);
  kiln_status_t close();

private:
  kiln_status_t emit(const void *data, size_t size, bool finish);
  kiln_status_t writeRaw(const void *data, size_t size);

  std::string path;
  AtomicFile file; // a temporary beside `path` until committed
  bool opened = false;
  int32_t mode = KILN_TFRECORD_NONE;
  bool closed = false;
  z_stream stream = {};
  bool streamInit = false;
  Buffer output;
};

} // namespace kiln

#endif // KILN_RUNTIME_FORMATS_TFRECORD_H
