// RUN: kiln-opt %s --split-input-file --kiln-cpu-vectorize-matmul="vector-width=16 rows=4 vectors=4 parallel-threshold=262144" | FileCheck %s
// RUN: kiln-opt %s --split-input-file --kiln-cpu-vectorize-matmul="vector-width=16 rows=4 vectors=4 parallel-threshold=262144" --convert-scf-to-openmp | FileCheck %s --check-prefix=OMP

// With a parallel threshold, the full row blocks of a large product are an
// scf.parallel (each block writes its own rows of C: no reduction, and each
// element is computed the same way on any number of threads); the leftover
// rows stay serial.

// M is the batch: the work (M x K x N multiply-adds) decides per call, with
// a serial copy of the row loop below the threshold.
// CHECK-LABEL: func.func @batched
// CHECK:         %[[WORK:.+]] = arith.muli %{{.+}}, %c128 : index
// CHECK:         %[[LARGE:.+]] = arith.cmpi sge, %[[WORK]], %c262144
// CHECK:         scf.if %[[LARGE]] {
// CHECK:           scf.parallel (%{{.+}}) = (%c0) to (%{{.+}}) step (%c4) {
// CHECK:             scf.for %{{.+}} step %c64
// CHECK:               vector.fma
// CHECK:         } else {
// CHECK:           scf.for %{{.+}} step %c4 {
// CHECK:         scf.for %{{.+}} step %c1 {
// OMP-LABEL: func.func @batched
// OMP:         omp.parallel {
// OMP:           omp.wsloop {
// OMP:             omp.loop_nest
func.func @batched(%a: memref<?x784xf32>, %b: memref<784x128xf32>, %c: memref<?x128xf32>) {
  linalg.matmul ins(%a, %b : memref<?x784xf32>, memref<784x128xf32>) outs(%c : memref<?x128xf32>)
  return
}

// -----

// Static shapes decide when compiling: 512 x 512 x 64 is parallel, with no
// serial copy; 8 x 16 x 64 is serial.
// CHECK-LABEL: func.func @static_large
// CHECK-NOT:     scf.if
// CHECK:         scf.parallel
// CHECK-LABEL: func.func @static_small
// CHECK-NOT:     scf.parallel
// CHECK:         scf.for
func.func @static_large(%a: memref<512x512xf32>, %b: memref<512x64xf32>, %c: memref<512x64xf32>) {
  linalg.matmul ins(%a, %b : memref<512x512xf32>, memref<512x64xf32>) outs(%c : memref<512x64xf32>)
  return
}
func.func @static_small(%a: memref<8x16xf32>, %b: memref<16x64xf32>, %c: memref<8x64xf32>) {
  linalg.matmul ins(%a, %b : memref<8x16xf32>, memref<16x64xf32>) outs(%c : memref<8x64xf32>)
  return
}
