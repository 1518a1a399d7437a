// kiln gradcheck of functions with mode-dependent ops. By default the check
// covers their training forms, what fit differentiates: BatchNormalization
// normalizes with the batch statistics, whose gradient flows back through
// the mean and the variance; Dropout's mask is the first step's of a run
// seeded with --seed. --mode inference covers the moving statistics and no
// dropout. A layer without a training form is an error naming it.
// RUN: kiln gradcheck %s --func batch_norm | FileCheck %s --check-prefixes=CHECK,TRAIN
// RUN: kiln gradcheck %s --func batch_norm --mode inference --input-min 0.5 --input-max 2 | FileCheck %s --check-prefixes=CHECK,INFER
// RUN: kiln gradcheck %s --func batch_norm_dropout --seed 7 | FileCheck %s --check-prefixes=CHECK,TRAIN2
// RUN: kiln gradcheck %s --func batch_norm_dropout --mode inference --input-min 0.5 --input-max 2 | FileCheck %s --check-prefixes=CHECK,INFER2
// RUN: not kiln gradcheck %s --func unknown_noise 2>&1 | FileCheck %s --check-prefix=NOTRAIN
// RUN: not kiln gradcheck %s --func unknown_noise --mode inference 2>&1 | FileCheck %s --check-prefix=UNSIZED
// RUN: not kiln gradcheck %s --func batch_norm --mode eval 2>&1 | FileCheck %s --check-prefix=BADMODE

// TRAIN: gradcheck: the training forms of 1 mode-dependent op
// INFER: gradcheck: the inference forms of 1 mode-dependent op
// TRAIN2: gradcheck: the training forms of 2 mode-dependent ops
// INFER2: gradcheck: the inference forms of 2 mode-dependent ops
// CHECK: gradcheck: OK
// NOTRAIN: error: 'func.func' op has no training form to check: layer 'drop': dropout's noise_shape spans a dimension of unknown size (check the inference form with --mode inference)
// Compiled code has one run-time size, the batch's: a second unknown
// dimension is refused, not read past its buffer.
// UNSIZED: error: gradcheck sizes only a leading (batch) dimension; argument #0 is 'tensor<?x?x4xf64>' (give its other sizes)
// BADMODE: Cannot find option named 'eval'

func.func @batch_norm(%x: tensor<?x4xf64>, %g: tensor<4xf64>, %b: tensor<4xf64>, %mean: tensor<4xf64>, %var: tensor<4xf64>, %r: tensor<?x4xf64>) -> tensor<f64> {
  %y = kiln.batch_norm %x, %g, %b, %mean, %var {axis = -1 : i64, epsilon = 1.0e-03 : f64, momentum = 0.99 : f64, operandSegmentSizes = array<i32: 1, 1, 1, 1, 1>} : (tensor<?x4xf64>, tensor<4xf64>, tensor<4xf64>, tensor<4xf64>, tensor<4xf64>) -> tensor<?x4xf64>
  %p = kiln.mul %y, %r : tensor<?x4xf64>, tensor<?x4xf64> -> tensor<?x4xf64>
  %s = kiln.reduce_sum %p {axes = array<i64: 0, 1>} : tensor<?x4xf64> -> tensor<f64>
  return %s : tensor<f64>
}

func.func @batch_norm_dropout(%x: tensor<?x3x4xf64>, %g: tensor<4xf64>, %b: tensor<4xf64>, %mean: tensor<4xf64>, %var: tensor<4xf64>, %r: tensor<?x3x4xf64>) -> tensor<f64> {
  %y = kiln.batch_norm %x, %g, %b, %mean, %var {axis = -1 : i64, epsilon = 1.0e-03 : f64, momentum = 0.99 : f64, operandSegmentSizes = array<i32: 1, 1, 1, 1, 1>} : (tensor<?x3x4xf64>, tensor<4xf64>, tensor<4xf64>, tensor<4xf64>, tensor<4xf64>) -> tensor<?x3x4xf64>
  %d = kiln.dropout %y {rate = 5.000000e-01 : f64} : tensor<?x3x4xf64> loc("drop")
  %p = kiln.mul %d, %r : tensor<?x3x4xf64>, tensor<?x3x4xf64> -> tensor<?x3x4xf64>
  %s = kiln.reduce_sum %p {axes = array<i64: 0, 1, 2>} : tensor<?x3x4xf64> -> tensor<f64>
  return %s : tensor<f64>
}

func.func @unknown_noise(%x: tensor<?x?x4xf64>) -> tensor<f64> {
  %d = kiln.dropout %x {rate = 5.000000e-01 : f64, noise_shape = array<i64: -9223372036854775808, 2, 4>} : tensor<?x?x4xf64> loc("drop")
  %p = kiln.mul %d, %d : tensor<?x?x4xf64>, tensor<?x?x4xf64> -> tensor<?x?x4xf64>
  %s = kiln.reduce_sum %p {axes = array<i64: 0, 1, 2>} : tensor<?x?x4xf64> -> tensor<f64>
  return %s : tensor<f64>
}
