// RUN: kiln-opt %s --split-input-file --kiln-specialize-mode --verify-diagnostics | FileCheck %s

// Inference (no kiln.mode): dropout is the identity.
// CHECK-LABEL: func.func @predict
// CHECK-NOT: kiln.dropout
// CHECK: return %arg0
func.func @predict(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %y = kiln.dropout %x {rate = 5.000000e-01 : f64} : tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// Training with rate 0: the identity in both modes.
// CHECK-LABEL: func.func @train_rate_zero
// CHECK-NOT: kiln.dropout
func.func @train_rate_zero(%x: tensor<?x8xf32>, %rng: tensor<2xi64>) -> tensor<?x8xf32> attributes {kiln.mode = "training"} {
  %y = kiln.dropout %x {rate = 0.000000e+00 : f64} : tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// Training with a real rate: no training form yet, so an error instead of
// silently training without dropout.
func.func @train_step(%x: tensor<?x8xf32>, %rng: tensor<2xi64>) -> tensor<?x8xf32> attributes {kiln.mode = "training"} {
  // expected-error@+1 {{'kiln.dropout' op dropout (rate 0.25) zeroes random elements in training, and kiln does not compile that training form yet}}
  %y = kiln.dropout %x {rate = 2.500000e-01 : f64} : tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}
