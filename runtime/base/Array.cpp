//===- Array.cpp - kiln_array_t: creation, access, conversion ---*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Arrays are plain dense row-major buffers with an atomic reference count.
// Sizes are computed with overflow checks because shapes often come from
// outside data (.npy headers). Conversion follows numpy's `astype` for
// floating and bool results (nonzero is true) and refuses lossy integer
// results rather than wrapping; `convertArray` can also refuse bool results
// of elements other than 0 and 1.
//
//===----------------------------------------------------------------------===//
#include "base/Array.h"
#include "base/Memory.h"
#include "base/Status.h"

#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <new>
#include <type_traits>

using namespace kiln;

bool kiln::computeArraySize(int32_t dtype, int32_t rank, const int64_t *dims,
                            int64_t &numElements, size_t &byteSize) {
  size_t elementSize = kiln_dtype_size(dtype);
  if (elementSize == 0 || rank < 0 || rank > KILN_MAX_RANK)
    return false;
  // Sizes stay below PTRDIFF_MAX so pointer arithmetic on them is defined.
  const uint64_t limit = static_cast<uint64_t>(PTRDIFF_MAX);
  uint64_t count = 1;
  bool empty = false;
  for (int32_t i = 0; i < rank; ++i) {
    if (dims[i] < 0)
      return false;
    uint64_t dim = static_cast<uint64_t>(dims[i]);
    if (dim == 0) {
      empty = true;
      continue;
    }
    if (count > limit / dim)
      return false;
    count *= dim;
  }
  if (empty)
    count = 0;
  if (count > limit / elementSize)
    return false;
  numElements = static_cast<int64_t>(count);
  byteSize = static_cast<size_t>(count * elementSize);
  return true;
}

kiln_status_t kiln::createArray(int32_t dtype, int32_t rank,
                                const int64_t *dims, bool zero,
                                kiln_array_t **outArray) {
  if (!outArray)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT, "out_array is NULL");
  if (kiln_dtype_size(dtype) == 0)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT, "unknown dtype %" PRId32,
                       dtype);
  if (rank < 0 || rank > KILN_MAX_RANK)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "rank %" PRId32 " is outside [0, %d]", rank,
                       KILN_MAX_RANK);
  if (rank > 0 && !dims)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT, "dims is NULL");
  int64_t numElements = 0;
  size_t byteSize = 0;
  if (!computeArraySize(dtype, rank, dims, numElements, byteSize))
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "invalid shape %s: negative dimension or too large",
                       formatShape(rank, dims).c_str());

  auto *array = new (std::nothrow) kiln_array_t;
  if (!array)
    return KILN_STATUS(KILN_STATUS_OUT_OF_MEMORY, "out of memory");
  array->data = allocateBuffer(byteSize, zero);
  if (byteSize != 0 && !array->data) {
    delete array;
    return KILN_STATUS(KILN_STATUS_OUT_OF_MEMORY,
                       "out of memory allocating %zu bytes for a %s array",
                       byteSize, kiln_dtype_name(dtype));
  }
  array->refCount.store(1, std::memory_order_relaxed);
  array->dtype = dtype;
  array->rank = rank;
  std::memset(array->dims, 0, sizeof(array->dims));
  for (int32_t i = 0; i < rank; ++i)
    array->dims[i] = dims[i];
  array->numElements = numElements;
  array->byteSize = byteSize;
  *outArray = array;
  return nullptr;
}

std::string kiln::formatShape(int32_t rank, const int64_t *dims) {
  std::string text = "(";
  for (int32_t i = 0; i < rank; ++i) {
    if (i > 0)
      text += ", ";
    text += dims[i] < 0 ? std::string("None") : std::to_string(dims[i]);
  }
  if (rank == 1)
    text += ",";
  text += ")";
  return text;
}

//===----------------------------------------------------------------------===//
// Conversion
//===----------------------------------------------------------------------===//

namespace {

/// The element type of a KILN_DTYPE_BOOL array: one byte, 0 or 1 (any
/// nonzero byte reads as true).
struct Bool {
  uint8_t value;
};
static_assert(sizeof(Bool) == 1, "a bool element is one byte");

/// Converts one element; returns false when `Dst` cannot hold `value` exactly
/// (integer results; with `exactBool`, bool results of values other than 0
/// and 1).
template <typename Dst, typename Src>
bool convertElement(Src value, Dst &result, bool exactBool) {
  if constexpr (std::is_same_v<Src, Bool>) {
    // 0 or 1 in every type.
    return convertElement<Dst, uint8_t>(value.value != 0, result, exactBool);
  } else if constexpr (std::is_same_v<Dst, Bool>) {
    // numpy's astype(bool): nonzero (NaN too) is true.
    result.value = value != 0;
    return !exactBool || value == 0 || value == 1;
  } else if constexpr (std::is_floating_point_v<Dst>) {
    if constexpr (std::is_same_v<Dst, float> && std::is_same_v<Src, double>) {
      // Out-of-range double -> float is undefined in C++; numpy gives inf.
      if (std::isfinite(value) &&
          std::fabs(value) >
              static_cast<double>(std::numeric_limits<float>::max())) {
        result = value > 0 ? std::numeric_limits<float>::infinity()
                           : -std::numeric_limits<float>::infinity();
        return true;
      }
    }
    result = static_cast<Dst>(value);
    return true;
  } else if constexpr (std::is_floating_point_v<Src>) {
    // [lowest, 2^digits) is exactly representable in double for every Dst.
    const double low = static_cast<double>(std::numeric_limits<Dst>::min());
    const double high = std::ldexp(1.0, std::numeric_limits<Dst>::digits);
    double wide = static_cast<double>(value);
    if (!(wide >= low && wide < high) || std::trunc(wide) != wide)
      return false;
    result = static_cast<Dst>(wide);
    return true;
  } else {
    // Every supported integer type fits in int64.
    int64_t wide = static_cast<int64_t>(value);
    if (wide < static_cast<int64_t>(std::numeric_limits<Dst>::min()) ||
        wide > static_cast<int64_t>(std::numeric_limits<Dst>::max()))
      return false;
    result = static_cast<Dst>(wide);
    return true;
  }
}

/// Calls `fn(T{})` with the C++ type of `dtype`; returns false if unknown.
template <typename Fn> bool visitDtype(int32_t dtype, Fn &&fn) {
  switch (dtype) {
  case KILN_DTYPE_F32:
    fn(float{});
    return true;
  case KILN_DTYPE_F64:
    fn(double{});
    return true;
  case KILN_DTYPE_I32:
    fn(int32_t{});
    return true;
  case KILN_DTYPE_I64:
    fn(int64_t{});
    return true;
  case KILN_DTYPE_U8:
    fn(uint8_t{});
    return true;
  case KILN_DTYPE_BOOL:
    fn(Bool{});
    return true;
  default:
    return false;
  }
}

/// Converts all elements; returns the index of the first inexact one or -1.
template <typename Dst, typename Src>
int64_t convertAll(const void *source, void *destination, int64_t count,
                   bool exactBool) {
  const auto *src = static_cast<const Src *>(source);
  auto *dst = static_cast<Dst *>(destination);
  for (int64_t i = 0; i < count; ++i)
    if (!convertElement<Dst, Src>(src[i], dst[i], exactBool))
      return i;
  return -1;
}

/// Prints element `index` of `array` for error messages.
std::string formatElement(const kiln_array_t *array, int64_t index) {
  std::string text;
  visitDtype(array->dtype, [&](auto tag) {
    using T = decltype(tag);
    T value = static_cast<const T *>(array->data)[index];
    if constexpr (std::is_same_v<T, Bool>) {
      text = value.value ? "True" : "False";
    } else if constexpr (std::is_floating_point_v<T>) {
      char buffer[64];
      std::snprintf(buffer, sizeof(buffer), "%.9g", static_cast<double>(value));
      text = buffer;
    } else {
      text = std::to_string(value);
    }
  });
  return text;
}

} // namespace

extern "C" {

kiln_status_t kiln_array_create(int32_t dtype, int32_t rank,
                                const int64_t *dims, kiln_array_t **out_array) {
  return createArray(dtype, rank, dims, /*zero=*/true, out_array);
}

void kiln_array_retain(kiln_array_t *array) {
  if (array)
    array->refCount.fetch_add(1, std::memory_order_relaxed);
}

void kiln_array_release(kiln_array_t *array) {
  if (!array || array->refCount.fetch_sub(1, std::memory_order_acq_rel) != 1)
    return;
  freeBuffer(array->data);
  delete array;
}

int32_t kiln_array_dtype(const kiln_array_t *array) { return array->dtype; }
int32_t kiln_array_rank(const kiln_array_t *array) { return array->rank; }
const int64_t *kiln_array_dims(const kiln_array_t *array) {
  return array->dims;
}
int64_t kiln_array_num_elements(const kiln_array_t *array) {
  return array->numElements;
}
void *kiln_array_data(const kiln_array_t *array) { return array->data; }
size_t kiln_array_byte_size(const kiln_array_t *array) {
  return array->byteSize;
}

size_t kiln_dtype_size(int32_t dtype) {
  size_t size = 0;
  visitDtype(dtype, [&](auto tag) { size = sizeof(tag); });
  return size;
}

const char *kiln_dtype_name(int32_t dtype) {
  switch (dtype) {
  case KILN_DTYPE_F32:
    return "float32";
  case KILN_DTYPE_F64:
    return "float64";
  case KILN_DTYPE_I32:
    return "int32";
  case KILN_DTYPE_I64:
    return "int64";
  case KILN_DTYPE_U8:
    return "uint8";
  case KILN_DTYPE_BOOL:
    return "bool";
  default:
    return "unknown";
  }
}

kiln_status_t kiln_array_convert(const kiln_array_t *array, int32_t dtype,
                                 kiln_array_t **out_array) {
  return convertArray(array, dtype, /*exactBool=*/false, out_array);
}

} // extern "C"

kiln_status_t kiln::convertArray(const kiln_array_t *array, int32_t dtype,
                                 bool exactBool, kiln_array_t **outArray) {
  if (!array || !outArray)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "array and out_array must not be NULL");
  kiln_array_t *result = nullptr;
  KILN_RETURN_IF_ERROR(
      createArray(dtype, array->rank, array->dims, /*zero=*/false, &result));
  int64_t bad = -1;
  visitDtype(dtype, [&](auto dstTag) {
    visitDtype(array->dtype, [&](auto srcTag) {
      bad = convertAll<decltype(dstTag), decltype(srcTag)>(
          array->data, result->data, array->numElements, exactBool);
    });
  });
  if (bad >= 0) {
    kiln_status_t status = KILN_STATUS(
        KILN_STATUS_INVALID_ARGUMENT,
        "cannot convert element %" PRId64 " (%s) from %s to %s exactly", bad,
        formatElement(array, bad).c_str(), kiln_dtype_name(array->dtype),
        kiln_dtype_name(dtype));
    kiln_array_release(result);
    return status;
  }
  *outArray = result;
  return nullptr;
}

int64_t kiln::findNonBoolByte(const kiln_array_t *array) {
  const auto *bytes = static_cast<const uint8_t *>(array->data);
  for (int64_t i = 0; i < array->numElements; ++i)
    if (bytes[i] > 1)
      return i;
  return -1;
}
