/*===- kiln/model.h - The compiled-model descriptor (contract 1) ---*- C
 *-*-===// SPDX-License-Identifier: Apache-2.0
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

#define KILN_MODEL_ABI_VERSION 9

/* The thresholds of metric kind "auc" (Keras's AUC num_thresholds): its
 * steps return twice as many values (kiln_metric_desc_t). */
#define KILN_AUC_THRESHOLDS 200

/* Element types. Explicit values; append-only.
 * Compiled model inputs may be F32, I32, I64 or BOOL (an Embedding's integer
 * ids, a mask that ONNX Where reads); compiled model outputs may be F32, I32,
 * I64 or BOOL (ONNX ArgMax gives int64, comparisons give bool). Parameters
 * and optimizer slots are F32, and training (`train_step`, `eval_step`)
 * needs F32 outputs and targets. F64 and U8 are runtime-side array types
 * (.npy I/O). */
enum {
  KILN_DTYPE_F32 = 1,
  KILN_DTYPE_F64 = 2,
  KILN_DTYPE_I32 = 3,
  KILN_DTYPE_I64 = 4,
  KILN_DTYPE_U8 = 5,
  /* One byte per element holding 0 or 1: numpy's `bool` ('|b1'). */
  KILN_DTYPE_BOOL = 6,
};

/* Flags of a parameter (kiln_tensor_desc_t::flags). */
enum {
  /* The optimizer does not update it (Keras `trainable: false` layers and
   * weights, BatchNormalization's moving statistics). It is saved, loaded
   * and exported like the others and counted as "Non-trainable params" by
   * summary. Parameters without the flag are trainable. */
  KILN_TENSOR_NON_TRAINABLE = 1,
  /* Non-trainable state that `train_step` itself updates (BatchNormalization's
   * moving mean and variance): it gets a new value each step but no
   * optimizer slots. Always set together with KILN_TENSOR_NON_TRAINABLE. */
  KILN_TENSOR_STATE = 2,
  /* A training target that holds class indices (stored as floats): its
   * output's loss is sparse_categorical_crossentropy. Targets only. */
  KILN_TENSOR_CLASS_INDICES = 4,
};

/* One tensor: a model input or output, or a parameter.
 * `dims[0] == -1` marks the dynamic batch dimension (inputs/outputs only).
 * For parameters, `offset` is the byte offset of its row-major float data in
 * `kiln_model_desc_t::weights`; it is 0 and unused for inputs/outputs.
 * `flags` is KILN_TENSOR_* for parameters and targets, 0 otherwise. */
typedef struct kiln_tensor_desc_t {
  const char *name;
  int32_t dtype;
  int32_t rank;
  const int64_t *dims;
  int64_t offset;
  int64_t flags;
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
 * tensor, in the order: parameters, inputs, outputs, each holding elements
 * of its tensor's dtype (a BOOL element is one byte, 0 or 1: an input's must
 * be, and an output's is written so). Generated code only reads
 * parameters and inputs and only writes outputs. It never allocates: its
 * scratch memory is `workspace`, 64-byte aligned and at least
 * `kiln_workspace_bytes(entry's kiln_workspace_desc_t, batch)` bytes, owned
 * by the caller and reusable across calls (not concurrently). Returns 0 on
 * success, else a KILN_STATUS_* code (a device launch that failed). */
typedef int32_t (*kiln_entry_fn)(int64_t batch, void *const *buffers,
                                 void *workspace);

/* The scratch memory an entry needs: fixed + per_sample * batch bytes. */
typedef struct kiln_workspace_desc_t {
  int64_t fixed_bytes;
  int64_t per_sample_bytes;
} kiln_workspace_desc_t;

/* A scalar hyperparameter as compiled (from the model file's compile config
 * or `kiln compile --optimizer`), e.g. {"learning_rate", 0.001}. */
typedef struct kiln_hyper_desc_t {
  const char *name;
  double value;
} kiln_hyper_desc_t;

/* A value the steps report besides the loss, on one output: a metric or,
 * for kind "loss", the output's unweighted loss (a model with several
 * outputs reports each, as Keras logs "<output>_loss"). `name` is the
 * history/progress-bar key ("accuracy"; "<output>_accuracy" when the model
 * has several outputs), `kind` the resolved Keras function
 * ("sparse_categorical_accuracy", "categorical_accuracy",
 * "binary_accuracy", "sparse_categorical_crossentropy",
 * "categorical_crossentropy", "binary_crossentropy", "mse", "mae", "mape",
 * "msle", "kl_divergence", "poisson", "hinge", "squared_hinge",
 * "categorical_hinge", "cosine_similarity", "root_mean_squared_error",
 * "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy": k = 5,
 * "precision", "recall": threshold 0.5, "auc": 200 thresholds, ROC) or
 * "loss". Each step
 * returns every one as a batch mean (over the batch's values; for
 * root_mean_squared_error the mean squared error), and the runtime averages
 * those over the epoch, weighted by the values' count (an output's loss:
 * every batch alike, as Keras on TensorFlow logs it), then takes the root
 * for root_mean_squared_error. Precision and recall are two values instead
 * (f32[2]): the batch's true positives and its predicted (precision) or
 * actual (recall) positives, every element counted; the runtime sums each
 * over the epoch and divides (0 when nothing was counted). AUC is 400
 * values (f32[400]): the batch's true positives at each of 200 thresholds
 * (threshold i: 199 * clip(p, 0, 1) > i; threshold 0: every element), then
 * its false positives; the runtime sums them over the epoch and integrates
 * the ROC curve by trapezoids, as Keras's AUC does. */
typedef struct kiln_metric_desc_t {
  const char *name;
  const char *kind;
  int64_t output; /* index into kiln_model_desc_t::outputs */
} kiln_metric_desc_t;

/* Everything `./model train` / `evaluate` need beyond predict.
 *
 * `train_step` buffers, in order:
 *   params[num_params], slots[num_slots], inputs[num_inputs],
 *   targets[num_targets], learning_rate (f32 scalar), iteration (f32 scalar,
 *   1 for the first step; drives Adam's bias correction), rng (int64[2]: the
 *   run's seed and the 0-based global step, the key of the counter-based
 *   random numbers of training-mode layers such as Dropout),
 *   then outputs: loss (f32 scalar), predictions[num_outputs],
 *   metric_values[num_metrics] (f32 scalars, or f32[2] for precision and
 *   recall, f32[400] for auc, in `metrics` order),
 *   new_params (one per parameter that is trainable (no
 *   KILN_TENSOR_NON_TRAINABLE) or KILN_TENSOR_STATE, in parameter order),
 * new_slots[num_slots]. Slots belong to the trainable parameters only,
 * parameter-major. `eval_step` buffers: params, inputs, targets, then loss,
 * predictions, metric_values. The loss is the sum over the outputs of each
 * output's loss (Keras's "sum_over_batch_size" mean over the `batch`
 * samples) times its weight, plus the weight regularizers' penalties. Targets
 * and predictions are float32 (fit and evaluate refuse a model with an output
 * of another dtype); sparse labels are class indices stored as floats. */
typedef struct kiln_train_desc_t {
  /* Keras loss name, e.g. "mean_squared_error", or one per output
   * ("a: sparse_categorical_crossentropy, b: mean_squared_error x2"); the
   * targets' KILN_TENSOR_CLASS_INDICES flags say which take class indices */
  const char *loss;
  int64_t from_logits;   /* 0 or 1 (1: every output's loss is from logits) */
  const char *optimizer; /* "sgd", "adam", "rmsprop" or "adagrad" */
  int64_t num_hyper;
  const kiln_hyper_desc_t *hyper;
  int64_t num_metrics;
  const kiln_metric_desc_t *metrics;
  int64_t num_targets;
  const kiln_tensor_desc_t *targets; /* one per output, dims[0] == -1 */
  int64_t num_slots;
  const kiln_tensor_desc_t *slots; /* optimizer state, zero-initialized */
  kiln_entry_fn train_step; /* NULL: see kiln_model_desc_t::train_unavailable */
  kiln_entry_fn eval_step;
  kiln_workspace_desc_t train_workspace;
  kiln_workspace_desc_t eval_workspace;
} kiln_train_desc_t;

/* One more PTX of the GPU kernels, for another architecture
 * (`kiln compile --gpu-arch sm_80,sm_90`). */
typedef struct kiln_gpu_ptx_t {
  const char *arch; /* "sm_90" */
  const char *text; /* the PTX, NUL-terminated */
} kiln_gpu_ptx_t;

/* The entries compiled for NVIDIA GPUs (`kiln compile --target cuda`). They
 * take the same buffers as the CPU entries, in the same order, but every
 * buffer and the workspace are device memory (CUDA device pointers). The
 * kernels come from PTX embedded in the object: the one for `arch`, which
 * the entries' loader holds, and `more_ptx` for other architectures. The
 * runtime picks the newest one the GPU at hand runs, and the driver
 * JIT-compiles it (runtime/gpu). Entries return 0; launch failures are
 * reported by the runtime's executor. */
typedef struct kiln_gpu_desc_t {
  const char *arch;         /* "sm_80": the first PTX's target */
  kiln_entry_fn predict;    /* device buffers */
  kiln_entry_fn train_step; /* NULL without a train_step */
  kiln_entry_fn eval_step;  /* NULL without training */
  kiln_workspace_desc_t predict_workspace;
  kiln_workspace_desc_t train_workspace;
  kiln_workspace_desc_t eval_workspace;
  int64_t num_more_ptx;
  const kiln_gpu_ptx_t *more_ptx; /* NULL when num_more_ptx is 0 */
  /* The multiplicands of the kernels' matrix products (kiln compile
   * --gpu-precision): "fp32", or "tf32" / "bf16" on tensor cores. */
  const char *matmul_precision;
} kiln_gpu_desc_t;

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
  kiln_workspace_desc_t predict_workspace;
  /* Non-NULL when `train` must refuse (and, if `training` is NULL,
   * `evaluate` too), saying why: a training configuration kiln could not
   * map, or a layer whose training form is not compiled. Never train
   * something other than the model. */
  const char *train_unavailable;
  /* NULL unless compiled with `--target cuda`: the GPU entries. The CPU
   * entries above are always present. */
  const kiln_gpu_desc_t *cuda;
  /* NULL, or per parameter the path of its dataset in a Keras 3
   * `.weights.h5` file ("layers/dense/vars/0"; NULL for one Keras 3 does
   * not store), so that served versions may be Keras weights files
   * (runtime/serve). */
  const char *const *keras3_paths;
} kiln_model_desc_t;

/* The workspace bytes `w` needs at `batch`. */
static inline int64_t kiln_workspace_bytes(kiln_workspace_desc_t w,
                                           int64_t batch) {
  return w.fixed_bytes + w.per_sample_bytes * batch;
}

/* The symbol every compiled model object defines. */
extern const kiln_model_desc_t kiln_model_descriptor;

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* KILN_MODEL_H */
