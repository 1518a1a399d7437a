//===- History.cpp - Keras's History callback -------------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// `history.history`: the epoch logs by name, in log order, as JSON
// ({"loss": [...], ...}); rewritten atomically to `history_path` after every
// epoch ("{}" when no epoch ran), and handed to the options' `on_epoch_end`
// (epoch 1-based).
//
//===----------------------------------------------------------------------===//
#include "base/File.h"
#include "base/Status.h"
#include "train/callbacks/Callback.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

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

} // namespace

std::string kiln::formatJsonDouble(double value) {
  if (std::isnan(value))
    return "NaN";
  if (std::isinf(value))
    return value > 0 ? "Infinity" : "-Infinity";
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

kiln_status_t History::onEpochEnd(FitContext &context, int64_t epoch,
                                  LogValues &logs) {
  if (names.empty())
    for (const auto &entry : logs)
      names.push_back(entry.first);
  values.resize(names.size());
  std::vector<const char *> logNames;
  std::vector<double> logValues;
  for (size_t k = 0; k < logs.size() && k < names.size(); ++k) {
    values[k].push_back(logs[k].second);
    logNames.push_back(names[k].c_str());
    logValues.push_back(logs[k].second);
  }
  const kiln_fit_options_t &options = *context.options;
  if (options.history_path)
    KILN_RETURN_IF_ERROR(writeTextAtomic(options.history_path, json()));
  if (options.on_epoch_end)
    options.on_epoch_end(options.user_data, epoch + 1,
                         static_cast<int64_t>(logValues.size()),
                         logNames.data(), logValues.data());
  return nullptr;
}

kiln_status_t History::onTrainEnd(FitContext &context) {
  if (names.empty() && context.options->history_path)
    return writeTextAtomic(context.options->history_path, "{}\n");
  return nullptr;
}
