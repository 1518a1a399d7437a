// Finite-difference gradient check (float64) of maximum/minimum (with
// broadcasting), concat and slice.
// RUN: kiln gradcheck %s --func maximum | FileCheck %s
// RUN: kiln gradcheck %s --func minimum_broadcast | FileCheck %s
// RUN: kiln gradcheck %s --func concat_slice | FileCheck %s

// CHECK: gradcheck: loss =
// CHECK: checked
// CHECK: gradcheck: OK

func.func @maximum(%a: tensor<?x5xf32>, %b: tensor<?x5xf32>, %r: tensor<?x5xf32>) -> tensor<f32> {
  %0 = kiln.maximum %a, %b : tensor<?x5xf32>, tensor<?x5xf32> -> tensor<?x5xf32>
  %1 = kiln.mul %0, %r : tensor<?x5xf32>, tensor<?x5xf32> -> tensor<?x5xf32>
  %2 = kiln.reduce_sum %1 {axes = array<i64: 0, 1>} : tensor<?x5xf32> -> tensor<f32>
  return %2 : tensor<f32>
}
func.func @minimum_broadcast(%a: tensor<?x5xf32>, %b: tensor<5xf32>, %r: tensor<?x5xf32>) -> tensor<f32> {
  %0 = kiln.minimum %a, %b : tensor<?x5xf32>, tensor<5xf32> -> tensor<?x5xf32>
  %1 = kiln.mul %0, %r : tensor<?x5xf32>, tensor<?x5xf32> -> tensor<?x5xf32>
  %2 = kiln.reduce_sum %1 {axes = array<i64: 0, 1>} : tensor<?x5xf32> -> tensor<f32>
  return %2 : tensor<f32>
}
// Concatenate three along the last axis, slice out a middle range.
func.func @concat_slice(%a: tensor<?x2xf32>, %b: tensor<?x3xf32>, %c: tensor<?x1xf32>, %r: tensor<?x3xf32>) -> tensor<f32> {
  %0 = kiln.concat %a, %b, %c {axis = -1 : i64} : (tensor<?x2xf32>, tensor<?x3xf32>, tensor<?x1xf32>) -> tensor<?x6xf32>
  %t = kiln.tanh %0 : tensor<?x6xf32>
  %1 = kiln.slice %t {axis = 1 : i64, start = 1 : i64, size = 3 : i64} : tensor<?x6xf32> -> tensor<?x3xf32>
  %2 = kiln.mul %1, %r : tensor<?x3xf32>, tensor<?x3xf32> -> tensor<?x3xf32>
  %3 = kiln.reduce_sum %2 {axes = array<i64: 0, 1>} : tensor<?x3xf32> -> tensor<f32>
  return %3 : tensor<f32>
}
