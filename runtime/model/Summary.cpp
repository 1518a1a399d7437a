//===- Summary.cpp - Keras's model.summary() from a descriptor --*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Reproduces, character for character, the table printed by `model.summary()`
// in tf.keras 2.13-2.15 (keras/src/utils/layer_utils.py, `print_summary` with
// its defaults; Keras 3 draws a different, rich-text table, and Keras <= 2.12
// prints no memory sizes). The rules ported here:
//   * Sequential-like models use line_length 65 and positions [.45, .85, 1]
//     (column ends 29, 55, 65) with columns "Layer (type)", "Output Shape",
//     "Param #". Other graphs use line_length 98 and positions
//     [.3, .6, .7, 1] (ends 29, 58, 68, 98) and add "Connected to".
//     Keras calls a Functional model sequential-like when no layer has more
//     than one inbound tensor and the graph never branches; the same test is
//     applied to the descriptor's `connected_to` lists.
//   * Each row starts with one space; a cell is cut to its column width minus
//     three (the last column: its full width), wraps onto further lines, and
//     breaks early after "),", "},", "]," or "',".
//   * Every layer row is followed by a line of spaces; the table ends with
//     '=' * line_length and the parameter totals, whose sizes are 4 bytes per
//     float32 parameter in `readable_memory_size` form ("397.54 KB").
// `connected_to` may hold Keras's rendering ("['dense[0][0]', 'x[0][0]']") or
// just the entries separated by commas or spaces ("dense[0][0] x[0][0]").
//
//===----------------------------------------------------------------------===//
#include "base/Status.h"

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

namespace {

const char *orEmpty(const char *text) { return text ? text : ""; }

/// Splits a `connected_to` string into entries such as "dense[0][0]".
std::vector<std::string> parseConnections(const char *text) {
  std::vector<std::string> entries;
  std::string current;
  auto flush = [&] {
    if (!current.empty())
      entries.push_back(current);
    current.clear();
  };
  const char *p = text;
  while (*p == ' ')
    ++p;
  if (*p == '[') {
    // Keras's list rendering: take the quoted strings.
    while (*p) {
      char quote = *p;
      if (quote != '\'' && quote != '"') {
        ++p;
        continue;
      }
      const char *start = ++p;
      while (*p && *p != quote)
        ++p;
      entries.emplace_back(start, p);
      if (*p)
        ++p;
    }
    return entries;
  }
  for (; *p; ++p) {
    if (*p == ',' || *p == ' ' || *p == '\t' || *p == '\n')
      flush();
    else
      current += *p;
  }
  flush();
  return entries;
}

/// Python's `str()` of a list of strings.
std::string formatConnections(const std::vector<std::string> &entries) {
  std::string text = "[";
  for (size_t i = 0; i < entries.size(); ++i)
    text += (i ? ", '" : "'") + entries[i] + "'";
  return text + "]";
}

/// The layer name of an entry "name[node][tensor]".
std::string sourceLayer(const std::string &entry) {
  return entry.substr(0, entry.find('['));
}

/// Keras's `sequential_like`: every layer has at most one inbound tensor, no
/// layer feeds two others and there is at most one source layer.
bool isSequentialLike(const kiln_model_desc_t &desc,
                      const std::vector<std::vector<std::string>> &inbound) {
  if (std::strcmp(orEmpty(desc.kind), "Sequential") == 0)
    return true;
  std::map<std::string, int> uses;
  int roots = 0;
  for (const auto &entries : inbound) {
    if (entries.size() > 1)
      return false;
    if (entries.empty())
      ++roots;
    for (const std::string &entry : entries)
      if (++uses[sourceLayer(entry)] > 1)
        return false;
  }
  return roots <= 1;
}

/// Port of `print_row` (nested_level 0): appends the lines of one row.
void printRow(std::string &out, std::vector<std::string> fields,
              const std::vector<int> &positions) {
  static const char *const breaks[] = {"),", "},", "],", "',"};
  size_t last = positions.size() - 1;
  auto anyLeft = [&] {
    for (const std::string &field : fields)
      if (!field.empty())
        return true;
    return false;
  };
  while (anyLeft()) {
    std::string line;
    for (size_t col = 0; col < fields.size(); ++col) {
      int start = col > 0 ? positions[col - 1] : 0;
      int space = col != last ? 2 : 0;
      int cutoff = positions[col] - start - space - (col != last ? 1 : 0);
      std::string fit = fields[col].substr(0, static_cast<size_t>(cutoff));
      size_t best = std::string::npos;
      for (const char *mark : breaks) {
        size_t at = fit.find(mark);
        if (at != std::string::npos && at + 2 < best)
          best = at + 2;
      }
      if (best != std::string::npos) {
        cutoff = static_cast<int>(best);
        fit.resize(best);
      }
      if (col == 0)
        line += ' ';
      line += fit;
      line.append(static_cast<size_t>(space), ' ');
      size_t rest = static_cast<size_t>(cutoff);
      fields[col] = rest < fields[col].size() ? fields[col].substr(rest) : "";
      if (static_cast<size_t>(positions[col]) > line.size())
        line.append(positions[col] - line.size(), ' ');
    }
    out += line;
    out += '\n';
  }
}

/// Port of `readable_memory_size`.
std::string readableMemorySize(double size) {
  static const char *const units[] = {"Byte", "KB", "MB", "GB", "TB", "PB"};
  char buffer[64];
  for (const char *unit : units) {
    if (size / 1024 < 1) {
      std::snprintf(buffer, sizeof(buffer), "%.2f %s", size, unit);
      return buffer;
    }
    size /= 1024;
  }
  std::snprintf(buffer, sizeof(buffer), "%.2f %s", size, units[5]);
  return buffer;
}

/// "<count> (<size>)" for the totals lines.
std::string formatCount(int64_t count) {
  return std::to_string(count) + " (" +
         readableMemorySize(static_cast<double>(count) * 4.0) + ")";
}

} // namespace

extern "C" kiln_status_t
kiln_model_format_summary(const kiln_model_desc_t *desc, char **out_text) {
  if (!desc || !out_text)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "desc and out_text must not be NULL");
  if (desc->num_layers < 0 || (desc->num_layers > 0 && !desc->layers))
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "descriptor: invalid layer table (%" PRId64 " entries)",
                       desc->num_layers);

  std::vector<std::vector<std::string>> inbound;
  for (int64_t i = 0; i < desc->num_layers; ++i)
    inbound.push_back(parseConnections(orEmpty(desc->layers[i].connected_to)));
  bool sequentialLike = isSequentialLike(*desc, inbound);
  int lineLength = sequentialLike ? 65 : 98;
  std::vector<double> fractions = sequentialLike
                                      ? std::vector<double>{.45, .85, 1.}
                                      : std::vector<double>{.3, .6, .7, 1.};
  std::vector<int> positions;
  for (double fraction : fractions)
    positions.push_back(static_cast<int>(lineLength * fraction));
  std::vector<std::string> header = {"Layer (type)", "Output Shape", "Param #"};
  if (!sequentialLike)
    header.emplace_back("Connected to");

  std::string out;
  out += "Model: \"" + std::string(orEmpty(desc->name)) + "\"\n";
  out += std::string(lineLength, '_') + "\n";
  printRow(out, header, positions);
  out += std::string(lineLength, '=') + "\n";
  int64_t total = 0, trainable = 0;
  for (int64_t i = 0; i < desc->num_layers; ++i) {
    const kiln_layer_desc_t &layer = desc->layers[i];
    std::vector<std::string> fields = {std::string(orEmpty(layer.name)) + " (" +
                                           orEmpty(layer.class_name) + ")",
                                       orEmpty(layer.output_shape),
                                       std::to_string(layer.num_params)};
    if (!sequentialLike)
      fields.push_back(formatConnections(inbound[i]));
    printRow(out, fields, positions);
    out += std::string(lineLength, ' ') + "\n";
    total += layer.num_params;
    trainable += layer.num_trainable_params;
  }
  out += std::string(lineLength, '=') + "\n";
  out += "Total params: " + formatCount(total) + "\n";
  out += "Trainable params: " + formatCount(trainable) + "\n";
  out += "Non-trainable params: " + formatCount(total - trainable) + "\n";
  out += std::string(lineLength, '_') + "\n";

  char *text = static_cast<char *>(std::malloc(out.size() + 1));
  if (!text)
    return KILN_STATUS(KILN_STATUS_OUT_OF_MEMORY, "out of memory");
  std::memcpy(text, out.c_str(), out.size() + 1);
  *out_text = text;
  return nullptr;
}
