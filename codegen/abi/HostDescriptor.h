//===- HostDescriptor.h - A descriptor in the compiler's memory -*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// The kiln_model_desc_t of an imported model built in the compiler's own
// memory (contract 1), for what the driver shares with compiled models: the
// runtime's summary table and weights-file readers, and the library header
// generator (Library.h), which reads only a descriptor. It holds the
// parameters, layers and weights blob and, given the model's signature, the
// inputs, outputs and training configuration; it has no code (every entry
// is NULL).
//===----------------------------------------------------------------------===//

#ifndef KILN_CODEGEN_ABI_HOSTDESCRIPTOR_H
#define KILN_CODEGEN_ABI_HOSTDESCRIPTOR_H

#include "dialects/kiln/Model/ImportedModel.h"
#include "kiln/model.h"

#include "llvm/ADT/SmallVector.h"

#include <string>
#include <vector>

namespace mlir::kiln {

class HostDescriptor {
public:
  /// `signature` (may be NULL) adds the inputs, outputs and training
  /// configuration; it must outlive this object, as must `model`.
  explicit HostDescriptor(const ImportedModel &model,
                          const ModelSignature *signature = nullptr);
  HostDescriptor(const HostDescriptor &) = delete;
  HostDescriptor &operator=(const HostDescriptor &) = delete;

  const kiln_model_desc_t &get() const { return desc; }
  const kiln_model_desc_t *operator->() const { return &desc; }

private:
  kiln_model_desc_t desc = {};
  kiln_train_desc_t training = {};
  std::vector<kiln_layer_desc_t> layers;
  std::vector<kiln_tensor_desc_t> params, inputs, outputs, targets, slots;
  std::vector<kiln_hyper_desc_t> hyper;
  std::vector<kiln_metric_desc_t> metrics;
  std::vector<const char *> keras3Paths;
  llvm::SmallVector<int64_t> offsets;
  std::string blob;
};

} // namespace mlir::kiln

#endif // KILN_CODEGEN_ABI_HOSTDESCRIPTOR_H
