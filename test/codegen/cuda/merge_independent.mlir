// RUN: kiln-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(kiln-cuda-merge-independent))" | FileCheck %s
// RUN: kiln-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(kiln-cuda-merge-independent),kiln-cuda-map-to-gpu,canonicalize)" | FileCheck %s --check-prefix=MAPPED
// RUN: kiln-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(kiln-cuda-merge-independent{max-param-bytes=200}))" | FileCheck %s --check-prefix=BUDGET

// Three parameters' SGD updates (a 4 x 3 kernel, a bias of 3, a bias of
// 1): one loop over their 12 + 3 + 1 elements end to end. Iteration i runs
// the first member where i < 12, at (i / 3, i % 3), the second where
// i - 12 < 3 (unsigned), at i - 12, the third where i - 15 < 1; each loads
// its inputs, runs its body and stores its output.
// CHECK-LABEL: func.func @updates
// CHECK-SAME:      (%[[W:.+]]: memref<4x3xf32>, %[[GW:.+]]: memref<4x3xf32>, %[[B:.+]]: memref<3xf32>, %[[GB:.+]]: memref<3xf32>, %[[S:.+]]: memref<1xf32>, %[[GS:.+]]: memref<1xf32>, %[[W1:.+]]: memref<4x3xf32>, %[[B1:.+]]: memref<3xf32>, %[[S1:.+]]: memref<1xf32>)
// CHECK-NOT:     linalg.generic
// CHECK:         scf.parallel (%[[I:.+]]) = (%c0) to (%c16) step (%c1) {
// CHECK:           %[[E0:.+]] = arith.subi %[[I]], %c0
// CHECK:           %[[IN0:.+]] = arith.cmpi ult, %[[E0]], %c12
// CHECK:           scf.if %[[IN0]] {
// CHECK:             arith.divui %[[E0]], %c3
// CHECK:             memref.load %[[W]]
// CHECK:             memref.load %[[GW]]
// CHECK:             arith.subf
// CHECK:             memref.store %{{.+}}, %[[W1]]
// CHECK:           }
// CHECK:           %[[E1:.+]] = arith.subi %[[I]], %c12
// CHECK:           %[[IN1:.+]] = arith.cmpi ult, %[[E1]], %c3
// CHECK:           scf.if %[[IN1]] {
// CHECK:             memref.load %[[B]]
// CHECK:             memref.store %{{.+}}, %[[B1]]
// CHECK:           }
// CHECK:           %[[E2:.+]] = arith.subi %[[I]], %c15
// CHECK:           %[[IN2:.+]] = arith.cmpi ult, %[[E2]], %c1
// CHECK:           scf.if %[[IN2]] {
// CHECK:             memref.load %[[S]]
// CHECK:             memref.load %[[GS]]
// CHECK:             memref.store %{{.+}}, %[[S1]]
// CHECK:           }
// CHECK-NOT:     linalg.generic
// CHECK:         return

// One kernel: 16 threads' work in one block of 32.
// MAPPED-LABEL: func.func @updates
// MAPPED:         gpu.launch_func @kiln_kernels::@updates_loop blocks in (%c1, %c1, %c1) threads in (%c32, %c1, %c1)
// MAPPED-NOT:     gpu.launch_func
// MAPPED:       gpu.func @updates_loop(
// MAPPED-COUNT-3: memref.store
// MAPPED-NOT:     memref.store
// MAPPED:         gpu.return
#id2 = affine_map<(d0, d1) -> (d0, d1)>
#id1 = affine_map<(d0) -> (d0)>
func.func @updates(%w: memref<4x3xf32>, %gw: memref<4x3xf32>, %b: memref<3xf32>, %gb: memref<3xf32>, %s: memref<1xf32>, %gs: memref<1xf32>,
                   %w1: memref<4x3xf32>, %b1: memref<3xf32>, %s1: memref<1xf32>) {
  %lr = arith.constant 0.5 : f32
  linalg.generic {indexing_maps = [#id2, #id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%w, %gw : memref<4x3xf32>, memref<4x3xf32>) outs(%w1 : memref<4x3xf32>) {
  ^bb0(%x: f32, %g: f32, %o: f32):
    %d = arith.mulf %g, %lr : f32
    %n = arith.subf %x, %d : f32
    linalg.yield %n : f32
  }
  linalg.generic {indexing_maps = [#id1, #id1, #id1], iterator_types = ["parallel"]}
      ins(%b, %gb : memref<3xf32>, memref<3xf32>) outs(%b1 : memref<3xf32>) {
  ^bb0(%x: f32, %g: f32, %o: f32):
    %d = arith.mulf %g, %lr : f32
    %n = arith.subf %x, %d : f32
    linalg.yield %n : f32
  }
  linalg.generic {indexing_maps = [#id1, #id1, #id1], iterator_types = ["parallel"]}
      ins(%s, %gs : memref<1xf32>, memref<1xf32>) outs(%s1 : memref<1xf32>) {
  ^bb0(%x: f32, %g: f32, %o: f32):
    %d = arith.mulf %g, %lr : f32
    %n = arith.subf %x, %d : f32
    linalg.yield %n : f32
  }
  return
}

// -----

// Not merged: the second reads what the first wrote (%t).
// CHECK-LABEL: func.func @read_after_write
// CHECK-NOT:     scf.parallel
// CHECK-COUNT-2: linalg.generic
#id = affine_map<(d0) -> (d0)>
func.func @read_after_write(%x: memref<8xf32>, %t: memref<8xf32>, %u: memref<4xf32>) {
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%x : memref<8xf32>) outs(%t : memref<8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %n = arith.negf %a : f32
    linalg.yield %n : f32
  }
  %v = memref.subview %t[0] [4] [1] : memref<8xf32> to memref<4xf32, strided<[1]>>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%v : memref<4xf32, strided<[1]>>) outs(%u : memref<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %n = arith.negf %a : f32
    linalg.yield %n : f32
  }
  return
}

// -----

// Not merged: the second writes what the first read (%x).
// CHECK-LABEL: func.func @write_after_read
// CHECK-NOT:     scf.parallel
// CHECK-COUNT-2: linalg.generic
#id = affine_map<(d0) -> (d0)>
func.func @write_after_read(%x: memref<8xf32>, %t: memref<8xf32>, %u: memref<4xf32>) {
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%x : memref<8xf32>) outs(%t : memref<8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %n = arith.negf %a : f32
    linalg.yield %n : f32
  }
  %v = memref.subview %x[4] [4] [1] : memref<8xf32> to memref<4xf32, strided<[1], offset: 4>>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%u : memref<4xf32>) outs(%v : memref<4xf32, strided<[1], offset: 4>>) {
  ^bb0(%a: f32, %o: f32):
    %n = arith.negf %a : f32
    linalg.yield %n : f32
  }
  return
}

// -----

// Not merged: both write %t; nor an update in place (bias added to a
// product's output: kiln-cuda-map-to-gpu's epilogue), which also ends the
// run before it (a generic touches memory).
// CHECK-LABEL: func.func @write_after_write
// CHECK-NOT:     scf.parallel
// CHECK-COUNT-4: linalg.generic
#id = affine_map<(d0) -> (d0)>
#row = affine_map<(d0, d1) -> (d0, d1)>
#col = affine_map<(d0, d1) -> (d1)>
func.func @write_after_write(%x: memref<8xf32>, %t: memref<8xf32>, %c: memref<2x4xf32>, %bias: memref<4xf32>, %y: memref<3xf32>, %z: memref<3xf32>) {
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%x : memref<8xf32>) outs(%t : memref<8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %n = arith.negf %a : f32
    linalg.yield %n : f32
  }
  %v = memref.subview %t[2] [3] [1] : memref<8xf32> to memref<3xf32, strided<[1], offset: 2>>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%y : memref<3xf32>) outs(%v : memref<3xf32, strided<[1], offset: 2>>) {
  ^bb0(%a: f32, %o: f32):
    %n = arith.negf %a : f32
    linalg.yield %n : f32
  }
  linalg.generic {indexing_maps = [#row, #col, #row], iterator_types = ["parallel", "parallel"]}
      ins(%c, %bias : memref<2x4xf32>, memref<4xf32>) outs(%c : memref<2x4xf32>) {
  ^bb0(%a: f32, %bb: f32, %o: f32):
    %n = arith.addf %a, %bb : f32
    linalg.yield %n : f32
  }
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%y : memref<3xf32>) outs(%z : memref<3xf32>) {
  ^bb0(%a: f32, %o: f32):
    %n = arith.negf %a : f32
    linalg.yield %n : f32
  }
  return
}

// -----

// A merged loop's operands are its kernel's parameters: a rank-1 buffer's
// memref descriptor takes 40 bytes (two pointers, the offset, a size and a
// stride), so each of these members adds 80, and with 200 bytes (4096 by
// default: a kernel has 4 KiB of parameters before PTX ISA 8.1) the third
// starts a loop of its own with the fourth.
// BUDGET-LABEL: func.func @budget
// BUDGET:         scf.parallel (%{{.+}}) = (%c0) to (%c7) step (%c1)
// BUDGET:         scf.parallel (%{{.+}}) = (%c0{{.*}}) to (%c11) step (%c1{{.*}})
// BUDGET-NOT:     scf.parallel
// BUDGET:         return
// CHECK-LABEL: func.func @budget
// CHECK:         scf.parallel (%{{.+}}) = (%c0) to (%c18) step (%c1)
// CHECK-NOT:     scf.parallel
#id = affine_map<(d0) -> (d0)>
func.func @budget(%a: memref<3xf32>, %b: memref<4xf32>, %c: memref<5xf32>, %d: memref<6xf32>,
                  %a1: memref<3xf32>, %b1: memref<4xf32>, %c1: memref<5xf32>, %d1: memref<6xf32>) {
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%a : memref<3xf32>) outs(%a1 : memref<3xf32>) {
  ^bb0(%x: f32, %o: f32):
    %n = arith.negf %x : f32
    linalg.yield %n : f32
  }
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%b : memref<4xf32>) outs(%b1 : memref<4xf32>) {
  ^bb0(%x: f32, %o: f32):
    %n = arith.negf %x : f32
    linalg.yield %n : f32
  }
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%c : memref<5xf32>) outs(%c1 : memref<5xf32>) {
  ^bb0(%x: f32, %o: f32):
    %n = arith.negf %x : f32
    linalg.yield %n : f32
  }
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%d : memref<6xf32>) outs(%d1 : memref<6xf32>) {
  ^bb0(%x: f32, %o: f32):
    %n = arith.negf %x : f32
    linalg.yield %n : f32
  }
  return
}
