/*===- gpu_fit_app.c - A library's fit on the GPU, then its weights -*- C -*-===//
 * SPDX-License-Identifier: Apache-2.0
 *
 * Linked with `kiln compile fashion_mnist_mlp.json --target cuda --emit
 * shared -o DIR/mlp`: on the GPU, a fit of no epochs (which fixes the
 * shuffle seed), saves the weights to argv[1], fits one epoch of 30
 * samples in batches of 10, then saves the weights to argv[2] whether or
 * not that fit failed. Exits 2 when the fit failed, printing its error.
 *===----------------------------------------------------------------------===*/
#include "mlp.h"

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  enum { kSamples = 30, kPixels = 28 * 28 };
  if (argc != 3)
    return 1;
  float *x = malloc(sizeof(float) * kSamples * kPixels);
  float y[kSamples];
  if (!x)
    return 1;
  for (int n = 0; n < kSamples; ++n) {
    y[n] = (float)(n % 10);
    for (int i = 0; i < kPixels; ++i)
      x[n * kPixels + i] = (float)((n * 7 + i) % 13) / 13.0f;
  }
  mlp_t *m = NULL;
  if (mlp_create(&m) || mlp_set_device(m, "gpu") ||
      mlp_fit(m, kSamples, x, y, 0, 10, 1, NULL) ||
      mlp_save_weights(m, argv[1])) {
    fprintf(stderr, "setup: %s\n", m ? mlp_error(m) : "out of memory");
    return 1;
  }
  int32_t fit = mlp_fit(m, kSamples, x, y, 1, 10, 1, NULL);
  if (fit)
    printf("fit failed (%d): %s\n", fit, mlp_error(m));
  if (mlp_save_weights(m, argv[2])) {
    fprintf(stderr, "save: %s\n", mlp_error(m));
    return 1;
  }
  mlp_destroy(m);
  free(x);
  return fit ? 2 : 0;
}
