// RUN: kiln-opt %s --pass-pipeline="builtin.module(func.func(kiln-cuda-split-k,kiln-cuda-fuse-into-matmul),kiln-cuda-map-to-gpu{host-loops=true},canonicalize)" | %run_on_host | FileCheck %s
// RUN: kiln-opt %s --pass-pipeline="builtin.module(func.func(kiln-cuda-split-k,kiln-cuda-fuse-into-matmul),kiln-cuda-map-to-gpu{host-loops=true reverse-host-order=true},canonicalize)" | %run_on_host | FileCheck %s
// REQUIRES: mlir-runner

// A weight gradient over a batch-sized k, split among blocks, that starts
// from zeros: kiln-cuda-fuse-into-matmul drops the fill and the product
// stores its sums (kiln.zero_init). With a batch of 0 it still writes its
// output, zeros; with 3000 rows, 12 chunks of 256 add their partial sums.

#lhs = affine_map<(m, n, k) -> (m, k)>
#rhs = affine_map<(m, n, k) -> (k, n)>
#out = affine_map<(m, n, k) -> (m, n)>
func.func @weight_grad(%x: memref<288x?xf32>, %g: memref<?x64xf32>, %w: memref<288x64xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%w : memref<288x64xf32>)
  linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %g : memref<288x?xf32>, memref<?x64xf32>) outs(%w : memref<288x64xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

func.func private @printMemrefF32(memref<*xf32>)

// The corner of the gradient, after the output held 7s.
func.func @run(%rows: index, %x0: f32, %g0: f32) {
  %x = memref.alloc(%rows) : memref<288x?xf32>
  %g = memref.alloc(%rows) : memref<?x64xf32>
  %w = memref.alloc() : memref<288x64xf32>
  %seven = arith.constant 7.0 : f32
  linalg.fill ins(%x0 : f32) outs(%x : memref<288x?xf32>)
  linalg.fill ins(%g0 : f32) outs(%g : memref<?x64xf32>)
  linalg.fill ins(%seven : f32) outs(%w : memref<288x64xf32>)
  func.call @weight_grad(%x, %g, %w) : (memref<288x?xf32>, memref<?x64xf32>, memref<288x64xf32>) -> ()
  %corner = memref.subview %w[286, 62] [2, 2] [1, 1] : memref<288x64xf32> to memref<2x2xf32, strided<[64, 1], offset: 18366>>
  %any = memref.cast %corner : memref<2x2xf32, strided<[64, 1], offset: 18366>> to memref<*xf32>
  func.call @printMemrefF32(%any) : (memref<*xf32>) -> ()
  memref.dealloc %x : memref<288x?xf32>
  memref.dealloc %g : memref<?x64xf32>
  memref.dealloc %w : memref<288x64xf32>
  return
}

// CHECK:      data =
// CHECK-NEXT: {{\[}}[0, 0],
// CHECK-NEXT:  [0, 0]]
// CHECK:      data =
// CHECK-NEXT: {{\[}}[1500, 1500],
// CHECK-NEXT:  [1500, 1500]]
func.func @main() {
  %none = arith.constant 0 : index
  %rows = arith.constant 3000 : index
  %half = arith.constant 0.5 : f32
  %one = arith.constant 1.0 : f32
  func.call @run(%none, %half, %one) : (index, f32, f32) -> ()
  func.call @run(%rows, %half, %one) : (index, f32, f32) -> ()
  return
}
