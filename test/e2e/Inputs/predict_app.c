/*===- predict_app.c - An application linking a compiled model -*- C -*-===//
 * SPDX-License-Identifier: Apache-2.0
 *
 * Linked with a model object from `kiln compile --emit obj` and only the
 * runtime's base and model archives: creates a session over the object's
 * descriptor, predicts a batch of 3 images x[n][i] = ((n * 7 + i) % 13) / 13,
 * and writes the raw float32 outputs to argv[1].
 *===----------------------------------------------------------------------===*/
#include "kiln/model.h"
#include "kiln/runtime.h"

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  enum { kBatch = 3 };
  const kiln_model_desc_t *desc = &kiln_model_descriptor;
  kiln_model_t *model = NULL;
  kiln_status_t status = kiln_model_create(desc, &model);
  if (status) {
    fprintf(stderr, "create: %s\n", kiln_status_message(status));
    return 1;
  }
  int64_t in = 1, out = 1;
  for (int32_t d = 1; d < desc->inputs[0].rank; ++d)
    in *= desc->inputs[0].dims[d];
  for (int32_t d = 1; d < desc->outputs[0].rank; ++d)
    out *= desc->outputs[0].dims[d];
  float *x = malloc(sizeof(float) * kBatch * in);
  float *y = malloc(sizeof(float) * kBatch * out);
  for (int64_t n = 0; n < kBatch; ++n)
    for (int64_t i = 0; i < in; ++i)
      x[n * in + i] = (float)((n * 7 + i) % 13) / 13.0f;
  const float *inputs[1] = {x};
  float *outputs[1] = {y};
  status = kiln_model_predict(model, kBatch, inputs, outputs);
  if (status) {
    fprintf(stderr, "predict: %s\n", kiln_status_message(status));
    return 1;
  }
  FILE *f = argc > 1 ? fopen(argv[1], "wb") : NULL;
  if (!f || fwrite(y, sizeof(float), kBatch * out, f) != (size_t)(kBatch * out))
    return 1;
  fclose(f);
  printf("predicted %d samples of %lld outputs\n", kBatch, (long long)out);
  kiln_model_release(model);
  free(x);
  free(y);
  return 0;
}
