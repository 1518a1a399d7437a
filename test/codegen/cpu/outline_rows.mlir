// RUN: kiln-opt %s --kiln-cpu-outline-kernels="min-loops=1 parallel-elements=65536" | FileCheck %s
// RUN: kiln-opt %s --kiln-cpu-outline-kernels="min-loops=1" | FileCheck %s --check-prefix=SERIAL

// With parallel-elements, a kernel whose rows (its loop 0) are independent
// is called through a dispatcher `__rows`: from 65536 iterations on, it calls
// the kernel on slices of rows in an scf.parallel, else once on all rows.
// The kernel (on row slices: dynamic offsets) exists once; operands without
// rows (a bias) are passed whole.
// CHECK-LABEL: func.func @bias_relu(
// CHECK:         call @bias_relu__kernel0__rows(%arg0, %arg1, %arg2) : (memref<?x256xf32>, memref<256xf32>, memref<?x256xf32>) -> ()
// CHECK:       func.func private @bias_relu__kernel0(%{{.+}}: memref<?x256xf32, strided<[256, 1], offset: ?>>, %{{.+}}: memref<256xf32>, %{{.+}}: memref<?x256xf32, strided<[256, 1], offset: ?>>)
// CHECK:         linalg.generic
// CHECK:       func.func private @bias_relu__kernel0__rows(%[[X:.+]]: memref<?x256xf32>, %[[B:.+]]: memref<256xf32>, %[[Y:.+]]: memref<?x256xf32>)
// CHECK:         %[[ROWS:.+]] = memref.dim %[[X]], %{{.+}} : memref<?x256xf32>
// CHECK:         %[[WORK:.+]] = arith.muli %[[ROWS]], %c256
// CHECK:         %[[LARGE:.+]] = arith.cmpi sge, %[[WORK]], %c65536
// CHECK:         scf.if %[[LARGE]] {
// CHECK:           scf.parallel (%[[I:.+]]) = (%{{.+}}) to (%[[ROWS]]) step (%c16) {
// CHECK:             %[[N:.+]] = arith.minsi
// CHECK:             %[[XS:.+]] = memref.subview %[[X]][%[[I]], 0] [%[[N]], 256] [1, 1]
// CHECK:             %[[YS:.+]] = memref.subview %[[Y]][%[[I]], 0] [%[[N]], 256] [1, 1]
// CHECK:             func.call @bias_relu__kernel0(%[[XS]], %[[B]], %[[YS]])
// CHECK:         } else {
// CHECK:           memref.subview %[[X]][%{{.+}}, 0] [%[[ROWS]], 256] [1, 1]
// CHECK:           func.call @bias_relu__kernel0(
// SERIAL-LABEL: func.func @bias_relu(
// SERIAL:         call @bias_relu__kernel0(%arg0, %arg1, %arg2) : (memref<?x256xf32>, memref<256xf32>, memref<?x256xf32>) -> ()
// SERIAL-NOT:   __rows
#id = affine_map<(d0, d1) -> (d0, d1)>
#col = affine_map<(d0, d1) -> (d1)>
#row = affine_map<(d0, d1) -> (d0)>
#tr = affine_map<(d0, d1) -> (d1, d0)>
func.func @bias_relu(%x: memref<?x256xf32>, %b: memref<256xf32>, %y: memref<?x256xf32>) {
  linalg.generic {indexing_maps = [#id, #col, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %b : memref<?x256xf32>, memref<256xf32>) outs(%y : memref<?x256xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %s = arith.addf %a, %c : f32
    linalg.yield %s : f32
  }
  return
}

// A buffer from above that the body loads at row `linalg.index 0` (a
// pooling window's input) is sliced with the rows.
// CHECK-LABEL: func.func private @pool__kernel0(%{{.+}}: memref<?x256xf32, strided<[256, 1], offset: ?>>, %{{.+}}: memref<?x512xf32, strided<[512, 1], offset: ?>>)
// CHECK:       func.func private @pool__kernel0__rows(
func.func @pool(%x: memref<?x512xf32>, %y: memref<?x256xf32>) {
  linalg.generic {indexing_maps = [#id], iterator_types = ["parallel", "parallel"]}
      outs(%y : memref<?x256xf32>) {
  ^bb0(%o: f32):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %c2 = arith.constant 2 : index
    %j2 = arith.muli %j, %c2 : index
    %v = memref.load %x[%i, %j2] : memref<?x512xf32>
    linalg.yield %v : f32
  }
  return
}

// Not split: a body that reads rows by another index, a reduction over the
// rows (a bias gradient), rows too short to reach the threshold below
// 1024 rows, and an operand read transposed.
// CHECK-LABEL: func.func @row_dependent(
// CHECK:         call @row_dependent__kernel0(%arg1, %arg0) : (memref<?x256xf32>, memref<512x512xf32>) -> ()
// CHECK-LABEL: func.func @bias_grad(
// CHECK:         call @bias_grad__kernel0(%arg0, %arg1) : (memref<?x256xf32>, memref<256xf32>) -> ()
// CHECK-LABEL: func.func @short_rows(
// CHECK:         call @short_rows__kernel0(%arg0, %arg1) : (memref<?x16xf32>, memref<?x16xf32>) -> ()
// CHECK-LABEL: func.func @transposed(
// CHECK:         call @transposed__kernel0(%arg0, %arg1) : (memref<256x?xf32>, memref<?x256xf32>) -> ()
// CHECK-NOT:   __rows
func.func @row_dependent(%x: memref<512x512xf32>, %y: memref<?x256xf32>) {
  linalg.generic {indexing_maps = [#id], iterator_types = ["parallel", "parallel"]}
      outs(%y : memref<?x256xf32>) {
  ^bb0(%o: f32):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %v = memref.load %x[%j, %i] : memref<512x512xf32>
    linalg.yield %v : f32
  }
  return
}
func.func @bias_grad(%g: memref<?x256xf32>, %db: memref<256xf32>) {
  linalg.generic {indexing_maps = [#id, #col], iterator_types = ["reduction", "parallel"]}
      ins(%g : memref<?x256xf32>) outs(%db : memref<256xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %a, %o : f32
    linalg.yield %s : f32
  }
  return
}
func.func @short_rows(%x: memref<?x16xf32>, %y: memref<?x16xf32>) {
  linalg.copy ins(%x : memref<?x16xf32>) outs(%y : memref<?x16xf32>)
  return
}
func.func @transposed(%x: memref<256x?xf32>, %y: memref<?x256xf32>) {
  linalg.generic {indexing_maps = [#tr, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<256x?xf32>) outs(%y : memref<?x256xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  }
  return
}
