//===- Idx.h - Reading IDX files (the MNIST format) -------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// An IDX file (yann.lecun.com/exdb/mnist) is a 4-byte big-endian magic
// 0x000008NN (type 0x08 = unsigned byte, NN = number of dimensions), NN
// big-endian uint32 dimensions, then the row-major bytes:
// train-images-idx3-ubyte is (60000, 28, 28), train-labels-idx1-ubyte is
// (60000,). Only the unsigned-byte type is read, which is what MNIST and its
// look-alikes (Fashion-MNIST, EMNIST, KMNIST) use.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_FORMATS_IDX_H
#define KILN_RUNTIME_FORMATS_IDX_H

#include "kiln/runtime.h"

namespace kiln {

/// True when `bytes` start with an IDX magic (two zero bytes, a type byte,
/// a rank byte).
bool isIdx(const uint8_t *bytes, size_t size);

/// Parses the whole IDX image `bytes` into a uint8 array; messages name the
/// file `name`.
kiln_status_t parseIdx(const char *name, const uint8_t *bytes, size_t size,
                       kiln_array_t **outArray);

} // namespace kiln

#endif // KILN_RUNTIME_FORMATS_IDX_H
