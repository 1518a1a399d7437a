// RUN: kiln-opt %s --kiln-lower-to-linalg --verify-diagnostics

// The whole kiln dialect is illegal after lowering: an op that no family's
// patterns lower fails the conversion instead of passing through. Here
// kiln.dropout, which --kiln-specialize-mode replaces before lowering.

func.func @dropout_not_specialized(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  // expected-error@+1 {{failed to legalize operation 'kiln.dropout' that was explicitly marked illegal}}
  %y = kiln.dropout %x {rate = 0.5 : f64} : tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}
