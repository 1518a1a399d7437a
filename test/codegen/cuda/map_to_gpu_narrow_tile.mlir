// RUN: kiln-opt %s --split-input-file --kiln-cuda-map-to-gpu --canonicalize | FileCheck %s
// RUN: kiln-opt %s --split-input-file --kiln-cuda-map-to-gpu="narrow-tiles=false" --canonicalize | FileCheck %s --check-prefix=SQUARE
// RUN: kiln-opt %s --split-input-file --kiln-cuda-map-to-gpu="precision=tf32" --canonicalize | FileCheck %s --check-prefix=TF32
// RUN: kiln-opt %s --split-input-file --kiln-cuda-map-to-gpu="host-loops=true" --canonicalize | FileCheck %s --check-prefix=HOST

// A product with 16 columns of C (a convolution's 16 output channels, its
// rows the batch times the image positions) takes 256 x 16 tiles, the
// square tile's area: a block computes no padding column instead of 48 of
// 64. Its threads are a 64 x 4 grid, each summing a square 4 x 4 register
// tile, as in the square tile (16 x 1 would load 17 values from shared
// memory per 16 multiply-adds, and keep a staged step's 272 in
// registers); a staged step is 16 elements of A per thread (by fours:
// along k) and 1 of B.
// CHECK-LABEL: func.func @sixteen_channels
// CHECK:         %[[ROWS:.+]] = arith.ceildivui %{{.+}}, %c256 : index
// CHECK:         gpu.launch_func @kiln_kernels::@sixteen_channels_matmul blocks in (%[[ROWS]], %c1, %c1) threads in (%c256, %c1, %c1)
// CHECK:       gpu.func @sixteen_channels_matmul({{.*}}) workgroup(%[[A:.+]] : memref<32x256xf32, #gpu.address_space<workgroup>>, %[[B:.+]] : memref<32x16xf32, #gpu.address_space<workgroup>>) kernel
// CHECK:         scf.for %{{.+}} = %c0 to %c144 step %c16 iter_args({{.*}}) -> (f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, index) {
// CHECK:           scf.if %{{.+}} -> (f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32) {
// CHECK-COUNT-4:     vector.load %{{.+}} : memref<?x144xf32>, vector<4xf32>
// CHECK:             memref.load %{{.+}} : memref<144x16xf32>
// CHECK:           } else {
// CHECK-COUNT-256: math.fma
// CHECK-NOT:       math.fma
// CHECK:           gpu.barrier
// Thread t's sums: rows 4 (t / 4) + i of columns 4 (t % 4) + j.
// CHECK:         %[[TY:.+]] = arith.divui %thread_id_x, %c4 : index
// CHECK:         %[[ROW0:.+]] = arith.muli %[[TY]], %c4 : index
// CHECK:         %[[TX:.+]] = arith.remui %thread_id_x, %c4 : index
// CHECK:         %[[COL0:.+]] = arith.muli %[[TX]], %c4 : index
// CHECK:         %[[ROW:.+]] = arith.addi %{{.+}}, %[[ROW0]] : index
// CHECK:         memref.load %{{.+}}[%[[ROW]], %[[COL0]]] : memref<?x16xf32>
// CHECK:         %[[COL1:.+]] = arith.addi %{{.+}}, %c1 : index
// CHECK:         memref.load %{{.+}}[%{{.+}}, %[[COL1]]] : memref<?x16xf32>
// SQUARE-LABEL:  func.func @sixteen_channels
// SQUARE:          arith.ceildivui %{{.+}}, %c64 : index
// SQUARE:        gpu.func @sixteen_channels_matmul({{.*}}) workgroup(%{{.+}} : memref<32x64xf32, #gpu.address_space<workgroup>>, %{{.+}} : memref<32x64xf32, #gpu.address_space<workgroup>>) kernel
// Tensor cores take square tiles.
// TF32-LABEL:    gpu.func @sixteen_channels_matmul
// TF32-SAME:       workgroup(%{{.+}} : memref<32x72xf32, #gpu.address_space<workgroup>>, %{{.+}} : memref<32x72xf32, #gpu.address_space<workgroup>>)
// On the host: the same tiles in scratch, 16 sums and 17 staged elements
// per thread.
// HOST-LABEL:    func.func @sixteen_channels
// HOST-DAG:        memref.alloca() : memref<32x256xf32>
// HOST-DAG:        memref.alloca() : memref<32x16xf32>
// HOST-DAG:        memref.alloca() : memref<256x16xf32>
// HOST-DAG:        memref.alloca() : memref<256x17xf32>
// HOST-NOT:        gpu.
func.func @sixteen_channels(%a: memref<?x144xf32>, %b: memref<144x16xf32>, %c: memref<?x16xf32>) {
  linalg.matmul ins(%a, %b : memref<?x144xf32>, memref<144x16xf32>) outs(%c : memref<?x16xf32>)
  return
}

// -----

// 32 columns: 128 x 32 tiles (32 x 8 threads of 4 x 4 sums); 10 columns:
// 256 x 16.
// 48 columns would pad to 64 either way, and 200 to 208 instead of 256:
// not half of what the square tile computes, so they stay 64 x 64.
// CHECK-LABEL:   func.func @widths
// CHECK:           arith.ceildivui %{{.+}}, %c128 : index
// CHECK:           arith.ceildivui %{{.+}}, %c256 : index
// CHECK:           arith.ceildivui %{{.+}}, %c64 : index
// CHECK:           arith.ceildivui %{{.+}}, %c64 : index
// CHECK:         gpu.func @widths_matmul({{.*}}) workgroup(%{{.+}} : memref<32x128xf32, #gpu.address_space<workgroup>>, %{{.+}} : memref<32x32xf32, #gpu.address_space<workgroup>>) kernel
// CHECK:         gpu.func @widths_matmul_0({{.*}}) workgroup(%{{.+}} : memref<32x256xf32, #gpu.address_space<workgroup>>, %{{.+}} : memref<32x16xf32, #gpu.address_space<workgroup>>) kernel
// CHECK:         gpu.func @widths_matmul_1({{.*}}) workgroup(%{{.+}} : memref<32x64xf32, #gpu.address_space<workgroup>>, %{{.+}} : memref<32x64xf32, #gpu.address_space<workgroup>>) kernel
// CHECK:         gpu.func @widths_matmul_2({{.*}}) workgroup(%{{.+}} : memref<32x64xf32, #gpu.address_space<workgroup>>, %{{.+}} : memref<32x64xf32, #gpu.address_space<workgroup>>) kernel
func.func @widths(%a: memref<?x64xf32>, %b32: memref<64x32xf32>, %c32: memref<?x32xf32>,
                  %b10: memref<64x10xf32>, %c10: memref<?x10xf32>,
                  %b48: memref<64x48xf32>, %c48: memref<?x48xf32>,
                  %b200: memref<64x200xf32>, %c200: memref<?x200xf32>) {
  linalg.matmul ins(%a, %b32 : memref<?x64xf32>, memref<64x32xf32>) outs(%c32 : memref<?x32xf32>)
  linalg.matmul ins(%a, %b10 : memref<?x64xf32>, memref<64x10xf32>) outs(%c10 : memref<?x10xf32>)
  linalg.matmul ins(%a, %b48 : memref<?x64xf32>, memref<64x48xf32>) outs(%c48 : memref<?x48xf32>)
  linalg.matmul ins(%a, %b200 : memref<?x64xf32>, memref<64x200xf32>) outs(%c200 : memref<?x200xf32>)
  return
}

// -----

// A static M counts its padding too: 144 x 32 is 192 x 64 in square tiles
// and 256 x 32 in 128 x 32 ones, not half: square.
// CHECK-LABEL:   func.func @static_rows
// CHECK:         gpu.launch_func @kiln_kernels::@static_rows_matmul blocks in (%c3, %c1, %c1)
func.func @static_rows(%a: memref<144x64xf32>, %b: memref<64x32xf32>, %c: memref<144x32xf32>) {
  linalg.matmul ins(%a, %b : memref<144x64xf32>, memref<64x32xf32>) outs(%c : memref<144x32xf32>)
  return
}

// -----

// A static k shorter than a staged step (a first convolution's 9 taps):
// one step staged, zeros after k = 9, and only its 9 steps multiplied, 9 x
// 16 fused multiply-adds a thread instead of 16 x 16.
// CHECK-LABEL: func.func @nine_taps
// CHECK:       gpu.func @nine_taps_matmul({{.*}}) workgroup(%{{.+}} : memref<32x256xf32, #gpu.address_space<workgroup>>
// CHECK:         gpu.barrier
// CHECK-COUNT-144: math.fma
// CHECK-NOT:     math.fma
// CHECK:         gpu.return
func.func @nine_taps(%a: memref<?x9xf32>, %b: memref<9x16xf32>, %c: memref<?x16xf32>) {
  linalg.matmul ins(%a, %b : memref<?x9xf32>, memref<9x16xf32>) outs(%c : memref<?x16xf32>)
  return
}
