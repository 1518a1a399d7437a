// RUN: kiln-opt %s --split-input-file --kiln-cuda-map-to-gpu --verify-diagnostics
// RUN: not kiln-opt %s --split-input-file --kiln-cuda-map-to-gpu="block-size=100" 2>&1 | FileCheck %s --check-prefix=BLOCK
// BLOCK: error: block-size must be a multiple of 32 in [32, 1024]
// RUN: not kiln-opt %s --split-input-file --kiln-cuda-map-to-gpu="matmul-tile=96" 2>&1 | FileCheck %s --check-prefix=TILE
// TILE: error: matmul-tile must be 32, 64 or 128, not 96
// RUN: not kiln-opt %s --split-input-file --kiln-cuda-map-to-gpu="matmul-k-step=4" 2>&1 | FileCheck %s --check-prefix=KSTEP
// KSTEP: error: matmul-k-step must be 8, 16 or 32, not 4
// RUN: not kiln-opt %s --split-input-file --kiln-cuda-map-to-gpu="wide-tile-min-tiles=-2" 2>&1 | FileCheck %s --check-prefix=WIDE
// WIDE: error: wide-tile-min-tiles must be at least 0, not -2
// RUN: not kiln-opt %s --split-input-file --kiln-cuda-map-to-gpu="precision=fp16" 2>&1 | FileCheck %s --check-prefix=PRECISION
// PRECISION: error: precision must be fp32, tf32 or bf16, not 'fp16'
// RUN: not kiln-opt %s --split-input-file --kiln-cuda-map-to-gpu="precision=bf16 matmul-k-step=8" 2>&1 | FileCheck %s --check-prefix=BF16STEP
// BF16STEP: error: precision bf16 multiplies 16 steps of k at a time: matmul-k-step 8 is not a multiple
// RUN: not kiln-opt %s --split-input-file --kiln-cuda-map-to-gpu="reverse-host-order=true" 2>&1 | FileCheck %s --check-prefix=REVERSE
// REVERSE: error: reverse-host-order and host-order-global order host loops: they need host-loops
// RUN: not kiln-opt %s --split-input-file --kiln-cuda-map-to-gpu="host-order-global=order" 2>&1 | FileCheck %s --check-prefix=REVERSE
// RUN: not kiln-opt %s --split-input-file --kiln-cuda-map-to-gpu="host-loops=true reverse-host-order=true host-order-global=order" 2>&1 | FileCheck %s --check-prefix=ORDERS
// ORDERS: error: reverse-host-order fixes the order that host-order-global reads at run time: give one

func.func @host_reads_device(%x: memref<f32>, %y: memref<f32>) -> f32 {
  // A value loaded from a device buffer cannot reach host code.
  // expected-error @+1 {{cannot run an op whose results the host uses on the GPU}}
  %v = memref.load %x[] : memref<f32>
  return %v : f32
}

// -----

func.func @parallel_reduction(%x: memref<8xf32>, %out: memref<f32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %zero = arith.constant 0.0 : f32
  // expected-error @+1 {{cannot map a parallel loop with reductions to the GPU}}
  %sum = scf.parallel (%i) = (%c0) to (%c8) step (%c1) init (%zero) -> f32 {
    %v = memref.load %x[%i] : memref<8xf32>
    scf.reduce(%v : f32) {
    ^bb0(%a: f32, %b: f32):
      %s = arith.addf %a, %b : f32
      scf.reduce.return %s : f32
    }
  }
  memref.store %sum, %out[] : memref<f32>
  return
}

// -----

// kiln.zero_init (kiln-cuda-fuse-into-matmul) says the op stores its sums
// instead of adding them: only the product and shared-sum mappings do that.
func.func @zero_init_not_a_product(%x: memref<8xf32>, %y: memref<8xf32>) {
  // expected-error @+1 {{kiln.zero_init marks no matrix product or shared sum}}
  linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]}
      ins(%x : memref<8xf32>) outs(%y : memref<8xf32>) attrs = {kiln.zero_init} {
  ^bb0(%in: f32, %out: f32):
    %s = arith.addf %in, %out : f32
    linalg.yield %s : f32
  }
  return
}

// -----

func.func @indexed_loop_with_product(%ids: memref<?xi32>, %a: memref<4x8xf32>, %b: memref<8x4xf32>, %c: memref<4x4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %one = arith.constant 1.0 : f32
  %n = memref.dim %ids, %c0 : memref<?xi32>
  // A loop that reads indices from memory runs as one block, which cannot
  // hold the product's own kernel.
  // expected-error @+1 {{cannot map a loop that reads indices from memory and holds matrix products or long sums to the GPU}}
  scf.for %i = %c0 to %n step %c1 {
    %id = memref.load %ids[%i] : memref<?xi32>
    %r = arith.index_cast %id : i32 to index
    %row = memref.subview %c[%r, 0] [1, 4] [1, 1] : memref<4x4xf32> to memref<1x4xf32, strided<[4, 1], offset: ?>>
    linalg.matmul ins(%a, %b : memref<4x8xf32>, memref<8x4xf32>) outs(%c : memref<4x4xf32>)
    linalg.fill ins(%one : f32) outs(%row : memref<1x4xf32, strided<[4, 1], offset: ?>>)
  }
  return
}

// -----

// kiln.split_k (kiln-cuda-split-k) marks a product or a shared sum whose
// last input is its partial sums: here the sum's partials have 8 columns
// for its 16 outputs.
#dyrows = affine_map<(d0, d1) -> (d0, d1)>
#dycols = affine_map<(d0, d1) -> (d1)>
#origin = affine_map<(d0, d1) -> (0, 0)>
func.func @split_sum_wrong_partials(%dy: memref<?x16xf32>, %p: memref<4x8xf32>, %db: memref<16xf32>) {
  // expected-error @+1 {{kiln.split_k marks no matrix product or sum with a partial-sum buffer}}
  linalg.generic {indexing_maps = [#dyrows, #origin, #dycols], iterator_types = ["reduction", "parallel"]}
      ins(%dy, %p : memref<?x16xf32>, memref<4x8xf32>) outs(%db : memref<16xf32>) attrs = {kiln.split_k} {
  ^bb0(%in: f32, %unused: f32, %acc: f32):
    %s = arith.addf %in, %acc : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// linalg on tensors (a module not bufferized yet) is refused, not mapped.
func.func @on_tensors(%x: tensor<8xf32>) -> tensor<8xf32> {
  %e = tensor.empty() : tensor<8xf32>
  // expected-error @+1 {{works on tensors: kiln-cuda-map-to-gpu maps bufferized linalg (memrefs)}}
  %y = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%x : tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%a: f32, %b: f32):
    %n = arith.negf %a : f32
    linalg.yield %n : f32
  } -> tensor<8xf32>
  return %y : tensor<8xf32>
}
