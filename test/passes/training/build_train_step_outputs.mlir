// RUN: kiln-opt %s --kiln-build-train-step="losses=sparse_categorical_crossentropy,mean_squared_error loss-weights=0.5,2 output-losses=true" | FileCheck %s
// RUN: kiln-opt %s --kiln-build-train-step="loss=mean_squared_error" | FileCheck %s --check-prefix=PLAIN
// RUN: not kiln-opt %s --kiln-build-train-step="losses=mean_squared_error" 2>&1 | FileCheck %s --check-prefix=COUNT
// RUN: not kiln-opt %s --kiln-build-train-step="losses=mean_squared_error,nope" 2>&1 | FileCheck %s --check-prefix=UNKNOWN
// RUN: kiln-opt %s --kiln-build-train-step="losses=none,mean_squared_error output-losses=true metrics=mae" | FileCheck %s --check-prefix=NONE
// RUN: not kiln-opt %s --kiln-build-train-step="losses=none,none" 2>&1 | FileCheck %s --check-prefix=NOLOSS

// Two outputs, a loss each: the total is the weighted sum, and each
// output's unweighted loss is returned after the outputs (Keras's
// "<output>_loss" logs). A sparse loss makes its own target class indices.

func.func @predict(%w: tensor<4x3xf32> {kiln.param = "w"}, %v: tensor<4x2xf32> {kiln.param = "v"}, %x: tensor<?x4xf32>) -> (tensor<?x3xf32>, tensor<?x2xf32>) {
  %0 = kiln.matmul %x, %w : tensor<?x4xf32>, tensor<4x3xf32> -> tensor<?x3xf32>
  %1 = kiln.softmax %0 : tensor<?x3xf32>
  %2 = kiln.matmul %x, %v : tensor<?x4xf32>, tensor<4x2xf32> -> tensor<?x2xf32>
  return %1, %2 : tensor<?x3xf32>, tensor<?x2xf32>
}

// CHECK-LABEL: func.func @eval_step
// CHECK-SAME:    %{{.+}}: tensor<?xf32> {kiln.num_classes = 3 : i64}, %[[TB:.+]]: tensor<?x2xf32>)
// CHECK-SAME:    -> (tensor<f32>, tensor<?x3xf32>, tensor<?x2xf32>, tensor<f32>, tensor<f32>)
// CHECK:         %[[SCE:.+]] = kiln.neg %{{.+}} : tensor<f32>
// CHECK:         %[[HALF:.+]] = kiln.constant dense<5.000000e-01> : tensor<f32>
// CHECK:         %[[WA:.+]] = kiln.mul %[[SCE]], %[[HALF]]
// CHECK:         kiln.sub %{{.+}}, %[[TB]]
// CHECK:         %[[MSE:.+]] = kiln.reduce_mean %{{.+}} {axes = array<i64: 0, 1>}
// CHECK:         %[[TWO:.+]] = kiln.constant dense<2.000000e+00> : tensor<f32>
// CHECK:         %[[WB:.+]] = kiln.mul %[[MSE]], %[[TWO]]
// CHECK:         %[[TOTAL:.+]] = kiln.add %[[WA]], %[[WB]]
// CHECK:         return %[[TOTAL]], %{{.+}}, %{{.+}}, %[[SCE]], %[[MSE]] :
// CHECK-LABEL: func.func @train_step
// CHECK-SAME:    -> (tensor<f32>, tensor<?x3xf32>, tensor<?x2xf32>, tensor<f32>, tensor<f32>, tensor<4x3xf32>, tensor<4x2xf32>)

// One loss for every output, unweighted: a plain sum, targets shaped like
// the outputs, nothing logged.
// PLAIN-LABEL: func.func @eval_step
// PLAIN-SAME:    %{{.+}}: tensor<?x3xf32>, %{{.+}}: tensor<?x2xf32>) -> (tensor<f32>, tensor<?x3xf32>, tensor<?x2xf32>) {
// PLAIN-NOT:     kiln.constant
// PLAIN:         %[[A:.+]] = kiln.reduce_mean %{{.+}} {axes = array<i64: 0, 1>} : tensor<?x3xf32>
// PLAIN:         %[[B:.+]] = kiln.reduce_mean %{{.+}} {axes = array<i64: 0, 1>} : tensor<?x2xf32>
// PLAIN:         %[[SUM:.+]] = kiln.add %[[A]], %[[B]]
// PLAIN:         return %[[SUM]],

// COUNT: error: kiln-build-train-step: losses and loss-weights need one entry per output (2)
// UNKNOWN: error: unknown loss 'nope'

// An output without a loss (Keras's None): the total is the other's loss,
// its target (shaped like it) feeds only its metrics, it logs no loss, and
// the parameters only it reads get a zero gradient (an unchanged value).
// NONE-LABEL: func.func @eval_step
// NONE-SAME:    %[[TA:[^:]+]]: tensor<?x3xf32>, %[[TB:[^:]+]]: tensor<?x2xf32>)
// NONE-SAME:    -> (tensor<f32>, tensor<?x3xf32>, tensor<?x2xf32>, tensor<f32>, tensor<f32>, tensor<f32>)
// NONE:         kiln.sub %{{.+}}, %[[TB]]
// NONE:         %[[MSE:.+]] = kiln.reduce_mean %{{.+}} {axes = array<i64: 0, 1>} : tensor<?x2xf32> -> tensor<f32>
// NONE:         kiln.sub %{{.+}}, %[[TA]]
// NONE:         %[[MAEA:.+]] = kiln.reduce_mean %{{.+}} : tensor<?x3xf32> -> tensor<f32>
// NONE:         %[[MAEB:.+]] = kiln.reduce_mean %{{.+}} : tensor<?x2xf32> -> tensor<f32>
// NONE:         return %[[MSE]], %{{.+}}, %{{.+}}, %[[MAEA]], %[[MSE]], %[[MAEB]] :
// NONE-LABEL: func.func @train_step
// NONE:         %[[ZERO:.+]] = kiln.constant dense<0.000000e+00> : tensor<4x3xf32>
// NONE:         %[[STEP:.+]] = kiln.mul %{{.+}}, %[[ZERO]]
// NONE:         kiln.sub %arg0, %[[STEP]]

// NOLOSS: error: 'func.func' op has no output with a loss
