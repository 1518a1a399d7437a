// RUN: kiln-opt %s --kiln-cpu-segment-entries="max-ops=2" --split-input-file | FileCheck %s
// RUN: kiln-opt %s --kiln-cpu-segment-entries --split-input-file | FileCheck %s --check-prefix=DEFAULT

// Three operations with effects, two per segment: two segments, called in
// order. Each segment recomputes the constants, the batch size and the
// workspace views it uses; the entry's arguments it reads are its own.

// CHECK-LABEL: func.func @step(
// CHECK-SAME:      %[[X:.+]]: memref<?x16xf32>, %[[W:.+]]: memref<16x16xf32>, %[[Y:.+]]: memref<?x16xf32>, %[[WS:.+]]: memref<?xi8>)
// CHECK-NEXT:    call @step__seg0(%[[WS]], %[[X]], %[[W]])
// CHECK-NEXT:    call @step__seg1(%[[WS]], %[[X]], %[[W]], %[[Y]])
// CHECK-NEXT:    return
// CHECK:       func.func private @step__seg0(%[[WS0:.+]]: memref<?xi8>, %[[X0:.+]]: memref<?x16xf32>, %[[W0:.+]]: memref<16x16xf32>)
// CHECK-SAME:      attributes {llvm.linkage = #llvm.linkage<internal>, passthrough = ["noinline"]}
// CHECK:         %[[N0:.+]] = memref.dim %[[X0]]
// CHECK:         %[[T0:.+]] = memref.view %[[WS0]][%{{.+}}][%[[N0]]]
// CHECK:         linalg.fill {{.*}} outs(%[[T0]]
// CHECK:         linalg.matmul ins(%[[X0]], %[[W0]] {{.*}} outs(%[[T0]]
// CHECK:         return
// CHECK:       func.func private @step__seg1(%[[WS1:.+]]: memref<?xi8>, %[[X1:.+]]: memref<?x16xf32>, %[[W1:.+]]: memref<16x16xf32>, %[[Y1:.+]]: memref<?x16xf32>)
// CHECK:         %[[T1:.+]] = memref.view %[[WS1]]
// CHECK:         linalg.matmul ins(%[[T1]], %[[W1]] {{.*}} outs(%[[Y1]]
// CHECK:         return

// An entry no longer than max-ops is left alone.
// DEFAULT-LABEL: func.func @step(
// DEFAULT-NOT:     call
// DEFAULT:         linalg.fill
// DEFAULT-NOT:   func.func private @step__seg
func.func @step(%x: memref<?x16xf32>, %w: memref<16x16xf32>, %y: memref<?x16xf32>, %ws: memref<?xi8>) {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %n = memref.dim %x, %c0 : memref<?x16xf32>
  %t = memref.view %ws[%c0][%n] : memref<?xi8> to memref<?x16xf32>
  linalg.fill ins(%zero : f32) outs(%t : memref<?x16xf32>)
  linalg.matmul ins(%x, %w : memref<?x16xf32>, memref<16x16xf32>) outs(%t : memref<?x16xf32>)
  linalg.matmul ins(%t, %w : memref<?x16xf32>, memref<16x16xf32>) outs(%y : memref<?x16xf32>)
  return
}

// -----

// A value a segment computes and a later one uses is returned; one whose
// computation is long (an offset adding up many buffers) is passed as an
// argument rather than recomputed.

// CHECK-LABEL: func.func @carried(
// CHECK:         %[[S:.+]] = call @carried__seg0(
// CHECK-NEXT:    call @carried__seg1(%[[S]], %{{.+}}, %{{.+}}) : (f32, memref<?xi8>, index) -> ()
// CHECK:       func.func private @carried__seg0({{.*}}) -> f32
// CHECK:         %[[V:.+]] = memref.load
// CHECK:         return %[[V]] : f32
// CHECK:       func.func private @carried__seg1(
// CHECK-NOT:     arith.addi
// CHECK:         memref.view
// CHECK:         memref.store
func.func @carried(%a: memref<4xf32>, %ws: memref<?xi8>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %o1 = arith.addi %c0, %c64 : index
  %o2 = arith.addi %o1, %c64 : index
  %o3 = arith.addi %o2, %c64 : index
  %o4 = arith.addi %o3, %c64 : index
  %o5 = arith.addi %o4, %c64 : index
  %o6 = arith.addi %o5, %c64 : index
  %o7 = arith.addi %o6, %c64 : index
  %o8 = arith.addi %o7, %c64 : index
  %o9 = arith.addi %o8, %c64 : index
  %v = memref.load %a[%c0] : memref<4xf32>
  memref.store %v, %a[%c1] : memref<4xf32>
  %b = memref.view %ws[%o9][] : memref<?xi8> to memref<4xf32>
  memref.store %v, %b[%c0] : memref<4xf32>
  return
}
