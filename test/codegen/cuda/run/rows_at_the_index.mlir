// RUN: kiln-opt %s --kiln-cuda-map-to-gpu="host-loops=true" --canonicalize | %run_on_host | FileCheck %s
// RUN: kiln-opt %s --kiln-cuda-map-to-gpu="host-loops=true reverse-host-order=true" --canonicalize | %run_on_host | FileCheck %s
// REQUIRES: mlir-runner

// A loop that reads a value from memory (so it runs on the GPU, as one
// kernel) and touches row i of what it writes: its rows split among
// blocks by the loop's own index, with no rows to read ahead. Each row is
// divided by its first element, read before the row is updated: ones.

#row = affine_map<(d0) -> (d0)>
func.func @normalize_rows(%x: memref<8x64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  scf.for %i = %c0 to %c8 step %c1 {
    %v = memref.load %x[%i, %c0] : memref<8x64xf32>
    %r = memref.subview %x[%i, 0] [1, 64] [1, 1] : memref<8x64xf32> to memref<64xf32, strided<[1], offset: ?>>
    linalg.generic {indexing_maps = [#row], iterator_types = ["parallel"]}
        outs(%r : memref<64xf32, strided<[1], offset: ?>>) {
    ^bb0(%o: f32):
      %q = arith.divf %o, %v : f32
      linalg.yield %q : f32
    }
  }
  return
}

func.func private @printMemrefF32(memref<*xf32>)

// CHECK:      data =
// CHECK-NEXT: {{\[}}[1, 1, 1],
// CHECK-NEXT:  [1, 1, 1]]
func.func @main() {
  %x = memref.alloc() : memref<8x64xf32>
  %four = arith.constant 4.0 : f32
  linalg.fill ins(%four : f32) outs(%x : memref<8x64xf32>)
  func.call @normalize_rows(%x) : (memref<8x64xf32>) -> ()
  %corner = memref.subview %x[6, 61] [2, 3] [1, 1] : memref<8x64xf32> to memref<2x3xf32, strided<[64, 1], offset: 445>>
  %any = memref.cast %corner : memref<2x3xf32, strided<[64, 1], offset: 445>> to memref<*xf32>
  func.call @printMemrefF32(%any) : (memref<*xf32>) -> ()
  return
}
