// RUN: kiln-opt %s --kiln-cuda-map-to-gpu="host-loops=true" --canonicalize | %run_on_host | FileCheck %s
// RUN: kiln-opt %s --kiln-cuda-map-to-gpu="host-loops=true reverse-host-order=true" --canonicalize | %run_on_host | FileCheck %s
// REQUIRES: mlir-runner

// C += A B, then an elementwise op that reads the sums twice, once through
// another view of C: it is not the product's epilogue (whose other inputs
// are loaded before the sums are stored), so it reads the new C both
// times. C = (1 + 5 * 1)^2 = 36.

#lhs = affine_map<(m, n, k) -> (m, k)>
#rhs = affine_map<(m, n, k) -> (k, n)>
#out = affine_map<(m, n, k) -> (m, n)>
#id = affine_map<(i, j) -> (i, j)>
func.func @product(%a: memref<64x5xf32>, %b: memref<5x64xf32>, %c: memref<64x64xf32>) {
  linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<64x5xf32>, memref<5x64xf32>) outs(%c : memref<64x64xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  %view = memref.cast %c : memref<64x64xf32> to memref<?x?xf32>
  linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%c, %view : memref<64x64xf32>, memref<?x?xf32>) outs(%c : memref<64x64xf32>) {
  ^bb0(%s: f32, %t: f32, %o: f32):
    %q = arith.mulf %s, %t : f32
    linalg.yield %q : f32
  }
  return
}

func.func private @printMemrefF32(memref<*xf32>)

// CHECK:      data =
// CHECK-NEXT: {{\[}}[36, 36],
// CHECK-NEXT:  [36, 36]]
func.func @main() {
  %a = memref.alloc() : memref<64x5xf32>
  %b = memref.alloc() : memref<5x64xf32>
  %c = memref.alloc() : memref<64x64xf32>
  %one = arith.constant 1.0 : f32
  linalg.fill ins(%one : f32) outs(%a : memref<64x5xf32>)
  linalg.fill ins(%one : f32) outs(%b : memref<5x64xf32>)
  linalg.fill ins(%one : f32) outs(%c : memref<64x64xf32>)
  func.call @product(%a, %b, %c) : (memref<64x5xf32>, memref<5x64xf32>, memref<64x64xf32>) -> ()
  %corner = memref.subview %c[62, 62] [2, 2] [1, 1] : memref<64x64xf32> to memref<2x2xf32, strided<[64, 1], offset: 4030>>
  %any = memref.cast %corner : memref<2x2xf32, strided<[64, 1], offset: 4030>> to memref<*xf32>
  func.call @printMemrefF32(%any) : (memref<*xf32>) -> ()
  return
}
