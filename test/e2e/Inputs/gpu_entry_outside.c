/*===- gpu_entry_outside.c - A GPU entry called past the runtime -*- C -*-===//
 * SPDX-License-Identifier: Apache-2.0
 *
 * Linked with `kiln compile fashion_mnist_mlp.json --target cuda --emit
 * shared -o DIR/mlp`: calls the descriptor's GPU predict directly, with no
 * executor around it (no kiln_model_set_device, no kiln_model_predict).
 * Its kernels have no device or stream to launch on; the call must not
 * return as if it had run. Prints "returned" if it does.
 *===----------------------------------------------------------------------===*/
#include "kiln/model.h"

#include <stdio.h>

extern const kiln_model_desc_t mlp_model_descriptor;

int main(void) {
  static char buffers[16][4096];
  void *pointers[16];
  for (int i = 0; i < 16; ++i)
    pointers[i] = buffers[i];
  const kiln_gpu_desc_t *gpu = mlp_model_descriptor.cuda;
  if (!gpu || mlp_model_descriptor.num_params + 2 > 16)
    return 1;
  int32_t code = gpu->predict(1, pointers, buffers[15]);
  printf("returned %d\n", code);
  return 0;
}
