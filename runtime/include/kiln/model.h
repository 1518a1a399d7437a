/*===- kiln/model.h - The compiled-model descriptor (contract 1) ---*- C -*-===//
 * SPDX-License-Identifier: Apache-2.0
 *
 * Every object file that `kiln compile` emits defines exactly one constant of
 * type `kiln_model_desc_t`, named `kiln_model_descriptor`. It describes the
 * model completely: inputs/outputs (names, dtypes, shapes with a dynamic batch
 * dimension), parameters (names, shapes, byte offsets into the weights blob),
 * the Keras-style layer table used by `summary`, and the entry points. The
 * runtime's generic `main`, the header generator and the serving endpoint read
 * only this descriptor: nothing about a specific model is written twice.
 *
 * Layout rules (the compiler builds these structs with LLVM IR, so keep them
 * boring): every field is a pointer, an int64_t, or a pair of int32_t; fields
 * are append-only; `abi_version` is bumped on any incompatible change.
 *===----------------------------------------------------------------------===*/
#ifndef KILN_MODEL_H
#define KILN_MODEL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KILN_MODEL_ABI_VERSION 2

/* Element types. Explicit values; append-only. */
enum {
  KILN_DTYPE_F32 = 1,
  /* Runtime-side array types (.npy I/O); compiled tensors are F32 today. */
  KILN_DTYPE_F64 = 2,
  KILN_DTYPE_I32 = 3,
  KILN_DTYPE_I64 = 4,
  KILN_DTYPE_U8 = 5,
};

/* One tensor: a model input or output, or a parameter.
 * `dims[0] == -1` marks the dynamic batch dimension (inputs/outputs only).
 * For parameters, `offset` is the byte offset of its row-major float data in
 * `kiln_model_desc_t::weights`; it is 0 and unused for inputs/outputs. */
typedef struct kiln_tensor_desc_t {
  const char *name;
  int32_t dtype;
  int32_t rank;
  const int64_t *dims;
  int64_t offset;
} kiln_tensor_desc_t;

/* One row of the Keras-style summary table. `output_shape` is Keras's
 * rendering, e.g. "(None, 128)"; `connected_to` is empty for Sequential
 * models. */
typedef struct kiln_layer_desc_t {
  const char *name;
  const char *class_name;
  const char *output_shape;
  const char *connected_to;
  int64_t num_params;
  int64_t num_trainable_params;
} kiln_layer_desc_t;

/* A compiled entry point. `batch` is the size of the dynamic batch dimension;
 * `buffers` holds one caller-owned, row-major, suitably sized buffer per
 * tensor, in the order: parameters, inputs, outputs. Generated code only reads
 * parameters and inputs and only writes outputs. */
typedef void (*kiln_entry_fn)(int64_t batch, void *const *buffers);

/* A scalar hyperparameter as compiled (from the model file's compile config
 * or `kiln compile --optimizer`), e.g. {"learning_rate", 0.001}. */
typedef struct kiln_hyper_desc_t {
  const char *name;
  double value;
} kiln_hyper_desc_t;

/* A metric: `name` is the history/progress-bar key the user asked for
 * ("accuracy"), `kind` the resolved Keras function
 * ("sparse_categorical_accuracy", "categorical_accuracy",
 * "binary_accuracy", "mse", "mae", "sparse_categorical_crossentropy",
 * "categorical_crossentropy", "binary_crossentropy"). Metrics are computed
 * by the runtime from each step's predictions and targets. */
typedef struct kiln_metric_desc_t {
  const char *name;
  const char *kind;
} kiln_metric_desc_t;

/* Everything `./model train` / `evaluate` need beyond predict.
 *
 * `train_step` buffers, in order:
 *   params[num_params], slots[num_slots], inputs[num_inputs],
 *   targets[num_targets], learning_rate (f32 scalar), iteration (f32 scalar,
 *   1 for the first step; drives Adam's bias correction),
 *   then outputs: loss (f32 scalar), predictions[num_outputs],
 *   new_params[num_params], new_slots[num_slots].
 * `eval_step` buffers: params, inputs, targets, then loss, predictions.
 * The loss is Keras's "sum_over_batch_size" mean over the `batch` samples.
 * Targets are float32; sparse labels are class indices stored as floats. */
typedef struct kiln_train_desc_t {
  const char *loss;      /* Keras loss name, e.g. "mean_squared_error" */
  int64_t from_logits;   /* 0 or 1 */
  const char *optimizer; /* "sgd", "adam", "rmsprop" or "adagrad" */
  int64_t num_hyper;
  const kiln_hyper_desc_t *hyper;
  int64_t num_metrics;
  const kiln_metric_desc_t *metrics;
  int64_t num_targets;
  const kiln_tensor_desc_t *targets; /* one per output, dims[0] == -1 */
  int64_t num_slots;
  const kiln_tensor_desc_t *slots; /* optimizer state, zero-initialized */
  kiln_entry_fn train_step;
  kiln_entry_fn eval_step;
} kiln_train_desc_t;

typedef struct kiln_model_desc_t {
  int64_t abi_version; /* KILN_MODEL_ABI_VERSION */
  const char *name;    /* the Keras model name */
  const char *kind;    /* "Sequential" or "Functional" (summary header) */
  int64_t num_inputs;
  const kiln_tensor_desc_t *inputs;
  int64_t num_outputs;
  const kiln_tensor_desc_t *outputs;
  int64_t num_params;
  const kiln_tensor_desc_t *params;
  int64_t num_layers;
  const kiln_layer_desc_t *layers;
  int64_t weights_size; /* bytes */
  const uint8_t *weights;
  kiln_entry_fn predict;
  /* NULL when the model was compiled without a loss (inference only). */
  const kiln_train_desc_t *training;
} kiln_model_desc_t;

/* The symbol every compiled model object defines. */
extern const kiln_model_desc_t kiln_model_descriptor;

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* KILN_MODEL_H */
