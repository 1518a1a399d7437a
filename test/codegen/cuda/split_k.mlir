// RUN: kiln-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(kiln-cuda-split-k))" | FileCheck %s
// RUN: kiln-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(kiln-cuda-split-k),kiln-cuda-map-to-gpu,canonicalize)" | FileCheck %s --check-prefix=MAPPED
// RUN: kiln-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(kiln-cuda-split-k{narrow-tiles=false}))" | FileCheck %s --check-prefix=SQUARE
// RUN: kiln-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(kiln-cuda-split-k{wide-tile-min-tiles=64}))" | FileCheck %s --check-prefix=WIDE
// RUN: kiln-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(kiln-cuda-split-k{wide-tile-min-tiles=64}),kiln-cuda-map-to-gpu{wide-tile-min-tiles=64},canonicalize)" | FileCheck %s --check-prefix=WIDEMAPPED
// RUN: kiln-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(kiln-cuda-split-k{small-tiles=false}),kiln-cuda-map-to-gpu{small-tiles=false},canonicalize)" | FileCheck %s --check-prefix=NOSMALL
// RUN: not kiln-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(kiln-cuda-split-k{max-splits=1}))" 2>&1 | FileCheck %s --check-prefix=BADSPLITS
// BADSPLITS: error: max-splits must be at least 2, not 1
// RUN: not kiln-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(kiln-cuda-split-k{target-blocks=0}))" 2>&1 | FileCheck %s --check-prefix=BADBLOCKS
// BADBLOCKS: error: target-blocks must be positive, not 0
// RUN: not kiln-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(kiln-cuda-split-k{matmul-k-step=12}))" 2>&1 | FileCheck %s --check-prefix=BADSTEP
// BADSTEP: error: matmul-k-step must be 8, 16 or 32, not 12
// RUN: not kiln-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(kiln-cuda-split-k{wide-tile-min-tiles=-1}))" 2>&1 | FileCheck %s --check-prefix=BADWIDE
// BADWIDE: error: wide-tile-min-tiles must be at least 0, not -1

// A weight gradient: 288 x 64 outputs (5 x 1 tiles of 64) summed over a
// batch-sized k. 512 target blocks / 5 tiles: 103 splits of k, their
// partial sums in a buffer that becomes the product's last input.
// CHECK-LABEL: func.func @weight_grad
// CHECK:         %[[P:.+]] = memref.alloc() : memref<103x288x64xf32>
// CHECK:         linalg.generic {indexing_maps = [#{{.+}}, #{{.+}}, #[[ORIGIN:.+]], #{{.+}}], iterator_types = ["parallel", "parallel", "reduction"]}
// CHECK-SAME:      ins(%{{.+}}, %{{.+}}, %[[P]] : memref<288x?xf32>, memref<?x64xf32>, memref<103x288x64xf32>)
// CHECK-SAME:      outs(%{{.+}} : memref<288x64xf32>)
// CHECK-SAME:      attrs = {kiln.split_k}
// CHECK:         ^bb0(%[[X:.+]]: f32, %[[Y:.+]]: f32, %{{.+}}: f32, %[[OUT:.+]]: f32):
// CHECK:           %[[M:.+]] = arith.mulf %[[X]], %[[Y]]
// CHECK:           arith.addf %[[OUT]], %[[M]]

// Mapped: chunks of k / 103 rounded up to 16 steps, at least 256; as many
// blocks per tile as chunks (at most 103), block b on tile b % 5 over the
// (b / 5)-th chunk, its sums stored as partials; then one thread per
// output adds the active partials in order. With one chunk, the block adds
// its sums to the output and the second kernel does not run; with k = 0
// (a batch of 0) one block per tile still runs its empty chunk.
// MAPPED-LABEL: func.func @weight_grad
// MAPPED:         %[[K:.+]] = memref.dim %{{.+}}, %c1 : memref<288x?xf32>
// MAPPED:         %[[PER:.+]] = arith.ceildivui %[[K]], %c103
// MAPPED:         %[[STEPS:.+]] = arith.ceildivui %[[PER]], %c16
// MAPPED:         %[[ROUNDED:.+]] = arith.muli %[[STEPS]], %c16
// MAPPED:         %[[CHUNK:.+]] = arith.maxui %[[ROUNDED]], %c256
// MAPPED:         %[[CHUNKS:.+]] = arith.ceildivui %[[K]], %[[CHUNK]]
// MAPPED:         %[[ACTIVE:.+]] = arith.maxui %[[CHUNKS]], %c1
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
// MAPPED:           memref.store %{{.+}}, %{{.+}}[%{{.+}}, %{{.+}}, %{{.+}}] : memref<103x288x64xf32>
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
// outputs with 512 tiles already.
// CHECK-LABEL: func.func @not_split
// CHECK-NOT:     memref.alloc
// CHECK-NOT:     kiln.split_k
func.func @not_split(%a: memref<?x64xf32>, %b: memref<64x32xf32>, %c: memref<?x32xf32>,
                     %d: memref<64x1024xf32>, %e: memref<1024x32xf32>, %f: memref<64x32xf32>,
                     %x: memref<2048x?xf32>, %y: memref<?x1024xf32>, %z: memref<2048x1024xf32>) {
  linalg.matmul ins(%a, %b : memref<?x64xf32>, memref<64x32xf32>) outs(%c : memref<?x32xf32>)
  linalg.matmul ins(%d, %e : memref<64x1024xf32>, memref<1024x32xf32>) outs(%f : memref<64x32xf32>)
  linalg.matmul ins(%x, %y : memref<2048x?xf32>, memref<?x1024xf32>) outs(%z : memref<2048x1024xf32>)
  return
}

// -----

// A long sum into few outputs (a convolution's bias gradient: 16 channels,
// the batch times 24 x 24 positions long): its 16 outputs are one block's
// lanes, one group; 512 target blocks: 256 chunks (max-splits) of partial
// sums, one row of 16 per chunk.
// CHECK-LABEL: func.func @bias_grad_split
// CHECK:         %[[P:.+]] = memref.alloc() : memref<256x16xf32>
// CHECK:         linalg.generic {indexing_maps = [#{{.+}}, #[[ORIGIN:.+]], #{{.+}}], iterator_types = ["reduction", "reduction", "reduction", "parallel"]}
// CHECK-SAME:      ins(%{{.+}}, %[[P]] : memref<?x24x24x16xf32>, memref<256x16xf32>)
// CHECK-SAME:      attrs = {kiln.split_k}

// Mapped: chunks of length / 256, at least 32 terms for each of the 16
// threads that share an output (512); a block per chunk (at least one: a
// batch of 0), which stores its 16 totals in the chunk's row of partials
// when there are several chunks; then one thread per output adds the
// active chunks' totals in order.
// MAPPED-LABEL: func.func @bias_grad_split
// MAPPED:         %[[N:.+]] = memref.dim %{{.+}}, %c0 : memref<?x24x24x16xf32>
// MAPPED:         %[[LENGTH:.+]] = arith.muli %[[N]], %c576
// MAPPED:         %[[PER:.+]] = arith.ceildivui %[[LENGTH]], %c256
// MAPPED:         %[[CHUNK:.+]] = arith.maxui %[[PER]], %c512
// MAPPED:         %[[CHUNKS:.+]] = arith.ceildivui %[[LENGTH]], %[[CHUNK]]
// MAPPED:         %[[ACTIVE:.+]] = arith.maxui %[[CHUNKS]], %c1
// MAPPED:         gpu.launch_func @kiln_kernels::@bias_grad_split_sum blocks in (%[[ACTIVE]], %c1, %c1) threads in (%c256, %c1, %c1)
// MAPPED:         %[[SEVERAL:.+]] = arith.cmpi ugt, %[[ACTIVE]], %c1
// MAPPED:         scf.if %[[SEVERAL]] {
// MAPPED:           %[[USED:.+]] = memref.subview %{{.+}}[0, 0] [%[[ACTIVE]], 16] [1, 1]
// MAPPED:           gpu.launch_func @kiln_kernels::@bias_grad_split_loop blocks in (%c1, %c1, %c1) threads in (%c32, %c1, %c1) args({{.*}}%[[USED]] :
// MAPPED:       gpu.func @bias_grad_split_sum(
// MAPPED:         %[[B:.+]] = gpu.block_id x
// MAPPED:         %[[T:.+]] = gpu.thread_id x
// MAPPED:         %[[LANE:.+]] = arith.remui %[[T]], %c16
// MAPPED:         %[[SPLIT:.+]] = arith.divui %[[T]], %c16
// MAPPED:         %[[BEGIN:.+]] = arith.muli %[[B]], %{{.+}}
// MAPPED:         %[[FROM:.+]] = arith.addi %[[BEGIN]], %[[SPLIT]]
// MAPPED:         scf.for %{{.+}} = %[[FROM]] to %{{.+}} step %c16 iter_args(
// MAPPED:         %[[TOPARTIALS:.+]] = arith.cmpi ugt, %{{.+}}, %c1
// MAPPED:         scf.if %[[TOPARTIALS]] {
// MAPPED:           memref.store %{{.+}}, %{{.+}}[%[[B]], %[[LANE]]] : memref<256x16xf32>
// MAPPED:         } else {
// MAPPED:           %[[OLD:.+]] = memref.load %{{.+}} : memref<16xf32>
// MAPPED:           %[[NEW:.+]] = arith.addf %[[OLD]], %{{.+}}
// MAPPED:           memref.store %[[NEW]], %{{.+}} : memref<16xf32>
// MAPPED:       gpu.func @bias_grad_split_loop(
// MAPPED:         scf.for %[[S:.+]] = %c0 to %{{.+}} step %c1 iter_args(
// MAPPED:           memref.load %{{.+}}[%[[S]], %{{.+}}] : memref<?x16xf32, strided<[16, 1]>>
// MAPPED:           arith.addf
// MAPPED:         memref.store %{{.+}} : memref<16xf32>
#in4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#ch = affine_map<(d0, d1, d2, d3) -> (d3)>
func.func @bias_grad_split(%dy: memref<?x24x24x16xf32>, %db: memref<16xf32>) {
  linalg.generic {indexing_maps = [#in4, #ch], iterator_types = ["reduction", "reduction", "reduction", "parallel"]}
      ins(%dy : memref<?x24x24x16xf32>) outs(%db : memref<16xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %s = arith.addf %in, %acc : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Sums not split: a static reduction too short for two chunks of 512
// terms (4 x 8 x 8 = 256), and outputs that fill blocks already (2^14
// outputs: worthBlockReduction's limit, 512 groups of 32).
// CHECK-LABEL: func.func @sums_not_split
// CHECK-NOT:     memref.alloc
// CHECK-NOT:     kiln.split_k
#short = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#shortch = affine_map<(d0, d1, d2, d3) -> (d3)>
#wide = affine_map<(d0, d1) -> (d0, d1)>
#widecol = affine_map<(d0, d1) -> (d1)>
func.func @sums_not_split(%dy: memref<4x8x8x16xf32>, %db: memref<16xf32>, %g: memref<?x16384xf32>, %s: memref<16384xf32>) {
  linalg.generic {indexing_maps = [#short, #shortch], iterator_types = ["reduction", "reduction", "reduction", "parallel"]}
      ins(%dy : memref<4x8x8x16xf32>) outs(%db : memref<16xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %t = arith.addf %in, %acc : f32
    linalg.yield %t : f32
  }
  linalg.generic {indexing_maps = [#wide, #widecol], iterator_types = ["reduction", "parallel"]}
      ins(%g : memref<?x16384xf32>) outs(%s : memref<16384xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %t = arith.addf %in, %acc : f32
    linalg.yield %t : f32
  }
  return
}

// -----

// A loss: one output, the batch long. Its chunks' totals are one column of
// partials, added by a kernel of one thread launched only where several
// chunks ran.
// CHECK-LABEL: func.func @loss_split
// CHECK:         memref.alloc() : memref<256x1xf32>
// CHECK:         attrs = {kiln.split_k}
// MAPPED-LABEL: func.func @loss_split
// MAPPED:         %[[CHUNK:.+]] = arith.maxui %{{.+}}, %c8192
// MAPPED:         gpu.launch_func @kiln_kernels::@loss_split_sum
// MAPPED:         %[[SEVERAL:.+]] = arith.cmpi ugt, %{{.+}}, %c1
// MAPPED-NEXT:    scf.if %[[SEVERAL]] {
// MAPPED:           gpu.launch_func @kiln_kernels::@loss_split_loop blocks in (%c1, %c1, %c1) threads in (%c32, %c1, %c1)
// MAPPED:         }
// MAPPED-NEXT:    return
#all = affine_map<(d0) -> (d0)>
#none = affine_map<(d0) -> ()>
func.func @loss_split(%terms: memref<?xf32>, %loss: memref<f32>) {
  linalg.generic {indexing_maps = [#all, #none], iterator_types = ["reduction"]}
      ins(%terms : memref<?xf32>) outs(%loss : memref<f32>) {
  ^bb0(%in: f32, %acc: f32):
    %t = arith.addf %in, %acc : f32
    linalg.yield %t : f32
  }
  return
}

// -----

// A loss's mean: the thread that stores the sum of one chunk (the batch up
// to 8192) also runs the scalar op after it, no kernel of its own; after
// several chunks, it runs on one thread after their addition.
// MAPPED-LABEL: func.func @loss_mean
// MAPPED:         gpu.launch_func @kiln_kernels::@loss_mean_sum
// MAPPED:         %[[SEVERAL:.+]] = arith.cmpi ugt, %{{.+}}, %c1
// MAPPED-NEXT:    scf.if %[[SEVERAL]] {
// MAPPED:           gpu.launch_func @kiln_kernels::@loss_mean_loop blocks in (%c1, %c1, %c1) threads in (%c32, %c1, %c1)
// MAPPED:         }
// MAPPED-NEXT:    %[[AGAIN:.+]] = arith.cmpi ugt, %{{.+}}, %c1
// MAPPED-NEXT:    scf.if %[[AGAIN]] {
// MAPPED-NEXT:      gpu.launch_func @kiln_kernels::@loss_mean_serial blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
// MAPPED-NEXT:    }
// MAPPED-NEXT:    return
// MAPPED:       gpu.func @loss_mean_serial
// MAPPED:         arith.divf
// MAPPED:         arith.negf
// MAPPED:       gpu.func @loss_mean_sum
// MAPPED:         gpu.barrier
// MAPPED:         scf.if
// MAPPED:           memref.store %{{.+}}, %{{.+}}[] : memref<f32>
// MAPPED-NEXT:      %[[SUM:.+]] = memref.load %{{.+}}[] : memref<f32>
// MAPPED-NEXT:      %[[MEAN:.+]] = arith.divf %[[SUM]], %{{.+}} : f32
// MAPPED-NEXT:      %[[NEG:.+]] = arith.negf %[[MEAN]] : f32
// MAPPED-NEXT:      memref.store %[[NEG]], %{{.+}}[] : memref<f32>
#all = affine_map<(d0) -> (d0)>
#none = affine_map<(d0) -> ()>
#scalar = affine_map<() -> ()>
func.func @loss_mean(%terms: memref<?xf32>, %sum: memref<f32>, %n: f32, %loss: memref<f32>) {
  linalg.generic {indexing_maps = [#all, #none], iterator_types = ["reduction"]}
      ins(%terms : memref<?xf32>) outs(%sum : memref<f32>) {
  ^bb0(%in: f32, %acc: f32):
    %t = arith.addf %in, %acc : f32
    linalg.yield %t : f32
  }
  linalg.generic {indexing_maps = [#scalar, #scalar], iterator_types = []}
      ins(%sum : memref<f32>) outs(%loss : memref<f32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.divf %in, %n : f32
    %l = arith.negf %m : f32
    linalg.yield %l : f32
  }
  return
}

// -----

// Tiles are counted in the shape kiln-cuda-map-to-gpu gives the product: a
// 1024 x 16 weight gradient is 4 tiles of 256 x 16 (128 splits), not 16
// tiles of 64 x 64 (32 splits); with narrow-tiles=false, the latter.
// CHECK-LABEL: func.func @narrow_weight_grad
// CHECK:         memref.alloc() : memref<128x1024x16xf32>
// SQUARE-LABEL: func.func @narrow_weight_grad
// SQUARE:         memref.alloc() : memref<32x1024x16xf32>
func.func @narrow_weight_grad(%x: memref<1024x?xf32>, %g: memref<?x16xf32>, %w: memref<1024x16xf32>) {
  linalg.matmul ins(%x, %g : memref<1024x?xf32>, memref<?x16xf32>) outs(%w : memref<1024x16xf32>)
  return
}

// -----

// A wide weight gradient, 1024 x 1024: 64 tiles of 128 x 128 (kWideTiling)
// are under the 256 a wide tiling needs by default, so 256 tiles of 64 and
// 2 splits; with wide-tile-min-tiles=64 the 64 wide tiles and 8 splits,
// and kiln-cuda-map-to-gpu, given the same option, maps them so: 64 blocks
// per chunk, staged 8 steps of k at a time.
// CHECK-LABEL: func.func @wide_weight_grad
// CHECK:         memref.alloc() : memref<2x1024x1024xf32>
// WIDE-LABEL:  func.func @wide_weight_grad
// WIDE:          memref.alloc() : memref<8x1024x1024xf32>
// WIDEMAPPED-LABEL: func.func @wide_weight_grad
// WIDEMAPPED:      %[[K:.+]] = memref.dim %{{.+}}, %c1 : memref<1024x?xf32>
// WIDEMAPPED:      %[[PER:.+]] = arith.ceildivui %[[K]], %c8
// WIDEMAPPED:      %[[STEPS:.+]] = arith.ceildivui %[[PER]], %c8
// WIDEMAPPED:      %[[ROUNDED:.+]] = arith.muli %[[STEPS]], %c8
// WIDEMAPPED:      %[[CHUNK:.+]] = arith.maxui %[[ROUNDED]], %c256
// WIDEMAPPED:      %[[CHUNKS:.+]] = arith.ceildivui %[[K]], %[[CHUNK]]
// WIDEMAPPED:      %[[ACTIVE:.+]] = arith.maxui %[[CHUNKS]], %c1
// WIDEMAPPED:      %[[BLOCKS:.+]] = arith.muli %[[ACTIVE]], %c64
// WIDEMAPPED:      gpu.launch_func @kiln_kernels::@wide_weight_grad_matmul blocks in (%[[BLOCKS]], %c1, %c1)
// WIDEMAPPED:    gpu.func @wide_weight_grad_matmul({{.*}}) workgroup(%{{.+}} : memref<16x128xf32, #gpu.address_space<workgroup>>, %{{.+}} : memref<16x128xf32, #gpu.address_space<workgroup>>)
func.func @wide_weight_grad(%x: memref<1024x?xf32>, %g: memref<?x1024xf32>, %w: memref<1024x1024xf32>) {
  linalg.matmul ins(%x, %g : memref<1024x?xf32>, memref<?x1024xf32>) outs(%w : memref<1024x1024xf32>)
  return
}

// -----

// A first convolution's weight gradient, 3 x 3 x 1 -> 16 channels: 9 x 16
// outputs. A 64 x 64 tile would compute 4096 elements for its 144; a
// 32 x 32 one (kSmallTiling) 1024, a quarter: it takes that, staged 32
// steps of k at a time, one tile in 256 splits (max-splits) of k. With
// small-tiles=false, the 64 x 64 tile staged 16 steps.
// CHECK-LABEL: func.func @small_weight_grad
// CHECK:         memref.alloc() : memref<256x9x16xf32>
// MAPPED-LABEL: func.func @small_weight_grad
// MAPPED:         %[[K:.+]] = memref.dim %{{.+}}, %c1 : memref<9x?xf32>
// MAPPED:         %[[PER:.+]] = arith.ceildivui %[[K]], %c256
// MAPPED:         %[[STEPS:.+]] = arith.ceildivui %[[PER]], %c32
// MAPPED:         gpu.launch_func @kiln_kernels::@small_weight_grad_matmul blocks
// MAPPED:       gpu.func @small_weight_grad_matmul({{.*}}) workgroup(%{{.+}} : memref<64x32xf32, #gpu.address_space<workgroup>>, %{{.+}} : memref<64x32xf32, #gpu.address_space<workgroup>>)
// MAPPED:         scf.for %{{.+}} step %c32 iter_args(
// MAPPED-COUNT-128: math.fma
// MAPPED-NOT:       math.fma
// MAPPED:           gpu.barrier
// NOSMALL-LABEL: func.func @small_weight_grad
// NOSMALL:       gpu.func @small_weight_grad_matmul({{.*}}) workgroup(%{{.+}} : memref<32x64xf32, #gpu.address_space<workgroup>>, %{{.+}} : memref<32x64xf32, #gpu.address_space<workgroup>>)
// NOSMALL:         scf.for %{{.+}} step %c16 iter_args(
func.func @small_weight_grad(%x: memref<9x?xf32>, %g: memref<?x16xf32>, %w: memref<9x16xf32>) {
  linalg.matmul ins(%x, %g : memref<9x?xf32>, memref<?x16xf32>) outs(%w : memref<9x16xf32>)
  return
}
