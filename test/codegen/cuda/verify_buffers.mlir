// RUN: kiln-opt %s --split-input-file --kiln-cuda-verify-buffers --verify-diagnostics | FileCheck %s

// Views of allocations, globals and arguments, through any view-like op:
// the premise of the CUDA buffer passes holds.
// CHECK-LABEL: func.func @views
memref.global "private" constant @table : memref<4xf32> = dense<1.0>
func.func @views(%x: memref<?x4xf32>, %out: memref<4xf32>) {
  %c0 = arith.constant 0 : index
  %t = memref.get_global @table : memref<4xf32>
  %a = memref.alloc() : memref<2x2xf32>
  %flat = memref.collapse_shape %a [[0, 1]] : memref<2x2xf32> into memref<4xf32>
  %row = memref.subview %x[%c0, 0] [1, 4] [1, 1] : memref<?x4xf32> to memref<4xf32, strided<[1], offset: ?>>
  memref.copy %row, %flat : memref<4xf32, strided<[1], offset: ?>> to memref<4xf32>
  memref.copy %t, %out : memref<4xf32> to memref<4xf32>
  return
}

// -----

// A memref a loop carries may be either of two buffers.
func.func @carried(%a: memref<4xf32>, %b: memref<4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  // expected-error@+1 {{cannot tell which buffer block argument #1 views (a memref carried by a loop or passed between blocks): kiln's GPU buffer passes need every memref to view one allocation or argument}}
  %r = scf.for %i = %c0 to %c3 step %c1 iter_args(%s = %a) -> (memref<4xf32>) {
    memref.copy %s, %b : memref<4xf32> to memref<4xf32>
    scf.yield %b : memref<4xf32>
  }
  return
}

// -----

// So may one an scf.if chooses, even through a view.
func.func @chosen(%a: memref<4xf32>, %b: memref<4xf32>, %flag: i1) {
  // expected-error@+1 {{cannot tell which buffer this result views (a memref chosen by control flow or made by an op that is not a view): kiln's GPU buffer passes need every memref to view one allocation or argument}}
  %m = scf.if %flag -> (memref<4xf32>) {
    scf.yield %a : memref<4xf32>
  } else {
    scf.yield %b : memref<4xf32>
  }
  %v = memref.expand_shape %m [[0, 1]] output_shape [2, 2] : memref<4xf32> into memref<2x2xf32>
  return
}
