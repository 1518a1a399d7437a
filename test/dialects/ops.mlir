// RUN: kiln-opt %s | kiln-opt | FileCheck %s

// Every kiln op prints and re-parses with its types and attributes intact.

// CHECK-LABEL: func.func @matmul_roundtrip
// CHECK-SAME:    (%[[A:.+]]: tensor<?x8xf32>, %[[B:.+]]: tensor<8x3xf32>)
// CHECK:         kiln.matmul %[[A]], %[[B]] : tensor<?x8xf32>, tensor<8x3xf32> -> tensor<?x3xf32>
func.func @matmul_roundtrip(%a: tensor<?x8xf32>, %b: tensor<8x3xf32>) -> tensor<?x3xf32> {
  %c = kiln.matmul %a, %b : tensor<?x8xf32>, tensor<8x3xf32> -> tensor<?x3xf32>
  return %c : tensor<?x3xf32>
}

// CHECK-LABEL: func.func @batch_matmul_roundtrip
// CHECK:         kiln.batch_matmul %{{.+}}, %{{.+}} : tensor<?x4x8xf32>, tensor<?x8x3xf32> -> tensor<?x4x3xf32>
func.func @batch_matmul_roundtrip(%a: tensor<?x4x8xf32>, %b: tensor<?x8x3xf32>) -> tensor<?x4x3xf32> {
  %c = kiln.batch_matmul %a, %b : tensor<?x4x8xf32>, tensor<?x8x3xf32> -> tensor<?x4x3xf32>
  return %c : tensor<?x4x3xf32>
}

// Binary ops broadcast a rank-1 bias over a batched operand.
// CHECK-LABEL: func.func @binary_roundtrip
// CHECK:         kiln.add %{{.+}}, %{{.+}} : tensor<?x4xf32>, tensor<4xf32> -> tensor<?x4xf32>
// CHECK:         kiln.sub %{{.+}}, %{{.+}} : tensor<?x4xf32>, tensor<1x4xf32> -> tensor<?x4xf32>
// CHECK:         kiln.mul %{{.+}}, %{{.+}} : tensor<?x4xf32>, tensor<f32> -> tensor<?x4xf32>
// CHECK:         kiln.div %{{.+}}, %{{.+}} : tensor<3x1xf32>, tensor<1x4xf32> -> tensor<3x4xf32>
// CHECK:         kiln.rem %{{.+}}, %{{.+}} : tensor<3x4xf32>, tensor<f32> -> tensor<3x4xf32>
func.func @binary_roundtrip(%x: tensor<?x4xf32>, %b: tensor<4xf32>, %r: tensor<1x4xf32>,
                            %s: tensor<f32>, %c: tensor<3x1xf32>) -> tensor<3x4xf32> {
  %0 = kiln.add %x, %b : tensor<?x4xf32>, tensor<4xf32> -> tensor<?x4xf32>
  %1 = kiln.sub %0, %r : tensor<?x4xf32>, tensor<1x4xf32> -> tensor<?x4xf32>
  %2 = kiln.mul %1, %s : tensor<?x4xf32>, tensor<f32> -> tensor<?x4xf32>
  %3 = kiln.div %c, %r : tensor<3x1xf32>, tensor<1x4xf32> -> tensor<3x4xf32>
  %4 = kiln.rem %3, %s : tensor<3x4xf32>, tensor<f32> -> tensor<3x4xf32>
  return %4 : tensor<3x4xf32>
}

// Unary activations keep the operand's type; elu carries alpha.
// CHECK-LABEL: func.func @unary_roundtrip
// CHECK:         kiln.relu %{{.+}} : tensor<?x4xf32>
// CHECK-NEXT:    kiln.sigmoid
// CHECK-NEXT:    kiln.tanh
// CHECK-NEXT:    kiln.exp
// CHECK-NEXT:    kiln.log
// CHECK-NEXT:    kiln.neg
// CHECK-NEXT:    kiln.abs
// CHECK-NEXT:    kiln.sqrt
// CHECK-NEXT:    kiln.softplus
// CHECK-NEXT:    kiln.gelu
// CHECK-NEXT:    kiln.selu
// CHECK-NEXT:    kiln.elu %{{.+}} {alpha = 5.000000e-01 : f32} : tensor<?x4xf32>
func.func @unary_roundtrip(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %0 = kiln.relu %x : tensor<?x4xf32>
  %1 = kiln.sigmoid %0 : tensor<?x4xf32>
  %2 = kiln.tanh %1 : tensor<?x4xf32>
  %3 = kiln.exp %2 : tensor<?x4xf32>
  %4 = kiln.log %3 : tensor<?x4xf32>
  %5 = kiln.neg %4 : tensor<?x4xf32>
  %6 = kiln.abs %5 : tensor<?x4xf32>
  %7 = kiln.sqrt %6 : tensor<?x4xf32>
  %8 = kiln.softplus %7 : tensor<?x4xf32>
  %9 = kiln.gelu %8 : tensor<?x4xf32>
  %10 = kiln.selu %9 : tensor<?x4xf32>
  %11 = kiln.elu %10 {alpha = 0.5 : f32} : tensor<?x4xf32>
  return %11 : tensor<?x4xf32>
}

// CHECK-LABEL: func.func @softmax_reshape_constant_roundtrip
// CHECK:         kiln.softmax %{{.+}} {axis = 1 : i64} : tensor<?x2x3xf32>
// CHECK:         kiln.reshape %{{.+}} : tensor<?x2x3xf32> -> tensor<?x6xf32>
// CHECK:         kiln.constant dense<1.000000e+00> : tensor<f32>
func.func @softmax_reshape_constant_roundtrip(%x: tensor<?x2x3xf32>) -> (tensor<?x6xf32>, tensor<f32>) {
  %0 = kiln.softmax %x {axis = 1} : tensor<?x2x3xf32>
  %1 = kiln.reshape %0 : tensor<?x2x3xf32> -> tensor<?x6xf32>
  %2 = kiln.constant dense<1.0> : tensor<f32>
  return %1, %2 : tensor<?x6xf32>, tensor<f32>
}

// Reductions, transpose, broadcast and the loss helpers.
// CHECK-LABEL: func.func @structured_roundtrip
// CHECK:         kiln.reduce_sum %{{.+}} {axes = array<i64: -1>, keep_dims = true} : tensor<?x4xf32> -> tensor<?x1xf32>
// CHECK:         kiln.reduce_mean %{{.+}} {axes = array<i64: 0, 1>} : tensor<?x4xf32> -> tensor<f32>
// CHECK:         kiln.transpose %{{.+}} {permutation = array<i64: 1, 0>} : tensor<?x4xf32> -> tensor<4x?xf32>
// CHECK:         kiln.broadcast %{{.+}}, %{{.+}} : tensor<4xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
// CHECK:         kiln.log_softmax %{{.+}} : tensor<?x4xf32>
// CHECK:         kiln.clip %{{.+}} {max = 1.000000e+00 : f64, min = 0.000000e+00 : f64} : tensor<?x4xf32>
// CHECK:         kiln.one_hot %{{.+}} {depth = 4 : i64} : tensor<?xf32> -> tensor<?x4xf32>
// CHECK:         kiln.step
// CHECK:         kiln.sign
// CHECK:         kiln.erf
func.func @structured_roundtrip(%x: tensor<?x4xf32>, %b: tensor<4xf32>, %l: tensor<?xf32>) {
  %0 = kiln.reduce_sum %x {axes = array<i64: -1>, keep_dims = true} : tensor<?x4xf32> -> tensor<?x1xf32>
  %1 = kiln.reduce_mean %x {axes = array<i64: 0, 1>} : tensor<?x4xf32> -> tensor<f32>
  %2 = kiln.transpose %x {permutation = array<i64: 1, 0>} : tensor<?x4xf32> -> tensor<4x?xf32>
  %3 = kiln.broadcast %b, %x : tensor<4xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
  %4 = kiln.log_softmax %x : tensor<?x4xf32>
  %5 = kiln.clip %x {min = 0.0, max = 1.0} : tensor<?x4xf32>
  %6 = kiln.one_hot %l {depth = 4} : tensor<?xf32> -> tensor<?x4xf32>
  %7 = kiln.step %x : tensor<?x4xf32>
  %8 = kiln.sign %x : tensor<?x4xf32>
  %9 = kiln.erf %x : tensor<?x4xf32>
  return
}

// The trigonometric, hyperbolic and rounding functions.
// CHECK-LABEL: func.func @math_roundtrip
// CHECK:         kiln.sin %{{.+}} : tensor<?x4xf32>
// CHECK-NEXT:    kiln.cos
// CHECK-NEXT:    kiln.tan
// CHECK-NEXT:    kiln.asin
// CHECK-NEXT:    kiln.acos
// CHECK-NEXT:    kiln.atan
// CHECK-NEXT:    kiln.sinh
// CHECK-NEXT:    kiln.cosh
// CHECK-NEXT:    kiln.asinh
// CHECK-NEXT:    kiln.acosh
// CHECK-NEXT:    kiln.atanh
// CHECK-NEXT:    kiln.floor
// CHECK-NEXT:    kiln.ceil
// CHECK-NEXT:    kiln.round
func.func @math_roundtrip(%x: tensor<?x4xf32>) {
  %0 = kiln.sin %x : tensor<?x4xf32>
  %1 = kiln.cos %0 : tensor<?x4xf32>
  %2 = kiln.tan %1 : tensor<?x4xf32>
  %3 = kiln.asin %2 : tensor<?x4xf32>
  %4 = kiln.acos %3 : tensor<?x4xf32>
  %5 = kiln.atan %4 : tensor<?x4xf32>
  %6 = kiln.sinh %5 : tensor<?x4xf32>
  %7 = kiln.cosh %6 : tensor<?x4xf32>
  %8 = kiln.asinh %7 : tensor<?x4xf32>
  %9 = kiln.acosh %8 : tensor<?x4xf32>
  %10 = kiln.atanh %9 : tensor<?x4xf32>
  %11 = kiln.floor %10 : tensor<?x4xf32>
  %12 = kiln.ceil %11 : tensor<?x4xf32>
  %13 = kiln.round %12 : tensor<?x4xf32>
  return
}

// Window ops keep their geometry attributes.
// CHECK-LABEL: func.func @window_roundtrip
// CHECK:         kiln.conv %{{.+}}, %{{.+}} {dilations = array<i64: 1, 1>, pad_high = array<i64: 2, 2>, pad_low = array<i64: 2, 2>, strides = array<i64: 1, 1>} : tensor<?x28x28x1xf32>, tensor<5x5x1x10xf32> -> tensor<?x28x28x10xf32>
// CHECK:         kiln.max_pool %{{.+}} {pad_high = array<i64: 0, 0>, pad_low = array<i64: 0, 0>, strides = array<i64: 2, 2>, window = array<i64: 2, 2>} : tensor<?x28x28x10xf32> -> tensor<?x14x14x10xf32>
// CHECK:         kiln.max_pool_grad
// CHECK:         kiln.extract_patches %{{.+}} {{.+}} : tensor<?x7x2xf32> -> tensor<?x7x6xf32>
// CHECK:         kiln.fold_patches %{{.+}}, %{{.+}} {{.+}} : tensor<?x7x6xf32>, tensor<?x7x2xf32> -> tensor<?x7x2xf32>
func.func @window_roundtrip(%x: tensor<?x28x28x1xf32>, %w: tensor<5x5x1x10xf32>, %s: tensor<?x7x2xf32>) -> (tensor<?x28x28x10xf32>, tensor<?x7x2xf32>) {
  %y = kiln.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pad_low = array<i64: 2, 2>, pad_high = array<i64: 2, 2>} : tensor<?x28x28x1xf32>, tensor<5x5x1x10xf32> -> tensor<?x28x28x10xf32>
  %p = kiln.max_pool %y {window = array<i64: 2, 2>, strides = array<i64: 2, 2>, pad_low = array<i64: 0, 0>, pad_high = array<i64: 0, 0>} : tensor<?x28x28x10xf32> -> tensor<?x14x14x10xf32>
  %g = kiln.max_pool_grad %y, %p {window = array<i64: 2, 2>, strides = array<i64: 2, 2>, pad_low = array<i64: 0, 0>, pad_high = array<i64: 0, 0>} : tensor<?x28x28x10xf32>, tensor<?x14x14x10xf32> -> tensor<?x28x28x10xf32>
  %e = kiln.extract_patches %s {window = array<i64: 3>, strides = array<i64: 1>, dilations = array<i64: 2>, pad_low = array<i64: 4>, pad_high = array<i64: 0>} : tensor<?x7x2xf32> -> tensor<?x7x6xf32>
  %f = kiln.fold_patches %e, %s {window = array<i64: 3>, strides = array<i64: 1>, dilations = array<i64: 2>, pad_low = array<i64: 4>, pad_high = array<i64: 0>} : tensor<?x7x6xf32>, tensor<?x7x2xf32> -> tensor<?x7x2xf32>
  return %g, %f : tensor<?x28x28x10xf32>, tensor<?x7x2xf32>
}

// CHECK-LABEL: func.func @gather_roundtrip
// CHECK:         kiln.gather %{{.+}}[%{{.+}}] : tensor<20x6xf32>, tensor<?x7xi32> -> tensor<?x7x6xf32>
// CHECK:         kiln.scatter_add %{{.+}}[%{{.+}}] {num_rows = 20 : i64} : tensor<?x7x6xf32>, tensor<?x7xi32> -> tensor<20x6xf32>
func.func @gather_roundtrip(%t: tensor<20x6xf32>, %ids: tensor<?x7xi32>) -> tensor<20x6xf32> {
  %e = kiln.gather %t[%ids] : tensor<20x6xf32>, tensor<?x7xi32> -> tensor<?x7x6xf32>
  %g = kiln.scatter_add %e[%ids] {num_rows = 20 : i64} : tensor<?x7x6xf32>, tensor<?x7xi32> -> tensor<20x6xf32>
  return %g : tensor<20x6xf32>
}
