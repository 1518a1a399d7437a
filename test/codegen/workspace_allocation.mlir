// RUN: kiln-opt %s --split-input-file --kiln-workspace-allocation --verify-diagnostics | FileCheck %s

// Contract 2: every buffer a compiled entry needs is a view into the
// caller's workspace (a trailing memref<?xi8>), at 64-byte aligned offsets,
// and the module records fixed + per-sample bytes per function. Here: one
// batch-sized buffer of 128 floats per sample (512 bytes per sample, and 64
// fixed bytes of slack for rounding it up to 64) and one static 10x10 buffer
// (400 bytes -> 448 aligned): fixed = 448 + 64 = 512, per sample = 512.
// CHECK: module attributes {kiln.workspace = {step = array<i64: 512, 512>}}
// CHECK-LABEL: func.func @step
// CHECK-SAME: %[[WS:[a-z0-9]+]]: memref<?xi8>)
// CHECK-NOT: memref.alloc
// CHECK-NOT: memref.dealloc
// CHECK-DAG: %[[B:.+]] = memref.dim %arg0, %c0
// CHECK: memref.view %[[WS]][%{{.+}}][%{{.+}}] : memref<?xi8> to memref<?x128xf32>
// CHECK: memref.view %[[WS]][%{{.+}}][] : memref<?xi8> to memref<10x10xf32>
func.func @step(%x: memref<?x784xf32>, %out: memref<?x128xf32>) {
  %c0 = arith.constant 0 : index
  %b = memref.dim %x, %c0 : memref<?x784xf32>
  %t = memref.alloc(%b) {alignment = 64 : i64} : memref<?x128xf32>
  %s = memref.alloc() {alignment = 64 : i64} : memref<10x10xf32>
  memref.copy %t, %out : memref<?x128xf32> to memref<?x128xf32>
  memref.dealloc %t : memref<?x128xf32>
  memref.dealloc %s : memref<10x10xf32>
  return
}

// -----

// A size that is not a multiple of the batch is an error, never a malloc.
func.func @unknown_size(%n: index) {
  // expected-error@+1 {{cannot place 'memref<?xf32>' in the workspace: its size is not a constant times the batch}}
  %t = memref.alloc(%n) : memref<?xf32>
  return
}
