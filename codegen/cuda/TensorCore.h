//===- TensorCore.h - Warp matrix products for the tiled GEMM ---*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// `--gpu-precision tf32|bf16`: kiln-cuda-map-to-gpu's tiled matrix product
// multiplies its shared-memory tiles with the tensor cores' warp-wide
// `mma.sync` (m16n8k8 for TF32, m16n8k16 for BF16, float sums) instead of
// one fused multiply-add per product. Here: the fragment layouts of those
// two instructions (PTX ISA, "Matrix fragments for mma.m16n8k8" and
// "mma.m16n8k16"), the rounding of a float to the multiplicand type, the
// nvvm.mma.sync itself, and its emulation by host loops (contract 4).
//===----------------------------------------------------------------------===//

#ifndef KILN_CODEGEN_CUDA_TENSORCORE_H
#define KILN_CODEGEN_CUDA_TENSORCORE_H

#include "mlir/IR/Builders.h"
#include "llvm/ADT/StringRef.h"

#include <optional>

namespace mlir::kiln {

/// The multiplicand type of the GPU's matrix products.
enum class GpuPrecision { FP32, TF32, BF16 };

/// "fp32", "tf32" or "bf16"; nullopt for anything else.
std::optional<GpuPrecision> parseGpuPrecision(llvm::StringRef name);

/// One warp's `mma.sync` of 16 rows of A by 8 columns of B over kMma steps
/// of k, float sums: four sums per lane, A in 4 registers of 32 bits, B in
/// 2 (TF32: one element each; BF16: two, the lower k in the low half).
struct WarpMma {
  GpuPrecision precision;

  int64_t kSteps() const { return precision == GpuPrecision::BF16 ? 16 : 8; }

  /// `value` rounded to the multiplicand type and widened back: TF32 keeps
  /// 10 mantissa bits (round to nearest, ties away: cvt.rna.tf32.f32), BF16
  /// 7 (to nearest even). Infinities stay; a NaN stays a NaN. On the host
  /// (emulation), integer arithmetic on the bits; in a kernel (`onGpu`),
  /// the conversion instructions that round the same way (cvt.rna.tf32.f32;
  /// cvt.rn.bf16.f32 and back), one or two instructions where the bits
  /// take seven or eight.
  Value round(OpBuilder &b, Location loc, Value value, bool onGpu) const;

  /// Lane `lane`'s registers of A, rows `row0` .. +15 and steps `k0` ..
  /// +kMma of `tile` (memref<K x M>, k-major, holding rounded values).
  SmallVector<Value> loadA(OpBuilder &b, Location loc, Value tile, Value k0,
                           Value row0, Value lane) const;
  /// Lane `lane`'s registers of B, steps `k0` .. +kMma and columns `col0`
  /// .. +7 of `tile` (memref<K x N>, k-major).
  SmallVector<Value> loadB(OpBuilder &b, Location loc, Value tile, Value k0,
                           Value col0, Value lane) const;

  /// `acc` (4 floats) plus A times B: the nvvm.mma.sync of a warp.
  SmallVector<Value> multiply(OpBuilder &b, Location loc, ValueRange a,
                              ValueRange bRegs, ValueRange acc) const;

  /// What `multiply` computes for lane `lane`, on the host: `fragA(l, r)`
  /// and `fragB(l, r)` give register r of lane l of the warp (loaded by
  /// loadA and loadB), and each of the lane's four sums adds its kMma
  /// products in k order. The layouts are inverted here independently of
  /// loadA and loadB, so a slip in either changes the numbers.
  SmallVector<Value>
  emulate(OpBuilder &b, Location loc,
          function_ref<Value(OpBuilder &, Value, int64_t)> fragA,
          function_ref<Value(OpBuilder &, Value, int64_t)> fragB, Value lane,
          ValueRange acc) const;

  /// The row (0..15) and column (0..7) of sum `q` of lane `lane`.
  std::pair<Value, Value> sumAt(OpBuilder &b, Location loc, Value lane,
                                int64_t q) const;

  static constexpr int64_t kARegs = 4, kBRegs = 2, kSums = 4;
};

} // namespace mlir::kiln

#endif // KILN_CODEGEN_CUDA_TENSORCORE_H
