// RUN: kiln-opt %s --kiln-build-train-step="loss=huber delta=0.5" | FileCheck %s --check-prefix=HUBER
// RUN: kiln-opt %s --kiln-build-train-step="loss=hinge" | FileCheck %s --check-prefix=HINGE
// RUN: kiln-opt %s --kiln-build-train-step="loss=cosine_similarity metrics=cosine_similarity" | FileCheck %s --check-prefix=COSINE
// RUN: kiln-opt %s --kiln-build-train-step="loss=kld" | FileCheck %s --check-prefix=KLD
// RUN: kiln-opt %s --kiln-build-train-step="loss=categorical_hinge" | FileCheck %s --check-prefix=CATHINGE
// RUN: not kiln-opt %s --kiln-build-train-step="loss=mae delta=2" 2>&1 | FileCheck %s --check-prefix=NODELTA
// RUN: kiln-opt %s --kiln-build-train-step="loss=categorical_crossentropy label-smoothing=0.2" | FileCheck %s --check-prefix=SMOOTH
// RUN: not kiln-opt %s --kiln-build-train-step="loss=mae label-smoothing=0.2" 2>&1 | FileCheck %s --check-prefix=NOSMOOTH

// Keras 3's elementwise losses, reduced over the last axis and averaged
// over the batch (their values against Keras: e2e/keras_losses.test).

func.func @predict(%w: tensor<4x3xf32> {kiln.param = "w"}, %x: tensor<?x4xf32>) -> tensor<?x3xf32> {
  %0 = kiln.matmul %x, %w : tensor<?x4xf32>, tensor<4x3xf32> -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// Huber: 0.5 e^2 where |e| <= delta, else delta |e| - 0.5 delta^2.
// HUBER-LABEL: func.func @eval_step
// HUBER:         %[[E:.+]] = kiln.sub %{{.+}}, %{{.+}} : tensor<?x3xf32>
// HUBER:         %[[ABS:.+]] = kiln.abs %[[E]]
// HUBER:         %[[SQ:.+]] = kiln.mul %[[E]], %[[E]]
// HUBER:         %[[QUAD:.+]] = kiln.mul %{{.+}}, %[[SQ]]
// HUBER:         %[[LIN:.+]] = kiln.sub %{{.+}}, %{{.+}} : tensor<?x3xf32>, tensor<f32>
// HUBER:         %[[DELTA:.+]] = kiln.constant dense<5.000000e-01> : tensor<f32>
// HUBER:         %[[SMALL:.+]] = kiln.less_equal %[[ABS]], %[[DELTA]]
// HUBER:         %[[PICK:.+]] = kiln.select %[[SMALL]], %[[QUAD]], %[[LIN]]
// HUBER:         kiln.reduce_mean %[[PICK]] {axes = array<i64: 0, 1>}
// The training step differentiates through the select.
// HUBER-LABEL: func.func @train_step

// Hinge: labels that are all 0 or 1 become 2t - 1 (a data-dependent
// switch on the targets), then mean(relu(1 - t p)).
// HINGE-LABEL: func.func @eval_step
// HINGE:         kiln.logical_or
// HINGE:         kiln.logical_not
// HINGE:         %[[ALL:.+]] = kiln.cast %{{.+}} : tensor<i1> -> tensor<f32>
// HINGE:         %[[LABELS:.+]] = kiln.add %{{.+}}, %{{.+}} : tensor<?x3xf32>
// HINGE:         kiln.mul %[[LABELS]], %{{.+}} : tensor<?x3xf32>, tensor<?x3xf32>
// HINGE:         %[[MARGIN:.+]] = kiln.relu
// HINGE:         kiln.reduce_mean %[[MARGIN]] {axes = array<i64: 0, 1>}
// HINGE-LABEL: func.func @train_step

// Cosine similarity: both sides l2-normalized along the last axis; the
// loss is the negative mean, the metric the positive one.
// COSINE-LABEL: func.func @eval_step
// COSINE-SAME:    -> (tensor<f32>, tensor<?x3xf32>, tensor<f32>)
// COSINE-COUNT-2: kiln.sqrt
// COSINE:         %[[COS:.+]] = kiln.reduce_sum %{{.+}} {axes = array<i64: 1>} : tensor<?x3xf32> -> tensor<?xf32>
// COSINE:         %[[NEG:.+]] = kiln.neg %[[COS]]
// COSINE:         %[[LOSS:.+]] = kiln.reduce_mean %[[NEG]]
// COSINE-COUNT-2: kiln.sqrt
// COSINE:         %[[COS2:.+]] = kiln.reduce_sum %{{.+}} {axes = array<i64: 1>}
// COSINE:         %[[METRIC:.+]] = kiln.reduce_mean %[[COS2]]
// COSINE:         return %[[LOSS]], %{{.+}}, %[[METRIC]]

// KL divergence: sum over the last axis of t log(t / p), both clipped to
// [1e-7, 1].
// KLD-LABEL: func.func @eval_step
// KLD-COUNT-2: kiln.clip %{{.+}} {max = 1.000000e+00 : f64, min = 9.9999999999999995E-8 : f64}
// KLD:         kiln.log
// KLD:         %[[SUM:.+]] = kiln.reduce_sum %{{.+}} {axes = array<i64: 1>}
// KLD:         kiln.reduce_mean %[[SUM]] {axes = array<i64: 0>}

// Categorical hinge: relu(1 + max((1 - t) p) - sum(t p)) per row, the
// maximum read through a one-hot of the row's argmax (no gradient flows
// into the index).
// CATHINGE-LABEL: func.func @eval_step
// CATHINGE:         %[[TP:.+]] = kiln.mul %arg2, %[[P:.+]] : tensor<?x3xf32>
// CATHINGE:         %[[POS:.+]] = kiln.reduce_sum %[[TP]] {axes = array<i64: 1>}
// CATHINGE:         %[[NOT:.+]] = kiln.sub %{{.+}}, %arg2 : tensor<f32>, tensor<?x3xf32>
// CATHINGE:         %[[OTHERS:.+]] = kiln.mul %[[NOT]], %[[P]]
// CATHINGE:         %[[ARG:.+]] = kiln.argmax %[[OTHERS]] {axis = 1 : i64}
// CATHINGE:         %[[IDX:.+]] = kiln.cast %[[ARG]] : tensor<?xi64> -> tensor<?xf32>
// CATHINGE:         %[[HOT:.+]] = kiln.one_hot %[[IDX]] {depth = 3 : i64}
// CATHINGE:         %[[PICKED:.+]] = kiln.mul %[[HOT]], %[[OTHERS]]
// CATHINGE:         %[[NEG:.+]] = kiln.reduce_sum %[[PICKED]] {axes = array<i64: 1>}
// CATHINGE:         %[[DIFF:.+]] = kiln.sub %[[NEG]], %[[POS]]
// CATHINGE:         %[[MARGIN:.+]] = kiln.add %[[DIFF]], %{{.+}}
// CATHINGE:         %[[RELU:.+]] = kiln.relu %[[MARGIN]]
// CATHINGE:         kiln.reduce_mean %[[RELU]] {axes = array<i64: 0>}
// The training step's gradient reaches the predictions through both sums.
// CATHINGE-LABEL: func.func @train_step
// CATHINGE:         kiln.argmax
// CATHINGE:         kiln.one_hot
// CATHINGE:         kiln.matmul

// NODELTA: error: mean_absolute_error has no delta (huber has)

// label_smoothing 0.2 over 3 classes: the targets become t * 0.8 + 0.2 / 3
// before they weigh the log-probabilities.
// SMOOTH-LABEL: func.func @eval_step
// SMOOTH:         %[[LOGP:.+]] = kiln.log
// SMOOTH-DAG:     %[[SHARE:.+]] = kiln.constant dense<0.0666666701> : tensor<f32>
// SMOOTH-DAG:     %[[KEEP:.+]] = kiln.constant dense<8.000000e-01> : tensor<f32>
// SMOOTH:         %[[SCALED:.+]] = kiln.mul %arg2, %[[KEEP]]
// SMOOTH:         %[[T:.+]] = kiln.add %[[SCALED]], %[[SHARE]]
// SMOOTH:         kiln.mul %[[T]], %[[LOGP]]
// SMOOTH-LABEL: func.func @train_step

// NOSMOOTH: error: mean_absolute_error has no label_smoothing (categorical_crossentropy and binary_crossentropy have)
