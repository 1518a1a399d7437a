// Finite-difference gradient check (float64) of the gather ops (Keras's
// Embedding): the table's gradient is a scatter-add of the result's, with
// repeated, negative (wrapped) and out-of-range (clamped) integer ids drawn
// from [-rows, rows]; and a scatter-add's own gradient, a gather. The same
// for gather_nd (ONNX's GatherND): index tuples into the batch itself and
// past batch dimensions, and its adjoint scatter_nd_add.
// RUN: kiln gradcheck %s --func gather_i32 | FileCheck %s
// RUN: kiln gradcheck %s --func gather_i64_rank2 | FileCheck %s
// RUN: kiln gradcheck %s --func scatter_add | FileCheck %s
// RUN: kiln gradcheck %s --func gather_nd_rows --batch 4 | FileCheck %s
// RUN: kiln gradcheck %s --func gather_nd_batch_dims | FileCheck %s
// RUN: kiln gradcheck %s --func scatter_nd_add | FileCheck %s

// CHECK: gradcheck: loss =
// CHECK: checked
// CHECK: gradcheck: OK

func.func @gather_i32(%t: tensor<5x3xf32> {kiln.param = "table"}, %ids: tensor<?x4xi32>, %r: tensor<?x4x3xf32>) -> tensor<f32> {
  %e = kiln.gather %t[%ids] : tensor<5x3xf32>, tensor<?x4xi32> -> tensor<?x4x3xf32>
  %m = kiln.mul %e, %r : tensor<?x4x3xf32>, tensor<?x4x3xf32> -> tensor<?x4x3xf32>
  %l = kiln.reduce_sum %m {axes = array<i64: 0, 1, 2>} : tensor<?x4x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

func.func @gather_i64_rank2(%t: tensor<3x2xf32> {kiln.param = "table"}, %ids: tensor<?x2x3xi64>, %r: tensor<?x2x3x2xf32>) -> tensor<f32> {
  %e = kiln.gather %t[%ids] : tensor<3x2xf32>, tensor<?x2x3xi64> -> tensor<?x2x3x2xf32>
  %s = kiln.tanh %e : tensor<?x2x3x2xf32>
  %m = kiln.mul %s, %r : tensor<?x2x3x2xf32>, tensor<?x2x3x2xf32> -> tensor<?x2x3x2xf32>
  %l = kiln.reduce_sum %m {axes = array<i64: 0, 1, 2, 3>} : tensor<?x2x3x2xf32> -> tensor<f32>
  return %l : tensor<f32>
}

func.func @scatter_add(%u: tensor<?x4x3xf32> {kiln.param = "updates"}, %ids: tensor<?x4xi32>, %r: tensor<6x3xf32>) -> tensor<f32> {
  %s = kiln.scatter_add %u[%ids] {num_rows = 6 : i64} : tensor<?x4x3xf32>, tensor<?x4xi32> -> tensor<6x3xf32>
  %q = kiln.mul %s, %s : tensor<6x3xf32>, tensor<6x3xf32> -> tensor<6x3xf32>
  %m = kiln.mul %q, %r : tensor<6x3xf32>, tensor<6x3xf32> -> tensor<6x3xf32>
  %l = kiln.reduce_sum %m {axes = array<i64: 0, 1>} : tensor<6x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

func.func @gather_nd_rows(%x: tensor<?x3x2xf32> {kiln.param = "x"}, %i: tensor<5x2xi64>, %r: tensor<5x2xf32>) -> tensor<f32> {
  %g = kiln.gather_nd %x[%i] : tensor<?x3x2xf32>, tensor<5x2xi64> -> tensor<5x2xf32>
  %s = kiln.tanh %g : tensor<5x2xf32>
  %m = kiln.mul %s, %r : tensor<5x2xf32>, tensor<5x2xf32> -> tensor<5x2xf32>
  %l = kiln.reduce_sum %m {axes = array<i64: 0, 1>} : tensor<5x2xf32> -> tensor<f32>
  return %l : tensor<f32>
}

func.func @gather_nd_batch_dims(%x: tensor<?x4x3xf32> {kiln.param = "x"}, %i: tensor<?x6x1xi32>, %r: tensor<?x6x3xf32>) -> tensor<f32> {
  %g = kiln.gather_nd %x[%i] {batch_dims = 1 : i64} : tensor<?x4x3xf32>, tensor<?x6x1xi32> -> tensor<?x6x3xf32>
  %q = kiln.mul %g, %g : tensor<?x6x3xf32>, tensor<?x6x3xf32> -> tensor<?x6x3xf32>
  %m = kiln.mul %q, %r : tensor<?x6x3xf32>, tensor<?x6x3xf32> -> tensor<?x6x3xf32>
  %l = kiln.reduce_sum %m {axes = array<i64: 0, 1, 2>} : tensor<?x6x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

func.func @scatter_nd_add(%u: tensor<?x5xf32> {kiln.param = "updates"}, %i: tensor<?x5x1xi64>, %like: tensor<?x3xf32>, %r: tensor<?x3xf32>) -> tensor<f32> {
  %s = kiln.scatter_nd_add %u[%i] like %like {batch_dims = 1 : i64} : tensor<?x5xf32>, tensor<?x5x1xi64>, tensor<?x3xf32> -> tensor<?x3xf32>
  %q = kiln.mul %s, %s : tensor<?x3xf32>, tensor<?x3xf32> -> tensor<?x3xf32>
  %m = kiln.mul %q, %r : tensor<?x3xf32>, tensor<?x3xf32> -> tensor<?x3xf32>
  %l = kiln.reduce_sum %m {axes = array<i64: 0, 1>} : tensor<?x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}
