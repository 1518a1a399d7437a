// RUN: kiln-opt %s --kiln-cpu-vectorize-matmul="pack-k=0" -verify-diagnostics
// RUN: kiln-opt %s --kiln-cpu-vectorize-matmul="pack-threshold=-1" -verify-diagnostics

// Block sizes must be positive and thresholds not negative: an error, not a
// division by zero or a silent default.
// expected-error@+1 {{kiln-cpu-vectorize-matmul: vector-width, rows, vectors, pack-k, pack-n and pack-m must be positive, the thresholds not negative}}
func.func @f(%a: memref<?x8xf32>, %b: memref<8x16xf32>, %c: memref<?x16xf32>) {
  linalg.matmul ins(%a, %b : memref<?x8xf32>, memref<8x16xf32>) outs(%c : memref<?x16xf32>)
  return
}
