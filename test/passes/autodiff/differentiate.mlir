// RUN: kiln-opt %s --split-input-file --kiln-differentiate | FileCheck %s

// The gradient IR that --kiln-differentiate builds from each op's VJP rule.

// d(sum(x @ w + b)) wrt the params w, b: the bias gradient is summed back
// over the batch; the weight gradient is x^T @ g.
// CHECK-LABEL: func.func @dense_grad
// CHECK-SAME:    (%[[X:.+]]: tensor<?x4xf32>, %[[W:.+]]: tensor<4x3xf32> {kiln.param = "w"}, %[[B:.+]]: tensor<3xf32> {kiln.param = "b"})
// CHECK-SAME:    -> (tensor<f32>, tensor<4x3xf32>, tensor<3xf32>)
// CHECK:         %[[ONE:.+]] = kiln.constant dense<1.000000e+00> : tensor<f32>
// CHECK:         %[[G:.+]] = kiln.broadcast %{{.+}}, %{{.+}} : tensor<1x1xf32>, tensor<?x3xf32> -> tensor<?x3xf32>
// CHECK:         %[[GB:.+]] = kiln.reduce_sum %[[G]] {axes = array<i64: 0>, keep_dims = true} : tensor<?x3xf32> -> tensor<1x3xf32>
// CHECK:         %[[DB:.+]] = kiln.reshape %[[GB]] : tensor<1x3xf32> -> tensor<3xf32>
// CHECK:         %[[XT:.+]] = kiln.transpose %[[X]] {permutation = array<i64: 1, 0>} : tensor<?x4xf32> -> tensor<4x?xf32>
// CHECK:         %[[DW:.+]] = kiln.matmul %[[XT]], %[[G]] : tensor<4x?xf32>, tensor<?x3xf32> -> tensor<4x3xf32>
// CHECK:         return %{{.+}}, %[[DW]], %[[DB]]
func.func @dense(%x: tensor<?x4xf32>, %w: tensor<4x3xf32> {kiln.param = "w"}, %b: tensor<3xf32> {kiln.param = "b"}) -> tensor<f32> attributes {kiln.differentiate} {
  %0 = kiln.matmul %x, %w : tensor<?x4xf32>, tensor<4x3xf32> -> tensor<?x3xf32>
  %1 = kiln.add %0, %b : tensor<?x3xf32>, tensor<3xf32> -> tensor<?x3xf32>
  %2 = kiln.reduce_sum %1 {axes = array<i64: 0, 1>} : tensor<?x3xf32> -> tensor<f32>
  return %2 : tensor<f32>
}

// -----

// relu' = step(x), read off the result as step(y); sigmoid' = y * (1 - y).
// CHECK-LABEL: func.func @activations_grad
// CHECK-SAME:    (%[[X:.+]]: tensor<4xf32>)
// CHECK:         %[[R:.+]] = kiln.relu %[[X]]
// CHECK:         %[[S:.+]] = kiln.sigmoid %[[R]]
// CHECK:         kiln.broadcast
// CHECK:         %[[GS:.+]] = kiln.mul %{{.+}}, %[[S]]
// CHECK:         %[[ONE:.+]] = kiln.constant dense<1.000000e+00> : tensor<f32>
// CHECK:         %[[OMY:.+]] = kiln.sub %[[ONE]], %[[S]]
// CHECK:         %[[GR:.+]] = kiln.mul %[[GS]], %[[OMY]]
// CHECK:         %[[STEP:.+]] = kiln.step %[[R]] : tensor<4xf32>
// CHECK:         %[[GX:.+]] = kiln.mul %[[GR]], %[[STEP]]
// CHECK:         return %{{.+}}, %[[GX]]
func.func @activations(%x: tensor<4xf32>) -> tensor<f32> attributes {kiln.differentiate} {
  %0 = kiln.relu %x : tensor<4xf32>
  %1 = kiln.sigmoid %0 : tensor<4xf32>
  %2 = kiln.reduce_sum %1 {axes = array<i64: 0>} : tensor<4xf32> -> tensor<f32>
  return %2 : tensor<f32>
}

// -----

// A value used twice gets the sum of both gradients.
// CHECK-LABEL: func.func @two_uses_grad
// CHECK:         kiln.broadcast
// CHECK:         %[[D1:.+]] = kiln.mul %{{.+}}, %arg0
// CHECK:         %[[D2:.+]] = kiln.mul %{{.+}}, %arg0
// CHECK:         %[[SUM:.+]] = kiln.add %[[D1]], %[[D2]]
// CHECK:         return %{{.+}}, %[[SUM]]
func.func @two_uses(%x: tensor<4xf32>) -> tensor<f32> attributes {kiln.differentiate} {
  %0 = kiln.mul %x, %x : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  %1 = kiln.reduce_sum %0 {axes = array<i64: 0>} : tensor<4xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// softmax' g = y * (g - sum(g * y)).
// CHECK-LABEL: func.func @softmax_grad
// CHECK:         %[[Y:.+]] = kiln.softmax %arg0
// CHECK:         kiln.broadcast
// CHECK:         %[[G0:.+]] = kiln.mul %{{.+}}, %arg1
// CHECK:         %[[GY:.+]] = kiln.mul %[[G0]], %[[Y]]
// CHECK:         %[[DOT:.+]] = kiln.reduce_sum %[[GY]] {axes = array<i64: 1>, keep_dims = true}
// CHECK:         %[[DIFF:.+]] = kiln.sub %{{.+}}, %[[DOT]]
// CHECK:         kiln.mul %[[Y]], %[[DIFF]]
func.func @softmax(%x: tensor<?x5xf32>, %r: tensor<?x5xf32>) -> tensor<f32> attributes {kiln.differentiate} {
  %0 = kiln.softmax %x : tensor<?x5xf32>
  %1 = kiln.mul %0, %r : tensor<?x5xf32>, tensor<?x5xf32> -> tensor<?x5xf32>
  %2 = kiln.reduce_sum %1 {axes = array<i64: 0, 1>} : tensor<?x5xf32> -> tensor<f32>
  return %2 : tensor<f32>
}

// -----

// An argument the loss does not depend on gets a zero gradient; functions
// without the attribute are left alone.
// CHECK-LABEL: func.func @unused_grad
// CHECK:         %[[Z:.+]] = kiln.constant dense<0.000000e+00> : tensor<2xf32>
// CHECK:         return %{{.+}}, %{{.+}}, %[[Z]]
// CHECK-NOT:     func.func @not_marked_grad
func.func @unused(%x: tensor<3xf32>, %unused: tensor<2xf32>) -> tensor<f32> attributes {kiln.differentiate} {
  %0 = kiln.reduce_sum %x {axes = array<i64: 0>} : tensor<3xf32> -> tensor<f32>
  return %0 : tensor<f32>
}
func.func @not_marked(%x: tensor<3xf32>) -> tensor<f32> {
  %0 = kiln.reduce_sum %x {axes = array<i64: 0>} : tensor<3xf32> -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

// One function per elementwise op: the distinctive part of its VJP rule.
// d tanh(x): 1 - y^2
// CHECK-LABEL: func.func @vjp_tanh_grad
// CHECK:         %[[Y:.+]] = kiln.tanh %arg0
// CHECK:         %[[YY:.+]] = kiln.mul %[[Y]], %[[Y]]
// CHECK:         kiln.sub %{{.+}}, %[[YY]]
func.func @vjp_tanh(%x: tensor<4xf32>) -> tensor<f32> attributes {kiln.differentiate} {
  %0 = kiln.tanh %x : tensor<4xf32>
  %1 = kiln.reduce_sum %0 {axes = array<i64: 0>} : tensor<4xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// d exp(x): y
// CHECK-LABEL: func.func @vjp_exp_grad
// CHECK:         %[[Y:.+]] = kiln.exp %arg0
// CHECK:         kiln.broadcast
// CHECK:         kiln.mul %{{.+}}, %[[Y]]
func.func @vjp_exp(%x: tensor<4xf32>) -> tensor<f32> attributes {kiln.differentiate} {
  %0 = kiln.exp %x : tensor<4xf32>
  %1 = kiln.reduce_sum %0 {axes = array<i64: 0>} : tensor<4xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// d log(x): 1 / x
// CHECK-LABEL: func.func @vjp_log_grad
// CHECK:         kiln.broadcast
// CHECK:         kiln.div %{{.+}}, %arg0
func.func @vjp_log(%x: tensor<4xf32>) -> tensor<f32> attributes {kiln.differentiate} {
  %0 = kiln.log %x : tensor<4xf32>
  %1 = kiln.reduce_sum %0 {axes = array<i64: 0>} : tensor<4xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// d neg(x): -1
// CHECK-LABEL: func.func @vjp_neg_grad
// CHECK:         kiln.broadcast
// CHECK:         kiln.neg %{{.+}} : tensor<4xf32>
func.func @vjp_neg(%x: tensor<4xf32>) -> tensor<f32> attributes {kiln.differentiate} {
  %0 = kiln.neg %x : tensor<4xf32>
  %1 = kiln.reduce_sum %0 {axes = array<i64: 0>} : tensor<4xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// d abs(x): sign(x)
// CHECK-LABEL: func.func @vjp_abs_grad
// CHECK:         kiln.sign %arg0
func.func @vjp_abs(%x: tensor<4xf32>) -> tensor<f32> attributes {kiln.differentiate} {
  %0 = kiln.abs %x : tensor<4xf32>
  %1 = kiln.reduce_sum %0 {axes = array<i64: 0>} : tensor<4xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// d sqrt(x): 1 / (2 y)
// CHECK-LABEL: func.func @vjp_sqrt_grad
// CHECK:         %[[Y:.+]] = kiln.sqrt %arg0
// CHECK:         %[[TWO:.+]] = kiln.constant dense<2.000000e+00>
// CHECK:         %[[D:.+]] = kiln.mul %[[TWO]], %[[Y]]
// CHECK:         kiln.div %{{.+}}, %[[D]]
func.func @vjp_sqrt(%x: tensor<4xf32>) -> tensor<f32> attributes {kiln.differentiate} {
  %0 = kiln.sqrt %x : tensor<4xf32>
  %1 = kiln.reduce_sum %0 {axes = array<i64: 0>} : tensor<4xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// d softplus(x): sigmoid(x)
// CHECK-LABEL: func.func @vjp_softplus_grad
// CHECK:         kiln.sigmoid %arg0
func.func @vjp_softplus(%x: tensor<4xf32>) -> tensor<f32> attributes {kiln.differentiate} {
  %0 = kiln.softplus %x : tensor<4xf32>
  %1 = kiln.reduce_sum %0 {axes = array<i64: 0>} : tensor<4xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// d erf(x): 2/sqrt(pi) exp(-x^2)
// CHECK-LABEL: func.func @vjp_erf_grad
// CHECK:         kiln.exp
// CHECK:         kiln.constant dense<1.12837923>
func.func @vjp_erf(%x: tensor<4xf32>) -> tensor<f32> attributes {kiln.differentiate} {
  %0 = kiln.erf %x : tensor<4xf32>
  %1 = kiln.reduce_sum %0 {axes = array<i64: 0>} : tensor<4xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// d gelu(x): Phi(x) + x phi(x)
// CHECK-LABEL: func.func @vjp_gelu_grad
// CHECK:         kiln.erf
// CHECK:         kiln.exp
func.func @vjp_gelu(%x: tensor<4xf32>) -> tensor<f32> attributes {kiln.differentiate} {
  %0 = kiln.gelu %x : tensor<4xf32>
  %1 = kiln.reduce_sum %0 {axes = array<i64: 0>} : tensor<4xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// d elu(x): x > 0 ? 1 : y + alpha
// CHECK-LABEL: func.func @vjp_elu_grad
// CHECK:         kiln.step %arg0
func.func @vjp_elu(%x: tensor<4xf32>) -> tensor<f32> attributes {kiln.differentiate} {
  %0 = kiln.elu %x : tensor<4xf32>
  %1 = kiln.reduce_sum %0 {axes = array<i64: 0>} : tensor<4xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// d selu(x): x > 0 ? scale : y + scale alpha
// CHECK-LABEL: func.func @vjp_selu_grad
// CHECK:         kiln.step %arg0
// CHECK:         kiln.constant dense<1.05070102>
func.func @vjp_selu(%x: tensor<4xf32>) -> tensor<f32> attributes {kiln.differentiate} {
  %0 = kiln.selu %x : tensor<4xf32>
  %1 = kiln.reduce_sum %0 {axes = array<i64: 0>} : tensor<4xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// d clip(x): 1 inside [min, max]
// CHECK-LABEL: func.func @vjp_clip_grad
// CHECK:         kiln.step
// CHECK:         kiln.step
// CHECK:         kiln.sub
func.func @vjp_clip(%x: tensor<4xf32>) -> tensor<f32> attributes {kiln.differentiate} {
  %0 = kiln.clip %x {min = -1.0, max = 1.0} : tensor<4xf32>
  %1 = kiln.reduce_sum %0 {axes = array<i64: 0>} : tensor<4xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// d log_softmax(x): g - softmax(x) sum(g)
// CHECK-LABEL: func.func @vjp_log_softmax_grad
// CHECK:         %[[Y:.+]] = kiln.log_softmax %arg0
// CHECK:         %[[S:.+]] = kiln.reduce_sum %{{.+}} {axes = array<i64: 0>, keep_dims = true}
// CHECK:         %[[P:.+]] = kiln.exp %[[Y]]
// CHECK:         %[[PS:.+]] = kiln.mul %[[P]], %[[S]]
// CHECK:         kiln.sub %{{.+}}, %[[PS]]
func.func @vjp_log_softmax(%x: tensor<4xf32>) -> tensor<f32> attributes {kiln.differentiate} {
  %0 = kiln.log_softmax %x : tensor<4xf32>
  %1 = kiln.reduce_sum %0 {axes = array<i64: 0>} : tensor<4xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// d reshape and d transpose: the gradient is reshaped / transposed back.
// CHECK-LABEL: func.func @vjp_shape_grad
// CHECK:         kiln.transpose %{{.+}} {permutation = array<i64: 1, 0>} : tensor<3x2xf32> -> tensor<2x3xf32>
// CHECK:         kiln.reshape %{{.+}} : tensor<2x3xf32> -> tensor<6xf32>
func.func @vjp_shape(%x: tensor<6xf32>) -> tensor<f32> attributes {kiln.differentiate} {
  %0 = kiln.reshape %x : tensor<6xf32> -> tensor<2x3xf32>
  %1 = kiln.transpose %0 {permutation = array<i64: 1, 0>} : tensor<2x3xf32> -> tensor<3x2xf32>
  %2 = kiln.exp %1 : tensor<3x2xf32>
  %3 = kiln.reduce_sum %2 {axes = array<i64: 0, 1>} : tensor<3x2xf32> -> tensor<f32>
  return %3 : tensor<f32>
}

// -----

// d mean(x) over the batch = broadcast(g / count), count = sum(ones).
// CHECK-LABEL: func.func @vjp_mean_grad
// CHECK:         %[[ONES:.+]] = kiln.broadcast %{{.+}}, %arg0 : tensor<f32>, tensor<?x4xf32> -> tensor<?x4xf32>
// CHECK:         %[[COUNT:.+]] = kiln.reduce_sum %[[ONES]] {axes = array<i64: 0>, keep_dims = true}
// CHECK:         %[[MEAN:.+]] = kiln.div %{{.+}}, %[[COUNT]]
// CHECK:         kiln.broadcast %[[MEAN]], %arg0 : tensor<1x4xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
func.func @vjp_mean(%x: tensor<?x4xf32>) -> tensor<f32> attributes {kiln.differentiate} {
  %0 = kiln.reduce_mean %x {axes = array<i64: 0>} : tensor<?x4xf32> -> tensor<4xf32>
  %1 = kiln.exp %0 : tensor<4xf32>
  %2 = kiln.reduce_sum %1 {axes = array<i64: 0>} : tensor<4xf32> -> tensor<f32>
  return %2 : tensor<f32>
}

// -----

// d (a / b) = (g / b, -(g / b) * y); d (a - b) = (g, -g).
// CHECK-LABEL: func.func @vjp_div_sub_grad
// CHECK:         %[[Y:.+]] = kiln.div %arg0, %arg1
// CHECK:         %[[GA:.+]] = kiln.div %{{.+}}, %arg1
// CHECK:         %[[GAY:.+]] = kiln.mul %[[GA]], %[[Y]]
// CHECK:         kiln.neg %[[GAY]]
func.func @vjp_div_sub(%a: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<f32> attributes {kiln.differentiate} {
  %0 = kiln.div %a, %b : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  %1 = kiln.sub %0, %a : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  %2 = kiln.reduce_sum %1 {axes = array<i64: 0>} : tensor<4xf32> -> tensor<f32>
  return %2 : tensor<f32>
}

// -----

// d conv wrt its input: the patches' gradient g @ W2^T (W2 the kernel as a
// (taps * C, F) matrix) folded back (col2im); wrt its kernel, P^T @ g.
// (--kiln-cuda-transposed-convolution turns the first into a convolution
// for the GPU.)
// CHECK-LABEL: func.func @vjp_conv_grad
// CHECK:         %[[W2:.+]] = kiln.reshape %arg1 : tensor<3x3x2x4xf32> -> tensor<18x4xf32>
// CHECK:         %[[W2T:.+]] = kiln.transpose %[[W2]] {permutation = array<i64: 1, 0>} : tensor<18x4xf32> -> tensor<4x18xf32>
// CHECK:         %[[DP:.+]] = kiln.matmul %{{.+}}, %[[W2T]] : tensor<2x5x6x4xf32>, tensor<4x18xf32> -> tensor<2x5x6x18xf32>
// CHECK:         kiln.fold_patches %[[DP]], %arg0 {dilations = array<i64: 1, 1>, pad_high = array<i64: 0, 1>, pad_low = array<i64: 2, 1>, strides = array<i64: 1, 1>, window = array<i64: 3, 3>}
// CHECK:         %[[P:.+]] = kiln.extract_patches %arg0
// CHECK:         kiln.matmul
func.func @vjp_conv(%x: tensor<2x5x6x2xf32> {kiln.param = "x"}, %w: tensor<3x3x2x4xf32> {kiln.param = "w"}) -> tensor<f32> attributes {kiln.differentiate} {
  %0 = kiln.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pad_low = array<i64: 2, 1>, pad_high = array<i64: 0, 1>} : tensor<2x5x6x2xf32>, tensor<3x3x2x4xf32> -> tensor<2x5x6x4xf32>
  %1 = kiln.reduce_sum %0 {axes = array<i64: 0, 1, 2, 3>} : tensor<2x5x6x4xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// A value split into slices (an LSTM's gates; here two, with a gap): its
// gradient is the concatenation of the slices' gradients, zeros where no
// slice reads, not a sum of zero-padded copies.
// CHECK-LABEL: func.func @split_grad
// CHECK-NOT:     kiln.add {{.*}} -> tensor<?x6xf32>
// CHECK:         %[[GZ:.+]] = kiln.concat %{{.+}}, %{{.+}}, %{{.+}} {axis = 1 : i64} : (tensor<?x2xf32>, tensor<?x2xf32>, tensor<?x2xf32>) -> tensor<?x6xf32>
// CHECK-NOT:     kiln.add {{.*}} -> tensor<?x6xf32>
// CHECK:         kiln.matmul %{{.+}}, %[[GZ]] : tensor<6x?xf32>, tensor<?x6xf32> -> tensor<6x6xf32>
func.func @split(%x: tensor<?x6xf32>, %w: tensor<6x6xf32> {kiln.param = "w"}) -> tensor<f32> attributes {kiln.differentiate} {
  %z = kiln.matmul %x, %w : tensor<?x6xf32>, tensor<6x6xf32> -> tensor<?x6xf32>
  %a = kiln.slice %z {axis = 1 : i64, start = 0 : i64, size = 2 : i64} : tensor<?x6xf32> -> tensor<?x2xf32>
  %b = kiln.slice %z {axis = 1 : i64, start = 4 : i64, size = 2 : i64} : tensor<?x6xf32> -> tensor<?x2xf32>
  %sa = kiln.sigmoid %a : tensor<?x2xf32>
  %tb = kiln.tanh %b : tensor<?x2xf32>
  %p = kiln.mul %sa, %tb : tensor<?x2xf32>, tensor<?x2xf32> -> tensor<?x2xf32>
  %r = kiln.reduce_sum %p {axes = array<i64: 0, 1>} : tensor<?x2xf32> -> tensor<f32>
  return %r : tensor<f32>
}

// -----

// gather_nd's data gets its slices scatter-added back into the data's
// shape (like the data: its batch is the run's); the indices get none.
// CHECK-LABEL: func.func @vjp_gather_nd_grad
// CHECK-SAME:    (%[[X:.+]]: tensor<?x4x3xf32> {kiln.param = "x"}, %[[I:.+]]: tensor<?x2x1xi64>)
// CHECK:         %[[G:.+]] = kiln.broadcast %{{.+}}, %{{.+}} : tensor<1x1x1xf32>, tensor<?x2x3xf32> -> tensor<?x2x3xf32>
// CHECK:         %[[DX:.+]] = kiln.scatter_nd_add %[[G]][%[[I]]] like %[[X]] {batch_dims = 1 : i64} : tensor<?x2x3xf32>, tensor<?x2x1xi64>, tensor<?x4x3xf32> -> tensor<?x4x3xf32>
// CHECK:         return %{{.+}}, %[[DX]]
func.func @vjp_gather_nd(%x: tensor<?x4x3xf32> {kiln.param = "x"}, %i: tensor<?x2x1xi64>) -> tensor<f32> attributes {kiln.differentiate} {
  %g = kiln.gather_nd %x[%i] {batch_dims = 1 : i64} : tensor<?x4x3xf32>, tensor<?x2x1xi64> -> tensor<?x2x3xf32>
  %l = kiln.reduce_sum %g {axes = array<i64: 0, 1, 2>} : tensor<?x2x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}
