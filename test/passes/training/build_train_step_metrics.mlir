// RUN: kiln-opt %s --kiln-build-train-step="loss=sparse_categorical_crossentropy optimizer=sgd metrics=sparse_categorical_accuracy,sparse_categorical_crossentropy" | FileCheck %s --check-prefix=SPARSE
// RUN: kiln-opt %s --kiln-build-train-step="loss=binary_crossentropy optimizer=sgd metrics=binary_accuracy,mae,categorical_accuracy" | FileCheck %s --check-prefix=DENSE
// RUN: kiln-opt %s --kiln-build-train-step="loss=binary_crossentropy optimizer=sgd metrics=precision,auc" | FileCheck %s --check-prefix=COUNTS
// RUN: not kiln-opt %s --kiln-build-train-step="loss=mse metrics=sparse_categorical_accuracy" 2>&1 | FileCheck %s --check-prefix=MISMATCH
// RUN: not kiln-opt %s --kiln-build-train-step="loss=mse metrics=f1_score" 2>&1 | FileCheck %s --check-prefix=UNKNOWN
// RUN: kiln-opt %s --kiln-build-train-step="loss=binary_crossentropy optimizer=sgd metrics=binary_accuracy:threshold=0.25,precision:thresholds=0.75,auc:from_logits=true,top_k_categorical_accuracy:k=2" | FileCheck %s --check-prefix=SETTINGS
// RUN: not kiln-opt %s --kiln-build-train-step="loss=mse metrics=mae:threshold=0.3" 2>&1 | FileCheck %s --check-prefix=NOTHRESHOLD
// RUN: not kiln-opt %s --kiln-build-train-step="loss=mse metrics=k=2,mae" 2>&1 | FileCheck %s --check-prefix=ORPHAN

// The steps return each metric's batch mean after the outputs (model.h:
// loss, predictions, metric values, then the updates).

func.func @predict(%w: tensor<4x3xf32> {kiln.param = "w"}, %x: tensor<?x4xf32>) -> tensor<?x3xf32> {
  %0 = kiln.matmul %x, %w : tensor<?x4xf32>, tensor<4x3xf32> -> tensor<?x3xf32>
  %1 = kiln.softmax %0 : tensor<?x3xf32>
  return %1 : tensor<?x3xf32>
}

// Sparse accuracy: argmax of the probabilities as a float index, compared
// with the label. The crossentropy metric reads the softmax's logits, as the
// loss does: no clipping anywhere.
// SPARSE-LABEL: func.func @eval_step
// SPARSE-SAME:    -> (tensor<f32>, tensor<?x3xf32>, tensor<f32>, tensor<f32>)
// SPARSE:         %[[LOGITS:.+]] = kiln.matmul
// SPARSE:         %[[PROBS:.+]] = kiln.softmax %[[LOGITS]]
// SPARSE:         kiln.log_softmax %[[LOGITS]] {axis = 1 : i64}
// SPARSE:         %[[INDEX:.+]] = kiln.argmax %[[PROBS]] {axis = 1 : i64} : tensor<?x3xf32> -> tensor<?xi64>
// SPARSE:         %[[FLOAT:.+]] = kiln.cast %[[INDEX]] : tensor<?xi64> -> tensor<?xf32>
// SPARSE:         %[[MATCH:.+]] = kiln.equal %[[FLOAT]], %{{.+}} : tensor<?xf32>, tensor<?xf32> -> tensor<?xi1>
// SPARSE:         %[[ONES:.+]] = kiln.cast %[[MATCH]] : tensor<?xi1> -> tensor<?xf32>
// SPARSE:         %[[ACC:.+]] = kiln.reduce_mean %[[ONES]] {axes = array<i64: 0>}
// SPARSE:         kiln.log_softmax %[[LOGITS]] {axis = 1 : i64}
// SPARSE-NOT:     kiln.clip
// SPARSE:         return %{{.+}}, %[[PROBS]], %[[ACC]], %{{.+}} : tensor<f32>, tensor<?x3xf32>, tensor<f32>, tensor<f32>
// SPARSE-LABEL: func.func @train_step
// SPARSE-SAME:    -> (tensor<f32>, tensor<?x3xf32>, tensor<f32>, tensor<f32>, tensor<4x3xf32>)

// Binary accuracy thresholds at 0.5; mae is the mean absolute difference;
// categorical accuracy compares two argmaxes.
// DENSE-LABEL: func.func @eval_step
// DENSE-SAME:    -> (tensor<f32>, tensor<?x3xf32>, tensor<f32>, tensor<f32>, tensor<f32>)
// DENSE:         %[[HALF:.+]] = kiln.constant dense<5.000000e-01> : tensor<f32>
// DENSE:         %[[ABOVE:.+]] = kiln.greater %{{.+}}, %[[HALF]] : tensor<?x3xf32>, tensor<f32> -> tensor<?x3xi1>
// DENSE:         kiln.cast %[[ABOVE]] : tensor<?x3xi1> -> tensor<?x3xf32>
// DENSE:         kiln.reduce_mean %{{.+}} {axes = array<i64: 0, 1>}
// DENSE:         kiln.abs
// DENSE:         kiln.reduce_mean %{{.+}} {axes = array<i64: 0, 1>}
// DENSE-COUNT-2: kiln.argmax
// DENSE:         kiln.reduce_mean %{{.+}} {axes = array<i64: 0>}

// Precision and AUC return counts, not means: the batch's true and
// predicted positives (f32[2]), and true and false positives at each of
// AUC's 200 thresholds (f32[400]): the prediction clipped to [0, 1] times
// 199 against -1, 1, 2, ..., 199.
// COUNTS-LABEL: func.func @eval_step
// COUNTS-SAME:    -> (tensor<f32>, tensor<?x3xf32>, tensor<2xf32>, tensor<400xf32>)
// COUNTS:         kiln.greater %{{.+}}, %{{.+}} : tensor<?x3xf32>, tensor<f32> -> tensor<?x3xi1>
// COUNTS:         kiln.concat %{{.+}}, %{{.+}} {axis = 0 : i64} : (tensor<1xf32>, tensor<1xf32>) -> tensor<2xf32>
// COUNTS:         kiln.clip %{{.+}} {max = 1.000000e+00 : f64, min = 0.000000e+00 : f64}
// COUNTS:         kiln.greater %{{.+}}, %{{.+}} : tensor<?x3x1xf32>, tensor<200xf32> -> tensor<?x3x200xi1>
// COUNTS:         kiln.concat %{{.+}}, %{{.+}} {axis = 0 : i64} : (tensor<200xf32>, tensor<200xf32>) -> tensor<400xf32>
// COUNTS-LABEL: func.func @train_step
// COUNTS-SAME:    -> (tensor<f32>, tensor<?x3xf32>, tensor<2xf32>, tensor<400xf32>, tensor<4x3xf32>)

// MISMATCH: error: 'func.func' op metric 'sparse_categorical_accuracy' takes class indices, but loss 'mean_squared_error' takes targets shaped like the outputs
// UNKNOWN: error: 'func.func' op unknown metric 'f1_score'

// Settings: binary accuracy and precision compare with their thresholds,
// AUC counts the sigmoid of logits, top-k accuracy counts a class in when
// fewer than k predictions are above its own.
// SETTINGS-LABEL: func.func @eval_step
// SETTINGS-SAME:    -> (tensor<f32>, tensor<?x3xf32>, tensor<f32>, tensor<2xf32>, tensor<400xf32>, tensor<f32>)
// SETTINGS:         %[[PROBS:.+]] = kiln.softmax
// SETTINGS:         %[[QUARTER:.+]] = kiln.constant dense<2.500000e-01> : tensor<f32>
// SETTINGS:         kiln.greater %[[PROBS]], %[[QUARTER]]
// SETTINGS:         %[[THREE4:.+]] = kiln.constant dense<7.500000e-01> : tensor<f32>
// SETTINGS:         kiln.greater %[[PROBS]], %[[THREE4]]
// SETTINGS:         %[[SIGMOID:.+]] = kiln.sigmoid %[[PROBS]]
// SETTINGS:         kiln.clip %[[SIGMOID]]
// SETTINGS:         kiln.one_hot
// SETTINGS:         %[[K:.+]] = kiln.constant dense<2.000000e+00> : tensor<f32>
// SETTINGS:         kiln.less %{{.+}}, %[[K]] : tensor<?xf32>, tensor<f32>
// SETTINGS-NOT:     dense<5.000000e+00>
// SETTINGS:         return

// NOTHRESHOLD: error: 'func.func' op metric: mae has no threshold (binary_accuracy, precision and recall have one)
// ORPHAN: error: metrics: setting 'k=2' before any metric
