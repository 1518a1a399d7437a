// RUN: kiln-opt %s --split-input-file --verify-diagnostics

// Verifier errors of every kiln shape rule, with messages naming the dimensions.

func.func @matmul_inner_dim_mismatch(%a: tensor<4x8xf32>, %b: tensor<7x3xf32>) {
  // expected-error@+1 {{inner dimensions differ: 8 vs 7}}
  %c = kiln.matmul %a, %b : tensor<4x8xf32>, tensor<7x3xf32> -> tensor<4x3xf32>
  return
}

// -----

func.func @matmul_rank(%a: tensor<4x8xf32>, %b: tensor<2x8x3xf32>) {
  // expected-error@+1 {{expects an lhs of rank >= 2 and a rank-2 rhs, got (4, 8) and (2, 8, 3)}}
  %c = kiln.matmul %a, %b : tensor<4x8xf32>, tensor<2x8x3xf32> -> tensor<4x3xf32>
  return
}

// -----

// A rank-3 lhs keeps its leading dimensions (Dense on the last axis).
func.func @matmul_rank3_result(%a: tensor<2x4x8xf32>, %b: tensor<8x3xf32>) {
  // expected-error@+1 {{result rank 2 does not match expected rank 3 of shape (2, 4, 3)}}
  %c = kiln.matmul %a, %b : tensor<2x4x8xf32>, tensor<8x3xf32> -> tensor<4x3xf32>
  return
}

// -----

func.func @matmul_inner_dynamic(%a: tensor<2x?x8xf32>, %b: tensor<8x3xf32>) {
  // expected-error@+1 {{only the leading dimension of lhs may be dynamic, got (2, ?, 8)}}
  %c = kiln.matmul %a, %b : tensor<2x?x8xf32>, tensor<8x3xf32> -> tensor<2x?x3xf32>
  return
}

// -----

func.func @batch_matmul_inner_dim_mismatch(%a: tensor<?x4x8xf32>, %b: tensor<?x7x3xf32>) {
  // expected-error@+1 {{inner dimensions differ: 8 vs 7}}
  %c = kiln.batch_matmul %a, %b : tensor<?x4x8xf32>, tensor<?x7x3xf32> -> tensor<?x4x3xf32>
  return
}

// -----

func.func @batch_matmul_rank(%a: tensor<4x8xf32>, %b: tensor<2x8x3xf32>) {
  // expected-error@+1 {{expects rank-3 operands, got (4, 8) and (2, 8, 3)}}
  %c = kiln.batch_matmul %a, %b : tensor<4x8xf32>, tensor<2x8x3xf32> -> tensor<2x4x3xf32>
  return
}

// -----

func.func @batch_matmul_batch_mismatch(%a: tensor<2x4x8xf32>, %b: tensor<3x8x3xf32>) {
  // expected-error@+1 {{batch dimensions differ: 2 vs 3}}
  %c = kiln.batch_matmul %a, %b : tensor<2x4x8xf32>, tensor<3x8x3xf32> -> tensor<2x4x3xf32>
  return
}

// -----

func.func @batch_matmul_inner_dynamic(%a: tensor<?x?x8xf32>, %b: tensor<?x8x3xf32>) {
  // expected-error@+1 {{only the batch dimension may be dynamic, got (?, ?, 8)}}
  %c = kiln.batch_matmul %a, %b : tensor<?x?x8xf32>, tensor<?x8x3xf32> -> tensor<?x?x3xf32>
  return
}

// -----

func.func @batch_matmul_result(%a: tensor<?x4x8xf32>, %b: tensor<?x8x3xf32>) {
  // expected-error@+1 {{result shape (?, 4, 5) does not match expected shape (?, 4, 3) (dimension 2)}}
  %c = kiln.batch_matmul %a, %b : tensor<?x4x8xf32>, tensor<?x8x3xf32> -> tensor<?x4x5xf32>
  return
}

// -----

func.func @matmul_result_shape(%a: tensor<?x8xf32>, %b: tensor<8x3xf32>) {
  // expected-error@+1 {{result shape (?, 5) does not match expected shape (?, 3) (dimension 1)}}
  %c = kiln.matmul %a, %b : tensor<?x8xf32>, tensor<8x3xf32> -> tensor<?x5xf32>
  return
}

// -----

func.func @add_not_broadcastable(%a: tensor<?x3xf32>, %b: tensor<4xf32>) {
  // expected-error@+1 {{operands are not broadcast-compatible: (?, 3) vs (4,) (result dimension 1 is 3 vs 4)}}
  %c = kiln.add %a, %b : tensor<?x3xf32>, tensor<4xf32> -> tensor<?x3xf32>
  return
}

// -----

func.func @mul_result_rank(%a: tensor<2x3xf32>, %b: tensor<3xf32>) {
  // expected-error@+1 {{result rank 1 does not match expected rank 2 of shape (2, 3)}}
  %c = kiln.mul %a, %b : tensor<2x3xf32>, tensor<3xf32> -> tensor<3xf32>
  return
}

// -----

func.func @sub_result_shape(%a: tensor<2x1xf32>, %b: tensor<1x3xf32>) {
  // expected-error@+1 {{result shape (2, 1) does not match expected shape (2, 3) (dimension 1)}}
  %c = kiln.sub %a, %b : tensor<2x1xf32>, tensor<1x3xf32> -> tensor<2x1xf32>
  return
}

// -----

func.func @relu_type_mismatch(%a: tensor<2x3xf32>) {
  // expected-error@+1 {{all non-scalar operands/results must have the same shape and base type}}
  %c = "kiln.relu"(%a) : (tensor<2x3xf32>) -> tensor<3x2xf32>
  return
}

// -----

func.func @relu_not_f32(%a: tensor<2x3xf16>) {
  // expected-error@+1 {{operand #0 must be ranked tensor of 32-bit float or 64-bit float values}}
  %c = kiln.relu %a : tensor<2x3xf16>
  return
}

// -----

func.func @softmax_axis(%a: tensor<?x10xf32>) {
  // expected-error@+1 {{axis 2 is out of range for rank 2}}
  %c = kiln.softmax %a {axis = 2} : tensor<?x10xf32>
  return
}

// -----

func.func @softmax_scalar(%a: tensor<f32>) {
  // expected-error@+1 {{expects an operand of rank >= 1}}
  %c = kiln.softmax %a : tensor<f32>
  return
}

// -----

func.func @reshape_count(%a: tensor<?x2x3xf32>) {
  // expected-error@+1 {{element counts differ: (?, 2, 3) holds 6 per sample, (?, 7) holds 7}}
  %c = kiln.reshape %a : tensor<?x2x3xf32> -> tensor<?x7xf32>
  return
}

// -----

func.func @reshape_batch_moves(%a: tensor<?x6xf32>) {
  // expected-error@+1 {{the dynamic batch dimension must stay in place: (?, 6) -> (6, 1)}}
  %c = kiln.reshape %a : tensor<?x6xf32> -> tensor<6x1xf32>
  return
}

// -----

func.func @reshape_inner_dynamic(%a: tensor<?x?xf32>) {
  // expected-error@+1 {{only the leading (batch) dimension may be dynamic, got (?, ?)}}
  %c = kiln.reshape %a : tensor<?x?xf32> -> tensor<?x6xf32>
  return
}

// -----

func.func @reshape_element_type(%a: tensor<?x6xi1>) {
  // expected-error@+1 {{changes the element type ('i1' -> 'f32'); kiln.cast does that}}
  %c = kiln.reshape %a : tensor<?x6xi1> -> tensor<?x2x3xf32>
  return
}

// -----

func.func @reduce_axis_range(%a: tensor<?x4xf32>) {
  // expected-error@+1 {{axis 2 is out of range for rank 2}}
  %c = kiln.reduce_sum %a {axes = array<i64: 2>} : tensor<?x4xf32> -> tensor<?xf32>
  return
}

// -----

func.func @reduce_axis_duplicate(%a: tensor<?x4xf32>) {
  // expected-error@+1 {{axes must be distinct}}
  %c = kiln.reduce_mean %a {axes = array<i64: 1, -1>} : tensor<?x4xf32> -> tensor<?xf32>
  return
}

// -----

func.func @reduce_result(%a: tensor<?x4xf32>) {
  // expected-error@+1 {{result rank 1 does not match expected rank 2 of shape (?, 1)}}
  %c = kiln.reduce_sum %a {axes = array<i64: 1>, keep_dims = true} : tensor<?x4xf32> -> tensor<?xf32>
  return
}

// -----

func.func @transpose_not_permutation(%a: tensor<2x3xf32>) {
  // expected-error@+1 {{permutation (0, 0) is not a permutation of 0..1}}
  %c = kiln.transpose %a {permutation = array<i64: 0, 0>} : tensor<2x3xf32> -> tensor<2x2xf32>
  return
}

// -----

func.func @broadcast_incompatible(%a: tensor<3xf32>, %r: tensor<?x4xf32>) {
  // expected-error@+1 {{cannot broadcast (3,) to (?, 4)}}
  %c = kiln.broadcast %a, %r : tensor<3xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
  return
}

// -----

func.func @clip_range(%a: tensor<3xf32>) {
  // expected-error@+1 {{min 1.000000e+00 is greater than max 0.000000e+00}}
  %c = kiln.clip %a {min = 1.0, max = 0.0} : tensor<3xf32>
  return
}

// -----

func.func @one_hot_shape(%a: tensor<?xf32>) {
  // expected-error@+1 {{result shape (?, 3) does not match expected shape (?, 4) (dimension 1)}}
  %c = kiln.one_hot %a {depth = 4} : tensor<?xf32> -> tensor<?x3xf32>
  return
}

// -----

func.func @dropout_rate_out_of_range(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  // expected-error@+1 {{rate must be in [0, 1), got 1.5}}
  %y = kiln.dropout %x {rate = 1.500000e+00 : f64} : tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// -----

func.func @dropout_noise_shape(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  // expected-error@+1 {{noise_shape dimension 3 must be 1 or the input's 4}}
  %y = kiln.dropout %x {rate = 5.000000e-01 : f64, noise_shape = array<i64: 1, 3>} : tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// -----

func.func @random_uniform_rng(%x: tensor<?x4xf32>, %rng: tensor<3xi64>) -> tensor<?x4xf32> {
  // expected-error@+1 {{rng must be tensor<2xi64> ([seed, step]), got 'tensor<3xi64>'}}
  %u = kiln.random_uniform %x, %rng {stream = 1 : i64} : tensor<?x4xf32>, tensor<3xi64>
  return %u : tensor<?x4xf32>
}

// -----

func.func @conv_channels(%x: tensor<?x8x8x3xf32>, %w: tensor<3x3x2x4xf32>) {
  // expected-error@+1 {{kernel (3, 3, 2, 4) expects 2 input channels, the input (?, 8, 8, 3) has 3}}
  %y = kiln.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pad_low = array<i64: 0, 0>, pad_high = array<i64: 0, 0>} : tensor<?x8x8x3xf32>, tensor<3x3x2x4xf32> -> tensor<?x6x6x4xf32>
  return
}

// -----

func.func @conv_result(%x: tensor<?x8x8x2xf32>, %w: tensor<3x3x2x4xf32>) {
  // expected-error@+1 {{result shape (?, 6, 6, 4) does not match expected shape (?, 3, 3, 4) (dimension 1)}}
  %y = kiln.conv %x, %w {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pad_low = array<i64: 0, 0>, pad_high = array<i64: 0, 0>} : tensor<?x8x8x2xf32>, tensor<3x3x2x4xf32> -> tensor<?x6x6x4xf32>
  return
}

// -----

func.func @conv_window_too_large(%x: tensor<?x4x4x2xf32>, %w: tensor<3x3x2x4xf32>) {
  // expected-error@+1 {{spatial dimension 0: the window spans 5 elements, more than the padded input's 4}}
  %y = kiln.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 2, 2>, pad_low = array<i64: 0, 0>, pad_high = array<i64: 0, 0>} : tensor<?x4x4x2xf32>, tensor<3x3x2x4xf32> -> tensor<?x1x1x4xf32>
  return
}

// -----

func.func @conv_attr_length(%x: tensor<?x8x8x2xf32>, %w: tensor<3x3x2x4xf32>) {
  // expected-error@+1 {{'strides' has 1 values, expected 2}}
  %y = kiln.conv %x, %w {strides = array<i64: 1>, dilations = array<i64: 1, 1>, pad_low = array<i64: 0, 0>, pad_high = array<i64: 0, 0>} : tensor<?x8x8x2xf32>, tensor<3x3x2x4xf32> -> tensor<?x6x6x4xf32>
  return
}

// -----

func.func @conv_zero_stride(%x: tensor<?x8x8x2xf32>, %w: tensor<3x3x2x4xf32>) {
  // expected-error@+1 {{spatial dimension 1: window 3, stride 0 and dilation 1 must be positive}}
  %y = kiln.conv %x, %w {strides = array<i64: 1, 0>, dilations = array<i64: 1, 1>, pad_low = array<i64: 0, 0>, pad_high = array<i64: 0, 0>} : tensor<?x8x8x2xf32>, tensor<3x3x2x4xf32> -> tensor<?x6x6x4xf32>
  return
}

// -----

func.func @conv_dynamic_spatial(%x: tensor<?x?x8x2xf32>, %w: tensor<3x3x2x4xf32>) {
  // expected-error@+1 {{spatial dimension 0 must be static}}
  %y = kiln.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pad_low = array<i64: 0, 0>, pad_high = array<i64: 0, 0>} : tensor<?x?x8x2xf32>, tensor<3x3x2x4xf32> -> tensor<?x6x6x4xf32>
  return
}

// -----

func.func @max_pool_all_padding(%x: tensor<?x8x8x2xf32>) {
  // expected-error@+1 {{spatial dimension 0: padding (2, 0) must be smaller than the window 2}}
  %y = kiln.max_pool %x {window = array<i64: 2, 2>, strides = array<i64: 2, 2>, pad_low = array<i64: 2, 0>, pad_high = array<i64: 0, 0>} : tensor<?x8x8x2xf32> -> tensor<?x5x4x2xf32>
  return
}

// -----

func.func @max_pool_grad_shape(%x: tensor<?x8x8x2xf32>, %g: tensor<?x3x4x2xf32>) {
  // expected-error@+1 {{gradient (?, 3, 4, 2) does not match the pooled shape (?, 4, 4, 2)}}
  %y = kiln.max_pool_grad %x, %g {window = array<i64: 2, 2>, strides = array<i64: 2, 2>, pad_low = array<i64: 0, 0>, pad_high = array<i64: 0, 0>} : tensor<?x8x8x2xf32>, tensor<?x3x4x2xf32> -> tensor<?x8x8x2xf32>
  return
}

// -----

func.func @fold_patches_shape(%p: tensor<?x6x6x9xf32>, %x: tensor<?x8x8x2xf32>) {
  // expected-error@+1 {{patches (?, 6, 6, 9) do not match the window's patches of the input, (?, 6, 6, 18)}}
  %y = kiln.fold_patches %p, %x {window = array<i64: 3, 3>, strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pad_low = array<i64: 0, 0>, pad_high = array<i64: 0, 0>} : tensor<?x6x6x9xf32>, tensor<?x8x8x2xf32> -> tensor<?x8x8x2xf32>
  return
}

// -----

func.func @pool_rank(%x: tensor<?x8xf32>) {
  // expected-error@+1 {{expects a channels-last input (batch, spatial..., channels), got (?, 8)}}
  %y = kiln.max_pool %x {window = array<i64: 2>, strides = array<i64: 2>, pad_low = array<i64: 0>, pad_high = array<i64: 0>} : tensor<?x8xf32> -> tensor<?x4xf32>
  return
}

// -----

func.func @concat_dims(%a: tensor<?x5xf32>, %b: tensor<?x2x1xf32>) {
  // expected-error@+1 {{inputs differ in rank: (?, 5) vs (?, 2, 1)}}
  %c = kiln.concat %a, %b {axis = -1 : i64} : (tensor<?x5xf32>, tensor<?x2x1xf32>) -> tensor<?x7xf32>
  return
}

// -----

func.func @concat_other_dim(%a: tensor<4x5xf32>, %b: tensor<3x2xf32>) {
  // expected-error@+1 {{inputs differ in dimension 0: (4, 5) vs (3, 2)}}
  %c = kiln.concat %a, %b {axis = 1 : i64} : (tensor<4x5xf32>, tensor<3x2xf32>) -> tensor<4x7xf32>
  return
}

// -----

func.func @slice_range(%a: tensor<?x5xf32>) {
  // expected-error@+1 {{range [4, 7) is not within axis 1 of (?, 5)}}
  %c = kiln.slice %a {axis = 1 : i64, start = 4 : i64, size = 3 : i64} : tensor<?x5xf32> -> tensor<?x3xf32>
  return
}

// -----

func.func @zeros_dynamic(%a: tensor<?x5xf32>) {
  // expected-error@+1 {{only the leading dimension of the result may be dynamic, got (?, ?)}}
  %c = kiln.zeros %a : tensor<?x5xf32> -> tensor<?x?xf32>
  return
}

// -----

func.func @sequence_step_rank(%a: tensor<?x5xf32>, %t: index) {
  // expected-error@+1 {{expects a sequence (batch, time, features...), got (?, 5)}}
  %c = kiln.sequence_step %a[%t] : tensor<?x5xf32> -> tensor<?xf32>
  return
}

// -----

func.func @sequence_insert_shape(%v: tensor<?x4xf32>, %s: tensor<?x7x5xf32>, %t: index) {
  // expected-error@+1 {{value (?, 4) does not match a step (?, 5) of the sequence}}
  %c = kiln.sequence_insert %v into %s[%t] : tensor<?x4xf32> into tensor<?x7x5xf32>
  return
}

// -----

func.func @gather_table_rank(%t: tensor<20xf32>, %ids: tensor<?x7xi32>) {
  // expected-error@+1 {{expects a rank-2 table, got (20,)}}
  %e = kiln.gather %t[%ids] : tensor<20xf32>, tensor<?x7xi32> -> tensor<?x7xf32>
  return
}

// -----

func.func @gather_result_shape(%t: tensor<20x6xf32>, %ids: tensor<?x7xi32>) {
  // expected-error@+1 {{result shape (?, 7, 5) does not match expected shape (?, 7, 6) (dimension 2)}}
  %e = kiln.gather %t[%ids] : tensor<20x6xf32>, tensor<?x7xi32> -> tensor<?x7x5xf32>
  return
}

// -----

func.func @gather_scalar_ids(%t: tensor<20x6xf32>, %ids: tensor<i32>) {
  // expected-error@+1 {{expects indices of rank >= 1}}
  %e = kiln.gather %t[%ids] : tensor<20x6xf32>, tensor<i32> -> tensor<6xf32>
  return
}

// -----

func.func @gather_index_type(%t: tensor<20x6xf32>, %ids: tensor<?x7xi8>) {
  // expected-error@+1 {{operand #1 must be ranked tensor of 32-bit signless integer or 64-bit signless integer or 32-bit float or 64-bit float values}}
  %e = kiln.gather %t[%ids] : tensor<20x6xf32>, tensor<?x7xi8> -> tensor<?x7x6xf32>
  return
}

// -----

func.func @scatter_add_shapes(%u: tensor<?x6x6xf32>, %ids: tensor<?x7xi32>) {
  // expected-error@+1 {{updates (?, 6, 6) are not the indices' shape (?, 7) plus one row dimension}}
  %g = kiln.scatter_add %u[%ids] {num_rows = 20 : i64} : tensor<?x6x6xf32>, tensor<?x7xi32> -> tensor<20x6xf32>
  return
}

// -----

func.func @scatter_add_rows(%u: tensor<?x7x6xf32>, %ids: tensor<?x7xi32>) {
  // expected-error@+1 {{num_rows must be positive, got 0}}
  %g = kiln.scatter_add %u[%ids] {num_rows = 0 : i64} : tensor<?x7x6xf32>, tensor<?x7xi32> -> tensor<0x6xf32>
  return
}

// -----

func.func @scatter_add_result(%u: tensor<?x7x6xf32>, %ids: tensor<?x7xi32>) {
  // expected-error@+1 {{result shape (21, 6) does not match expected shape (20, 6) (dimension 0)}}
  %g = kiln.scatter_add %u[%ids] {num_rows = 20 : i64} : tensor<?x7x6xf32>, tensor<?x7xi32> -> tensor<21x6xf32>
  return
}

// -----

// TimeDistributed's per-step statistics: the step axis lies between the
// batch and the channel axis.
func.func @batch_norm_step_axis_order(%x: tensor<?x3x4xf32>, %m: tensor<3xf32>, %v: tensor<3xf32>) {
  // expected-error@+1 {{step_axis 2 must lie between the batch axis and the channel axis 1}}
  %y = kiln.batch_norm %x, %m, %v {axis = 1 : i64, epsilon = 1.0e-03 : f64, momentum = 0.99 : f64, step_axis = 2 : i64, operandSegmentSizes = array<i32: 1, 0, 0, 1, 1>} : (tensor<?x3x4xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<?x3x4xf32>
  return
}

// -----

func.func @batch_norm_step_axis_batch(%x: tensor<?x3x4xf32>, %m: tensor<4xf32>, %v: tensor<4xf32>) {
  // expected-error@+1 {{step_axis 0 must lie between the batch axis and the channel axis 2}}
  %y = kiln.batch_norm %x, %m, %v {axis = -1 : i64, epsilon = 1.0e-03 : f64, momentum = 0.99 : f64, step_axis = 0 : i64, operandSegmentSizes = array<i32: 1, 0, 0, 1, 1>} : (tensor<?x3x4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x3x4xf32>
  return
}

// -----

func.func @compare_mixed_types(%a: tensor<3xf32>, %b: tensor<3xi64>) {
  // expected-error@+1 {{compares operands of different element types: 'tensor<3xf32>' vs 'tensor<3xi64>'}}
  %c = kiln.less %a, %b : tensor<3xf32>, tensor<3xi64> -> tensor<3xi1>
  return
}

// -----

func.func @compare_bools(%a: tensor<3xi1>, %b: tensor<3xi1>) {
  // expected-error@+1 {{compares booleans; use the logical ops}}
  %c = kiln.equal %a, %b : tensor<3xi1>, tensor<3xi1> -> tensor<3xi1>
  return
}

// -----

func.func @compare_broadcast(%a: tensor<3xf32>, %b: tensor<4xf32>) {
  // expected-error@+1 {{operands are not broadcast-compatible: (3,) vs (4,)}}
  %c = kiln.greater %a, %b : tensor<3xf32>, tensor<4xf32> -> tensor<4xi1>
  return
}

// -----

func.func @select_branch_types(%c: tensor<3xi1>, %a: tensor<3xf32>, %b: tensor<3xi64>) {
  // expected-error@+1 {{branches and result must have one element type}}
  %r = kiln.select %c, %a, %b : tensor<3xi1>, tensor<3xf32>, tensor<3xi64> -> tensor<3xf32>
  return
}

// -----

func.func @select_shape(%c: tensor<2x3xi1>, %a: tensor<3xf32>, %b: tensor<3xf32>) {
  // expected-error@+1 {{result rank 1 does not match expected rank 2 of shape (2, 3)}}
  %r = kiln.select %c, %a, %b : tensor<2x3xi1>, tensor<3xf32>, tensor<3xf32> -> tensor<3xf32>
  return
}

// -----

func.func @argmax_axis(%x: tensor<4x10xf32>) {
  // expected-error@+1 {{axis 2 is out of range}}
  %i = kiln.argmax %x {axis = 2 : i64} : tensor<4x10xf32> -> tensor<4xi64>
  return
}

// -----

func.func @argmax_batch(%x: tensor<?x10xf32>) {
  // expected-error@+1 {{reduces a dynamic axis}}
  %i = kiln.argmax %x {axis = 0 : i64} : tensor<?x10xf32> -> tensor<10xi64>
  return
}

// -----

func.func @argmax_result(%x: tensor<4x10xf32>) {
  // expected-error@+1 {{result shape (10,) does not match expected shape (4,)}}
  %i = kiln.argmax %x {axis = 1 : i64} : tensor<4x10xf32> -> tensor<10xi64>
  return
}

// -----

func.func @cast_float_to_float(%x: tensor<4xf32>) {
  // expected-error@+1 {{casts between float types}}
  %y = kiln.cast %x : tensor<4xf32> -> tensor<4xf64>
  return
}

// -----

func.func @cast_shape(%x: tensor<4xf32>) {
  // expected-error@+1 {{result rank 2 does not match expected rank 1 of shape (4,)}}
  %y = kiln.cast %x : tensor<4xf32> -> tensor<2x2xi64>
  return
}

// -----

func.func @random_flip_batch_axis(%x: tensor<?x4x4x1xf32>) -> tensor<?x4x4x1xf32> {
  // expected-error@+1 {{axis 0 is not a non-batch axis of rank 4}}
  %y = kiln.random_flip %x {axes = array<i64: 0>} : tensor<?x4x4x1xf32>
  return %y : tensor<?x4x4x1xf32>
}

// -----

func.func @random_flip_twice(%x: tensor<?x4x4x1xf32>) -> tensor<?x4x4x1xf32> {
  // expected-error@+1 {{axis 2 is listed twice}}
  %y = kiln.random_flip %x {axes = array<i64: 2, 2>} : tensor<?x4x4x1xf32>
  return %y : tensor<?x4x4x1xf32>
}

// -----

func.func @random_affine_kind(%x: tensor<?x4x4x1xf32>) -> tensor<?x4x4x1xf32> {
  // expected-error@+1 {{kind 'shear' must be rotation (2 bounds), zoom (2 or 4) or translation (4), got 2 bounds}}
  %y = kiln.random_affine %x {kind = "shear", bounds = array<f64: -0.1, 0.1>, axes = array<i64: 1, 2>, interpolation = "bilinear", fill_mode = "reflect", fill_value = 0.0 : f64} : tensor<?x4x4x1xf32>
  return %y : tensor<?x4x4x1xf32>
}

// -----

func.func @random_affine_translation_bounds(%x: tensor<?x4x4x1xf32>) -> tensor<?x4x4x1xf32> {
  // expected-error@+1 {{kind 'translation' must be rotation (2 bounds), zoom (2 or 4) or translation (4), got 2 bounds}}
  %y = kiln.random_affine %x {kind = "translation", bounds = array<f64: -0.1, 0.1>, axes = array<i64: 1, 2>, interpolation = "bilinear", fill_mode = "reflect", fill_value = 0.0 : f64} : tensor<?x4x4x1xf32>
  return %y : tensor<?x4x4x1xf32>
}

// -----

func.func @random_affine_reversed(%x: tensor<?x4x4x1xf32>) -> tensor<?x4x4x1xf32> {
  // expected-error@+1 {{bounds [0.2, 0.1] must be finite, the lower first}}
  %y = kiln.random_affine %x {kind = "rotation", bounds = array<f64: 0.2, 0.1>, axes = array<i64: 1, 2>, interpolation = "bilinear", fill_mode = "reflect", fill_value = 0.0 : f64} : tensor<?x4x4x1xf32>
  return %y : tensor<?x4x4x1xf32>
}

// -----

func.func @random_affine_zoom_to_nothing(%x: tensor<?x4x4x1xf32>) -> tensor<?x4x4x1xf32> {
  // expected-error@+1 {{zoom bounds must be above -1 (a positive scale)}}
  %y = kiln.random_affine %x {kind = "zoom", bounds = array<f64: -1.0, 0.1>, axes = array<i64: 1, 2>, interpolation = "bilinear", fill_mode = "reflect", fill_value = 0.0 : f64} : tensor<?x4x4x1xf32>
  return %y : tensor<?x4x4x1xf32>
}

// -----

func.func @random_affine_axes(%x: tensor<?x4x4x1xf32>) -> tensor<?x4x4x1xf32> {
  // expected-error@+1 {{axes must be [1, 2] (channels last) or [2, 3] (channels first)}}
  %y = kiln.random_affine %x {kind = "rotation", bounds = array<f64: -0.1, 0.1>, axes = array<i64: 1, 3>, interpolation = "bilinear", fill_mode = "reflect", fill_value = 0.0 : f64} : tensor<?x4x4x1xf32>
  return %y : tensor<?x4x4x1xf32>
}

// -----

func.func @random_affine_fill_mode(%x: tensor<?x4x4x1xf32>) -> tensor<?x4x4x1xf32> {
  // expected-error@+1 {{fill_mode must be reflect, wrap, constant or nearest, got 'mirror'}}
  %y = kiln.random_affine %x {kind = "rotation", bounds = array<f64: -0.1, 0.1>, axes = array<i64: 1, 2>, interpolation = "bilinear", fill_mode = "mirror", fill_value = 0.0 : f64} : tensor<?x4x4x1xf32>
  return %y : tensor<?x4x4x1xf32>
}

// -----

func.func @random_color_kind(%x: tensor<?x4x4x3xf32>) -> tensor<?x4x4x3xf32> {
  // expected-error@+1 {{kind must be contrast or brightness, got 'hue'}}
  %y = kiln.random_color %x {kind = "hue", bounds = array<f64: 0.9, 1.1>, value_range = array<f64: 0.0, 255.0>, axes = array<i64: 1, 2>} : tensor<?x4x4x3xf32>
  return %y : tensor<?x4x4x3xf32>
}

// -----

func.func @random_color_rank(%x: tensor<?x16xf32>) -> tensor<?x16xf32> {
  // expected-error@+1 {{expects a batch of images (rank 4), got rank 2}}
  %y = kiln.random_color %x {kind = "brightness", bounds = array<f64: -0.1, 0.1>, value_range = array<f64: 0.0, 1.0>, axes = array<i64: 1, 2>} : tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

// -----

func.func @image_transform_maps(%x: tensor<?x4x4x1xf32>, %t: tensor<?x6xf32>) -> tensor<?x4x4x1xf32> {
  // expected-error@+1 {{transforms must be (N, 8), one map per image of 'tensor<?x4x4x1xf32>'}}
  %y = kiln.image_transform %x, %t {interpolation = "bilinear", fill_mode = "reflect", fill_value = 0.0 : f64} : tensor<?x4x4x1xf32>, tensor<?x6xf32>
  return %y : tensor<?x4x4x1xf32>
}

// -----

func.func @image_transform_interpolation(%x: tensor<2x4x4x1xf32>, %t: tensor<2x8xf32>) -> tensor<2x4x4x1xf32> {
  // expected-error@+1 {{interpolation must be bilinear or nearest, got 'bicubic'}}
  %y = kiln.image_transform %x, %t {interpolation = "bicubic", fill_mode = "reflect", fill_value = 0.0 : f64} : tensor<2x4x4x1xf32>, tensor<2x8xf32>
  return %y : tensor<2x4x4x1xf32>
}

// -----

func.func @gaussian_noise_negative(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  // expected-error@+1 {{stddev must be a finite number >= 0, got -1}}
  %y = kiln.gaussian_noise %x {stddev = -1.000000e+00 : f64} : tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// -----

func.func @alpha_dropout_rate(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  // expected-error@+1 {{rate must be in [0, 1), got 1}}
  %y = kiln.alpha_dropout %x {rate = 1.000000e+00 : f64} : tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// -----

func.func @activity_regularizer_negative(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  // expected-error@+1 {{l1 and l2 must be finite numbers >= 0}}
  %y = kiln.activity_regularizer %x {l1 = -1.000000e-02 : f64, l2 = 0.0 : f64} : tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// -----

func.func @gather_nd_scalar_indices(%d: tensor<?x8xf32>, %i: tensor<i64>) {
  // expected-error@+1 {{expects indices of rank >= 1}}
  %g = kiln.gather_nd %d[%i] : tensor<?x8xf32>, tensor<i64> -> tensor<?x8xf32>
  return
}

// -----

func.func @scatter_nd_add_scalar_indices(%u: tensor<?x8xf32>, %i: tensor<i64>, %x: tensor<?x8xf32>) {
  // expected-error@+1 {{expects indices of rank >= 1}}
  %g = kiln.scatter_nd_add %u[%i] like %x : tensor<?x8xf32>, tensor<i64>, tensor<?x8xf32> -> tensor<?x8xf32>
  return
}

// -----

func.func @gather_nd_tuple_too_long(%d: tensor<?x8xf32>, %i: tensor<?x3xi64>) {
  // expected-error@+1 {{the indices' last dimension (?, 3) must be static and index at most the 2 dimensions of (?, 8) after the batch dimensions}}
  %g = kiln.gather_nd %d[%i] : tensor<?x8xf32>, tensor<?x3xi64> -> tensor<?xf32>
  return
}

// -----

func.func @gather_nd_batch_dims(%d: tensor<4x8xf32>, %i: tensor<3x1xi64>) {
  // expected-error@+1 {{batch dimension 0 differs: (4, 8) vs (3, 1)}}
  %g = kiln.gather_nd %d[%i] {batch_dims = 1 : i64} : tensor<4x8xf32>, tensor<3x1xi64> -> tensor<3xf32>
  return
}

// -----

func.func @gather_nd_batch_dims_rank(%d: tensor<4x8xf32>, %i: tensor<4x1xi64>) {
  // expected-error@+1 {{batch_dims 2 must be below both ranks ((4, 8), (4, 1))}}
  %g = kiln.gather_nd %d[%i] {batch_dims = 2 : i64} : tensor<4x8xf32>, tensor<4x1xi64> -> tensor<4xf32>
  return
}

// -----

func.func @gather_nd_result(%d: tensor<?x8x5xi1>, %i: tensor<?x3x2xi64>) {
  // expected-error@+1 {{result rank 2 does not match expected rank 3 of shape (?, 3, 5)}}
  %g = kiln.gather_nd %d[%i] : tensor<?x8x5xi1>, tensor<?x3x2xi64> -> tensor<?x3xi1>
  return
}

// -----

func.func @gather_nd_float_indices(%d: tensor<?x8xf32>, %i: tensor<?x2xf32>) {
  // expected-error@+1 {{operand #1 must be ranked tensor of 32-bit signless integer or 64-bit signless integer values}}
  %g = kiln.gather_nd %d[%i] : tensor<?x8xf32>, tensor<?x2xf32> -> tensor<?xf32>
  return
}

// -----

func.func @scatter_nd_add_updates(%u: tensor<?x4xf32>, %i: tensor<?x3x1xi64>, %x: tensor<?x4x5xf32>) {
  // expected-error@+1 {{updates (?, 4) are not the slices (?, 3, 5) the indices pick}}
  %g = kiln.scatter_nd_add %u[%i] like %x {batch_dims = 1 : i64} : tensor<?x4xf32>, tensor<?x3x1xi64>, tensor<?x4x5xf32> -> tensor<?x4x5xf32>
  return
}

// -----

func.func @scatter_nd_add_result(%u: tensor<?x3x5xf32>, %i: tensor<?x3x1xi64>, %x: tensor<?x4x5xf32>) {
  // expected-error@+1 {{expects the result to have like's type and the updates' element type}}
  %g = kiln.scatter_nd_add %u[%i] like %x {batch_dims = 1 : i64} : tensor<?x3x5xf32>, tensor<?x3x1xi64>, tensor<?x4x5xf32> -> tensor<4x4x5xf32>
  return
}

// -----

func.func @batch_index_static_rest(%x: tensor<?x8xi64>) {
  // expected-error@+1 {{only the leading dimension of the result may be dynamic, got (?, ?)}}
  %n = kiln.batch_index %x : tensor<?x8xi64> -> tensor<?x?xi64>
  return
}

// -----

func.func @concat_element_types(%a: tensor<?x1xi64>, %b: tensor<?x1xi32>) {
  // expected-error@+1 {{input element type 'i32' differs from the result's 'i64'}}
  %c = kiln.concat %a, %b {axis = -1 : i64} : (tensor<?x1xi64>, tensor<?x1xi32>) -> tensor<?x2xi64>
  return
}

// -----

func.func @add_element_types(%a: tensor<?x6xi32>, %b: tensor<i64>) {
  // expected-error@+1 {{operand element type 'i64' differs from the result's 'i32'}}
  %c = kiln.add %a, %b : tensor<?x6xi32>, tensor<i64> -> tensor<?x6xi32>
  return
}

// -----

func.func @div_integers(%a: tensor<4xi32>, %b: tensor<4xi32>) {
  // expected-error@+1 {{operand #0 must be ranked tensor of 32-bit float or 64-bit float values}}
  %c = kiln.div %a, %b : tensor<4xi32>, tensor<4xi32> -> tensor<4xi32>
  return
}

// -----

func.func @cumsum_batch(%x: tensor<?x6xf32>) {
  // expected-error@+1 {{sums along axis 0 of (?, 6), which must be static}}
  %c = kiln.cumsum %x {axis = 0 : i64} : tensor<?x6xf32>
  return
}

// -----

func.func @cumsum_axis(%x: tensor<?x6xf32>) {
  // expected-error@+1 {{axis 2 is out of range for rank 2}}
  %c = kiln.cumsum %x {axis = 2 : i64} : tensor<?x6xf32>
  return
}
