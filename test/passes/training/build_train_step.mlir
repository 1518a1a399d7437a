// RUN: kiln-opt %s --split-input-file --kiln-build-train-step="loss=mse optimizer=sgd" | FileCheck %s --check-prefix=SGD
// RUN: kiln-opt %s --split-input-file --kiln-build-train-step="loss=sparse_categorical_crossentropy optimizer=adam" | FileCheck %s --check-prefix=ADAM
// RUN: kiln-opt %s --split-input-file --kiln-build-train-step="loss=categorical_crossentropy optimizer=rmsprop" | FileCheck %s --check-prefix=RMS
// RUN: kiln-opt %s --split-input-file --kiln-build-train-step="loss=binary_crossentropy optimizer=adagrad" | FileCheck %s --check-prefix=ADAGRAD

// @train_step / @eval_step built from @predict: signatures in the model.h
// buffer order, the Keras loss, and the optimizer's update.

func.func @predict(%w: tensor<4x3xf32> {kiln.param = "w"}, %b: tensor<3xf32> {kiln.param = "b"},
                   %x: tensor<?x4xf32>) -> tensor<?x3xf32> {
  %0 = kiln.matmul %x, %w : tensor<?x4xf32>, tensor<4x3xf32> -> tensor<?x3xf32>
  %1 = kiln.add %0, %b : tensor<?x3xf32>, tensor<3xf32> -> tensor<?x3xf32>
  %2 = kiln.softmax %1 : tensor<?x3xf32>
  return %2 : tensor<?x3xf32>
}

// MSE and plain sgd - no slots, targets shaped like the outputs, p - lr * g.
// SGD-LABEL: func.func @eval_step
// SGD-SAME:    (%{{.+}}: tensor<4x3xf32> {kiln.param = "w"}, %{{.+}}: tensor<3xf32> {kiln.param = "b"}, %{{.+}}: tensor<?x4xf32>, %{{.+}}: tensor<?x3xf32>)
// SGD-SAME:    -> (tensor<f32>, tensor<?x3xf32>)
// SGD:         kiln.sub
// SGD:         kiln.reduce_mean %{{.+}} {axes = array<i64: 0, 1>}
// SGD-LABEL: func.func @train_step
// SGD-SAME:    (%[[W:.+]]: tensor<4x3xf32> {kiln.param = "w"}, %[[B:.+]]: tensor<3xf32> {kiln.param = "b"}, %{{.+}}: tensor<?x4xf32>, %{{.+}}: tensor<?x3xf32>, %[[LR:.+]]: tensor<f32>, %{{.+}}: tensor<f32>, %{{.+}}: tensor<2xi64>)
// SGD-SAME:    -> (tensor<f32>, tensor<?x3xf32>, tensor<4x3xf32>, tensor<3xf32>)
// SGD:         %[[STEP:.+]] = kiln.mul %[[LR]], %{{.+}} : tensor<f32>, tensor<4x3xf32> -> tensor<4x3xf32>
// SGD:         %[[NEW:.+]] = kiln.sub %[[W]], %[[STEP]]
// SGD:         return %{{.+}}, %{{.+}}, %[[NEW]], %{{.+}}
// SGD-NOT:     train_step_grad

// Sparse cross-entropy on a softmax output uses its logits (Keras's fused,
// stable form): labels are one value per sample, one-hot encoded in the step.
// Adam keeps m and v per parameter (parameter-major) and corrects the bias
// with beta^t = exp(t * ln(beta)).
// ADAM-LABEL: func.func @eval_step
// ADAM-SAME:    %{{.+}}: tensor<?xf32> {kiln.num_classes = 3 : i64}) -> (tensor<f32>, tensor<?x3xf32>)
// ADAM:         %[[LOGITS:.+]] = kiln.add
// ADAM:         kiln.log_softmax %[[LOGITS]] {axis = 1 : i64}
// ADAM:         kiln.one_hot %{{.+}} {depth = 3 : i64} : tensor<?xf32> -> tensor<?x3xf32>
// ADAM-NOT:     kiln.clip
// ADAM-LABEL: func.func @train_step
// ADAM-SAME:    (%{{.+}}: tensor<4x3xf32> {kiln.param = "w"}, %{{.+}}: tensor<3xf32> {kiln.param = "b"}, %{{.+}}: tensor<4x3xf32>, %{{.+}}: tensor<4x3xf32>, %{{.+}}: tensor<3xf32>, %{{.+}}: tensor<3xf32>, %{{.+}}: tensor<?x4xf32>, %{{.+}}: tensor<?xf32>, %{{.+}}: tensor<f32>, %[[T:.+]]: tensor<f32>, %{{.+}}: tensor<2xi64>)
// ADAM-SAME:    -> (tensor<f32>, tensor<?x3xf32>, tensor<4x3xf32>, tensor<3xf32>, tensor<4x3xf32>, tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>)
// ADAM:         kiln.mul %[[T]], %{{.+}} : tensor<f32>, tensor<f32> -> tensor<f32>
// ADAM:         kiln.exp
// ADAM:         kiln.sqrt

// Categorical cross-entropy on the same softmax output also uses logits;
// RMSprop keeps one slot per parameter.
// RMS-LABEL: func.func @eval_step
// RMS:         kiln.log_softmax
// RMS-NOT:     kiln.one_hot
// RMS-LABEL: func.func @train_step
// RMS-SAME:    -> (tensor<f32>, tensor<?x3xf32>, tensor<4x3xf32>, tensor<3xf32>, tensor<4x3xf32>, tensor<3xf32>)

// Binary cross-entropy on a softmax output: Keras on TensorFlow takes the
// softmax's input as the logits, max(z, 0) - z t + log(1 + exp(-|z|)), no
// clipping. Adagrad: one accumulator per parameter.
// ADAGRAD-LABEL: func.func @eval_step
// ADAGRAD:         %[[Z:.+]] = kiln.add
// ADAGRAD-NOT:     kiln.clip
// ADAGRAD:         kiln.relu %[[Z]]
// ADAGRAD:         kiln.softplus
// ADAGRAD-LABEL: func.func @train_step
// ADAGRAD-SAME:    -> (tensor<f32>, tensor<?x3xf32>, tensor<4x3xf32>, tensor<3xf32>, tensor<4x3xf32>, tensor<3xf32>)

// -----

// Categorical cross-entropy from probabilities that no sigmoid or softmax
// gives (a sigmoid's or softmax's input would be taken as the logits, as
// Keras on TensorFlow does): normalize, clip, log.
// RMS-LABEL: func.func @eval_step
// RMS:         %[[SUM:.+]] = kiln.reduce_sum %{{.+}} {axes = array<i64: 1>, keep_dims = true}
// RMS:         %[[NORM:.+]] = kiln.div %{{.+}}, %[[SUM]]
// RMS:         kiln.clip %[[NORM]]
// RMS:         kiln.log
// Binary cross-entropy from such probabilities: Keras's epsilon clipping.
// ADAGRAD-LABEL: func.func @eval_step
// ADAGRAD:         kiln.clip %{{.+}} {max = 0.99999990000000005 : f64, min = 9.9999999999999995E-8 : f64}
// ADAGRAD:         kiln.log
func.func @predict(%w: tensor<4x3xf32> {kiln.param = "w"}, %x: tensor<?x4xf32>) -> tensor<?x3xf32> {
  %0 = kiln.matmul %x, %w : tensor<?x4xf32>, tensor<4x3xf32> -> tensor<?x3xf32>
  %1 = kiln.relu %0 : tensor<?x3xf32>
  return %1 : tensor<?x3xf32>
}
