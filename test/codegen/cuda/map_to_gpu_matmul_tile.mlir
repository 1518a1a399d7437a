// RUN: kiln-opt %s --kiln-cuda-map-to-gpu="matmul-tile=128 matmul-k-step=8" --canonicalize | FileCheck %s
// RUN: kiln-opt %s --kiln-cuda-map-to-gpu="matmul-tile=32 matmul-k-step=32 host-loops=true" --canonicalize | FileCheck %s --check-prefix=HOST
// RUN: kiln-opt %s --kiln-cuda-map-to-gpu="matmul-tile=128 matmul-k-step=8" --canonicalize --cse | FileCheck %s --check-prefix=COLS
// RUN: not kiln-opt %s --kiln-cuda-map-to-gpu="matmul-tile=128 matmul-k-step=32" 2>&1 | FileCheck %s --check-prefix=SHARED
// SHARED: error: matmul-tile 128 with matmul-k-step 32 needs 65536 bytes of shared memory for its double-buffered tiles, over the 49152 a block has

// matmul-tile and matmul-k-step size the tiled matrix product: 128 x 128
// tiles of C per block of 256 threads, 8 x 8 sums per thread, A and B
// staged 8 steps of k at a time (two steps in shared memory); 32 x 32
// tiles have 2 x 2 sums per thread (the host loops' register scratch),
// staged 32 steps at a time, 8 of each thread's elements of the next step
// in scratch meanwhile. Tile 128 with k-step 32 would need 64 KiB of
// shared memory.
// CHECK-LABEL: func.func @tiled
// CHECK:         %[[ROWS:.+]] = arith.ceildivui %{{.+}}, %c128 : index
// CHECK:         %[[BLOCKS:.+]] = arith.muli %[[ROWS]], %c2 : index
// CHECK:         gpu.launch_func @kiln_kernels::@tiled_matmul blocks in (%[[BLOCKS]], %c1, %c1) threads in (%c256, %c1, %c1)
// CHECK:       gpu.func @tiled_matmul({{.*}}) workgroup(%[[A:.+]] : memref<16x128xf32, #gpu.address_space<workgroup>>, %[[B:.+]] : memref<16x128xf32, #gpu.address_space<workgroup>>) kernel
// CHECK:         gpu.barrier
// CHECK:         scf.for %{{.+}} = %c0 to %c64 step %c8 iter_args(
// CHECK-COUNT-512:  math.fma
// CHECK-NOT:       math.fma
// CHECK:           gpu.barrier
// CHECK-NOT:       gpu.barrier
// A thread's 8 columns are two groups of four neighbours, 64 apart
// (columns 4 tx .. 4 tx + 3 and 4 tx + 64 .. 4 tx + 67, tx = t % 16): the
// 16 threads of a row of the block load 64 neighbouring floats of B from
// shared memory per group, and store neighbouring columns of C. Its 8 rows
// are neighbours (8 (t / 16) ..).
// COLS-LABEL:  gpu.func @tiled_matmul
// COLS:          scf.for
// COLS:          %[[TY:.+]] = arith.divui %thread_id_x, %c16 : index
// COLS:          %[[ROW:.+]] = arith.muli %[[TY]], %c8 : index
// COLS:          %[[TX:.+]] = arith.remui %thread_id_x, %c16 : index
// COLS:          %[[COL:.+]] = arith.muli %[[TX]], %c4 : index
// COLS:          %[[COL1:.+]] = arith.addi %[[COL]], %c1 : index
// COLS:          %[[COL2:.+]] = arith.addi %[[COL]], %c2 : index
// COLS:          %[[COL3:.+]] = arith.addi %[[COL]], %c3 : index
// COLS:          %[[COL64:.+]] = arith.addi %[[COL]], %c64 : index
// COLS:          %[[COL65:.+]] = arith.addi %[[COL]], %c65 : index
// COLS:          %[[COL66:.+]] = arith.addi %[[COL]], %c66 : index
// COLS:          %[[COL67:.+]] = arith.addi %[[COL]], %c67 : index
// COLS:          memref.load %[[SA:.+]][%[[K:.+]], %[[ROW]]]
// COLS-COUNT-7:  memref.load %[[SA]][%[[K]], %{{.+}}]
// COLS-NEXT:     memref.load %[[SB:.+]][%[[K]], %[[COL]]]
// COLS-NEXT:     memref.load %[[SB]][%[[K]], %[[COL1]]]
// COLS-NEXT:     memref.load %[[SB]][%[[K]], %[[COL2]]]
// COLS-NEXT:     memref.load %[[SB]][%[[K]], %[[COL3]]]
// COLS-NEXT:     memref.load %[[SB]][%[[K]], %[[COL64]]]
// COLS-NEXT:     memref.load %[[SB]][%[[K]], %[[COL65]]]
// COLS-NEXT:     memref.load %[[SB]][%[[K]], %[[COL66]]]
// COLS-NEXT:     memref.load %[[SB]][%[[K]], %[[COL67]]]
// The sums go to C at the same columns: the fifth at tile column 4 tx + 64.
// COLS:          gpu.barrier
// COLS:          %[[CTX:.+]] = arith.remui %thread_id_x, %c16 : index
// COLS:          %[[CCOL:.+]] = arith.muli %[[CTX]], %c4 : index
// COLS:          arith.addi %[[CCOL]], %c3 : index
// COLS:          %[[C64:.+]] = arith.addi %[[CCOL]], %c64 : index
// COLS:          %[[AT:.+]] = arith.addi %{{.+}}, %[[C64]] : index
// COLS:          memref.store %{{.+}}, %arg3[%{{.+}}, %[[AT]]]
// HOST-LABEL:  func.func @tiled
// HOST-DAG:      memref.alloca() : memref<64x32xf32>
// HOST-DAG:      memref.alloca() : memref<256x4xf32>
// HOST-DAG:      memref.alloca() : memref<256x8xf32>
// HOST-NOT:      gpu.
func.func @tiled(%a: memref<?x64xf32>, %b: memref<64x200xf32>, %c: memref<?x200xf32>) {
  linalg.matmul ins(%a, %b : memref<?x64xf32>, memref<64x200xf32>) outs(%c : memref<?x200xf32>)
  return
}
