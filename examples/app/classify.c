/* classify.c - classify Fashion-MNIST images with a kiln-compiled model,
 * linked as a library (kiln compile ... --emit lib -o DIR/fashion).
 *
 *   classify IMAGES-idx3-ubyte [COUNT [WEIGHTS]]
 *
 * Reads the first COUNT images (5) of an uncompressed IDX file, scales them
 * to [0, 1] as the tutorial does (x / 255.0), predicts them in one batch with
 * the compiled weights or those of a kiln weights file (./fashion train
 * --save-weights WEIGHTS) and prints each image's class and its ten
 * probabilities. */
#include "fashion.h"

#include <stdio.h>
#include <stdlib.h>

static const char *const kClasses[10] = {
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};

/* Reads a big-endian 32-bit integer. */
static int read_u32(FILE *file, uint32_t *value) {
  unsigned char b[4];
  if (fread(b, 1, 4, file) != 4)
    return 0;
  *value = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 |
           (uint32_t)b[3];
  return 1;
}

int main(int argc, char **argv) {
  if (argc < 2 || argc > 4) {
    fprintf(stderr, "usage: %s IMAGES-idx3-ubyte [COUNT [WEIGHTS]]\n", argv[0]);
    return 2;
  }
  long count = argc >= 3 ? strtol(argv[2], NULL, 10) : 5;
  FILE *file = fopen(argv[1], "rb");
  if (!file) {
    perror(argv[1]);
    return 1;
  }
  uint32_t magic, n, rows, cols;
  if (!read_u32(file, &magic) || magic != 0x803 || !read_u32(file, &n) ||
      !read_u32(file, &rows) || !read_u32(file, &cols) ||
      rows * cols != FASHION_INPUT_LAYER_ELEMENTS || count < 1 ||
      (uint32_t)count > n) {
    fprintf(stderr, "%s: not an IDX file of at least %ld 28x28 images\n",
            argv[1], count);
    fclose(file);
    return 1;
  }
  size_t pixels = (size_t)count * FASHION_INPUT_LAYER_ELEMENTS;
  unsigned char *bytes = malloc(pixels);
  float *images = malloc(pixels * sizeof(float));
  float *probs =
      malloc((size_t)count * FASHION_DENSE_1_ELEMENTS * sizeof(float));
  if (!bytes || !images || !probs || fread(bytes, 1, pixels, file) != pixels) {
    fprintf(stderr, "%s: truncated or out of memory\n", argv[1]);
    return 1;
  }
  fclose(file);
  for (size_t i = 0; i < pixels; ++i)
    images[i] = (float)bytes[i] / 255.0f;

  fashion_t *model = NULL;
  if (fashion_create(&model) != 0 ||
      (argc == 4 && fashion_load_weights(model, argv[3]) != 0) ||
      fashion_predict(model, count, images, probs) != 0) {
    fprintf(stderr, "fashion: %s\n", fashion_error(model));
    fashion_destroy(model);
    return 1;
  }
  for (long i = 0; i < count; ++i) {
    const float *p = probs + i * FASHION_DENSE_1_ELEMENTS;
    int best = 0;
    for (int k = 1; k < FASHION_DENSE_1_ELEMENTS; ++k)
      if (p[k] > p[best])
        best = k;
    printf("image %ld: %s (class %d, p=%.3f)\n", i, kClasses[best], best,
           p[best]);
    printf("probs %ld:", i);
    for (int k = 0; k < FASHION_DENSE_1_ELEMENTS; ++k)
      printf(" %.9g", p[k]);
    printf("\n");
  }
  fashion_destroy(model);
  free(bytes);
  free(images);
  free(probs);
  return 0;
}
