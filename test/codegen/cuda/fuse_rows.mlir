// RUN: kiln-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(kiln-cuda-fuse-rows),canonicalize)" | FileCheck %s
// RUN: kiln-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(kiln-cuda-fuse-rows),kiln-cuda-map-to-gpu,canonicalize)" | FileCheck %s --check-prefix=MAPPED
// RUN: kiln-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(kiln-cuda-fuse-rows{max-row-elements=64}))" | FileCheck %s --check-prefix=WIDE
// RUN: kiln-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(kiln-cuda-fuse-rows{max-param-bytes=100}))" | FileCheck %s --check-prefix=BUDGET

// A softmax over rows of 10: exponentials, a zero fill, the row sums, the
// quotients. One loop over the rows; thread r computes row r's
// exponentials, then their sum (carried by its loop from the fill's zero,
// in a register), then the quotients. Nothing reads the sums from memory
// any more: their buffer goes.
// CHECK-LABEL: func.func @softmax
// CHECK-SAME:      (%[[X:.+]]: memref<?x10xf32>, %[[P:.+]]: memref<?x10xf32>)
// CHECK-DAG:     %[[ZERO:.+]] = arith.constant 0.000000e+00 : f32
// CHECK:         %[[N:.+]] = memref.dim %[[X]], %c0
// CHECK:         %[[E:.+]] = memref.alloc(%[[N]]) : memref<?x10xf32>
// CHECK-NOT:     memref.alloc
// CHECK:         scf.parallel (%[[R:.+]]) = (%c0) to (%{{.+}}) step (%c1) {
// CHECK:           scf.for %[[J:.+]] = %c0 to %c10 step %c1 {
// CHECK:             %[[XV:.+]] = memref.load %[[X]][%[[R]], %[[J]]]
// CHECK:             %[[EV:.+]] = math.exp %[[XV]]
// CHECK:             memref.store %[[EV]], %[[E]][%[[R]], %[[J]]]
// CHECK:           }
// CHECK:           %[[SUM:.+]] = scf.for %[[J:.+]] = %c0 to %c10 step %c1 iter_args(%[[ACC:.+]] = %[[ZERO]]) -> (f32) {
// CHECK:             %[[T:.+]] = memref.load %[[E]][%[[R]], %[[J]]]
// CHECK:             %[[A:.+]] = arith.addf %[[T]], %[[ACC]]
// CHECK:             scf.yield %[[A]]
// CHECK:           }
// CHECK:           scf.for %[[J:.+]] = %c0 to %c10 step %c1 {
// CHECK:             %[[T:.+]] = memref.load %[[E]][%[[R]], %[[J]]]
// CHECK:             %[[Q:.+]] = arith.divf %[[T]], %[[SUM]]
// CHECK:             memref.store %[[Q]], %[[P]][%[[R]], %[[J]]]
// CHECK:           }
// CHECK-NOT:       memref.store
// CHECK:           scf.reduce
// CHECK-NOT:     linalg.
// CHECK:         return

// One kernel, one thread per row.
// MAPPED-LABEL: func.func @softmax
// MAPPED:         gpu.launch_func @kiln_kernels::@softmax_loop
// MAPPED-NOT:     gpu.launch_func
// MAPPED:         return
#id2 = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
func.func @softmax(%x: memref<?x10xf32>, %p: memref<?x10xf32>) {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %n = memref.dim %x, %c0 : memref<?x10xf32>
  %sum = memref.alloc(%n) : memref<?xf32>
  %e = memref.alloc(%n) : memref<?x10xf32>
  linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<?x10xf32>) outs(%e : memref<?x10xf32>) {
  ^bb0(%in: f32, %out: f32):
    %v = math.exp %in : f32
    linalg.yield %v : f32
  }
  linalg.fill ins(%zero : f32) outs(%sum : memref<?xf32>)
  linalg.generic {indexing_maps = [#id2, #row], iterator_types = ["parallel", "reduction"]}
      ins(%e : memref<?x10xf32>) outs(%sum : memref<?xf32>) {
  ^bb0(%in: f32, %out: f32):
    %v = arith.addf %in, %out : f32
    linalg.yield %v : f32
  }
  linalg.generic {indexing_maps = [#id2, #row, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%e, %sum : memref<?x10xf32>, memref<?xf32>) outs(%p : memref<?x10xf32>) {
  ^bb0(%in: f32, %s: f32, %out: f32):
    %v = arith.divf %in, %s : f32
    linalg.yield %v : f32
  }
  return
}

// -----

// A 2 x 2 max pooling's gradient and the ReLU's before it: a zero fill of
// the input's gradient, the sum over the window of the output gradient
// where the window's argmax is here, and the product with the ReLU's
// derivative. All three index what they write by all four dimensions: one
// thread per element, the window's sum in a register from zero, the
// output gradient and its argmax (the same element at every step of the
// window) loaded once, the gradient before the ReLU never stored.
// CHECK-LABEL: func.func @max_pool_grad
// CHECK-SAME:      (%[[G:.+]]: memref<?x2x2x3xf32>, %[[ARG:.+]]: memref<?x2x2x3xi32>, %[[Y:.+]]: memref<?x4x4x3xf32>, %[[DX:.+]]: memref<?x4x4x3xf32>)
// CHECK-NOT:     memref.alloc
// CHECK:         scf.parallel (%[[B:.+]], %[[H:.+]], %[[W:.+]], %[[C:.+]]) = (%c0, %c0, %c0, %c0) to (%{{.+}}, %c4, %c4, %c3) step (%c1, %c1, %c1, %c1) {
// CHECK:           %[[AT:.+]] = memref.load %[[ARG]]
// CHECK:           %[[GV:.+]] = memref.load %[[G]]
// CHECK:           %[[ROWS:.+]] = scf.for %{{.+}} = %c0 to %c2 step %c1 iter_args(%[[OUTER:.+]] = %cst) -> (f32) {
// CHECK:             %[[COLS:.+]] = scf.for %{{.+}} = %c0 to %c2 step %c1 iter_args(%[[INNER:.+]] = %[[OUTER]]) -> (f32) {
// CHECK-NOT:           memref.load
// CHECK:               arith.cmpi eq, %[[AT]]
// CHECK:               arith.select %{{.+}}, %[[GV]], %cst
// CHECK:               %[[S:.+]] = arith.addf %[[INNER]]
// CHECK:               scf.yield %[[S]]
// CHECK:             scf.yield %[[COLS]]
// CHECK:           %[[YV:.+]] = memref.load %[[Y]][%[[B]], %[[H]], %[[W]], %[[C]]]
// CHECK:           arith.cmpf ogt, %[[YV]]
// CHECK:           %[[D:.+]] = arith.mulf %[[ROWS]]
// CHECK:           memref.store %[[D]], %[[DX]][%[[B]], %[[H]], %[[W]], %[[C]]]
// CHECK-NOT:       memref.store
// CHECK:           scf.reduce
#x = affine_map<(b, h, w, c) -> (b, h, w, c)>
#win = affine_map<(b, h, w, i, j, c) -> (i, j)>
#out = affine_map<(b, h, w, i, j, c) -> (b, h, w, c)>
func.func @max_pool_grad(%g: memref<?x2x2x3xf32>, %arg: memref<?x2x2x3xi32>, %y: memref<?x4x4x3xf32>, %dx: memref<?x4x4x3xf32>) {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %n = memref.dim %y, %c0 : memref<?x4x4x3xf32>
  %window = memref.alloc() : memref<2x2xf32>
  %dy = memref.alloc(%n) : memref<?x4x4x3xf32>
  linalg.fill ins(%zero : f32) outs(%dy : memref<?x4x4x3xf32>)
  linalg.generic {indexing_maps = [#win, #out], iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction", "parallel"]}
      ins(%window : memref<2x2xf32>) outs(%dy : memref<?x4x4x3xf32>) {
  ^bb0(%unused: f32, %acc: f32):
    %b = linalg.index 0 : index
    %h = linalg.index 1 : index
    %w = linalg.index 2 : index
    %i = linalg.index 3 : index
    %j = linalg.index 4 : index
    %c = linalg.index 5 : index
    %oh = arith.divui %h, %c2 : index
    %ow = arith.divui %w, %c2 : index
    %at = memref.load %arg[%b, %oh, %ow, %c] : memref<?x2x2x3xi32>
    %k = arith.muli %i, %c2 : index
    %kk = arith.addi %k, %j : index
    %ki = arith.index_cast %kk : index to i32
    %hit = arith.cmpi eq, %at, %ki : i32
    %gv = memref.load %g[%b, %oh, %ow, %c] : memref<?x2x2x3xf32>
    %t = arith.select %hit, %gv, %zero : f32
    %s = arith.addf %acc, %t : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#x, #x, #x], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%dy, %y : memref<?x4x4x3xf32>, memref<?x4x4x3xf32>) outs(%dx : memref<?x4x4x3xf32>) {
  ^bb0(%d: f32, %v: f32, %out: f32):
    %pos = arith.cmpf ogt, %v, %zero : f32
    %m = arith.select %pos, %one, %zero : f32
    %r = arith.mulf %d, %m : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// Rows sized by different values (logits and labels: both the batch): the
// loop covers the larger, and each run of members with the same rows
// checks its own bound.
// CHECK-LABEL: func.func @two_batches
// CHECK-SAME:      (%[[L:.+]]: memref<?x4xf32>, %[[Y:.+]]: memref<?xf32>, %[[OUT:.+]]: memref<?xf32>)
// CHECK-DAG:     %[[NL:.+]] = memref.dim %[[L]], %c0
// CHECK-DAG:     %[[NY:.+]] = memref.dim %[[Y]], %c0
// CHECK:         %[[BOUND:.+]] = arith.maxui
// CHECK:         scf.parallel (%[[R:.+]]) = (%c0) to (%[[BOUND]]) step (%c1) {
// CHECK:           %[[IN1:.+]] = arith.cmpi ult, %[[R]], %[[NL]]
// CHECK:           scf.if %[[IN1]] {
// CHECK:             scf.for
// CHECK:           }
// CHECK:           %[[IN2:.+]] = arith.cmpi ult, %[[R]], %[[NY]]
// CHECK:           scf.if %[[IN2]] {
// CHECK:             memref.load %[[Y]][%[[R]]]
// CHECK:             memref.store %{{.+}}, %[[OUT]][%[[R]]]
// CHECK:           }
#id2 = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
#id1 = affine_map<(d0) -> (d0)>
func.func @two_batches(%l: memref<?x4xf32>, %y: memref<?xf32>, %out: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  %n = memref.dim %l, %c0 : memref<?x4xf32>
  %m = memref.alloc(%n) : memref<?xf32>
  linalg.generic {indexing_maps = [#id2, #row], iterator_types = ["parallel", "reduction"]}
      ins(%l : memref<?x4xf32>) outs(%m : memref<?xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %v = arith.maximumf %in, %acc : f32
    linalg.yield %v : f32
  }
  linalg.generic {indexing_maps = [#id1, #id1, #id1], iterator_types = ["parallel"]}
      ins(%y, %m : memref<?xf32>, memref<?xf32>) outs(%out : memref<?xf32>) {
  ^bb0(%b: f32, %a: f32, %o: f32):
    %v = arith.subf %a, %b : f32
    linalg.yield %v : f32
  }
  return
}

// -----

// A member that reads another row of what a member writes (each row adds
// the one before: a scan) cannot run row by row: thread r would read row
// r - 1 while thread r - 1 writes it. Two ops stay.
// CHECK-LABEL: func.func @reads_another_row
// CHECK-COUNT-2: linalg.generic
// CHECK-NOT:     scf.parallel
#id1 = affine_map<(d0) -> (d0)>
func.func @reads_another_row(%x: memref<?xf32>, %out: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = memref.dim %x, %c0 : memref<?xf32>
  %t = memref.alloc(%n) : memref<?xf32>
  linalg.generic {indexing_maps = [#id1, #id1], iterator_types = ["parallel"]}
      ins(%x : memref<?xf32>) outs(%t : memref<?xf32>) {
  ^bb0(%in: f32, %o: f32):
    %v = arith.mulf %in, %in : f32
    linalg.yield %v : f32
  }
  linalg.generic {indexing_maps = [#id1, #id1], iterator_types = ["parallel"]}
      ins(%t : memref<?xf32>) outs(%out : memref<?xf32>) {
  ^bb0(%in: f32, %o: f32):
    %i = linalg.index 0 : index
    %p = arith.subi %i, %c1 : index
    %q = arith.maxsi %p, %c0 : index
    %before = memref.load %t[%q] : memref<?xf32>
    %v = arith.addf %in, %before : f32
    linalg.yield %v : f32
  }
  return
}

// -----

// A view that does not keep the rows (a ?x4 buffer read as one flat row
// of 4n): row r of one is not row r of the other. Two ops stay.
// CHECK-LABEL: func.func @flattened
// CHECK-COUNT-2: linalg.generic
// CHECK-NOT:     scf.parallel
#id2 = affine_map<(d0, d1) -> (d0, d1)>
#id1 = affine_map<(d0) -> (d0)>
func.func @flattened(%x: memref<?x4xf32>, %out: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  %n = memref.dim %x, %c0 : memref<?x4xf32>
  %t = memref.alloc(%n) : memref<?x4xf32>
  linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<?x4xf32>) outs(%t : memref<?x4xf32>) {
  ^bb0(%in: f32, %o: f32):
    %v = arith.mulf %in, %in : f32
    linalg.yield %v : f32
  }
  %flat = memref.collapse_shape %t [[0, 1]] : memref<?x4xf32> into memref<?xf32>
  linalg.generic {indexing_maps = [#id1, #id1], iterator_types = ["parallel"]}
      ins(%flat : memref<?xf32>) outs(%out : memref<?xf32>) {
  ^bb0(%in: f32, %o: f32):
    %v = arith.negf %in : f32
    linalg.yield %v : f32
  }
  return
}

// -----

// Rows of 64 (a Dense layer's units) and their sums: one thread per row
// would run 64 elements one after the other, more than max-row-elements
// (32 by default), and the 64-wide op is better one thread per element.
// With max-row-elements=64 they fuse.
// CHECK-LABEL: func.func @wide_rows
// CHECK-COUNT-2: linalg.generic
// CHECK-NOT:     scf.parallel
// WIDE-LABEL: func.func @wide_rows
// WIDE-NOT:     linalg.generic
// WIDE:         scf.parallel
#id2 = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
func.func @wide_rows(%x: memref<?x64xf32>, %s: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  %n = memref.dim %x, %c0 : memref<?x64xf32>
  %t = memref.alloc(%n) : memref<?x64xf32>
  linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<?x64xf32>) outs(%t : memref<?x64xf32>) {
  ^bb0(%in: f32, %o: f32):
    %v = arith.mulf %in, %in : f32
    linalg.yield %v : f32
  }
  linalg.generic {indexing_maps = [#id2, #row], iterator_types = ["parallel", "reduction"]}
      ins(%t : memref<?x64xf32>) outs(%s : memref<?xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %v = arith.addf %in, %acc : f32
    linalg.yield %v : f32
  }
  return
}

// -----

// A product's in-place bias stays for kiln-cuda-map-to-gpu, which applies
// it as the product stores its sums; the ops after it over the rows fuse.
// CHECK-LABEL: func.func @after_product
// CHECK:         linalg.matmul
// CHECK-NEXT:    linalg.generic
// CHECK:         scf.parallel
// CHECK-NOT:     linalg.generic
// BUDGET-LABEL: func.func @after_product
// BUDGET:         linalg.matmul
// BUDGET-COUNT-3: linalg.generic
// BUDGET-NOT:     scf.parallel
#id2 = affine_map<(d0, d1) -> (d0, d1)>
#col = affine_map<(d0, d1) -> (d1)>
#row = affine_map<(d0, d1) -> (d0)>
func.func @after_product(%a: memref<?x8xf32>, %w: memref<8x4xf32>, %bias: memref<4xf32>, %m: memref<?xf32>, %out: memref<?x4xf32>) {
  %c0 = arith.constant 0 : index
  %n = memref.dim %a, %c0 : memref<?x8xf32>
  %y = memref.alloc(%n) : memref<?x4xf32>
  linalg.matmul ins(%a, %w : memref<?x8xf32>, memref<8x4xf32>) outs(%y : memref<?x4xf32>)
  linalg.generic {indexing_maps = [#id2, #col, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%y, %bias : memref<?x4xf32>, memref<4xf32>) outs(%y : memref<?x4xf32>) {
  ^bb0(%in: f32, %b: f32, %o: f32):
    %v = arith.addf %in, %b : f32
    linalg.yield %v : f32
  }
  linalg.generic {indexing_maps = [#id2, #row], iterator_types = ["parallel", "reduction"]}
      ins(%y : memref<?x4xf32>) outs(%m : memref<?xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %v = arith.maximumf %in, %acc : f32
    linalg.yield %v : f32
  }
  linalg.generic {indexing_maps = [#id2, #row, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%y, %m : memref<?x4xf32>, memref<?xf32>) outs(%out : memref<?x4xf32>) {
  ^bb0(%in: f32, %mx: f32, %o: f32):
    %v = arith.subf %in, %mx : f32
    linalg.yield %v : f32
  }
  return
}

// -----

// A recurrent layer's state saved in its stack (a copy, as
// kiln-inline-copies leaves it) and its next value: one loop over the
// state's elements, each thread loading its element of h once.
// CHECK-LABEL: func.func @saved_state
// CHECK-SAME:      (%[[H:.+]]: memref<?x8xf32>, %[[STACK:.+]]: memref<4x?x8xf32>, %{{.+}}: index, %[[NEXT:.+]]: memref<?x8xf32>)
// CHECK-NOT:     linalg.
// CHECK:         %[[SLOT:.+]] = memref.subview %[[STACK]]
// CHECK:         scf.parallel (%[[R:.+]], %[[C:.+]]) = (%c0, %c0) to (%{{.+}}, %c8) step (%c1, %c1) {
// CHECK:           %[[V:.+]] = memref.load %[[H]][%[[R]], %[[C]]]
// CHECK:           memref.store %[[V]], %[[SLOT]][%[[R]], %[[C]]]
// CHECK:           %[[T:.+]] = math.tanh %[[V]]
// CHECK:           memref.store %[[T]], %[[NEXT]][%[[R]], %[[C]]]
// CHECK-NOT:     linalg.
#id2 = affine_map<(d0, d1) -> (d0, d1)>
func.func @saved_state(%h: memref<?x8xf32>, %stack: memref<4x?x8xf32>, %t: index, %next: memref<?x8xf32>) {
  %c0 = arith.constant 0 : index
  %n = memref.dim %h, %c0 : memref<?x8xf32>
  %slot = memref.subview %stack[%t, 0, 0] [1, %n, 8] [1, 1, 1] : memref<4x?x8xf32> to memref<?x8xf32, strided<[8, 1], offset: ?>>
  linalg.copy ins(%h : memref<?x8xf32>) outs(%slot : memref<?x8xf32, strided<[8, 1], offset: ?>>)
  linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%h : memref<?x8xf32>) outs(%next : memref<?x8xf32>) {
  ^bb0(%in: f32, %o: f32):
    %v = math.tanh %in : f32
    linalg.yield %v : f32
  }
  return
}

// -----

// An LSTM's gate gradients, each computed into its own buffer, then
// concatenated: copied into the four column slices of one buffer. The
// slices are views of one buffer at different offsets, but no two threads
// (rows and columns) reach one element: one thread per element runs all
// of it.
// CHECK-LABEL: func.func @gates
// CHECK-NOT:     linalg.
// CHECK:         scf.parallel (%[[R:.+]], %[[C:.+]]) = (%c0, %c0) to (%{{.+}}, %c4) step (%c1, %c1) {
// CHECK-NOT:       scf.for
// CHECK-COUNT-2:   memref.store %{{.+}}, %{{.+}}[%[[R]], %[[C]]] : memref<?x4xf32, strided<[16, 1]
// CHECK:           scf.reduce
#id2 = affine_map<(d0, d1) -> (d0, d1)>
func.func @gates(%x: memref<?x4xf32>, %y: memref<?x4xf32>, %z: memref<?x16xf32>) {
  %c0 = arith.constant 0 : index
  %n = memref.dim %x, %c0 : memref<?x4xf32>
  %gi = memref.alloc(%n) : memref<?x4xf32>
  %gf = memref.alloc(%n) : memref<?x4xf32>
  linalg.generic {indexing_maps = [#id2, #id2, #id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%x, %y : memref<?x4xf32>, memref<?x4xf32>) outs(%gi, %gf : memref<?x4xf32>, memref<?x4xf32>) {
  ^bb0(%a: f32, %b: f32, %o1: f32, %o2: f32):
    %p = arith.mulf %a, %b : f32
    %q = arith.subf %a, %b : f32
    linalg.yield %p, %q : f32, f32
  }
  %i = memref.subview %z[0, 0] [%n, 4] [1, 1] : memref<?x16xf32> to memref<?x4xf32, strided<[16, 1]>>
  linalg.copy ins(%gi : memref<?x4xf32>) outs(%i : memref<?x4xf32, strided<[16, 1]>>)
  %f = memref.subview %z[0, 4] [%n, 4] [1, 1] : memref<?x16xf32> to memref<?x4xf32, strided<[16, 1], offset: 4>>
  linalg.copy ins(%gf : memref<?x4xf32>) outs(%f : memref<?x4xf32, strided<[16, 1], offset: 4>>)
  return
}

// -----

// The same gate gradients copied into slot %t of a stack (an LSTM's
// reverse time loop stacks them for the kernels' gradients after it): the
// slot's offset is known at run time only, but the column slices are at
// static distances from it, so they are still disjoint.
// CHECK-LABEL: func.func @gates_in_slot
// CHECK-NOT:     linalg.
// CHECK:         scf.parallel (%[[R:.+]], %[[C:.+]]) = (%c0, %c0) to (%{{.+}}, %c4) step (%c1, %c1) {
// CHECK-NOT:       scf.for
// CHECK-COUNT-2:   memref.store %{{.+}}, %{{.+}}[%[[R]], %[[C]]] : memref<?x4xf32, strided<[16, 1], offset: ?>>
// CHECK:           scf.reduce
#id2 = affine_map<(d0, d1) -> (d0, d1)>
func.func @gates_in_slot(%x: memref<?x4xf32>, %y: memref<?x4xf32>, %stack: memref<3x?x16xf32>, %t: index) {
  %c0 = arith.constant 0 : index
  %n = memref.dim %x, %c0 : memref<?x4xf32>
  %gi = memref.alloc(%n) : memref<?x4xf32>
  %gf = memref.alloc(%n) : memref<?x4xf32>
  linalg.generic {indexing_maps = [#id2, #id2, #id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%x, %y : memref<?x4xf32>, memref<?x4xf32>) outs(%gi, %gf : memref<?x4xf32>, memref<?x4xf32>) {
  ^bb0(%a: f32, %b: f32, %o1: f32, %o2: f32):
    %p = arith.mulf %a, %b : f32
    %q = arith.subf %a, %b : f32
    linalg.yield %p, %q : f32, f32
  }
  %slot = memref.subview %stack[%t, 0, 0] [1, %n, 16] [1, 1, 1] : memref<3x?x16xf32> to memref<?x16xf32, strided<[16, 1], offset: ?>>
  %i = memref.subview %slot[0, 0] [%n, 4] [1, 1] : memref<?x16xf32, strided<[16, 1], offset: ?>> to memref<?x4xf32, strided<[16, 1], offset: ?>>
  linalg.copy ins(%gi : memref<?x4xf32>) outs(%i : memref<?x4xf32, strided<[16, 1], offset: ?>>)
  %f = memref.subview %slot[0, 4] [%n, 4] [1, 1] : memref<?x16xf32, strided<[16, 1], offset: ?>> to memref<?x4xf32, strided<[16, 1], offset: ?>>
  linalg.copy ins(%gf : memref<?x4xf32>) outs(%f : memref<?x4xf32, strided<[16, 1], offset: ?>>)
  return
}

// -----

// Column slices of two slots (%t and %u, unknown): how far apart they are
// is not known, so neither is which rows of theirs meet. They stay apart.
// CHECK-LABEL: func.func @gates_in_two_slots
// CHECK-NOT:     scf.parallel
// CHECK:         linalg.copy
// CHECK:         linalg.copy
func.func @gates_in_two_slots(%x: memref<?x4xf32>, %stack: memref<3x?x16xf32>, %t: index, %u: index) {
  %c0 = arith.constant 0 : index
  %n = memref.dim %x, %c0 : memref<?x4xf32>
  %first = memref.subview %stack[%t, 0, 0] [1, %n, 16] [1, 1, 1] : memref<3x?x16xf32> to memref<?x16xf32, strided<[16, 1], offset: ?>>
  %i = memref.subview %first[0, 0] [%n, 4] [1, 1] : memref<?x16xf32, strided<[16, 1], offset: ?>> to memref<?x4xf32, strided<[16, 1], offset: ?>>
  linalg.copy ins(%x : memref<?x4xf32>) outs(%i : memref<?x4xf32, strided<[16, 1], offset: ?>>)
  %second = memref.subview %stack[%u, 0, 0] [1, %n, 16] [1, 1, 1] : memref<3x?x16xf32> to memref<?x16xf32, strided<[16, 1], offset: ?>>
  %f = memref.subview %second[0, 4] [%n, 4] [1, 1] : memref<?x16xf32, strided<[16, 1], offset: ?>> to memref<?x4xf32, strided<[16, 1], offset: ?>>
  linalg.copy ins(%x : memref<?x4xf32>) outs(%f : memref<?x4xf32, strided<[16, 1], offset: ?>>)
  return
}

// -----

// Column slices that overlap ([0, 3) and [2, 5) of each row): threads of
// one row and different columns would write one element. They run one
// thread per row, each row's columns in order.
// CHECK-LABEL: func.func @overlapping_columns
// CHECK-NOT:     linalg.
// CHECK:         scf.parallel (%[[R:.+]]) = (%c0) to (%{{.+}}) step (%c1) {
// CHECK:           scf.for %{{.+}} = %c0 to %c3 step %c1 {
// CHECK:           scf.for %{{.+}} = %c0 to %c3 step %c1 {
#id2 = affine_map<(d0, d1) -> (d0, d1)>
func.func @overlapping_columns(%x: memref<?x3xf32>, %z: memref<?x8xf32>) {
  %c0 = arith.constant 0 : index
  %n = memref.dim %x, %c0 : memref<?x3xf32>
  %left = memref.subview %z[0, 0] [%n, 3] [1, 1] : memref<?x8xf32> to memref<?x3xf32, strided<[8, 1]>>
  linalg.copy ins(%x : memref<?x3xf32>) outs(%left : memref<?x3xf32, strided<[8, 1]>>)
  %right = memref.subview %z[0, 2] [%n, 3] [1, 1] : memref<?x8xf32> to memref<?x3xf32, strided<[8, 1], offset: 2>>
  linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<?x3xf32>) outs(%right : memref<?x3xf32, strided<[8, 1], offset: 2>>) {
  ^bb0(%a: f32, %o: f32):
    %v = arith.negf %a : f32
    linalg.yield %v : f32
  }
  return
}

// -----

// A recurrent layer's forward step: the state saved (a copy), the step's
// product with the recurrent kernel, and the activation into the state.
// The copy and the product only read the state, so the copy moves past
// the product and joins the activation: two kernels instead of three.
// MAPPED-LABEL: func.func @sink_past_product
// MAPPED:         gpu.launch_func @kiln_kernels::@sink_past_product_matmul
// MAPPED:         gpu.launch_func @kiln_kernels::@sink_past_product_loop
// MAPPED-NOT:     gpu.launch_func
// MAPPED:         return
// CHECK-LABEL: func.func @sink_past_product
// CHECK:         linalg.matmul
// CHECK:         scf.parallel
// CHECK:           memref.store %{{.+}}, %arg2
// CHECK:           memref.store %{{.+}}, %arg0
// CHECK-NOT:     linalg.
#id2 = affine_map<(d0, d1) -> (d0, d1)>
func.func @sink_past_product(%h: memref<?x8xf32>, %u: memref<8x8xf32>, %saved: memref<?x8xf32>, %x: memref<?x8xf32>) {
  %c0 = arith.constant 0 : index
  %n = memref.dim %h, %c0 : memref<?x8xf32>
  %p = memref.alloc(%n) : memref<?x8xf32>
  linalg.copy ins(%h : memref<?x8xf32>) outs(%saved : memref<?x8xf32>)
  linalg.matmul ins(%h, %u : memref<?x8xf32>, memref<8x8xf32>) outs(%p : memref<?x8xf32>)
  linalg.generic {indexing_maps = [#id2, #id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%p, %x : memref<?x8xf32>, memref<?x8xf32>) outs(%h : memref<?x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    %t = math.tanh %s : f32
    linalg.yield %t : f32
  }
  return
}

// -----

// The copy reads what the product writes: it stays before it, three
// kernels.
// MAPPED-LABEL: func.func @no_sink_past_writer
// MAPPED:         gpu.launch_func @kiln_kernels::@no_sink_past_writer_loop
// MAPPED:         gpu.launch_func @kiln_kernels::@no_sink_past_writer_matmul
// MAPPED:         gpu.launch_func @kiln_kernels::@no_sink_past_writer_loop_0
// MAPPED-NOT:     gpu.launch_func
// CHECK-LABEL: func.func @no_sink_past_writer
// CHECK:         linalg.copy
// CHECK:         linalg.matmul
// CHECK:         linalg.generic
#id2 = affine_map<(d0, d1) -> (d0, d1)>
func.func @no_sink_past_writer(%h: memref<?x8xf32>, %u: memref<8x8xf32>, %saved: memref<?x8xf32>, %p: memref<?x8xf32>) {
  linalg.copy ins(%p : memref<?x8xf32>) outs(%saved : memref<?x8xf32>)
  linalg.matmul ins(%h, %u : memref<?x8xf32>, memref<8x8xf32>) outs(%p : memref<?x8xf32>)
  linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%p : memref<?x8xf32>) outs(%h : memref<?x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %t = math.tanh %a : f32
    linalg.yield %t : f32
  }
  return
}

// -----

// An LSTM's backward step: a step's gate gradients added into its input's
// gradient (rows of 64) and copied for the recurrent kernel's gradient,
// with the bias gradient's update (64 elements, other rows) and its copy
// between and after. Independent, so the two row ops run as one kernel and
// the two bias ops as another: two kernels instead of four.
// MAPPED-LABEL: func.func @pull_forward
// MAPPED:         gpu.launch_func @kiln_kernels::@pull_forward_loop
// MAPPED:         gpu.launch_func @kiln_kernels::@pull_forward_loop_0
// MAPPED-NOT:     gpu.launch_func
// MAPPED:         return
// CHECK-LABEL: func.func @pull_forward
// CHECK:         scf.parallel
// CHECK:           memref.store %{{.+}}, %arg1
// CHECK:           memref.store %{{.+}}, %arg2
// CHECK:         scf.parallel
// CHECK:           memref.store %{{.+}}, %arg5
// CHECK:           memref.store %{{.+}}, %arg3
// CHECK-NOT:     linalg.
#id2 = affine_map<(d0, d1) -> (d0, d1)>
#id1 = affine_map<(d0) -> (d0)>
func.func @pull_forward(%dz: memref<?x64xf32>, %seq: memref<?x64xf32>, %ys: memref<?x64xf32>, %acc: memref<64xf32>, %db: memref<64xf32>, %next: memref<64xf32>) {
  linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%dz : memref<?x64xf32>) outs(%seq : memref<?x64xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %o, %a : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#id1, #id1, #id1], iterator_types = ["parallel"]}
      ins(%acc, %db : memref<64xf32>, memref<64xf32>) outs(%next : memref<64xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  }
  linalg.copy ins(%dz : memref<?x64xf32>) outs(%ys : memref<?x64xf32>)
  linalg.copy ins(%next : memref<64xf32>) outs(%acc : memref<64xf32>)
  return
}
