// RUN: kiln-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(kiln-cuda-merge-elementwise))" | FileCheck %s
// RUN: kiln-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(kiln-cuda-merge-elementwise),kiln-cuda-map-to-gpu,canonicalize)" | FileCheck %s --check-prefix=MAPPED

// Adam's update of one parameter: the moments, then the parameter from
// both. One generic with three outputs; the parameter's update takes the
// new moments from the body (no input for them), the gradient is read by
// both moments.
// CHECK-LABEL: func.func @adam
// CHECK-SAME:      (%[[P:.+]]: memref<4x3xf32>, %[[M:.+]]: memref<4x3xf32>, %[[V:.+]]: memref<4x3xf32>, %[[G:.+]]: memref<4x3xf32>, %[[LR:.+]]: memref<f32>, %[[P1:.+]]: memref<4x3xf32>, %[[M1:.+]]: memref<4x3xf32>, %[[V1:.+]]: memref<4x3xf32>)
// CHECK:         linalg.generic
// CHECK-SAME:      ins(%[[M]], %[[G]], %[[V]], %[[G]], %[[P]], %[[LR]] :
// CHECK-SAME:      outs(%[[M1]], %[[V1]], %[[P1]] :
// CHECK-NEXT:    ^bb0(%[[MI:.+]]: f32, %[[GI:.+]]: f32, %[[VI:.+]]: f32, %[[GI2:.+]]: f32, %[[PI:.+]]: f32, %[[LRI:.+]]: f32, %{{.+}}: f32, %{{.+}}: f32, %{{.+}}: f32):
// CHECK:           %[[NEWM:.+]] = arith.addf
// CHECK:           %[[GG:.+]] = arith.mulf %[[GI2]], %[[GI2]]
// CHECK:           %[[NEWV:.+]] = arith.addf
// CHECK:           %[[SQ:.+]] = math.sqrt %[[NEWV]]
// CHECK:           %[[STEP:.+]] = arith.divf %[[NEWM]], %{{.+}}
// CHECK:           %[[NEWP:.+]] = arith.subf %[[PI]], %{{.+}}
// CHECK:           linalg.yield %[[NEWM]], %[[NEWV]], %[[NEWP]] : f32, f32, f32
// CHECK-NOT:     linalg.generic
// CHECK:         return

// One kernel (12 elements: one block of 32 threads), three stores.
// MAPPED-LABEL: func.func @adam
// MAPPED:         gpu.launch_func @kiln_kernels::@adam_loop blocks in (%c1, %c1, %c1) threads in (%c32, %c1, %c1)
// MAPPED-NOT:     gpu.launch_func
// MAPPED:       gpu.func @adam_loop(
// MAPPED-COUNT-3: memref.store
// MAPPED-NOT:     memref.store
// MAPPED:         gpu.return
#id = affine_map<(d0, d1) -> (d0, d1)>
#scalar = affine_map<(d0, d1) -> ()>
func.func @adam(%p: memref<4x3xf32>, %m: memref<4x3xf32>, %v: memref<4x3xf32>, %g: memref<4x3xf32>, %lr: memref<f32>,
                %p1: memref<4x3xf32>, %m1: memref<4x3xf32>, %v1: memref<4x3xf32>) {
  %b1 = arith.constant 0.9 : f32
  %c1 = arith.constant 0.1 : f32
  %b2 = arith.constant 0.999 : f32
  %c2 = arith.constant 0.001 : f32
  %eps = arith.constant 1.0e-7 : f32
  linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%m, %g : memref<4x3xf32>, memref<4x3xf32>) outs(%m1 : memref<4x3xf32>) {
  ^bb0(%mi: f32, %gi: f32, %o: f32):
    %a = arith.mulf %mi, %b1 : f32
    %b = arith.mulf %gi, %c1 : f32
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%v, %g : memref<4x3xf32>, memref<4x3xf32>) outs(%v1 : memref<4x3xf32>) {
  ^bb0(%vi: f32, %gi: f32, %o: f32):
    %a = arith.mulf %vi, %b2 : f32
    %gg = arith.mulf %gi, %gi : f32
    %b = arith.mulf %gg, %c2 : f32
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#id, #id, #id, #scalar, #id], iterator_types = ["parallel", "parallel"]}
      ins(%p, %m1, %v1, %lr : memref<4x3xf32>, memref<4x3xf32>, memref<4x3xf32>, memref<f32>) outs(%p1 : memref<4x3xf32>) {
  ^bb0(%pi: f32, %mi: f32, %vi: f32, %r: f32, %o: f32):
    %sq = math.sqrt %vi : f32
    %d = arith.addf %sq, %eps : f32
    %q = arith.divf %mi, %d : f32
    %u = arith.mulf %q, %r : f32
    %n = arith.subf %pi, %u : f32
    linalg.yield %n : f32
  }
  return
}

// -----

// Not merged: the second writes what the first reads (it must not run
// first for some elements), the third runs over another space, and a copy
// (not a generic) stands between the third and fourth.
// CHECK-LABEL: func.func @hazards
// CHECK-COUNT-3: linalg.generic
// CHECK:         linalg.copy
// CHECK:         linalg.generic
// CHECK-NOT:     linalg.generic
#id = affine_map<(d0) -> (d0)>
#shift = affine_map<(d0) -> (d0 + 1)>
func.func @hazards(%x: memref<9xf32>, %y: memref<8xf32>, %z: memref<4xf32>, %w: memref<4xf32>, %u: memref<4xf32>) {
  linalg.generic {indexing_maps = [#shift, #id], iterator_types = ["parallel"]}
      ins(%x : memref<9xf32>) outs(%y : memref<8xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  }
  %xs = memref.subview %x[0] [8] [1] : memref<9xf32> to memref<8xf32, strided<[1]>>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%y : memref<8xf32>) outs(%xs : memref<8xf32, strided<[1]>>) {
  ^bb0(%a: f32, %o: f32):
    %d = arith.addf %a, %a : f32
    linalg.yield %d : f32
  }
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%z : memref<4xf32>) outs(%w : memref<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  }
  linalg.copy ins(%w : memref<4xf32>) outs(%u : memref<4xf32>)
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%u : memref<4xf32>) outs(%z : memref<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  }
  return
}

// -----

// Scalars are elementwise too (a space of no dimensions): a loss's mean
// and the gradient's seed after it are one generic, one kernel of one
// thread.
// CHECK-LABEL: func.func @scalars
// CHECK:         linalg.generic {indexing_maps = [#{{.+}}, #{{.+}}, #{{.+}}], iterator_types = []}
// CHECK-SAME:      ins(%{{.+}} : memref<f32>) outs(%{{.+}}, %{{.+}} : memref<f32>, memref<f32>)
// CHECK:           arith.divf
// CHECK:           arith.negf
// CHECK:           linalg.yield %{{.+}}, %{{.+}} : f32, f32
// CHECK-NOT:     linalg.generic
// MAPPED-LABEL: func.func @scalars
// MAPPED:         gpu.launch_func @kiln_kernels::@scalars_serial blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
// MAPPED-NOT:     gpu.launch_func
#scalar = affine_map<() -> ()>
func.func @scalars(%sum: memref<f32>, %loss: memref<f32>, %seed: memref<f32>) {
  %n = arith.constant 100.0 : f32
  %minus = arith.constant -1.0 : f32
  linalg.generic {indexing_maps = [#scalar, #scalar], iterator_types = []}
      ins(%sum : memref<f32>) outs(%loss : memref<f32>) {
  ^bb0(%s: f32, %o: f32):
    %m = arith.divf %s, %n : f32
    %l = arith.negf %m : f32
    linalg.yield %l : f32
  }
  linalg.generic {indexing_maps = [#scalar], iterator_types = []}
      outs(%seed : memref<f32>) {
  ^bb0(%o: f32):
    linalg.yield %minus : f32
  }
  return
}

// -----

// The first member updates a buffer in place (w -= g): it reads w from the
// buffer, as a merged input, and the second reads g and writes h. Before,
// the first's read of its own output counted as a value an earlier member
// yields: the merged op lost the input w, and every later input read the
// argument meant for the one before it (w = g - g, h = h * h).
// CHECK-LABEL: func.func @in_place_first
// CHECK-SAME:      (%[[W:.+]]: memref<8xf32>, %[[G:.+]]: memref<8xf32>, %[[H:.+]]: memref<8xf32>)
// CHECK:         linalg.generic {{.*}} ins(%[[W]], %[[G]], %[[G]] : memref<8xf32>, memref<8xf32>, memref<8xf32>) outs(%[[W]], %[[H]] : memref<8xf32>, memref<8xf32>)
// CHECK-NEXT:    ^bb0(%[[A:.+]]: f32, %[[B:.+]]: f32, %[[C:.+]]: f32, %{{.+}}: f32, %{{.+}}: f32):
// CHECK-NEXT:      %[[D:.+]] = arith.subf %[[A]], %[[B]] : f32
// CHECK-NEXT:      %[[S:.+]] = arith.mulf %[[C]], %[[C]] : f32
// CHECK-NEXT:      linalg.yield %[[D]], %[[S]] : f32, f32
// MAPPED-LABEL: func.func @in_place_first
// MAPPED:         gpu.launch_func @kiln_kernels::@in_place_first_loop
// MAPPED-NOT:     gpu.launch_func
#id9 = affine_map<(d0) -> (d0)>
func.func @in_place_first(%w: memref<8xf32>, %g: memref<8xf32>, %h: memref<8xf32>) {
  linalg.generic {indexing_maps = [#id9, #id9, #id9], iterator_types = ["parallel"]}
      ins(%w, %g : memref<8xf32>, memref<8xf32>) outs(%w : memref<8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.subf %a, %b : f32
    linalg.yield %r : f32
  }
  linalg.generic {indexing_maps = [#id9, #id9], iterator_types = ["parallel"]}
      ins(%g : memref<8xf32>) outs(%h : memref<8xf32>) {
  ^bb0(%b: f32, %o: f32):
    %r = arith.mulf %b, %b : f32
    linalg.yield %r : f32
  }
  return
}
