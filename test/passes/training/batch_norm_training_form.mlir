// RUN: kiln-opt %s --kiln-build-train-step="loss=mse optimizer=sgd" | FileCheck %s

// BatchNormalization's two forms.
//
// @eval_step (and predict) keep TensorFlow's inference formula, one
// multiply-add per element: x * inv + (beta - moving_mean * inv).
// CHECK-LABEL: func.func @eval_step(
// CHECK:         %[[PINV:.+]] = kiln.mul %{{.+}}, %{{.+}} : tensor<4xf32>, tensor<4xf32>
// CHECK-NEXT:    %[[PMI:.+]] = kiln.mul %{{.+}}, %[[PINV]]
// CHECK-NEXT:    %[[SHIFT:.+]] = kiln.sub %{{.+}}, %[[PMI]]
// CHECK-NEXT:    %[[PX:.+]] = kiln.mul %{{.+}}, %[[PINV]] : tensor<?x4xf32>, tensor<4xf32>
// CHECK-NEXT:    kiln.add %[[PX]], %[[SHIFT]]

// @train_step: the batch mean is a first mean m0 corrected by the mean of
// x - m0; the variance is that shifted data's mean square less the
// correction's square; the output is (x - mean) * inv + beta. So the
// gradient with respect to inv is sum(g * (x - mean)), which does not
// cancel when the mean dwarfs the deviation, as sum(g * x) - mean * sum(g)
// would. The moving statistics take the corrected mean and that variance.
// CHECK-LABEL: func.func @train_step(
// CHECK-SAME:      %[[G:[^:]+]]: tensor<4xf32> {kiln.param = "g"}, %[[B:[^:]+]]: tensor<4xf32> {kiln.param = "b"}, %{{[^:]+}}: tensor<4xf32> {kiln.param = "m", kiln.state}, %{{[^:]+}}: tensor<4xf32> {kiln.param = "v", kiln.state}, %[[X:[^:]+]]: tensor<?x4xf32>
// CHECK:         %[[M0:.+]] = kiln.reduce_mean %[[X]] {axes = array<i64: 0>}
// CHECK-NEXT:    %[[S:.+]] = kiln.sub %[[X]], %[[M0]]
// CHECK-NEXT:    %[[C:.+]] = kiln.reduce_mean %[[S]] {axes = array<i64: 0>}
// CHECK-NEXT:    %[[MEAN:.+]] = kiln.add %[[M0]], %[[C]]
// CHECK-NEXT:    %[[CENTERED:.+]] = kiln.sub %[[S]], %[[C]]
// CHECK-NEXT:    %[[C2:.+]] = kiln.mul %[[C]], %[[C]]
// CHECK-NEXT:    %[[S2:.+]] = kiln.mul %[[S]], %[[S]]
// CHECK-NEXT:    %[[MS:.+]] = kiln.reduce_mean %[[S2]] {axes = array<i64: 0>}
// CHECK-NEXT:    %[[VAR:.+]] = kiln.sub %[[MS]], %[[C2]]
// CHECK:         kiln.mul %[[MEAN]],
// CHECK:         kiln.mul %[[VAR]],
// CHECK:         %[[EPS:.+]] = kiln.add %[[VAR]], %{{.+}}
// CHECK-NEXT:    %[[SQRT:.+]] = kiln.sqrt %[[EPS]]
// CHECK:         %[[RS:.+]] = kiln.div %{{.+}}, %[[SQRT]]
// CHECK-NEXT:    %[[INV:.+]] = kiln.mul %[[RS]], %[[G]]
// CHECK-NEXT:    %[[SCALED:.+]] = kiln.mul %[[CENTERED]], %[[INV]]
// CHECK-NEXT:    %[[Y:.+]] = kiln.add %[[SCALED]], %[[B]]
// CHECK-NEXT:    kiln.sub %[[Y]],
// CHECK-NOT:     kiln.mul %[[X]], %[[INV]]
func.func @predict(%g: tensor<4xf32> {kiln.param = "g"}, %b: tensor<4xf32> {kiln.param = "b"},
                   %m: tensor<4xf32> {kiln.param = "m", kiln.state}, %v: tensor<4xf32> {kiln.param = "v", kiln.state},
                   %x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %n = kiln.batch_norm %x, %g, %b, %m, %v {axis = -1 : i64, epsilon = 1.0e-3 : f64, momentum = 0.99 : f64, operandSegmentSizes = array<i32: 1, 1, 1, 1, 1>} : (tensor<?x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  return %n : tensor<?x4xf32>
}
