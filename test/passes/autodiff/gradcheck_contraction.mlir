// Finite-difference gradient check (float64) of batch_matmul, both operands
// through, and of the transposes the Dot layer puts around it.
// RUN: kiln gradcheck %s --func batch_matmul | FileCheck %s
// RUN: kiln gradcheck %s --func batch_matmul_transposed | FileCheck %s

// CHECK: gradcheck: loss =
// CHECK: checked
// CHECK: gradcheck: OK

func.func @batch_matmul(%a: tensor<?x4x3xf32>, %b: tensor<?x3x5xf32>, %r: tensor<?x4x5xf32>) -> tensor<f32> {
  %0 = kiln.batch_matmul %a, %b : tensor<?x4x3xf32>, tensor<?x3x5xf32> -> tensor<?x4x5xf32>
  %1 = kiln.tanh %0 : tensor<?x4x5xf32>
  %2 = kiln.mul %1, %r : tensor<?x4x5xf32>, tensor<?x4x5xf32> -> tensor<?x4x5xf32>
  %3 = kiln.reduce_sum %2 {axes = array<i64: 0, 1, 2>} : tensor<?x4x5xf32> -> tensor<f32>
  return %3 : tensor<f32>
}
// Dot(axes=[1, 2]) of (B, 3, 4) and (B, 5, 3): both transposed first.
func.func @batch_matmul_transposed(%a: tensor<?x3x4xf32>, %b: tensor<?x5x3xf32>, %r: tensor<?x4x5xf32>) -> tensor<f32> {
  %ta = kiln.transpose %a {permutation = array<i64: 0, 2, 1>} : tensor<?x3x4xf32> -> tensor<?x4x3xf32>
  %tb = kiln.transpose %b {permutation = array<i64: 0, 2, 1>} : tensor<?x5x3xf32> -> tensor<?x3x5xf32>
  %0 = kiln.batch_matmul %ta, %tb : tensor<?x4x3xf32>, tensor<?x3x5xf32> -> tensor<?x4x5xf32>
  %1 = kiln.mul %0, %r : tensor<?x4x5xf32>, tensor<?x4x5xf32> -> tensor<?x4x5xf32>
  %2 = kiln.reduce_sum %1 {axes = array<i64: 0, 1, 2>} : tensor<?x4x5xf32> -> tensor<f32>
  return %2 : tensor<f32>
}
