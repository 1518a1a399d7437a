// RUN: kiln-opt %s --kiln-build-train-step="loss=mse optimizer=sgd" | FileCheck %s

// A recurrent @predict (a SimpleRNN over 3 steps of an input projection
// hoisted out of its loop) built into a train step by this pass alone: the
// loop's gradient builds arith, scf and tensor ops, which the pass loads.
// The recurrent kernel's gradient is one product after the reverse loop
// (the saved states' rows by the stacked adjoints of the pre-activation),
// and SGD updates the kernel with it.
func.func @predict(%w: tensor<2x4xf32> {kiln.param = "w"}, %u: tensor<4x4xf32> {kiln.param = "u"},
                   %x: tensor<?x3x2xf32>) -> tensor<?x4xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %p = kiln.matmul %x, %w : tensor<?x3x2xf32>, tensor<2x4xf32> -> tensor<?x3x4xf32>
  %h0 = kiln.zeros %x : tensor<?x3x2xf32> -> tensor<?x4xf32>
  %r = scf.for %t = %c0 to %c3 step %c1 iter_args(%h = %h0) -> (tensor<?x4xf32>) {
    %xt = kiln.sequence_step %p[%t] : tensor<?x3x4xf32> -> tensor<?x4xf32>
    %hu = kiln.matmul %h, %u : tensor<?x4xf32>, tensor<4x4xf32> -> tensor<?x4xf32>
    %a = kiln.add %xt, %hu : tensor<?x4xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
    %hn = kiln.tanh %a : tensor<?x4xf32>
    scf.yield %hn : tensor<?x4xf32>
  }
  return %r : tensor<?x4xf32>
}

// CHECK-LABEL: func.func @train_step
// CHECK: %[[FWD:.+]]:2 = scf.for
// CHECK: %[[REV:.+]]:{{[0-9]+}} = scf.for
// CHECK-NOT: kiln.add %{{.+}} : tensor<4x4xf32>, tensor<4x4xf32>
// CHECK: tensor.insert_slice %{{.+}} into %{{.+}}[%{{.+}}, 0, 0] [1, %{{.+}}, 4] [1, 1, 1] : tensor<?x4xf32> into tensor<?x?x4xf32>
// CHECK: scf.yield
// CHECK: %[[D:.+]] = tensor.collapse_shape %[[REV]]#{{[0-9]+}}
// CHECK: %[[GU:.+]] = kiln.matmul %{{.+}}, %[[D]] : tensor<4x?xf32>, tensor<?x4xf32> -> tensor<4x4xf32>
// CHECK: %[[STEP:.+]] = kiln.mul %{{.+}}, %[[GU]] : tensor<f32>, tensor<4x4xf32>
// CHECK: kiln.sub %arg1, %[[STEP]]
