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
