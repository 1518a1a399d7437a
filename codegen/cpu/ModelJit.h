//===- ModelJit.h - A whole model compiled in memory ------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Compiles an imported model for the host the way `kiln compile` does (the
// same pipelines, the same ABI: entry points, weights blob and
// `kiln_model_descriptor`), but links it into this process with LLVM's ORC
// JIT instead of writing an object: what `kiln run` and the ONNX
// conformance runner use, so that a model runs without a linker and a
// temporary file. The descriptor goes to the runtime (kiln_model_create)
// like a compiled executable's.
//===----------------------------------------------------------------------===//

#ifndef KILN_CODEGEN_CPU_MODELJIT_H
#define KILN_CODEGEN_CPU_MODELJIT_H

#include "codegen/cpu/CpuTarget.h"
#include "dialects/kiln/Model/ImportedModel.h"

#include "llvm/Support/Error.h"

#include <memory>

struct kiln_model_desc_t;

namespace llvm::orc {
class LLJIT;
} // namespace llvm::orc

namespace mlir::kiln {

class ModelJit {
public:
  /// Lowers `model` (inference entry points only) for `target` and links
  /// it. The module is consumed by the lowering. Diagnostics of a failing
  /// pass are emitted on the model's context; the error says which stage
  /// failed. With `gpuMappingOnHost`, the code is the GPU's kernels run by
  /// host loops over their blocks and threads (`--target cuda-on-cpu`,
  /// DESIGN.md contract 4).
  static llvm::Expected<std::unique_ptr<ModelJit>>
  compile(ImportedModel &model, const CpuTarget &target,
          bool gpuMappingOnHost = false);
  ~ModelJit();

  /// The model's descriptor, owned by the JIT (it lives as long as this).
  const kiln_model_desc_t *descriptor() const { return desc; }

private:
  ModelJit() = default;
  std::unique_ptr<llvm::orc::LLJIT> jit;
  const kiln_model_desc_t *desc = nullptr;
};

} // namespace mlir::kiln

#endif // KILN_CODEGEN_CPU_MODELJIT_H
