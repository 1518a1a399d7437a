// RUN: kiln-opt %s --split-input-file --kiln-cpu-vectorize-matmul="vector-width=16 rows=4 vectors=4" | FileCheck %s

// Buffer matmuls become register-blocked vector FMA loops.

// N = 128 is two full 64-column tiles: no masks; 4-row blocks, then 1-row tail.
// CHECK-LABEL: func.func @full_tiles
// CHECK-NOT:     linalg.matmul
// CHECK:         %[[M:.+]] = memref.dim %{{.+}}, %{{.+}} : memref<?x784xf32>
// CHECK:         scf.for %{{.+}} = %{{.+}} to %{{.+}} step %c4
// CHECK:           scf.for %{{.+}} = %{{.+}} to %{{.+}} step %c64
// CHECK-COUNT-16:    vector.load %{{.+}} : memref<?x128xf32>, vector<16xf32>
// CHECK:             scf.for %{{.+}} = %{{.+}} to %[[K:.+]] step %c1 iter_args(
// CHECK-COUNT-4:       vector.load %{{.+}} : memref<784x128xf32>, vector<16xf32>
// CHECK:               memref.load
// CHECK:               vector.broadcast
// CHECK-COUNT-4:       vector.fma
// CHECK:             vector.store
// CHECK:         scf.for %{{.+}} = %{{.+}} to %[[M]] step %c1
// CHECK-NOT:     vector.maskedload
func.func @full_tiles(%a: memref<?x784xf32>, %b: memref<784x128xf32>, %c: memref<?x128xf32>) {
  linalg.matmul ins(%a, %b : memref<?x784xf32>, memref<784x128xf32>) outs(%c : memref<?x128xf32>)
  return
}

// -----

// N = 10: one narrow tile whose only vector is masked to 10 lanes.
// CHECK-LABEL: func.func @masked_tail
// CHECK:         vector.constant_mask [10] : vector<16xi1>
// CHECK:         vector.maskedload %{{.+}} : memref<?x10xf32>, vector<16xi1>, vector<16xf32> into vector<16xf32>
// CHECK:         vector.maskedload %{{.+}} : memref<128x10xf32>
// CHECK:         vector.fma
// CHECK:         vector.maskedstore %{{.+}} : memref<?x10xf32>, vector<16xi1>, vector<16xf32>
func.func @masked_tail(%a: memref<?x128xf32>, %b: memref<128x10xf32>, %c: memref<?x10xf32>) {
  linalg.matmul ins(%a, %b : memref<?x128xf32>, memref<128x10xf32>) outs(%c : memref<?x10xf32>)
  return
}

// -----

// Does not fire on tensors (before bufferization).
// CHECK-LABEL: func.func @no_tensors
// CHECK:         linalg.matmul
func.func @no_tensors(%a: tensor<?x8xf32>, %b: tensor<8x16xf32>, %c: tensor<?x16xf32>) -> tensor<?x16xf32> {
  %0 = linalg.matmul ins(%a, %b : tensor<?x8xf32>, tensor<8x16xf32>) outs(%c : tensor<?x16xf32>) -> tensor<?x16xf32>
  return %0 : tensor<?x16xf32>
}

// -----

// K is the batch in weight gradients (X^T @ G): read at run time, and
// blocked by 256 steps, C updated block by block, so that the slices of A
// and B stay in the cache across row blocks. M = 8 is static: not a
// multiple of the 12 rows of a one-vector tile, it is one block of 8 rows
// (never a row at a time).
// CHECK-LABEL: func.func @dynamic_k
// CHECK:         %[[K:.+]] = memref.dim %{{.+}}, %c0 : memref<?x16xf32>
// CHECK:         scf.for %[[KB:.+]] = %c0 to %[[K]] step %c256 {
// CHECK:           %[[KE:.+]] = arith.minsi %[[K]], %{{.+}} : index
// CHECK:           scf.for %{{.+}} = %{{.+}} step %c12 {
// CHECK:           scf.for %{{.+}} = %{{.+}} step %c8 {
// CHECK-COUNT-8:       vector.load %{{.+}} : memref<8x16xf32>, vector<16xf32>
// CHECK:               scf.for %{{.+}} = %[[KB]] to %[[KE]] step %c1 iter_args(
// CHECK:                 vector.fma
// CHECK-NOT:       step %c1 {
func.func @dynamic_k(%a: memref<8x?xf32>, %b: memref<?x16xf32>, %c: memref<8x16xf32>) {
  linalg.matmul ins(%a, %b : memref<8x?xf32>, memref<?x16xf32>) outs(%c : memref<8x16xf32>)
  return
}

// -----

// Does not fire when N is dynamic.
// CHECK-LABEL: func.func @no_dynamic_n
// CHECK:         linalg.matmul
func.func @no_dynamic_n(%a: memref<4x8xf32>, %b: memref<8x?xf32>, %c: memref<4x?xf32>) {
  linalg.matmul ins(%a, %b : memref<4x8xf32>, memref<8x?xf32>) outs(%c : memref<4x?xf32>)
  return
}

// -----

// Does not fire on buffers whose rows are not contiguous.
// CHECK-LABEL: func.func @no_strided
// CHECK:         linalg.matmul
func.func @no_strided(%a: memref<4x8xf32, strided<[16, 2]>>, %b: memref<8x16xf32>, %c: memref<4x16xf32>) {
  linalg.matmul ins(%a, %b : memref<4x8xf32, strided<[16, 2]>>, memref<8x16xf32>) outs(%c : memref<4x16xf32>)
  return
}

// -----

// A read transposed (weight gradients X^T @ G): the rows of C are the
// columns of A, and each K step broadcasts A[k, m + r]. N = 32 is a tile of
// two vectors, of 4 rows like a full tile.
// CHECK-LABEL: func.func @transposed_lhs
// CHECK-SAME:    (%[[A:.+]]: memref<?x144xf32>, %[[B:.+]]: memref<?x32xf32>, %[[C:.+]]: memref<144x32xf32>)
// CHECK-NOT:     linalg.matmul
// CHECK:         scf.for %{{.+}} = %{{.+}} to %{{.+}} step %c4
// CHECK:           scf.for %[[K:.+]] = %{{.+}} to %{{.+}} step %c1 iter_args(
// CHECK-COUNT-2:     vector.load %[[B]][%[[K]], %{{.+}}] : memref<?x32xf32>, vector<16xf32>
// CHECK:             memref.load %[[A]][%[[K]], %{{.+}}] : memref<?x144xf32>
func.func @transposed_lhs(%a: memref<?x144xf32>, %b: memref<?x32xf32>, %c: memref<144x32xf32>) {
  linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%a, %b : memref<?x144xf32>, memref<?x32xf32>) outs(%c : memref<144x32xf32>)
  return
}

// -----

// Rows that are contiguous in a strided view (a step of saved states) take
// the micro kernel too.
// CHECK-LABEL: func.func @strided_rows
// CHECK-NOT:     linalg.matmul
// CHECK:         memref.load %{{.+}} : memref<?x128xf32, strided<[512, 1], offset: ?>>
// CHECK:         vector.fma
func.func @strided_rows(%a: memref<?x128xf32, strided<[512, 1], offset: ?>>, %b: memref<128x64xf32>, %c: memref<?x64xf32>) {
  linalg.matmul ins(%a, %b : memref<?x128xf32, strided<[512, 1], offset: ?>>, memref<128x64xf32>) outs(%c : memref<?x64xf32>)
  return
}

// -----

// C filled with zeros just before (a kernel's fill + matmul): the fill is
// folded, the accumulators start from zeros and C is only written. N = 16
// is a one-vector tile of 12 rows (16 would exceed the registers).
// CHECK-LABEL: func.func @zero_init
// CHECK-NOT:     linalg.fill
// CHECK:         %[[Z:.+]] = arith.constant dense<0.000000e+00> : vector<16xf32>
// CHECK:         scf.for %{{.+}} = %{{.+}} to %{{.+}} step %c12
// CHECK-NOT:       vector.load %{{.+}} : memref<?x16xf32>
// CHECK:           scf.for %{{.+}} = %{{.+}} to %{{.+}} step %c1 iter_args(%{{.+}} = %[[Z]],
// CHECK-COUNT-12:    vector.fma
// CHECK-COUNT-12:  vector.store %{{.+}} : memref<?x16xf32>, vector<16xf32>
func.func @zero_init(%a: memref<?x9xf32>, %b: memref<9x16xf32>, %c: memref<?x16xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%c : memref<?x16xf32>)
  linalg.matmul ins(%a, %b : memref<?x9xf32>, memref<9x16xf32>) outs(%c : memref<?x16xf32>)
  return
}

// -----

// A fill of another value, or of another buffer, stays: C is read.
// CHECK-LABEL: func.func @fill_kept
// CHECK:         linalg.fill ins(%{{.+}} : f32) outs(%arg2
// CHECK:         vector.load %{{.+}} : memref<?x16xf32>, vector<16xf32>
// CHECK:         linalg.fill ins(%{{.+}} : f32) outs(%arg3
// CHECK:         vector.load %{{.+}} : memref<?x16xf32>, vector<16xf32>
func.func @fill_kept(%a: memref<?x9xf32>, %b: memref<9x16xf32>, %c: memref<?x16xf32>, %d: memref<?x16xf32>) {
  %one = arith.constant 1.0 : f32
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%one : f32) outs(%c : memref<?x16xf32>)
  linalg.matmul ins(%a, %b : memref<?x9xf32>, memref<9x16xf32>) outs(%c : memref<?x16xf32>)
  linalg.fill ins(%zero : f32) outs(%d : memref<?x16xf32>)
  linalg.matmul ins(%a, %b : memref<?x9xf32>, memref<9x16xf32>) outs(%c : memref<?x16xf32>)
  return
}
