// RUN: kiln-opt %s --kiln-cpu-outline-kernels --split-input-file | FileCheck %s
// RUN: kiln-opt %s --kiln-cpu-outline-kernels="min-loops=4" --split-input-file | FileCheck %s --check-prefix=MIN

// Each top-level loop nest becomes a private, non-inlinable kernel; values
// from the entry are arguments (in first-use order), constants are cloned
// in; the second of two identical nests calls the first's kernel.

// CHECK-LABEL: func.func @step(
// CHECK-SAME:      %[[A:.+]]: memref<?x16xf32>, %[[B:.+]]: memref<?x16xf32>, %[[S:.+]]: f32)
// CHECK:         %[[N:.+]] = memref.dim %[[A]]
// CHECK:         call @step__kernel0(%[[N]], %[[S]], %[[A]])
// CHECK:         %[[SUM:.+]] = call @step__kernel1(%[[N]], %[[B]])
// CHECK:         call @step__kernel0(%[[N]], %[[SUM]], %[[B]])
// CHECK:         return %[[SUM]]
// CHECK:       func.func private @step__kernel0(%{{.+}}: index, %{{.+}}: f32, %{{.+}}: memref<?x16xf32>)
// CHECK-SAME:      attributes {llvm.linkage = #llvm.linkage<internal>, passthrough = ["noinline"]}
// CHECK-DAG:     arith.constant 0 : index
// CHECK-DAG:     arith.constant 1 : index
// CHECK-DAG:     arith.constant 16 : index
// CHECK:         scf.for
// CHECK:       func.func private @step__kernel1(%{{.+}}: index, %{{.+}}: memref<?x16xf32>) -> f32
// CHECK:         %[[R:.+]] = scf.for
// CHECK:         return %[[R]] : f32
// CHECK-NOT:   func.func private @step__kernel2

// MIN-LABEL: func.func @step(
// MIN-NOT:     call
// MIN:         scf.for
func.func @step(%a: memref<?x16xf32>, %b: memref<?x16xf32>, %s: f32) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %zero = arith.constant 0.0 : f32
  %n = memref.dim %a, %c0 : memref<?x16xf32>
  // a[i, j] = s
  scf.for %i = %c0 to %n step %c1 {
    scf.for %j = %c0 to %c16 step %c1 {
      memref.store %s, %a[%i, %j] : memref<?x16xf32>
    }
  }
  // sum of b[i, 0]
  %sum = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %zero) -> f32 {
    %v = memref.load %b[%i, %c0] : memref<?x16xf32>
    %next = arith.addf %acc, %v : f32
    scf.yield %next : f32
  }
  // b[i, j] = sum: the same nest as the first, on other values
  scf.for %i = %c0 to %n step %c1 {
    scf.for %j = %c0 to %c16 step %c1 {
      memref.store %sum, %b[%i, %j] : memref<?x16xf32>
    }
  }
  return %sum : f32
}

// -----

// Loops inside a kernel stay there: only top-level nests are outlined, and
// a function without loops is left alone.

// CHECK-LABEL: func.func @no_loops(
// CHECK-NEXT:    arith.addf
// CHECK-NEXT:    return
// CHECK-NOT:   func.func private @no_loops__kernel
func.func @no_loops(%x: f32) -> f32 {
  %y = arith.addf %x, %x : f32
  return %y : f32
}

// -----

// A linalg op on buffers is a kernel too (a loop nest to be): outlined
// before lowering to loops, two identical ops share one kernel.
// CHECK-LABEL: func.func @ops(
// CHECK:         call @ops__kernel0(%arg0, %arg1)
// CHECK:         call @ops__kernel0(%arg1, %arg2)
// CHECK:       func.func private @ops__kernel0(%{{.+}}: memref<?x16xf32>, %{{.+}}: memref<?x16xf32>)
// CHECK:         linalg.generic
// CHECK-NOT:   func.func private @ops__kernel1
#id2 = affine_map<(d0, d1) -> (d0, d1)>
func.func @ops(%a: memref<?x16xf32>, %b: memref<?x16xf32>, %c: memref<?x16xf32>) {
  linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%a : memref<?x16xf32>) outs(%b : memref<?x16xf32>) {
  ^bb0(%x: f32, %y: f32):
    %r = math.tanh %x : f32
    linalg.yield %r : f32
  }
  linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%b : memref<?x16xf32>) outs(%c : memref<?x16xf32>) {
  ^bb0(%x: f32, %y: f32):
    %r = math.tanh %x : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// A fill of the buffer that the next kernel, a matmul, accumulates into is
// outlined with it (views in between stay in the entry; the call replaces
// the matmul); a fill followed by anything else, or separated from its
// matmul by a call, is a kernel of its own.
// CHECK-LABEL: func.func @fill_matmul(
// CHECK:         %[[V:.+]] = memref.subview
// CHECK-NEXT:    call @fill_matmul__kernel0(%arg2, %arg0, %[[V]])
// CHECK-NEXT:    call @fill_matmul__kernel1(%arg3)
// CHECK-NEXT:    call @opaque()
// CHECK-NEXT:    call @fill_matmul__kernel2(
// CHECK:       func.func private @fill_matmul__kernel0(
// CHECK:         linalg.fill
// CHECK-NEXT:    linalg.matmul
// CHECK-NEXT:    return
// CHECK:       func.func private @fill_matmul__kernel1(
// CHECK-NEXT:    arith.constant
// CHECK-NEXT:    linalg.fill
// CHECK-NEXT:    return
// CHECK:       func.func private @fill_matmul__kernel2(
// CHECK-NOT:     linalg.fill
// CHECK:         linalg.matmul
func.func private @opaque()
func.func @fill_matmul(%a: memref<?x16xf32>, %b: memref<32x8xf32>, %c: memref<?x8xf32>, %d: memref<?x8xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%c : memref<?x8xf32>)
  %v = memref.subview %b[0, 0] [16, 8] [1, 1] : memref<32x8xf32> to memref<16x8xf32, strided<[8, 1]>>
  linalg.matmul ins(%a, %v : memref<?x16xf32>, memref<16x8xf32, strided<[8, 1]>>) outs(%c : memref<?x8xf32>)
  linalg.fill ins(%zero : f32) outs(%d : memref<?x8xf32>)
  call @opaque() : () -> ()
  linalg.matmul ins(%a, %v : memref<?x16xf32>, memref<16x8xf32, strided<[8, 1]>>) outs(%d : memref<?x8xf32>)
  return
}

// -----

// A fill and the generic that reduces into its buffer (a pooling window)
// are one kernel too.
// CHECK-LABEL: func.func @fill_generic(
// CHECK:         call @fill_generic__kernel0(%arg1, %arg0)
// CHECK-NEXT:    call @fill_generic__kernel1(%arg0)
// CHECK-NEXT:    return
// CHECK:       func.func private @fill_generic__kernel0(
// CHECK:         linalg.fill
// CHECK-NEXT:    linalg.generic
#rows = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
func.func @fill_generic(%x: memref<?x8xf32>, %y: memref<?xf32>) {
  %ninf = arith.constant 0xFF800000 : f32
  linalg.fill ins(%ninf : f32) outs(%y : memref<?xf32>)
  linalg.generic {indexing_maps = [#rows, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<?x8xf32>) outs(%y : memref<?xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %out : f32
    linalg.yield %m : f32
  }
  linalg.fill ins(%ninf : f32) outs(%x : memref<?x8xf32>)
  return
}
