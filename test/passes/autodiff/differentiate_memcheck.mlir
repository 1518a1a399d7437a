// REQUIRES: valgrind
// RUN: valgrind -q --error-exitcode=9 kiln-opt %s --kiln-differentiate -o /dev/null
// RUN: kiln-opt %s --kiln-differentiate | FileCheck %s

// The compiler is not in the sanitized build (test/README.md): the reverse
// walk of nested loops runs under memcheck here. The walk erases each loop
// it reverses; the outer reverse body then read its erased inner loop (to
// clean up the recomputation it no longer needs), which memcheck reported
// as an invalid read. Its gradients are checked in gradcheck_sequence.mlir.

// CHECK-LABEL: func.func @nested_grad
// Forward: the outer recording loop, its body recording the inner loop.
// CHECK: scf.for
// CHECK: scf.for
// Reverse: the outer reverse loop, the inner one recorded again and reversed.
// CHECK: scf.for
// CHECK: scf.for
// CHECK: scf.for
func.func @nested(%h0: tensor<?x4xf32>, %w: tensor<4x4xf32>, %u: tensor<4x4xf32>) -> tensor<f32> attributes {kiln.differentiate} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %r = scf.for %i = %c0 to %c3 step %c1 iter_args(%h = %h0) -> (tensor<?x4xf32>) {
    %m = kiln.matmul %h, %w : tensor<?x4xf32>, tensor<4x4xf32> -> tensor<?x4xf32>
    %t = kiln.tanh %m : tensor<?x4xf32>
    %in = scf.for %j = %c0 to %c2 step %c1 iter_args(%g = %t) -> (tensor<?x4xf32>) {
      %q = kiln.matmul %g, %u : tensor<?x4xf32>, tensor<4x4xf32> -> tensor<?x4xf32>
      %s = kiln.sigmoid %q : tensor<?x4xf32>
      scf.yield %s : tensor<?x4xf32>
    }
    scf.yield %in : tensor<?x4xf32>
  }
  %l = kiln.reduce_sum %r {axes = array<i64: 0, 1>} : tensor<?x4xf32> -> tensor<f32>
  return %l : tensor<f32>
}
