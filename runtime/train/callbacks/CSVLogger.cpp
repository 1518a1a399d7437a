//===- CSVLogger.cpp - Keras's CSVLogger callback ---------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// A port of keras/src/callbacks/csv_logger.py (Keras 3.15) with Python's
// csv.excel dialect: the first epoch fixes the columns, "epoch" then the
// sorted log names, plus "val_<name>" for each when no "val_" log is there
// (Keras adds them for validation_freq; they hold "NA"); one row per epoch
// (0-based epoch, values as Python's repr(float)), "\r\n" line ends,
// flushed after every row. Append mode (`csv_append`, `train --resume`)
// writes no header when the file already starts with a line. When resuming
// (`resume_path`), rows of the epochs this fit runs again (epoch >= the
// first one it runs: a run that got further than its checkpoint) are
// dropped first, so the log holds each epoch once, in order.
//
//===----------------------------------------------------------------------===//
#include "base/File.h"
#include "base/Status.h"
#include "train/callbacks/Callback.h"

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>

using namespace kiln;

namespace {

/// A field as csv.excel writes it (QUOTE_MINIMAL).
std::string csvField(const std::string &text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos)
    return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"')
      out += '"';
    out += c;
  }
  return out + "\"";
}

class CSVLogger : public Callback {
public:
  ~CSVLogger() override {
    if (file)
      std::fclose(file);
  }

  kiln_status_t onTrainBegin(FitContext &context) override {
    const char *path = context.options->csv_log_path;
    if (!*path)
      return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT, "csv_log_path is empty");
    bool append = context.options->csv_append != 0;
    writeHeader = true;
    if (append && context.options->resume_path)
      KILN_RETURN_IF_ERROR(dropRowsFrom(path, context.initialEpoch));
    if (append) {
      if (FILE *existing = std::fopen(path, "rb")) {
        int c = std::fgetc(existing);
        writeHeader = c == EOF;
        std::fclose(existing);
      }
    }
    file = std::fopen(path, append ? "ab" : "wb");
    if (!file)
      return errnoStatus(errno, "open", path);
    this->path = path;
    return nullptr;
  }

  kiln_status_t onEpochEnd(FitContext &, int64_t epoch,
                           LogValues &logs) override {
    if (!keysSet) {
      keysSet = true;
      for (const auto &entry : logs)
        keys.push_back(entry.first);
      std::sort(keys.begin(), keys.end());
      bool hasValidation = false;
      for (const std::string &key : keys)
        hasValidation = hasValidation || key.rfind("val_", 0) == 0;
      if (!hasValidation) {
        size_t count = keys.size();
        for (size_t k = 0; k < count; ++k)
          keys.push_back("val_" + keys[k]);
      }
      if (writeHeader) {
        std::string header = "epoch";
        for (const std::string &key : keys)
          header += "," + csvField(key);
        KILN_RETURN_IF_ERROR(writeLine(header));
      }
    }
    std::string row = std::to_string(epoch);
    for (const std::string &key : keys) {
      std::string value = "NA";
      for (const auto &entry : logs)
        if (entry.first == key)
          value = pythonFloat(entry.second);
      row += "," + value;
    }
    return writeLine(row);
  }

  kiln_status_t onTrainEnd(FitContext &) override {
    FILE *closing = file;
    file = nullptr;
    if (closing && std::fclose(closing) != 0)
      return errnoStatus(errno, "close", path.c_str());
    return nullptr;
  }

private:
  /// Rewrites `path` (atomically) without the rows of epochs >= `epoch`;
  /// a missing file or one with no such row is left alone.
  static kiln_status_t dropRowsFrom(const char *path, int64_t epoch) {
    FILE *existing = std::fopen(path, "rb");
    if (!existing)
      return nullptr;
    std::string text;
    char chunk[4096];
    size_t count = 0;
    while ((count = std::fread(chunk, 1, sizeof(chunk), existing)) > 0)
      text.append(chunk, count);
    std::fclose(existing);
    std::string kept;
    bool dropped = false;
    size_t start = 0;
    for (bool first = true; start < text.size(); first = false) {
      size_t end = text.find('\n', start);
      end = end == std::string::npos ? text.size() : end + 1;
      std::string line = text.substr(start, end - start);
      start = end;
      char *rest = nullptr;
      long long row = std::strtoll(line.c_str(), &rest, 10);
      bool isRow = !first && rest != line.c_str() && *rest == ',';
      if (isRow && row >= epoch) {
        dropped = true;
        continue;
      }
      kept += line;
    }
    return dropped ? writeTextAtomic(path, kept) : nullptr;
  }

  kiln_status_t writeLine(const std::string &line) {
    std::string text = line + "\r\n";
    if (std::fwrite(text.data(), 1, text.size(), file) != text.size() ||
        std::fflush(file) != 0)
      return errnoStatus(errno ? errno : EIO, "write", path.c_str());
    return nullptr;
  }

  FILE *file = nullptr;
  std::string path;
  bool writeHeader = true, keysSet = false;
  std::vector<std::string> keys;
};

} // namespace

std::unique_ptr<Callback> kiln::makeCSVLogger() {
  return std::make_unique<CSVLogger>();
}
