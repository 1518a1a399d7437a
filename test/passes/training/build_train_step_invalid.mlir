// RUN: kiln-opt %s --split-input-file --kiln-build-train-step="loss=sparse_categorical_crossentropy" --verify-diagnostics
// RUN: not kiln-opt %s --kiln-build-train-step="loss=tversky" 2>&1 | FileCheck %s --check-prefix=LOSS
// RUN: not kiln-opt %s --kiln-build-train-step="optimizer=lion" 2>&1 | FileCheck %s --check-prefix=OPT
// RUN: not kiln-opt %s --kiln-build-train-step="loss=categorical_hinge" 2>&1 | FileCheck %s --check-prefix=HINGE
// RUN: not kiln-opt %s --kiln-build-train-step="loss=mse metrics=categorical_accuracy" 2>&1 | FileCheck %s --check-prefix=ACCURACY

// What the train-step builder refuses.

// A sparse loss needs a class dimension to index; categorical_hinge and the
// categorical accuracy, one to take the argmax of.
// expected-error@+1 {{loss 'sparse_categorical_crossentropy' needs outputs of shape (batch, ..., classes), got 'tensor<?xf32>'}}
func.func @predict(%w: tensor<4xf32> {kiln.param = "w"}, %x: tensor<?x4xf32>) -> tensor<?xf32> {
  %0 = kiln.mul %x, %w : tensor<?x4xf32>, tensor<4xf32> -> tensor<?x4xf32>
  %1 = kiln.reduce_sum %0 {axes = array<i64: 1>} : tensor<?x4xf32> -> tensor<?xf32>
  return %1 : tensor<?xf32>
}

// LOSS: error: unknown loss 'tversky'
// OPT: error: unknown optimizer 'lion' (expected sgd, adam, rmsprop or adagrad)
// HINGE: error: 'func.func' op loss 'categorical_hinge' needs outputs of shape (batch, ..., classes), got 'tensor<?xf32>'
// ACCURACY: error: 'func.func' op metric 'categorical_accuracy' needs outputs of shape (batch, ..., classes), got 'tensor<?xf32>'
