// RUN: kiln-opt %s --split-input-file --kiln-cuda-map-to-gpu --canonicalize | FileCheck %s

// An elementwise op: one thread per element of the linearized (batch, 16)
// space, 256 threads a block, the innermost dimension fastest; an empty
// batch launches nothing.
// CHECK-LABEL: func.func @bias_relu
// CHECK-SAME:    (%[[X:.+]]: memref<?x16xf32>, %[[B:.+]]: memref<16xf32>, %[[Y:.+]]: memref<?x16xf32>)
// CHECK:         %[[N:.+]] = memref.dim %[[X]], %c0
// CHECK:         %[[TOTAL:.+]] = arith.muli %[[N]], %c16 : index
// CHECK:         %[[BLOCKS:.+]] = arith.ceildivui %[[TOTAL]], %c256 : index
// CHECK:         %[[ANY:.+]] = arith.cmpi ugt, %[[TOTAL]], %c0 : index
// CHECK:         scf.if %[[ANY]] {
// CHECK:           gpu.launch_func @kiln_kernels::@bias_relu_kernel blocks in (%[[BLOCKS]], %c1, %c1) threads in (%c256, %c1, %c1) args(%[[TOTAL]] : index, %[[X]] : memref<?x16xf32>, %[[B]] : memref<16xf32>, %[[Y]] : memref<?x16xf32>)
// CHECK:       gpu.module @kiln_kernels {
// CHECK:         gpu.func @bias_relu_kernel(%[[T:.+]]: index, %{{.+}}: memref<?x16xf32>, %{{.+}}: memref<16xf32>, %{{.+}}: memref<?x16xf32>) kernel
// CHECK:           %[[BID:.+]] = gpu.block_id x
// CHECK:           %[[TID:.+]] = gpu.thread_id x
// CHECK:           %[[BDIM:.+]] = gpu.block_dim x
// CHECK:           %[[BASE:.+]] = arith.muli %[[BID]], %[[BDIM]]
// CHECK:           %[[ID:.+]] = arith.addi %[[BASE]], %[[TID]]
// CHECK:           %[[IN:.+]] = arith.cmpi ult, %[[ID]], %[[T]]
// CHECK:           scf.if %[[IN]] {
// CHECK:             %[[J:.+]] = arith.remui %[[ID]], %c16
// CHECK:             %[[I:.+]] = arith.divui %[[ID]], %c16
// CHECK:             memref.load %{{.+}}[%[[I]], %[[J]]] : memref<?x16xf32>
// CHECK:             memref.load %{{.+}}[%[[J]]] : memref<16xf32>
// CHECK:             memref.store %{{.+}}, %{{.+}}[%[[I]], %[[J]]] : memref<?x16xf32>
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d1)>
func.func @bias_relu(%x: memref<?x16xf32>, %b: memref<16xf32>, %y: memref<?x16xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %b : memref<?x16xf32>, memref<16xf32>) outs(%y : memref<?x16xf32>) {
  ^bb0(%a: f32, %c: f32, %out: f32):
    %s = arith.addf %a, %c : f32
    %r = arith.maximumf %s, %zero : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// A static space smaller than a block gets a block of its size rounded up
// to a warp; a matmul's reduction is each thread's sequential loop.
// CHECK-LABEL: func.func @small_matmul
// CHECK:         gpu.launch_func @kiln_kernels::@small_matmul_kernel blocks in (%c1, %c1, %c1) threads in (%c32, %c1, %c1)
// CHECK:       gpu.func @small_matmul_kernel
// CHECK:         scf.if
// CHECK:           scf.for %{{.+}} = %c0 to %c8 step %c1 {
// CHECK:             arith.mulf
// CHECK:             arith.addf
func.func @small_matmul(%a: memref<4x8xf32>, %b: memref<8x5xf32>, %c: memref<4x5xf32>) {
  linalg.matmul ins(%a, %b : memref<4x8xf32>, memref<8x5xf32>) outs(%c : memref<4x5xf32>)
  return
}

// -----

// A reduction over an outer dimension (a bias gradient summing the batch)
// is interchanged: one thread per output element loops over the batch.
// CHECK-LABEL: func.func @bias_grad
// CHECK:         gpu.launch_func @kiln_kernels::@bias_grad_kernel blocks in (%c1, %c1, %c1) threads in (%c32, %c1, %c1)
// CHECK:       gpu.func @bias_grad_kernel
// CHECK:         scf.if
// CHECK:           scf.for %[[I:.+]] = %c0 to %{{.+}} step %c1 {
// CHECK:             memref.load %{{.+}}[%[[I]], %{{.+}}] : memref<?x16xf32>
#id2 = affine_map<(d0, d1) -> (d0, d1)>
#col = affine_map<(d0, d1) -> (d1)>
func.func @bias_grad(%dy: memref<?x16xf32>, %db: memref<16xf32>) {
  linalg.generic {indexing_maps = [#id2, #col], iterator_types = ["reduction", "parallel"]}
      ins(%dy : memref<?x16xf32>) outs(%db : memref<16xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %s = arith.addf %in, %acc : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Without parallel dimensions (a mean to a scalar), the op is one thread's
// work, its loads and stores included; a constant table it reads moves to
// the device module.
// CHECK-LABEL: func.func @weighted_sum
// CHECK:         gpu.launch_func @kiln_kernels::@weighted_sum_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
// CHECK:       gpu.module @kiln_kernels {
// CHECK:         gpu.func @weighted_sum_kernel
// CHECK:           memref.get_global @weights : memref<4xf32>
// CHECK:           scf.for
// CHECK:         memref.global "private" constant @weights : memref<4xf32> = dense<[1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00]>
memref.global "private" constant @weights : memref<4xf32> = dense<[1.0, 2.0, 3.0, 4.0]>
#v = affine_map<(d0) -> (d0)>
#s = affine_map<(d0) -> ()>
func.func @weighted_sum(%x: memref<4xf32>, %out: memref<f32>) {
  %w = memref.get_global @weights : memref<4xf32>
  linalg.generic {indexing_maps = [#v, #v, #s], iterator_types = ["reduction"]}
      ins(%x, %w : memref<4xf32>, memref<4xf32>) outs(%out : memref<f32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %p, %acc : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A host loop around kernels (a recurrent layer's time steps) stays on the
// host and launches its body's kernels each step.
// CHECK-LABEL: func.func @time_loop
// CHECK:         scf.for %{{.+}} = %c0 to %c3 step %c1 {
// CHECK:           gpu.launch_func @kiln_kernels::@time_loop_kernel
// CHECK:         }
#id3 = affine_map<(d0) -> (d0)>
func.func @time_loop(%h: memref<64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  scf.for %t = %c0 to %c3 step %c1 {
    linalg.generic {indexing_maps = [#id3], iterator_types = ["parallel"]} outs(%h : memref<64xf32>) {
    ^bb0(%out: f32):
      %d = arith.addf %out, %out : f32
      linalg.yield %d : f32
    }
  }
  return
}
