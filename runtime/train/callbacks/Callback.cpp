//===- Callback.cpp - The callback list and shared pieces -------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// CallbackList, the state records of checkpoints, Keras's MonitorCallback
// (Monitor) and Python's float repr. A state record is
// u32 name length, name, u32 payload length, payload; fields inside are
// little-endian i64/f64 and u32-length-prefixed strings.
//
//===----------------------------------------------------------------------===//
#include "train/callbacks/Callback.h"
#include "base/Status.h"
#include "model/Model.h"
#include "train/Metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

using namespace kiln;

namespace {

void putU32(std::string &out, uint32_t value) {
  for (int i = 0; i < 4; ++i)
    out += static_cast<char>(value >> (8 * i));
}

bool getU32(const std::string &in, size_t &offset, uint32_t &value) {
  if (in.size() - offset < 4)
    return false;
  value = 0;
  for (int i = 0; i < 4; ++i)
    value |= uint32_t(static_cast<uint8_t>(in[offset + i])) << (8 * i);
  offset += 4;
  return true;
}

bool getString(const std::string &in, size_t &offset, std::string &value) {
  uint32_t length = 0;
  if (!getU32(in, offset, length) || in.size() - offset < length)
    return false;
  value.assign(in, offset, length);
  offset += length;
  return true;
}

} // namespace

//===----------------------------------------------------------------------===//
// State records
//===----------------------------------------------------------------------===//

bool StateRecords::parse(const std::string &bytes) {
  records.clear();
  size_t offset = 0;
  while (offset < bytes.size()) {
    std::string name, payload;
    if (!getString(bytes, offset, name) || !getString(bytes, offset, payload)) {
      records.clear();
      return false;
    }
    records.emplace_back(std::move(name), std::move(payload));
  }
  return true;
}

void StateRecords::add(const std::string &name, const std::string &payload) {
  records.emplace_back(name, payload);
}

const std::string *StateRecords::find(const std::string &name) const {
  for (const auto &record : records)
    if (record.first == name)
      return &record.second;
  return nullptr;
}

std::string StateRecords::serialize() const {
  std::string out;
  for (const auto &[name, payload] : records) {
    putU32(out, static_cast<uint32_t>(name.size()));
    out += name;
    putU32(out, static_cast<uint32_t>(payload.size()));
    out += payload;
  }
  return out;
}

StateWriter &StateWriter::i64(int64_t value) {
  for (int i = 0; i < 8; ++i)
    payload += static_cast<char>(static_cast<uint64_t>(value) >> (8 * i));
  return *this;
}

StateWriter &StateWriter::f64(double value) {
  int64_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  return i64(bits);
}

StateWriter &StateWriter::str(const std::string &value) {
  putU32(payload, static_cast<uint32_t>(value.size()));
  payload += value;
  return *this;
}

StateWriter &StateWriter::bytes(const void *data, size_t size) {
  payload.append(static_cast<const char *>(data), size);
  return *this;
}

bool StateReader::i64(int64_t &value) {
  if (payload.size() - offset < 8)
    return false;
  uint64_t bits = 0;
  for (int i = 0; i < 8; ++i)
    bits |= uint64_t(static_cast<uint8_t>(payload[offset + i])) << (8 * i);
  offset += 8;
  value = static_cast<int64_t>(bits);
  return true;
}

bool StateReader::f64(double &value) {
  int64_t bits;
  if (!i64(bits))
    return false;
  std::memcpy(&value, &bits, sizeof(value));
  return true;
}

bool StateReader::str(std::string &value) {
  return getString(payload, offset, value);
}

bool StateReader::bytes(void *data, size_t size) {
  if (payload.size() - offset < size)
    return false;
  if (size)
    std::memcpy(data, payload.data() + offset, size);
  offset += size;
  return true;
}

//===----------------------------------------------------------------------===//
// CallbackList
//===----------------------------------------------------------------------===//

kiln_status_t CallbackList::trainBegin(FitContext &context) {
  for (auto &callback : callbacks)
    KILN_RETURN_IF_ERROR(callback->onTrainBegin(context));
  return nullptr;
}

kiln_status_t CallbackList::trainEnd(FitContext &context) {
  for (auto &callback : callbacks)
    KILN_RETURN_IF_ERROR(callback->onTrainEnd(context));
  return nullptr;
}

kiln_status_t CallbackList::epochBegin(FitContext &context, int64_t epoch) {
  for (auto &callback : callbacks)
    KILN_RETURN_IF_ERROR(callback->onEpochBegin(context, epoch));
  return nullptr;
}

kiln_status_t CallbackList::epochEnd(FitContext &context, int64_t epoch,
                                     LogValues &logs) {
  context.epochLogs = &logs;
  for (auto &callback : callbacks)
    if (kiln_status_t status = callback->onEpochEnd(context, epoch, logs)) {
      context.epochLogs = nullptr;
      return status;
    }
  context.epochLogs = nullptr;
  return nullptr;
}

kiln_status_t CallbackList::trainBatchEnd(FitContext &context, int64_t step,
                                          const LogValues &logs) {
  for (auto &callback : callbacks)
    KILN_RETURN_IF_ERROR(callback->onTrainBatchEnd(context, step, logs));
  return nullptr;
}

std::string CallbackList::state(const FitContext &context) const {
  StateRecords records;
  for (const auto &callback : callbacks)
    callback->saveState(context, records);
  return records.serialize();
}

void CallbackList::restore(FitContext &context, const std::string &state) {
  StateRecords records;
  if (state.empty() || !records.parse(state))
    return;
  for (auto &callback : callbacks)
    callback->restoreState(context, records);
}

//===----------------------------------------------------------------------===//
// Monitor
//===----------------------------------------------------------------------===//

Monitor::Monitor(std::string name, int32_t mode, double minDelta)
    : monitored(std::move(name)), requestedMode(mode),
      minDelta(std::fabs(minDelta)) {}

kiln_status_t Monitor::resolve(const kiln_model_t *model, const char *who) {
  if (requestedMode == KILN_MONITOR_MIN || requestedMode == KILN_MONITOR_MAX) {
    greater = requestedMode == KILN_MONITOR_MAX;
  } else if (requestedMode == KILN_MONITOR_AUTO) {
    std::string metric =
        monitored.rfind("val_", 0) == 0 ? monitored.substr(4) : monitored;
    bool known = metric == "loss";
    greater = false;
    const kiln_train_desc_t *train = model->desc->training;
    for (size_t k = 1;
         train && train->num_metrics > 0 && k < model->logNames.size(); ++k) {
      if (model->logNames[k] != metric)
        continue;
      const kiln_metric_desc_t &desc = train->metrics[k - 1];
      MetricKind kind;
      known = std::strcmp(desc.kind, "loss") == 0; // an output's loss
      if (known || !parseMetricKind(desc.kind, kind))
        continue;
      known = true;
      greater = metricImprovesUp(kind);
    }
    bool logged = std::find(model->logNames.begin(), model->logNames.end(),
                            metric) != model->logNames.end();
    if (!known && !logged) {
      std::string names;
      for (const std::string &name : model->logNames)
        names += (names.empty() ? "" : ", ") + name;
      return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                         "%s callback received monitor=%s, but this model "
                         "logs no '%s' (it logs %s, and val_ of each with "
                         "validation data; a metric of the model file that "
                         "kiln does not compute was left out when compiling)",
                         who, monitored.c_str(), metric.c_str(), names.c_str());
    }
    if (!known)
      return KILN_STATUS(
          KILN_STATUS_INVALID_ARGUMENT,
          "%s callback received monitor=%s, but Keras isn't able to "
          "automatically determine whether that metric should be maximized "
          "or minimized. Pass mode=max in order to monitor based on the "
          "highest metric value, or mode=min in order to use the lowest value",
          who, monitored.c_str());
  } else {
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "%s: mode must be auto, min or max (%d)", who,
                       static_cast<int>(requestedMode));
  }
  return nullptr;
}

bool Monitor::isImprovement(double value, bool hasReference,
                            double reference) const {
  if (!hasReference)
    return true;
  // Keras negates min_delta for `less`: value - (-d) < reference.
  return greater ? value - minDelta > reference : value + minDelta < reference;
}

const double *Monitor::find(const LogValues &logs) const {
  for (const auto &entry : logs)
    if (entry.first == monitored)
      return &entry.second;
  return nullptr;
}

std::string Monitor::available(const LogValues &logs) {
  std::string text;
  for (size_t i = 0; i < logs.size(); ++i)
    text += (i ? "," : "") + logs[i].first;
  return text;
}

//===----------------------------------------------------------------------===//
// Formatting
//===----------------------------------------------------------------------===//

std::string kiln::pythonFloat(double value) {
  if (std::isnan(value))
    return "nan";
  if (std::isinf(value))
    return value > 0 ? "inf" : "-inf";
  if (value == 0)
    return std::signbit(value) ? "-0.0" : "0.0";
  char text[64];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(text, sizeof(text), "%.*e", precision - 1, value);
    if (std::strtod(text, nullptr) == value)
      break;
  }
  // text: [-]d[.ddd]e[+-]XX
  std::string all = text, sign, digits;
  size_t pos = 0;
  if (all[0] == '-') {
    sign = "-";
    pos = 1;
  }
  size_t e = all.find('e');
  for (size_t i = pos; i < e; ++i)
    if (all[i] != '.')
      digits += all[i];
  int exponent = std::atoi(all.c_str() + e + 1);
  while (digits.size() > 1 && digits.back() == '0')
    digits.pop_back();
  std::string out;
  if (exponent >= -4 && exponent < 16) {
    if (exponent >= 0) {
      std::string integer = digits.substr(
          0, std::min(digits.size(), static_cast<size_t>(exponent) + 1));
      integer.append(static_cast<size_t>(exponent) + 1 - integer.size(), '0');
      std::string fraction = digits.size() > static_cast<size_t>(exponent) + 1
                                 ? digits.substr(exponent + 1)
                                 : "0";
      out = integer + "." + fraction;
    } else {
      out =
          "0." + std::string(static_cast<size_t>(-exponent - 1), '0') + digits;
    }
  } else {
    out = digits.substr(0, 1);
    if (digits.size() > 1)
      out += "." + digits.substr(1);
    char exp[16];
    std::snprintf(exp, sizeof(exp), "e%c%02d", exponent < 0 ? '-' : '+',
                  std::abs(exponent));
    out += exp;
  }
  return sign + out;
}

void kiln::warn(const std::string &message) {
  std::fflush(stdout);
  std::fprintf(stderr, "warning: %s\n", message.c_str());
  std::fflush(stderr);
}

//===----------------------------------------------------------------------===//
// The list of a fit
//===----------------------------------------------------------------------===//

kiln_status_t kiln::makeCallbacks(const kiln_fit_options_t &options,
                                  CallbackList &list, History *&history) {
  std::unique_ptr<Callback> callback;
  if (options.logdir)
    list.add(makeTensorBoard());
  if (options.terminate_on_nan)
    list.add(makeTerminateOnNaN());
  if (options.early_stopping) {
    KILN_RETURN_IF_ERROR(makeEarlyStopping(options.early_stopping, callback));
    list.add(std::move(callback));
  }
  if (options.reduce_lr_on_plateau) {
    KILN_RETURN_IF_ERROR(
        makeReduceLROnPlateau(options.reduce_lr_on_plateau, callback));
    list.add(std::move(callback));
  }
  if (options.checkpoint_path) {
    KILN_RETURN_IF_ERROR(makeModelCheckpoint(options, callback));
    list.add(std::move(callback));
  } else if (options.checkpoint_best_only) {
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "checkpoint_best_only needs a checkpoint_path");
  }
  if (options.csv_log_path)
    list.add(makeCSVLogger());
  list.add(makeProgbarLogger());
  auto owned = std::make_unique<History>();
  history = owned.get();
  list.add(std::move(owned));
  return nullptr;
}
