// RUN: kiln-opt %s --split-input-file --kiln-cuda-map-to-gpu --canonicalize | FileCheck %s
// RUN: kiln-opt %s --split-input-file --kiln-cuda-map-to-gpu="wide-tile-min-tiles=0" --canonicalize | FileCheck %s --check-prefix=OFF
// RUN: kiln-opt %s --split-input-file --kiln-cuda-map-to-gpu="precision=tf32" --canonicalize | FileCheck %s --check-prefix=TF32
// RUN: kiln-opt %s --split-input-file --kiln-cuda-map-to-gpu="precision=bf16" --canonicalize | FileCheck %s --check-prefix=BF16
// RUN: kiln-opt %s --split-input-file --kiln-cuda-map-to-gpu="wide-tile-min-tiles=9223372036854775807" --canonicalize | FileCheck %s --check-prefix=OFF
// RUN: kiln-opt %s --split-input-file --kiln-cuda-map-to-gpu="host-loops=true wide-tile-min-tiles=1" --canonicalize | FileCheck %s --check-prefix=HOST

// A wide product (512 columns of C, at least 256) whose rows are the batch:
// the host launches 128 x 128 tiles staged 8 steps of k at a time when
// there are at least 256 of them, ceil(m / 128) * 4 >= 256, m >= 8065 (63
// row tiles make 252), else matmul-tile's 64 x 64 tiles staged 16 steps.
// Both kernels sum each element in k order: the same numbers.
// CHECK-LABEL: func.func @batch_rows
// CHECK:         %[[M:.+]] = memref.dim %arg0, %c0
// CHECK:         %[[WIDE:.+]] = arith.cmpi uge, %[[M]], %c8065 : index
// CHECK:         scf.if %[[WIDE]] {
// CHECK:           %[[ROWS:.+]] = arith.ceildivui %{{.+}}, %c128 : index
// CHECK:           %[[BLOCKS:.+]] = arith.muli %[[ROWS]], %c4 : index
// CHECK:           gpu.launch_func @kiln_kernels::@batch_rows_matmul blocks in (%[[BLOCKS]], %c1, %c1)
// CHECK:         } else {
// CHECK:           %[[ROWS64:.+]] = arith.ceildivui %{{.+}}, %c64 : index
// CHECK:           %[[BLOCKS64:.+]] = arith.muli %[[ROWS64]], %c8 : index
// CHECK:           gpu.launch_func @kiln_kernels::@batch_rows_matmul_0 blocks in (%[[BLOCKS64]], %c1, %c1)
// CHECK:         }
// CHECK:       gpu.func @batch_rows_matmul({{.*}}) workgroup(%{{.+}} : memref<16x128xf32, #gpu.address_space<workgroup>>, %{{.+}} : memref<16x128xf32, #gpu.address_space<workgroup>>) kernel
// CHECK:         scf.for %{{.+}} = %c0 to %c64 step %c8 iter_args(
// CHECK-COUNT-512:  math.fma
// CHECK:       gpu.func @batch_rows_matmul_0({{.*}}) workgroup(%{{.+}} : memref<32x64xf32, #gpu.address_space<workgroup>>, %{{.+}} : memref<32x64xf32, #gpu.address_space<workgroup>>) kernel
// CHECK:         scf.for %{{.+}} = %c0 to %c64 step %c16 iter_args(
// CHECK-COUNT-256:  math.fma
// With tensor cores, the same choice: a warp of the wide kernel multiplies
// 64 x 32 of the tile (4 x 4 mma.sync a step of k), one of matmul-tile's
// 32 x 16 (2 x 2). TF32's rows are padded by 8 floats, BF16's by 4, and
// BF16 stages 16 steps of k, its mma's.
// TF32-LABEL:  func.func @batch_rows
// TF32:          %[[WIDE:.+]] = arith.cmpi uge, %{{.+}}, %c8065 : index
// TF32:          scf.if %[[WIDE]] {
// TF32:            gpu.launch_func @kiln_kernels::@batch_rows_matmul blocks
// TF32:          } else {
// TF32:            gpu.launch_func @kiln_kernels::@batch_rows_matmul_0 blocks
// TF32:        gpu.func @batch_rows_matmul({{.*}}) workgroup(%{{.+}} : memref<16x136xf32, #gpu.address_space<workgroup>>, %{{.+}} : memref<16x136xf32, #gpu.address_space<workgroup>>) kernel
// TF32:          scf.for %{{.+}} = %c0 to %c64 step %c8 iter_args(
// TF32-COUNT-16:   nvvm.mma.sync {{.*}}shape = #nvvm.shape<m = 16, n = 8, k = 8>
// TF32-NOT:        nvvm.mma.sync
// TF32:        gpu.func @batch_rows_matmul_0({{.*}}) workgroup(%{{.+}} : memref<32x72xf32, #gpu.address_space<workgroup>>, %{{.+}} : memref<32x72xf32, #gpu.address_space<workgroup>>) kernel
// TF32:          scf.for %{{.+}} = %c0 to %c64 step %c16 iter_args(
// TF32-COUNT-8:    nvvm.mma.sync
// TF32-NOT:        nvvm.mma.sync
// TF32:            gpu.return
// BF16-LABEL:  func.func @batch_rows
// BF16:          scf.if
// BF16:        gpu.func @batch_rows_matmul({{.*}}) workgroup(%{{.+}} : memref<32x132xf32, #gpu.address_space<workgroup>>, %{{.+}} : memref<32x132xf32, #gpu.address_space<workgroup>>) kernel
// BF16:          scf.for %{{.+}} = %c0 to %c64 step %c16 iter_args(
// BF16-COUNT-16:   nvvm.mma.sync {{.*}}shape = #nvvm.shape<m = 16, n = 8, k = 16>
// BF16-NOT:        nvvm.mma.sync
// BF16:        gpu.func @batch_rows_matmul_0({{.*}}) workgroup(%{{.+}} : memref<32x68xf32, #gpu.address_space<workgroup>>
// BF16-COUNT-4:    nvvm.mma.sync
// BF16-NOT:        nvvm.mma.sync
// BF16:            gpu.return
// Without wide tiles (wide-tile-min-tiles=0, or more tiles than any batch
// makes), one kernel.
// OFF-LABEL:   func.func @batch_rows
// OFF-NOT:       arith.cmpi uge
// OFF:           gpu.launch_func @kiln_kernels::@batch_rows_matmul blocks
// OFF-NOT:       gpu.launch_func
// OFF:         gpu.func @batch_rows_matmul({{.*}}) workgroup(%{{.+}} : memref<32x64xf32, #gpu.address_space<workgroup>>
// OFF-NOT:     gpu.func @batch_rows_matmul_0
// On the host: the choice around two host-loop nests, each with its tiles
// and its threads' sums in scratch (8 x 8 and 4 x 4 a thread).
// HOST-LABEL:  func.func @batch_rows
// HOST:          %[[WIDE:.+]] = arith.cmpi uge, %{{.+}}, %c1 : index
// HOST:          scf.if %[[WIDE]] {
// HOST-DAG:        memref.alloca() : memref<16x128xf32>
// HOST-DAG:        memref.alloca() : memref<256x64xf32>
// HOST:          } else {
// HOST-DAG:        memref.alloca() : memref<32x64xf32>
// HOST-DAG:        memref.alloca() : memref<256x16xf32>
// HOST-NOT:      gpu.
func.func @batch_rows(%a: memref<?x64xf32>, %b: memref<64x512xf32>, %c: memref<?x512xf32>) {
  linalg.matmul ins(%a, %b : memref<?x64xf32>, memref<64x512xf32>) outs(%c : memref<?x512xf32>)
  return
}

// -----

// Static rows: the choice is made here. 8065 rows make 64 x 4 = 256 tiles
// of 128 x 128; 8064 make 252, and keep 126 x 8 tiles of 64.
// CHECK-LABEL: func.func @static_rows
// CHECK-NOT:     scf.if
// CHECK:         gpu.launch_func @kiln_kernels::@static_rows_matmul blocks in (%c256, %c1, %c1)
// CHECK:         gpu.launch_func @kiln_kernels::@static_rows_matmul_0 blocks in (%c1008, %c1, %c1)
// A product of fewer than 256 columns keeps its tiles, however many rows:
// one kernel, no choice.
// CHECK-LABEL: func.func @narrow
// CHECK-NOT:     arith.cmpi uge
// CHECK:         gpu.launch_func @kiln_kernels::@narrow_matmul blocks
// CHECK-NOT:     gpu.launch_func
// CHECK:       gpu.func @static_rows_matmul({{.*}}) workgroup(%{{.+}} : memref<16x128xf32, #gpu.address_space<workgroup>>
// CHECK:       gpu.func @static_rows_matmul_0({{.*}}) workgroup(%{{.+}} : memref<32x64xf32, #gpu.address_space<workgroup>>
// CHECK:       gpu.func @narrow_matmul({{.*}}) workgroup(%{{.+}} : memref<32x64xf32, #gpu.address_space<workgroup>>
func.func @static_rows(%a: memref<8065x64xf32>, %b: memref<64x512xf32>, %c: memref<8065x512xf32>,
                       %d: memref<8064x64xf32>, %e: memref<8064x512xf32>) {
  linalg.matmul ins(%a, %b : memref<8065x64xf32>, memref<64x512xf32>) outs(%c : memref<8065x512xf32>)
  linalg.matmul ins(%d, %b : memref<8064x64xf32>, memref<64x512xf32>) outs(%e : memref<8064x512xf32>)
  return
}

func.func @narrow(%a: memref<?x64xf32>, %b: memref<64x255xf32>, %c: memref<?x255xf32>) {
  linalg.matmul ins(%a, %b : memref<?x64xf32>, memref<64x255xf32>) outs(%c : memref<?x255xf32>)
  return
}
