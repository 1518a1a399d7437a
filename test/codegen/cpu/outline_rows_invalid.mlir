// RUN: kiln-opt %s --kiln-cpu-outline-kernels="parallel-elements=-1" -verify-diagnostics

// A negative threshold is an error, not "never" or "always".
// expected-error@+1 {{kiln-cpu-outline-kernels: parallel-elements must not be negative (0 keeps every kernel serial)}}
module {
  func.func @f(%x: memref<?x256xf32>, %y: memref<?x256xf32>) {
    linalg.copy ins(%x : memref<?x256xf32>) outs(%y : memref<?x256xf32>)
    return
  }
}
