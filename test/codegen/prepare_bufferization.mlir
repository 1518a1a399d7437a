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

// A 0-d input (the learning rate every parameter's update reads) is read
// once as a scalar, which the generics capture: the analysis compares each
// operand with every other read of its value, so N readers of one tensor
// would cost N^2.
// CHECK-LABEL: func.func @scalar_input
// CHECK: %[[LR:.+]] = tensor.extract %arg1[] : tensor<f32>
// CHECK: linalg.generic
// CHECK-SAME: ins(%arg0 : tensor<4xf32>)
// CHECK: arith.mulf %{{.+}}, %[[LR]] : f32
// CHECK: linalg.generic
// CHECK-SAME: ins(%arg2 : tensor<4xf32>)
// CHECK: arith.mulf %{{.+}}, %[[LR]] : f32
// CHECK-NOT: tensor.extract
// BUF-LABEL: func.func @scalar_input
// BUF: %[[S:.+]] = memref.load %arg1[] : memref<f32>
// BUF: arith.mulf %{{.+}}, %[[S]] : f32
// BUF: arith.mulf %{{.+}}, %[[S]] : f32
#scalar = affine_map<(d0) -> ()>
func.func @scalar_input(%g: tensor<4xf32>, %lr: tensor<f32>, %h: tensor<4xf32>)
    -> (tensor<4xf32>, tensor<4xf32>) {
  %e0 = tensor.empty() : tensor<4xf32>
  %a = linalg.generic {indexing_maps = [#id, #scalar, #id], iterator_types = ["parallel"]}
      ins(%g, %lr : tensor<4xf32>, tensor<f32>) outs(%e0 : tensor<4xf32>) {
  ^bb0(%v: f32, %r: f32, %o: f32):
    %m = arith.mulf %v, %r : f32
    linalg.yield %m : f32
  } -> tensor<4xf32>
  %e1 = tensor.empty() : tensor<4xf32>
  %b = linalg.generic {indexing_maps = [#scalar, #id, #id], iterator_types = ["parallel"]}
      ins(%lr, %h : tensor<f32>, tensor<4xf32>) outs(%e1 : tensor<4xf32>) {
  ^bb0(%r: f32, %v: f32, %o: f32):
    %m = arith.mulf %v, %r : f32
    linalg.yield %m : f32
  } -> tensor<4xf32>
  return %a, %b : tensor<4xf32>, tensor<4xf32>
}
