// RUN: kiln-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(kiln-cuda-split-k))" | FileCheck %s
// RUN: kiln-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(kiln-cuda-split-k),kiln-cuda-map-to-gpu,canonicalize)" | FileCheck %s --check-prefix=MAPPED
// RUN: not kiln-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(kiln-cuda-split-k{max-splits=1}))" 2>&1 | FileCheck %s --check-prefix=BAD
// BAD: error: matmul-tile must be 32, 64 or 128, target-blocks positive and max-splits at least 2

// A weight gradient: 288 x 64 outputs (5 x 1 tiles of 64) summed over a
// batch-sized k. 256 target blocks / 5 tiles: 52 splits of k, their
// partial sums in a buffer that becomes the product's last input.
// CHECK-LABEL: func.func @weight_grad
// CHECK:         %[[P:.+]] = memref.alloc() : memref<52x288x64xf32>
// CHECK:         linalg.generic {indexing_maps = [#{{.+}}, #{{.+}}, #[[ORIGIN:.+]], #{{.+}}], iterator_types = ["parallel", "parallel", "reduction"]}
// CHECK-SAME:      ins(%{{.+}}, %{{.+}}, %[[P]] : memref<288x?xf32>, memref<?x64xf32>, memref<52x288x64xf32>)
// CHECK-SAME:      outs(%{{.+}} : memref<288x64xf32>)
// CHECK-SAME:      attrs = {kiln.split_k}
// CHECK:         ^bb0(%[[X:.+]]: f32, %[[Y:.+]]: f32, %{{.+}}: f32, %[[OUT:.+]]: f32):
// CHECK:           %[[M:.+]] = arith.mulf %[[X]], %[[Y]]
// CHECK:           arith.addf %[[OUT]], %[[M]]

// Mapped: chunks of k / 52 rounded up to 16 steps, at least 256; as many
// blocks per tile as chunks (at most 52), block b on tile b % 5 over the
// (b / 5)-th chunk, its sums stored as partials; then one thread per
// output adds the active partials in order. With one chunk, the block adds
// its sums to the output and the second kernel does not run.
// MAPPED-LABEL: func.func @weight_grad
// MAPPED:         %[[K:.+]] = memref.dim %{{.+}}, %c1 : memref<288x?xf32>
// MAPPED:         %[[PER:.+]] = arith.ceildivui %[[K]], %c52
// MAPPED:         %[[STEPS:.+]] = arith.ceildivui %[[PER]], %c16
// MAPPED:         %[[ROUNDED:.+]] = arith.muli %[[STEPS]], %c16
// MAPPED:         %[[CHUNK:.+]] = arith.maxui %[[ROUNDED]], %c256
// MAPPED:         %[[ACTIVE:.+]] = arith.ceildivui %[[K]], %[[CHUNK]]
// MAPPED:         %[[BLOCKS:.+]] = arith.muli %[[ACTIVE]], %c5
// MAPPED:         gpu.launch_func @kiln_kernels::@weight_grad_matmul blocks in (%[[BLOCKS]], %c1, %c1) threads in (%c256, %c1, %c1)
// MAPPED:         %[[SEVERAL:.+]] = arith.cmpi ugt, %[[ACTIVE]], %c1
// MAPPED:         scf.if %[[SEVERAL]] {
// MAPPED:           %[[USED:.+]] = memref.subview %{{.+}}[0, 0, 0] [%[[ACTIVE]], 288, 64] [1, 1, 1]
// MAPPED:           gpu.launch_func @kiln_kernels::@weight_grad_loop blocks in (%c72, %c1, %c1) threads in (%c256, %c1, %c1) args({{.*}}%[[USED]]
// MAPPED:       gpu.func @weight_grad_matmul(
// MAPPED:         %[[B:.+]] = gpu.block_id x
// MAPPED:         %[[SPLIT:.+]] = arith.divui %[[B]], %c5
// MAPPED:         %[[BEGIN:.+]] = arith.muli %[[SPLIT]], %{{.+}}
// MAPPED:         scf.for %{{.+}} = %[[BEGIN]] to %{{.+}} step %c16
// MAPPED-COUNT-16:  math.fma
// MAPPED:         %[[TOPARTIALS:.+]] = arith.cmpi ugt, %{{.+}}, %c1
// MAPPED:         scf.if %[[TOPARTIALS]] {
// MAPPED:           memref.store %{{.+}}, %{{.+}}[%{{.+}}, %{{.+}}, %{{.+}}] : memref<52x288x64xf32>
// MAPPED:         } else {
// MAPPED:           %[[OLD:.+]] = memref.load %{{.+}} : memref<288x64xf32>
// MAPPED:           %[[NEW:.+]] = arith.addf %[[OLD]], %{{.+}}
// MAPPED:           memref.store %[[NEW]], %{{.+}} : memref<288x64xf32>
// MAPPED:       gpu.func @weight_grad_loop(
// MAPPED:         scf.for %{{.+}} = %c0 to %{{.+}} step %c1
// MAPPED:           memref.load %{{.+}} : memref<?x288x64xf32, strided<[18432, 64, 1]>>
// MAPPED:           arith.addf
// MAPPED:         memref.store %{{.+}} : memref<288x64xf32>
#lhs = affine_map<(m, n, k) -> (m, k)>
#rhs = affine_map<(m, n, k) -> (k, n)>
#out = affine_map<(m, n, k) -> (m, n)>
func.func @weight_grad(%x: memref<288x?xf32>, %g: memref<?x64xf32>, %w: memref<288x64xf32>) {
  linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %g : memref<288x?xf32>, memref<?x64xf32>) outs(%w : memref<288x64xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Not split: batch-sized outputs (blocks enough), a short static k, and
// outputs with 256 tiles already.
// CHECK-LABEL: func.func @not_split
// CHECK-NOT:     memref.alloc
// CHECK-NOT:     kiln.split_k
func.func @not_split(%a: memref<?x64xf32>, %b: memref<64x32xf32>, %c: memref<?x32xf32>,
                     %d: memref<64x1024xf32>, %e: memref<1024x32xf32>, %f: memref<64x32xf32>,
                     %x: memref<1024x?xf32>, %y: memref<?x1024xf32>, %z: memref<1024x1024xf32>) {
  linalg.matmul ins(%a, %b : memref<?x64xf32>, memref<64x32xf32>) outs(%c : memref<?x32xf32>)
  linalg.matmul ins(%d, %e : memref<64x1024xf32>, memref<1024x32xf32>) outs(%f : memref<64x32xf32>)
  linalg.matmul ins(%x, %y : memref<1024x?xf32>, memref<?x1024xf32>) outs(%z : memref<1024x1024xf32>)
  return
}
