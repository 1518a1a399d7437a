/* two_models.c - one program linking two kiln libraries (`kiln compile
 * --emit lib` of the MLP as `fashion` and the CNN as `cnn`): their symbols
 * do not clash, and each predicts as its own ./model does. Prints each
 * model's first probabilities on an image of 0.5s, %.9g. */
#include "cnn.h"
#include "fashion.h"

#include <stdio.h>

int main(void) {
  static float image[FASHION_INPUT_LAYER_ELEMENTS];
  float mlp[FASHION_DENSE_1_ELEMENTS], conv[10];
  for (int i = 0; i < FASHION_INPUT_LAYER_ELEMENTS; ++i)
    image[i] = 0.5f;
  fashion_t *a = NULL;
  cnn_t *b = NULL;
  if (fashion_create(&a) || fashion_predict(a, 1, image, mlp)) {
    fprintf(stderr, "fashion: %s\n", fashion_error(a));
    return 1;
  }
  if (cnn_create(&b) || cnn_predict(b, 1, image, conv)) {
    fprintf(stderr, "cnn: %s\n", cnn_error(b));
    return 1;
  }
  printf("mlp: %.9g %.9g\ncnn: %.9g %.9g\n", mlp[0], mlp[1], conv[0], conv[1]);
  fashion_destroy(a);
  cnn_destroy(b);
  return 0;
}
