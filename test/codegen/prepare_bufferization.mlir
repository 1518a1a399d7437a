// RUN: kiln-opt %s --kiln-prepare-bufferization | FileCheck %s
// RUN: kiln-opt %s --kiln-prepare-bufferization --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" | FileCheck %s --check-prefix=BUF
// RUN: kiln-opt %s --kiln-prepare-bufferization --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" --canonicalize | FileCheck %s --check-prefix=INPLACE
// RUN: kiln-opt %s --kiln-prepare-bufferization --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" --cse --canonicalize | FileCheck %s --check-prefix=SLOT

// Entry arguments are the caller's parameters and inputs: read-only, so an
// elementwise op on an input is never computed in the input's buffer.
// CHECK-LABEL: func.func @relu_in_place
// CHECK-SAME: bufferization.writable = false
// BUF-LABEL: func.func @relu_in_place
// BUF: %[[OUT:.+]] = memref.alloc
// BUF: memref.copy %arg0, %[[OUT]]
// BUF: linalg.generic {{.*}} outs(%[[OUT]] : memref<4xf32>)
#id = affine_map<(d0) -> (d0)>
#id2 = affine_map<(d0, d1) -> (d0, d1)>
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

// When every read of the state comes before the op that computes the next
// one, that op computes it in the state's buffer: a recurrent layer's
// backward step (the carried gradient times the recurrent weights, into a
// fill of the carried tensor) and its forward step (the activation of a
// product of the state, into the carried tensor itself). Bufferized, the
// yield's copy is of the state's buffer onto itself, and no copy is left
// in the loop once canonicalized.
// CHECK-LABEL: func.func @carried_product
// CHECK: scf.for {{.*}} iter_args(%[[H:.+]] = %arg0)
// CHECK: %[[G:.+]] = linalg.generic {{.*}} ins(%[[H]] : tensor<2x4xf32>)
// CHECK: %[[F:.+]] = linalg.fill ins(%{{.+}} : f32) outs(%[[H]] : tensor<2x4xf32>)
// CHECK: %[[N:.+]] = linalg.matmul ins(%[[G]], %arg1 : tensor<2x4xf32>, tensor<4x4xf32>) outs(%[[F]] : tensor<2x4xf32>)
// CHECK: bufferization.materialize_in_destination %[[N]] in %[[H]]
// INPLACE-LABEL: func.func @carried_product
// INPLACE: %[[S:.+]] = memref.alloc
// INPLACE: memref.copy %arg0, %[[S]]
// INPLACE: scf.for
// INPLACE-NOT: memref.copy
// INPLACE: linalg.fill ins(%{{.+}} : f32) outs(%[[S]] : memref<2x4xf32>)
// INPLACE: linalg.matmul ins(%{{.+}}, %{{.+}} : memref<2x4xf32>, memref<4x4xf32>) outs(%[[S]] : memref<2x4xf32>)
// INPLACE-NOT: memref.copy
// INPLACE: return %[[S]]
func.func @carried_product(%h0: tensor<2x4xf32>, %w: tensor<4x4xf32>) -> tensor<2x4xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %zero = arith.constant 0.0 : f32
  %e1 = tensor.empty() : tensor<2x4xf32>
  %fill = linalg.fill ins(%zero : f32) outs(%e1 : tensor<2x4xf32>) -> tensor<2x4xf32>
  %r = scf.for %i = %c0 to %c3 step %c1 iter_args(%h = %h0) -> (tensor<2x4xf32>) {
    %e = tensor.empty() : tensor<2x4xf32>
    %g = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
        ins(%h : tensor<2x4xf32>) outs(%e : tensor<2x4xf32>) {
    ^bb0(%v: f32, %o: f32):
      %y = math.tanh %v : f32
      linalg.yield %y : f32
    } -> tensor<2x4xf32>
    %n = linalg.matmul ins(%g, %w : tensor<2x4xf32>, tensor<4x4xf32>) outs(%fill : tensor<2x4xf32>) -> tensor<2x4xf32>
    scf.yield %n : tensor<2x4xf32>
  }
  return %r : tensor<2x4xf32>
}

// A product that adds to an elementwise function of the state (a GRU's
// backward step: dh' = dh z + D U^T, the product summing into dh z): that
// function moves after the step's other reads of the state (here 1 - dh)
// and is computed in the state's buffer, and the product sums into it
// there. Bufferized, nothing is copied into the state.
// CHECK-LABEL: func.func @carried_sum
// CHECK: scf.for {{.*}} iter_args(%[[H:[^ ]+]] = %arg0
// CHECK: %[[OTHER:.+]] = linalg.generic {{.*}} ins(%[[H]] : tensor<2x4xf32>)
// CHECK: %[[START:.+]] = linalg.generic {{.*}} ins(%[[H]], %arg2 : tensor<2x4xf32>, tensor<2x4xf32>) outs(%[[H]] : tensor<2x4xf32>)
// CHECK: %[[N:.+]] = linalg.matmul ins(%[[OTHER]], %arg1 : tensor<2x4xf32>, tensor<4x4xf32>) outs(%[[START]] : tensor<2x4xf32>)
// CHECK: bufferization.materialize_in_destination %[[N]] in %[[H]]
// INPLACE-LABEL: func.func @carried_sum
// INPLACE: scf.for
// INPLACE-NOT: memref.copy
// INPLACE: linalg.matmul ins(%{{.+}}, %{{.+}} : memref<2x4xf32>, memref<4x4xf32>) outs(%[[S:.+]] : memref<2x4xf32>)
// INPLACE-NOT: memref.copy
// INPLACE: return %[[S]]
func.func @carried_sum(%h0: tensor<2x4xf32>, %w: tensor<4x4xf32>, %z: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %one = arith.constant 1.0 : f32
  %r = scf.for %i = %c0 to %c3 step %c1 iter_args(%h = %h0) -> (tensor<2x4xf32>) {
    %e = tensor.empty() : tensor<2x4xf32>
    %start = linalg.generic {indexing_maps = [#id2, #id2, #id2], iterator_types = ["parallel", "parallel"]}
        ins(%h, %z : tensor<2x4xf32>, tensor<2x4xf32>) outs(%e : tensor<2x4xf32>) {
    ^bb0(%v: f32, %u: f32, %o: f32):
      %y = arith.mulf %v, %u : f32
      linalg.yield %y : f32
    } -> tensor<2x4xf32>
    %other = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
        ins(%h : tensor<2x4xf32>) outs(%e : tensor<2x4xf32>) {
    ^bb0(%v: f32, %o: f32):
      %y = arith.subf %one, %v : f32
      linalg.yield %y : f32
    } -> tensor<2x4xf32>
    %n = linalg.matmul ins(%other, %w : tensor<2x4xf32>, tensor<4x4xf32>) outs(%start : tensor<2x4xf32>) -> tensor<2x4xf32>
    scf.yield %n : tensor<2x4xf32>
  }
  return %r : tensor<2x4xf32>
}

// CHECK-LABEL: func.func @carried_activation
// CHECK: scf.for {{.*}} iter_args(%[[H:.+]] = %arg0)
// CHECK: %[[P:.+]] = linalg.matmul ins(%[[H]], %arg1
// CHECK: %[[N:.+]] = linalg.generic {{.*}} ins(%[[P]] : tensor<2x4xf32>) outs(%[[H]] : tensor<2x4xf32>)
// CHECK: bufferization.materialize_in_destination %[[N]] in %[[H]]
// INPLACE-LABEL: func.func @carried_activation
// INPLACE: %[[S:.+]] = memref.alloc
// INPLACE: memref.copy %arg0, %[[S]]
// INPLACE: scf.for
// INPLACE-NOT: memref.copy
// INPLACE: linalg.generic {{.*}} outs(%[[S]] : memref<2x4xf32>)
// INPLACE-NOT: memref.copy
// INPLACE: return %[[S]]
func.func @carried_activation(%h0: tensor<2x4xf32>, %w: tensor<4x4xf32>) -> tensor<2x4xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %zero = arith.constant 0.0 : f32
  %r = scf.for %i = %c0 to %c3 step %c1 iter_args(%h = %h0) -> (tensor<2x4xf32>) {
    %e0 = tensor.empty() : tensor<2x4xf32>
    %f = linalg.fill ins(%zero : f32) outs(%e0 : tensor<2x4xf32>) -> tensor<2x4xf32>
    %p = linalg.matmul ins(%h, %w : tensor<2x4xf32>, tensor<4x4xf32>) outs(%f : tensor<2x4xf32>) -> tensor<2x4xf32>
    %e = tensor.empty() : tensor<2x4xf32>
    %n = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
        ins(%p : tensor<2x4xf32>) outs(%e : tensor<2x4xf32>) {
    ^bb0(%v: f32, %o: f32):
      %y = math.tanh %v : f32
      linalg.yield %y : f32
    } -> tensor<2x4xf32>
    scf.yield %n : tensor<2x4xf32>
  }
  return %r : tensor<2x4xf32>
}

// The state read after the op (saved, here copied into a second state)
// keeps its buffer: the next state gets its own, and the yield copies it
// back.
// CHECK-LABEL: func.func @carried_read_later
// CHECK: scf.for {{.*}} iter_args(%[[H:.+]] = %arg0, %[[K:.+]] = %arg0)
// CHECK: %[[E:.+]] = tensor.empty() : tensor<2x4xf32>
// CHECK: linalg.fill ins(%{{.+}} : f32) outs(%[[E]] : tensor<2x4xf32>)
// CHECK: materialize_in_destination %{{.+}} in %[[H]]
// INPLACE-LABEL: func.func @carried_read_later
// INPLACE: %[[S:.+]] = memref.alloc
// INPLACE: scf.for
// INPLACE: %[[P:.+]] = memref.alloc
// INPLACE: linalg.matmul ins(%[[S]], %{{.+}} : memref<2x4xf32>, memref<4x4xf32>) outs(%[[P]] : memref<2x4xf32>)
// INPLACE: memref.copy %[[P]], %[[S]]
func.func @carried_read_later(%h0: tensor<2x4xf32>, %w: tensor<4x4xf32>) -> (tensor<2x4xf32>, tensor<2x4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %zero = arith.constant 0.0 : f32
  %r:2 = scf.for %i = %c0 to %c3 step %c1 iter_args(%h = %h0, %k = %h0) -> (tensor<2x4xf32>, tensor<2x4xf32>) {
    %e0 = tensor.empty() : tensor<2x4xf32>
    %f = linalg.fill ins(%zero : f32) outs(%e0 : tensor<2x4xf32>) -> tensor<2x4xf32>
    %p = linalg.matmul ins(%h, %w : tensor<2x4xf32>, tensor<4x4xf32>) outs(%f : tensor<2x4xf32>) -> tensor<2x4xf32>
    %e = tensor.empty() : tensor<2x4xf32>
    %kept = linalg.copy ins(%h : tensor<2x4xf32>) outs(%e : tensor<2x4xf32>) -> tensor<2x4xf32>
    scf.yield %p, %kept : tensor<2x4xf32>, tensor<2x4xf32>
  }
  return %r#0, %r#1 : tensor<2x4xf32>, tensor<2x4xf32>
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

// A value a loop saves in a slot of a stack it carries (the gates'
// pre-activation of a recurrent layer, kept for the backward pass): the
// op that computes it writes the slot (its fresh destination becomes the
// slot's extract_slice), so bufferized, it computes there and the insert
// is a copy of the slot onto itself, which CSE and canonicalization
// remove (as the pipeline runs them after bufferization).
// CHECK-LABEL: func.func @saved_in_slot
// CHECK: scf.for %[[I:.+]] = {{.*}} iter_args(%[[S:.+]] = %arg1)
// CHECK: %[[PLACE:.+]] = tensor.extract_slice %[[S]][%[[I]], 0, 0] [1, 2, 4] [1, 1, 1] : tensor<3x2x4xf32> to tensor<2x4xf32>
// CHECK: %[[Z:.+]] = linalg.generic {{.*}} ins(%arg0 : tensor<2x4xf32>) outs(%[[PLACE]] : tensor<2x4xf32>)
// CHECK: tensor.insert_slice %[[Z]] into %[[S]][%[[I]], 0, 0]
// SLOT-LABEL: func.func @saved_in_slot
// SLOT: scf.for
// SLOT-NOT: memref.copy
// SLOT: %[[VIEW:.+]] = memref.subview
// SLOT: linalg.generic {{.*}} outs(%[[VIEW]] :
// SLOT-NOT: memref.copy
// SLOT: return
func.func @saved_in_slot(%x: tensor<2x4xf32>, %stack0: tensor<3x2x4xf32>) -> tensor<3x2x4xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %r = scf.for %i = %c0 to %c3 step %c1 iter_args(%s = %stack0) -> (tensor<3x2x4xf32>) {
    %e = tensor.empty() : tensor<2x4xf32>
    %z = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
        ins(%x : tensor<2x4xf32>) outs(%e : tensor<2x4xf32>) {
    ^bb0(%v: f32, %o: f32):
      %y = math.tanh %v : f32
      linalg.yield %y : f32
    } -> tensor<2x4xf32>
    %n = tensor.insert_slice %z into %s[%i, 0, 0] [1, 2, 4] [1, 1, 1] : tensor<2x4xf32> into tensor<3x2x4xf32>
    scf.yield %n : tensor<3x2x4xf32>
  }
  return %r : tensor<3x2x4xf32>
}

// A value assembled from parts (insert_slices into a tensor.empty: the
// concatenation of an LSTM's gate gradients) that a loop saves in a slot of
// a stack it carries: the parts are assembled in the slot, extracted where
// its offset is defined (before the ops computing the parts, so that
// those can be pointed at it too), and the product that reads the value
// reads it there. Bufferized, the parts are copied into the slot (which
// kiln-cuda-fuse-rows folds into the kernel computing them) and the whole
// value is not copied.
// CHECK-LABEL: func.func @assembled_in_slot
// CHECK: scf.for %[[I:.+]] = {{.*}} iter_args(%[[S:[^ ]+]] = %arg1
// CHECK-NEXT: %[[PLACE:.+]] = tensor.extract_slice %[[S]][%[[I]], 0, 0] [1, 2, 8] [1, 1, 1] : tensor<3x2x8xf32> to tensor<2x8xf32>
// CHECK-NOT: tensor.empty() : tensor<2x8xf32>
// CHECK: %[[LO:.+]] = tensor.insert_slice %{{.+}} into %[[PLACE]][0, 0] [2, 4] [1, 1]
// CHECK: %[[D:.+]] = tensor.insert_slice %{{.+}} into %[[LO]][0, 4] [2, 4] [1, 1]
// CHECK: tensor.insert_slice %[[D]] into %[[S]][%[[I]], 0, 0]
// SLOT-LABEL: func.func @assembled_in_slot
// SLOT: scf.for
// SLOT-NEXT: %[[VIEW:.+]] = memref.subview %{{.+}}[%{{.+}}, 0, 0] [1, 2, 8] [1, 1, 1]
// SLOT-NOT: memref.copy %{{.+}} : memref<2x8xf32
// SLOT: memref.copy %{{.+}}, %{{.+}} : memref<2x4xf32> to memref<2x4xf32, strided<[8, 1], offset: ?>>
// SLOT: memref.copy %{{.+}}, %{{.+}} : memref<2x4xf32> to memref<2x4xf32, strided<[8, 1], offset: ?>>
// SLOT: linalg.matmul ins(%[[VIEW]], %{{.+}} : memref<2x8xf32, strided<[8, 1], offset: ?>>, memref<8x4xf32>)
// SLOT-NOT: memref.copy
// SLOT: return
func.func @assembled_in_slot(%x: tensor<2x4xf32>, %stack0: tensor<3x2x8xf32>, %w: tensor<8x4xf32>) -> (tensor<3x2x8xf32>, tensor<2x4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %cst = arith.constant 0.0 : f32
  %h0 = tensor.empty() : tensor<2x4xf32>
  %r:2 = scf.for %i = %c0 to %c3 step %c1 iter_args(%s = %stack0, %h = %h0) -> (tensor<3x2x8xf32>, tensor<2x4xf32>) {
    %e0 = tensor.empty() : tensor<2x4xf32>
    %a = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
        ins(%x : tensor<2x4xf32>) outs(%e0 : tensor<2x4xf32>) {
    ^bb0(%v: f32, %o: f32):
      %y = math.tanh %v : f32
      linalg.yield %y : f32
    } -> tensor<2x4xf32>
    %e1 = tensor.empty() : tensor<2x4xf32>
    %b = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
        ins(%x : tensor<2x4xf32>) outs(%e1 : tensor<2x4xf32>) {
    ^bb0(%v: f32, %o: f32):
      %y = arith.negf %v : f32
      linalg.yield %y : f32
    } -> tensor<2x4xf32>
    %e = tensor.empty() : tensor<2x8xf32>
    %lo = tensor.insert_slice %a into %e[0, 0] [2, 4] [1, 1] : tensor<2x4xf32> into tensor<2x8xf32>
    %d = tensor.insert_slice %b into %lo[0, 4] [2, 4] [1, 1] : tensor<2x4xf32> into tensor<2x8xf32>
    %f = linalg.fill ins(%cst : f32) outs(%h : tensor<2x4xf32>) -> tensor<2x4xf32>
    %p = linalg.matmul ins(%d, %w : tensor<2x8xf32>, tensor<8x4xf32>) outs(%f : tensor<2x4xf32>) -> tensor<2x4xf32>
    %n = tensor.insert_slice %d into %s[%i, 0, 0] [1, 2, 8] [1, 1, 1] : tensor<2x8xf32> into tensor<3x2x8xf32>
    scf.yield %n, %p : tensor<3x2x8xf32>, tensor<2x4xf32>
  }
  return %r#0, %r#1 : tensor<3x2x8xf32>, tensor<2x4xf32>
}
