//===- Idx.cpp - Reading IDX files (the MNIST format) -----------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// The header is checked completely (type, rank, overflow-checked size) and
// the data length must match the dimensions exactly, so a truncated or
// padded file is reported rather than misread. Compressed files are already
// inflated by the caller (Dataset.cpp reads every file through zlib).
//
//===----------------------------------------------------------------------===//
#include "formats/Idx.h"
#include "base/Array.h"
#include "base/Status.h"

#include <cinttypes>
#include <cstring>

using namespace kiln;

namespace {

/// The IDX type code of unsigned bytes.
constexpr uint8_t kTypeUnsignedByte = 0x08;

} // namespace

bool kiln::isIdx(const uint8_t *bytes, size_t size) {
  return size >= 4 && bytes[0] == 0 && bytes[1] == 0 && bytes[2] >= 0x08 &&
         bytes[2] <= 0x0e && bytes[3] >= 1;
}

kiln_status_t kiln::parseIdx(const char *name, const uint8_t *bytes,
                             size_t size, kiln_array_t **outArray) {
  if (size < 4 || bytes[0] != 0 || bytes[1] != 0)
    return KILN_STATUS(KILN_STATUS_DATA_LOSS,
                       "%s: not an IDX file (bad magic bytes)", name);
  if (bytes[2] != kTypeUnsignedByte)
    return KILN_STATUS(KILN_STATUS_UNIMPLEMENTED,
                       "%s: IDX element type 0x%02x is not supported (only "
                       "0x08, unsigned byte)",
                       name, bytes[2]);
  int32_t rank = bytes[3];
  if (rank < 1)
    return KILN_STATUS(KILN_STATUS_DATA_LOSS, "%s: IDX file of rank 0", name);
  size_t headerSize = 4 + 4 * static_cast<size_t>(rank);
  if (size < headerSize)
    return KILN_STATUS(KILN_STATUS_DATA_LOSS,
                       "%s: truncated IDX header: %zu bytes, %zu needed", name,
                       size, headerSize);
  int64_t dims[256];
  for (int32_t d = 0; d < rank; ++d) {
    const uint8_t *p = bytes + 4 + 4 * d;
    dims[d] = (int64_t(p[0]) << 24) | (int64_t(p[1]) << 16) |
              (int64_t(p[2]) << 8) | int64_t(p[3]);
  }
  int64_t numElements = 0;
  size_t byteSize = 0;
  if (rank > KILN_MAX_RANK ||
      !computeArraySize(KILN_DTYPE_U8, rank, dims, numElements, byteSize))
    return KILN_STATUS(KILN_STATUS_DATA_LOSS,
                       "%s: IDX shape of rank %" PRId32 " is too large", name,
                       rank);
  std::string shape = formatShape(rank, dims);
  if (size - headerSize != byteSize)
    return KILN_STATUS(KILN_STATUS_DATA_LOSS,
                       "%s: %s IDX data of shape %s needs %zu bytes, the file "
                       "has %zu",
                       name, size - headerSize < byteSize ? "truncated" : "bad",
                       shape.c_str(), byteSize, size - headerSize);
  kiln_array_t *array = nullptr;
  KILN_RETURN_IF_ERROR(
      createArray(KILN_DTYPE_U8, rank, dims, /*zero=*/false, &array));
  if (byteSize)
    std::memcpy(array->data, bytes + headerSize, byteSize);
  *outArray = array;
  return nullptr;
}
