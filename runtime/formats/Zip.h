//===- Zip.h - A minimal reader of zip archives (.npz) ----------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// numpy's `np.savez`/`np.savez_compressed` write a zip archive with one .npy
// member per array, stored or deflated, using zip64 local headers. This
// reader handles exactly that: it walks the central directory (zip64 too) of
// an archive held in memory and extracts a member, inflating it with zlib and
// checking its CRC-32. Nothing in the archive is trusted.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_FORMATS_ZIP_H
#define KILN_RUNTIME_FORMATS_ZIP_H

#include "base/Memory.h"
#include "kiln/runtime.h"

#include <string>
#include <vector>

namespace kiln {

/// One central-directory entry.
struct ZipMember {
  std::string name;
  uint16_t method = 0; // 0 stored, 8 deflated
  uint16_t flags = 0;
  uint32_t crc = 0;
  uint64_t compressedSize = 0;
  uint64_t size = 0;
  uint64_t localOffset = 0;
};

/// True when `bytes` start like a zip archive.
bool isZip(const uint8_t *bytes, size_t size);

/// Lists the members of the archive `bytes`; messages name the file `name`.
kiln_status_t listZip(const char *name, const uint8_t *bytes, size_t size,
                      std::vector<ZipMember> &members);

/// Extracts `member` of the archive `bytes` into `out`, checking its CRC.
kiln_status_t extractZip(const char *name, const uint8_t *bytes, size_t size,
                         const ZipMember &member, Buffer &out);

} // namespace kiln

#endif // KILN_RUNTIME_FORMATS_ZIP_H
