// RUN: kiln-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(kiln-cuda-fuse-into-matmul))" | FileCheck %s
// RUN: kiln-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(kiln-cuda-fuse-into-matmul),kiln-cuda-map-to-gpu,canonicalize)" | FileCheck %s --check-prefix=MAPPED
// RUN: kiln-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(kiln-cuda-fuse-into-matmul),kiln-cuda-map-to-gpu,canonicalize,cse)" | FileCheck %s --check-prefix=QUAD

// A 3x3 convolution with "same" padding of a 6x6 image of one channel:
// im2col's patches (batch x 6 x 6 x 3 x 3 x 1) are read by the product
// (rows: batch x positions, k: the 9 taps) and by the weight gradient
// (rows: taps, k: batch x positions), both after it. Each computes the
// patch element where it reads it, at the gather's indices recovered from
// its own (m / 36, m / 6 % 6, m % 6, k / 3, k % 3; the channel, of size 1,
// is 0); patches, gather and views go, and the product's zero fill folds
// into it.
// CHECK-LABEL: func.func @conv
// CHECK-SAME:      (%[[IMAGE:.+]]: memref<?x6x6x1xf32>, %[[W:.+]]: memref<9x4xf32>, %[[DY:.+]]: memref<?x4xf32>, %[[DW:.+]]: memref<9x4xf32>)
// CHECK-NOT:     linalg.fill
// CHECK-NOT:     memref.collapse_shape
// CHECK:         %[[BATCH:.+]] = memref.dim %[[IMAGE]], %c0
// CHECK:         %[[R1:.+]] = arith.muli %[[BATCH]], %c6
// CHECK:         %[[ROWS:.+]] = arith.muli %[[R1]], %c6
// CHECK:         %[[Y:.+]] = memref.alloc(%[[ROWS]]) : memref<?x4xf32>
// CHECK:         linalg.generic {indexing_maps = [#[[KN:.+]], #[[MN:.+]]], iterator_types = ["parallel", "parallel", "reduction"]}
// CHECK-SAME:      ins(%[[W]] : memref<9x4xf32>) outs(%[[Y]] : memref<?x4xf32>) attrs = {kiln.zero_init}
// CHECK:         ^bb0(%[[B:.+]]: f32, %[[OUT:.+]]: f32):
// CHECK-DAG:       %[[M:.+]] = linalg.index 0
// CHECK-DAG:       %[[K:.+]] = linalg.index 2
// CHECK-DAG:       %[[X:.+]] = arith.remui %[[M]], %c6
// CHECK-DAG:       %[[MR:.+]] = arith.divui %[[M]], %c6
// CHECK-DAG:       %[[ROW:.+]] = arith.remui %[[MR]], %c6
// CHECK-DAG:       %[[N:.+]] = arith.divui %[[MR]], %c6
// CHECK-DAG:       %[[KX:.+]] = arith.remui %[[K]], %c3
// CHECK-DAG:       %[[KY:.+]] = arith.divui %[[K]], %c3
// CHECK:           %[[V:.+]] = memref.load %[[IMAGE]][%[[N]], %{{.+}}, %{{.+}}, %c0]
// CHECK:           %[[E:.+]] = arith.select %{{.+}}, %[[V]], %{{.+}} : f32
// CHECK:           %[[P:.+]] = arith.mulf %[[E]], %[[B]]
// CHECK:           arith.addf %[[OUT]], %[[P]]
// The weight gradient reads the patches transposed: its m is the tap, its
// k the row; its output is accumulated (no fill before it).
// CHECK:         linalg.generic {indexing_maps = [#{{.+}}, #{{.+}}], iterator_types = ["parallel", "parallel", "reduction"]}
// CHECK-SAME:      ins(%[[DY]] : memref<?x4xf32>) outs(%[[DW]] : memref<9x4xf32>) {
// CHECK-DAG:       %[[TAP:.+]] = linalg.index 0
// CHECK-DAG:       %[[ROWK:.+]] = linalg.index 2
// CHECK-DAG:       arith.remui %[[ROWK]], %c6
// CHECK-DAG:       arith.remui %[[TAP]], %c3
// CHECK:           memref.load %[[IMAGE]]
// CHECK-NOT:     memref.alloc
// CHECK:         return

// Mapped: the product's tile staging (one step of k: 9 taps) evaluates
// the patch element (a load of the image, behind the bounds and padding
// tests) into A's tile (256 x 16 tiles for the 4 columns), and its sums
// are stored, not added to the output.
// MAPPED-LABEL: func.func @conv
// MAPPED:       gpu.func @conv_matmul(
// MAPPED:           memref.load %{{.+}} : memref<?x6x6x1xf32>
// MAPPED:           arith.select
// MAPPED:           memref.store %{{.+}} : memref<32x256xf32, #gpu.address_space<workgroup>>
// MAPPED:         math.fma
// MAPPED-NOT:     memref.load %{{.+}} : memref<?x4xf32>
// MAPPED:         memref.store %{{.+}} : memref<?x4xf32>
// MAPPED:         gpu.return
#id6 = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d4, d5)>
#lhs = affine_map<(m, n, k) -> (m, k)>
#rhs = affine_map<(m, n, k) -> (k, n)>
#out = affine_map<(m, n, k) -> (m, n)>
#lhsT = affine_map<(m, n, k) -> (k, m)>
func.func @conv(%image: memref<?x6x6x1xf32>, %w: memref<9x4xf32>, %dy: memref<?x4xf32>, %dw: memref<9x4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c5 = arith.constant 5 : index
  %c6 = arith.constant 6 : index
  %zero = arith.constant 0.0 : f32
  %batch = memref.dim %image, %c0 : memref<?x6x6x1xf32>
  %patches = memref.alloc(%batch) : memref<?x6x6x3x3x1xf32>
  linalg.generic {indexing_maps = [#id6], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]} outs(%patches : memref<?x6x6x3x3x1xf32>) {
  ^bb0(%o: f32):
    %n = linalg.index 0 : index
    %y = linalg.index 1 : index
    %x = linalg.index 2 : index
    %ky = linalg.index 3 : index
    %kx = linalg.index 4 : index
    %y0 = arith.subi %y, %c1 : index
    %iy = arith.addi %y0, %ky : index
    %x0 = arith.subi %x, %c1 : index
    %ix = arith.addi %x0, %kx : index
    %ylo = arith.cmpi sge, %iy, %c0 : index
    %yhi = arith.cmpi slt, %iy, %c6 : index
    %xlo = arith.cmpi sge, %ix, %c0 : index
    %xhi = arith.cmpi slt, %ix, %c6 : index
    %in1 = arith.andi %ylo, %yhi : i1
    %in2 = arith.andi %xlo, %xhi : i1
    %in = arith.andi %in1, %in2 : i1
    %cy0 = arith.maxsi %iy, %c0 : index
    %cy = arith.minsi %cy0, %c5 : index
    %cx0 = arith.maxsi %ix, %c0 : index
    %cx = arith.minsi %cx0, %c5 : index
    %v = memref.load %image[%n, %cy, %cx, %c0] : memref<?x6x6x1xf32>
    %e = arith.select %in, %v, %zero : f32
    linalg.yield %e : f32
  }
  %a = memref.collapse_shape %patches [[0, 1, 2], [3, 4, 5]] : memref<?x6x6x3x3x1xf32> into memref<?x9xf32>
  %rows = memref.dim %a, %c0 : memref<?x9xf32>
  %out = memref.alloc(%rows) : memref<?x4xf32>
  linalg.fill ins(%zero : f32) outs(%out : memref<?x4xf32>)
  linalg.matmul ins(%a, %w : memref<?x9xf32>, memref<9x4xf32>) outs(%out : memref<?x4xf32>)
  linalg.generic {indexing_maps = [#lhsT, #rhs, #out], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %dy : memref<?x9xf32>, memref<?x4xf32>) outs(%dw : memref<9x4xf32>) {
  ^bb0(%p: f32, %g: f32, %acc: f32):
    %t = arith.mulf %p, %g : f32
    %s = arith.addf %acc, %t : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Left alone: a gather with a reader that is not a matrix product (the
// zero fill still folds), and one whose source is written between it and
// the product (the fill of ones stays).
// CHECK-LABEL: func.func @other_reader
// CHECK:         linalg.generic {{.*}} outs(%[[P:.+]] : memref<?x3xf32>)
// CHECK-NOT:     linalg.fill
// CHECK:         linalg.matmul {kiln.zero_init} ins(%[[P]],
// CHECK:         linalg.copy ins(%[[P]]
#id2 = affine_map<(d0, d1) -> (d0, d1)>
#shift = affine_map<(d0, d1) -> (d0, d1 + 1)>
func.func @other_reader(%x: memref<?x4xf32>, %w: memref<3x2xf32>, %y: memref<?x2xf32>, %copy: memref<?x3xf32>) {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %batch = memref.dim %x, %c0 : memref<?x4xf32>
  %p = memref.alloc(%batch) : memref<?x3xf32>
  linalg.generic {indexing_maps = [#shift, #id2], iterator_types = ["parallel", "parallel"]} ins(%x : memref<?x4xf32>) outs(%p : memref<?x3xf32>) {
  ^bb0(%in: f32, %o: f32):
    linalg.yield %in : f32
  }
  linalg.fill ins(%zero : f32) outs(%y : memref<?x2xf32>)
  linalg.matmul ins(%p, %w : memref<?x3xf32>, memref<3x2xf32>) outs(%y : memref<?x2xf32>)
  linalg.copy ins(%p : memref<?x3xf32>) outs(%copy : memref<?x3xf32>)
  return
}

// -----

// CHECK-LABEL: func.func @source_overwritten
// CHECK:         linalg.generic {{.*}} outs(%[[P:.+]] : memref<?x3xf32>)
// CHECK:         linalg.fill ins(%{{.+}} : f32) outs(%[[X:.+]] : memref<?x4xf32>)
// CHECK:         linalg.fill ins(%{{.+}} : f32) outs(%[[Y:.+]] : memref<?x2xf32>)
// CHECK:         linalg.matmul ins(%[[P]],
// CHECK-NOT:       kiln.zero_init
#id2 = affine_map<(d0, d1) -> (d0, d1)>
#shift = affine_map<(d0, d1) -> (d0, d1 + 1)>
func.func @source_overwritten(%x: memref<?x4xf32>, %w: memref<3x2xf32>, %y: memref<?x2xf32>) {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %batch = memref.dim %x, %c0 : memref<?x4xf32>
  %p = memref.alloc(%batch) : memref<?x3xf32>
  linalg.generic {indexing_maps = [#shift, #id2], iterator_types = ["parallel", "parallel"]} ins(%x : memref<?x4xf32>) outs(%p : memref<?x3xf32>) {
  ^bb0(%in: f32, %o: f32):
    linalg.yield %in : f32
  }
  linalg.fill ins(%zero : f32) outs(%x : memref<?x4xf32>)
  // Ones, not zeros: the product adds to them.
  linalg.fill ins(%one : f32) outs(%y : memref<?x2xf32>)
  linalg.matmul ins(%p, %w : memref<?x3xf32>, memref<3x2xf32>) outs(%y : memref<?x2xf32>)
  return
}

// -----

// A transposing copy is a gather too (its input read at permuted
// indices); a fill whose buffer is read before the product stays.
// CHECK-LABEL: func.func @transposed
// CHECK-SAME:      (%[[X:.+]]: memref<3x?xf32>, %[[W:.+]]: memref<3x2xf32>, %[[Y:.+]]: memref<?x2xf32>, %[[S:.+]]: memref<?x2xf32>)
// CHECK-NOT:     memref.alloc
// CHECK:         linalg.fill ins(%{{.+}} : f32) outs(%[[Y]]
// CHECK:         linalg.copy ins(%[[Y]] : memref<?x2xf32>) outs(%[[S]]
// CHECK:         linalg.generic {{.*}} ins(%[[W]] : memref<3x2xf32>) outs(%[[Y]] : memref<?x2xf32>) {
// CHECK:           %[[M:.+]] = linalg.index 0
// CHECK:           %[[K:.+]] = linalg.index 2
// CHECK:           memref.load %[[X]][%[[K]], %[[M]]]
#id2 = affine_map<(d0, d1) -> (d0, d1)>
#t = affine_map<(d0, d1) -> (d1, d0)>
func.func @transposed(%x: memref<3x?xf32>, %w: memref<3x2xf32>, %y: memref<?x2xf32>, %save: memref<?x2xf32>) {
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %batch = memref.dim %x, %c1 : memref<3x?xf32>
  %p = memref.alloc(%batch) : memref<?x3xf32>
  linalg.generic {indexing_maps = [#t, #id2], iterator_types = ["parallel", "parallel"]} ins(%x : memref<3x?xf32>) outs(%p : memref<?x3xf32>) {
  ^bb0(%in: f32, %o: f32):
    linalg.yield %in : f32
  }
  linalg.fill ins(%zero : f32) outs(%y : memref<?x2xf32>)
  linalg.copy ins(%y : memref<?x2xf32>) outs(%save : memref<?x2xf32>)
  linalg.matmul ins(%p, %w : memref<?x3xf32>, memref<3x2xf32>) outs(%y : memref<?x2xf32>)
  return
}

// -----

// Both factors gathered (a convolution's input gradient: g's patches and
// the flipped kernel): the larger one, batch-sized, is computed in the
// product, which keeps the other as its operand (it gives k and n their
// sizes), even though that one's gather comes first.
// CHECK-LABEL: func.func @both_gathered
// CHECK-SAME:      (%[[X:.+]]: memref<3x?xf32>, %[[W:.+]]: memref<2x3xf32>, %[[Y:.+]]: memref<?x2xf32>)
// CHECK:         %[[WT:.+]] = memref.alloc() : memref<3x2xf32>
// CHECK:         linalg.generic {{.*}} ins(%[[W]] : memref<2x3xf32>) outs(%[[WT]] : memref<3x2xf32>)
// CHECK:         linalg.generic {{.*}} ins(%[[WT]] : memref<3x2xf32>) outs(%[[Y]] : memref<?x2xf32>) attrs = {kiln.zero_init} {
// CHECK:           memref.load %[[X]]
// CHECK-NOT:     memref.alloc
// CHECK:         return
#id2 = affine_map<(d0, d1) -> (d0, d1)>
#t = affine_map<(d0, d1) -> (d1, d0)>
func.func @both_gathered(%x: memref<3x?xf32>, %w: memref<2x3xf32>, %y: memref<?x2xf32>) {
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %wt = memref.alloc() : memref<3x2xf32>
  linalg.generic {indexing_maps = [#t, #id2], iterator_types = ["parallel", "parallel"]} ins(%w : memref<2x3xf32>) outs(%wt : memref<3x2xf32>) {
  ^bb0(%in: f32, %o: f32):
    linalg.yield %in : f32
  }
  %batch = memref.dim %x, %c1 : memref<3x?xf32>
  %p = memref.alloc(%batch) : memref<?x3xf32>
  linalg.generic {indexing_maps = [#t, #id2], iterator_types = ["parallel", "parallel"]} ins(%x : memref<3x?xf32>) outs(%p : memref<?x3xf32>) {
  ^bb0(%in: f32, %o: f32):
    linalg.yield %in : f32
  }
  linalg.fill ins(%zero : f32) outs(%y : memref<?x2xf32>)
  linalg.matmul ins(%p, %wt : memref<?x3xf32>, memref<3x2xf32>) outs(%y : memref<?x2xf32>)
  return
}

// -----

// Arithmetic on the elements is not a gather: computed once, not once per
// tile that reads it.
// CHECK-LABEL: func.func @not_a_gather
// CHECK:         %[[P:.+]] = memref.alloc
// CHECK:         arith.mulf
// CHECK:         linalg.matmul {kiln.zero_init} ins(%[[P]],
#id2 = affine_map<(d0, d1) -> (d0, d1)>
func.func @not_a_gather(%x: memref<?x3xf32>, %w: memref<3x2xf32>, %y: memref<?x2xf32>) {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %batch = memref.dim %x, %c0 : memref<?x3xf32>
  %p = memref.alloc(%batch) : memref<?x3xf32>
  linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]} ins(%x : memref<?x3xf32>) outs(%p : memref<?x3xf32>) {
  ^bb0(%in: f32, %o: f32):
    %d = arith.mulf %in, %in : f32
    linalg.yield %d : f32
  }
  linalg.fill ins(%zero : f32) outs(%y : memref<?x2xf32>)
  linalg.matmul ins(%p, %w : memref<?x3xf32>, memref<3x2xf32>) outs(%y : memref<?x2xf32>)
  return
}

// -----

// Bias and relu after a dense layer's product, the product's output read
// by nothing else: the epilogue updates the sums in place (its output,
// returned through the copy, becomes the sums' buffer), and the mapped
// product applies it as it stores each sum: one kernel.
// CHECK-LABEL: func.func @dense_epilogue
// CHECK-SAME:      (%[[X:.+]]: memref<?x8xf32>, %[[W:.+]]: memref<8x4xf32>, %[[BIAS:.+]]: memref<4xf32>, %[[Y:.+]]: memref<?x4xf32>)
// CHECK:         %[[C:.+]] = memref.alloc(%{{.+}}) : memref<?x4xf32>
// CHECK:         linalg.matmul {kiln.zero_init} ins(%[[X]], %[[W]] : memref<?x8xf32>, memref<8x4xf32>) outs(%[[C]] : memref<?x4xf32>)
// CHECK-NOT:     memref.alloc
// CHECK:         linalg.generic {{.*}} ins(%[[C]], %[[BIAS]] : memref<?x4xf32>, memref<4xf32>) outs(%[[C]] : memref<?x4xf32>)
// CHECK:         linalg.copy ins(%[[C]] : memref<?x4xf32>) outs(%[[Y]] : memref<?x4xf32>)

// MAPPED-LABEL: func.func @dense_epilogue
// MAPPED:         gpu.launch_func @kiln_kernels::@dense_epilogue_matmul
// MAPPED-NOT:     gpu.launch_func
// MAPPED:         gpu.launch_func @kiln_kernels::@dense_epilogue_loop {{.*}} args(%{{.+}} : index, %{{.+}} : memref<?x4xf32>, %{{.+}} : memref<?x4xf32>)
// MAPPED-NOT:     gpu.launch_func
// MAPPED:         return
// MAPPED:       gpu.func @dense_epilogue_matmul(
// MAPPED-COUNT-16: math.fma
// MAPPED:         %[[B:.+]] = memref.load %{{.+}} : memref<4xf32>
// MAPPED:         %[[S:.+]] = arith.addf %{{.+}}, %[[B]] : f32
// MAPPED:         %[[R:.+]] = arith.maximumf %[[S]], %{{.+}} : f32
// MAPPED:         memref.store %[[R]], %{{.+}} : memref<?x4xf32>
#rowmap = affine_map<(d0, d1) -> (d0, d1)>
#chan = affine_map<(d0, d1) -> (d1)>
func.func @dense_epilogue(%x: memref<?x8xf32>, %w: memref<8x4xf32>, %bias: memref<4xf32>, %y: memref<?x4xf32>) {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %batch = memref.dim %x, %c0 : memref<?x8xf32>
  %c = memref.alloc(%batch) : memref<?x4xf32>
  linalg.fill ins(%zero : f32) outs(%c : memref<?x4xf32>)
  linalg.matmul ins(%x, %w : memref<?x8xf32>, memref<8x4xf32>) outs(%c : memref<?x4xf32>)
  %d = memref.alloc(%batch) : memref<?x4xf32>
  linalg.generic {indexing_maps = [#rowmap, #chan, #rowmap], iterator_types = ["parallel", "parallel"]}
      ins(%c, %bias : memref<?x4xf32>, memref<4xf32>) outs(%d : memref<?x4xf32>) {
  ^bb0(%s: f32, %b: f32, %o: f32):
    %t = arith.addf %s, %b : f32
    %r = arith.maximumf %t, %zero : f32
    linalg.yield %r : f32
  }
  linalg.copy ins(%d : memref<?x4xf32>) outs(%y : memref<?x4xf32>)
  return
}

// -----

// One epilogue adds two products (a GRU's backward step: the gates'
// gradients times two recurrent kernels' slices): it updates the first
// product's sums in place; the second keeps its own buffer, which the
// epilogue reads. Making it sum into the first's buffer as well (that
// buffer is an allocation of the epilogue's type, and the fresh output
// is now it) would have the second product overwrite the first's sums.
// CHECK-LABEL: func.func @two_products
// CHECK-SAME:      (%[[X:.+]]: memref<?x8xf32>, %[[W:.+]]: memref<8x4xf32>, %[[V:.+]]: memref<8x4xf32>, %[[Y:.+]]: memref<?x4xf32>)
// CHECK:         %[[C:.+]] = memref.alloc(%{{.+}}) : memref<?x4xf32>
// CHECK:         %[[D:.+]] = memref.alloc(%{{.+}}) : memref<?x4xf32>
// CHECK:         linalg.matmul {kiln.zero_init} ins(%[[X]], %[[W]] : {{.*}}) outs(%[[C]] : memref<?x4xf32>)
// CHECK:         linalg.matmul {kiln.zero_init} ins(%[[X]], %[[V]] : {{.*}}) outs(%[[D]] : memref<?x4xf32>)
// CHECK-NOT:     memref.alloc
// CHECK:         linalg.generic {{.*}} ins(%[[C]], %[[D]] : memref<?x4xf32>, memref<?x4xf32>) outs(%[[C]] : memref<?x4xf32>)
// CHECK:         linalg.copy ins(%[[C]] : memref<?x4xf32>) outs(%[[Y]] : memref<?x4xf32>)
#rowmap1 = affine_map<(d0, d1) -> (d0, d1)>
func.func @two_products(%x: memref<?x8xf32>, %w: memref<8x4xf32>, %v: memref<8x4xf32>, %y: memref<?x4xf32>) {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %batch = memref.dim %x, %c0 : memref<?x8xf32>
  %c = memref.alloc(%batch) : memref<?x4xf32>
  %d = memref.alloc(%batch) : memref<?x4xf32>
  linalg.fill ins(%zero : f32) outs(%c : memref<?x4xf32>)
  linalg.matmul ins(%x, %w : memref<?x8xf32>, memref<8x4xf32>) outs(%c : memref<?x4xf32>)
  linalg.fill ins(%zero : f32) outs(%d : memref<?x4xf32>)
  linalg.matmul ins(%x, %v : memref<?x8xf32>, memref<8x4xf32>) outs(%d : memref<?x4xf32>)
  %e = memref.alloc(%batch) : memref<?x4xf32>
  linalg.generic {indexing_maps = [#rowmap1, #rowmap1, #rowmap1], iterator_types = ["parallel", "parallel"]}
      ins(%c, %d : memref<?x4xf32>, memref<?x4xf32>) outs(%e : memref<?x4xf32>) {
  ^bb0(%s: f32, %t: f32, %o: f32):
    %r = arith.addf %s, %t : f32
    linalg.yield %r : f32
  }
  linalg.copy ins(%e : memref<?x4xf32>) outs(%y : memref<?x4xf32>)
  return
}

// -----

// The epilogue's bias is a view made after the product (a GRU's recurrent
// bias, the second row of its bias): the mapped product is placed at the
// epilogue, after that view, and reads the row through it.
// MAPPED-LABEL: func.func @epilogue_reads_later_view
// MAPPED:         %[[ROW:.+]] = memref.subview %{{.+}}[1, 0] [1, 4] [1, 1]
// MAPPED:         %[[BIAS:.+]] = memref.collapse_shape %[[ROW]]
// MAPPED:         gpu.launch_func @kiln_kernels::@epilogue_reads_later_view_matmul {{.*}} %[[BIAS]] : memref<4xf32, strided<[1], offset: 4>>
// MAPPED:       gpu.func @epilogue_reads_later_view_matmul(
// MAPPED:         memref.load %{{.+}} : memref<4xf32, strided<[1], offset: 4>>
// MAPPED:         arith.addf
#rowmap2 = affine_map<(d0, d1) -> (d0, d1)>
#chan2 = affine_map<(d0, d1) -> (d1)>
func.func @epilogue_reads_later_view(%x: memref<?x8xf32>, %w: memref<8x4xf32>, %biases: memref<2x4xf32>, %y: memref<?x4xf32>) {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %batch = memref.dim %x, %c0 : memref<?x8xf32>
  %c = memref.alloc(%batch) : memref<?x4xf32>
  linalg.fill ins(%zero : f32) outs(%c : memref<?x4xf32>)
  linalg.matmul ins(%x, %w : memref<?x8xf32>, memref<8x4xf32>) outs(%c : memref<?x4xf32>)
  %row = memref.subview %biases[1, 0] [1, 4] [1, 1] : memref<2x4xf32> to memref<1x4xf32, strided<[4, 1], offset: 4>>
  %bias = memref.collapse_shape %row [[0, 1]] : memref<1x4xf32, strided<[4, 1], offset: 4>> into memref<4xf32, strided<[1], offset: 4>>
  %d = memref.alloc(%batch) : memref<?x4xf32>
  linalg.generic {indexing_maps = [#rowmap2, #chan2, #rowmap2], iterator_types = ["parallel", "parallel"]}
      ins(%c, %bias : memref<?x4xf32>, memref<4xf32, strided<[1], offset: 4>>) outs(%d : memref<?x4xf32>) {
  ^bb0(%s: f32, %b: f32, %o: f32):
    %t = arith.addf %s, %b : f32
    linalg.yield %t : f32
  }
  linalg.copy ins(%d : memref<?x4xf32>) outs(%y : memref<?x4xf32>)
  return
}

// -----

// The epilogue writes a slot of a stack the product does not read (an
// LSTM step's gates' pre-activation, saved for the backward pass): the
// product sums into that slot instead of its fresh buffer (the slot's view
// moves before it), and the epilogue adds the input and bias there in
// place, which the mapped product applies as it stores: one kernel, no
// copy into the stack.
// CHECK-LABEL: func.func @epilogue_into_slot
// CHECK-SAME:      (%[[X:.+]]: memref<?x8xf32>, %[[W:.+]]: memref<8x4xf32>, %[[IN:.+]]: memref<?x4xf32>, %[[BIAS:.+]]: memref<4xf32>, %[[STACK:.+]]: memref<3x?x4xf32>, %[[K:.+]]: index)
// CHECK-NOT:     memref.alloc
// CHECK:         %[[SLOT:.+]] = memref.subview %[[STACK]][%[[K]], 0, 0]
// CHECK:         linalg.matmul {kiln.zero_init} ins(%[[X]], %[[W]] : memref<?x8xf32>, memref<8x4xf32>) outs(%[[SLOT]] : memref<?x4xf32, strided<[4, 1], offset: ?>>)
// CHECK:         linalg.generic {{.*}} ins(%[[IN]], %[[SLOT]], %[[BIAS]] : {{.*}}) outs(%[[SLOT]] : memref<?x4xf32, strided<[4, 1], offset: ?>>)
// CHECK-NOT:     memref.alloc
// MAPPED-LABEL: func.func @epilogue_into_slot
// MAPPED:         gpu.launch_func @kiln_kernels::@epilogue_into_slot_matmul
// MAPPED-NOT:     gpu.launch_func
// MAPPED:         return
#rowmap4 = affine_map<(d0, d1) -> (d0, d1)>
#chan4 = affine_map<(d0, d1) -> (d1)>
func.func @epilogue_into_slot(%x: memref<?x8xf32>, %w: memref<8x4xf32>, %in: memref<?x4xf32>, %bias: memref<4xf32>, %stack: memref<3x?x4xf32>, %k: index) {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %batch = memref.dim %x, %c0 : memref<?x8xf32>
  %c = memref.alloc(%batch) : memref<?x4xf32>
  linalg.fill ins(%zero : f32) outs(%c : memref<?x4xf32>)
  linalg.matmul ins(%x, %w : memref<?x8xf32>, memref<8x4xf32>) outs(%c : memref<?x4xf32>)
  %slot = memref.subview %stack[%k, 0, 0] [1, %batch, 4] [1, 1, 1] : memref<3x?x4xf32> to memref<?x4xf32, strided<[4, 1], offset: ?>>
  linalg.generic {indexing_maps = [#rowmap4, #rowmap4, #chan4, #rowmap4], iterator_types = ["parallel", "parallel"]}
      ins(%in, %c, %bias : memref<?x4xf32>, memref<?x4xf32>, memref<4xf32>) outs(%slot : memref<?x4xf32, strided<[4, 1], offset: ?>>) {
  ^bb0(%i: f32, %s: f32, %b: f32, %o: f32):
    %t = arith.addf %i, %s : f32
    %u = arith.addf %t, %b : f32
    linalg.yield %u : f32
  }
  return
}

// -----

// Two products' epilogue writes a slot: the first product sums into the
// slot; the second keeps its own buffer, since the epilogue now reads the
// slot (summing there too, it would replace the first's sums).
// CHECK-LABEL: func.func @two_products_into_slot
// CHECK-SAME:      (%[[X:.+]]: memref<?x8xf32>, %[[W:.+]]: memref<8x4xf32>, %[[V:.+]]: memref<8x4xf32>, %[[STACK:.+]]: memref<3x?x4xf32>, %[[K:.+]]: index)
// CHECK:         %[[D:.+]] = memref.alloc(%{{.+}}) : memref<?x4xf32>
// CHECK:         %[[SLOT:.+]] = memref.subview %[[STACK]][%[[K]], 0, 0]
// CHECK:         linalg.matmul {kiln.zero_init} ins(%[[X]], %[[W]] : {{.*}}) outs(%[[SLOT]] : {{.*}})
// CHECK:         linalg.matmul {kiln.zero_init} ins(%[[X]], %[[V]] : {{.*}}) outs(%[[D]] : memref<?x4xf32>)
// CHECK:         linalg.generic {{.*}} ins(%[[SLOT]], %[[D]] : {{.*}}) outs(%[[SLOT]] : {{.*}})
#rowmap5 = affine_map<(d0, d1) -> (d0, d1)>
func.func @two_products_into_slot(%x: memref<?x8xf32>, %w: memref<8x4xf32>, %v: memref<8x4xf32>, %stack: memref<3x?x4xf32>, %k: index) {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %batch = memref.dim %x, %c0 : memref<?x8xf32>
  %c = memref.alloc(%batch) : memref<?x4xf32>
  %d = memref.alloc(%batch) : memref<?x4xf32>
  linalg.fill ins(%zero : f32) outs(%c : memref<?x4xf32>)
  linalg.matmul ins(%x, %w : memref<?x8xf32>, memref<8x4xf32>) outs(%c : memref<?x4xf32>)
  linalg.fill ins(%zero : f32) outs(%d : memref<?x4xf32>)
  linalg.matmul ins(%x, %v : memref<?x8xf32>, memref<8x4xf32>) outs(%d : memref<?x4xf32>)
  %slot = memref.subview %stack[%k, 0, 0] [1, %batch, 4] [1, 1, 1] : memref<3x?x4xf32> to memref<?x4xf32, strided<[4, 1], offset: ?>>
  linalg.generic {indexing_maps = [#rowmap5, #rowmap5, #rowmap5], iterator_types = ["parallel", "parallel"]}
      ins(%c, %d : memref<?x4xf32>, memref<?x4xf32>) outs(%slot : memref<?x4xf32, strided<[4, 1], offset: ?>>) {
  ^bb0(%s: f32, %t: f32, %o: f32):
    %r = arith.addf %s, %t : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// An epilogue that adds the sums to what its slot holds (an accumulation):
// the product keeps its own buffer, or its sums would replace the value
// they are added to.
// CHECK-LABEL: func.func @accumulate_into_slot
// CHECK:         %[[C:.+]] = memref.alloc(%{{.+}}) : memref<?x4xf32>
// CHECK:         linalg.matmul {kiln.zero_init} ins(%{{.+}}, %{{.+}} : {{.*}}) outs(%[[C]] : memref<?x4xf32>)
// CHECK:         %[[SLOT:.+]] = memref.subview
// CHECK:         linalg.generic {{.*}} ins(%[[C]], %[[SLOT]] : {{.*}}) outs(%[[SLOT]] : {{.*}})
#rowmap6 = affine_map<(d0, d1) -> (d0, d1)>
func.func @accumulate_into_slot(%x: memref<?x8xf32>, %w: memref<8x4xf32>, %stack: memref<3x?x4xf32>, %k: index) {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %batch = memref.dim %x, %c0 : memref<?x8xf32>
  %c = memref.alloc(%batch) : memref<?x4xf32>
  linalg.fill ins(%zero : f32) outs(%c : memref<?x4xf32>)
  linalg.matmul ins(%x, %w : memref<?x8xf32>, memref<8x4xf32>) outs(%c : memref<?x4xf32>)
  %slot = memref.subview %stack[%k, 0, 0] [1, %batch, 4] [1, 1, 1] : memref<3x?x4xf32> to memref<?x4xf32, strided<[4, 1], offset: ?>>
  linalg.generic {indexing_maps = [#rowmap6, #rowmap6, #rowmap6], iterator_types = ["parallel", "parallel"]}
      ins(%c, %slot : memref<?x4xf32>, memref<?x4xf32, strided<[4, 1], offset: ?>>) outs(%slot : memref<?x4xf32, strided<[4, 1], offset: ?>>) {
  ^bb0(%s: f32, %t: f32, %o: f32):
    %r = arith.addf %s, %t : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// A convolution's epilogue sees the rows as batch x 2 x 2 positions
// (expand_shape): the product stores tanh(sum + bias[channel]) at the
// element's split indices; the other kernel left is the copy.
// CHECK-LABEL: func.func @conv_epilogue
// CHECK:         %[[C:.+]] = memref.alloc(%{{.+}}) : memref<?x3xf32>
// CHECK:         %[[E:.+]] = memref.expand_shape %[[C]]
// CHECK-NOT:     memref.alloc
// CHECK:         linalg.generic {{.*}} ins(%[[E]], %{{.+}} : memref<?x2x2x3xf32>, memref<3xf32>) outs(%[[E]] : memref<?x2x2x3xf32>)
// CHECK:         linalg.copy ins(%[[E]]

// MAPPED-LABEL: func.func @conv_epilogue
// MAPPED:       gpu.func @conv_epilogue_matmul(
// MAPPED:         math.fma
// MAPPED:         memref.load %{{.+}}[%{{.+}}] : memref<3xf32>
// MAPPED:         math.tanh
// MAPPED:         memref.store %{{.+}} : memref<?x3xf32>
#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#ch4 = affine_map<(d0, d1, d2, d3) -> (d3)>
func.func @conv_epilogue(%a: memref<?x5xf32>, %w: memref<5x3xf32>, %bias: memref<3xf32>, %y: memref<?x2x2x3xf32>) {
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  %zero = arith.constant 0.0 : f32
  %rows = memref.dim %a, %c0 : memref<?x5xf32>
  %c = memref.alloc(%rows) : memref<?x3xf32>
  linalg.fill ins(%zero : f32) outs(%c : memref<?x3xf32>)
  linalg.matmul ins(%a, %w : memref<?x5xf32>, memref<5x3xf32>) outs(%c : memref<?x3xf32>)
  %batch = arith.divui %rows, %c4 : index
  %e = memref.expand_shape %c [[0, 1, 2], [3]] output_shape [%batch, 2, 2, 3] : memref<?x3xf32> into memref<?x2x2x3xf32>
  %d = memref.alloc(%batch) : memref<?x2x2x3xf32>
  linalg.generic {indexing_maps = [#id4, #ch4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%e, %bias : memref<?x2x2x3xf32>, memref<3xf32>) outs(%d : memref<?x2x2x3xf32>) {
  ^bb0(%s: f32, %b: f32, %o: f32):
    %t = arith.addf %s, %b : f32
    %r = math.tanh %t : f32
    linalg.yield %r : f32
  }
  linalg.copy ins(%d : memref<?x2x2x3xf32>) outs(%y : memref<?x2x2x3xf32>)
  return
}

// -----

// A split product (kiln-cuda-split-k's partials, last input) folds its
// zero fill too: a single active chunk stores its sums, and the partials'
// sum takes partial 0 itself instead of adding it to the output.
// CHECK-LABEL: func.func @split_zero
// CHECK-NOT:     linalg.fill
// CHECK:         linalg.generic {{.*}} attrs = {kiln.split_k, kiln.zero_init}

// MAPPED-LABEL: func.func @split_zero
// MAPPED:       gpu.func @split_zero_matmul(
// MAPPED:         scf.if %{{.+}} {
// MAPPED:           memref.store %{{.+}} : memref<2x8x8xf32>
// MAPPED:         } else {
// MAPPED-NEXT:      memref.store %{{.+}} : memref<8x8xf32>
// MAPPED:       gpu.func @split_zero_loop(
// MAPPED:         %[[TOTAL:.+]] = scf.for %[[S:.+]] = %c0 to %{{.+}} step %c1 iter_args(
// MAPPED:           %[[P:.+]] = memref.load %{{.+}} : memref<?x8x8xf32, strided<[64, 8, 1]>>
// MAPPED:           %[[SUM:.+]] = arith.addf %{{.+}}, %[[P]]
// MAPPED:           %[[FIRST:.+]] = arith.cmpi eq, %[[S]], %c0
// MAPPED:           %[[NEW:.+]] = arith.select %[[FIRST]], %[[P]], %[[SUM]]
// MAPPED:           scf.yield %[[NEW]]
// MAPPED:         memref.store %[[TOTAL]]
#lhs = affine_map<(m, n, k) -> (m, k)>
#rhs = affine_map<(m, n, k) -> (k, n)>
#origin = affine_map<(m, n, k) -> (0, 0, 0)>
#out = affine_map<(m, n, k) -> (m, n)>
func.func @split_zero(%x: memref<8x?xf32>, %g: memref<?x8xf32>, %p: memref<2x8x8xf32>, %w: memref<8x8xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%w : memref<8x8xf32>)
  linalg.generic {indexing_maps = [#lhs, #rhs, #origin, #out], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %g, %p : memref<8x?xf32>, memref<?x8xf32>, memref<2x8x8xf32>) outs(%w : memref<8x8xf32>) attrs = {kiln.split_k} {
  ^bb0(%a: f32, %b: f32, %unused: f32, %acc: f32):
    %t = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %t : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A zero fill before a sum that blocks of threads share (a bias gradient:
// 16 outputs, the batch long) goes too: the sum stores its totals. A sum
// with batch-sized outputs (row sums, one thread each, adding to what is
// there) keeps its fill.
// CHECK-LABEL: func.func @sum_fills
// CHECK-SAME:      (%[[DY:.+]]: memref<?x16xf32>, %[[DB:.+]]: memref<16xf32>, %[[X:.+]]: memref<?x10xf32>, %[[S:.+]]: memref<?xf32>)
// CHECK-NOT:     linalg.fill ins(%{{.+}} : f32) outs(%[[DB]]
// CHECK:         linalg.generic {{.*}} ins(%[[DY]] : memref<?x16xf32>) outs(%[[DB]] : memref<16xf32>) attrs = {kiln.zero_init}
// CHECK:         linalg.fill ins(%{{.+}} : f32) outs(%[[S]] : memref<?xf32>)
// CHECK:         linalg.generic
// CHECK-NOT:       kiln.zero_init
// CHECK-SAME:      outs(%[[S]] : memref<?xf32>)
// MAPPED-LABEL: func.func @sum_fills
// MAPPED:       gpu.func @sum_fills_sum(
// MAPPED:         scf.if
// MAPPED-NOT:       memref.load %{{.+}} : memref<16xf32>
// MAPPED:           memref.store %{{.+}}, %{{.+}}[%{{.+}}] : memref<16xf32>
#dyrow = affine_map<(d0, d1) -> (d0, d1)>
#dycol = affine_map<(d0, d1) -> (d1)>
#xrow = affine_map<(d0, d1) -> (d0)>
func.func @sum_fills(%dy: memref<?x16xf32>, %db: memref<16xf32>, %x: memref<?x10xf32>, %s: memref<?xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%db : memref<16xf32>)
  linalg.generic {indexing_maps = [#dyrow, #dycol], iterator_types = ["reduction", "parallel"]}
      ins(%dy : memref<?x16xf32>) outs(%db : memref<16xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %t = arith.addf %in, %acc : f32
    linalg.yield %t : f32
  }
  linalg.fill ins(%zero : f32) outs(%s : memref<?xf32>)
  linalg.generic {indexing_maps = [#dyrow, #xrow], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<?x10xf32>) outs(%s : memref<?xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %t = arith.addf %in, %acc : f32
    linalg.yield %t : f32
  }
  return
}

// -----

// A gather of 8 channels a tap (k = (ky * 3 + kx) * 8 + c): each thread
// stages four neighbouring k of a row, k0 + 4 i + lane, which lie in one
// tap. Their tap and channel come from the quad's base (c + lane, the
// tap's quotient shared), the row's batch, y and x are computed once, and
// the bounds and padding tests too: under each element's guard only its
// load and the padding's select remain.
// QUAD-LABEL: func.func @conv_channels
// QUAD:       gpu.func @conv_channels_matmul(
// QUAD:         %[[K:.+]] = arith.muli %{{.+}}, %c4 : index
// QUAD:         %[[ROW:.+]] = arith.addi
// QUAD:         arith.remui %[[ROW]], %c6 : index
// QUAD:         %[[C:.+]] = arith.remui %[[K]], %c8 : index
// QUAD:         %[[TAP:.+]] = arith.divui %[[K]], %c8 : index
// QUAD:         arith.remui %[[TAP]], %c3 : index
// QUAD:         arith.divui %[[TAP]], %c3 : index
// QUAD:         scf.if
// QUAD-NEXT:      memref.load %{{.+}}[%{{.+}}, %{{.+}}, %{{.+}}, %[[C]]] : memref<?x6x6x8xf32>
// QUAD-NEXT:      arith.select %[[PAD:[^,]+]],
// QUAD-NEXT:      scf.yield
// QUAD:         %[[C1:.+]] = arith.addi %[[C]], %c1 : index
// QUAD-NEXT:    scf.if
// QUAD-NEXT:      memref.load %{{.+}}[%{{.+}}, %{{.+}}, %{{.+}}, %[[C1]]] : memref<?x6x6x8xf32>
// QUAD-NEXT:      arith.select %[[PAD]],
// QUAD:         %[[C3:.+]] = arith.addi %[[C]], %c3 : index
// QUAD-NEXT:    scf.if
// QUAD-NEXT:      memref.load %{{.+}}[%{{.+}}, %{{.+}}, %{{.+}}, %[[C3]]] : memref<?x6x6x8xf32>
// QUAD-NEXT:      arith.select %[[PAD]],
#id6 = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d4, d5)>
func.func @conv_channels(%image: memref<?x6x6x8xf32>, %w: memref<72x16xf32>) -> memref<?x16xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c5 = arith.constant 5 : index
  %c6 = arith.constant 6 : index
  %zero = arith.constant 0.0 : f32
  %batch = memref.dim %image, %c0 : memref<?x6x6x8xf32>
  %patches = memref.alloc(%batch) : memref<?x6x6x3x3x8xf32>
  linalg.generic {indexing_maps = [#id6], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]} outs(%patches : memref<?x6x6x3x3x8xf32>) {
  ^bb0(%o: f32):
    %n = linalg.index 0 : index
    %y = linalg.index 1 : index
    %x = linalg.index 2 : index
    %ky = linalg.index 3 : index
    %kx = linalg.index 4 : index
    %c = linalg.index 5 : index
    %y0 = arith.subi %y, %c1 : index
    %iy = arith.addi %y0, %ky : index
    %x0 = arith.subi %x, %c1 : index
    %ix = arith.addi %x0, %kx : index
    %ylo = arith.cmpi sge, %iy, %c0 : index
    %yhi = arith.cmpi slt, %iy, %c6 : index
    %xlo = arith.cmpi sge, %ix, %c0 : index
    %xhi = arith.cmpi slt, %ix, %c6 : index
    %in1 = arith.andi %ylo, %yhi : i1
    %in2 = arith.andi %xlo, %xhi : i1
    %in = arith.andi %in1, %in2 : i1
    %cy0 = arith.maxsi %iy, %c0 : index
    %cy = arith.minsi %cy0, %c5 : index
    %cx0 = arith.maxsi %ix, %c0 : index
    %cx = arith.minsi %cx0, %c5 : index
    %v = memref.load %image[%n, %cy, %cx, %c] : memref<?x6x6x8xf32>
    %e = arith.select %in, %v, %zero : f32
    linalg.yield %e : f32
  }
  %a = memref.collapse_shape %patches [[0, 1, 2], [3, 4, 5]] : memref<?x6x6x3x3x8xf32> into memref<?x72xf32>
  %rows = memref.dim %a, %c0 : memref<?x72xf32>
  %out = memref.alloc(%rows) : memref<?x16xf32>
  linalg.fill ins(%zero : f32) outs(%out : memref<?x16xf32>)
  linalg.matmul ins(%a, %w : memref<?x72xf32>, memref<72x16xf32>) outs(%out : memref<?x16xf32>)
  return %out : memref<?x16xf32>
}
