// RUN: kiln-opt %s --split-input-file --kiln-cuda-map-to-gpu --canonicalize | FileCheck %s
// RUN: kiln-opt %s --split-input-file --kiln-cuda-map-to-gpu="host-loops=true" --canonicalize | FileCheck %s --check-prefix=HOST
// RUN: kiln-opt %s --split-input-file --kiln-cuda-map-to-gpu="host-loops=true reverse-host-order=true" --canonicalize | FileCheck %s --check-prefix=REVERSE
// RUN: kiln-opt %s --split-input-file --kiln-cuda-map-to-gpu="host-loops=true host-order-global=kiln_gpu_host_order" --canonicalize | FileCheck %s --check-prefix=RUNTIME

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
// CHECK:           gpu.launch_func @kiln_kernels::@bias_relu_loop blocks in (%[[BLOCKS]], %c1, %c1) threads in (%c256, %c1, %c1) args(%[[TOTAL]] : index, %[[X]] : memref<?x16xf32>, %[[B]] : memref<16xf32>, %[[Y]] : memref<?x16xf32>)
// CHECK:       gpu.module @kiln_kernels {
// CHECK:         gpu.func @bias_relu_loop(%[[T:.+]]: index, %{{.+}}: memref<?x16xf32>, %{{.+}}: memref<16xf32>, %{{.+}}: memref<?x16xf32>) kernel
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
// Host loops (contract 4): the same kernel body, blocks and threads as
// loops; no GPU op is left.
// HOST-LABEL:  func.func @bias_relu
// HOST:          scf.if
// HOST:            scf.for %[[B:.+]] = %c0 to %{{.+}} step %c1 {
// HOST:              scf.for %[[T:.+]] = %c0 to %c256 step %c1 {
// HOST:                %[[BASE:.+]] = arith.muli %[[B]], %c256
// HOST:                %[[ID:.+]] = arith.addi %[[BASE]], %[[T]]
// HOST:                arith.remui %[[ID]], %c16
// HOST-NOT:      gpu.
// The race check (reverse-host-order): the same loops, last block and
// thread first.
// REVERSE-LABEL: func.func @bias_relu
// REVERSE:         %[[BLOCKS:.+]] = arith.ceildivui
// REVERSE:         %[[LASTB:.+]] = arith.subi %[[BLOCKS]], %c1
// REVERSE:         scf.for %[[I:.+]] = %c0 to %[[BLOCKS]] step %c1 {
// REVERSE:           %[[B:.+]] = arith.subi %[[LASTB]], %[[I]]
// REVERSE:           scf.for %[[J:.+]] = %c0 to %c256 step %c1 {
// REVERSE:             %[[T:.+]] = arith.subi %c255, %[[J]]
// REVERSE:             %[[BASE:.+]] = arith.muli %[[B]], %c256
// REVERSE:             arith.addi %[[BASE]], %[[T]]
// The order read at run time (host-order-global): the global declared
// (the runtime defines it), read once at the function's entry, and each
// loop's index the reversed one where it is nonzero.
// RUNTIME:       memref.global @kiln_gpu_host_order : memref<i32>{{$}}
// RUNTIME-LABEL: func.func @bias_relu
// RUNTIME:         %[[G:.+]] = memref.get_global @kiln_gpu_host_order : memref<i32>
// RUNTIME:         %[[ORDER:.+]] = memref.load %[[G]][] : memref<i32>
// RUNTIME:         %[[REV:.+]] = arith.cmpi ne, %[[ORDER]], %c0_i32
// RUNTIME:         scf.for %[[I:.+]] = %c0 to %{{.+}} step %c1 {
// RUNTIME:           %[[FLIP:.+]] = arith.subi %{{.+}}, %[[I]]
// RUNTIME:           %[[B:.+]] = arith.select %[[REV]], %[[FLIP]], %[[I]]
// RUNTIME:           scf.for %[[J:.+]] = %c0 to %c256 step %c1 {
// RUNTIME:             %[[TFLIP:.+]] = arith.subi %c255, %[[J]]
// RUNTIME:             arith.select %[[REV]], %[[TFLIP]], %[[J]]
// RUNTIME-NOT:     memref.get_global
// RUNTIME:       return
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
// to a warp.
// CHECK-LABEL: func.func @small_space
// CHECK:         gpu.launch_func @kiln_kernels::@small_space_loop blocks in (%c1, %c1, %c1) threads in (%c32, %c1, %c1)
#id5 = affine_map<(d0, d1) -> (d0, d1)>
func.func @small_space(%x: memref<4x5xf32>) {
  linalg.generic {indexing_maps = [#id5], iterator_types = ["parallel", "parallel"]} outs(%x : memref<4x5xf32>) {
  ^bb0(%out: f32):
    %d = arith.mulf %out, %out : f32
    linalg.yield %d : f32
  }
  return
}

// -----

// A matrix product: 64 x 64 tiles of C per block of 256 threads, A and B
// staged 16 steps of k at a time through shared memory, double-buffered:
// the first step is staged before the loop; in the loop, the next step's
// elements are loaded into registers (where there is a next step), the
// staged step (rows base .. base + 16) is multiplied, unrolled, 4 x 4 sums
// per thread (loop-carried, one fma per product), then the next step goes
// into the other half (rows 16 - base ..), and one barrier ends the step.
// The sums are then added to C. A (along k) and B (along n) are staged by
// fours: one 16-byte load each per thread and step.
// CHECK-LABEL: func.func @tiled
// CHECK:         %[[ROWS:.+]] = arith.ceildivui %{{.+}}, %c64 : index
// CHECK:         gpu.launch_func @kiln_kernels::@tiled_matmul blocks in (%[[ROWS]], %c1, %c1) threads in (%c256, %c1, %c1)
// CHECK:       gpu.func @tiled_matmul({{.*}}) workgroup(%[[A:.+]] : memref<32x64xf32, #gpu.address_space<workgroup>>, %[[B:.+]] : memref<32x64xf32, #gpu.address_space<workgroup>>) kernel
// CHECK:         memref.store %{{.+}}, %[[A]]
// CHECK:         memref.store %{{.+}}, %[[B]]
// CHECK:         gpu.barrier
// CHECK:         scf.for %[[K:.+]] = %c0 to %c32 step %c16 iter_args({{.*}}, %[[BASE:.+]] = %c0) -> (f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, index) {
// CHECK:           %[[NEXT:.+]] = arith.addi %[[K]], %c16 : index
// CHECK:           %[[MORE:.+]] = arith.cmpi ult, %[[NEXT]], %c32 : index
// CHECK:           %[[LOADED:.+]]:8 = scf.if %[[MORE]] -> (f32, f32, f32, f32, f32, f32, f32, f32) {
// CHECK:             vector.load %{{.+}} {alignment = 16 : i64} : memref<?x32xf32>, vector<4xf32>
// CHECK:             vector.load %{{.+}} {alignment = 16 : i64} : memref<32x48xf32>, vector<4xf32>
// CHECK:           } else {
// CHECK:           memref.load %[[A]][%[[BASE]],
// CHECK:           memref.load %[[B]][%[[BASE]],
// CHECK-COUNT-16:  math.fma
// CHECK:           %[[ROW1:.+]] = arith.addi %[[BASE]], %c1 : index
// CHECK:           memref.load %[[A]][%[[ROW1]],
// CHECK-COUNT-16:  math.fma
// CHECK:           %[[ROW15:.+]] = arith.addi %[[BASE]], %c15 : index
// CHECK:           memref.load %[[A]][%[[ROW15]],
// CHECK-COUNT-16:  math.fma
// CHECK-NOT:       math.fma
// CHECK:           %[[OTHER:.+]] = arith.subi %c16, %[[BASE]] : index
// CHECK:           scf.if %[[MORE]] {
// CHECK:             %[[AT:.+]] = arith.addi %[[OTHER]], %{{.+}} : index
// CHECK:             memref.store %[[LOADED]]#0, %[[A]][%[[AT]], %{{.+}}]
// CHECK:           gpu.barrier
// CHECK-NOT:       gpu.barrier
// CHECK:           scf.yield {{.*}}, %[[OTHER]] : {{.*}}, index
// CHECK:         memref.load %{{.+}} : memref<?x48xf32>
// CHECK:         arith.addf
// CHECK:         memref.store %{{.+}} : memref<?x48xf32>
// HOST-LABEL:  func.func @tiled
// HOST-DAG:      memref.alloca() : memref<32x64xf32>
// HOST-DAG:      memref.alloca() : memref<256x16xf32>
// HOST-DAG:      memref.alloca() : memref<256x8xf32>
// HOST-NOT:      gpu.
// The host's loads by four claim no alignment (a library's caller may
// pass any pointer to host loops).
// HOST-NOT:      alignment
// HOST:          vector.load %{{.+}} : memref<?x32xf32>, vector<4xf32>
// HOST-NOT:      alignment
func.func @tiled(%a: memref<?x32xf32>, %b: memref<32x48xf32>, %c: memref<?x48xf32>) {
  linalg.matmul ins(%a, %b : memref<?x32xf32>, memref<32x48xf32>) outs(%c : memref<?x48xf32>)
  return
}

// -----

// A long sum into few elements (a bias gradient summing the batch) gets
// blocks of 256 threads: its 16 outputs side by side (lanes, t % 16: the
// outputs are neighbours in memory, so a warp's loads coalesce), each
// output's rows split 16 ways (t / 16): strided partial sums in order,
// then a tree in shared memory between barriers, then split 0 adds the
// total.
// CHECK-LABEL: func.func @bias_grad
// CHECK:         gpu.launch_func @kiln_kernels::@bias_grad_sum blocks in (%c1, %c1, %c1) threads in (%c256, %c1, %c1)
// CHECK:       gpu.func @bias_grad_sum({{.*}}) workgroup(%[[SHARED:.+]] : memref<256xf32, #gpu.address_space<workgroup>>) kernel
// CHECK:         %[[B:.+]] = gpu.block_id x
// CHECK:         %[[T:.+]] = gpu.thread_id x
// CHECK:         %[[LANE:.+]] = arith.remui %[[T]], %c16
// CHECK:         %[[SPLIT:.+]] = arith.divui %[[T]], %c16
// CHECK:         %[[FIRSTLANE:.+]] = arith.muli %[[B]], %c16
// CHECK:         %[[ELEMENT:.+]] = arith.addi %[[FIRSTLANE]], %[[LANE]]
// CHECK:         %[[REAL:.+]] = arith.cmpi ult, %[[ELEMENT]], %c16
// CHECK:         %[[ROW:.+]] = arith.minui %[[ELEMENT]], %c15
// CHECK:         %[[PART:.+]] = scf.for %[[I:.+]] = %[[SPLIT]] to %{{.+}} step %c16 iter_args(%[[ACC:.+]] = %cst) -> (f32) {
// CHECK:           %[[V:.+]] = memref.load %{{.+}}[%[[I]], %[[ROW]]] : memref<?x16xf32>
// CHECK:           %[[NEXT:.+]] = arith.addf %[[ACC]], %[[V]] : f32
// CHECK:           scf.yield %[[NEXT]]
// CHECK:         memref.store %[[PART]], %[[SHARED]][%{{.+}}]
// CHECK:         gpu.barrier
// CHECK:         arith.cmpi ult, %[[SPLIT]], %c8
// CHECK-COUNT-4: gpu.barrier
// CHECK:         %[[FIRST:.+]] = arith.cmpi eq, %[[SPLIT]], %c0
// CHECK:         %[[STORE:.+]] = arith.andi %[[FIRST]], %[[REAL]]
// CHECK:         scf.if %[[STORE]] {
// CHECK:           %[[TOTAL:.+]] = memref.load %[[SHARED]][%[[LANE]]]
// CHECK:           %[[OLD:.+]] = memref.load %{{.+}}[%[[ROW]]] : memref<16xf32>
// CHECK:           %[[NEW:.+]] = arith.addf %[[OLD]], %[[TOTAL]]
// CHECK:           memref.store %[[NEW]], %{{.+}}[%[[ROW]]] : memref<16xf32>
// HOST-LABEL:  func.func @bias_grad
// HOST:          %[[SCRATCH:.+]] = memref.alloca() : memref<256xf32>
// HOST:          scf.for %[[T:.+]] = %c0 to %c256 step %c1 {
// HOST:            scf.for %{{.+}} = %{{.+}} to %{{.+}} step %c16 iter_args
// HOST:            memref.store %{{.+}}, %[[SCRATCH]][%{{.+}}]
// HOST:          scf.for %[[T2:.+]] = %c0 to %c256 step %c1 {
// HOST:            arith.cmpi ult, %{{.+}}, %c8
// HOST:          scf.for %[[T3:.+]] = %c0 to %c256 step %c1 {
// HOST:            arith.cmpi ult, %{{.+}}, %c4
// HOST-NOT:      gpu.
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
// CHECK:         gpu.launch_func @kiln_kernels::@weighted_sum_serial blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
// CHECK:       gpu.module @kiln_kernels {
// CHECK:         gpu.func @weighted_sum_serial
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
// CHECK:           gpu.launch_func @kiln_kernels::@time_loop_loop
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

// -----

// Several reduction dimensions (a convolution's bias gradient sums batch,
// rows and columns) are one linear reduction index per block; its 8
// channels are a block's lanes, each split 32 ways.
// CHECK-LABEL: func.func @conv_bias_grad
// CHECK:         gpu.launch_func @kiln_kernels::@conv_bias_grad_sum blocks in (%c1, %c1, %c1) threads in (%c256, %c1, %c1)
// CHECK:       gpu.func @conv_bias_grad_sum
// CHECK:         %[[T:.+]] = gpu.thread_id x
// CHECK:         %[[LANE:.+]] = arith.remui %[[T]], %c8
// CHECK:         %[[C:.+]] = arith.minui %{{.+}}, %c7
// CHECK:         scf.for %[[R:.+]] = %{{.+}} to %{{.+}} step %c32 iter_args(
// CHECK:           %[[W:.+]] = arith.remui %[[R]], %c5
// CHECK:           %[[HN:.+]] = arith.divui %[[R]], %c5
// CHECK:           %[[H:.+]] = arith.remui %[[HN]], %c6
// CHECK:           %[[N:.+]] = arith.divui %[[HN]], %c6
// CHECK:           memref.load %{{.+}}[%[[N]], %[[H]], %[[W]], %[[C]]] : memref<?x6x5x8xf32>
#in4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#ch = affine_map<(d0, d1, d2, d3) -> (d3)>
func.func @conv_bias_grad(%dy: memref<?x6x5x8xf32>, %db: memref<8xf32>) {
  linalg.generic {indexing_maps = [#in4, #ch], iterator_types = ["reduction", "reduction", "reduction", "parallel"]}
      ins(%dy : memref<?x6x5x8xf32>) outs(%db : memref<8xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %s = arith.addf %in, %acc : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Outputs that are not neighbours in memory (sums along rows: the input's
// innermost index is the reduction) take a block each, its 256 threads
// reading neighbouring terms.
// CHECK-LABEL: func.func @row_sums
// CHECK:         gpu.launch_func @kiln_kernels::@row_sums_sum blocks in (%c16, %c1, %c1) threads in (%c256, %c1, %c1)
// CHECK:       gpu.func @row_sums_sum
// CHECK:         %[[B:.+]] = gpu.block_id x
// CHECK:         %[[T:.+]] = gpu.thread_id x
// CHECK:         %[[ROW:.+]] = arith.minui %[[B]], %c15
// CHECK:         scf.for %[[I:.+]] = %[[T]] to %{{.+}} step %c256 iter_args(
// CHECK:           memref.load %{{.+}}[%[[ROW]], %[[I]]] : memref<16x?xf32>
#rows2 = affine_map<(d0, d1) -> (d0, d1)>
#rows = affine_map<(d0, d1) -> (d0)>
func.func @row_sums(%x: memref<16x?xf32>, %s: memref<16xf32>) {
  linalg.generic {indexing_maps = [#rows2, #rows], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<16x?xf32>) outs(%s : memref<16xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %t = arith.addf %in, %acc : f32
    linalg.yield %t : f32
  }
  return
}

// -----

// A short reduction per element (a row's maximum over 10 classes): one
// thread per row, the maximum carried in a register by the thread's loop
// (loaded before it, stored after it), not loaded and stored at every step
// (ScalarReplacement.h).
// CHECK-LABEL: func.func @row_max
// CHECK:         gpu.launch_func @kiln_kernels::@row_max_loop
// CHECK:       gpu.func @row_max_loop
// CHECK:         %[[INIT:.+]] = memref.load %[[M:.+]][%[[R:.+]]] : memref<?xf32>
// CHECK:         %[[MAX:.+]] = scf.for %{{.+}} = %c0 to %c10 step %c1 iter_args(%[[ACC:.+]] = %[[INIT]]) -> (f32) {
// CHECK-NOT:       memref.store
// CHECK:           memref.load %{{.+}}[%[[R]], %{{.+}}] : memref<?x10xf32>
// CHECK-NOT:       memref.load
// CHECK:           arith.maximumf
// CHECK:         memref.store %[[MAX]], %[[M]][%[[R]]]
// HOST-LABEL: func.func @row_max
// HOST:         scf.for %{{.+}} = %c0 to %c10 step %c1 iter_args(
#rows2 = affine_map<(d0, d1) -> (d0, d1)>
#rows = affine_map<(d0, d1) -> (d0)>
func.func @row_max(%x: memref<?x10xf32>, %m: memref<?xf32>) {
  linalg.generic {indexing_maps = [#rows2, #rows], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<?x10xf32>) outs(%m : memref<?xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %t = arith.maximumf %in, %acc : f32
    linalg.yield %t : f32
  }
  return
}

// -----

// A body that also reads another element of the output (its first): the
// loop's element is not the only one of that buffer it touches, so it
// stays in memory, loaded and stored at every step.
// CHECK-LABEL: func.func @row_max_reads_first
// CHECK:       gpu.func @row_max_reads_first_loop
// CHECK:         scf.for %{{.+}} = %c0 to %c10 step %c1 {
// CHECK:           memref.load %{{.+}} : memref<?xf32>
// CHECK:           memref.store %{{.+}} : memref<?xf32>
// CHECK:         }
#rows2 = affine_map<(d0, d1) -> (d0, d1)>
#rows = affine_map<(d0, d1) -> (d0)>
func.func @row_max_reads_first(%x: memref<?x10xf32>, %m: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  linalg.generic {indexing_maps = [#rows2, #rows], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<?x10xf32>) outs(%m : memref<?xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %first = memref.load %m[%c0] : memref<?xf32>
    %t = arith.maximumf %in, %acc : f32
    %u = arith.maximumf %t, %first : f32
    linalg.yield %u : f32
  }
  return
}

// -----

// Within a thread: a load of what the thread stored just before, through
// the same view at the same indices, takes the stored value; the first of
// two stores to one element with no read between goes. A store through
// another view of the buffer (here to the same element: a[i] is view[i -
// 4]) may write the element: the load after it stays.
// CHECK-LABEL: func.func @forwarding
// CHECK:       gpu.func @forwarding_loop
// CHECK-SAME:      (%[[X:.+]]: memref<8xf32>, %[[A:.+]]: memref<8xf32>, %[[VIEW:.+]]: memref<4xf32, strided<[1], offset: 4>>, %[[OUT:.+]]: memref<8xf32>)
// CHECK:         %[[V:.+]] = memref.load %[[X]][%[[I:.+]]]
// CHECK-NOT:     memref.store %[[V]], %[[A]]
// CHECK:         %[[W:.+]] = arith.mulf %[[V]], %[[V]]
// CHECK:         memref.store %[[W]], %[[A]][%[[I]]]
// CHECK:         memref.store %[[V]], %[[VIEW]]
// CHECK:         %[[AGAIN:.+]] = memref.load %[[A]][%[[I]]]
// CHECK:         %[[SUM:.+]] = arith.addf %[[W]], %[[AGAIN]]
// CHECK:         memref.store %[[SUM]], %[[OUT]][%[[I]]]
func.func @forwarding(%a: memref<8xf32>, %x: memref<8xf32>, %out: memref<8xf32>) {
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %view = memref.subview %a[4] [4] [1] : memref<8xf32> to memref<4xf32, strided<[1], offset: 4>>
  scf.parallel (%i) = (%c4) to (%c8) step (%c1) {
    %v = memref.load %x[%i] : memref<8xf32>
    memref.store %v, %a[%i] : memref<8xf32>
    %back = memref.load %a[%i] : memref<8xf32>
    %w = arith.mulf %back, %back : f32
    memref.store %w, %a[%i] : memref<8xf32>
    %again0 = memref.load %a[%i] : memref<8xf32>
    %j = arith.subi %i, %c4 : index
    memref.store %v, %view[%j] : memref<4xf32, strided<[1], offset: 4>>
    %again = memref.load %a[%i] : memref<8xf32>
    %sum = arith.addf %again0, %again : f32
    memref.store %sum, %out[%i] : memref<8xf32>
    scf.reduce
  }
  return
}

// -----

// 1024 elements or more (a weight gradient): 32 elements a block, each
// summed 8 ways; a warp's lanes read neighbouring columns.
// CHECK-LABEL: func.func @weight_grad
// CHECK:         gpu.launch_func @kiln_kernels::@weight_grad_sum blocks in (%c64, %c1, %c1) threads in (%c256, %c1, %c1)
// CHECK:       gpu.func @weight_grad_sum
// CHECK:         %[[B:.+]] = gpu.block_id x
// CHECK:         %[[T:.+]] = gpu.thread_id x
// CHECK:         %[[LANE:.+]] = arith.remui %[[T]], %c32
// CHECK:         %[[SPLIT:.+]] = arith.divui %[[T]], %c32
// CHECK:         %[[FIRST:.+]] = arith.muli %[[B]], %c32
// CHECK:         %[[E:.+]] = arith.addi %[[FIRST]], %[[LANE]]
// CHECK:         %[[EL:.+]] = arith.minui %[[E]], %c2047
// CHECK:         %[[N:.+]] = arith.remui %[[EL]], %c32
// CHECK:         %[[M:.+]] = arith.divui %[[EL]], %c32
// CHECK:         scf.for %[[K:.+]] = %[[SPLIT]] to %{{.+}} step %c8 iter_args(
// CHECK:           memref.load %{{.+}}[%[[K]], %[[M]]] : memref<?x64xf32>
// CHECK:           memref.load %{{.+}}[%[[K]], %[[N]]] : memref<?x32xf32>
// CHECK:         %[[SLOT:.+]] = arith.muli %[[SPLIT]], %c32
// CHECK:         %[[AT:.+]] = arith.addi %[[SLOT]], %[[LANE]]
// CHECK:         memref.store %{{.+}}, %{{.+}}[%[[AT]]]
// CHECK-COUNT-4: gpu.barrier
// CHECK-NOT:     gpu.barrier
#xk = affine_map<(d0, d1, d2) -> (d2, d0)>
#gk = affine_map<(d0, d1, d2) -> (d2, d1)>
#w = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @weight_grad(%x: memref<?x64xf32>, %g: memref<?x32xf32>, %dw: memref<64x32xf32>) {
  linalg.generic {indexing_maps = [#xk, #gk, #w], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %g : memref<?x64xf32>, memref<?x32xf32>) outs(%dw : memref<64x32xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Staging follows the factors' memory: A read as (k, m) (a weight
// gradient's activations) is staged by consecutive threads along m, rows
// t % 64 of step t / 64; B read as (n, k) (an input gradient's weights)
// along k, step t % 16 of column t / 16. The warp's loads coalesce. (The
// sizes along m and k, 126 and 254, are not multiples of 4: one element a
// load.)
// CHECK-LABEL: func.func @transposed
// CHECK:       gpu.func @transposed_matmul({{.*}}) workgroup(%[[A:.+]] : memref<32x64xf32, #gpu.address_space<workgroup>>, %[[B:.+]] : memref<32x64xf32, #gpu.address_space<workgroup>>)
// CHECK-NOT:     vector.load
// CHECK-COUNT-4: memref.load %{{.+}} : memref<96x254xf32>
// CHECK-DAG:     %[[K:.+]] = arith.divui %thread_id_x, %c64 : index
// CHECK-DAG:     %[[ROW:.+]] = arith.remui %thread_id_x, %c64 : index
// CHECK:         memref.store %{{.+}}, %[[A]][%[[K]], %[[ROW]]]
// CHECK-DAG:     %[[COL:.+]] = arith.divui %thread_id_x, %c16 : index
// CHECK-DAG:     %[[BK:.+]] = arith.remui %thread_id_x, %c16 : index
// CHECK:         memref.store %{{.+}}, %[[B]][%[[BK]], %[[COL]]]
#km = affine_map<(m, n, k) -> (k, m)>
#nk = affine_map<(m, n, k) -> (n, k)>
#mn = affine_map<(m, n, k) -> (m, n)>
func.func @transposed(%a: memref<254x126xf32>, %b: memref<96x254xf32>, %c: memref<126x96xf32>) {
  linalg.generic {indexing_maps = [#km, #nk, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<254x126xf32>, memref<96x254xf32>) outs(%c : memref<126x96xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Staging by fours follows the factors' memory too: vector q of a tile's
// step goes to thread q as element q does, four neighbours along the
// buffer's innermost dimension. A read as (k, m): step t / 16, rows
// 4 (t % 16) .. + 3; B read as (n, k): column t / 4, steps 4 (t % 4) .. + 3.
// CHECK-LABEL: func.func @transposed_by_fours
// CHECK:       gpu.func @transposed_by_fours_matmul
// CHECK-DAG:     %[[AQ:.+]] = arith.remui %thread_id_x, %c16 : index
// CHECK-DAG:     %[[AROW:.+]] = arith.muli %[[AQ]], %c4 : index
// CHECK-DAG:     %[[AK:.+]] = arith.divui %thread_id_x, %c16 : index
// CHECK-DAG:     %[[AROW0:.+]] = arith.addi %{{.+}}, %[[AROW]] : index
// CHECK:         vector.load %{{.+}}[%[[AK]], %[[AROW0]]] {alignment = 16 : i64} : memref<256x128xf32>, vector<4xf32>
// CHECK-DAG:     %[[BQ:.+]] = arith.remui %thread_id_x, %c4 : index
// CHECK-DAG:     %[[BK:.+]] = arith.muli %[[BQ]], %c4 : index
// CHECK-DAG:     %[[BCOL:.+]] = arith.divui %thread_id_x, %c4 : index
// CHECK-DAG:     %[[BCOL0:.+]] = arith.addi %{{.+}}, %[[BCOL]] : index
// CHECK:         vector.load %{{.+}}[%[[BCOL0]], %[[BK]]] {alignment = 16 : i64} : memref<96x256xf32>, vector<4xf32>
#km = affine_map<(m, n, k) -> (k, m)>
#nk = affine_map<(m, n, k) -> (n, k)>
#mn = affine_map<(m, n, k) -> (m, n)>
func.func @transposed_by_fours(%a: memref<256x128xf32>, %b: memref<96x256xf32>, %c: memref<128x96xf32>) {
  linalg.generic {indexing_maps = [#km, #nk, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<256x128xf32>, memref<96x256xf32>) outs(%c : memref<128x96xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Not by fours: a buffer whose offset (2) is not a multiple of 4 (its
// vectors would not be 16-byte aligned), or a product whose k (30) is not
// (a vector could straddle the end). B, read along n (48), still is.
// CHECK-LABEL: func.func @not_by_fours
// CHECK:       gpu.func @not_by_fours_matmul(
// CHECK-NOT:     vector.load %{{.+}} : memref<?x32xf32, strided<[32, 1], offset: 2>>
// CHECK:         memref.load %{{.+}} : memref<?x32xf32, strided<[32, 1], offset: 2>>
// CHECK-NOT:     vector.load %{{.+}} : memref<?x32xf32, strided<[32, 1], offset: 2>>
// CHECK:         vector.load %{{.+}} {alignment = 16 : i64} : memref<32x48xf32>, vector<4xf32>
// CHECK-NOT:     vector.load %{{.+}} : memref<?x32xf32, strided<[32, 1], offset: 2>>
// CHECK:       gpu.func @not_by_fours_matmul_0(
// CHECK-NOT:     vector.load %{{.+}} : memref<?x30xf32>
// CHECK:         memref.load %{{.+}} : memref<?x30xf32>
// CHECK-NOT:     vector.load %{{.+}} : memref<?x30xf32>
// CHECK:         vector.load %{{.+}} {alignment = 16 : i64} : memref<30x48xf32>, vector<4xf32>
// CHECK-NOT:     vector.load %{{.+}} : memref<?x30xf32>
// CHECK:       }
func.func @not_by_fours(%a: memref<?x32xf32, strided<[32, 1], offset: 2>>, %b: memref<32x48xf32>, %c: memref<?x48xf32>, %a2: memref<?x30xf32>, %b2: memref<30x48xf32>) {
  linalg.matmul ins(%a, %b : memref<?x32xf32, strided<[32, 1], offset: 2>>, memref<32x48xf32>) outs(%c : memref<?x48xf32>)
  linalg.matmul ins(%a2, %b2 : memref<?x30xf32>, memref<30x48xf32>) outs(%c : memref<?x48xf32>)
  return
}

// -----

// A loop that reads indices from memory (an embedding's gradient: row i
// of the gradient is added to row ids[i] of the table) cannot stay on the
// host, which cannot read device memory: it runs as one block. Every
// thread runs the loop and reads ids[i]; thread t takes elements t, t + 32,
// ... of the row, then a barrier, so that a repeated id sees the row as
// the iterations before it left it. The store of the count (outside the
// parallel loops) is thread 0's, then a barrier. On the host, each phase
// is a loop over the 32 threads.
// CHECK-LABEL: func.func @scatter_rows
// CHECK:         gpu.launch_func @kiln_kernels::@scatter_rows_block_loop blocks in (%c1, %c1, %c1) threads in (%c32, %c1, %c1)
// CHECK-NOT:     gpu.launch_func
// CHECK:       gpu.func @scatter_rows_block_loop(
// CHECK:         %[[T:.+]] = gpu.thread_id x
// CHECK:         scf.for %[[I:.+]] = %c0 to %{{.+}} step %c1 {
// CHECK:           %[[ID:.+]] = memref.load %{{.+}}[%[[I]]] : memref<?xi32>
// CHECK-NOT:       gpu.barrier
// CHECK:           scf.for %[[J:.+]] = %[[T]] to %c6 step %c32 {
// CHECK:             memref.load %{{.+}}[%[[J]]] : memref<6xf32, strided<[1], offset: ?>>
// CHECK:             arith.addf
// CHECK:             memref.store
// CHECK:           }
// CHECK-NEXT:      gpu.barrier
// CHECK:           %[[FIRST:.+]] = arith.cmpi eq, %[[T]], %c0 : index
// CHECK-NEXT:      scf.if %[[FIRST]] {
// CHECK-NEXT:        memref.store %{{.+}}, %{{.+}}[] : memref<index>
// CHECK-NEXT:      }
// CHECK-NEXT:      gpu.barrier
// CHECK:         }
// CHECK-NEXT:    gpu.return
// HOST-LABEL: func.func @scatter_rows
// HOST-NOT:     gpu.
// HOST:         scf.for %[[I:.+]] = %c0 to %{{.+}} step %c1 {
// HOST:           memref.load %{{.+}}[%[[I]]] : memref<?xi32>
// HOST:           scf.for %[[T:.+]] = %c0 to %c32 step %c1 {
// HOST-NEXT:        scf.for %[[J:.+]] = %[[T]] to %c6 step %c32 {
// HOST:           memref.store %{{.+}}, %{{.+}}[] : memref<index>
#row = affine_map<(d0) -> (d0)>
func.func @scatter_rows(%ids: memref<?xi32>, %grad: memref<?x6xf32>, %table: memref<20x6xf32>, %count: memref<index>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = memref.dim %ids, %c0 : memref<?xi32>
  scf.for %i = %c0 to %n step %c1 {
    %id = memref.load %ids[%i] : memref<?xi32>
    %r = arith.index_cast %id : i32 to index
    %g = memref.subview %grad[%i, 0] [1, 6] [1, 1] : memref<?x6xf32> to memref<6xf32, strided<[1], offset: ?>>
    %t = memref.subview %table[%r, 0] [1, 6] [1, 1] : memref<20x6xf32> to memref<6xf32, strided<[1], offset: ?>>
    linalg.generic {indexing_maps = [#row, #row], iterator_types = ["parallel"]}
        ins(%g : memref<6xf32, strided<[1], offset: ?>>) outs(%t : memref<6xf32, strided<[1], offset: ?>>) {
    ^bb0(%in: f32, %out: f32):
      %s = arith.addf %out, %in : f32
      linalg.yield %s : f32
    }
    memref.store %i, %count[] : memref<index>
  }
  return
}

// -----

// The same loop without the count: every access to the table (the buffer
// the loop writes) is at row ids[i], so iterations at different rows touch
// different elements. The rows split among blocks (here 20 rows, 20
// blocks of one row), and each block runs the iterations of its rows, in
// order, skipping the others. The rows are read 1024 at a time: thread t
// computes the rows of iterations c + t, c + t + 32, ... into workgroup
// memory (coalesced loads of the ids), a barrier, then the block runs
// iterations c .. c + 1023 reading their rows from there, and a barrier
// before the next 1024. The branch on the row is on a value all threads of
// a block share, which keeps its barrier convergent. On the host, the
// loop runs once per block, each phase a loop over the threads.
// CHECK-LABEL: func.func @scatter_rows_by_block
// CHECK:         gpu.launch_func @kiln_kernels::@scatter_rows_by_block_block_loop blocks in (%c20, %c1, %c1) threads in (%c32, %c1, %c1)
// CHECK:       gpu.func @scatter_rows_by_block_block_loop(
// CHECK-SAME:      workgroup(%[[ROWS:.+]] : memref<1024xindex, #gpu.address_space<workgroup>>)
// CHECK:         %[[B:.+]] = gpu.block_id x
// CHECK:         %[[T:.+]] = gpu.thread_id x
// CHECK:         scf.for %[[C:.+]] = %c0 to %[[N:.+]] step %c1024 {
// CHECK:           scf.for %[[S:.+]] = %[[T]] to %c1024 step %c32 {
// CHECK:             %[[K:.+]] = arith.addi %[[C]], %[[S]] : index
// CHECK:             %[[IN:.+]] = arith.cmpi ult, %[[K]], %[[N]] : index
// CHECK:             scf.if %[[IN]] {
// CHECK:               %[[ID:.+]] = memref.load %{{.+}}[%[[K]]] : memref<?xi32>
// CHECK:               %[[R:.+]] = arith.index_cast %[[ID]] : i32 to index
// CHECK:               memref.store %[[R]], %[[ROWS]][%[[S]]]
// CHECK:             }
// CHECK:           }
// CHECK-NEXT:      gpu.barrier
// CHECK:           scf.for %[[J:.+]] = %c0 to %{{.+}} step %c1 {
// CHECK-NOT:         memref.load %{{.+}} : memref<?xi32>
// CHECK:             %[[ROW:.+]] = memref.load %[[ROWS]][%[[J]]]
// CHECK:             %[[OWNER:.+]] = arith.minui %{{.+}}, %{{.+}} : index
// CHECK:             %[[MINE:.+]] = arith.cmpi eq, %[[OWNER]], %[[B]] : index
// CHECK:             memref.subview %{{.+}}[%[[ROW]], 0] [1, 6] [1, 1]
// CHECK:             scf.if %[[MINE]] {
// CHECK:               scf.for %{{.+}} = %[[T]] to %c6 step %c32 {
// CHECK:                 memref.store
// CHECK:               }
// CHECK-NEXT:          gpu.barrier
// CHECK-NEXT:        }
// CHECK-NEXT:      }
// CHECK-NEXT:      gpu.barrier
// CHECK-NEXT:    }
// HOST-LABEL: func.func @scatter_rows_by_block
// HOST-NOT:     gpu.
// HOST:         %[[ROWS:.+]] = memref.alloca() : memref<1024xindex>
// HOST:         scf.for %[[B:.+]] = %c0 to %c20 step %c1 {
// HOST:           scf.for %[[C:.+]] = %c0 to %{{.+}} step %c1024 {
// HOST:             scf.for %[[T:.+]] = %c0 to %c32 step %c1 {
// HOST:               scf.for %[[S:.+]] = %[[T]] to %c1024 step %c32 {
// HOST:                 memref.load %{{.+}} : memref<?xi32>
// HOST:                 memref.store %{{.+}}, %[[ROWS]][%[[S]]]
// HOST:             scf.for %[[J:.+]] = %c0 to %{{.+}} step %c1 {
// HOST:               %[[ROW:.+]] = memref.load %[[ROWS]][%[[J]]]
// HOST:               %[[OWNER:.+]] = arith.minui %[[ROW]], %c19 : index
// HOST:               %[[MINE:.+]] = arith.cmpi eq, %[[OWNER]], %[[B]] : index
// HOST:               scf.if %[[MINE]] {
// HOST:                 scf.for %{{.+}} = %c0 to %c32 step %c1 {
#row1 = affine_map<(d0) -> (d0)>
func.func @scatter_rows_by_block(%ids: memref<?xi32>, %grad: memref<?x6xf32>, %table: memref<20x6xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = memref.dim %ids, %c0 : memref<?xi32>
  scf.for %i = %c0 to %n step %c1 {
    %id = memref.load %ids[%i] : memref<?xi32>
    %r = arith.index_cast %id : i32 to index
    %g = memref.subview %grad[%i, 0] [1, 6] [1, 1] : memref<?x6xf32> to memref<6xf32, strided<[1], offset: ?>>
    %t = memref.subview %table[%r, 0] [1, 6] [1, 1] : memref<20x6xf32> to memref<6xf32, strided<[1], offset: ?>>
    linalg.generic {indexing_maps = [#row1, #row1], iterator_types = ["parallel"]}
        ins(%g : memref<6xf32, strided<[1], offset: ?>>) outs(%t : memref<6xf32, strided<[1], offset: ?>>) {
    ^bb0(%in: f32, %out: f32):
      %s = arith.addf %out, %in : f32
      linalg.yield %s : f32
    }
  }
  return
}

// -----

// A loop that also reads the table at another row (i) than the one it
// writes (ids[i]) does not split: one block, as above.
// CHECK-LABEL: func.func @scatter_rows_reading_others
// CHECK:         gpu.launch_func @kiln_kernels::@scatter_rows_reading_others_block_loop blocks in (%c1, %c1, %c1) threads in (%c32, %c1, %c1)
#row2 = affine_map<(d0) -> (d0)>
func.func @scatter_rows_reading_others(%ids: memref<?xi32>, %table: memref<20x6xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = memref.dim %ids, %c0 : memref<?xi32>
  scf.for %i = %c0 to %n step %c1 {
    %id = memref.load %ids[%i] : memref<?xi32>
    %r = arith.index_cast %id : i32 to index
    %g = memref.subview %table[%i, 0] [1, 6] [1, 1] : memref<20x6xf32> to memref<6xf32, strided<[1], offset: ?>>
    %t = memref.subview %table[%r, 0] [1, 6] [1, 1] : memref<20x6xf32> to memref<6xf32, strided<[1], offset: ?>>
    linalg.generic {indexing_maps = [#row2, #row2], iterator_types = ["parallel"]}
        ins(%g : memref<6xf32, strided<[1], offset: ?>>) outs(%t : memref<6xf32, strided<[1], offset: ?>>) {
    ^bb0(%in: f32, %out: f32):
      %s = arith.addf %out, %in : f32
      linalg.yield %s : f32
    }
  }
  return
}

// -----

// Every thread runs the loop's own loads, each when it gets there: a write
// to what they read (thread 0's store of the state, a parallel loop's
// update of the row a value was read from) first waits at a barrier for
// all of them, else a thread running behind would load the new value.
// CHECK-LABEL: gpu.func @state_read_then_updated_block_loop(
// CHECK:         %[[T:.+]] = gpu.thread_id x
// CHECK:         scf.for
// CHECK:           %[[V:.+]] = memref.load %{{.+}}[] : memref<f32>
// CHECK:           %[[W:.+]] = arith.addf %[[V]]
// CHECK-NEXT:      gpu.barrier
// CHECK-NEXT:      %[[FIRST:.+]] = arith.cmpi eq, %[[T]], %c0 : index
// CHECK-NEXT:      scf.if %[[FIRST]] {
// CHECK-NEXT:        memref.store %[[W]], %{{.+}}[] : memref<f32>
// CHECK-NEXT:      }
// CHECK-NEXT:      gpu.barrier
// CHECK:           %[[FIRSTS:.+]] = memref.load %{{.+}} : memref<4x64xf32>
// CHECK-NEXT:      memref.subview
// CHECK-NEXT:      gpu.barrier
// CHECK-NEXT:      scf.for %{{.+}} = %[[T]] to %c64 step %c64 {
// CHECK:             arith.divf %{{.+}}, %[[FIRSTS]]
// CHECK:           }
// CHECK-NEXT:      gpu.barrier
#row3 = affine_map<(d0) -> (d0)>
func.func @state_read_then_updated(%state: memref<f32>, %x: memref<4x64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %one = arith.constant 1.0 : f32
  scf.for %i = %c0 to %c4 step %c1 {
    %v = memref.load %state[] : memref<f32>
    %w = arith.addf %v, %one : f32
    memref.store %w, %state[] : memref<f32>
    %first = memref.load %x[%i, %c0] : memref<4x64xf32>
    %r = memref.subview %x[%i, 0] [1, 64] [1, 1] : memref<4x64xf32> to memref<64xf32, strided<[1], offset: ?>>
    linalg.generic {indexing_maps = [#row3], iterator_types = ["parallel"]}
        outs(%r : memref<64xf32, strided<[1], offset: ?>>) {
    ^bb0(%o: f32):
      %q = arith.divf %o, %first : f32
      linalg.yield %q : f32
    }
  }
  return
}

// -----

// A product whose computed factor does not read the index of a dimension
// of one step (canonicalization folds it to 0): a transposed convolution
// of one input channel (k = 1), B gathered from the weights along n only.
// It is still a product: one tiled kernel.
// CHECK-LABEL: func.func @unit_k_computed
// CHECK:         gpu.launch_func @kiln_kernels::@unit_k_computed_matmul
// CHECK-NOT:     gpu.launch_func
#ak = affine_map<(d0, d1, d2) -> (d0, d2)>
#cmn = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @unit_k_computed(%a: memref<9x1xf32>, %w: memref<1x2x3x3xf32>, %c: memref<9x18xf32>) {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  linalg.generic {indexing_maps = [#ak, #cmn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a : memref<9x1xf32>) outs(%c : memref<9x18xf32>) attrs = {kiln.zero_init} {
  ^bb0(%in: f32, %out: f32):
    %n = linalg.index 1 : index
    %o = arith.remui %n, %c2 : index
    %r = arith.divui %n, %c2 : index
    %x = arith.remui %r, %c3 : index
    %y = arith.divui %r, %c3 : index
    %v = memref.load %w[%c0, %o, %y, %x] : memref<1x2x3x3xf32>
    %p = arith.mulf %in, %v : f32
    %s = arith.addf %out, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// The same with m of one step unread (a resize to one row): A computed
// along k only, B a buffer along k and n.
// CHECK-LABEL: func.func @unit_m_computed
// CHECK:         gpu.launch_func @kiln_kernels::@unit_m_computed_matmul
// CHECK-NOT:     gpu.launch_func
#bkn = affine_map<(d0, d1, d2) -> (d2, d1)>
#cmn2 = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @unit_m_computed(%x: memref<1x4x1xf32>, %b: memref<4x2xf32>, %c: memref<1x2xf32>) {
  %c0 = arith.constant 0 : index
  linalg.generic {indexing_maps = [#bkn, #cmn2], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%b : memref<4x2xf32>) outs(%c : memref<1x2xf32>) attrs = {kiln.zero_init} {
  ^bb0(%in: f32, %out: f32):
    %k = linalg.index 2 : index
    %v = memref.load %x[%c0, %k, %c0] : memref<1x4x1xf32>
    %p = arith.mulf %v, %in : f32
    %s = arith.addf %out, %p : f32
    linalg.yield %s : f32
  }
  return
}
