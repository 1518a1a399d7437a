// Finite-difference gradient check (float64) of the sliding-window ops:
// each function is sum(op(x) * r) for one geometry (padding, stride,
// dilation, 1-D and 2-D, pointwise).
// RUN: kiln gradcheck %s --func conv_same | FileCheck %s
// RUN: kiln gradcheck %s --func conv_valid_strided | FileCheck %s
// RUN: kiln gradcheck %s --func conv_dilated_asymmetric | FileCheck %s
// RUN: kiln gradcheck %s --func conv_pointwise | FileCheck %s
// RUN: kiln gradcheck %s --func conv_same_even | FileCheck %s
// RUN: kiln gradcheck %s --func conv_wide_padding | FileCheck %s
// RUN: kiln gradcheck %s --func conv1d_causal | FileCheck %s
// RUN: kiln gradcheck %s --func conv1d_strided_dilated | FileCheck %s
// RUN: kiln gradcheck %s --func extract_patches | FileCheck %s
// RUN: kiln gradcheck %s --func fold_patches | FileCheck %s
// RUN: kiln gradcheck %s --func max_pool | FileCheck %s
// RUN: kiln gradcheck %s --func max_pool_same_overlapping | FileCheck %s
// RUN: kiln gradcheck %s --func max_pool1d | FileCheck %s

// Every argument is checked and the worst error is within tolerance.
// CHECK: gradcheck: loss =
// CHECK: checked
// CHECK: gradcheck: OK

// Keras 'same' for a 3x3 window at stride 1: one row/column on each side.
func.func @conv_same(%x: tensor<?x5x6x2xf32>, %w: tensor<3x3x2x3xf32>, %r: tensor<?x5x6x3xf32>) -> tensor<f32> {
  %0 = kiln.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pad_low = array<i64: 1, 1>, pad_high = array<i64: 1, 1>} : tensor<?x5x6x2xf32>, tensor<3x3x2x3xf32> -> tensor<?x5x6x3xf32>
  %1 = kiln.mul %0, %r : tensor<?x5x6x3xf32>, tensor<?x5x6x3xf32> -> tensor<?x5x6x3xf32>
  %2 = kiln.reduce_sum %1 {axes = array<i64: 0, 1, 2, 3>} : tensor<?x5x6x3xf32> -> tensor<f32>
  return %2 : tensor<f32>
}

// Stride 2 over 7 rows: the last row is never read.
func.func @conv_valid_strided(%x: tensor<?x7x6x2xf32>, %w: tensor<2x3x2x2xf32>, %r: tensor<?x3x2x2xf32>) -> tensor<f32> {
  %0 = kiln.conv %x, %w {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pad_low = array<i64: 0, 0>, pad_high = array<i64: 0, 0>} : tensor<?x7x6x2xf32>, tensor<2x3x2x2xf32> -> tensor<?x3x2x2xf32>
  %1 = kiln.mul %0, %r : tensor<?x3x2x2xf32>, tensor<?x3x2x2xf32> -> tensor<?x3x2x2xf32>
  %2 = kiln.reduce_sum %1 {axes = array<i64: 0, 1, 2, 3>} : tensor<?x3x2x2xf32> -> tensor<f32>
  return %2 : tensor<f32>
}

// Dilation 2 with the padding split unevenly (Keras puts the extra one after).
func.func @conv_dilated_asymmetric(%x: tensor<?x6x6x1xf32>, %w: tensor<2x2x1x2xf32>, %r: tensor<?x6x6x2xf32>) -> tensor<f32> {
  %0 = kiln.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 2, 2>, pad_low = array<i64: 1, 1>, pad_high = array<i64: 1, 1>} : tensor<?x6x6x1xf32>, tensor<2x2x1x2xf32> -> tensor<?x6x6x2xf32>
  %1 = kiln.mul %0, %r : tensor<?x6x6x2xf32>, tensor<?x6x6x2xf32> -> tensor<?x6x6x2xf32>
  %2 = kiln.reduce_sum %1 {axes = array<i64: 0, 1, 2, 3>} : tensor<?x6x6x2xf32> -> tensor<f32>
  return %2 : tensor<f32>
}

// Keras 'same' for an even 2x4 window: the extra padding after (the input
// gradient, a convolution, pads 1 and 2 before and 0 and 1 after).
func.func @conv_same_even(%x: tensor<?x4x5x2xf32>, %w: tensor<2x4x2x3xf32>, %r: tensor<?x4x5x3xf32>) -> tensor<f32> {
  %0 = kiln.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pad_low = array<i64: 0, 1>, pad_high = array<i64: 1, 2>} : tensor<?x4x5x2xf32>, tensor<2x4x2x3xf32> -> tensor<?x4x5x3xf32>
  %1 = kiln.mul %0, %r : tensor<?x4x5x3xf32>, tensor<?x4x5x3xf32> -> tensor<?x4x5x3xf32>
  %2 = kiln.reduce_sum %1 {axes = array<i64: 0, 1, 2, 3>} : tensor<?x4x5x3xf32> -> tensor<f32>
  return %2 : tensor<f32>
}

// Padding wider than the window (ONNX allows it): some outputs read only
// zeros, and the input gradient is folded back instead of a convolution.
func.func @conv_wide_padding(%x: tensor<?x3x3x2xf32>, %w: tensor<2x2x2x2xf32>, %r: tensor<?x6x5x2xf32>) -> tensor<f32> {
  %0 = kiln.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pad_low = array<i64: 2, 1>, pad_high = array<i64: 2, 2>} : tensor<?x3x3x2xf32>, tensor<2x2x2x2xf32> -> tensor<?x6x5x2xf32>
  %1 = kiln.mul %0, %r : tensor<?x6x5x2xf32>, tensor<?x6x5x2xf32> -> tensor<?x6x5x2xf32>
  %2 = kiln.reduce_sum %1 {axes = array<i64: 0, 1, 2, 3>} : tensor<?x6x5x2xf32> -> tensor<f32>
  return %2 : tensor<f32>
}

func.func @conv_pointwise(%x: tensor<?x3x3x4xf32>, %w: tensor<1x1x4x2xf32>, %r: tensor<?x3x3x2xf32>) -> tensor<f32> {
  %0 = kiln.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pad_low = array<i64: 0, 0>, pad_high = array<i64: 0, 0>} : tensor<?x3x3x4xf32>, tensor<1x1x4x2xf32> -> tensor<?x3x3x2xf32>
  %1 = kiln.mul %0, %r : tensor<?x3x3x2xf32>, tensor<?x3x3x2xf32> -> tensor<?x3x3x2xf32>
  %2 = kiln.reduce_sum %1 {axes = array<i64: 0, 1, 2, 3>} : tensor<?x3x3x2xf32> -> tensor<f32>
  return %2 : tensor<f32>
}

// Keras Conv1D 'causal': dilation * (window - 1) zeros before, none after.
func.func @conv1d_causal(%x: tensor<?x7x2xf32>, %w: tensor<3x2x3xf32>, %r: tensor<?x7x3xf32>) -> tensor<f32> {
  %0 = kiln.conv %x, %w {strides = array<i64: 1>, dilations = array<i64: 2>, pad_low = array<i64: 4>, pad_high = array<i64: 0>} : tensor<?x7x2xf32>, tensor<3x2x3xf32> -> tensor<?x7x3xf32>
  %1 = kiln.mul %0, %r : tensor<?x7x3xf32>, tensor<?x7x3xf32> -> tensor<?x7x3xf32>
  %2 = kiln.reduce_sum %1 {axes = array<i64: 0, 1, 2>} : tensor<?x7x3xf32> -> tensor<f32>
  return %2 : tensor<f32>
}

func.func @conv1d_strided_dilated(%x: tensor<?x11x2xf32>, %w: tensor<2x2x1xf32>, %r: tensor<?x3x1xf32>) -> tensor<f32> {
  %0 = kiln.conv %x, %w {strides = array<i64: 3>, dilations = array<i64: 3>, pad_low = array<i64: 1>, pad_high = array<i64: 0>} : tensor<?x11x2xf32>, tensor<2x2x1xf32> -> tensor<?x3x1xf32>
  %1 = kiln.mul %0, %r : tensor<?x3x1xf32>, tensor<?x3x1xf32> -> tensor<?x3x1xf32>
  %2 = kiln.reduce_sum %1 {axes = array<i64: 0, 1, 2>} : tensor<?x3x1xf32> -> tensor<f32>
  return %2 : tensor<f32>
}

func.func @extract_patches(%x: tensor<?x5x5x2xf32>, %r: tensor<?x3x3x8xf32>) -> tensor<f32> {
  %0 = kiln.extract_patches %x {window = array<i64: 2, 2>, strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pad_low = array<i64: 0, 0>, pad_high = array<i64: 1, 1>} : tensor<?x5x5x2xf32> -> tensor<?x3x3x8xf32>
  %1 = kiln.mul %0, %r : tensor<?x3x3x8xf32>, tensor<?x3x3x8xf32> -> tensor<?x3x3x8xf32>
  %2 = kiln.reduce_sum %1 {axes = array<i64: 0, 1, 2, 3>} : tensor<?x3x3x8xf32> -> tensor<f32>
  return %2 : tensor<f32>
}

func.func @fold_patches(%p: tensor<?x4x4x9xf32>, %like: tensor<?x4x4x1xf32>, %r: tensor<?x4x4x1xf32>) -> tensor<f32> {
  %0 = kiln.fold_patches %p, %like {window = array<i64: 3, 3>, strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pad_low = array<i64: 1, 1>, pad_high = array<i64: 1, 1>} : tensor<?x4x4x9xf32>, tensor<?x4x4x1xf32> -> tensor<?x4x4x1xf32>
  %1 = kiln.mul %0, %r : tensor<?x4x4x1xf32>, tensor<?x4x4x1xf32> -> tensor<?x4x4x1xf32>
  %2 = kiln.reduce_sum %1 {axes = array<i64: 0, 1, 2, 3>} : tensor<?x4x4x1xf32> -> tensor<f32>
  return %2 : tensor<f32>
}

func.func @max_pool(%x: tensor<?x6x6x3xf32>, %r: tensor<?x3x3x3xf32>) -> tensor<f32> {
  %0 = kiln.max_pool %x {window = array<i64: 2, 2>, strides = array<i64: 2, 2>, pad_low = array<i64: 0, 0>, pad_high = array<i64: 0, 0>} : tensor<?x6x6x3xf32> -> tensor<?x3x3x3xf32>
  %1 = kiln.mul %0, %r : tensor<?x3x3x3xf32>, tensor<?x3x3x3xf32> -> tensor<?x3x3x3xf32>
  %2 = kiln.reduce_sum %1 {axes = array<i64: 0, 1, 2, 3>} : tensor<?x3x3x3xf32> -> tensor<f32>
  return %2 : tensor<f32>
}

// 3x3 windows at stride 2 overlap, and 'same' pads one after (never the max).
func.func @max_pool_same_overlapping(%x: tensor<?x5x6x2xf32>, %r: tensor<?x3x3x2xf32>) -> tensor<f32> {
  %0 = kiln.max_pool %x {window = array<i64: 3, 3>, strides = array<i64: 2, 2>, pad_low = array<i64: 1, 0>, pad_high = array<i64: 1, 1>} : tensor<?x5x6x2xf32> -> tensor<?x3x3x2xf32>
  %1 = kiln.mul %0, %r : tensor<?x3x3x2xf32>, tensor<?x3x3x2xf32> -> tensor<?x3x3x2xf32>
  %2 = kiln.reduce_sum %1 {axes = array<i64: 0, 1, 2, 3>} : tensor<?x3x3x2xf32> -> tensor<f32>
  return %2 : tensor<f32>
}

func.func @max_pool1d(%x: tensor<?x9x2xf32>, %r: tensor<?x3x2xf32>) -> tensor<f32> {
  %0 = kiln.max_pool %x {window = array<i64: 3>, strides = array<i64: 3>, pad_low = array<i64: 0>, pad_high = array<i64: 0>} : tensor<?x9x2xf32> -> tensor<?x3x2xf32>
  %1 = kiln.mul %0, %r : tensor<?x3x2xf32>, tensor<?x3x2xf32> -> tensor<?x3x2xf32>
  %2 = kiln.reduce_sum %1 {axes = array<i64: 0, 1, 2>} : tensor<?x3x2xf32> -> tensor<f32>
  return %2 : tensor<f32>
}
