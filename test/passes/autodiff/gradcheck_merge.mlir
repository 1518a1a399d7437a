// Finite-difference gradient check (float64) of maximum/minimum (with
// broadcasting), concat and slice, and of a value split into overlapping
// and missing slices (its gradient accumulated range by range).
// RUN: kiln gradcheck %s --func maximum | FileCheck %s
// RUN: kiln gradcheck %s --func minimum_broadcast | FileCheck %s
// RUN: kiln gradcheck %s --func concat_slice | FileCheck %s
// RUN: kiln gradcheck %s --func split_slices | FileCheck %s

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
// One value read by four slices, an LSTM's gates, and here also by two
// that overlap them and leave a gap: [0, 2), [2, 4), [4, 6), [6, 8), then
// [1, 4) and [5, 6); columns 8 and 9 are read by none.
func.func @split_slices(%a: tensor<?x10xf32>, %r: tensor<?x2xf32>, %s: tensor<?x3xf32>) -> tensor<f32> {
  %t = kiln.tanh %a : tensor<?x10xf32>
  %i = kiln.slice %t {axis = 1 : i64, start = 0 : i64, size = 2 : i64} : tensor<?x10xf32> -> tensor<?x2xf32>
  %f = kiln.slice %t {axis = 1 : i64, start = 2 : i64, size = 2 : i64} : tensor<?x10xf32> -> tensor<?x2xf32>
  %g = kiln.slice %t {axis = 1 : i64, start = 4 : i64, size = 2 : i64} : tensor<?x10xf32> -> tensor<?x2xf32>
  %o = kiln.slice %t {axis = 1 : i64, start = 6 : i64, size = 2 : i64} : tensor<?x10xf32> -> tensor<?x2xf32>
  %wide = kiln.slice %t {axis = 1 : i64, start = 1 : i64, size = 3 : i64} : tensor<?x10xf32> -> tensor<?x3xf32>
  %one = kiln.slice %t {axis = 1 : i64, start = 5 : i64, size = 1 : i64} : tensor<?x10xf32> -> tensor<?x1xf32>
  %si = kiln.sigmoid %i : tensor<?x2xf32>
  %sf = kiln.mul %f, %r : tensor<?x2xf32>, tensor<?x2xf32> -> tensor<?x2xf32>
  %gg = kiln.mul %g, %g : tensor<?x2xf32>, tensor<?x2xf32> -> tensor<?x2xf32>
  %c1 = kiln.add %si, %sf : tensor<?x2xf32>, tensor<?x2xf32> -> tensor<?x2xf32>
  %c2 = kiln.mul %c1, %gg : tensor<?x2xf32>, tensor<?x2xf32> -> tensor<?x2xf32>
  %h = kiln.mul %c2, %o : tensor<?x2xf32>, tensor<?x2xf32> -> tensor<?x2xf32>
  %w = kiln.mul %wide, %s : tensor<?x3xf32>, tensor<?x3xf32> -> tensor<?x3xf32>
  %sh = kiln.reduce_sum %h {axes = array<i64: 0, 1>} : tensor<?x2xf32> -> tensor<f32>
  %sw = kiln.reduce_sum %w {axes = array<i64: 0, 1>} : tensor<?x3xf32> -> tensor<f32>
  %so = kiln.reduce_sum %one {axes = array<i64: 0, 1>} : tensor<?x1xf32> -> tensor<f32>
  %t1 = kiln.add %sh, %sw : tensor<f32>, tensor<f32> -> tensor<f32>
  %t2 = kiln.add %t1, %so : tensor<f32>, tensor<f32> -> tensor<f32>
  return %t2 : tensor<f32>
}
