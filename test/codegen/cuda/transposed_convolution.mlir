// RUN: kiln-opt %s --split-input-file --kiln-cuda-transposed-convolution | FileCheck %s

// A stride-1 convolution's input gradient, fold(g @ W2^T), becomes a
// convolution of g with the kernel's taps reversed (rows 8..0 of the
// (taps, C * F) kernel) and its channel axes swapped, padded by
// (K - 1) dil - pad: 2 - 2 = 0 and 2 - 1 = 1 before, 2 - 0 = 2 and
// 2 - 1 = 1 after.
// CHECK-LABEL: func.func @same
// CHECK-SAME:      (%[[G:.+]]: tensor<?x5x6x4xf32>, %[[X:.+]]: tensor<?x5x6x2xf32>, %[[W:.+]]: tensor<3x3x2x4xf32>)
// CHECK-DAG:     %[[ROWS:.+]] = kiln.reshape %[[W]] : tensor<3x3x2x4xf32> -> tensor<9x8xf32>
// CHECK-DAG:     %[[REV:.+]] = kiln.constant dense<[8, 7, 6, 5, 4, 3, 2, 1, 0]> : tensor<9xi32>
// CHECK:         %[[FLIP:.+]] = kiln.gather %[[ROWS]][%[[REV]]] : tensor<9x8xf32>, tensor<9xi32> -> tensor<9x8xf32>
// CHECK:         %[[K:.+]] = kiln.reshape %[[FLIP]] : tensor<9x8xf32> -> tensor<3x3x2x4xf32>
// CHECK:         %[[KT:.+]] = kiln.transpose %[[K]] {permutation = array<i64: 0, 1, 3, 2>} : tensor<3x3x2x4xf32> -> tensor<3x3x4x2xf32>
// CHECK:         %[[DX:.+]] = kiln.conv %[[G]], %[[KT]] {dilations = array<i64: 1, 1>, pad_high = array<i64: 2, 1>, pad_low = array<i64: 0, 1>, strides = array<i64: 1, 1>} : tensor<?x5x6x4xf32>, tensor<3x3x4x2xf32> -> tensor<?x5x6x2xf32>
// CHECK-NOT:     kiln.fold_patches
// CHECK:         return %[[DX]]
func.func @same(%g: tensor<?x5x6x4xf32>, %x: tensor<?x5x6x2xf32>, %w: tensor<3x3x2x4xf32>) -> tensor<?x5x6x2xf32> {
  %w2 = kiln.reshape %w : tensor<3x3x2x4xf32> -> tensor<18x4xf32>
  %w2t = kiln.transpose %w2 {permutation = array<i64: 1, 0>} : tensor<18x4xf32> -> tensor<4x18xf32>
  %dp = kiln.matmul %g, %w2t : tensor<?x5x6x4xf32>, tensor<4x18xf32> -> tensor<?x5x6x18xf32>
  %dx = kiln.fold_patches %dp, %x {window = array<i64: 3, 3>, strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pad_low = array<i64: 2, 1>, pad_high = array<i64: 0, 1>} : tensor<?x5x6x18xf32>, tensor<?x5x6x2xf32> -> tensor<?x5x6x2xf32>
  return %dx : tensor<?x5x6x2xf32>
}

// -----

// Conv1D 'causal' with dilation 2: reach (3 - 1) * 2 = 4, so g is padded
// by 0 before and 4 after.
// CHECK-LABEL: func.func @causal_dilated
// CHECK:         kiln.constant dense<[2, 1, 0]> : tensor<3xi32>
// CHECK:         kiln.transpose %{{.+}} {permutation = array<i64: 0, 2, 1>} : tensor<3x2x3xf32> -> tensor<3x3x2xf32>
// CHECK:         kiln.conv %arg0, %{{.+}} {dilations = array<i64: 2>, pad_high = array<i64: 4>, pad_low = array<i64: 0>, strides = array<i64: 1>} : tensor<?x7x3xf32>, tensor<3x3x2xf32> -> tensor<?x7x2xf32>
func.func @causal_dilated(%g: tensor<?x7x3xf32>, %x: tensor<?x7x2xf32>, %w: tensor<3x2x3xf32>) -> tensor<?x7x2xf32> {
  %w2 = kiln.reshape %w : tensor<3x2x3xf32> -> tensor<6x3xf32>
  %w2t = kiln.transpose %w2 {permutation = array<i64: 1, 0>} : tensor<6x3xf32> -> tensor<3x6xf32>
  %dp = kiln.matmul %g, %w2t : tensor<?x7x3xf32>, tensor<3x6xf32> -> tensor<?x7x6xf32>
  %dx = kiln.fold_patches %dp, %x {window = array<i64: 3>, strides = array<i64: 1>, dilations = array<i64: 2>, pad_low = array<i64: 4>, pad_high = array<i64: 0>} : tensor<?x7x6xf32>, tensor<?x7x2xf32> -> tensor<?x7x2xf32>
  return %dx : tensor<?x7x2xf32>
}

// -----

// Left alone: a stride of 2 (dx would read g between its elements),
// padding wider than the window, and a fold of patches that are not a
// kernel's product (ONNX's ConvTranspose-like folds of other matrices).
// CHECK-LABEL: func.func @left_alone
// CHECK-COUNT-3: kiln.fold_patches
// CHECK-NOT:     kiln.conv
// CHECK-NOT:     kiln.gather
func.func @left_alone(%g: tensor<?x2x2x2xf32>, %g7: tensor<?x7x7x2xf32>, %g4: tensor<?x4x4x2xf32>, %x: tensor<?x4x4x1xf32>, %w: tensor<2x2x1x2xf32>, %m: tensor<2x4xf32>) -> (tensor<?x4x4x1xf32>, tensor<?x4x4x1xf32>, tensor<?x4x4x1xf32>) {
  %w2 = kiln.reshape %w : tensor<2x2x1x2xf32> -> tensor<4x2xf32>
  %w2t = kiln.transpose %w2 {permutation = array<i64: 1, 0>} : tensor<4x2xf32> -> tensor<2x4xf32>
  %dp = kiln.matmul %g, %w2t : tensor<?x2x2x2xf32>, tensor<2x4xf32> -> tensor<?x2x2x4xf32>
  %strided = kiln.fold_patches %dp, %x {window = array<i64: 2, 2>, strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pad_low = array<i64: 0, 0>, pad_high = array<i64: 0, 0>} : tensor<?x2x2x4xf32>, tensor<?x4x4x1xf32> -> tensor<?x4x4x1xf32>
  %dp7 = kiln.matmul %g7, %w2t : tensor<?x7x7x2xf32>, tensor<2x4xf32> -> tensor<?x7x7x4xf32>
  %wide = kiln.fold_patches %dp7, %x {window = array<i64: 2, 2>, strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pad_low = array<i64: 2, 2>, pad_high = array<i64: 2, 2>} : tensor<?x7x7x4xf32>, tensor<?x4x4x1xf32> -> tensor<?x4x4x1xf32>
  %other = kiln.matmul %g4, %m : tensor<?x4x4x2xf32>, tensor<2x4xf32> -> tensor<?x4x4x4xf32>
  %plain = kiln.fold_patches %other, %x {window = array<i64: 2, 2>, strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pad_low = array<i64: 1, 1>, pad_high = array<i64: 0, 0>} : tensor<?x4x4x4xf32>, tensor<?x4x4x1xf32> -> tensor<?x4x4x1xf32>
  return %strided, %wide, %plain : tensor<?x4x4x1xf32>, tensor<?x4x4x1xf32>, tensor<?x4x4x1xf32>
}
