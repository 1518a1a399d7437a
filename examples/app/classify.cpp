// classify.cpp - the C++ version of classify.c, through the RAII wrapper
// that fashion.h declares under __cplusplus (kiln compile ... --emit lib -o
// DIR/fashion).
//
//   classify_cpp IMAGES-idx3-ubyte [COUNT [WEIGHTS]]
#include "fashion.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <vector>

namespace {

const std::array<const char *, 10> kClasses = {
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};

bool readU32(std::istream &in, uint32_t &value) {
  unsigned char b[4];
  if (!in.read(reinterpret_cast<char *>(b), 4))
    return false;
  value = uint32_t(b[0]) << 24 | uint32_t(b[1]) << 16 | uint32_t(b[2]) << 8 |
          uint32_t(b[3]);
  return true;
}

} // namespace

int main(int argc, char **argv) {
  if (argc < 2 || argc > 4) {
    std::cerr << "usage: " << argv[0]
              << " IMAGES-idx3-ubyte [COUNT [WEIGHTS]]\n";
    return 2;
  }
  long count = argc >= 3 ? std::strtol(argv[2], nullptr, 10) : 5;
  std::ifstream in(argv[1], std::ios::binary);
  uint32_t magic = 0, n = 0, rows = 0, cols = 0;
  if (!readU32(in, magic) || magic != 0x803 || !readU32(in, n) ||
      !readU32(in, rows) || !readU32(in, cols) ||
      rows * cols != FASHION_INPUT_LAYER_ELEMENTS || count < 1 ||
      uint32_t(count) > n) {
    std::cerr << argv[1] << ": not an IDX file of at least " << count
              << " 28x28 images\n";
    return 1;
  }
  std::vector<unsigned char> bytes(size_t(count) *
                                   FASHION_INPUT_LAYER_ELEMENTS);
  if (!in.read(reinterpret_cast<char *>(bytes.data()), long(bytes.size()))) {
    std::cerr << argv[1] << ": truncated\n";
    return 1;
  }
  std::vector<float> images(bytes.begin(), bytes.end());
  for (float &x : images)
    x /= 255.0f;
  std::vector<float> probs(size_t(count) * FASHION_DENSE_1_ELEMENTS);

  fashion::Model model;
  if (!model || (argc == 4 && model.load_weights(argv[3]) != 0) ||
      model.predict(count, images.data(), probs.data()) != 0) {
    std::cerr << "fashion: " << model.error() << "\n";
    return 1;
  }
  for (long i = 0; i < count; ++i) {
    const float *p = probs.data() + i * FASHION_DENSE_1_ELEMENTS;
    int best = int(std::max_element(p, p + FASHION_DENSE_1_ELEMENTS) - p);
    std::printf("image %ld: %s (class %d, p=%.3f)\n", i, kClasses[best], best,
                double(p[best]));
    std::printf("probs %ld:", i);
    for (int k = 0; k < FASHION_DENSE_1_ELEMENTS; ++k)
      std::printf(" %.9g", double(p[k]));
    std::printf("\n");
  }
  return 0;
}
