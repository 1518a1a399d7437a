// RUN: kiln-opt %s --kiln-build-train-step="loss=huber delta=0.5" | FileCheck %s --check-prefix=HUBER
// RUN: kiln-opt %s --kiln-build-train-step="loss=hinge" | FileCheck %s --check-prefix=HINGE
// RUN: kiln-opt %s --kiln-build-train-step="loss=cosine_similarity metrics=cosine_similarity" | FileCheck %s --check-prefix=COSINE
// RUN: kiln-opt %s --kiln-build-train-step="loss=kld" | FileCheck %s --check-prefix=KLD
// RUN: kiln-opt %s --kiln-build-train-step="loss=categorical_hinge" | FileCheck %s --check-prefix=CATHINGE
// RUN: not kiln-opt %s --kiln-build-train-step="loss=mae delta=2" 2>&1 | FileCheck %s --check-prefix=NODELTA
// RUN: kiln-opt %s --kiln-build-train-step="loss=categorical_crossentropy label-smoothing=0.2" | FileCheck %s --check-prefix=SMOOTH
// RUN: not kiln-opt %s --kiln-build-train-step="loss=mae label-smoothing=0.2" 2>&1 | FileCheck %s --check-prefix=NOSMOOTH
// RUN: kiln-opt %s --kiln-build-train-step="loss=binary_focal_crossentropy gamma=1.5 alpha=0.4 apply-class-balancing=true" | FileCheck %s --check-prefix=BFOCAL
// RUN: kiln-opt %s --kiln-build-train-step="loss=categorical_focal_crossentropy from-logits=true" | FileCheck %s --check-prefix=CFOCAL
// RUN: not kiln-opt %s --kiln-build-train-step="loss=binary_crossentropy gamma=3" 2>&1 | FileCheck %s --check-prefix=NOGAMMA
// RUN: not kiln-opt %s --kiln-build-train-step="loss=categorical_focal_crossentropy apply-class-balancing=true" 2>&1 | FileCheck %s --check-prefix=NOBALANCE

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

// NOSMOOTH: error: mean_absolute_error has no label_smoothing (the categorical and binary crossentropies and their focal forms have)

// binary_focal_crossentropy from probabilities: the clipped crossentropy
// (log p, not log(p + eps): Keras 3), times (1 - p_t)^1.5 with p_t from the
// unclipped prediction, as exp(1.5 log(1 - p_t)); class balancing weighs
// positive targets by alpha and negative ones by 1 - alpha.
// BFOCAL-LABEL: func.func @eval_step
// BFOCAL:         %[[P:.+]] = kiln.matmul
// BFOCAL:         %[[CLIP:.+]] = kiln.clip %[[P]] {max = 0.99999990000000005 : f64, min = 9.9999999999999995E-8 : f64}
// BFOCAL:         %[[LOGP:.+]] = kiln.log %[[CLIP]]
// BFOCAL:         %[[POS:.+]] = kiln.mul %arg2, %[[LOGP]]
// BFOCAL:         %[[BCE:.+]] = kiln.neg
// BFOCAL:         %[[ONEMT:.+]] = kiln.sub %{{.+}}, %arg2
// BFOCAL:         %[[ONEMP:.+]] = kiln.sub %{{.+}}, %[[P]]
// BFOCAL:         %[[NEGPART:.+]] = kiln.mul %[[ONEMT]], %[[ONEMP]]
// BFOCAL:         %[[POSPART:.+]] = kiln.mul %arg2, %[[P]]
// BFOCAL:         %[[PT:.+]] = kiln.add %[[POSPART]], %[[NEGPART]]
// BFOCAL:         %[[BASE:.+]] = kiln.sub %{{.+}}, %[[PT]]
// BFOCAL:         %[[LOGB:.+]] = kiln.log %[[BASE]]
// BFOCAL:         %[[GAMMA:.+]] = kiln.constant dense<1.500000e+00>
// BFOCAL:         %[[SCALED:.+]] = kiln.mul %[[GAMMA]], %[[LOGB]]
// BFOCAL:         %[[FACTOR:.+]] = kiln.exp %[[SCALED]]
// BFOCAL:         %[[FOCAL:.+]] = kiln.mul %[[FACTOR]], %[[BCE]]
// BFOCAL-DAG:     %[[NEGW:.+]] = kiln.constant dense<6.000000e-01>
// BFOCAL-DAG:     %[[POSW:.+]] = kiln.constant dense<4.000000e-01>
// BFOCAL:         %[[WEIGHT:.+]] = kiln.add
// BFOCAL:         %[[WEIGHTED:.+]] = kiln.mul %[[WEIGHT]], %[[FOCAL]]
// BFOCAL:         kiln.reduce_mean %[[WEIGHTED]] {axes = array<i64: 0, 1>}
// BFOCAL-LABEL: func.func @train_step

// categorical_focal_crossentropy from logits: their softmax, normalized and
// clipped, no logits shortcut; (1 - p)^2 as a product, times alpha, times
// -t log p, summed over the classes and averaged over the batch.
// CFOCAL-LABEL: func.func @eval_step
// CFOCAL:         %[[SOFT:.+]] = kiln.softmax %{{.+}} {axis = 1 : i64}
// CFOCAL:         %[[SUM:.+]] = kiln.reduce_sum %[[SOFT]] {axes = array<i64: 1>, keep_dims = true}
// CFOCAL:         %[[NORM:.+]] = kiln.div %[[SOFT]], %[[SUM]]
// CFOCAL:         %[[CLIP:.+]] = kiln.clip %[[NORM]]
// CFOCAL:         %[[LOGP:.+]] = kiln.log %[[CLIP]]
// CFOCAL:         %[[NEGT:.+]] = kiln.neg %arg2
// CFOCAL:         %[[CCE:.+]] = kiln.mul %[[NEGT]], %[[LOGP]]
// CFOCAL:         %[[BASE:.+]] = kiln.sub %{{.+}}, %[[CLIP]]
// CFOCAL:         %[[SQUARE:.+]] = kiln.mul %[[BASE]], %[[BASE]]
// CFOCAL:         %[[ALPHA:.+]] = kiln.constant dense<2.500000e-01>
// CFOCAL:         %[[WEIGHTING:.+]] = kiln.mul %[[SQUARE]], %[[ALPHA]]
// CFOCAL:         %[[TERMS:.+]] = kiln.mul %[[WEIGHTING]], %[[CCE]]
// CFOCAL:         %[[ROWS:.+]] = kiln.reduce_sum %[[TERMS]] {axes = array<i64: 1>}
// CFOCAL:         kiln.reduce_mean %[[ROWS]] {axes = array<i64: 0>}
// CFOCAL-LABEL: func.func @train_step

// NOGAMMA: error: binary_crossentropy has no gamma (the focal crossentropies have)
// NOBALANCE: error: categorical_focal_crossentropy has no apply_class_balancing (binary_focal_crossentropy has)
