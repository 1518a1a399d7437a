// Finite-difference gradient check (float64) of the sequence ops inside the
// loops recurrent layers build: a SimpleRNN over 4 steps with the input
// projection hoisted, returning the whole sequence (sequence_insert) or the
// last state, read backwards (go_backwards); gates; a masked state, whole or gate by gate;
// loops one after another and one inside another (the inner loop's result
// read by the outer body, or yielded as it is).
// RUN: kiln gradcheck %s --func rnn_sequences | FileCheck %s
// RUN: kiln gradcheck %s --func rnn_backwards_last | FileCheck %s
// RUN: kiln gradcheck %s --func step_and_insert | FileCheck %s
// RUN: kiln gradcheck %s --func two_steps | FileCheck %s
// RUN: kiln gradcheck %s --func two_cells | FileCheck %s
// RUN: kiln gradcheck %s --func bias_row | FileCheck %s
// RUN: kiln gradcheck %s --func gates | FileCheck %s
// RUN: kiln gradcheck %s --func masked_state | FileCheck %s
// RUN: kiln gradcheck %s --func masked_gates | FileCheck %s
// RUN: kiln gradcheck %s --func sequential | FileCheck %s
// RUN: kiln gradcheck %s --func nested | FileCheck %s
// RUN: kiln gradcheck %s --func nested_yield | FileCheck %s

// CHECK: gradcheck: loss =
// CHECK: checked
// CHECK: gradcheck: OK

func.func @rnn_sequences(%x: tensor<?x4x3xf32>, %w: tensor<3x5xf32>, %u: tensor<5x5xf32>, %b: tensor<5xf32>, %r: tensor<?x4x5xf32>) -> tensor<f32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %zero = kiln.constant dense<0.0> : tensor<f32>
  %p = kiln.matmul %x, %w : tensor<?x4x3xf32>, tensor<3x5xf32> -> tensor<?x4x5xf32>
  %pb = kiln.add %p, %b : tensor<?x4x5xf32>, tensor<5xf32> -> tensor<?x4x5xf32>
  %s0 = kiln.broadcast %zero, %pb : tensor<f32>, tensor<?x4x5xf32> -> tensor<?x4x5xf32>
  %p0 = kiln.sequence_step %pb[%c0] : tensor<?x4x5xf32> -> tensor<?x5xf32>
  %h0 = kiln.broadcast %zero, %p0 : tensor<f32>, tensor<?x5xf32> -> tensor<?x5xf32>
  %res:2 = scf.for %t = %c0 to %c4 step %c1 iter_args(%h = %h0, %s = %s0) -> (tensor<?x5xf32>, tensor<?x4x5xf32>) {
    %xt = kiln.sequence_step %pb[%t] : tensor<?x4x5xf32> -> tensor<?x5xf32>
    %hu = kiln.matmul %h, %u : tensor<?x5xf32>, tensor<5x5xf32> -> tensor<?x5xf32>
    %a = kiln.add %xt, %hu : tensor<?x5xf32>, tensor<?x5xf32> -> tensor<?x5xf32>
    %hn = kiln.tanh %a : tensor<?x5xf32>
    %sn = kiln.sequence_insert %hn into %s[%t] : tensor<?x5xf32> into tensor<?x4x5xf32>
    scf.yield %hn, %sn : tensor<?x5xf32>, tensor<?x4x5xf32>
  }
  %m = kiln.mul %res#1, %r : tensor<?x4x5xf32>, tensor<?x4x5xf32> -> tensor<?x4x5xf32>
  %l = kiln.reduce_sum %m {axes = array<i64: 0, 1, 2>} : tensor<?x4x5xf32> -> tensor<f32>
  return %l : tensor<f32>
}

func.func @rnn_backwards_last(%x: tensor<?x4x3xf32>, %w: tensor<3x5xf32>, %u: tensor<5x5xf32>, %r: tensor<?x5xf32>) -> tensor<f32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %c4 = arith.constant 4 : index
  %zero = kiln.constant dense<0.0> : tensor<f32>
  %p = kiln.matmul %x, %w : tensor<?x4x3xf32>, tensor<3x5xf32> -> tensor<?x4x5xf32>
  %p0 = kiln.sequence_step %p[%c0] : tensor<?x4x5xf32> -> tensor<?x5xf32>
  %h0 = kiln.broadcast %zero, %p0 : tensor<f32>, tensor<?x5xf32> -> tensor<?x5xf32>
  %hT = scf.for %t = %c0 to %c4 step %c1 iter_args(%h = %h0) -> (tensor<?x5xf32>) {
    %back = arith.subi %c3, %t : index
    %xt = kiln.sequence_step %p[%back] : tensor<?x4x5xf32> -> tensor<?x5xf32>
    %hu = kiln.matmul %h, %u : tensor<?x5xf32>, tensor<5x5xf32> -> tensor<?x5xf32>
    %a = kiln.add %xt, %hu : tensor<?x5xf32>, tensor<?x5xf32> -> tensor<?x5xf32>
    %hn = kiln.tanh %a : tensor<?x5xf32>
    scf.yield %hn : tensor<?x5xf32>
  }
  %m = kiln.mul %hT, %r : tensor<?x5xf32>, tensor<?x5xf32> -> tensor<?x5xf32>
  %l = kiln.reduce_sum %m {axes = array<i64: 0, 1>} : tensor<?x5xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// Outside loops: a step read, and a step replaced.
func.func @step_and_insert(%s: tensor<?x3x2x2xf32>, %v: tensor<?x2x2xf32>, %r: tensor<?x3x2x2xf32>) -> tensor<f32> {
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %a = kiln.sequence_step %s[%c1] : tensor<?x3x2x2xf32> -> tensor<?x2x2xf32>
  %b = kiln.mul %a, %v : tensor<?x2x2xf32>, tensor<?x2x2xf32> -> tensor<?x2x2xf32>
  %i = kiln.sequence_insert %b into %s[%c2] : tensor<?x2x2xf32> into tensor<?x3x2x2xf32>
  %m = kiln.mul %i, %r : tensor<?x3x2x2xf32>, tensor<?x3x2x2xf32> -> tensor<?x3x2x2xf32>
  %l = kiln.reduce_sum %m {axes = array<i64: 0, 1, 2, 3>} : tensor<?x3x2x2xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// Two steps of one sequence read in each iteration, forwards and backwards
// (a bidirectional layer's two directions): their gradients add into the
// sequence's adjoint step by step, the middle iteration's twice into one
// step (t = 2 reads step 2 as both).
func.func @two_steps(%x: tensor<?x5x3xf32>, %u: tensor<3x3xf32>, %r: tensor<?x3xf32>) -> tensor<f32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c5 = arith.constant 5 : index
  %zero = kiln.constant dense<0.0> : tensor<f32>
  %x0 = kiln.sequence_step %x[%c0] : tensor<?x5x3xf32> -> tensor<?x3xf32>
  %h0 = kiln.broadcast %zero, %x0 : tensor<f32>, tensor<?x3xf32> -> tensor<?x3xf32>
  %hT = scf.for %t = %c0 to %c5 step %c1 iter_args(%h = %h0) -> (tensor<?x3xf32>) {
    %back = arith.subi %c4, %t : index
    %xf = kiln.sequence_step %x[%t] : tensor<?x5x3xf32> -> tensor<?x3xf32>
    %xb = kiln.sequence_step %x[%back] : tensor<?x5x3xf32> -> tensor<?x3xf32>
    %xx = kiln.mul %xf, %xb : tensor<?x3xf32>, tensor<?x3xf32> -> tensor<?x3xf32>
    %hu = kiln.matmul %h, %u : tensor<?x3xf32>, tensor<3x3xf32> -> tensor<?x3xf32>
    %a = kiln.add %xx, %hu : tensor<?x3xf32>, tensor<?x3xf32> -> tensor<?x3xf32>
    %hn = kiln.tanh %a : tensor<?x3xf32>
    scf.yield %hn : tensor<?x3xf32>
  }
  %m = kiln.mul %hT, %r : tensor<?x3xf32>, tensor<?x3xf32> -> tensor<?x3xf32>
  %l = kiln.reduce_sum %m {axes = array<i64: 0, 1>} : tensor<?x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// Two cells stacked in one loop, the second reading the first's new state
// and adding a bias: the reverse loop stacks each iteration's adjoint of
// the second cell's pre-activation, and one product after it gives the
// gradient of both of its kernels (v from the first cell's states saved at
// slot k + 1, u from its own at slot k), one sum over its rows the bias's.
func.func @two_cells(%h0: tensor<?x4xf32>, %g0: tensor<?x3xf32>, %w: tensor<4x4xf32>, %v: tensor<4x3xf32>, %u: tensor<3x3xf32>, %b: tensor<3xf32>) -> tensor<f32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %r:2 = scf.for %t = %c0 to %c3 step %c1 iter_args(%h = %h0, %g = %g0) -> (tensor<?x4xf32>, tensor<?x3xf32>) {
    %m = kiln.matmul %h, %w : tensor<?x4xf32>, tensor<4x4xf32> -> tensor<?x4xf32>
    %hn = kiln.tanh %m : tensor<?x4xf32>
    %p = kiln.matmul %hn, %v : tensor<?x4xf32>, tensor<4x3xf32> -> tensor<?x3xf32>
    %q = kiln.matmul %g, %u : tensor<?x3xf32>, tensor<3x3xf32> -> tensor<?x3xf32>
    %s = kiln.add %p, %q : tensor<?x3xf32>, tensor<?x3xf32> -> tensor<?x3xf32>
    %sb = kiln.add %s, %b : tensor<?x3xf32>, tensor<3xf32> -> tensor<?x3xf32>
    %gn = kiln.sigmoid %sb : tensor<?x3xf32>
    scf.yield %hn, %gn : tensor<?x4xf32>, tensor<?x3xf32>
  }
  %gg = kiln.mul %r#1, %r#1 : tensor<?x3xf32>, tensor<?x3xf32> -> tensor<?x3xf32>
  %l1 = kiln.reduce_sum %gg {axes = array<i64: 0, 1>} : tensor<?x3xf32> -> tensor<f32>
  %l2 = kiln.reduce_sum %r#0 {axes = array<i64: 0, 1>} : tensor<?x4xf32> -> tensor<f32>
  %l = kiln.add %l1, %l2 : tensor<f32>, tensor<f32> -> tensor<f32>
  return %l : tensor<f32>
}

// A row of a bias added in each iteration (a GRU's recurrent bias): its
// gradient is summed after the loop and placed in its row.
func.func @bias_row(%h0: tensor<?x4xf32>, %w: tensor<4x4xf32>, %b: tensor<2x4xf32>) -> tensor<f32> {
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

// Gates whose VJPs read the pre-activation: the reverse loop reads it from
// the stack the recording loop saved it in instead of recomputing h w.
func.func @gates(%h0: tensor<?x4xf32>, %x: tensor<?x3x8xf32>, %w: tensor<4x8xf32>, %b: tensor<8xf32>) -> tensor<f32> {
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

// Recurrent dropout: the state times a mask from outside the loop before
// the recurrent product, whose kernel's gradient is one product after the
// loop (the states' stack times the mask); the mask's own gradient, and a
// second, masked product of the same state.
func.func @masked_state(%h0: tensor<?x4xf32>, %x: tensor<?x3x4xf32>, %u: tensor<4x4xf32>, %v: tensor<4x4xf32>, %mask: tensor<?x4xf32>) -> tensor<f32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %r = scf.for %i = %c0 to %c3 step %c1 iter_args(%h = %h0) -> (tensor<?x4xf32>) {
    %xt = kiln.sequence_step %x[%i] : tensor<?x3x4xf32> -> tensor<?x4xf32>
    %hm = kiln.mul %mask, %h : tensor<?x4xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
    %m = kiln.matmul %hm, %u : tensor<?x4xf32>, tensor<4x4xf32> -> tensor<?x4xf32>
    %n = kiln.matmul %hm, %v : tensor<?x4xf32>, tensor<4x4xf32> -> tensor<?x4xf32>
    %s = kiln.add %xt, %m : tensor<?x4xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
    %t = kiln.tanh %s : tensor<?x4xf32>
    %g = kiln.sigmoid %n : tensor<?x4xf32>
    %hn = kiln.mul %t, %g : tensor<?x4xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
    scf.yield %hn : tensor<?x4xf32>
  }
  %l = kiln.reduce_sum %r {axes = array<i64: 0, 1>} : tensor<?x4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// Keras's implementation 1: each gate multiplies the state by its own
// mask and by its slice of one kernel (whose gradient is one product a gate
// after the loop, of the masked states by that gate's columns of D).
func.func @masked_gates(%h0: tensor<?x4xf32>, %x: tensor<?x3x4xf32>, %u: tensor<4x8xf32>, %m0: tensor<?x4xf32>, %m1: tensor<?x4xf32>) -> tensor<f32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %r = scf.for %i = %c0 to %c3 step %c1 iter_args(%h = %h0) -> (tensor<?x4xf32>) {
    %xt = kiln.sequence_step %x[%i] : tensor<?x3x4xf32> -> tensor<?x4xf32>
    %h0m = kiln.mul %h, %m0 : tensor<?x4xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
    %u0 = kiln.slice %u {axis = 1 : i64, start = 0 : i64, size = 4 : i64} : tensor<4x8xf32> -> tensor<4x4xf32>
    %m = kiln.matmul %h0m, %u0 : tensor<?x4xf32>, tensor<4x4xf32> -> tensor<?x4xf32>
    %h1m = kiln.mul %h, %m1 : tensor<?x4xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
    %u1 = kiln.slice %u {axis = 1 : i64, start = 4 : i64, size = 4 : i64} : tensor<4x8xf32> -> tensor<4x4xf32>
    %n = kiln.matmul %h1m, %u1 : tensor<?x4xf32>, tensor<4x4xf32> -> tensor<?x4xf32>
    %s = kiln.add %xt, %m : tensor<?x4xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
    %t = kiln.tanh %s : tensor<?x4xf32>
    %g = kiln.sigmoid %n : tensor<?x4xf32>
    %hn = kiln.mul %t, %g : tensor<?x4xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
    scf.yield %hn : tensor<?x4xf32>
  }
  %l = kiln.reduce_sum %r {axes = array<i64: 0, 1>} : tensor<?x4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// Three loops in a row, the third reusing the first's kernel: each is
// reversed in turn, and w's gradient sums both.
func.func @sequential(%h0: tensor<?x4xf32>, %w: tensor<4x4xf32>, %u: tensor<4x4xf32>) -> tensor<f32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %r = scf.for %i = %c0 to %c3 step %c1 iter_args(%h = %h0) -> (tensor<?x4xf32>) {
    %m = kiln.matmul %h, %w : tensor<?x4xf32>, tensor<4x4xf32> -> tensor<?x4xf32>
    %t = kiln.tanh %m : tensor<?x4xf32>
    scf.yield %t : tensor<?x4xf32>
  }
  %r2 = scf.for %i = %c0 to %c3 step %c1 iter_args(%h = %r) -> (tensor<?x4xf32>) {
    %m = kiln.matmul %h, %u : tensor<?x4xf32>, tensor<4x4xf32> -> tensor<?x4xf32>
    %t = kiln.sigmoid %m : tensor<?x4xf32>
    scf.yield %t : tensor<?x4xf32>
  }
  %r3 = scf.for %i = %c0 to %c3 step %c1 iter_args(%h = %r2) -> (tensor<?x4xf32>) {
    %m = kiln.matmul %h, %w : tensor<?x4xf32>, tensor<4x4xf32> -> tensor<?x4xf32>
    %t = kiln.tanh %m : tensor<?x4xf32>
    scf.yield %t : tensor<?x4xf32>
  }
  %l = kiln.reduce_sum %r3 {axes = array<i64: 0, 1>} : tensor<?x4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// A loop inside a loop's body, the outer body reading its result: the
// inner loop is reversed inside the outer reverse body.
func.func @nested(%h0: tensor<?x4xf32>, %w: tensor<4x4xf32>, %u: tensor<4x4xf32>) -> tensor<f32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %r = scf.for %i = %c0 to %c3 step %c1 iter_args(%h = %h0) -> (tensor<?x4xf32>) {
    %m = kiln.matmul %h, %w : tensor<?x4xf32>, tensor<4x4xf32> -> tensor<?x4xf32>
    %in = scf.for %j = %c0 to %c2 step %c1 iter_args(%g = %m) -> (tensor<?x4xf32>) {
      %q = kiln.matmul %g, %u : tensor<?x4xf32>, tensor<4x4xf32> -> tensor<?x4xf32>
      %s = kiln.sigmoid %q : tensor<?x4xf32>
      scf.yield %s : tensor<?x4xf32>
    }
    %t = kiln.tanh %in : tensor<?x4xf32>
    scf.yield %t : tensor<?x4xf32>
  }
  %l = kiln.reduce_sum %r {axes = array<i64: 0, 1>} : tensor<?x4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// The inner loop's result is what the outer body yields.
func.func @nested_yield(%h0: tensor<?x4xf32>, %w: tensor<4x4xf32>, %u: tensor<4x4xf32>) -> tensor<f32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %r = scf.for %i = %c0 to %c3 step %c1 iter_args(%h = %h0) -> (tensor<?x4xf32>) {
    %m = kiln.matmul %h, %w : tensor<?x4xf32>, tensor<4x4xf32> -> tensor<?x4xf32>
    %t = kiln.tanh %m : tensor<?x4xf32>
    %in = scf.for %j = %c0 to %c2 step %c1 iter_args(%g = %t) -> (tensor<?x4xf32>) {
      %q = kiln.matmul %g, %u : tensor<?x4xf32>, tensor<4x4xf32> -> tensor<?x4xf32>
      %s = kiln.sigmoid %q : tensor<?x4xf32>
      scf.yield %s : tensor<?x4xf32>
    }
    scf.yield %in : tensor<?x4xf32>
  }
  %l = kiln.reduce_sum %r {axes = array<i64: 0, 1>} : tensor<?x4xf32> -> tensor<f32>
  return %l : tensor<f32>
}
