/*===- kiln/runtime.h - The kiln runtime C API --------------------*- C -*-===//
 * SPDX-License-Identifier: Apache-2.0
 *
 * The runtime runs models compiled by `kiln compile`: it loads and stores
 * .npy arrays, owns a model's parameters (and optimizer state), runs its
 * `predict` entry point over batches, trains and evaluates it with Keras's
 * `fit`/`evaluate` semantics on .npy/.npz/IDX datasets, saves and loads
 * weights files, reads and writes TFRecord files and tf.train.Example
 * records, prints Keras's `model.summary()` and provides the generic
 * command line of a compiled model. It is C99 at this boundary and C++17
 *inside, with no LLVM/MLIR dependency.
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
 *               safe; mutation needs external synchronization). Fit and
 *               evaluate on a TFRecord dataset read it on a background
 *               thread that they join before returning.
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
  KILN_STATUS_OUT_OF_RANGE = 8, /* end of a sequence (e.g. a TFRecord file) */
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
/* numpy's name of `dtype` ("float32", ..., "bool"); "unknown" for unknown
 * dtypes. */
KILN_API_EXPORT const char *kiln_dtype_name(int32_t dtype);

/* Creates a copy of `array` converted to `dtype`. Integer results must be
 * exactly representable (no NaN, fraction or overflow), else
 * KILN_STATUS_INVALID_ARGUMENT names the first offending element. A BOOL
 * result is numpy's `astype(bool)`: 1 for every nonzero element (NaN too),
 * else 0; a BOOL source gives 0 or 1 in every type. */
KILN_API_EXPORT kiln_status_t kiln_array_convert(const kiln_array_t *array,
                                                 int32_t dtype,
                                                 kiln_array_t **out_array);

/*===----------------------------------------------------------------------===
 * .npy files
 *===----------------------------------------------------------------------===*/

/* Reads a .npy file (format 1.0, 2.0 or 3.0; C order; little-endian
 * float32/float64/int32/int64/uint8/bool), keeping the stored dtype. Missing
 * file: NOT_FOUND; corrupt or truncated file (a bool byte other than 0 or 1
 * too): DATA_LOSS; Fortran order, big-endian or other dtypes:
 * UNIMPLEMENTED. */
KILN_API_EXPORT kiln_status_t kiln_npy_read(const char *path,
                                            kiln_array_t **out_array);

/* Writes `array` as a .npy file. The write is atomic: the data goes to a
 * temporary file beside `path` (its symlink target), renamed over it only
 * once complete; on failure or SIGINT/SIGTERM/SIGHUP nothing is left behind.
 * A device or FIFO (/dev/null) is written in place. A bool array whose
 * bytes are not all 0 or 1 is INVALID_ARGUMENT (the reader refuses it). */
KILN_API_EXPORT kiln_status_t kiln_npy_write(const char *path,
                                             const kiln_array_t *array);

/*===----------------------------------------------------------------------===
 * Models
 *===----------------------------------------------------------------------===*/

/* Threads for the compiled code's parallel loops (large matrix products) that
 * calls from this thread start: OpenMP's team size. `count` <= 0 restores the
 * default: KILN_NUM_THREADS when set, else every core. Results are
 * bit-identical for any count (a static partition of independent
 * iterations); small products always run on the calling thread. A model
 * whose code has no parallel loop (it does not link libomp) ignores it. */
KILN_API_EXPORT void kiln_set_num_threads(int32_t count);
/* The threads a parallel loop started from this thread would use: 1 when no
 * compiled model in the process has parallel loops. */
KILN_API_EXPORT int32_t kiln_get_num_threads(void);

/* A compiled model ready to run: its descriptor plus an owned, 64-byte
 * aligned copy of its parameters. Predict calls may run concurrently on one
 * model; anything that changes the parameters needs exclusive access.
 * Thread-compatible. */
typedef struct kiln_model_t kiln_model_t;

/* Checks `desc` (ABI version, tensor shapes, parameter ranges within the
 * weights blob) and copies its parameters. `desc` must outlive the model.
 * KILN_NUM_THREADS, when set, applies to this thread unless a count was
 * chosen with kiln_set_num_threads; a value that is no positive count is an
 * error. */
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
 * row-major, sized per the descriptor, each in its tensor's descriptor
 * dtype: float32, or int32/int64 (an Embedding's ids in; ArgMax's indices
 * out) or bool (one byte per element, 0 or 1: an input's must be, an
 * output's are); pass such buffers cast to `const float *` / `float *`.
 * Ids outside [-rows, rows) of the table are clamped into it (negative
 * ones count from the end, as in Keras). */
KILN_API_EXPORT kiln_status_t kiln_model_predict(kiln_model_t *model,
                                                 int64_t batch,
                                                 const float *const *inputs,
                                                 float *const *outputs);

/* Keras's `model.predict(inputs, batch_size)`: checks every input against the
 * descriptor (exactly its dtype: float32, int32/int64 ids, or bool holding
 * 0 or 1, never converted (kiln_array_convert first); the leading dimension
 * N is shared by all inputs, the rest match exactly), runs the samples in
 * chunks of `batch_size` (the last chunk may be smaller; `batch_size` <= 0
 * means Keras's default, 32) and creates one (N, ...) array per output, in
 * that output's descriptor dtype (float32, int32, int64 or bool), in
 * `out_outputs`, an array of `num_outputs` pointers that is filled only on
 * success. A model with no dynamic batch dimension at all (an ONNX model
 * exported for batch 1) runs once on inputs of exactly their shapes, never
 * split along their leading dimension. One that mixes static and dynamic
 * leading dimensions (an output reduced over the batch, such as an ONNX
 * model's loss) runs once on all N samples as one batch, whatever
 * `batch_size` says; its other tensors have exactly their shapes. Outputs
 * with a dynamic batch that no input gives are refused
 * (KILN_STATUS_UNIMPLEMENTED). */
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
KILN_API_EXPORT float *kiln_model_slot_data(kiln_model_t *model, int64_t index);

/* Keras's `optimizer.iterations`: the number of train steps run so far (0
 * after `kiln_model_create`; restored by `kiln_model_load_weights`). */
KILN_API_EXPORT int64_t kiln_model_iterations(const kiln_model_t *model);

/*===----------------------------------------------------------------------===
 * Devices (runtime/gpu: the CUDA driver is loaded with dlopen on first use;
 * nothing links libcuda, so every binary starts without a GPU)
 *===----------------------------------------------------------------------===*/

/* One GPU, as `./model devices` lists it. */
typedef struct kiln_device_info_t {
  int32_t index;         /* N of "gpu:N" */
  int32_t compute_major; /* compute capability, e.g. 9 */
  int32_t compute_minor; /* e.g. 0 */
  int32_t multiprocessors;
  int64_t memory_bytes;
  int32_t driver_version; /* the CUDA driver's, e.g. 12040 for 12.4 */
  char name[256];
} kiln_device_info_t;

/* Fills up to `capacity` entries of `devices` and sets `*count` to the number
 * of GPUs. Without a CUDA driver or GPU, `*count` is 0 and the status says
 * why (UNIMPLEMENTED). */
KILN_API_EXPORT kiln_status_t kiln_gpu_devices(kiln_device_info_t *devices,
                                               int32_t capacity,
                                               int32_t *count);

/* Where `model`'s entries run: "cpu" (the default), "gpu" (the first GPU)
 * or "gpu:N". A GPU needs a model compiled with `--target cuda`, a driver
 * and the device; otherwise an error says which is missing and the model
 * keeps its device. Parameters and optimizer state stay in the model (host
 * memory): weights files and checkpoints are device-independent. Not
 * concurrently with calls on the model. */
KILN_API_EXPORT kiln_status_t kiln_model_set_device(kiln_model_t *model,
                                                    const char *device);

/* "cpu", or the GPU's "gpu:N (NAME)". */
KILN_API_EXPORT const char *kiln_model_device(const kiln_model_t *model);

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
 * Compiled libraries (`kiln compile --emit lib|shared`)
 *
 * The generated NAME.h declares one typed function per entry; each gathers
 * its buffers into arrays and forwards to these. A handle is a model session
 * plus the message of its last failure: functions return a
 * kiln_status_code_t (0: success) and `kiln_lib_error` says why. They need
 * only the base and model archives (plus gpu for kiln_lib_set_device).
 *===----------------------------------------------------------------------===*/

typedef struct kiln_lib_t kiln_lib_t;

/* Creates a session of `desc`. `*out_lib` receives a handle even on failure
 * (NULL only when out of memory) whose `kiln_lib_error` says why; destroy it
 * either way. */
KILN_API_EXPORT int32_t kiln_lib_create(const kiln_model_desc_t *desc,
                                        kiln_lib_t **out_lib);
/* NULL is a no-op. */
KILN_API_EXPORT void kiln_lib_destroy(kiln_lib_t *lib);
/* The message of the handle's last failed call ("" when none failed; "out
 * of memory" for NULL). Valid until the next failing call on the handle. */
KILN_API_EXPORT const char *kiln_lib_error(kiln_lib_t *lib);
/* The session (borrowed; NULL when creating it failed), for the rest of
 * this API. */
KILN_API_EXPORT kiln_model_t *kiln_lib_model(kiln_lib_t *lib);
/* kiln_model_predict, buffers in each tensor's descriptor dtype. Calls may
 * run concurrently with each other, not with the calls below. */
KILN_API_EXPORT int32_t kiln_lib_predict(kiln_lib_t *lib, int64_t batch,
                                         const void *const *inputs,
                                         void *const *outputs);
/* Keras's `train_on_batch`: one compiled train step on `batch` samples at
 * the compiled learning rate; `*loss` (may be NULL) receives the loss. */
KILN_API_EXPORT int32_t kiln_lib_train_step(kiln_lib_t *lib, int64_t batch,
                                            const void *const *inputs,
                                            const float *const *targets,
                                            float *loss);
/* Keras's `fit(x, y, epochs, batch_size, shuffle=True)` without callbacks
 * over `num_samples` samples of caller buffers: epochs continue from the
 * model's epoch, each a full shuffle of pass `epoch` under `seed` (< 0: the
 * last fit's, else random), in batches of `batch_size` (<= 0: 32), the last
 * one partial: the batches `./model train --seed` takes for in-memory
 * data. `epoch_losses[e]` (may be NULL) receives epoch e's mean loss. */
KILN_API_EXPORT int32_t kiln_lib_fit(kiln_lib_t *lib, int64_t num_samples,
                                     const void *const *inputs,
                                     const float *const *targets,
                                     int64_t epochs, int64_t batch_size,
                                     int64_t seed, float *epoch_losses);
/* kiln_model_load_weights / kiln_model_save_weights. */
KILN_API_EXPORT int32_t kiln_lib_load_weights(kiln_lib_t *lib,
                                              const char *path);
KILN_API_EXPORT int32_t kiln_lib_save_weights(kiln_lib_t *lib,
                                              const char *path);
/* kiln_model_set_device (in the gpu archive). */
KILN_API_EXPORT int32_t kiln_lib_set_device(kiln_lib_t *lib,
                                            const char *device);

/*===----------------------------------------------------------------------===
 * Datasets
 *===----------------------------------------------------------------------===*/

/* (inputs, targets) samples for a model's `training` descriptor, checked and
 * converted once: one float32 array per model input and per target, sharing
 * the sample count, with the model's per-sample shapes; or, from
 * `kiln_dataset_open_tfrecord`, a stream re-read from its file every pass.
 * Both are read through one pipeline (`kiln_batches_open`). Reference
 * counted. Thread-compatible. */
typedef struct kiln_dataset_t kiln_dataset_t;

/* Reads the data source `spec` for the training model `desc`:
 *   "x.npy,y.npy"       .npy files, the first `num_inputs` are inputs and
 *                       the rest targets (one per output);
 *   "data.npz"          arrays `x` and `y` (one input and target), or
 *                       `x0`, `x1`, ... and `y0`, `y1`, ... (stored or
 *                       deflated members);
 *   "images-idx3-ubyte[.gz],labels-idx1-ubyte[.gz]"
 *                       MNIST-style IDX files; uint8 inputs and uint8
 *                       image targets (rank >= 2) are scaled to [0, 1];
 *                       rank-1 IDX files (labels) are not.
 * Any file may also be gzip-compressed. Numeric and bool arrays are
 * converted to float32 (an input of int32/int64 ids takes integers only, a
 * bool input 0 and 1 only); targets are reshaped to the target's shape when
 * their sample shape matches it up to dimensions of 1. A target whose
 * output's loss is sparse (KILN_TENSOR_CLASS_INDICES) takes labels that are
 * integers in [0, num_classes). Errors
 * name the file: NOT_FOUND, DATA_LOSS (corrupt or truncated), UNIMPLEMENTED
 * (dtype; a model whose outputs are not all float32), INVALID_ARGUMENT (shape,
 * sample count, label range, no samples). */
KILN_API_EXPORT kiln_status_t kiln_dataset_open(const kiln_model_desc_t *desc,
                                                const char *spec,
                                                kiln_dataset_t **out_dataset);

/* Like `kiln_dataset_open` from in-memory arrays: `inputs[num_inputs]` and
 * `targets[num_targets]` of any numeric dtype (copied). */
KILN_API_EXPORT kiln_status_t kiln_dataset_create(
    const kiln_model_desc_t *desc, const kiln_array_t *const *inputs,
    const kiln_array_t *const *targets, kiln_dataset_t **out_dataset);
/* Reads the arrays of a data SPEC without a model: "x.npy" or "x.npy,y.npy",
 * "data.npz" (arrays `x` and, when present, `y`), or IDX files
 * "images-idx3-ubyte,labels-idx1-ubyte" (each may be gzipped; a single file
 * gives only x). .npy/.npz arrays come back as stored; IDX data as
 * `kiln_dataset_open` reads it: uint8 x and uint8 images (rank >= 2, e.g.
 * (N, rows, cols)) become float32 scaled to [0, 1], other rank-1 integer
 * IDX files (labels) int64 (N,), the rest as stored. `*out_y` is NULL when
 * the SPEC has no second
 * array. No sample counts or dtypes are checked. Errors as
 * `kiln_dataset_open`'s. */
KILN_API_EXPORT kiln_status_t kiln_data_read(const char *spec,
                                             kiln_array_t **out_x,
                                             kiln_array_t **out_y);

/* Like `kiln_dataset_open` from the tf.train.Example records of the TFRecord
 * file `path` (NONE, ZLIB or GZIP, detected), with tf.io.FixedLenFeature
 * semantics: `features[num_features]` are the model's inputs in order and
 * `labels[num_labels]` its targets, each a feature spec
 *   "name:dtype[d0,d1,...][=default]"
 * with dtype float32 or int64 (values become float32), the per-sample shape
 * (`[]` or no brackets: a scalar) and an optional default (one number, or
 * one per element) for records without the feature; or, for
 * tf.io.VarLenFeature, "name:varlen(dtype)[d0,...][=pad]": up to d0*...
 * values, padded at the end with `pad` (0) to the shape, a missing feature
 * all padding, more values an error. The dataset streams:
 * opening decodes and checks every record once, keeping none, to count them;
 * fit and evaluate then re-read the file on a background thread every pass,
 * through a bounded shuffle buffer (`kiln_fit_options_t.shuffle_buffer`) and
 * `prefetch` ready batches, so memory does not grow with the file. Errors
 * (INVALID_ARGUMENT) name the file, the record index and the feature: a
 * missing feature without a default, int64 vs float values, a value count
 * that does not match the shape, a shape that does not fit the model, a
 * sparse label out of range; a corrupt file is DATA_LOSS (also from fit or
 * evaluate, when the file changed after opening). */
KILN_API_EXPORT kiln_status_t
kiln_dataset_open_tfrecord(const kiln_model_desc_t *desc, const char *path,
                           const char *const *features, int64_t num_features,
                           const char *const *labels, int64_t num_labels,
                           kiln_dataset_t **out_dataset);
/* Records a TFRecord dataset skipped when opened (0 for other datasets). */
KILN_API_EXPORT int64_t kiln_dataset_num_skipped(const kiln_dataset_t *dataset);
/* The same as one line ("" when nothing was skipped): records and bytes
 * skipped, and the rest of the file dropped after a corrupt length
 * (kiln_tfrecord_reader_skip_report). Valid while the dataset lives. */
KILN_API_EXPORT const char *
kiln_dataset_skip_report(const kiln_dataset_t *dataset);
KILN_API_EXPORT void kiln_dataset_retain(kiln_dataset_t *dataset);
/* Drops one reference; frees the dataset with the last one. NULL is a no-op. */
KILN_API_EXPORT void kiln_dataset_release(kiln_dataset_t *dataset);
KILN_API_EXPORT int64_t kiln_dataset_num_samples(const kiln_dataset_t *dataset);

/* The input pipeline of every dataset, as tf.data's
 *   dataset.shuffle(shuffle_buffer, seed).batch(batch_size, drop_remainder)
 *          .repeat(passes).prefetch(prefetch)
 * (fit and evaluate use it too). A background thread reads the samples of
 * each pass in storage order into a shuffle buffer and assembles batches at
 * most `prefetch` ahead; a TFRecord dataset holds at most the buffer and
 * those batches in memory. No batch spans two passes. Fill with
 * `kiln_batch_options_initialize`; fields are append-only. */
typedef struct kiln_batch_options_t {
  size_t struct_size;     /* sizeof(kiln_batch_options_t) */
  int64_t batch_size;     /* samples per batch (32) */
  int32_t shuffle;        /* shuffle every pass (0) */
  int32_t drop_remainder; /* drop each pass's last, partial batch (0) */
  uint64_t seed;          /* pass p is shuffled from (seed, p) (0) */
  int64_t shuffle_buffer; /* samples; 0: the whole dataset in memory, 10000
                             for TFRecord data (0) */
  int64_t passes;         /* passes over the data; 0: repeat forever (1) */
  int64_t prefetch;       /* batches prepared ahead; 0: 2 (0) */
} kiln_batch_options_t;

typedef struct kiln_batches_t kiln_batches_t;

KILN_API_EXPORT void
kiln_batch_options_initialize(kiln_batch_options_t *options);

/* Starts reading `dataset` (retained until `kiln_batches_release`). */
KILN_API_EXPORT kiln_status_t kiln_batches_open(
    const kiln_dataset_t *dataset, const kiln_batch_options_t *options,
    kiln_batches_t **out_batches);
/* Waits for the next batch: `*out_size` samples (0 after the last pass),
 * `out_tensors[t]` (an array of `num_inputs + num_targets` pointers the
 * caller provides) pointing at tensor t, the model's inputs then its
 * targets, float32 (size, sample shape), valid until the next call. A read
 * error (naming the file and record) ends the stream. */
KILN_API_EXPORT kiln_status_t kiln_batches_next(kiln_batches_t *batches,
                                                int64_t *out_size,
                                                const float **out_tensors);
/* Stops the reader thread and frees the stream. NULL is a no-op. */
KILN_API_EXPORT void kiln_batches_release(kiln_batches_t *batches);

/*===----------------------------------------------------------------------===
 * Training and evaluation (Keras's `fit` and `evaluate`)
 *===----------------------------------------------------------------------===*/

/* Receives the logs at the end of every epoch: `epoch` is 1-based (as Keras
 * prints it), `names[i]`/`values[i]` are "loss", the other logs (with
 * several outputs each output's loss, "<output>_loss"; the metrics), then
 * "val_loss" and the validation logs when there is validation data, then
 * "learning_rate" with `reduce_lr_on_plateau` (as Keras 3 logs it). It
 * must return normally: the runtime has no unwind tables, so a C++
 * exception or a longjmp out of it ends the process or leaks the fit. */
typedef void (*kiln_epoch_end_fn)(void *user_data, int64_t epoch,
                                  int64_t num_logs, const char *const *names,
                                  const double *values);

/* Which way a monitored log improves (Keras's `mode`). Explicit values;
 * append-only. */
typedef enum kiln_monitor_mode_t {
  /* "loss"/"val_loss", each output's loss and error metrics (mse, mae,
   * crossentropies, hinge, ...) decrease, accuracies and the cosine
   * similarity increase; any other log is an error in auto mode (Keras 3's
   * MonitorCallback). */
  KILN_MONITOR_AUTO = 0,
  KILN_MONITOR_MIN = 1,
  KILN_MONITOR_MAX = 2,
} kiln_monitor_mode_t;

/* Keras's `keras.callbacks.EarlyStopping`; fill with
 * `kiln_early_stopping_options_initialize`. Fields are append-only. Each
 * epoch (0-based e) with the monitored log present and e >= start_from_epoch
 * counts `wait += 1`; an improvement (value - min_delta better than the best
 * so far, the first value always) makes it the best and resets `wait` to 0
 * when it also beats `baseline` (if any); otherwise training stops once
 * wait >= patience and e > 0. A missing log warns once and never stops. */
typedef struct kiln_early_stopping_options_t {
  size_t struct_size;           /* sizeof(kiln_early_stopping_options_t) */
  const char *monitor;          /* the log to watch ("val_loss") */
  double min_delta;             /* its absolute value is used (0) */
  int64_t patience;             /* epochs without improvement (0) */
  int32_t mode;                 /* kiln_monitor_mode_t (AUTO) */
  int32_t restore_best_weights; /* at the end of training, restore the
                                   parameters of the best epoch (0) */
  double baseline;              /* with has_baseline (0) */
  int32_t has_baseline;         /* 0: Keras's baseline=None (0) */
  int32_t verbose;              /* 1: print Keras's messages (0) */
  int64_t start_from_epoch;     /* epochs before monitoring starts (0) */
} kiln_early_stopping_options_t;

KILN_API_EXPORT void
kiln_early_stopping_options_initialize(kiln_early_stopping_options_t *options);

/* Keras's `keras.callbacks.ReduceLROnPlateau`; fill with
 * `kiln_reduce_lr_on_plateau_options_initialize`. Fields are append-only.
 * Every epoch adds the log "learning_rate" (the rate the epoch used). With
 * the monitored log present: in cooldown, `cooldown_counter -= 1` and
 * `wait = 0`; an improvement (better than best -/+ min_delta; the first
 * value always) resets `wait`; otherwise, out of cooldown, `wait += 1` and
 * at wait >= patience a rate above min_lr becomes max(rate * factor,
 * min_lr) for the next epoch, cooldown starts and `wait = 0`. */
typedef struct kiln_reduce_lr_on_plateau_options_t {
  size_t struct_size;  /* sizeof(kiln_reduce_lr_on_plateau_options_t) */
  const char *monitor; /* "val_loss" */
  double factor;       /* new rate = rate * factor, < 1 (0.1) */
  int64_t patience;    /* (10) */
  double min_delta;    /* (1e-4) */
  int64_t cooldown;    /* epochs to wait after a reduction (0) */
  double min_lr;       /* lower bound of the rate (0) */
  int32_t mode;        /* kiln_monitor_mode_t (AUTO) */
  int32_t verbose;     /* 1: print Keras's message on reductions (0) */
} kiln_reduce_lr_on_plateau_options_t;

KILN_API_EXPORT void kiln_reduce_lr_on_plateau_options_initialize(
    kiln_reduce_lr_on_plateau_options_t *options);

/* Options of `kiln_model_fit`; fill with `kiln_fit_options_initialize`, then
 * set what differs. Fields are append-only. */
typedef struct kiln_fit_options_t {
  size_t struct_size; /* sizeof(kiln_fit_options_t) */
  int64_t epochs;     /* the final epoch index (1) */
  int64_t batch_size; /* samples per step (32); last batch may be partial */
  int32_t shuffle;    /* reshuffle the samples every epoch (1) */
  int32_t verbose;    /* 0 silent, 1 progress bar, 2 one line/epoch (1) */
  int64_t seed;       /* shuffle seed; -1: random, or a resumed file's */
  /* batches per epoch (at most; see `repeat`); 0: one pass over the data
   * per epoch */
  int64_t steps_per_epoch;
  /* epochs run as initial_epoch+1..epochs; -1: 0, or when resuming the
   * checkpoint's epoch (an explicit 0 restarts the epoch count) (-1) */
  int64_t initial_epoch;
  double learning_rate; /* < 0: the compiled hyperparameter (-1) */
  const kiln_dataset_t *validation_data; /* evaluated after each epoch */
  /* history.history JSON, after each epoch (after the checkpoint) */
  const char *history_path;
  const char *save_weights_path; /* weights file written at the end */
  const char *checkpoint_path;   /* weights file written after each epoch */
  /* weights file loaded before training; a checkpoint written with
   * EarlyStopping, ReduceLROnPlateau or checkpoint_best_only also restores
   * their state (best values, wait and cooldown counters, best weights,
   * the reduced learning rate unless `learning_rate` is given) */
  const char *resume_path;
  kiln_epoch_end_fn on_epoch_end; /* optional */
  void *user_data;                /* passed to `on_epoch_end` */
  /* TensorBoard logs, like Keras's TensorBoard callback: event files in
   * `logdir`/train and `logdir`/validation (validation data only). Every
   * epoch writes scalars "epoch_loss", "epoch_<metric>" and (train only)
   * "epoch_learning_rate" at step = the 0-based epoch index. NULL: none. */
  const char *logdir;
  /* > 0: also "batch_loss"/"batch_<metric>" (the epoch's running means)
   * after every `log_every`-th step, at step = the 1-based iteration count
   * (0). */
  int64_t log_every;
  /* > 0: a histogram of every parameter (tag: its name) in the train log
   * after epochs 0, N, 2N, ... (0-based, as Keras), at step = the epoch
   * (0). */
  int64_t histogram_freq;
  /* Samples in the shuffle buffer, as tf.data's `dataset.shuffle(N)`: fill
   * it, then emit a uniformly random sample and replace it with the next.
   * 0: the whole dataset for in-memory data (a full shuffle), 10000 for a
   * streaming TFRecord dataset. A buffer of at least the dataset size is a
   * full shuffle (0). */
  int64_t shuffle_buffer;
  /* Batches the input pipeline's reader thread prepares ahead; 0: 2. */
  int64_t prefetch;
  /* Nonzero: drop each pass's last, partial batch (tf.data's
   * `batch(drop_remainder=True)`), so every step sees `batch_size` samples
   * (0). */
  int32_t drop_remainder;
  int32_t reserved;
  /* Keras's EarlyStopping; NULL: none. Copied during the call. */
  const kiln_early_stopping_options_t *early_stopping;
  /* Keras's ReduceLROnPlateau; NULL: none. The rate it sets is what the
   * train step, "epoch_learning_rate" and the "learning_rate" log get. */
  const kiln_reduce_lr_on_plateau_options_t *reduce_lr_on_plateau;
  /* Keras's ModelCheckpoint(save_best_only=True) for `checkpoint_path`:
   * write only when `checkpoint_monitor` (NULL: "val_loss") improves on
   * the best so far in `checkpoint_mode` (kiln_monitor_mode_t); when the
   * log is missing, warn once and write every epoch, as Keras does (0). */
  int32_t checkpoint_best_only;
  int32_t checkpoint_mode;
  const char *checkpoint_monitor;
  /* Keras's CSVLogger: after every epoch a row "epoch,<sorted log
   * names>" (epoch 0-based; without validation data Keras also adds
   * val_<name> columns holding NA), "\r\n" line ends. NULL: none. */
  const char *csv_log_path;
  /* Nonzero: append to an existing file, without a second header (Keras's
   * append=True; `train --resume` sets it) (0). */
  int32_t csv_append;
  /* Nonzero: Keras's TerminateOnNaN: stop after a step whose running loss
   * is NaN or infinite, printing "Batch <step>: Invalid loss, terminating
   * training" (0). */
  int32_t terminate_on_nan;
  /* With `steps_per_epoch`: 0 as Keras's fit over arrays or a finite
   * dataset: an epoch ends early when its pass over the data runs out
   * (warned once), and the next epoch starts the next pass. Nonzero: the
   * data repeats without end (tf.data's `dataset.repeat()`), so every
   * epoch runs `steps_per_epoch` batches, across passes (0). */
  int32_t repeat;
} kiln_fit_options_t;

/* Fills `options` with the defaults above and sets `struct_size`. */
KILN_API_EXPORT void kiln_fit_options_initialize(kiln_fit_options_t *options);

/* Keras's `model.fit(x, y, ...)` on `data` with the model's `train_step`;
 * the model's parameters, slots, iteration count and epoch are updated in
 * place. When `out_history_json` is not NULL it receives the Keras
 * `history.history` dict as JSON (free with `kiln_free`), the file
 * `history_path` holds: NaN and infinite values are null (JSON has no NaN),
 * and a resumed fit with `history_path` starts from the epochs before its
 * first one (the checkpoint's "history" record, else the existing file). */
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
 * per entry of the training descriptor's `metrics` (with several outputs,
 * each output's loss and the metrics given for it). */
KILN_API_EXPORT int64_t kiln_model_num_logs(const kiln_model_t *model);

/* The name of log `index`: "loss", then the descriptor's names ("accuracy";
 * with several outputs "<output>_loss", "<output>_accuracy"). Borrowed; NULL
 * when out of range. */
KILN_API_EXPORT const char *kiln_model_log_name(const kiln_model_t *model,
                                                int64_t index);

/* Keras's `model.evaluate(x, y)`: runs `eval_step` over `data` and writes
 * `kiln_model_num_logs(model)` values (loss, then metrics) to `out_values`. */
KILN_API_EXPORT kiln_status_t
kiln_model_evaluate(kiln_model_t *model, const kiln_dataset_t *data,
                    const kiln_evaluate_options_t *options, double *out_values);

/*===----------------------------------------------------------------------===
 * TFRecord files
 *===----------------------------------------------------------------------===*/

/* TFRecord compression (TensorFlow's `compression_type`). Explicit values;
 * append-only. */
typedef enum kiln_tfrecord_compression_t {
  KILN_TFRECORD_NONE = 0,
  KILN_TFRECORD_ZLIB = 1, /* one zlib stream (RFC 1950) */
  KILN_TFRECORD_GZIP = 2, /* gzip (RFC 1952), members may be concatenated */
  /* Reader: NONE when the file starts with a valid record header, else GZIP
   * or ZLIB by their magic bytes. Writer: GZIP when the path ends in ".gz",
   * else NONE. */
  KILN_TFRECORD_AUTO = 3,
} kiln_tfrecord_compression_t;

/* Options of TFRecord readers and writers; fill with
 * `kiln_tfrecord_options_initialize`. Fields are append-only. */
typedef struct kiln_tfrecord_options_t {
  size_t struct_size;        /* sizeof(kiln_tfrecord_options_t) */
  int32_t compression;       /* kiln_tfrecord_compression_t (AUTO) */
  int32_t skip_corrupt;      /* reader: skip and count corrupt records (0) */
  int32_t compression_level; /* writer: zlib level 0-9, -1 default (-1) */
  int32_t reserved;
} kiln_tfrecord_options_t;

/* Fills `options` with the defaults above and sets `struct_size`. */
KILN_API_EXPORT void
kiln_tfrecord_options_initialize(kiln_tfrecord_options_t *options);

/* `kiln_dataset_open_tfrecord` with reader `options` (NULL: defaults;
 * compression AUTO). With `skip_corrupt`, records with a corrupt CRC and
 * records that do not decode into a sample (not an Example, a missing
 * feature without a default, a wrong count or kind, a label out of range)
 * are skipped and counted, as tf.data's `ignore_errors()` does; a corrupt
 * length or truncation ends the file there. Every pass skips the same
 * records while the file is unchanged. */
KILN_API_EXPORT kiln_status_t kiln_dataset_open_tfrecord_with_options(
    const kiln_model_desc_t *desc, const char *path,
    const char *const *features, int64_t num_features,
    const char *const *labels, int64_t num_labels,
    const kiln_tfrecord_options_t *options, kiln_dataset_t **out_dataset);

/* Reads the records of a TFRecord file in order: u64 LE length, masked
 * CRC-32C of the length, data, masked CRC-32C of the data. Reference counted.
 * Thread-compatible. */
typedef struct kiln_tfrecord_reader_t kiln_tfrecord_reader_t;

/* Opens `path` (`options` may be NULL for the defaults). Missing file:
 * NOT_FOUND. */
KILN_API_EXPORT kiln_status_t kiln_tfrecord_reader_open(
    const char *path, const kiln_tfrecord_options_t *options,
    kiln_tfrecord_reader_t **out_reader);
KILN_API_EXPORT void
kiln_tfrecord_reader_retain(kiln_tfrecord_reader_t *reader);
/* Drops one reference; closes the file with the last one. NULL is a no-op. */
KILN_API_EXPORT void
kiln_tfrecord_reader_release(kiln_tfrecord_reader_t *reader);

/* Reads the next record into `*out_data`/`*out_size` (borrowed until the next
 * call or the release). At the end of the file returns OUT_OF_RANGE. A CRC
 * mismatch or truncation is DATA_LOSS naming the file, the record index and
 * its byte offset (in the uncompressed stream); later calls fail too. With
 * `skip_corrupt`, a record whose data is corrupt is skipped and counted, and
 * a corrupt length, truncation or broken compressed stream is counted and
 * ends the file. */
KILN_API_EXPORT kiln_status_t kiln_tfrecord_reader_next(
    kiln_tfrecord_reader_t *reader, const uint8_t **out_data, size_t *out_size);

/* The number of records returned and skipped so far. */
KILN_API_EXPORT int64_t
kiln_tfrecord_reader_num_records(const kiln_tfrecord_reader_t *reader);
KILN_API_EXPORT int64_t
kiln_tfrecord_reader_num_skipped(const kiln_tfrecord_reader_t *reader);
/* What `skip_corrupt` passed over so far, as one line ("" when nothing): the
 * records skipped and their bytes, and, after a corrupt length or a
 * truncation, the offset and size of the rest of the file that was dropped
 * (its records cannot be counted). Valid until the next call or the
 * release. */
KILN_API_EXPORT const char *
kiln_tfrecord_reader_skip_report(const kiln_tfrecord_reader_t *reader);

/* Writes a TFRecord file atomically: records go to a temporary file beside
 * `path`, which `kiln_tfrecord_writer_close` syncs and renames over `path`
 * (written as `kiln_npy_write` writes). Releasing the
 * last reference without a successful close removes the temporary file.
 * Reference counted. Thread-compatible. */
typedef struct kiln_tfrecord_writer_t kiln_tfrecord_writer_t;

KILN_API_EXPORT kiln_status_t kiln_tfrecord_writer_open(
    const char *path, const kiln_tfrecord_options_t *options,
    kiln_tfrecord_writer_t **out_writer);
KILN_API_EXPORT void
kiln_tfrecord_writer_retain(kiln_tfrecord_writer_t *writer);
KILN_API_EXPORT void
kiln_tfrecord_writer_release(kiln_tfrecord_writer_t *writer);

/* Appends one record of `size` bytes. */
KILN_API_EXPORT kiln_status_t kiln_tfrecord_writer_write(
    kiln_tfrecord_writer_t *writer, const void *data, size_t size);

/* Finishes the file (flushes compression, fsync, rename). After a close,
 * successful or not, the writer accepts no more records. */
KILN_API_EXPORT kiln_status_t
kiln_tfrecord_writer_close(kiln_tfrecord_writer_t *writer);

/*===----------------------------------------------------------------------===
 * tf.train.Example
 *===----------------------------------------------------------------------===*/

/* The value kind of a feature (the field numbers of tf.train.Feature's
 * oneof). Explicit values; append-only. */
typedef enum kiln_feature_kind_t {
  KILN_FEATURE_NONE = 0, /* no value set */
  KILN_FEATURE_BYTES = 1,
  KILN_FEATURE_FLOAT = 2,
  KILN_FEATURE_INT64 = 3,
} kiln_feature_kind_t;

/* A decoded tf.train.Example: features sorted by name, each a kind and a
 * list of values. Reference counted. Thread-compatible. */
typedef struct kiln_example_t kiln_example_t;

/* Creates an empty example. */
KILN_API_EXPORT kiln_status_t kiln_example_create(kiln_example_t **out_example);

/* Decodes the serialized tf.train.Example `data[0, size)` (protobuf wire
 * format; unknown fields are skipped, a repeated key keeps the last value).
 * Malformed input is DATA_LOSS. */
KILN_API_EXPORT kiln_status_t kiln_example_decode(const void *data, size_t size,
                                                  kiln_example_t **out_example);
KILN_API_EXPORT void kiln_example_retain(kiln_example_t *example);
KILN_API_EXPORT void kiln_example_release(kiln_example_t *example);

/* Serializes `example` (features in name order). `packed` != 0 writes float
 * and int64 lists packed (as TensorFlow does), else one field per value.
 * Free `*out_data` with `kiln_free`. */
KILN_API_EXPORT kiln_status_t kiln_example_encode(const kiln_example_t *example,
                                                  int32_t packed,
                                                  uint8_t **out_data,
                                                  size_t *out_size);

/* Sets feature `name` (replacing any feature of that name) to `count` values
 * (copied). Pointers borrowed from `example` before the call are invalid
 * after it. */
KILN_API_EXPORT kiln_status_t kiln_example_set_int64(kiln_example_t *example,
                                                     const char *name,
                                                     const int64_t *values,
                                                     size_t count);
KILN_API_EXPORT kiln_status_t kiln_example_set_float(kiln_example_t *example,
                                                     const char *name,
                                                     const float *values,
                                                     size_t count);
/* `values[i]` holds `sizes[i]` bytes. */
KILN_API_EXPORT kiln_status_t kiln_example_set_bytes(
    kiln_example_t *example, const char *name, const uint8_t *const *values,
    const size_t *sizes, size_t count);

/* Accessors; `example` must not be NULL and `index` is in
 * [0, kiln_example_num_features). Returned pointers are borrowed. */
KILN_API_EXPORT int64_t
kiln_example_num_features(const kiln_example_t *example);
/* The index of feature `name`, or -1. */
KILN_API_EXPORT int64_t kiln_example_find_feature(const kiln_example_t *example,
                                                  const char *name);
/* The name (NUL-terminated; `*out_size`, when not NULL, gets its byte length,
 * since protobuf keys may contain NUL). NULL when out of range. */
KILN_API_EXPORT const char *
kiln_example_feature_name(const kiln_example_t *example, int64_t index,
                          size_t *out_size);
/* A kiln_feature_kind_t; KILN_FEATURE_NONE when out of range. */
KILN_API_EXPORT int32_t kiln_example_feature_kind(const kiln_example_t *example,
                                                  int64_t index);
/* The number of values; 0 when out of range. */
KILN_API_EXPORT int64_t kiln_example_feature_size(const kiln_example_t *example,
                                                  int64_t index);
/* The values of an INT64/FLOAT feature; NULL for other kinds or no values. */
KILN_API_EXPORT const int64_t *
kiln_example_feature_int64s(const kiln_example_t *example, int64_t index);
KILN_API_EXPORT const float *
kiln_example_feature_floats(const kiln_example_t *example, int64_t index);
/* Value `value` of a BYTES feature and its size; NULL when out of range. */
KILN_API_EXPORT const uint8_t *
kiln_example_feature_bytes(const kiln_example_t *example, int64_t index,
                           int64_t value, size_t *out_size);

/* Renders `example` as one JSON line (no newline), features in name order:
 * {"a": {"int64": [1, 2]}, "b": {"float": [0.5]}, "c": {"bytes": ["YWI="]}}
 * Floats use %.9g (NaN, Infinity, -Infinity as Python's json writes them),
 * bytes are standard base64 with padding, a feature without a value is {}.
 * Free `*out_json` with `kiln_free`. */
KILN_API_EXPORT kiln_status_t
kiln_example_to_json(const kiln_example_t *example, char **out_json);

/*===----------------------------------------------------------------------===
 * Command line
 *===----------------------------------------------------------------------===*/

/* The generic command line of a compiled model (`summary`, `info`,
 * `predict`, `train`, `evaluate`; see `--help`). Prints to stdout/stderr and
 * returns the process exit code: 0 on success, 1 on a runtime error, 2 on a
 * usage error. */
KILN_API_EXPORT int kiln_cli_main(const kiln_model_desc_t *desc, int argc,
                                  char **argv);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* KILN_RUNTIME_H */
