// RUN: kiln-opt %s --split-input-file --kiln-differentiate --verify-diagnostics

// What the autodiff pass refuses to differentiate.

// expected-error@+1 {{result #0 must be a scalar float loss, got 'tensor<3xf32>'}}
func.func @vector_loss(%x: tensor<3xf32>) -> tensor<3xf32> attributes {kiln.differentiate} {
  %0 = kiln.exp %x : tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

func.func @no_rule(%x: tensor<3xf32>) -> tensor<f32> attributes {kiln.differentiate} {
  // expected-error@+1 {{'tensor.cast' op is not differentiable (no gradient rule)}}
  %0 = tensor.cast %x : tensor<3xf32> to tensor<?xf32>
  %1 = kiln.reshape %0 : tensor<?xf32> -> tensor<?x1xf32>
  %2 = kiln.reduce_sum %1 {axes = array<i64: 0, 1>} : tensor<?x1xf32> -> tensor<f32>
  return %2 : tensor<f32>
}

// -----

// A loop carrying a value autodiff cannot save (an integer counter the body
// reads) is refused rather than differentiated wrongly.
func.func @int_carried(%x: tensor<3xf32>) -> tensor<f32> attributes {kiln.differentiate} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %k0 = arith.constant 0 : i64
  // expected-error@+1 {{'scf.for' op carries a non-float value (iter_arg #1) that its body reads; autodiff saves float tensors only}}
  %r:2 = scf.for %i = %c0 to %c3 step %c1 iter_args(%v = %x, %k = %k0) -> (tensor<3xf32>, i64) {
    %e = kiln.exp %v : tensor<3xf32>
    %one = arith.constant 1 : i64
    %k1 = arith.addi %k, %one : i64
    scf.yield %e, %k1 : tensor<3xf32>, i64
  }
  %s = kiln.reduce_sum %r#0 {axes = array<i64: 0>} : tensor<3xf32> -> tensor<f32>
  return %s : tensor<f32>
}
