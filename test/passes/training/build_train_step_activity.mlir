// RUN: kiln-opt %s --kiln-build-train-step="loss=mse optimizer=sgd" | FileCheck %s

// A kiln.activity_regularizer adds (l1 sum(|x|) + l2 sum(x^2)) / N of its
// input x to the losses of @eval_step and @train_step: per sample (the sum
// over the non-batch axes), then the batch's mean; the op itself is the
// identity in every function.

func.func @predict(%w: tensor<4x3xf32> {kiln.param = "w"}, %x: tensor<?x4xf32>) -> tensor<?x3xf32> {
  %0 = kiln.matmul %x, %w : tensor<?x4xf32>, tensor<4x3xf32> -> tensor<?x3xf32>
  %1 = kiln.activity_regularizer %0 {l1 = 1.000000e-02 : f64, l2 = 2.000000e-02 : f64} : tensor<?x3xf32>
  return %1 : tensor<?x3xf32>
}

// CHECK-LABEL: func.func @eval_step
// CHECK:         %[[Y:.+]] = kiln.matmul
// CHECK:         %[[MSE:.+]] = kiln.reduce_mean %{{.+}} {axes = array<i64: 0, 1>}
// CHECK:         %[[ABS:.+]] = kiln.abs %[[Y]]
// CHECK:         %[[S1:.+]] = kiln.reduce_sum %[[ABS]] {axes = array<i64: 1>}
// CHECK:         %[[M1:.+]] = kiln.reduce_mean %[[S1]] {axes = array<i64: 0>}
// CHECK:         %[[L1:.+]] = kiln.constant dense<0.00999999977> : tensor<f32>
// CHECK:         %[[T1:.+]] = kiln.mul %[[L1]], %[[M1]]
// CHECK:         %[[SQ:.+]] = kiln.mul %[[Y]], %[[Y]]
// CHECK:         %[[S2:.+]] = kiln.reduce_sum %[[SQ]] {axes = array<i64: 1>}
// CHECK:         %[[M2:.+]] = kiln.reduce_mean %[[S2]] {axes = array<i64: 0>}
// CHECK:         %[[L2:.+]] = kiln.constant dense<2.000000e-02> : tensor<f32>
// CHECK:         %[[T2:.+]] = kiln.mul %[[L2]], %[[M2]]
// CHECK:         %[[P:.+]] = kiln.add %[[T1]], %[[T2]]
// CHECK:         %[[TOTAL:.+]] = kiln.add %[[MSE]], %[[P]]
// CHECK:         return %[[TOTAL]], %[[Y]]
// CHECK-LABEL: func.func @train_step
// CHECK-NOT:     kiln.activity_regularizer
