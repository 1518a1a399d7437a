// RUN: kiln-opt %s --kiln-lower-to-linalg-pipeline --kiln-lower-cpu-pipeline="vector-width=8" | FileCheck %s

// The whole CPU pipeline leaves only the LLVM dialect: results became
// out-params, the matmul became vector FMAs, the softmax's exp a polynomial of
// vector FMAs (no libm call, no llvm.intr.exp to scalarize).

// Each loop nest is a kernel of its own, called from the entry. Memref
// descriptors are folded away: the entry passes its arguments' fields
// straight to the kernels.

// CHECK-LABEL: llvm.func @predict
// CHECK-NOT:     kiln.
// CHECK-NOT:     linalg.
// CHECK-NOT:     memref.
// CHECK-NOT:     llvm.insertvalue
// CHECK-NOT:     llvm.return %
// CHECK:         llvm.call @predict__kernel0(
// CHECK-NOT:     llvm.intr.fmuladd
// CHECK:       llvm.func internal @predict__kernel0({{.*}}) attributes {passthrough = ["noinline"]
// CHECK:         llvm.intr.fmuladd({{.+}}) : (vector<8xf32>, vector<8xf32>, vector<8xf32>) -> vector<8xf32>
// CHECK-NOT:     llvm.intr.exp
// CHECK-NOT:     @expf
// CHECK:         llvm.intr.floor({{.+}}) : (vector<8xf32>) -> vector<8xf32>
// CHECK:         llvm.intr.fma({{.+}}) : (vector<8xf32>, vector<8xf32>, vector<8xf32>) -> vector<8xf32>
func.func @predict(%w: tensor<16x8xf32>, %b: tensor<8xf32>, %x: tensor<?x16xf32>) -> tensor<?x8xf32> {
  %0 = kiln.matmul %x, %w : tensor<?x16xf32>, tensor<16x8xf32> -> tensor<?x8xf32>
  %1 = kiln.add %0, %b : tensor<?x8xf32>, tensor<8xf32> -> tensor<?x8xf32>
  %2 = kiln.softmax %1 : tensor<?x8xf32>
  return %2 : tensor<?x8xf32>
}
