//===- Array.h - The kiln_array_t object and shape helpers ------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// The definition of the opaque `kiln_array_t` shared by the .npy reader, the
// model session and the command line, plus helpers that size and print
// shapes the way numpy/Keras do.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_BASE_ARRAY_H
#define KILN_RUNTIME_BASE_ARRAY_H

#include "kiln/runtime.h"

#include <atomic>
#include <string>

struct kiln_array_t {
  std::atomic<int32_t> refCount;
  int32_t dtype;
  int32_t rank;
  int64_t dims[KILN_MAX_RANK];
  int64_t numElements;
  size_t byteSize;
  void *data; // 64-byte aligned; NULL when byteSize == 0
};

namespace kiln {

/// Computes the element count and byte size of a `dtype` array with shape
/// `dims`; returns false when a dimension is negative or the sizes overflow.
bool computeArraySize(int32_t dtype, int32_t rank, const int64_t *dims,
                      int64_t &numElements, size_t &byteSize);

/// Like `kiln_array_create`, but leaves the data uninitialized unless `zero`.
kiln_status_t createArray(int32_t dtype, int32_t rank, const int64_t *dims,
                          bool zero, kiln_array_t **outArray);

/// `kiln_array_convert`; with `exactBool`, a BOOL result also refuses
/// elements other than 0 and 1 (as integer results refuse fractions), where
/// `kiln_array_convert` makes any nonzero element true.
kiln_status_t convertArray(const kiln_array_t *array, int32_t dtype,
                           bool exactBool, kiln_array_t **outArray);

/// The index of the first element of the BOOL array `array` whose byte is
/// neither 0 nor 1, or -1.
int64_t findNonBoolByte(const kiln_array_t *array);

/// Renders a shape as a Python tuple: "()", "(5,)", "(None, 4)". A dimension
/// of -1 prints as "None".
std::string formatShape(int32_t rank, const int64_t *dims);

} // namespace kiln

#endif // KILN_RUNTIME_BASE_ARRAY_H
