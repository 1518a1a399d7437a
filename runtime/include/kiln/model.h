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

#define KILN_MODEL_ABI_VERSION 1

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
} kiln_model_desc_t;

/* The symbol every compiled model object defines. */
extern const kiln_model_desc_t kiln_model_descriptor;

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* KILN_MODEL_H */
