/*===- kiln/runtime.h - The kiln runtime C API --------------------*- C -*-===//
 * SPDX-License-Identifier: Apache-2.0
 *
 * The runtime runs models compiled by `kiln compile`: it loads and stores
 * .npy arrays, owns a model's parameters (and optimizer state), runs its
 * `predict` entry point over batches, trains and evaluates it with Keras's
 * `fit`/`evaluate` semantics on .npy/.npz/IDX datasets, saves and loads
 * weights files, prints Keras's `model.summary()` and provides the generic
 * command line of a compiled model. It is C99 at this boundary and C++17 inside, with
 * no LLVM/MLIR dependency.
 *
 * Conventions
 *   Ownership   Handles are opaque. The caller owns whatever a `*_create`,
 *               `*_read` or `*_convert` call returns through an `out_`
 *               parameter and gives it back with `*_release` (reference
 *               counted; `*_retain` adds a reference). Accessors return
 *               borrowed pointers that live as long as the handle. Strings
 *               returned as `char**` are freed with `kiln_free`.
 *   Status      Every fallible call returns `kiln_status_t`; NULL means OK, so
 *               a check is one compare. A failure carries a stable
 *               `kiln_status_code_t`, a message and, in debug builds, the
 *               runtime source location. The caller consumes every non-NULL
 *               status with `kiln_status_free` or `kiln_status_ignore`.
 *               On failure, `out_` parameters are left untouched and no
 *               partial state is leaked.
 *   Threading   Each type's comment ends with "Thread-safe." (any use from
 *               any thread) or "Thread-compatible." (concurrent const use is
 *               safe; mutation needs external synchronization).
 *   Versioning  `KILN_API_VERSION` is bumped on any incompatible change;
 *               `kiln_api_version()` reports the version the library was
 *               built with. Enums have explicit values and are append-only.
 *               Compiled models carry `KILN_MODEL_ABI_VERSION` (kiln/model.h).
 *   Errors      The runtime never throws, never calls `abort`/`exit` and
 *               never writes to stdout/stderr, except `kiln_cli_main` and
 *               the Keras-style progress output of `kiln_model_fit` and
 *               `kiln_model_evaluate` (stdout, only when `verbose` > 0).
 *===----------------------------------------------------------------------===*/
#ifndef KILN_RUNTIME_H
#define KILN_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#include "kiln/model.h"

#ifdef __cplusplus
extern "C" {
#endif

#define KILN_API_VERSION 1

#if defined(__GNUC__) || defined(__clang__)
#define KILN_API_EXPORT __attribute__((visibility("default")))
#else
#define KILN_API_EXPORT
#endif

/* Returns the `KILN_API_VERSION` the library was built with. */
KILN_API_EXPORT int32_t kiln_api_version(void);

/* Frees memory the runtime handed out as `char*` (e.g. a summary text).
 * NULL is a no-op. */
KILN_API_EXPORT void kiln_free(void *ptr);

/*===----------------------------------------------------------------------===
 * Status
 *===----------------------------------------------------------------------===*/

/* Status codes. Explicit values; append-only. */
typedef enum kiln_status_code_t {
  KILN_STATUS_OK = 0,
  KILN_STATUS_INVALID_ARGUMENT = 1,
  KILN_STATUS_NOT_FOUND = 2,
  KILN_STATUS_IO_ERROR = 3,
  KILN_STATUS_DATA_LOSS = 4, /* corrupt or truncated file */
  KILN_STATUS_OUT_OF_MEMORY = 5,
  KILN_STATUS_UNIMPLEMENTED = 6,
  KILN_STATUS_INTERNAL = 7,
} kiln_status_code_t;

/* The result of a fallible call: NULL on success, else an owned failure that
 * must be consumed with `kiln_status_free` or `kiln_status_ignore`.
 * Thread-compatible. */
typedef struct kiln_status_handle_t *kiln_status_t;

/* The code of `status`; KILN_STATUS_OK for NULL. */
KILN_API_EXPORT kiln_status_code_t kiln_status_code(kiln_status_t status);

/* The message of `status` (borrowed; "" for NULL). Never NULL. */
KILN_API_EXPORT const char *kiln_status_message(kiln_status_t status);

/* "File.cpp:123" where the failure was raised, in debug builds of the
 * runtime; "" otherwise (and for NULL). Borrowed, never NULL. */
KILN_API_EXPORT const char *kiln_status_location(kiln_status_t status);

/* Frees `status`. NULL is a no-op. */
KILN_API_EXPORT void kiln_status_free(kiln_status_t status);

/* Frees `status` where dropping the failure is intended. NULL is a no-op. */
KILN_API_EXPORT void kiln_status_ignore(kiln_status_t status);

/*===----------------------------------------------------------------------===
 * Arrays
 *===----------------------------------------------------------------------===*/

/* The most dimensions an array may have (numpy's limit). */
#define KILN_MAX_RANK 64

/* A dense, row-major, 64-byte aligned n-d array of one of the
 * `KILN_DTYPE_*` element types (kiln/model.h). Reference counted; the
 * element data may be written through `kiln_array_data`. Retain and release
 * may be called from any thread; reads and writes of the data need the
 * caller's synchronization. Thread-compatible. */
typedef struct kiln_array_t kiln_array_t;

/* Creates a zero-filled array of `dtype` with `rank` dimensions `dims`
 * (`dims` may be NULL when `rank` is 0). */
KILN_API_EXPORT kiln_status_t kiln_array_create(int32_t dtype, int32_t rank,
                                                const int64_t *dims,
                                                kiln_array_t **out_array);
KILN_API_EXPORT void kiln_array_retain(kiln_array_t *array);
/* Drops one reference; frees the array with the last one. NULL is a no-op. */
KILN_API_EXPORT void kiln_array_release(kiln_array_t *array);

/* Accessors; `array` must not be NULL. */
KILN_API_EXPORT int32_t kiln_array_dtype(const kiln_array_t *array);
KILN_API_EXPORT int32_t kiln_array_rank(const kiln_array_t *array);
/* `rank` dimensions (borrowed; non-NULL even for rank 0). */
KILN_API_EXPORT const int64_t *kiln_array_dims(const kiln_array_t *array);
KILN_API_EXPORT int64_t kiln_array_num_elements(const kiln_array_t *array);
/* The element data (borrowed; NULL when the array has no elements). */
KILN_API_EXPORT void *kiln_array_data(const kiln_array_t *array);
KILN_API_EXPORT size_t kiln_array_byte_size(const kiln_array_t *array);

/* The size in bytes of one element of `dtype`; 0 for unknown dtypes. */
KILN_API_EXPORT size_t kiln_dtype_size(int32_t dtype);
/* numpy's name of `dtype` ("float32", ...); "unknown" for unknown dtypes. */
KILN_API_EXPORT const char *kiln_dtype_name(int32_t dtype);

/* Creates a copy of `array` converted to `dtype`. Integer results must be
 * exactly representable (no NaN, fraction or overflow), else
 * KILN_STATUS_INVALID_ARGUMENT names the first offending element. */
KILN_API_EXPORT kiln_status_t kiln_array_convert(const kiln_array_t *array,
                                                 int32_t dtype,
                                                 kiln_array_t **out_array);

/*===----------------------------------------------------------------------===
 * .npy files
 *===----------------------------------------------------------------------===*/

/* Reads a .npy file (format 1.0, 2.0 or 3.0; C order; little-endian
 * float32/float64/int32/int64/uint8), keeping the stored dtype. Missing file:
 * NOT_FOUND; corrupt or truncated file: DATA_LOSS; Fortran order, big-endian
 * or other dtypes: UNIMPLEMENTED. */
KILN_API_EXPORT kiln_status_t kiln_npy_read(const char *path,
                                            kiln_array_t **out_array);

/* Writes `array` as a .npy file. The write is atomic: the data goes to
 * "`path`.tmp.<pid>", which is renamed over `path` only once complete; on
 * failure nothing is left behind. */
KILN_API_EXPORT kiln_status_t kiln_npy_write(const char *path,
                                             const kiln_array_t *array);

/*===----------------------------------------------------------------------===
 * Models
 *===----------------------------------------------------------------------===*/

/* A compiled model ready to run: its descriptor plus an owned, 64-byte
 * aligned copy of its parameters. Predict calls may run concurrently on one
 * model; anything that changes the parameters needs exclusive access.
 * Thread-compatible. */
typedef struct kiln_model_t kiln_model_t;

/* Checks `desc` (ABI version, tensor shapes, parameter ranges within the
 * weights blob) and copies its parameters. `desc` must outlive the model. */
KILN_API_EXPORT kiln_status_t kiln_model_create(const kiln_model_desc_t *desc,
                                                kiln_model_t **out_model);
KILN_API_EXPORT void kiln_model_retain(kiln_model_t *model);
/* Drops one reference; frees the model with the last one. NULL is a no-op. */
KILN_API_EXPORT void kiln_model_release(kiln_model_t *model);

/* The descriptor the model was created from (borrowed). */
KILN_API_EXPORT const kiln_model_desc_t *
kiln_model_descriptor_of(const kiln_model_t *model);

/* The model's copy of parameter `index` (row-major float32, borrowed); NULL
 * when `index` is out of range. */
KILN_API_EXPORT float *kiln_model_param_data(kiln_model_t *model,
                                             int64_t index);

/* Runs `predict` once on caller-owned buffers: `inputs[i]` holds `batch`
 * samples of input i and `outputs[i]` receives `batch` samples of output i,
 * row-major float32, sized per the descriptor. */
KILN_API_EXPORT kiln_status_t kiln_model_predict(kiln_model_t *model,
                                                 int64_t batch,
                                                 const float *const *inputs,
                                                 float *const *outputs);

/* Keras's `model.predict(inputs, batch_size)`: checks every input against the
 * descriptor (float32; the leading dimension N is shared by all inputs, the
 * rest match exactly), runs the samples in chunks of `batch_size` (the last
 * chunk may be smaller; `batch_size` <= 0 means Keras's default, 32) and
 * creates one (N, ...) float32 array per output in `out_outputs`, an array
 * of `num_outputs` pointers that is filled only on success. */
KILN_API_EXPORT kiln_status_t kiln_model_predict_arrays(
    kiln_model_t *model, int64_t batch_size, const kiln_array_t *const *inputs,
    kiln_array_t **out_outputs);

/* Formats `desc` the way tf.keras 2.13-2.15 `model.summary()` prints it
 * (including the trailing newline). Free `*out_text` with `kiln_free`. */
KILN_API_EXPORT kiln_status_t
kiln_model_format_summary(const kiln_model_desc_t *desc, char **out_text);

/*===----------------------------------------------------------------------===
 * Training state and weights files
 *===----------------------------------------------------------------------===*/

/* The model's optimizer slot `index` (row-major float32, borrowed; zero after
 * `kiln_model_create`); NULL when the model has no `training` descriptor or
 * `index` is out of range. */
KILN_API_EXPORT float *kiln_model_slot_data(kiln_model_t *model,
                                            int64_t index);

/* Keras's `optimizer.iterations`: the number of train steps run so far (0
 * after `kiln_model_create`; restored by `kiln_model_load_weights`). */
KILN_API_EXPORT int64_t kiln_model_iterations(const kiln_model_t *model);

/* The last completed epoch (0 after `kiln_model_create`; set by
 * `kiln_model_fit` and restored by `kiln_model_load_weights`). */
KILN_API_EXPORT int64_t kiln_model_epoch(const kiln_model_t *model);

/* Writes the model's parameters, optimizer slots, iteration count and epoch
 * as a kiln weights file (format: runtime/README.md). The write is atomic:
 * temporary file in the same directory, fsync, rename. */
KILN_API_EXPORT kiln_status_t kiln_model_save_weights(kiln_model_t *model,
                                                      const char *path);

/* Loads a kiln weights file saved from the same model. The parameter names
 * and shapes (and the model name) must match, else INVALID_ARGUMENT names the
 * first difference; a truncated or corrupt file is DATA_LOSS. A training model
 * also takes the file's optimizer slots (which must match too; a file without
 * slots zeroes them), iteration count and epoch; a predict-only model loads
 * the parameters only. On failure the model is unchanged. */
KILN_API_EXPORT kiln_status_t kiln_model_load_weights(kiln_model_t *model,
                                                      const char *path);

/*===----------------------------------------------------------------------===
 * Datasets
 *===----------------------------------------------------------------------===*/

/* (inputs, targets) samples for a model's `training` descriptor, checked and
 * converted once: one float32 array per model input and per target, sharing
 * the sample count, with the model's per-sample shapes. Reference counted.
 * Thread-compatible. */
typedef struct kiln_dataset_t kiln_dataset_t;

/* Reads the data source `spec` for the training model `desc`:
 *   "x.npy,y.npy"       .npy files, the first `num_inputs` are inputs and
 *                       the rest targets (one per output);
 *   "data.npz"          arrays `x` and `y` (one input and target), or
 *                       `x0`, `x1`, ... and `y0`, `y1`, ... (stored or
 *                       deflated members);
 *   "images-idx3-ubyte[.gz],labels-idx1-ubyte[.gz]"
 *                       MNIST-style IDX files; uint8 inputs are scaled to
 *                       [0, 1] and reshaped to the input's sample shape.
 * Any file may also be gzip-compressed. Numeric arrays are converted to
 * float32; targets are reshaped when their per-sample element count matches.
 * For sparse losses/metrics every label must be an integer in
 * [0, num_classes). Errors name the file: NOT_FOUND, DATA_LOSS (corrupt or
 * truncated), UNIMPLEMENTED (dtype), INVALID_ARGUMENT (shape, sample count,
 * label range, no samples). */
KILN_API_EXPORT kiln_status_t kiln_dataset_open(const kiln_model_desc_t *desc,
                                                const char *spec,
                                                kiln_dataset_t **out_dataset);

/* Like `kiln_dataset_open` from in-memory arrays: `inputs[num_inputs]` and
 * `targets[num_targets]` of any numeric dtype (copied). */
KILN_API_EXPORT kiln_status_t kiln_dataset_create(
    const kiln_model_desc_t *desc, const kiln_array_t *const *inputs,
    const kiln_array_t *const *targets, kiln_dataset_t **out_dataset);
KILN_API_EXPORT void kiln_dataset_retain(kiln_dataset_t *dataset);
/* Drops one reference; frees the dataset with the last one. NULL is a no-op. */
KILN_API_EXPORT void kiln_dataset_release(kiln_dataset_t *dataset);
KILN_API_EXPORT int64_t kiln_dataset_num_samples(const kiln_dataset_t *dataset);

/*===----------------------------------------------------------------------===
 * Training and evaluation (Keras's `fit` and `evaluate`)
 *===----------------------------------------------------------------------===*/

/* Receives the logs at the end of every epoch: `epoch` is 1-based (as Keras
 * prints it), `names[i]`/`values[i]` are "loss", the metrics, then "val_loss"
 * and the validation metrics when there is validation data. */
typedef void (*kiln_epoch_end_fn)(void *user_data, int64_t epoch,
                                  int64_t num_logs, const char *const *names,
                                  const double *values);

/* Options of `kiln_model_fit`; fill with `kiln_fit_options_initialize`, then
 * set what differs. Fields are append-only. */
typedef struct kiln_fit_options_t {
  size_t struct_size;      /* sizeof(kiln_fit_options_t) */
  int64_t epochs;          /* the final epoch index (1) */
  int64_t batch_size;      /* samples per step (32); last batch may be partial */
  int32_t shuffle;         /* reshuffle the samples every epoch (1) */
  int32_t verbose;         /* 0 silent, 1 progress bar, 2 one line/epoch (1) */
  int64_t seed;            /* shuffle seed; -1: random, or a resumed file's */
  int64_t steps_per_epoch; /* 0: one pass over the data per epoch */
  int64_t initial_epoch;   /* epochs run as initial_epoch+1..epochs (0) */
  double learning_rate;    /* < 0: the compiled hyperparameter (-1) */
  const kiln_dataset_t *validation_data; /* evaluated after each epoch */
  const char *history_path;      /* history.history JSON, after each epoch */
  const char *save_weights_path; /* weights file written at the end */
  const char *checkpoint_path;   /* weights file written after each epoch */
  const char *resume_path;       /* weights file loaded before training */
  kiln_epoch_end_fn on_epoch_end; /* optional */
  void *user_data;                /* passed to `on_epoch_end` */
} kiln_fit_options_t;

/* Fills `options` with the defaults above and sets `struct_size`. */
KILN_API_EXPORT void kiln_fit_options_initialize(kiln_fit_options_t *options);

/* Keras's `model.fit(x, y, ...)` on `data` with the model's `train_step`;
 * the model's parameters, slots, iteration count and epoch are updated in
 * place. When `out_history_json` is not NULL it receives the Keras
 * `history.history` dict as JSON (free with `kiln_free`). */
KILN_API_EXPORT kiln_status_t kiln_model_fit(kiln_model_t *model,
                                             const kiln_dataset_t *data,
                                             const kiln_fit_options_t *options,
                                             char **out_history_json);

/* Options of `kiln_model_evaluate`; fill with
 * `kiln_evaluate_options_initialize`. Fields are append-only. */
typedef struct kiln_evaluate_options_t {
  size_t struct_size; /* sizeof(kiln_evaluate_options_t) */
  int64_t batch_size; /* 32 */
  int32_t verbose;    /* 0 silent, 1 progress bar, 2 final line only (1) */
  int32_t reserved;
} kiln_evaluate_options_t;

KILN_API_EXPORT void
kiln_evaluate_options_initialize(kiln_evaluate_options_t *options);

/* The number of logs `fit`/`evaluate` report per dataset: the loss plus one
 * per metric and output. */
KILN_API_EXPORT int64_t kiln_model_num_logs(const kiln_model_t *model);

/* The name of log `index`: "loss", then the metric names ("accuracy"; with
 * several outputs "<output>_accuracy"). Borrowed; NULL when out of range. */
KILN_API_EXPORT const char *kiln_model_log_name(const kiln_model_t *model,
                                                int64_t index);

/* Keras's `model.evaluate(x, y)`: runs `eval_step` over `data` and writes
 * `kiln_model_num_logs(model)` values (loss, then metrics) to `out_values`. */
KILN_API_EXPORT kiln_status_t
kiln_model_evaluate(kiln_model_t *model, const kiln_dataset_t *data,
                    const kiln_evaluate_options_t *options,
                    double *out_values);

/*===----------------------------------------------------------------------===
 * Command line
 *===----------------------------------------------------------------------===*/

/* The generic command line of a compiled model (`summary`, `info`,
 * `predict`, `train`, `evaluate`; see `--help`). Prints to stdout/stderr and returns the process
 * exit code: 0 on success, 1 on a runtime error, 2 on a usage error. */
KILN_API_EXPORT int kiln_cli_main(const kiln_model_desc_t *desc, int argc,
                                  char **argv);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* KILN_RUNTIME_H */
