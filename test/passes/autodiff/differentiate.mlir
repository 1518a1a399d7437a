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

// relu' = step(x); sigmoid' = y * (1 - y).
// CHECK-LABEL: func.func @activations_grad
// CHECK-SAME:    (%[[X:.+]]: tensor<4xf32>)
// CHECK:         %[[R:.+]] = kiln.relu %[[X]]
// CHECK:         %[[S:.+]] = kiln.sigmoid %[[R]]
// CHECK:         kiln.broadcast
// CHECK:         %[[GS:.+]] = kiln.mul %{{.+}}, %[[S]]
// CHECK:         %[[ONE:.+]] = kiln.constant dense<1.000000e+00> : tensor<f32>
// CHECK:         %[[OMY:.+]] = kiln.sub %[[ONE]], %[[S]]
// CHECK:         %[[GR:.+]] = kiln.mul %[[GS]], %[[OMY]]
// CHECK:         %[[STEP:.+]] = kiln.step %[[X]] : tensor<4xf32>
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
