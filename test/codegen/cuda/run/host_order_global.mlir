// RUN: kiln-opt %s --kiln-cuda-map-to-gpu="host-loops=true host-order-global=order" --canonicalize | %run_on_host | FileCheck %s --check-prefix=FORWARD
// RUN: sed 's/@order : memref<i32> = dense<0>/@order : memref<i32> = dense<1>/' %s | kiln-opt --kiln-cuda-map-to-gpu="host-loops=true host-order-global=order" --canonicalize | %run_on_host | FileCheck %s --check-prefix=REVERSE
// REQUIRES: mlir-runner

// host-order-global: the host loops read their order at run time from a
// global (kiln's runtime sets kiln_gpu_host_order from
// KILN_GPU_HOST_ORDER). A race on purpose shows the order: every thread of
// the loop stores its index into one element, and the last to run wins:
// thread 511 first block first, thread 0 with the global set.

memref.global @order : memref<i32> = dense<0>

func.func @last_writer(%out: memref<1xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c512 = arith.constant 512 : index
  scf.parallel (%i) = (%c0) to (%c512) step (%c1) {
    %n = arith.index_cast %i : index to i32
    %f = arith.sitofp %n : i32 to f32
    memref.store %f, %out[%c0] : memref<1xf32>
    scf.reduce
  }
  return
}

func.func private @printMemrefF32(memref<*xf32>)

// FORWARD: data =
// FORWARD-NEXT: [511]
// REVERSE: data =
// REVERSE-NEXT: [0]
func.func @main() {
  %out = memref.alloc() : memref<1xf32>
  func.call @last_writer(%out) : (memref<1xf32>) -> ()
  %any = memref.cast %out : memref<1xf32> to memref<*xf32>
  func.call @printMemrefF32(%any) : (memref<*xf32>) -> ()
  return
}
