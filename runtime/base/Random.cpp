//===- Random.cpp - Seeds for runs without one ------------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//===----------------------------------------------------------------------===//
#include "base/Random.h"

#include <ctime>
#include <unistd.h>

int64_t kiln::randomSeed() {
  timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  Random random(uint64_t(now.tv_nsec) ^ (uint64_t(now.tv_sec) << 20) ^
                uint64_t(::getpid()));
  return static_cast<int64_t>(random.next() >> 1);
}
