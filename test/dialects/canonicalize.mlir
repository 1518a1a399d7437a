// RUN: kiln-opt %s --split-input-file --canonicalize="test-convergence" | FileCheck %s

// Folders and canonicalization patterns of the kiln dialect.

// relu(relu(x)) -> relu(x)
// CHECK-LABEL: func.func @relu_of_relu
// CHECK:         %[[R:.+]] = kiln.relu %{{.+}} : tensor<?x4xf32>
// CHECK-NOT:     kiln.relu
// CHECK:         return %[[R]]
func.func @relu_of_relu(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %0 = kiln.relu %x : tensor<?x4xf32>
  %1 = kiln.relu %0 : tensor<?x4xf32>
  return %1 : tensor<?x4xf32>
}

// -----

// Does not fire when the inner op is another activation.
// CHECK-LABEL: func.func @relu_of_sigmoid
// CHECK:         kiln.sigmoid
// CHECK:         kiln.relu
func.func @relu_of_sigmoid(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %0 = kiln.sigmoid %x : tensor<?x4xf32>
  %1 = kiln.relu %0 : tensor<?x4xf32>
  return %1 : tensor<?x4xf32>
}

// -----

// reshape(reshape(x)) -> reshape(x)
// CHECK-LABEL: func.func @reshape_chain
// CHECK-SAME:    (%[[X:.+]]: tensor<?x2x3xf32>)
// CHECK:         %[[R:.+]] = kiln.reshape %[[X]] : tensor<?x2x3xf32> -> tensor<?x3x2xf32>
// CHECK-NEXT:    return %[[R]]
func.func @reshape_chain(%x: tensor<?x2x3xf32>) -> tensor<?x3x2xf32> {
  %0 = kiln.reshape %x : tensor<?x2x3xf32> -> tensor<?x6xf32>
  %1 = kiln.reshape %0 : tensor<?x6xf32> -> tensor<?x3x2xf32>
  return %1 : tensor<?x3x2xf32>
}

// -----

// A reshape back to the operand's own type folds away.
// CHECK-LABEL: func.func @reshape_round_trip
// CHECK-SAME:    (%[[X:.+]]: tensor<?x6xf32>)
// CHECK-NOT:     kiln.reshape
// CHECK:         return %[[X]]
func.func @reshape_round_trip(%x: tensor<?x6xf32>) -> tensor<?x6xf32> {
  %0 = kiln.reshape %x : tensor<?x6xf32> -> tensor<?x2x3xf32>
  %1 = kiln.reshape %0 : tensor<?x2x3xf32> -> tensor<?x6xf32>
  return %1 : tensor<?x6xf32>
}

// -----

// Unused pure ops are erased; constants are deduplicated.
// CHECK-LABEL: func.func @dead_and_duplicate
// CHECK-COUNT-1: kiln.constant
// CHECK-NOT:     kiln.matmul
func.func @dead_and_duplicate(%x: tensor<?x4xf32>, %w: tensor<4x4xf32>) -> (tensor<f32>, tensor<f32>) {
  %0 = kiln.matmul %x, %w : tensor<?x4xf32>, tensor<4x4xf32> -> tensor<?x4xf32>
  %a = kiln.constant dense<2.0> : tensor<f32>
  %b = kiln.constant dense<2.0> : tensor<f32>
  return %a, %b : tensor<f32>, tensor<f32>
}

// -----

// A channels-first importer's layout round trip around an activation: the
// transpose sinks below the elementwise op and cancels with its inverse.
// CHECK-LABEL: func.func @transpose_round_trip
// CHECK-SAME:    (%[[X:.+]]: tensor<?x8x8x4xf32>)
// CHECK-NOT:     kiln.transpose
// CHECK:         %[[R:.+]] = kiln.relu %[[X]] : tensor<?x8x8x4xf32>
// CHECK-NOT:     kiln.transpose
// CHECK:         return %[[R]]
func.func @transpose_round_trip(%x: tensor<?x8x8x4xf32>) -> tensor<?x8x8x4xf32> {
  %0 = kiln.transpose %x {permutation = array<i64: 0, 3, 1, 2>} : tensor<?x8x8x4xf32> -> tensor<?x4x8x8xf32>
  %1 = kiln.relu %0 : tensor<?x4x8x8xf32>
  %2 = kiln.transpose %1 {permutation = array<i64: 0, 2, 3, 1>} : tensor<?x4x8x8xf32> -> tensor<?x8x8x4xf32>
  return %2 : tensor<?x8x8x4xf32>
}

// -----

// Two transposes compose into one; a transpose with another use stays put.
// CHECK-LABEL: func.func @transpose_compose
// CHECK:         %[[T:.+]] = kiln.transpose %{{.+}} {permutation = array<i64: 2, 0, 1>} : tensor<2x3x4xf32> -> tensor<4x2x3xf32>
// CHECK-NEXT:    return %[[T]]
func.func @transpose_compose(%x: tensor<2x3x4xf32>) -> tensor<4x2x3xf32> {
  %0 = kiln.transpose %x {permutation = array<i64: 1, 0, 2>} : tensor<2x3x4xf32> -> tensor<3x2x4xf32>
  %1 = kiln.transpose %0 {permutation = array<i64: 2, 1, 0>} : tensor<3x2x4xf32> -> tensor<4x2x3xf32>
  return %1 : tensor<4x2x3xf32>
}

// -----

// CHECK-LABEL: func.func @transpose_shared
// CHECK:         %[[T:.+]] = kiln.transpose
// CHECK:         kiln.relu %[[T]]
func.func @transpose_shared(%x: tensor<2x3xf32>) -> (tensor<3x2xf32>, tensor<3x2xf32>) {
  %0 = kiln.transpose %x {permutation = array<i64: 1, 0>} : tensor<2x3xf32> -> tensor<3x2xf32>
  %1 = kiln.relu %0 : tensor<3x2xf32>
  return %0, %1 : tensor<3x2xf32>, tensor<3x2xf32>
}

// -----

// A recurrent cell's gates, each the state times its slice of one kernel,
// side by side: one product by the kernel (Keras's implementation 1 in
// inference). A sequence's projections merge the same way (rank 3).
// CHECK-LABEL: func.func @gate_products
// CHECK-SAME:      (%[[H:.+]]: tensor<?x4xf32>, %[[W:.+]]: tensor<4x6xf32>, %[[X:.+]]: tensor<?x5x4xf32>)
// CHECK:         %[[P:.+]] = kiln.matmul %[[H]], %[[W]] : tensor<?x4xf32>, tensor<4x6xf32> -> tensor<?x6xf32>
// CHECK:         %[[S:.+]] = kiln.matmul %[[X]], %[[W]] : tensor<?x5x4xf32>, tensor<4x6xf32> -> tensor<?x5x6xf32>
// CHECK-NOT:     kiln.concat
// CHECK:         return %[[P]], %[[S]]
func.func @gate_products(%h: tensor<?x4xf32>, %w: tensor<4x6xf32>, %x: tensor<?x5x4xf32>) -> (tensor<?x6xf32>, tensor<?x5x6xf32>) {
  %w0 = kiln.slice %w {axis = 1 : i64, start = 0 : i64, size = 2 : i64} : tensor<4x6xf32> -> tensor<4x2xf32>
  %w1 = kiln.slice %w {axis = -1 : i64, start = 2 : i64, size = 4 : i64} : tensor<4x6xf32> -> tensor<4x4xf32>
  %a = kiln.matmul %h, %w0 : tensor<?x4xf32>, tensor<4x2xf32> -> tensor<?x2xf32>
  %b = kiln.matmul %h, %w1 : tensor<?x4xf32>, tensor<4x4xf32> -> tensor<?x4xf32>
  %c = kiln.concat %a, %b {axis = 1 : i64} : (tensor<?x2xf32>, tensor<?x4xf32>) -> tensor<?x6xf32>
  %s0 = kiln.matmul %x, %w0 : tensor<?x5x4xf32>, tensor<4x2xf32> -> tensor<?x5x2xf32>
  %s1 = kiln.matmul %x, %w1 : tensor<?x5x4xf32>, tensor<4x4xf32> -> tensor<?x5x4xf32>
  %s = kiln.concat %s0, %s1 {axis = 2 : i64} : (tensor<?x5x2xf32>, tensor<?x5x4xf32>) -> tensor<?x5x6xf32>
  return %c, %s : tensor<?x6xf32>, tensor<?x5x6xf32>
}

// -----

// Adjacent columns merge into one slice of the kernel; a part with another
// input, columns out of order, and a product something else reads stay.
// CHECK-LABEL: func.func @gate_products_partial
// CHECK-SAME:      (%[[H:.+]]: tensor<?x4xf32>, %[[G:.+]]: tensor<?x4xf32>, %[[W:.+]]: tensor<4x8xf32>)
// CHECK-DAG:     %[[W01:.+]] = kiln.slice %[[W]] {axis = 1 : i64, size = 4 : i64, start = 0 : i64}
// CHECK-DAG:     %[[P01:.+]] = kiln.matmul %[[H]], %[[W01]] : tensor<?x4xf32>, tensor<4x4xf32> -> tensor<?x4xf32>
// CHECK-DAG:     %[[P2:.+]] = kiln.matmul %[[G]], %{{.+}} : tensor<?x4xf32>, tensor<4x2xf32>
// CHECK-DAG:     %[[P3:.+]] = kiln.matmul %[[H]], %{{.+}} : tensor<?x4xf32>, tensor<4x2xf32>
// CHECK:         %[[C:.+]] = kiln.concat %[[P01]], %[[P2]], %[[P3]] {axis = 1 : i64}
// CHECK-DAG:     %[[E:.+]] = kiln.matmul %[[H]], %{{.+}} : tensor<?x4xf32>, tensor<4x2xf32>
// CHECK-DAG:     %[[F:.+]] = kiln.matmul %[[H]], %{{.+}} : tensor<?x4xf32>, tensor<4x2xf32>
// CHECK:         %[[D:.+]] = kiln.concat %[[F]], %[[E]] {axis = 1 : i64}
// CHECK:         return %[[C]], %[[D]], %[[F]]
func.func @gate_products_partial(%h: tensor<?x4xf32>, %g: tensor<?x4xf32>, %w: tensor<4x8xf32>) -> (tensor<?x8xf32>, tensor<?x4xf32>, tensor<?x2xf32>) {
  %w0 = kiln.slice %w {axis = 1 : i64, start = 0 : i64, size = 2 : i64} : tensor<4x8xf32> -> tensor<4x2xf32>
  %w1 = kiln.slice %w {axis = 1 : i64, start = 2 : i64, size = 2 : i64} : tensor<4x8xf32> -> tensor<4x2xf32>
  %w2 = kiln.slice %w {axis = 1 : i64, start = 4 : i64, size = 2 : i64} : tensor<4x8xf32> -> tensor<4x2xf32>
  %w3 = kiln.slice %w {axis = 1 : i64, start = 6 : i64, size = 2 : i64} : tensor<4x8xf32> -> tensor<4x2xf32>
  %a = kiln.matmul %h, %w0 : tensor<?x4xf32>, tensor<4x2xf32> -> tensor<?x2xf32>
  %b = kiln.matmul %h, %w1 : tensor<?x4xf32>, tensor<4x2xf32> -> tensor<?x2xf32>
  %c = kiln.matmul %g, %w2 : tensor<?x4xf32>, tensor<4x2xf32> -> tensor<?x2xf32>
  %d = kiln.matmul %h, %w3 : tensor<?x4xf32>, tensor<4x2xf32> -> tensor<?x2xf32>
  %r = kiln.concat %a, %b, %c, %d {axis = 1 : i64} : (tensor<?x2xf32>, tensor<?x2xf32>, tensor<?x2xf32>, tensor<?x2xf32>) -> tensor<?x8xf32>
  %e = kiln.matmul %h, %w2 : tensor<?x4xf32>, tensor<4x2xf32> -> tensor<?x2xf32>
  %f = kiln.matmul %h, %w3 : tensor<?x4xf32>, tensor<4x2xf32> -> tensor<?x2xf32>
  %s = kiln.concat %f, %e {axis = 1 : i64} : (tensor<?x2xf32>, tensor<?x2xf32>) -> tensor<?x4xf32>
  return %r, %s, %f : tensor<?x8xf32>, tensor<?x4xf32>, tensor<?x2xf32>
}
