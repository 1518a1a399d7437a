// RUN: kiln-opt %s --kiln-cuda-map-to-gpu="host-loops=true" --canonicalize | %run_on_host | FileCheck %s
// RUN: kiln-opt %s --kiln-cuda-map-to-gpu="host-loops=true reverse-host-order=true" --canonicalize | %run_on_host | FileCheck %s
// REQUIRES: mlir-runner

// A generic with a reduction iterator whose output is indexed by that
// dimension too: each step updates an element of its own (s += x
// elementwise), which is no sum over the row; mapped as one, the row's
// total landed in its first element. s = 1 + 2 = 3 everywhere.

#in = affine_map<(d0, d1) -> (d0, d1)>
func.func @accumulate(%x: memref<4x?xf32>, %s: memref<4x?xf32>) {
  linalg.generic {indexing_maps = [#in, #in], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<4x?xf32>) outs(%s : memref<4x?xf32>) {
  ^bb0(%v: f32, %acc: f32):
    %r = arith.addf %acc, %v : f32
    linalg.yield %r : f32
  }
  return
}

func.func private @printMemrefF32(memref<*xf32>)

// CHECK:      data =
// CHECK-NEXT: {{\[}}[3, 3, 3],
// CHECK-NEXT:  [3, 3, 3]]
func.func @main() {
  %n = arith.constant 600 : index
  %x = memref.alloc(%n) : memref<4x?xf32>
  %s = memref.alloc(%n) : memref<4x?xf32>
  %one = arith.constant 1.0 : f32
  %two = arith.constant 2.0 : f32
  linalg.fill ins(%two : f32) outs(%x : memref<4x?xf32>)
  linalg.fill ins(%one : f32) outs(%s : memref<4x?xf32>)
  func.call @accumulate(%x, %s) : (memref<4x?xf32>, memref<4x?xf32>) -> ()
  %corner = memref.subview %s[0, 0] [2, 3] [1, 1] : memref<4x?xf32> to memref<2x3xf32, strided<[?, 1]>>
  %any = memref.cast %corner : memref<2x3xf32, strided<[?, 1]>> to memref<*xf32>
  func.call @printMemrefF32(%any) : (memref<*xf32>) -> ()
  return
}
