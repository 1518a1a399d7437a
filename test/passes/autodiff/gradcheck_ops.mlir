// Finite-difference gradient check (float64) of every differentiable kiln op:
// each function is a scalar loss built around one op.
// RUN: kiln gradcheck %s --func add_broadcast | FileCheck %s
// RUN: kiln gradcheck %s --func sub_broadcast | FileCheck %s
// RUN: kiln gradcheck %s --func mul_outer | FileCheck %s
// RUN: kiln gradcheck %s --func div --input-min 0.5 --input-max 2 | FileCheck %s
// RUN: kiln gradcheck %s --func rem --input-min 0.3 --input-max 2 | FileCheck %s
// RUN: kiln gradcheck %s --func matmul | FileCheck %s
// RUN: kiln gradcheck %s --func relu | FileCheck %s
// RUN: kiln gradcheck %s --func sigmoid | FileCheck %s
// RUN: kiln gradcheck %s --func tanh | FileCheck %s
// RUN: kiln gradcheck %s --func exp | FileCheck %s
// RUN: kiln gradcheck %s --func log --input-min 0.5 --input-max 2 | FileCheck %s
// RUN: kiln gradcheck %s --func neg | FileCheck %s
// RUN: kiln gradcheck %s --func abs | FileCheck %s
// RUN: kiln gradcheck %s --func sqrt --input-min 0.5 --input-max 2 | FileCheck %s
// RUN: kiln gradcheck %s --func softplus --input-min -4 --input-max 4 | FileCheck %s
// RUN: kiln gradcheck %s --func erf | FileCheck %s
// RUN: kiln gradcheck %s --func trig_hyperbolic --input-min -0.9 --input-max 0.9 | FileCheck %s
// RUN: kiln gradcheck %s --func acosh --input-min 1.2 --input-max 4 | FileCheck %s
// RUN: kiln gradcheck %s --func gelu --input-min -3 --input-max 3 | FileCheck %s
// RUN: kiln gradcheck %s --func elu --input-min -3 --input-max 3 | FileCheck %s
// RUN: kiln gradcheck %s --func selu --input-min -3 --input-max 3 | FileCheck %s
// RUN: kiln gradcheck %s --func softmax | FileCheck %s
// RUN: kiln gradcheck %s --func softmax_axis0 | FileCheck %s
// RUN: kiln gradcheck %s --func reshape | FileCheck %s
// RUN: kiln gradcheck %s --func transpose | FileCheck %s
// RUN: kiln gradcheck %s --func broadcast | FileCheck %s
// RUN: kiln gradcheck %s --func reduce_sum_keep | FileCheck %s
// RUN: kiln gradcheck %s --func reduce_mean_batch | FileCheck %s
// RUN: kiln gradcheck %s --func shared_value | FileCheck %s
// RUN: kiln gradcheck %s --func log_softmax | FileCheck %s
// RUN: kiln gradcheck %s --func clip | FileCheck %s
// RUN: kiln gradcheck %s --func sparse_cross_entropy | FileCheck %s
// RUN: kiln gradcheck %s --func recurrent_loop | FileCheck %s
// RUN: kiln gradcheck %s --func nested_loops | FileCheck %s
// RUN: kiln gradcheck %s --func dense_sequence | FileCheck %s
// RUN: kiln gradcheck %s --func cumsum | FileCheck %s
// RUN: kiln gradcheck %s --func cumsum_exclusive_reverse | FileCheck %s

// Every argument is checked and the worst error is within tolerance.
// CHECK: gradcheck: loss =
// CHECK: checked
// CHECK: gradcheck: OK

// Losses weight the op's result with a second argument `r` so that the check
// covers the whole vector-Jacobian product, not only its sum.

func.func @add_broadcast(%x: tensor<?x4xf32>, %b: tensor<4xf32>, %r: tensor<?x4xf32>) -> tensor<f32> {
  %0 = kiln.add %x, %b : tensor<?x4xf32>, tensor<4xf32> -> tensor<?x4xf32>
  %1 = kiln.mul %0, %r : tensor<?x4xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
  %2 = kiln.reduce_sum %1 {axes = array<i64: 0, 1>} : tensor<?x4xf32> -> tensor<f32>
  return %2 : tensor<f32>
}
func.func @sub_broadcast(%x: tensor<?x4xf32>, %b: tensor<1x4xf32>, %r: tensor<?x4xf32>) -> tensor<f32> {
  %0 = kiln.sub %x, %b : tensor<?x4xf32>, tensor<1x4xf32> -> tensor<?x4xf32>
  %1 = kiln.mul %0, %r : tensor<?x4xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
  %2 = kiln.reduce_sum %1 {axes = array<i64: 0, 1>} : tensor<?x4xf32> -> tensor<f32>
  return %2 : tensor<f32>
}
func.func @mul_outer(%a: tensor<3x1xf32>, %b: tensor<1x4xf32>, %r: tensor<3x4xf32>) -> tensor<f32> {
  %0 = kiln.mul %a, %b : tensor<3x1xf32>, tensor<1x4xf32> -> tensor<3x4xf32>
  %1 = kiln.mul %0, %r : tensor<3x4xf32>, tensor<3x4xf32> -> tensor<3x4xf32>
  %2 = kiln.reduce_sum %1 {axes = array<i64: 0, 1>} : tensor<3x4xf32> -> tensor<f32>
  return %2 : tensor<f32>
}
func.func @div(%a: tensor<?x4xf32>, %b: tensor<4xf32>, %r: tensor<?x4xf32>) -> tensor<f32> {
  %0 = kiln.div %a, %b : tensor<?x4xf32>, tensor<4xf32> -> tensor<?x4xf32>
  %1 = kiln.mul %0, %r : tensor<?x4xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
  %2 = kiln.reduce_sum %1 {axes = array<i64: 0, 1>} : tensor<?x4xf32> -> tensor<f32>
  return %2 : tensor<f32>
}
func.func @rem(%a: tensor<?x4xf32>, %b: tensor<4xf32>, %r: tensor<?x4xf32>) -> tensor<f32> {
  %s = kiln.constant dense<[3.0, -2.5, 1.0, -4.0]> : tensor<4xf32>
  %a3 = kiln.mul %a, %s : tensor<?x4xf32>, tensor<4xf32> -> tensor<?x4xf32>
  %0 = kiln.rem %a3, %b : tensor<?x4xf32>, tensor<4xf32> -> tensor<?x4xf32>
  %1 = kiln.mul %0, %r : tensor<?x4xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
  %2 = kiln.reduce_sum %1 {axes = array<i64: 0, 1>} : tensor<?x4xf32> -> tensor<f32>
  return %2 : tensor<f32>
}
func.func @matmul(%x: tensor<?x5xf32>, %w: tensor<5x3xf32>, %r: tensor<?x3xf32>) -> tensor<f32> {
  %0 = kiln.matmul %x, %w : tensor<?x5xf32>, tensor<5x3xf32> -> tensor<?x3xf32>
  %1 = kiln.mul %0, %r : tensor<?x3xf32>, tensor<?x3xf32> -> tensor<?x3xf32>
  %2 = kiln.reduce_sum %1 {axes = array<i64: 0, 1>} : tensor<?x3xf32> -> tensor<f32>
  return %2 : tensor<f32>
}

// One function per unary op: sum(op(x) * r).
func.func @relu(%x: tensor<?x6xf32>, %r: tensor<?x6xf32>) -> tensor<f32> {
  %0 = kiln.relu %x : tensor<?x6xf32>
  %1 = kiln.mul %0, %r : tensor<?x6xf32>, tensor<?x6xf32> -> tensor<?x6xf32>
  %2 = kiln.reduce_sum %1 {axes = array<i64: 0, 1>} : tensor<?x6xf32> -> tensor<f32>
  return %2 : tensor<f32>
}
func.func @sigmoid(%x: tensor<?x6xf32>, %r: tensor<?x6xf32>) -> tensor<f32> {
  %0 = kiln.sigmoid %x : tensor<?x6xf32>
  %1 = kiln.mul %0, %r : tensor<?x6xf32>, tensor<?x6xf32> -> tensor<?x6xf32>
  %2 = kiln.reduce_sum %1 {axes = array<i64: 0, 1>} : tensor<?x6xf32> -> tensor<f32>
  return %2 : tensor<f32>
}
func.func @tanh(%x: tensor<?x6xf32>, %r: tensor<?x6xf32>) -> tensor<f32> {
  %0 = kiln.tanh %x : tensor<?x6xf32>
  %1 = kiln.mul %0, %r : tensor<?x6xf32>, tensor<?x6xf32> -> tensor<?x6xf32>
  %2 = kiln.reduce_sum %1 {axes = array<i64: 0, 1>} : tensor<?x6xf32> -> tensor<f32>
  return %2 : tensor<f32>
}
func.func @exp(%x: tensor<?x6xf32>, %r: tensor<?x6xf32>) -> tensor<f32> {
  %0 = kiln.exp %x : tensor<?x6xf32>
  %1 = kiln.mul %0, %r : tensor<?x6xf32>, tensor<?x6xf32> -> tensor<?x6xf32>
  %2 = kiln.reduce_sum %1 {axes = array<i64: 0, 1>} : tensor<?x6xf32> -> tensor<f32>
  return %2 : tensor<f32>
}
func.func @log(%x: tensor<?x6xf32>, %r: tensor<?x6xf32>) -> tensor<f32> {
  %0 = kiln.log %x : tensor<?x6xf32>
  %1 = kiln.mul %0, %r : tensor<?x6xf32>, tensor<?x6xf32> -> tensor<?x6xf32>
  %2 = kiln.reduce_sum %1 {axes = array<i64: 0, 1>} : tensor<?x6xf32> -> tensor<f32>
  return %2 : tensor<f32>
}
func.func @neg(%x: tensor<?x6xf32>, %r: tensor<?x6xf32>) -> tensor<f32> {
  %0 = kiln.neg %x : tensor<?x6xf32>
  %1 = kiln.mul %0, %r : tensor<?x6xf32>, tensor<?x6xf32> -> tensor<?x6xf32>
  %2 = kiln.reduce_sum %1 {axes = array<i64: 0, 1>} : tensor<?x6xf32> -> tensor<f32>
  return %2 : tensor<f32>
}
func.func @abs(%x: tensor<?x6xf32>, %r: tensor<?x6xf32>) -> tensor<f32> {
  %0 = kiln.abs %x : tensor<?x6xf32>
  %1 = kiln.mul %0, %r : tensor<?x6xf32>, tensor<?x6xf32> -> tensor<?x6xf32>
  %2 = kiln.reduce_sum %1 {axes = array<i64: 0, 1>} : tensor<?x6xf32> -> tensor<f32>
  return %2 : tensor<f32>
}
func.func @sqrt(%x: tensor<?x6xf32>, %r: tensor<?x6xf32>) -> tensor<f32> {
  %0 = kiln.sqrt %x : tensor<?x6xf32>
  %1 = kiln.mul %0, %r : tensor<?x6xf32>, tensor<?x6xf32> -> tensor<?x6xf32>
  %2 = kiln.reduce_sum %1 {axes = array<i64: 0, 1>} : tensor<?x6xf32> -> tensor<f32>
  return %2 : tensor<f32>
}
func.func @softplus(%x: tensor<?x6xf32>, %r: tensor<?x6xf32>) -> tensor<f32> {
  %0 = kiln.softplus %x : tensor<?x6xf32>
  %1 = kiln.mul %0, %r : tensor<?x6xf32>, tensor<?x6xf32> -> tensor<?x6xf32>
  %2 = kiln.reduce_sum %1 {axes = array<i64: 0, 1>} : tensor<?x6xf32> -> tensor<f32>
  return %2 : tensor<f32>
}
func.func @erf(%x: tensor<?x6xf32>, %r: tensor<?x6xf32>) -> tensor<f32> {
  %0 = kiln.erf %x : tensor<?x6xf32>
  %1 = kiln.mul %0, %r : tensor<?x6xf32>, tensor<?x6xf32> -> tensor<?x6xf32>
  %2 = kiln.reduce_sum %1 {axes = array<i64: 0, 1>} : tensor<?x6xf32> -> tensor<f32>
  return %2 : tensor<f32>
}
// Each trigonometric and hyperbolic function inside (-1, 1), summed.
func.func @trig_hyperbolic(%x: tensor<?x6xf32>, %r: tensor<?x6xf32>) -> tensor<f32> {
  %0 = kiln.sin %x : tensor<?x6xf32>
  %1 = kiln.cos %x : tensor<?x6xf32>
  %2 = kiln.tan %x : tensor<?x6xf32>
  %3 = kiln.asin %x : tensor<?x6xf32>
  %4 = kiln.acos %x : tensor<?x6xf32>
  %5 = kiln.atan %x : tensor<?x6xf32>
  %6 = kiln.sinh %x : tensor<?x6xf32>
  %7 = kiln.cosh %x : tensor<?x6xf32>
  %8 = kiln.asinh %x : tensor<?x6xf32>
  %9 = kiln.atanh %x : tensor<?x6xf32>
  %10 = kiln.add %0, %1 : tensor<?x6xf32>, tensor<?x6xf32> -> tensor<?x6xf32>
  %11 = kiln.add %10, %2 : tensor<?x6xf32>, tensor<?x6xf32> -> tensor<?x6xf32>
  %12 = kiln.add %11, %3 : tensor<?x6xf32>, tensor<?x6xf32> -> tensor<?x6xf32>
  %13 = kiln.add %12, %4 : tensor<?x6xf32>, tensor<?x6xf32> -> tensor<?x6xf32>
  %14 = kiln.add %13, %5 : tensor<?x6xf32>, tensor<?x6xf32> -> tensor<?x6xf32>
  %15 = kiln.mul %14, %6 : tensor<?x6xf32>, tensor<?x6xf32> -> tensor<?x6xf32>
  %16 = kiln.add %15, %7 : tensor<?x6xf32>, tensor<?x6xf32> -> tensor<?x6xf32>
  %17 = kiln.add %16, %8 : tensor<?x6xf32>, tensor<?x6xf32> -> tensor<?x6xf32>
  %18 = kiln.add %17, %9 : tensor<?x6xf32>, tensor<?x6xf32> -> tensor<?x6xf32>
  %19 = kiln.mul %18, %r : tensor<?x6xf32>, tensor<?x6xf32> -> tensor<?x6xf32>
  %20 = kiln.reduce_sum %19 {axes = array<i64: 0, 1>} : tensor<?x6xf32> -> tensor<f32>
  return %20 : tensor<f32>
}
func.func @acosh(%x: tensor<?x6xf32>, %r: tensor<?x6xf32>) -> tensor<f32> {
  %0 = kiln.acosh %x : tensor<?x6xf32>
  %1 = kiln.mul %0, %r : tensor<?x6xf32>, tensor<?x6xf32> -> tensor<?x6xf32>
  %2 = kiln.reduce_sum %1 {axes = array<i64: 0, 1>} : tensor<?x6xf32> -> tensor<f32>
  return %2 : tensor<f32>
}
func.func @gelu(%x: tensor<?x6xf32>, %r: tensor<?x6xf32>) -> tensor<f32> {
  %0 = kiln.gelu %x : tensor<?x6xf32>
  %1 = kiln.mul %0, %r : tensor<?x6xf32>, tensor<?x6xf32> -> tensor<?x6xf32>
  %2 = kiln.reduce_sum %1 {axes = array<i64: 0, 1>} : tensor<?x6xf32> -> tensor<f32>
  return %2 : tensor<f32>
}
func.func @elu(%x: tensor<?x6xf32>, %r: tensor<?x6xf32>) -> tensor<f32> {
  %0 = kiln.elu %x {alpha = 0.7 : f32} : tensor<?x6xf32>
  %1 = kiln.mul %0, %r : tensor<?x6xf32>, tensor<?x6xf32> -> tensor<?x6xf32>
  %2 = kiln.reduce_sum %1 {axes = array<i64: 0, 1>} : tensor<?x6xf32> -> tensor<f32>
  return %2 : tensor<f32>
}
func.func @selu(%x: tensor<?x6xf32>, %r: tensor<?x6xf32>) -> tensor<f32> {
  %0 = kiln.selu %x : tensor<?x6xf32>
  %1 = kiln.mul %0, %r : tensor<?x6xf32>, tensor<?x6xf32> -> tensor<?x6xf32>
  %2 = kiln.reduce_sum %1 {axes = array<i64: 0, 1>} : tensor<?x6xf32> -> tensor<f32>
  return %2 : tensor<f32>
}

// Structured ops.
func.func @softmax(%x: tensor<?x5xf32>, %r: tensor<?x5xf32>) -> tensor<f32> {
  %0 = kiln.softmax %x : tensor<?x5xf32>
  %1 = kiln.mul %0, %r : tensor<?x5xf32>, tensor<?x5xf32> -> tensor<?x5xf32>
  %2 = kiln.reduce_sum %1 {axes = array<i64: 0, 1>} : tensor<?x5xf32> -> tensor<f32>
  return %2 : tensor<f32>
}
func.func @softmax_axis0(%x: tensor<4x5xf32>, %r: tensor<4x5xf32>) -> tensor<f32> {
  %0 = kiln.softmax %x {axis = 0} : tensor<4x5xf32>
  %1 = kiln.mul %0, %r : tensor<4x5xf32>, tensor<4x5xf32> -> tensor<4x5xf32>
  %2 = kiln.reduce_sum %1 {axes = array<i64: 0, 1>} : tensor<4x5xf32> -> tensor<f32>
  return %2 : tensor<f32>
}
func.func @reshape(%x: tensor<?x2x3xf32>, %r: tensor<?x3x2xf32>) -> tensor<f32> {
  %0 = kiln.reshape %x : tensor<?x2x3xf32> -> tensor<?x3x2xf32>
  %1 = kiln.mul %0, %r : tensor<?x3x2xf32>, tensor<?x3x2xf32> -> tensor<?x3x2xf32>
  %2 = kiln.reduce_sum %1 {axes = array<i64: 0, 1, 2>} : tensor<?x3x2xf32> -> tensor<f32>
  return %2 : tensor<f32>
}
func.func @transpose(%x: tensor<2x3x4xf32>, %r: tensor<4x2x3xf32>) -> tensor<f32> {
  %0 = kiln.transpose %x {permutation = array<i64: 2, 0, 1>} : tensor<2x3x4xf32> -> tensor<4x2x3xf32>
  %1 = kiln.mul %0, %r : tensor<4x2x3xf32>, tensor<4x2x3xf32> -> tensor<4x2x3xf32>
  %2 = kiln.reduce_sum %1 {axes = array<i64: 0, 1, 2>} : tensor<4x2x3xf32> -> tensor<f32>
  return %2 : tensor<f32>
}
func.func @broadcast(%x: tensor<3x1xf32>, %like: tensor<?x3x4xf32>, %r: tensor<?x3x4xf32>) -> tensor<f32> {
  %0 = kiln.broadcast %x, %like : tensor<3x1xf32>, tensor<?x3x4xf32> -> tensor<?x3x4xf32>
  %1 = kiln.mul %0, %r : tensor<?x3x4xf32>, tensor<?x3x4xf32> -> tensor<?x3x4xf32>
  %2 = kiln.reduce_sum %1 {axes = array<i64: 0, 1, 2>} : tensor<?x3x4xf32> -> tensor<f32>
  return %2 : tensor<f32>
}
func.func @reduce_sum_keep(%x: tensor<?x4xf32>, %r: tensor<?x1xf32>) -> tensor<f32> {
  %0 = kiln.reduce_sum %x {axes = array<i64: -1>, keep_dims = true} : tensor<?x4xf32> -> tensor<?x1xf32>
  %1 = kiln.mul %0, %r : tensor<?x1xf32>, tensor<?x1xf32> -> tensor<?x1xf32>
  %2 = kiln.reduce_sum %1 {axes = array<i64: 0, 1>} : tensor<?x1xf32> -> tensor<f32>
  return %2 : tensor<f32>
}
func.func @reduce_mean_batch(%x: tensor<?x4xf32>, %r: tensor<4xf32>) -> tensor<f32> {
  %0 = kiln.reduce_mean %x {axes = array<i64: 0>} : tensor<?x4xf32> -> tensor<4xf32>
  %1 = kiln.mul %0, %r : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  %2 = kiln.reduce_sum %1 {axes = array<i64: 0>} : tensor<4xf32> -> tensor<f32>
  return %2 : tensor<f32>
}

// A value with several uses: its gradients accumulate (x * sigmoid(x) * x).
func.func @shared_value(%x: tensor<?x6xf32>) -> tensor<f32> {
  %0 = kiln.sigmoid %x : tensor<?x6xf32>
  %1 = kiln.mul %x, %0 : tensor<?x6xf32>, tensor<?x6xf32> -> tensor<?x6xf32>
  %2 = kiln.mul %1, %x : tensor<?x6xf32>, tensor<?x6xf32> -> tensor<?x6xf32>
  %3 = kiln.reduce_mean %2 {axes = array<i64: 0, 1>} : tensor<?x6xf32> -> tensor<f32>
  return %3 : tensor<f32>
}

func.func @log_softmax(%x: tensor<?x5xf32>, %r: tensor<?x5xf32>) -> tensor<f32> {
  %0 = kiln.log_softmax %x : tensor<?x5xf32>
  %1 = kiln.mul %0, %r : tensor<?x5xf32>, tensor<?x5xf32> -> tensor<?x5xf32>
  %2 = kiln.reduce_sum %1 {axes = array<i64: 0, 1>} : tensor<?x5xf32> -> tensor<f32>
  return %2 : tensor<f32>
}

// Inputs in [-1, 1] fall on both sides of the clip range.
func.func @clip(%x: tensor<?x6xf32>, %r: tensor<?x6xf32>) -> tensor<f32> {
  %0 = kiln.clip %x {min = -0.5 : f64, max = 0.25 : f64} : tensor<?x6xf32>
  %1 = kiln.mul %0, %r : tensor<?x6xf32>, tensor<?x6xf32> -> tensor<?x6xf32>
  %2 = kiln.reduce_sum %1 {axes = array<i64: 0, 1>} : tensor<?x6xf32> -> tensor<f32>
  return %2 : tensor<f32>
}

// -mean(sum(one_hot(labels) * log_softmax(logits))): sparse cross-entropy.
func.func @sparse_cross_entropy(%logits: tensor<3x4xf32> {kiln.param = "logits"}) -> tensor<f32> {
  %labels = kiln.constant dense<[0.0, 3.0, 1.0]> : tensor<3xf32>
  %t = kiln.one_hot %labels {depth = 4} : tensor<3xf32> -> tensor<3x4xf32>
  %l = kiln.log_softmax %logits : tensor<3x4xf32>
  %p = kiln.mul %t, %l : tensor<3x4xf32>, tensor<3x4xf32> -> tensor<3x4xf32>
  %s = kiln.reduce_sum %p {axes = array<i64: 1>} : tensor<3x4xf32> -> tensor<3xf32>
  %m = kiln.reduce_mean %s {axes = array<i64: 0>} : tensor<3xf32> -> tensor<f32>
  %n = kiln.neg %m : tensor<f32>
  return %n : tensor<f32>
}

// A recurrent loop (scf.for carrying the state): h <- tanh(h @ w + b), three
// times; gradients flow to the initial state and, summed over iterations, to
// the captured w and b (the reverse loop and the saved states).
func.func @recurrent_loop(%h0: tensor<?x4xf32>, %w: tensor<4x4xf32>, %b: tensor<4xf32>) -> tensor<f32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %r = scf.for %i = %c0 to %c3 step %c1 iter_args(%h = %h0) -> (tensor<?x4xf32>) {
    %m = kiln.matmul %h, %w : tensor<?x4xf32>, tensor<4x4xf32> -> tensor<?x4xf32>
    %a = kiln.add %m, %b : tensor<?x4xf32>, tensor<4xf32> -> tensor<?x4xf32>
    %t = kiln.tanh %a : tensor<?x4xf32>
    scf.yield %t : tensor<?x4xf32>
  }
  %l = kiln.reduce_sum %r {axes = array<i64: 0, 1>} : tensor<?x4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// Two carried values and a loop inside a loop (step 2, so trip counts are
// not the bounds): s accumulates sigmoid(c * u) over an inner loop that
// itself carries c.
func.func @nested_loops(%c0v: tensor<?x3xf32>, %s0: tensor<?x3xf32>, %u: tensor<3xf32>) -> tensor<f32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c5 = arith.constant 5 : index
  %r:2 = scf.for %i = %c0 to %c5 step %c2 iter_args(%c = %c0v, %s = %s0) -> (tensor<?x3xf32>, tensor<?x3xf32>) {
    %inner = scf.for %j = %c0 to %c2 step %c1 iter_args(%d = %c) -> (tensor<?x3xf32>) {
      %m = kiln.mul %d, %u : tensor<?x3xf32>, tensor<3xf32> -> tensor<?x3xf32>
      %t = kiln.sigmoid %m : tensor<?x3xf32>
      scf.yield %t : tensor<?x3xf32>
    }
    %n = kiln.add %s, %inner : tensor<?x3xf32>, tensor<?x3xf32> -> tensor<?x3xf32>
    scf.yield %inner, %n : tensor<?x3xf32>, tensor<?x3xf32>
  }
  %p = kiln.mul %r#0, %r#1 : tensor<?x3xf32>, tensor<?x3xf32> -> tensor<?x3xf32>
  %l = kiln.reduce_sum %p {axes = array<i64: 0, 1>} : tensor<?x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// Dense on the last axis of a sequence (a rank-3 lhs): d w sums lhs^T g over
// batch and time rows (a reshape merging time into the batch).
func.func @dense_sequence(%x: tensor<?x5x8xf32>, %w: tensor<8x3xf32>, %b: tensor<3xf32>) -> tensor<f32> {
  %m = kiln.matmul %x, %w : tensor<?x5x8xf32>, tensor<8x3xf32> -> tensor<?x5x3xf32>
  %a = kiln.add %m, %b : tensor<?x5x3xf32>, tensor<3xf32> -> tensor<?x5x3xf32>
  %t = kiln.tanh %a : tensor<?x5x3xf32>
  %s = kiln.reduce_sum %t {axes = array<i64: 0, 1, 2>} : tensor<?x5x3xf32> -> tensor<f32>
  return %s : tensor<f32>
}

// The gradient of running sums: running sums the other way.
func.func @cumsum(%x: tensor<?x6xf32>, %r: tensor<?x6xf32>) -> tensor<f32> {
  %0 = kiln.cumsum %x {axis = 1 : i64} : tensor<?x6xf32>
  %1 = kiln.mul %0, %0 : tensor<?x6xf32>, tensor<?x6xf32> -> tensor<?x6xf32>
  %2 = kiln.mul %1, %r : tensor<?x6xf32>, tensor<?x6xf32> -> tensor<?x6xf32>
  %3 = kiln.reduce_sum %2 {axes = array<i64: 0, 1>} : tensor<?x6xf32> -> tensor<f32>
  return %3 : tensor<f32>
}
func.func @cumsum_exclusive_reverse(%x: tensor<?x4x3xf32>, %r: tensor<?x4x3xf32>) -> tensor<f32> {
  %0 = kiln.cumsum %x {axis = -2 : i64, exclusive = true, reverse = true} : tensor<?x4x3xf32>
  %1 = kiln.tanh %0 : tensor<?x4x3xf32>
  %2 = kiln.mul %1, %r : tensor<?x4x3xf32>, tensor<?x4x3xf32> -> tensor<?x4x3xf32>
  %3 = kiln.reduce_sum %2 {axes = array<i64: 0, 1, 2>} : tensor<?x4x3xf32> -> tensor<f32>
  return %3 : tensor<f32>
}
