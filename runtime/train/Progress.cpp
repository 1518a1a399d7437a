//===- Progress.cpp - Keras's progress bar (Progbar) ------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// A line-for-line port of the formatting in keras/utils/generic_utils.py
// (`Progbar.update` and `_format_time`), with the step time estimated as
// elapsed / steps.
//
//===----------------------------------------------------------------------===//
#include "train/Progress.h"

#include <cmath>
#include <ctime>
#include <unistd.h>

using namespace kiln;

namespace {

/// Keras's bar width and minimal interval between live updates.
constexpr int kWidth = 30;
constexpr double kInterval = 0.05;

std::string format(const char *fmt, double value) {
  char text[64];
  std::snprintf(text, sizeof(text), fmt, value);
  return text;
}

/// Keras's `_format_time(time_per_unit, "step")`.
std::string formatStepTime(double perStep) {
  if (perStep >= 1 || perStep == 0)
    return format(" %.0fs/step", perStep);
  if (perStep >= 1e-3)
    return format(" %.0fms/step", perStep * 1e3);
  return format(" %.0fus/step", perStep * 1e6);
}

int numDigits(int64_t value) {
  int digits = 1;
  while (value >= 10) {
    value /= 10;
    ++digits;
  }
  return digits;
}

} // namespace

double kiln::monotonicSeconds() {
  timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<double>(now.tv_sec) + now.tv_nsec * 1e-9;
}

ProgressBar::ProgressBar(int64_t target, int verbose, FILE *stream)
    : target(target), verbose(verbose), stream(stream),
      dynamic(isatty(fileno(stream)) != 0), start(monotonicSeconds()) {}

std::string ProgressBar::formatValues(const LogValues &values,
                                      bool absolute) const {
  std::string text;
  for (const auto &[name, value] : values) {
    text += " - " + name + ":";
    double magnitude = absolute ? std::fabs(value) : value;
    text += format(magnitude > 1e-3 ? " %.4f" : " %.4e", value);
  }
  return text;
}

std::string ProgressBar::formatBar(int64_t current) const {
  char count[64];
  std::snprintf(count, sizeof(count), "%*lld/%lld", numDigits(target),
                static_cast<long long>(current),
                static_cast<long long>(target));
  std::string bar = std::string(count) + " [";
  double progress = target ? double(current) / double(target) : 1.0;
  int progWidth = static_cast<int>(kWidth * progress);
  if (progWidth > 0) {
    bar.append(static_cast<size_t>(progWidth - 1), '=');
    bar += current < target ? '>' : '=';
  }
  bar.append(
      static_cast<size_t>(kWidth - (progWidth > kWidth ? kWidth : progWidth)),
      '.');
  return bar + "]";
}

void ProgressBar::update(int64_t current, const LogValues &values) {
  if (verbose != 1 || !dynamic)
    return;
  double now = monotonicSeconds();
  if (lastUpdate >= 0 && now - lastUpdate < kInterval)
    return;
  lastUpdate = now;
  std::string line = formatBar(current);
  double perStep = current ? (now - start) / double(current) : 0;
  double eta = perStep * double(target - current);
  char etaText[64];
  if (eta > 3600)
    std::snprintf(etaText, sizeof(etaText), "%d:%02d:%02d", int(eta / 3600),
                  int(std::fmod(eta, 3600) / 60), int(std::fmod(eta, 60)));
  else if (eta > 60)
    std::snprintf(etaText, sizeof(etaText), "%d:%02d", int(eta / 60),
                  int(std::fmod(eta, 60)));
  else
    std::snprintf(etaText, sizeof(etaText), "%ds", int(eta));
  line += std::string(" - ETA: ") + etaText + formatValues(values, true);
  size_t width = line.size();
  if (previousWidth > width)
    line.append(previousWidth - width, ' ');
  previousWidth = width;
  std::fprintf(stream, "\r%s", line.c_str());
  std::fflush(stream);
}

void ProgressBar::finish(int64_t current, const LogValues &values) {
  if (verbose == 0)
    return;
  double now = monotonicSeconds();
  double perStep = current ? (now - start) / double(current) : 0;
  std::string line;
  if (verbose == 1) {
    line = formatBar(current) + format(" - %.0fs", now - start) +
           formatStepTime(perStep) + formatValues(values, true);
    size_t width = line.size();
    if (previousWidth > width)
      line.append(previousWidth - width, ' ');
    if (dynamic && previousWidth)
      line = "\r" + line;
  } else {
    char count[64];
    std::snprintf(count, sizeof(count), "%*lld/%lld", numDigits(target),
                  static_cast<long long>(current),
                  static_cast<long long>(target));
    line = count + format(" - %.0fs", now - start) + " -" +
           formatStepTime(perStep) + formatValues(values, false);
  }
  std::fprintf(stream, "%s\n", line.c_str());
  std::fflush(stream);
}
