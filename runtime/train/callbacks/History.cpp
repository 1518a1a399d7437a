//===- History.cpp - Keras's History callback -------------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// `history.history`: the epoch logs by name, in log order, as JSON
// ({"loss": [...], ...}); rewritten atomically to `history_path` after every
// epoch ("{}" when no epoch ran), and handed to the options' `on_epoch_end`
// (epoch 1-based).
//
// Values are JSON numbers, and null for NaN and infinities: JSON (RFC 8259)
// has no NaN. Keras keeps history.history in memory only; json.dumps of it
// writes the invalid tokens NaN/Infinity, which strict readers (jq,
// JavaScript's JSON.parse) refuse; JSON.stringify writes null, as here.
//
// History runs last in the list, so the file is written after the
// checkpoint of the same epoch: after a crash the checkpoint is never
// behind the history. With `history_path` it also keeps the epochs so far
// in the checkpoint (state record "history"), and a resumed fit starts
// from those (or, from a checkpoint without the record, from the existing
// file), cut to the epochs before the first one it runs: the file
// continues, as Keras's CSVLogger(append=True) does, never restarts.
//
//===----------------------------------------------------------------------===//
#include "base/File.h"
#include "base/Status.h"
#include "train/callbacks/Callback.h"

#include <algorithm>
#include <cctype>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

using namespace kiln;

namespace {

std::string jsonString(const std::string &text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof(escaped), "\\u%04x", c);
      out += escaped;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

constexpr const char *kRecord = "history";

/// A minimal reader of History's own JSON.
class HistoryParser {
public:
  explicit HistoryParser(const std::string &text) : text(text) {}

  bool parse(std::vector<std::string> &names,
             std::vector<std::vector<double>> &values) {
    if (!take('{'))
      return false;
    if (take('}'))
      return atEnd();
    do {
      std::string name;
      if (!string(name) || !take(':') || !take('['))
        return false;
      std::vector<double> list;
      if (!take(']')) {
        do {
          double value = 0;
          if (!number(value))
            return false;
          list.push_back(value);
        } while (take(','));
        if (!take(']'))
          return false;
      }
      names.push_back(std::move(name));
      values.push_back(std::move(list));
    } while (take(','));
    return take('}') && atEnd();
  }

private:
  void space() {
    while (pos < text.size() &&
           std::isspace(static_cast<unsigned char>(text[pos])))
      ++pos;
  }
  bool take(char c) {
    space();
    if (pos < text.size() && text[pos] == c) {
      ++pos;
      return true;
    }
    return false;
  }
  bool word(const char *w) {
    size_t n = std::strlen(w);
    if (text.compare(pos, n, w) != 0)
      return false;
    pos += n;
    return true;
  }
  bool atEnd() {
    space();
    return pos == text.size();
  }
  bool string(std::string &out) {
    if (!take('"'))
      return false;
    while (pos < text.size() && text[pos] != '"') {
      char c = text[pos++];
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos >= text.size())
        return false;
      char e = text[pos++];
      if (e == 'u') {
        if (pos + 4 > text.size())
          return false;
        unsigned code = static_cast<unsigned>(
            std::strtoul(text.substr(pos, 4).c_str(), nullptr, 16));
        pos += 4;
        if (code >= 0x80)
          return false; // History escapes control characters only
        out += static_cast<char>(code);
      } else {
        out += e;
      }
    }
    return take('"');
  }
  bool number(double &out) {
    space();
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const double inf = std::numeric_limits<double>::infinity();
    if (word("null") || word("NaN")) {
      out = nan;
      return true;
    }
    if (word("Infinity")) {
      out = inf;
      return true;
    }
    if (word("-Infinity")) {
      out = -inf;
      return true;
    }
    const char *start = text.c_str() + pos;
    char *end = nullptr;
    out = std::strtod(start, &end);
    if (end == start)
      return false;
    pos += static_cast<size_t>(end - start);
    return true;
  }

  const std::string &text;
  size_t pos = 0;
};

} // namespace

bool kiln::parseHistoryJson(const std::string &text,
                            std::vector<std::string> &names,
                            std::vector<std::vector<double>> &values) {
  std::vector<std::string> n;
  std::vector<std::vector<double>> v;
  if (!HistoryParser(text).parse(n, v))
    return false;
  for (const auto &list : v)
    if (list.size() != v[0].size())
      return false;
  names = std::move(n);
  values = std::move(v);
  return true;
}

std::string kiln::formatJsonDouble(double value) {
  if (!std::isfinite(value))
    return "null";
  char text[64];
  for (int precision = 9; precision <= 17; ++precision) {
    std::snprintf(text, sizeof(text), "%.*g", precision, value);
    if (std::strtod(text, nullptr) == value)
      break;
  }
  return text;
}

kiln_status_t kiln::writeTextAtomic(const char *path, const std::string &text) {
  kiln_status_t status = writeFileAtomically(path, text.data(), text.size());
  if (!status || kiln_status_code(status) == KILN_STATUS_IO_ERROR ||
      kiln_status_code(status) == KILN_STATUS_OUT_OF_MEMORY)
    return status;
  kiln_status_t ioError =
      KILN_STATUS(KILN_STATUS_IO_ERROR, "%s", kiln_status_message(status));
  kiln_status_free(status);
  return ioError;
}

std::string History::json() const {
  std::string json = "{";
  for (size_t k = 0; k < names.size(); ++k) {
    json += (k ? ", " : "") + jsonString(names[k]) + ": [";
    for (size_t e = 0; e < values[k].size(); ++e)
      json += (e ? ", " : "") + formatJsonDouble(values[k][e]);
    json += "]";
  }
  return json + "}\n";
}

void History::truncate(int64_t epochs) {
  for (auto &list : values)
    if (static_cast<int64_t>(list.size()) > epochs)
      list.resize(static_cast<size_t>(epochs));
}

kiln_status_t History::onTrainBegin(FitContext &context) {
  const kiln_fit_options_t &options = *context.options;
  if (!options.resume_path || !options.history_path)
    return nullptr;
  // The existing file: used unless the checkpoint has the record.
  std::ifstream in(options.history_path, std::ios::binary);
  if (!in)
    return nullptr;
  std::stringstream text;
  text << in.rdbuf();
  if (!parseHistoryJson(text.str(), names, values)) {
    names.clear();
    values.clear();
    warn(std::string("--history ") + options.history_path +
         " is not a history file (JSON of lists of numbers); it is "
         "replaced, not continued");
  }
  truncate(context.initialEpoch);
  return nullptr;
}

int64_t History::firstEpoch(const FitContext &context) {
  return context.options->resume_path ? context.initialEpoch : 0;
}

void History::append(std::vector<std::string> &names,
                     std::vector<std::vector<double>> &values,
                     const LogValues &logs, int64_t firstEpoch) {
  // By name: a resumed history may lack a log (new validation data) or
  // have one this fit does not write; those are null, and so are the
  // epochs before `firstEpoch` that it does not hold.
  const double nan = std::numeric_limits<double>::quiet_NaN();
  size_t before = values.empty() ? 0 : values[0].size();
  before = std::max(before, static_cast<size_t>(firstEpoch));
  for (auto &list : values)
    list.resize(before, nan);
  for (const auto &entry : logs) {
    size_t k = 0;
    while (k < names.size() && names[k] != entry.first)
      ++k;
    if (k == names.size()) {
      names.push_back(entry.first);
      values.emplace_back(before, nan);
    }
    if (values[k].size() == before)
      values[k].push_back(entry.second);
  }
  for (auto &list : values)
    if (list.size() == before)
      list.push_back(nan);
}

kiln_status_t History::onEpochEnd(FitContext &context, int64_t epoch,
                                  LogValues &logs) {
  // Only a history file shows the gap (without --history there is none).
  if (!checked && context.options->history_path &&
      epochCount() < firstEpoch(context))
    warn(std::string("the history of epoch(s) ") +
         std::to_string(epochCount() + 1) + ".." +
         std::to_string(firstEpoch(context)) +
         " is neither in the checkpoint nor in the history file; they are "
         "null");
  checked = true;
  append(names, values, logs, firstEpoch(context));
  std::vector<const char *> logNames;
  std::vector<double> logValues;
  for (const auto &entry : logs) {
    logNames.push_back(entry.first.c_str());
    logValues.push_back(entry.second);
  }
  const kiln_fit_options_t &options = *context.options;
  if (options.history_path) {
    KILN_RETURN_IF_ERROR(writeTextAtomic(options.history_path, json()));
    written = true;
  }
  if (options.on_epoch_end)
    options.on_epoch_end(options.user_data, epoch + 1,
                         static_cast<int64_t>(logValues.size()),
                         logNames.data(), logValues.data());
  return nullptr;
}

kiln_status_t History::onTrainEnd(FitContext &context) {
  if (!written && context.options->history_path)
    return writeTextAtomic(context.options->history_path, json());
  return nullptr;
}

void History::saveState(const FitContext &context,
                        StateRecords &records) const {
  if (!context.options->history_path)
    return;
  // A checkpoint written during on_epoch_end (before History's turn) holds
  // the epoch it saves.
  std::vector<std::string> n = names;
  std::vector<std::vector<double>> v = values;
  if (context.epochLogs)
    append(n, v, *context.epochLogs, firstEpoch(context));
  StateWriter writer;
  writer.i64(static_cast<int64_t>(n.size()));
  for (size_t k = 0; k < n.size(); ++k) {
    writer.str(n[k]).i64(static_cast<int64_t>(v[k].size()));
    for (double value : v[k])
      writer.f64(value);
  }
  records.add(kRecord, writer.payload);
}

void History::restoreState(FitContext &context, const StateRecords &records) {
  const std::string *payload = records.find(kRecord);
  if (!payload || !context.options->history_path)
    return;
  StateReader reader(*payload);
  int64_t count = 0;
  std::vector<std::string> n;
  std::vector<std::vector<double>> v;
  if (!reader.i64(count) || count < 0 || count > 1 << 20)
    return;
  for (int64_t k = 0; k < count; ++k) {
    std::string name;
    int64_t size = 0;
    if (!reader.str(name) || !reader.i64(size) || size < 0 || size > 1 << 30)
      return;
    std::vector<double> list;
    for (int64_t e = 0; e < size; ++e) {
      double value = 0;
      if (!reader.f64(value))
        return;
      list.push_back(value);
    }
    n.push_back(std::move(name));
    v.push_back(std::move(list));
  }
  if (!reader.atEnd())
    return;
  names = std::move(n);
  values = std::move(v);
  truncate(context.initialEpoch);
}
