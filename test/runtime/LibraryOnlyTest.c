/*===- LibraryOnlyTest.c - A predicting application: base + model -*- C -*-===//
 * SPDX-License-Identifier: Apache-2.0
 *
 * What an application embedding a compiled model links: this program is
 * linked with kiln_runtime_model and kiln_runtime_base only (no zlib, no
 * data, training or command-line archives; check_layers.py then checks its
 * symbols). It creates a session over a fake descriptor (y = x + bias),
 * predicts, saves and reloads the weights and formats the summary.
 * Usage: kiln-library-only-test WEIGHTS_PATH; exit status 0 on success.
 *===----------------------------------------------------------------------===*/
#include "kiln/model.h"
#include "kiln/runtime.h"

#include <stdio.h>

static const int64_t ioDims[2] = {-1, 2};
static const int64_t biasDims[1] = {2};
static const kiln_tensor_desc_t inputs[1] = {
    {"x", KILN_DTYPE_F32, 2, ioDims, 0}};
static const kiln_tensor_desc_t outputs[1] = {
    {"y", KILN_DTYPE_F32, 2, ioDims, 0}};
static const kiln_tensor_desc_t params[1] = {
    {"bias", KILN_DTYPE_F32, 1, biasDims, 0}};
static const float weights[2] = {10.0f, 20.0f};

/* buffers: bias, x, y. */
static int32_t predict(int64_t batch, void *const *buffers, void *workspace) {
  const float *bias = (const float *)buffers[0];
  const float *x = (const float *)buffers[1];
  float *y = (float *)buffers[2];
  int64_t i;
  for (i = 0; i < batch * 2; ++i)
    y[i] = x[i] + bias[i % 2];
  (void)workspace;
  return 0;
}

static kiln_model_desc_t descriptor(void) {
  kiln_model_desc_t desc = {0};
  desc.abi_version = KILN_MODEL_ABI_VERSION;
  desc.name = "library_only";
  desc.kind = "Sequential";
  desc.num_inputs = 1;
  desc.inputs = inputs;
  desc.num_outputs = 1;
  desc.outputs = outputs;
  desc.num_params = 1;
  desc.params = params;
  desc.weights_size = sizeof(weights);
  desc.weights = (const uint8_t *)weights;
  desc.predict = predict;
  return desc;
}

static int failed(const char *what, kiln_status_t status) {
  fprintf(stderr, "%s: %s\n", what,
          status ? kiln_status_message(status) : "wrong result");
  kiln_status_free(status);
  return 1;
}

int main(int argc, char **argv) {
  kiln_model_desc_t desc = descriptor();
  kiln_model_t *model = NULL, *other = NULL;
  kiln_status_t status;
  float x[4] = {1, 2, 3, 4}, y[4] = {0};
  const float *in[1] = {x};
  float *out[1] = {y};
  char *summary = NULL;
  if (argc != 2)
    return 2;
  if ((status = kiln_model_create(&desc, &model)))
    return failed("kiln_model_create", status);
  if ((status = kiln_model_predict(model, 2, in, out)))
    return failed("kiln_model_predict", status);
  if (y[0] != 11 || y[1] != 22 || y[2] != 13 || y[3] != 24)
    return failed("kiln_model_predict", NULL);
  kiln_model_param_data(model, 0)[1] = 30.0f;
  if ((status = kiln_model_save_weights(model, argv[1])))
    return failed("kiln_model_save_weights", status);
  if ((status = kiln_model_create(&desc, &other)) ||
      (status = kiln_model_load_weights(other, argv[1])))
    return failed("kiln_model_load_weights", status);
  if ((status = kiln_model_predict(other, 2, in, out)))
    return failed("kiln_model_predict", status);
  if (y[0] != 11 || y[1] != 32 || y[2] != 13 || y[3] != 34)
    return failed("weights round trip", NULL);
  if ((status = kiln_model_format_summary(&desc, &summary)))
    return failed("kiln_model_format_summary", status);
  kiln_free(summary);
  kiln_model_release(other);
  kiln_model_release(model);
  puts("ok");
  return 0;
}
