// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(kiln-cuda-scalar-operands))' | FileCheck %s

// The learning rate, loaded on the host and captured by the update's body,
// becomes an operand read through a constant map; the load is gone.
// CHECK-DAG:   #[[ID:.+]] = affine_map<(d0) -> (d0)>
// CHECK-DAG:   #[[SCALAR:.+]] = affine_map<(d0) -> ()>
// CHECK-LABEL: func.func @sgd
// CHECK-SAME:    (%[[W:.+]]: memref<8xf32>, %[[G:.+]]: memref<8xf32>, %[[LR:.+]]: memref<f32>, %[[OUT:.+]]: memref<8xf32>)
// CHECK-NOT:     memref.load
// CHECK:         linalg.generic {indexing_maps = [#[[ID]], #[[ID]], #[[SCALAR]], #[[ID]]]
// CHECK-SAME:      ins(%[[W]], %[[G]], %[[LR]] : memref<8xf32>, memref<8xf32>, memref<f32>)
// CHECK:         ^bb0(%[[WI:.+]]: f32, %[[GI:.+]]: f32, %[[RATE:.+]]: f32, %{{.+}}: f32):
// CHECK:           %[[STEP:.+]] = arith.mulf %[[GI]], %[[RATE]] : f32
// CHECK:           arith.subf %[[WI]], %[[STEP]] : f32
#id = affine_map<(d0) -> (d0)>
func.func @sgd(%w: memref<8xf32>, %g: memref<8xf32>, %lr: memref<f32>, %out: memref<8xf32>) {
  %rate = memref.load %lr[] : memref<f32>
  linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel"]}
      ins(%w, %g : memref<8xf32>, memref<8xf32>) outs(%out : memref<8xf32>) {
  ^bb0(%wi: f32, %gi: f32, %o: f32):
    %step = arith.mulf %gi, %rate : f32
    %new = arith.subf %wi, %step : f32
    linalg.yield %new : f32
  }
  return
}

// -----

// A constant index becomes a constant map result; a load the host itself
// uses stays (and is left for the GPU mapping to refuse).
// CHECK-LABEL: func.func @element
// CHECK:         %[[KEEP:.+]] = memref.load %{{.+}}[%c1] : memref<2xf32>
// CHECK:         linalg.generic {indexing_maps = [#{{.+}}, #[[ONE:.+]], #{{.+}}]
// CHECK:         return %[[KEEP]]
#id2 = affine_map<(d0) -> (d0)>
func.func @element(%x: memref<4xf32>, %s: memref<2xf32>, %y: memref<4xf32>) -> f32 {
  %c1 = arith.constant 1 : index
  %v = memref.load %s[%c1] : memref<2xf32>
  linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel"]}
      ins(%x : memref<4xf32>) outs(%y : memref<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.mulf %a, %v : f32
    linalg.yield %m : f32
  }
  return %v : f32
}

// -----

// A dropout mask's key, mixed on the host from the seed's two words (host
// arithmetic on loads): the arithmetic moves into the generic that reads
// the key, and the seed becomes its operand, read at its two constant
// indices; the host loads nothing.
// CHECK-DAG:   #[[WORD0:.+]] = affine_map<(d0) -> (0)>
// CHECK-DAG:   #[[WORD1:.+]] = affine_map<(d0) -> (1)>
// CHECK-LABEL: func.func @mask_key
// CHECK-SAME:    (%[[SEED:.+]]: memref<2xi64>, %{{.+}}: memref<4xf32>)
// CHECK-NOT:     memref.load
// CHECK-NOT:     arith.xori
// CHECK:         linalg.generic {indexing_maps = [#[[WORD1]], #[[WORD0]], #{{.+}}]
// CHECK-SAME:      ins(%[[SEED]], %[[SEED]] : memref<2xi64>, memref<2xi64>)
// CHECK:         ^bb0(%[[HI:.+]]: i64, %[[LO:.+]]: i64, %{{.+}}: f32):
// CHECK:           %[[MIXED:.+]] = arith.xori %[[HI]], %{{.+}} : i64
// CHECK:           arith.xori %[[LO]], %[[MIXED]] : i64
// CHECK:           linalg.index 0
#id3 = affine_map<(d0) -> (d0)>
func.func @mask_key(%seed: memref<2xi64>, %u: memref<4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %salt = arith.constant 7611446593138695769 : i64
  %hi = memref.load %seed[%c1] : memref<2xi64>
  %mixed = arith.xori %hi, %salt : i64
  %lo = memref.load %seed[%c0] : memref<2xi64>
  %key = arith.xori %lo, %mixed : i64
  linalg.generic {indexing_maps = [#id3], iterator_types = ["parallel"]}
      outs(%u : memref<4xf32>) {
  ^bb0(%o: f32):
    %i = linalg.index 0 : index
    %j = arith.index_cast %i : index to i64
    %state = arith.addi %key, %j : i64
    %bits = arith.uitofp %state : i64 to f32
    linalg.yield %bits : f32
  }
  return
}

// -----

// The buffer changes between the load and the generic (a fill of it): read
// in the generic, it would give the new value, so the load stays on the
// host (kiln-cuda-map-to-gpu then refuses to run a host read of it).
// CHECK-LABEL: func.func @written_between
// CHECK:         %[[V:.+]] = memref.load %{{.+}}[] : memref<f32>
// CHECK:         linalg.fill
// CHECK:         linalg.generic {{.*}} ins(%{{.+}} : memref<8xf32>) outs(%{{.+}} : memref<8xf32>)
// CHECK:           arith.mulf %{{.+}}, %[[V]] : f32
#idw = affine_map<(d0) -> (d0)>
func.func @written_between(%x: memref<8xf32>, %buf: memref<f32>, %y: memref<8xf32>) {
  %v = memref.load %buf[] : memref<f32>
  %c = arith.constant 2.0 : f32
  linalg.fill ins(%c : f32) outs(%buf : memref<f32>)
  linalg.generic {indexing_maps = [#idw, #idw], iterator_types = ["parallel"]}
      ins(%x : memref<8xf32>) outs(%y : memref<8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %v : f32
    linalg.yield %r : f32
  }
  return
}
