// RUN: kiln-opt %s --split-input-file --kiln-cpu-vectorize-generic="vector-width=16" | FileCheck %s
// RUN: kiln-opt %s --split-input-file --kiln-cpu-vectorize-generic="vector-width=8" | FileCheck %s --check-prefix=AVX2

// Bias + ReLU on NHWC: loops over N, H, W; one vector of the 16 channels;
// the bias does not depend on the outer loops but is read along the lanes.
// CHECK-LABEL: func.func @bias_relu
// CHECK-NOT:     linalg.generic
// CHECK:         %[[N:.+]] = memref.dim %arg0, %c0
// CHECK:         scf.for %[[I:.+]] = %{{.+}} to %[[N]]
// CHECK:           scf.for %[[J:.+]] = %{{.+}} to %c28
// CHECK:             scf.for %[[K:.+]] = %{{.+}} to %c28
// CHECK:               %[[X:.+]] = vector.load %arg0[%[[I]], %[[J]], %[[K]], %[[C0:.+]]] : memref<?x28x28x16xf32>, vector<16xf32>
// CHECK:               %[[B:.+]] = vector.load %arg1[%[[C0]]] : memref<16xf32>, vector<16xf32>
// CHECK:               %[[S:.+]] = arith.addf %[[X]], %[[B]] : vector<16xf32>
// CHECK:               %[[Z:.+]] = vector.broadcast %{{.+}} : f32 to vector<16xf32>
// CHECK:               %[[P:.+]] = arith.cmpf ugt, %[[S]], %[[Z]] : vector<16xf32>
// CHECK:               %[[R:.+]] = arith.select %[[P]], %[[S]], %[[Z]] : vector<16xi1>, vector<16xf32>
// CHECK:               vector.store %[[R]], %arg2[%[[I]], %[[J]], %[[K]], %[[C0]]]
// AVX2-LABEL: func.func @bias_relu
// AVX2-COUNT-2: vector.store %{{.+}} : memref<?x28x28x16xf32>, vector<8xf32>
#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#ch = affine_map<(d0, d1, d2, d3) -> (d3)>
func.func @bias_relu(%x: memref<?x28x28x16xf32>, %b: memref<16xf32>, %y: memref<?x28x28x16xf32>) {
  %cst = arith.constant 0.0 : f32
  linalg.generic {indexing_maps = [#id4, #ch, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x, %b : memref<?x28x28x16xf32>, memref<16xf32>) outs(%y : memref<?x28x28x16xf32>) {
  ^bb0(%in: f32, %bias: f32, %out: f32):
    %s = arith.addf %in, %bias : f32
    %p = arith.cmpf ugt, %s, %cst : f32
    %r = arith.select %p, %s, %cst : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// 1568 = 98 x 16: a loop over full vectors; 10 units: one masked vector; a
// per-row operand (the softmax's row sum) is a scalar broadcast to the lanes.
// CHECK-LABEL: func.func @rows
// CHECK:         scf.for %[[R:.+]] = %{{.+}} to %{{.+}} step %c1
// CHECK:           scf.for %[[C:.+]] = %c0{{.*}} to %c1568{{.*}} step %c16
// CHECK:             vector.load %arg0[%[[R]], %[[C]]] : memref<?x1568xf32>, vector<16xf32>
// CHECK:             %[[S:.+]] = memref.load %arg1[%[[R]]] : memref<?xf32>
// CHECK:             vector.broadcast %[[S]] : f32 to vector<16xf32>
// CHECK:             arith.divf
// CHECK:             vector.store
// CHECK-NOT:     vector.maskedstore
// CHECK-LABEL: func.func @masked_tail
// CHECK:         %[[M:.+]] = vector.constant_mask [10] : vector<16xi1>
// CHECK:         vector.maskedload %arg0[%{{.+}}, %{{.+}}], %[[M]], %{{.+}} : memref<?x10xf32>, vector<16xi1>, vector<16xf32> into vector<16xf32>
// CHECK:         vector.maskedstore %arg2[%{{.+}}, %{{.+}}], %[[M]], %{{.+}} : memref<?x10xf32>, vector<16xi1>, vector<16xf32>
// A 20-lane loop at width 16: one full vector, then 4 masked lanes.
// CHECK-LABEL: func.func @full_then_tail
// CHECK:         vector.load %arg0[%{{.+}}, %c0{{.*}}] : memref<?x20xf32>, vector<16xf32>
// CHECK:         vector.constant_mask [4] : vector<16xi1>
// CHECK:         vector.maskedload %arg0[%{{.+}}, %c16{{.*}}]
#id2 = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
func.func @rows(%x: memref<?x1568xf32>, %s: memref<?xf32>, %y: memref<?x1568xf32>) {
  linalg.generic {indexing_maps = [#id2, #row, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%x, %s : memref<?x1568xf32>, memref<?xf32>) outs(%y : memref<?x1568xf32>) {
  ^bb0(%in: f32, %sum: f32, %out: f32):
    %q = arith.divf %in, %sum : f32
    linalg.yield %q : f32
  }
  return
}
func.func @masked_tail(%x: memref<?x10xf32>, %s: memref<?xf32>, %y: memref<?x10xf32>) {
  linalg.generic {indexing_maps = [#id2, #row, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%x, %s : memref<?x10xf32>, memref<?xf32>) outs(%y : memref<?x10xf32>) {
  ^bb0(%in: f32, %sum: f32, %out: f32):
    %q = arith.divf %in, %sum : f32
    linalg.yield %q : f32
  }
  return
}
func.func @full_then_tail(%x: memref<?x20xf32>, %y: memref<?x20xf32>) {
  linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<?x20xf32>) outs(%y : memref<?x20xf32>) {
  ^bb0(%in: f32, %out: f32):
    %e = math.exp %in : f32
    linalg.yield %e : f32
  }
  return
}

// -----

// Max pooling (2x2, stride 2) with channels innermost: the window is read
// through a load whose last index is the channel's. The reduction
// dimensions follow the parallel ones: the output vector is read once,
// carried through the window loops in a register, and written once.
// CHECK-LABEL: func.func @max_pool
// CHECK:         scf.for %[[N:.+]] =
// CHECK:           scf.for %[[H:.+]] =
// CHECK:             scf.for %[[W:.+]] =
// CHECK:               %[[INIT:.+]] = vector.load %arg1[%[[N]], %[[H]], %[[W]], %[[C0:.+]]] : memref<?x14x14x16xf32>, vector<16xf32>
// CHECK:               %[[R:.+]] = scf.for %{{.+}} = {{.+}} iter_args(%[[A:.+]] = %[[INIT]]) -> (vector<16xf32>)
// CHECK:                 %[[R2:.+]] = scf.for %{{.+}} = {{.+}} iter_args(%[[B:.+]] = %[[A]]) -> (vector<16xf32>)
// CHECK:                   %[[X:.+]] = vector.load %arg2[%[[N]], %{{.+}}, %{{.+}}, %[[C0]]] : memref<?x28x28x16xf32>, vector<16xf32>
// CHECK:                   %[[M:.+]] = arith.maximumf %[[B]], %[[X]] : vector<16xf32>
// CHECK:                   scf.yield %[[M]]
// CHECK:                 scf.yield %[[R2]]
// CHECK:               vector.store %[[R]], %arg1[%[[N]], %[[H]], %[[W]], %[[C0]]]
// A fill of the output just before (outlined with the pooling) is folded:
// the accumulator starts as -inf, the output is only written.
// CHECK-LABEL: func.func @max_pool_filled
// CHECK-NOT:     linalg.fill
// CHECK:         scf.for
// CHECK:           scf.for
// CHECK:             scf.for
// CHECK-NOT:           vector.load %arg1
// CHECK:               %[[NEG:.+]] = arith.constant 0xFF800000 : f32
// CHECK-NEXT:          %[[INIT:.+]] = vector.broadcast %[[NEG]] : f32 to vector<16xf32>
// CHECK-NOT:           vector.load %arg1
// CHECK:               scf.for %{{.+}} iter_args(%{{.+}} = %[[INIT]])
// CHECK:         vector.store
#win = affine_map<(d0, d1, d2, d3, d4, d5) -> (d3, d4)>
#out6 = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d5)>
func.func @max_pool(%w: memref<2x2xf32>, %y: memref<?x14x14x16xf32>, %x: memref<?x28x28x16xf32>) {
  %c2 = arith.constant 2 : index
  linalg.generic {indexing_maps = [#win, #out6], iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction", "parallel"]}
      ins(%w : memref<2x2xf32>) outs(%y : memref<?x14x14x16xf32>) {
  ^bb0(%in: f32, %out: f32):
    %n = linalg.index 0 : index
    %kh = linalg.index 3 : index
    %h = linalg.index 1 : index
    %h2 = arith.muli %h, %c2 : index
    %ih = arith.addi %h2, %kh : index
    %kw = linalg.index 4 : index
    %w0 = linalg.index 2 : index
    %w2 = arith.muli %w0, %c2 : index
    %iw = arith.addi %w2, %kw : index
    %c = linalg.index 5 : index
    %v = memref.load %x[%n, %ih, %iw, %c] : memref<?x28x28x16xf32>
    %m = arith.maximumf %out, %v : f32
    linalg.yield %m : f32
  }
  return
}
func.func @max_pool_filled(%w: memref<2x2xf32>, %y: memref<?x14x14x16xf32>, %x: memref<?x28x28x16xf32>) {
  %c2 = arith.constant 2 : index
  %ninf = arith.constant 0xFF800000 : f32
  linalg.fill ins(%ninf : f32) outs(%y : memref<?x14x14x16xf32>)
  linalg.generic {indexing_maps = [#win, #out6], iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction", "parallel"]}
      ins(%w : memref<2x2xf32>) outs(%y : memref<?x14x14x16xf32>) {
  ^bb0(%in: f32, %out: f32):
    %n = linalg.index 0 : index
    %kh = linalg.index 3 : index
    %h = linalg.index 1 : index
    %h2 = arith.muli %h, %c2 : index
    %ih = arith.addi %h2, %kh : index
    %kw = linalg.index 4 : index
    %w0 = linalg.index 2 : index
    %w2 = arith.muli %w0, %c2 : index
    %iw = arith.addi %w2, %kw : index
    %c = linalg.index 5 : index
    %v = memref.load %x[%n, %ih, %iw, %c] : memref<?x28x28x16xf32>
    %m = arith.maximumf %out, %v : f32
    linalg.yield %m : f32
  }
  return
}

// -----

// A load along the lanes at an offset (a channel slice) stays contiguous;
// the lane index used as a value becomes [base, base+1, ...].
// CHECK-LABEL: func.func @offset_and_iota
// CHECK:         %[[B:.+]] = arith.addi %{{.+}}, %c4 : index
// CHECK:         vector.load %arg0[%{{.+}}, %[[B]]] : memref<?x24xf32>, vector<16xf32>
// CHECK:         vector.step : vector<16xindex>
// CHECK:         arith.index_cast %{{.+}} : vector<16xindex> to vector<16xi32>
#id2 = affine_map<(d0, d1) -> (d0, d1)>
func.func @offset_and_iota(%x: memref<?x24xf32>, %y: memref<?x16xf32>, %z: memref<?x16xi32>) {
  %c4 = arith.constant 4 : index
  linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      outs(%y, %z : memref<?x16xf32>, memref<?x16xi32>) {
  ^bb0(%out: f32, %out2: i32):
    %r = linalg.index 0 : index
    %c = linalg.index 1 : index
    %cc = arith.addi %c, %c4 : index
    %v = memref.load %x[%r, %cc] : memref<?x24xf32>
    %i = arith.index_cast %c : index to i32
    linalg.yield %v, %i : f32, i32
  }
  return
}

// -----

// Left to the scalar path: a transpose (the lanes are not contiguous in the
// input), a gather, a reduction innermost, a dynamic or tiny innermost loop,
// and booleans in memory (a memref<i1> element takes a byte, a vector<i1>
// lane a bit: a vector load would read the bytes as packed bits).
// CHECK-LABEL: func.func @not_vectorized
// CHECK-COUNT-6: linalg.generic
// CHECK-NOT:     vector.
#id2 = affine_map<(d0, d1) -> (d0, d1)>
#tr = affine_map<(d0, d1) -> (d1, d0)>
#row = affine_map<(d0, d1) -> (d0)>
func.func @not_vectorized(%a: memref<64x32xf32>, %b: memref<32x64xf32>, %idx: memref<?x16xindex>, %t: memref<100x16xf32>,
                          %g: memref<?x16xf32>, %s: memref<?xf32>, %d: memref<?x?xf32>, %e: memref<?x?xf32>, %f: memref<?x3xf32>,
                          %m: memref<?x16xi1>) {
  linalg.generic {indexing_maps = [#tr, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%a : memref<64x32xf32>) outs(%b : memref<32x64xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  }
  linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%idx : memref<?x16xindex>) outs(%g : memref<?x16xf32>) {
  ^bb0(%i: index, %out: f32):
    %c = linalg.index 1 : index
    %v = memref.load %t[%i, %c] : memref<100x16xf32>
    linalg.yield %v : f32
  }
  linalg.generic {indexing_maps = [#id2, #row], iterator_types = ["parallel", "reduction"]}
      ins(%g : memref<?x16xf32>) outs(%s : memref<?xf32>) {
  ^bb0(%in: f32, %out: f32):
    %v = arith.addf %in, %out : f32
    linalg.yield %v : f32
  }
  linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%d : memref<?x?xf32>) outs(%e : memref<?x?xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  }
  linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%f : memref<?x3xf32>) outs(%f : memref<?x3xf32>) {
  ^bb0(%in: f32, %out: f32):
    %n = arith.negf %in : f32
    linalg.yield %n : f32
  }
  linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%g : memref<?x16xf32>) outs(%m : memref<?x16xi1>) {
  ^bb0(%in: f32, %out: i1):
    %zero = arith.constant 0.0 : f32
    %p = arith.cmpf ogt, %in, %zero : f32
    linalg.yield %p : i1
  }
  return
}
