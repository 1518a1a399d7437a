// RUN: kiln-opt %s --kiln-prepare-bufferization | FileCheck %s
// RUN: kiln-opt %s --kiln-prepare-bufferization --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" | FileCheck %s --check-prefix=BUF

// Entry arguments are the caller's parameters and inputs: read-only, so an
// elementwise op on an input is never computed in the input's buffer.
// CHECK-LABEL: func.func @relu_in_place
// CHECK-SAME: bufferization.writable = false
// BUF-LABEL: func.func @relu_in_place
// BUF: %[[OUT:.+]] = memref.alloc
// BUF: memref.copy %arg0, %[[OUT]]
// BUF: linalg.generic {{.*}} outs(%[[OUT]] : memref<4xf32>)
#id = affine_map<(d0) -> (d0)>
func.func @relu_in_place(%x: tensor<4xf32>) -> tensor<4xf32> {
  %zero = arith.constant 0.0 : f32
  %r = linalg.generic {indexing_maps = [#id], iterator_types = ["parallel"]}
      outs(%x : tensor<4xf32>) {
  ^bb0(%v: f32):
    %m = arith.maximumf %v, %zero : f32
    linalg.yield %m : f32
  } -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// A loop-carried state computed into a new tensor is written back into the
// carried tensor; an insert into the carried tensor already is.
// Bufferized: the read-only input is copied once into the carried buffer,
// and each iteration writes its new state back into it.
// CHECK-LABEL: func.func @carried
// CHECK: scf.for {{.*}} iter_args(%[[H:.+]] = %arg0)
// CHECK: %[[NEXT:.+]] = linalg.generic
// CHECK: %[[M:.+]] = bufferization.materialize_in_destination %[[NEXT]] in %[[H]]
// CHECK: scf.yield %[[M]]
// BUF-LABEL: func.func @carried
// BUF: %[[A:.+]] = memref.alloc
// BUF: memref.copy %arg0, %[[A]]
// BUF: scf.for {{.*}} iter_args(%[[S:.+]] = %[[A]])
// BUF: memref.copy %{{.+}}, %[[S]]
// BUF: scf.yield %[[S]]
func.func @carried(%h0: tensor<4xf32>) -> tensor<4xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %r = scf.for %i = %c0 to %c3 step %c1 iter_args(%h = %h0) -> (tensor<4xf32>) {
    %e = tensor.empty() : tensor<4xf32>
    %t = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
        ins(%h : tensor<4xf32>) outs(%e : tensor<4xf32>) {
    ^bb0(%v: f32, %o: f32):
      %y = math.tanh %v : f32
      linalg.yield %y : f32
    } -> tensor<4xf32>
    scf.yield %t : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}
