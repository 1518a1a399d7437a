//===- Hdf5Fuzz.cpp - libFuzzer target: the HDF5 weights reader -*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Parses arbitrary bytes as a Keras 3 .weights.h5 file (formats/Hdf5.h, what
// ./model serve reads version folders with) and reads the datasets the seeds
// (files Keras wrote: seeds/hdf5/) hold, with their shapes, float32 and
// int64 (optimizer/vars/0, an adapted Normalization's count). Failing is
// fine; crashing, reading out of bounds, hanging or leaking is not.
//===----------------------------------------------------------------------===//

#include "formats/Hdf5.h"

#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct Dataset {
    const char *path;
    std::vector<int64_t> dims;
  };
  static const Dataset datasets[] = {{"layers/dense/vars/0", {4, 5}},
                                     {"layers/dense/vars/1", {5}},
                                     {"layers/dense_2/vars/0", {34, 3}},
                                     {"optimizer/vars/0", {}},
                                     {"vars/0", {1}},
                                     {"layers/normalization/vars/2", {}},
                                     {"layers/subtract/vars", {}}};
  kiln::Hdf5File file("fuzz.weights.h5",
                      std::string(reinterpret_cast<const char *>(data), size));
  if (kiln_status_t status = file.parse()) {
    kiln_status_free(status);
    return 0;
  }
  std::vector<float> values(34 * 3);
  for (const Dataset &dataset : datasets)
    kiln_status_free(
        file.readFloat32(dataset.path, dataset.dims, values.data()));
  return 0;
}
