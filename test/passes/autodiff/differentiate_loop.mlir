// RUN: kiln-opt %s --kiln-differentiate | FileCheck %s

// Reverse mode through scf.for: the forward loop is rebuilt to save each
// iteration's carried state in a stack (tensor<N x ...>, N the trip count);
// a reverse loop runs the iterations backwards, reloads the saved state,
// recomputes the body and walks it backwards, carrying the state's adjoint
// and summing the adjoints of the captured w.

func.func @loop(%h0: tensor<?x4xf32>, %w: tensor<4x4xf32>) -> tensor<f32> attributes {kiln.differentiate} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %r = scf.for %i = %c0 to %c3 step %c1 iter_args(%h = %h0) -> (tensor<?x4xf32>) {
    %m = kiln.matmul %h, %w : tensor<?x4xf32>, tensor<4x4xf32> -> tensor<?x4xf32>
    %t = kiln.tanh %m : tensor<?x4xf32>
    scf.yield %t : tensor<?x4xf32>
  }
  %l = kiln.reduce_sum %r {axes = array<i64: 0, 1>} : tensor<?x4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// CHECK-LABEL: func.func @loop_grad
// CHECK-SAME: -> (tensor<f32>, tensor<?x4xf32>, tensor<4x4xf32>)
// CHECK: %[[N:.+]] = arith.maxsi
// CHECK: %[[EMPTY:.+]] = tensor.empty(%[[N]], %{{.+}}) : tensor<?x?x4xf32>
// The recording forward loop: state and stack.
// CHECK: %[[FWD:.+]]:2 = scf.for %{{.+}} = %{{.+}} to %{{.+}} step %{{.+}} iter_args(%[[H:.+]] = %arg0, %[[STACK:.+]] = %[[EMPTY]])
// CHECK: tensor.insert_slice %[[H]] into %[[STACK]]
// CHECK: kiln.matmul %[[H]], %arg1
// CHECK: scf.yield
// The reverse loop: the state's adjoint and w's.
// CHECK: %[[REV:.+]]:2 = scf.for %{{.+}} = %{{.+}} to %[[N]] step %{{.+}} iter_args(%[[G:.+]] = %{{.+}}, %[[GW:.+]] = %{{.+}}) -> (tensor<?x4xf32>, tensor<4x4xf32>)
// CHECK: %[[SAVED:.+]] = tensor.extract_slice %[[FWD]]#1
// CHECK: kiln.matmul %[[SAVED]], %arg1
// CHECK: kiln.add %[[GW]]
// CHECK: scf.yield
// CHECK: return %{{.+}}, %[[REV]]#0, %[[REV]]#1
