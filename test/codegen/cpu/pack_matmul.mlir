// RUN: kiln-opt %s --split-input-file --kiln-cpu-vectorize-matmul="vector-width=16 rows=4 vectors=4 pack-threshold=262144 parallel-threshold=262144" --canonicalize --cse | FileCheck %s

// B of more than pack-threshold bytes is packed block by block (256 steps of
// K by 128 columns: 2 panels of one 64-column tile each) into a stack buffer
// allocated at the function's start. The panels are copied in parallel, then
// the row blocks read them; C starts from zeros in the first block of K
// only (the fill is folded). The 8 columns past the last whole tile read B
// in place, masked.
// CHECK-LABEL: func.func @packed
// CHECK-NOT:     linalg.fill
// CHECK:         %[[PACK:.+]] = memref.alloca() {alignment = 64 : i64} : memref<2x256x64xf32>
// CHECK:         scf.for %[[JC:.+]] = %c0 to %c192 step %c128 {
// CHECK:           scf.for %[[PC:.+]] = %c0 to %c1024 step %c256 {
// CHECK:             scf.parallel (%[[P:.+]]) = (%c0) to (%{{.+}}) step (%c1) {
// CHECK:               scf.for %[[K:.+]] = %c0 to %{{.+}} step %c1 {
// CHECK:                 %[[ROW:.+]] = arith.addi %[[PC]], %[[K]]
// CHECK:                 %[[V:.+]] = vector.load %arg1[%[[ROW]], %{{.+}}] : memref<1024x200xf32>, vector<16xf32>
// CHECK:                 vector.store %[[V]], %[[PACK]][%[[P]], %[[K]], %c0]
// CHECK-COUNT-3:         vector.store %{{.+}}, %[[PACK]]
// CHECK:             %[[FIRST:.+]] = arith.cmpi eq, %[[PC]], %c0
// CHECK:             scf.parallel (%{{.+}}) = (%c0) to (%c64) step (%c4) {
// CHECK:               scf.for %[[PANEL:.+]] = %c0 to %{{.+}} step %c1 {
// CHECK:                 arith.select %[[FIRST]], %{{.+}}, %{{.+}} : vector<16xf32>
// CHECK:                 scf.for %[[KK:.+]] = %[[PC]] to %{{.+}} step %c1 iter_args(
// CHECK:                   %[[OFF:.+]] = arith.subi %[[KK]], %[[PC]]
// CHECK:                   vector.load %[[PACK]][%[[PANEL]], %[[OFF]], %c0] : memref<2x256x64xf32>, vector<16xf32>
// CHECK-COUNT-3:           vector.load %[[PACK]]
// CHECK:                   memref.load %arg0[%{{.+}}, %[[KK]]] : memref<64x1024xf32>
// CHECK-COUNT-16:          vector.fma
// CHECK:         vector.maskedload %arg1
// CHECK-NOT:     memref.alloca
func.func @packed(%a: memref<64x1024xf32>, %b: memref<1024x200xf32>, %c: memref<64x200xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%c : memref<64x200xf32>)
  linalg.matmul ins(%a, %b : memref<64x1024xf32>, memref<1024x200xf32>) outs(%c : memref<64x200xf32>)
  return
}

// -----

// M is the batch: from 16 rows on, B is packed; fewer rows (batch 1 reads
// each weight once) read B in place. The rows go in blocks of pack-m (256),
// whose slice of A stays in L2; B is packed again for each block.
// CHECK-LABEL: func.func @batch
// CHECK:         %[[PACK:.+]] = memref.alloca() {alignment = 64 : i64} : memref<2x256x64xf32>
// CHECK:         %[[M:.+]] = memref.dim %arg0, %c0 : memref<?x1024xf32>
// CHECK:         %[[MANY:.+]] = arith.cmpi sge, %[[M]], %c16 : index
// CHECK:         scf.if %[[MANY]] {
// CHECK:           scf.for %[[IC:.+]] = %c0 to %[[M]] step %c256 {
// CHECK:             %[[IC_END:.+]] = arith.minsi %[[M]], %{{.+}}
// CHECK:             scf.for %{{.+}} = %c0 to %c1024 step %c256 {
// CHECK:               vector.store %{{.+}}, %[[PACK]]
// CHECK:               scf.parallel (%{{.+}}) = (%[[IC]]) to (%{{.+}}) step (%c4)
// CHECK:                 vector.load %[[PACK]]
// CHECK:               scf.for %{{.+}} = %{{.+}} to %[[IC_END]] step %c1
// CHECK:         } else {
// CHECK-NOT:       %[[PACK]]
// CHECK:           vector.load %arg1[%{{.+}}, %{{.+}}] : memref<1024x128xf32>, vector<16xf32>
func.func @batch(%a: memref<?x1024xf32>, %b: memref<1024x128xf32>, %c: memref<?x128xf32>) {
  linalg.matmul ins(%a, %b : memref<?x1024xf32>, memref<1024x128xf32>) outs(%c : memref<?x128xf32>)
  return
}

// -----

// A weight gradient X^T @ G (K the batch, dynamic) packs a 256-step block
// of G when 256 rows of it exceed the threshold. K may be 0, so the fill
// stays and C is read in every block.
// CHECK-LABEL: func.func @weight_gradient
// CHECK:         memref.alloca() {alignment = 64 : i64} : memref<2x256x64xf32>
// CHECK:         linalg.fill
// CHECK:         %[[K:.+]] = memref.dim %arg1, %c0 : memref<?x1024xf32>
// CHECK:         scf.for %{{.+}} = %c0 to %c1024 step %c128 {
// CHECK:           scf.for %{{.+}} = %c0 to %[[K]] step %c256 {
// CHECK-NOT:         arith.select
// CHECK:             memref.load %arg0[%{{.+}}, %{{.+}}] : memref<?x512xf32>
func.func @weight_gradient(%x: memref<?x512xf32>, %g: memref<?x1024xf32>, %c: memref<512x1024xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%c : memref<512x1024xf32>)
  linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
    ins(%x, %g : memref<?x512xf32>, memref<?x1024xf32>) outs(%c : memref<512x1024xf32>)
  return
}

// -----

// Not packed: fewer than 16 rows, or a B that stays in the cache (64 KiB).
// CHECK-LABEL: func.func @few_rows
// CHECK-NOT:     memref.alloca
// CHECK:         vector.fma
// CHECK-LABEL: func.func @small_b
// CHECK-NOT:     memref.alloca
// CHECK:         vector.fma
func.func @few_rows(%a: memref<8x1024xf32>, %b: memref<1024x128xf32>, %c: memref<8x128xf32>) {
  linalg.matmul ins(%a, %b : memref<8x1024xf32>, memref<1024x128xf32>) outs(%c : memref<8x128xf32>)
  return
}
func.func @small_b(%a: memref<512x128xf32>, %b: memref<128x128xf32>, %c: memref<512x128xf32>) {
  linalg.matmul ins(%a, %b : memref<512x128xf32>, memref<128x128xf32>) outs(%c : memref<512x128xf32>)
  return
}

// -----

// B read transposed (an input gradient G @ W^T, W stored N x K) is always
// packed: each panel is copied along W's rows (contiguous in K), so the
// micro kernel reads it like any packed B. The 8 columns past the last
// whole tile are a one-vector panel whose loads and stores are masked.
// CHECK-LABEL: func.func @transposed_rhs
// CHECK-DAG:     %[[PACK:.+]] = memref.alloca() {alignment = 64 : i64} : memref<2x64x64xf32>
// CHECK-DAG:     %[[TAIL:.+]] = memref.alloca() {alignment = 64 : i64} : memref<1x64x16xf32>
// CHECK-NOT:     linalg.fill
// CHECK:         scf.for %{{.+}} = %c0 to %c192 step %c128 {
// CHECK:           scf.parallel (%[[P:.+]]) = (%c0) to (%{{.+}}) step (%c1) {
// CHECK:             scf.for %[[C:.+]] = %c0 to %c64 step %c1 {
// CHECK:               scf.for %[[K:.+]] = %c0 to %c64 step %c1 {
// CHECK:                 %[[V:.+]] = memref.load %arg1[%{{.+}}, %[[K]]] : memref<200x64xf32>
// CHECK:                 memref.store %[[V]], %[[PACK]][%[[P]], %[[K]], %[[C]]] : memref<2x64x64xf32>
// CHECK:         vector.load %[[PACK]]
// CHECK:         vector.fma
// CHECK:         scf.for %{{.+}} = %c0 to %c8 step %c1 {
// CHECK:           memref.store %{{.+}}, %[[TAIL]]
// CHECK:         vector.constant_mask [8] : vector<16xi1>
// CHECK:         vector.maskedload %[[TAIL]]
// CHECK:         vector.maskedstore %arg2
func.func @transposed_rhs(%g: memref<?x64xf32>, %w: memref<200x64xf32>, %c: memref<?x200xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%c : memref<?x200xf32>)
  linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
    ins(%g, %w : memref<?x64xf32>, memref<200x64xf32>) outs(%c : memref<?x200xf32>)
  return
}
