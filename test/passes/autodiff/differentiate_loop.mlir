// RUN: kiln-opt %s --kiln-differentiate | FileCheck %s

// Reverse mode through scf.for: the forward loop is rebuilt to save each
// iteration's carried state in a stack (tensor<N+1 x ...>, N the trip
// count): the initial state in slot 0 before the loop, and what iteration
// k yields in slot k + 1 at its end, after the op that computes it (on a
// GPU, one kernel stores both), so the final state is in slot N; a
// reverse loop runs the iterations
// backwards, reloads the saved state, recomputes the body and walks it
// backwards, carrying the state's adjoint; w's adjoint, the states times
// the adjoints of their products with w, is one product after it. The
// value an iteration yields is the next slot: tanh's VJP (1 - y^2) reads it
// there, and the product and tanh that computed it are not recomputed.

func.func @loop(%h0: tensor<?x4xf32>, %w: tensor<4x4xf32>) -> tensor<f32> attributes {kiln.differentiate} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %r = scf.for %i = %c0 to %c3 step %c1 iter_args(%h = %h0) -> (tensor<?x4xf32>) {
    %m = kiln.matmul %h, %w : tensor<?x4xf32>, tensor<4x4xf32> -> tensor<?x4xf32>
    %t = kiln.tanh %m : tensor<?x4xf32>
    scf.yield %t : tensor<?x4xf32>
  }
  %l = kiln.reduce_sum %r {axes = array<i64: 0, 1>} : tensor<?x4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// CHECK-LABEL: func.func @loop_grad
// CHECK-SAME: -> (tensor<f32>, tensor<?x4xf32>, tensor<4x4xf32>)
// CHECK: %[[N:.+]] = arith.maxsi
// CHECK: %[[SLOTS:.+]] = arith.addi %[[N]], %{{.+}} : index
// CHECK: %[[EMPTY:.+]] = tensor.empty(%[[SLOTS]], %{{.+}}) : tensor<?x?x4xf32>
// The recording forward loop: state and stack.
// CHECK: %[[FIRST:.+]] = tensor.insert_slice %arg0 into %[[EMPTY]][%{{.+}}, 0, 0]
// CHECK: %[[FWD:.+]]:2 = scf.for %[[I:.+]] = %{{.+}} to %{{.+}} step %{{.+}} iter_args(%[[H:.+]] = %arg0, %[[STACK:.+]] = %[[FIRST]])
// CHECK: kiln.matmul %[[H]], %arg1
// CHECK: %[[NEXT:.+]] = kiln.tanh
// CHECK: %[[AT:.+]] = arith.addi %{{.+}}, %{{.+}} : index
// CHECK: %[[SAVE:.+]] = tensor.insert_slice %[[NEXT]] into %[[STACK]][%[[AT]], 0, 0]
// CHECK: scf.yield %[[NEXT]], %[[SAVE]]
// CHECK-NOT: tensor.insert_slice
// The reverse loop: the state's adjoint, w's (passed through), and the
// stack of the adjoints D_k of the product h_k w, slot k each iteration.
// CHECK: %[[DEMPTY:.+]] = tensor.empty(%[[N]], %{{.+}}) : tensor<?x?x4xf32>
// CHECK: %[[REV:.+]]:3 = scf.for %[[J:.+]] = %{{.+}} to %[[N]] step %{{.+}} iter_args(%[[G:.+]] = %{{.+}}, %[[GW:.+]] = %{{.+}}, %[[DS:.+]] = %[[DEMPTY]]) -> (tensor<?x4xf32>, tensor<4x4xf32>, tensor<?x?x4xf32>)
// CHECK: %[[K:.+]] = arith.subi %{{.+}}, %[[J]] : index
// CHECK: %[[KNEXT:.+]] = arith.addi %[[K]], %{{.+}} : index
// CHECK-NOT: tensor.extract_slice %[[FWD]]#1[%[[K]], 0, 0]
// CHECK: %[[Y:.+]] = tensor.extract_slice %[[FWD]]#1[%[[KNEXT]], 0, 0]
// CHECK-NOT: kiln.tanh
// CHECK: kiln.mul %[[Y]], %[[Y]]
// CHECK: %[[D:.+]] = kiln.mul %[[G]], %{{.+}}
// CHECK-NOT: kiln.add
// CHECK: %[[DNEXT:.+]] = tensor.insert_slice %[[D]] into %[[DS]][%[[K]], 0, 0]
// CHECK: scf.yield %{{.+}}, %[[GW]], %[[DNEXT]]
// After it, w's gradient is one product over the N * batch rows: the states
// saved in slots 0 .. N - 1 by the stacked D's.
// CHECK: %[[DROWS:.+]] = tensor.collapse_shape %[[REV]]#2 {{\[\[}}0, 1], [2]] : tensor<?x?x4xf32> into tensor<?x4xf32>
// CHECK: %[[SROWS:.+]] = tensor.collapse_shape %[[FWD]]#1 {{\[\[}}0, 1], [2]] : tensor<?x?x4xf32> into tensor<?x4xf32>
// CHECK: %[[BATCH:.+]] = tensor.dim %[[FWD]]#1, %{{.+}} : tensor<?x?x4xf32>
// CHECK: %[[ROWS:.+]] = arith.muli %[[N]], %[[BATCH]] : index
// CHECK: %[[X:.+]] = tensor.extract_slice %[[SROWS]][%{{.+}}, 0] [%[[ROWS]], 4] [1, 1]
// CHECK: %[[XT:.+]] = kiln.transpose %[[X]] {permutation = array<i64: 1, 0>} : tensor<?x4xf32> -> tensor<4x?xf32>
// CHECK: %[[GWALL:.+]] = kiln.matmul %[[XT]], %[[DROWS]] : tensor<4x?xf32>, tensor<?x4xf32> -> tensor<4x4xf32>
// CHECK: return %{{.+}}, %[[REV]]#0, %[[GWALL]]

// A bias the iteration adds: its gradient, a sum of D_k's rows, is one sum
// over the stacked D's rows after the loop. The state masked before its
// product (recurrent dropout, a mask from outside the loop): that kernel's
// gradient is one product after the loop too, of the states' stack times
// the mask (broadcast over the slots) by the stacked D. The mask is an
// argument differentiated here, so the loop sums its gradient.
func.func @bias_and_mask(%h0: tensor<?x4xf32>, %w: tensor<4x4xf32>, %b: tensor<4xf32>, %u: tensor<4x4xf32>, %mask: tensor<?x4xf32>) -> tensor<f32> attributes {kiln.differentiate} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %r = scf.for %i = %c0 to %c3 step %c1 iter_args(%h = %h0) -> (tensor<?x4xf32>) {
    %m = kiln.matmul %h, %w : tensor<?x4xf32>, tensor<4x4xf32> -> tensor<?x4xf32>
    %hm = kiln.mul %h, %mask : tensor<?x4xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
    %n = kiln.matmul %hm, %u : tensor<?x4xf32>, tensor<4x4xf32> -> tensor<?x4xf32>
    %s = kiln.add %m, %n : tensor<?x4xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
    %a = kiln.add %s, %b : tensor<?x4xf32>, tensor<4xf32> -> tensor<?x4xf32>
    %t = kiln.tanh %a : tensor<?x4xf32>
    scf.yield %t : tensor<?x4xf32>
  }
  %l = kiln.reduce_sum %r {axes = array<i64: 0, 1>} : tensor<?x4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// CHECK-LABEL: func.func @bias_and_mask_grad
// CHECK: %[[FWD:.+]]:2 = scf.for
// CHECK: %[[REV:.+]]:6 = scf.for %{{.+}} iter_args(%{{.+}} = %{{.+}}, %[[GW:.+]] = %{{.+}}, %[[GMASK:.+]] = %{{.+}}, %[[GU:.+]] = %{{.+}}, %[[GB:.+]] = %{{.+}}, %[[DS:.+]] = %{{.+}}) -> (tensor<?x4xf32>, tensor<4x4xf32>, tensor<?x4xf32>, tensor<4x4xf32>, tensor<4xf32>, tensor<?x?x4xf32>)
// CHECK-NOT: kiln.reduce_sum
// CHECK-NOT: kiln.matmul {{.+}} -> tensor<4x4xf32>
// CHECK: %[[DNEXT:.+]] = tensor.insert_slice %{{.+}} into %[[DS]]
// CHECK: scf.yield %{{.+}}, %[[GW]], %{{.+}}, %[[GU]], %[[GB]], %[[DNEXT]]
// CHECK: %[[DROWS:.+]] = tensor.collapse_shape %[[REV]]#5
// CHECK: %[[GWALL:.+]] = kiln.matmul %{{.+}}, %[[DROWS]] : tensor<4x?xf32>, tensor<?x4xf32> -> tensor<4x4xf32>
// CHECK: %[[SLOTS:.+]] = tensor.extract_slice %[[FWD]]#1[%{{.+}}, 0, 0] [%{{.+}}, %{{.+}}, 4] [1, 1, 1] : tensor<?x?x4xf32> to tensor<?x?x4xf32>
// CHECK: %[[MASKED:.+]] = kiln.mul %[[SLOTS]], %arg4 : tensor<?x?x4xf32>, tensor<?x4xf32> -> tensor<?x?x4xf32>
// CHECK: %[[XROWS:.+]] = tensor.collapse_shape %[[MASKED]]
// CHECK: %[[XT:.+]] = kiln.transpose %[[XROWS]]
// CHECK: %[[GUALL:.+]] = kiln.matmul %[[XT]], %[[DROWS]] : tensor<4x?xf32>, tensor<?x4xf32> -> tensor<4x4xf32>
// CHECK: %[[ROWSUM:.+]] = kiln.reduce_sum %[[DROWS]] {axes = array<i64: 0>, keep_dims = true} : tensor<?x4xf32> -> tensor<1x4xf32>
// CHECK: %[[GBALL:.+]] = kiln.reshape %[[ROWSUM]] : tensor<1x4xf32> -> tensor<4xf32>
// CHECK: return %{{.+}}, %[[REV]]#0, %[[GWALL]], %[[GBALL]], %[[GUALL]], %[[REV]]#2

// A return_sequences loop: the output sequence is only written
// (sequence_insert into it, yielded straight back), so only the state gets a
// stack; the reverse loop stands the forward result in for the sequence
// (its elements are never read: T^2 of saved copies avoided; the step the
// body inserts is the next saved state, so nothing is recomputed here).
func.func @sequence(%h0: tensor<?x4xf32>, %s0: tensor<?x3x4xf32>, %w: tensor<4x4xf32>) -> tensor<f32> attributes {kiln.differentiate} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %r:2 = scf.for %i = %c0 to %c3 step %c1 iter_args(%h = %h0, %s = %s0) -> (tensor<?x4xf32>, tensor<?x3x4xf32>) {
    %m = kiln.matmul %h, %w : tensor<?x4xf32>, tensor<4x4xf32> -> tensor<?x4xf32>
    %t = kiln.tanh %m : tensor<?x4xf32>
    %sn = kiln.sequence_insert %t into %s[%i] : tensor<?x4xf32> into tensor<?x3x4xf32>
    scf.yield %t, %sn : tensor<?x4xf32>, tensor<?x3x4xf32>
  }
  %l = kiln.reduce_sum %r#1 {axes = array<i64: 0, 1, 2>} : tensor<?x3x4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// CHECK-LABEL: func.func @sequence_grad
// CHECK: %[[EMPTY:.+]] = tensor.empty(%{{.+}}, %{{.+}}) : tensor<?x?x4xf32>
// CHECK-NOT: tensor<?x?x3x4xf32>
// CHECK: %[[FIRST:.+]] = tensor.insert_slice %arg0 into %[[EMPTY]]
// CHECK: %[[FWD:.+]]:3 = scf.for %{{.+}} iter_args(%[[H:.+]] = %arg0, %[[S:.+]] = %arg1, %[[STACK:.+]] = %[[FIRST]])
// CHECK: %[[NEXT:.+]] = kiln.tanh
// CHECK-NOT: tensor.insert_slice %[[S]]
// CHECK: kiln.sequence_insert %{{.+}} into %[[S]]
// CHECK: tensor.insert_slice %[[NEXT]] into %[[STACK]]
// CHECK: scf.yield
// CHECK: scf.for
// CHECK: tensor.extract_slice %[[FWD]]#2
// CHECK-NOT: kiln.tanh
// CHECK-NOT: kiln.sequence_insert %{{.+}} into %[[FWD]]#1
// CHECK: scf.yield

// A loop that reads one step of a captured sequence an iteration (a
// recurrent layer's hoisted input projection), step k in iteration k: the
// reverse loop stacks each step's gradient (here D_k, the stack the
// recurrent kernel's gradient reads too) and the sequence's adjoint is the
// stack with time and batch swapped, not a sequence of zeros that each
// iteration adds its step into.
func.func @read_steps(%h0: tensor<?x4xf32>, %x: tensor<?x3x4xf32>, %w: tensor<4x4xf32>) -> tensor<f32> attributes {kiln.differentiate} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %r = scf.for %i = %c0 to %c3 step %c1 iter_args(%h = %h0) -> (tensor<?x4xf32>) {
    %xt = kiln.sequence_step %x[%i] : tensor<?x3x4xf32> -> tensor<?x4xf32>
    %m = kiln.matmul %h, %w : tensor<?x4xf32>, tensor<4x4xf32> -> tensor<?x4xf32>
    %a = kiln.add %xt, %m : tensor<?x4xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
    %t = kiln.tanh %a : tensor<?x4xf32>
    scf.yield %t : tensor<?x4xf32>
  }
  %l = kiln.reduce_sum %r {axes = array<i64: 0, 1>} : tensor<?x4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// CHECK-LABEL: func.func @read_steps_grad
// CHECK: scf.for
// CHECK: %[[REV:.+]]:4 = scf.for %{{.+}} iter_args(%[[GH:.+]] = %{{.+}}, %[[GX:.+]] = %{{.+}}, %{{.+}} = %{{.+}}, %[[DS:.+]] = %{{.+}}) -> (tensor<?x4xf32>, tensor<?x3x4xf32>, tensor<4x4xf32>, tensor<?x?x4xf32>)
// CHECK-NOT: kiln.sequence_insert
// CHECK-NOT: kiln.add
// CHECK: %[[D:.+]] = kiln.mul %[[GH]], %{{.+}} : tensor<?x4xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
// CHECK-NOT: kiln.sequence_insert
// CHECK: %[[DS1:.+]] = tensor.insert_slice %[[D]] into %[[DS]]
// CHECK: scf.yield %{{.+}}, %[[GX]], %{{.+}}, %[[DS1]]
// CHECK: %[[T:.+]] = kiln.transpose %[[REV]]#3 {permutation = array<i64: 1, 0, 2>} : tensor<?x?x4xf32> -> tensor<?x?x4xf32>
// CHECK: %[[SEQ:.+]] = tensor.cast %[[T]] : tensor<?x?x4xf32> to tensor<?x3x4xf32>
// CHECK: %[[DROWS:.+]] = tensor.collapse_shape %[[REV]]#3
// CHECK: %[[GW:.+]] = kiln.matmul %{{.+}}, %[[DROWS]] : tensor<4x?xf32>, tensor<?x4xf32> -> tensor<4x4xf32>
// CHECK: return %{{.+}}, %{{.+}}, %[[SEQ]], %[[GW]]

// The same loop reading the steps from the end (go_backwards): iteration k
// reads step 2 - k, so the steps' gradients are still added into the
// sequence's adjoint in the loop.
func.func @read_steps_backwards(%h0: tensor<?x4xf32>, %x: tensor<?x3x4xf32>, %w: tensor<4x4xf32>) -> tensor<f32> attributes {kiln.differentiate} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %r = scf.for %i = %c0 to %c3 step %c1 iter_args(%h = %h0) -> (tensor<?x4xf32>) {
    %s = arith.subi %c2, %i : index
    %xt = kiln.sequence_step %x[%s] : tensor<?x3x4xf32> -> tensor<?x4xf32>
    %m = kiln.matmul %h, %w : tensor<?x4xf32>, tensor<4x4xf32> -> tensor<?x4xf32>
    %a = kiln.add %xt, %m : tensor<?x4xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
    %t = kiln.tanh %a : tensor<?x4xf32>
    scf.yield %t : tensor<?x4xf32>
  }
  %l = kiln.reduce_sum %r {axes = array<i64: 0, 1>} : tensor<?x4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// CHECK-LABEL: func.func @read_steps_backwards_grad
// CHECK: %[[REV:.+]]:4 = scf.for %{{.+}} iter_args(%{{.+}} = %{{.+}}, %[[GX:.+]] = %{{.+}}, %{{.+}} = %{{.+}}, %{{.+}} = %{{.+}})
// CHECK: %[[OLD:.+]] = kiln.sequence_step %[[GX]][%[[T:.+]]] : tensor<?x3x4xf32> -> tensor<?x4xf32>
// CHECK: %[[SUM:.+]] = kiln.add %[[OLD]], %{{.+}} : tensor<?x4xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
// CHECK: %[[NEW:.+]] = kiln.sequence_insert %[[SUM]] into %[[GX]][%[[T]]] : tensor<?x4xf32> into tensor<?x3x4xf32>
// CHECK-NOT: kiln.add {{.+}} -> tensor<?x3x4xf32>
// CHECK: scf.yield %{{.+}}, %[[NEW]], %{{.+}}, %{{.+}}
// CHECK-NOT: kiln.transpose %[[REV]]#3 {permutation = array<i64: 1, 0, 2>}
// CHECK: return %{{.+}}, %{{.+}}, %[[REV]]#1, %{{.+}}

// A row of a bias (a GRU's recurrent bias is row 1 of its (2, 3 units)
// bias): its gradient, the rows' sum of D_k placed among zeros, is one sum
// after the loop placed the same way.
func.func @bias_row(%h0: tensor<?x4xf32>, %w: tensor<4x4xf32>, %b: tensor<2x4xf32>) -> tensor<f32> attributes {kiln.differentiate} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %r = scf.for %i = %c0 to %c3 step %c1 iter_args(%h = %h0) -> (tensor<?x4xf32>) {
    %m = kiln.matmul %h, %w : tensor<?x4xf32>, tensor<4x4xf32> -> tensor<?x4xf32>
    %row = kiln.slice %b {axis = 0 : i64, start = 1 : i64, size = 1 : i64} : tensor<2x4xf32> -> tensor<1x4xf32>
    %bias = kiln.reshape %row : tensor<1x4xf32> -> tensor<4xf32>
    %a = kiln.add %m, %bias : tensor<?x4xf32>, tensor<4xf32> -> tensor<?x4xf32>
    %t = kiln.tanh %a : tensor<?x4xf32>
    scf.yield %t : tensor<?x4xf32>
  }
  %l = kiln.reduce_sum %r {axes = array<i64: 0, 1>} : tensor<?x4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// CHECK-LABEL: func.func @bias_row_grad
// CHECK: %[[REV:.+]]:4 = scf.for
// CHECK-NOT: kiln.reduce_sum
// CHECK-NOT: kiln.concat
// CHECK: scf.yield
// CHECK: %[[DROWS:.+]] = tensor.collapse_shape %[[REV]]#3
// CHECK: %[[SUM:.+]] = kiln.reduce_sum %[[DROWS]] {axes = array<i64: 0>, keep_dims = true} : tensor<?x4xf32> -> tensor<1x4xf32>
// CHECK: %[[ZERO:.+]] = kiln.constant dense<0.000000e+00> : tensor<1x4xf32>
// CHECK: %[[GB:.+]] = kiln.concat %[[ZERO]], %[[SUM]] {axis = 0 : i64}
// CHECK: return %{{.+}}, %{{.+}}, %{{.+}}, %[[GB]]

// Gates (an LSTM's): the VJPs of sigmoid and tanh read their inputs, slices
// of the pre-activation z = x_t + h w + b, so the reverse loop would
// recompute the product h w each step. The recording loop saves z (the
// product followed down its single-use adds) in slot k of a stack of its
// own, whose row count is the input sequence's batch, and the reverse loop
// reads it there: no product of a saved state by w in it.
func.func @gates(%h0: tensor<?x4xf32>, %x: tensor<?x3x8xf32>, %w: tensor<4x8xf32>, %b: tensor<8xf32>) -> tensor<f32> attributes {kiln.differentiate} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %r = scf.for %i = %c0 to %c3 step %c1 iter_args(%h = %h0) -> (tensor<?x4xf32>) {
    %xt = kiln.sequence_step %x[%i] : tensor<?x3x8xf32> -> tensor<?x8xf32>
    %m = kiln.matmul %h, %w : tensor<?x4xf32>, tensor<4x8xf32> -> tensor<?x8xf32>
    %s = kiln.add %xt, %m : tensor<?x8xf32>, tensor<?x8xf32> -> tensor<?x8xf32>
    %z = kiln.add %s, %b : tensor<?x8xf32>, tensor<8xf32> -> tensor<?x8xf32>
    %z0 = kiln.slice %z {axis = 1 : i64, start = 0 : i64, size = 4 : i64} : tensor<?x8xf32> -> tensor<?x4xf32>
    %z1 = kiln.slice %z {axis = 1 : i64, start = 4 : i64, size = 4 : i64} : tensor<?x8xf32> -> tensor<?x4xf32>
    %gate = kiln.sigmoid %z0 : tensor<?x4xf32>
    %cand = kiln.tanh %z1 : tensor<?x4xf32>
    %hn = kiln.mul %gate, %cand : tensor<?x4xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
    scf.yield %hn : tensor<?x4xf32>
  }
  %l = kiln.reduce_sum %r {axes = array<i64: 0, 1>} : tensor<?x4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// CHECK-LABEL: func.func @gates_grad
// CHECK: %[[BATCH:.+]] = tensor.dim %arg1, %{{.+}} : tensor<?x3x8xf32>
// CHECK: %[[ZEMPTY:.+]] = tensor.empty(%{{.+}}, %[[BATCH]]) : tensor<?x?x8xf32>
// CHECK: %[[FWD:.+]]:3 = scf.for %{{.+}} iter_args(%{{.+}} = %arg0, %{{.+}} = %{{.+}}, %[[ZS:.+]] = %[[ZEMPTY]])
// CHECK: %[[Z:.+]] = kiln.add %{{.+}}, %arg3
// CHECK: tensor.insert_slice %[[Z]] into %[[ZS]][%{{.+}}, 0, 0]
// CHECK: %[[REV:.+]]:{{[0-9]+}} = scf.for %[[J:[^ ]+]] =
// CHECK: %[[K:.+]] = arith.subi %{{.+}}, %[[J]] : index
// CHECK-NOT: kiln.matmul %{{.+}}, %arg2 :
// CHECK: %[[ZK:.+]] = tensor.extract_slice %[[FWD]]#2[%[[K]], 0, 0]
// CHECK-NOT: kiln.matmul %{{.+}}, %arg2 :
// CHECK: kiln.slice %[[ZK]]
// CHECK-NOT: kiln.matmul %{{.+}}, %arg2 :
// CHECK: scf.yield

// The same gates after a softmax of the state, an op outerDim does not
// follow: the pre-activation's batch cannot be told from outside the loop,
// so nothing else is stacked and the reverse loop recomputes the product.
func.func @gates_unsized(%h0: tensor<?x4xf32>, %x: tensor<?x3x8xf32>, %w: tensor<4x8xf32>) -> tensor<f32> attributes {kiln.differentiate} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %r = scf.for %i = %c0 to %c3 step %c1 iter_args(%h = %h0) -> (tensor<?x4xf32>) {
    %s = kiln.softmax %h {axis = -1 : i64} : tensor<?x4xf32>
    %m = kiln.matmul %s, %w : tensor<?x4xf32>, tensor<4x8xf32> -> tensor<?x8xf32>
    %z0 = kiln.slice %m {axis = 1 : i64, start = 0 : i64, size = 4 : i64} : tensor<?x8xf32> -> tensor<?x4xf32>
    %z1 = kiln.slice %m {axis = 1 : i64, start = 4 : i64, size = 4 : i64} : tensor<?x8xf32> -> tensor<?x4xf32>
    %gate = kiln.sigmoid %z0 : tensor<?x4xf32>
    %cand = kiln.tanh %z1 : tensor<?x4xf32>
    %hn = kiln.mul %gate, %cand : tensor<?x4xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
    scf.yield %hn : tensor<?x4xf32>
  }
  %l = kiln.reduce_sum %r {axes = array<i64: 0, 1>} : tensor<?x4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// CHECK-LABEL: func.func @gates_unsized_grad
// CHECK: %[[FWD:.+]]:2 = scf.for
// CHECK: scf.for
// CHECK: kiln.softmax
// CHECK: kiln.matmul %{{.+}}, %arg2 : tensor<?x4xf32>, tensor<4x8xf32> -> tensor<?x8xf32>
// CHECK: scf.yield

// Activity: a recurrent dropout mask (drawn from the data outside the loop:
// here an argument that is not a parameter) multiplies the state each
// iteration. Its gradient is read by nobody, so the reverse loop does not
// sum it: it carries the state's adjoint, the kernel's (passed through:
// summed after the loop) and the stack of D_k, not the mask's.
func.func @masked(%h0: tensor<?x4xf32>, %mask: tensor<?x4xf32>, %w: tensor<4x4xf32> {kiln.param = "w"}) -> tensor<f32> attributes {kiln.differentiate} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %r = scf.for %i = %c0 to %c3 step %c1 iter_args(%h = %h0) -> (tensor<?x4xf32>) {
    %hm = kiln.mul %h, %mask : tensor<?x4xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
    %m = kiln.matmul %hm, %w : tensor<?x4xf32>, tensor<4x4xf32> -> tensor<?x4xf32>
    %t = kiln.tanh %m : tensor<?x4xf32>
    scf.yield %t : tensor<?x4xf32>
  }
  %l = kiln.reduce_sum %r {axes = array<i64: 0, 1>} : tensor<?x4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// CHECK-LABEL: func.func @masked_grad
// CHECK: scf.for
// CHECK: %[[REV:.+]]:3 = scf.for %{{.+}} iter_args(%{{.+}} = %{{.+}}, %{{.+}} = %{{.+}}, %{{.+}} = %{{.+}}) -> (tensor<?x4xf32>, tensor<4x4xf32>, tensor<?x?x4xf32>)
// CHECK: scf.yield
// CHECK: return %{{.+}}, %{{.+}} : tensor<f32>, tensor<4x4xf32>

// Keras's implementation 1 (an LSTM or GRU with recurrent dropout): each
// gate multiplies the state by its own mask and by its own slice of the
// kernel. The kernel's gradient in an iteration is the gates' products side
// by side, (X * M_gate)^T D_gate, D_gate the gate's columns of D (here made
// as their concatenation): after the loop, one product a gate, of the
// states' stack (one view of it for every gate) times its mask by its
// columns of the stacked D; nothing of the kernel's size is summed in the
// loop.
func.func @gate_products(%h0: tensor<?x4xf32>, %m0: tensor<?x4xf32>, %m1: tensor<?x4xf32>, %w: tensor<4x4xf32> {kiln.param = "w"}) -> tensor<f32> attributes {kiln.differentiate} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %r = scf.for %i = %c0 to %c3 step %c1 iter_args(%h = %h0) -> (tensor<?x4xf32>) {
    %h0m = kiln.mul %h, %m0 : tensor<?x4xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
    %w0 = kiln.slice %w {axis = 1 : i64, start = 0 : i64, size = 1 : i64} : tensor<4x4xf32> -> tensor<4x1xf32>
    %a0 = kiln.matmul %h0m, %w0 : tensor<?x4xf32>, tensor<4x1xf32> -> tensor<?x1xf32>
    %h1m = kiln.mul %m1, %h : tensor<?x4xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
    %w1 = kiln.slice %w {axis = 1 : i64, start = 1 : i64, size = 3 : i64} : tensor<4x4xf32> -> tensor<4x3xf32>
    %a1 = kiln.matmul %h1m, %w1 : tensor<?x4xf32>, tensor<4x3xf32> -> tensor<?x3xf32>
    %g0 = kiln.sigmoid %a0 : tensor<?x1xf32>
    %g1 = kiln.tanh %a1 : tensor<?x3xf32>
    %t = kiln.concat %g0, %g1 {axis = 1 : i64} : (tensor<?x1xf32>, tensor<?x3xf32>) -> tensor<?x4xf32>
    scf.yield %t : tensor<?x4xf32>
  }
  %l = kiln.reduce_sum %r {axes = array<i64: 0, 1>} : tensor<?x4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// CHECK-LABEL: func.func @gate_products_grad
// CHECK: %[[FWD:.+]]:4 = scf.for
// CHECK: %[[REV:.+]]:3 = scf.for %{{.+}} iter_args(%{{.+}} = %{{.+}}, %[[GW:.+]] = %{{.+}}, %[[DS:.+]] = %{{.+}}) -> (tensor<?x4xf32>, tensor<4x4xf32>, tensor<?x?x4xf32>)
// CHECK-NOT: kiln.matmul {{.+}} -> tensor<4x1xf32>
// CHECK-NOT: kiln.matmul {{.+}} -> tensor<4x3xf32>
// CHECK: %[[D:.+]] = kiln.concat %{{.+}}, %{{.+}} {axis = 1 : i64} : (tensor<?x1xf32>, tensor<?x3xf32>) -> tensor<?x4xf32>
// CHECK: tensor.insert_slice %[[D]] into %[[DS]]
// CHECK: scf.yield %{{.+}}, %[[GW]], %{{.+}}
// CHECK: %[[DROWS:.+]] = tensor.collapse_shape %[[REV]]#2
// CHECK: %[[SLOTS0:.+]] = tensor.extract_slice %[[FWD]]#1
// CHECK: %[[MASKED0:.+]] = kiln.mul %[[SLOTS0]], %arg1 : tensor<?x?x4xf32>, tensor<?x4xf32> -> tensor<?x?x4xf32>
// CHECK: %[[X0:.+]] = tensor.collapse_shape %[[MASKED0]]
// CHECK: %[[D0:.+]] = kiln.slice %[[DROWS]] {axis = 1 : i64, size = 1 : i64, start = 0 : i64} : tensor<?x4xf32> -> tensor<?x1xf32>
// CHECK: %[[X0T:.+]] = kiln.transpose %[[X0]]
// CHECK: %[[G0:.+]] = kiln.matmul %[[X0T]], %[[D0]] : tensor<4x?xf32>, tensor<?x1xf32> -> tensor<4x1xf32>
// CHECK-NOT: tensor.extract_slice %[[FWD]]#1
// CHECK: %[[MASKED1:.+]] = kiln.mul %[[SLOTS0]], %arg2 : tensor<?x?x4xf32>, tensor<?x4xf32> -> tensor<?x?x4xf32>
// CHECK: %[[X1:.+]] = tensor.collapse_shape %[[MASKED1]]
// CHECK: %[[D1:.+]] = kiln.slice %[[DROWS]] {axis = 1 : i64, size = 3 : i64, start = 1 : i64} : tensor<?x4xf32> -> tensor<?x3xf32>
// CHECK: %[[X1T:.+]] = kiln.transpose %[[X1]]
// CHECK: %[[G1:.+]] = kiln.matmul %[[X1T]], %[[D1]] : tensor<4x?xf32>, tensor<?x3xf32> -> tensor<4x3xf32>
// CHECK: %[[GWALL:.+]] = kiln.concat %[[G0]], %[[G1]] {axis = 1 : i64} : (tensor<4x1xf32>, tensor<4x3xf32>) -> tensor<4x4xf32>
// CHECK: return %{{.+}}, %[[GWALL]] : tensor<f32>, tensor<4x4xf32>
