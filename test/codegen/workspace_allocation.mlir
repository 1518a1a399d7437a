// RUN: kiln-opt %s --split-input-file --kiln-workspace-allocation --verify-diagnostics | FileCheck %s

// Contract 2: every buffer a compiled entry needs is a view into the
// caller's workspace (a trailing memref<?xi8>), at 64-byte aligned offsets,
// and the module records fixed + per-sample bytes per function. Here: one
// batch-sized buffer of 128 floats per sample (512 bytes per sample, a
// multiple of 64: no rounding) and one static 10x10 buffer (400 bytes -> 448
// aligned): fixed = 448, per sample = 512. Each offset is computed from the
// batch alone, not from the offset before it.
// CHECK: module attributes {kiln.workspace = {step = array<i64: 448, 512>}}
// CHECK-LABEL: func.func @step
// CHECK-SAME: %[[WS:[a-z0-9]+]]: memref<?xi8>)
// CHECK-NOT: memref.alloc
// CHECK-NOT: memref.dealloc
// CHECK-DAG: %[[B:.+]] = memref.dim %arg0, %c0
// CHECK-DAG: %[[C512:.+]] = arith.constant 512 : index
// CHECK: %[[OFF:.+]] = arith.muli %[[B]], %[[C512]] : index
// CHECK: memref.view %[[WS]][%c0{{.*}}][%{{.+}}] : memref<?xi8> to memref<?x128xf32>
// CHECK: memref.view %[[WS]][%[[OFF]]][] : memref<?xi8> to memref<10x10xf32>
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

// Rows of 3 floats (12 bytes): 12 * batch is a multiple of 64 once the
// batch is rounded up to a multiple of 16, so the buffer takes
// 12 * roundUp(batch, 16) bytes, at most 12 * 15 = 180 bytes more than
// 12 * batch (fixed). The buffer after it starts at 64 + that.
// CHECK: module attributes {kiln.workspace = {rows = array<i64: 308, 12>}}
// CHECK-LABEL: func.func @rows
// CHECK-DAG: %[[B:.+]] = memref.dim %arg0, %c0
// CHECK-DAG: %[[C15:.+]] = arith.constant 15 : index
// CHECK-DAG: %[[C12:.+]] = arith.constant 12 : index
// CHECK-DAG: %[[C64:.+]] = arith.constant 64 : index
// CHECK: %[[PAD:.+]] = arith.addi %[[B]], %[[C15]] : index
// CHECK: %[[DIV:.+]] = arith.divui %[[PAD]], %c16
// CHECK: %[[ROUNDED:.+]] = arith.muli %[[DIV]], %c16
// CHECK: %[[BYTES:.+]] = arith.muli %[[ROUNDED]], %[[C12]] : index
// CHECK: %[[OFF:.+]] = arith.addi %{{.+}}, %[[BYTES]] : index
// CHECK: memref.view %{{.+}}[%[[C64]]][%{{.+}}] : memref<?xi8> to memref<?x3xf32>
// CHECK: memref.view %{{.+}}[%[[OFF]]][] : memref<?xi8> to memref<2xf32>
func.func @rows(%x: memref<?x3xf32>) {
  %c0 = arith.constant 0 : index
  %b = memref.dim %x, %c0 : memref<?x3xf32>
  %s = memref.alloc() : memref<4xf32>
  %t = memref.alloc(%b) : memref<?x3xf32>
  %u = memref.alloc() : memref<2xf32>
  return
}

// -----

// A size that is not a multiple of the batch is an error, never a malloc.
func.func @unknown_size(%n: index) {
  // expected-error@+1 {{cannot place 'memref<?xf32>' in the workspace: its size is not a constant times the batch}}
  %t = memref.alloc(%n) : memref<?xf32>
  return
}

// -----

// An allocation is one range of the workspace: one that a loop carries to
// its next iteration (here through a view and an scf.if) would be
// overwritten by the next iteration's while that iteration reads it.
func.func @carried(%x: memref<4xf32>, %flag: i1) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %r = scf.for %i = %c0 to %c3 step %c1 iter_args(%s = %x) -> (memref<4xf32>) {
    // expected-error@+1 {{cannot place an allocation that a loop carries to its next iteration in the workspace: the next one would overwrite it}}
    %a = memref.alloc() : memref<2x2xf32>
    %v = memref.collapse_shape %a [[0, 1]] : memref<2x2xf32> into memref<4xf32>
    %next = scf.if %flag -> (memref<4xf32>) {
      scf.yield %v : memref<4xf32>
    } else {
      scf.yield %s : memref<4xf32>
    }
    memref.copy %s, %next : memref<4xf32> to memref<4xf32>
    scf.yield %next : memref<4xf32>
  }
  return
}

// -----

// A buffer that lives within its iteration is one range, reused by each.
// CHECK-LABEL: func.func @scratch_per_iteration
// CHECK:         scf.for
// CHECK:           memref.view
func.func @scratch_per_iteration(%x: memref<4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  scf.for %i = %c0 to %c3 step %c1 {
    %a = memref.alloc() : memref<4xf32>
    memref.copy %x, %a : memref<4xf32> to memref<4xf32>
    memref.copy %a, %x : memref<4xf32> to memref<4xf32>
  }
  return
}

// -----

// Nor can the iterations of a parallel loop share one.
func.func @per_iteration_of_parallel(%x: memref<8x4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  scf.parallel (%i) = (%c0) to (%c8) step (%c1) {
    // expected-error@+1 {{cannot place an allocation inside a parallel loop in the workspace: its iterations would share one buffer}}
    %t = memref.alloc() : memref<4xf32>
    %row = memref.subview %x[%i, 0] [1, 4] [1, 1] : memref<8x4xf32> to memref<4xf32, strided<[1], offset: ?>>
    memref.copy %row, %t : memref<4xf32, strided<[1], offset: ?>> to memref<4xf32>
    memref.copy %t, %row : memref<4xf32> to memref<4xf32, strided<[1], offset: ?>>
    scf.reduce
  }
  return
}

// -----

// Booleans take a byte each: a batch of 3 x i1 rows is 3 bytes per sample
// (rounded so that every view stays 64-byte aligned).
// CHECK: module attributes {kiln.workspace = {booleans = array<i64: 189, 3>}}
// CHECK-LABEL: func.func @booleans
// CHECK: memref.view %{{.+}}[%{{.+}}][%{{.+}}] : memref<?xi8> to memref<?x3xi1>
func.func @booleans(%x: memref<?x3xf32>, %out: memref<?x3xi1>) {
  %c0 = arith.constant 0 : index
  %b = memref.dim %x, %c0 : memref<?x3xf32>
  %m = memref.alloc(%b) {alignment = 64 : i64} : memref<?x3xi1>
  memref.copy %m, %out : memref<?x3xi1> to memref<?x3xi1>
  memref.dealloc %m : memref<?x3xi1>
  return
}
