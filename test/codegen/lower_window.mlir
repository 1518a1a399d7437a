// RUN: kiln-opt %s --kiln-lower-to-linalg | FileCheck %s
// RUN: kiln-opt %s --kiln-lower-to-linalg --canonicalize --cse | FileCheck %s --check-prefix=CSE
// RUN: kiln-opt %s --kiln-lower-to-linalg --canonicalize --cse --kiln-fuse-elementwise --canonicalize | FileCheck %s --check-prefix=FUSED

// A convolution is im2col then the contraction: a parallel generic over
// (n, oh, ow, kh, kw, c) reading the input at clamped indices (0 in the
// padding), collapsed to rows of taps * C, times the kernel as a matrix.
// CHECK-LABEL: func.func @conv
// CHECK:         %[[P:.+]] = linalg.generic
// CHECK-SAME:      iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]
// CHECK:           arith.minsi
// CHECK:           tensor.extract %{{.+}} : tensor<?x8x8x2xf32>
// CHECK:           arith.select
// CHECK:         } -> tensor<?x4x4x3x3x2xf32>
// CHECK:         tensor.collapse_shape %[[P]] {{\[\[}}0], [1], [2], [3, 4, 5]] : tensor<?x4x4x3x3x2xf32> into tensor<?x4x4x18xf32>
// CHECK:         linalg.matmul ins(%{{.+}}, %{{.+}} : tensor<?x18xf32>, tensor<18x4xf32>)
func.func @conv(%x: tensor<?x8x8x2xf32>, %w: tensor<3x3x2x4xf32>) -> tensor<?x4x4x4xf32> {
  %y = kiln.conv %x, %w {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pad_low = array<i64: 0, 0>, pad_high = array<i64: 1, 1>} : tensor<?x8x8x2xf32>, tensor<3x3x2x4xf32> -> tensor<?x4x4x4xf32>
  return %y : tensor<?x4x4x4xf32>
}

// A 1x1 convolution at stride 1 is the matmul alone.
// CHECK-LABEL: func.func @conv_pointwise
// CHECK-NOT:     linalg.generic
// CHECK:         linalg.matmul ins(%{{.+}}, %{{.+}} : tensor<?x4xf32>, tensor<4x2xf32>)
func.func @conv_pointwise(%x: tensor<?x3x3x4xf32>, %w: tensor<1x1x4x2xf32>) -> tensor<?x3x3x2xf32> {
  %y = kiln.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pad_low = array<i64: 0, 0>, pad_high = array<i64: 0, 0>} : tensor<?x3x3x4xf32>, tensor<1x1x4x2xf32> -> tensor<?x3x3x2xf32>
  return %y : tensor<?x3x3x2xf32>
}

// max_pool: the taps reduce (their bounds from a window-shaped operand),
// the channels innermost; padding reads -inf. The window's first maximal
// tap is a second result (max_pool_grad's, below), unused here.
// CHECK-LABEL: func.func @max_pool
// CHECK:         %[[LOW:.+]] = arith.constant 0xFF800000 : f32
// CHECK:         %[[INIT:.+]] = linalg.fill ins(%[[LOW]] : f32)
// CHECK:         %[[TAPS:.+]] = linalg.fill ins(%{{.+}} : i32)
// CHECK:         %[[WIN:.+]] = tensor.empty() : tensor<3x3xf32>
// CHECK:         %[[MAX:.+]]:2 = linalg.generic
// CHECK-SAME:      iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction", "parallel"]
// CHECK-SAME:      ins(%[[WIN]] : tensor<3x3xf32>) outs(%[[INIT]], %[[TAPS]] : tensor<?x4x4x2xf32>, tensor<?x4x4x2xi32>)
// CHECK:           arith.select %{{.+}}, %{{.+}}, %[[LOW]] : f32
// CHECK:           arith.maximumf
// CHECK:         return %[[MAX]]#0
func.func @max_pool(%x: tensor<?x8x8x2xf32>) -> tensor<?x4x4x2xf32> {
  %y = kiln.max_pool %x {window = array<i64: 3, 3>, strides = array<i64: 2, 2>, pad_low = array<i64: 0, 0>, pad_high = array<i64: 1, 1>} : tensor<?x8x8x2xf32> -> tensor<?x4x4x2xf32>
  return %y : tensor<?x4x4x2xf32>
}

// max_pool_grad: the first maximal tap of each window (strict >), then a
// gather over input elements with the taps reducing.
// CHECK-LABEL: func.func @max_pool_grad
// CHECK:         %[[ARG:.+]]:2 = linalg.generic
// CHECK:           arith.cmpf ogt
// CHECK:           arith.index_cast %{{.+}} : index to i32
// CHECK:         } -> (tensor<?x4x4x2xf32>, tensor<?x4x4x2xi32>)
// CHECK:         linalg.generic
// CHECK-SAME:      iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction", "parallel"]
// CHECK:           arith.remui
// CHECK:           tensor.extract %[[ARG]]#1
// CHECK:           arith.cmpi eq
// CHECK:         } -> tensor<?x8x8x2xf32>
func.func @max_pool_grad(%x: tensor<?x8x8x2xf32>, %g: tensor<?x4x4x2xf32>) -> tensor<?x8x8x2xf32> {
  %y = kiln.max_pool_grad %x, %g {window = array<i64: 2, 2>, strides = array<i64: 2, 2>, pad_low = array<i64: 0, 0>, pad_high = array<i64: 0, 0>} : tensor<?x8x8x2xf32>, tensor<?x4x4x2xf32> -> tensor<?x8x8x2xf32>
  return %y : tensor<?x8x8x2xf32>
}

// A training step pools and takes the pooling's gradient of the same
// input: after CSE, one generic finds the window maxima (returned) and
// their taps (read by the gradient's gather); the input is reduced once.
// CSE-LABEL: func.func @max_pool_and_grad
// CSE:         %[[MAX:.+]]:2 = linalg.generic
// CSE:           arith.cmpf ogt
// CSE:           arith.maximumf
// CSE:         } -> (tensor<?x4x4x2xf32>, tensor<?x4x4x2xi32>)
// CSE-NOT:     arith.maximumf
// CSE:         linalg.generic
// CSE:           tensor.extract %[[MAX]]#1
// CSE:         return %[[MAX]]#0, %{{.+}} :
func.func @max_pool_and_grad(%x: tensor<?x8x8x2xf32>, %g: tensor<?x4x4x2xf32>) -> (tensor<?x4x4x2xf32>, tensor<?x8x8x2xf32>) {
  %y = kiln.max_pool %x {window = array<i64: 2, 2>, strides = array<i64: 2, 2>, pad_low = array<i64: 0, 0>, pad_high = array<i64: 0, 0>} : tensor<?x8x8x2xf32> -> tensor<?x4x4x2xf32>
  %d = kiln.max_pool_grad %x, %g {window = array<i64: 2, 2>, strides = array<i64: 2, 2>, pad_low = array<i64: 0, 0>, pad_high = array<i64: 0, 0>} : tensor<?x8x8x2xf32>, tensor<?x4x4x2xf32> -> tensor<?x8x8x2xf32>
  return %y, %d : tensor<?x4x4x2xf32>, tensor<?x8x8x2xf32>
}

// Pooling alone, fused: the unused taps go with their compares.
// FUSED-LABEL: func.func @max_pool(
// FUSED:         linalg.generic
// FUSED-SAME:      outs(%{{.+}} : tensor<?x4x4x2xf32>)
// FUSED-NOT:       arith.cmpf
// FUSED:           arith.maximumf
// FUSED-NOT:       arith.cmpf
// FUSED:         return

// fold_patches gathers each input element's patch entries.
// CHECK-LABEL: func.func @fold_patches
// CHECK:         %[[E:.+]] = tensor.expand_shape %{{.+}} {{\[\[}}0], [1], [2], [3, 4, 5]] {{.+}} : tensor<?x6x6x18xf32> into tensor<?x6x6x3x3x2xf32>
// CHECK:         linalg.generic
// CHECK-SAME:      iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction", "parallel"]
// CHECK:           tensor.extract %[[E]]
// CHECK:           arith.addf
func.func @fold_patches(%p: tensor<?x6x6x18xf32>, %x: tensor<?x8x8x2xf32>) -> tensor<?x8x8x2xf32> {
  %y = kiln.fold_patches %p, %x {window = array<i64: 3, 3>, strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pad_low = array<i64: 0, 0>, pad_high = array<i64: 0, 0>} : tensor<?x6x6x18xf32>, tensor<?x8x8x2xf32> -> tensor<?x8x8x2xf32>
  return %y : tensor<?x8x8x2xf32>
}
