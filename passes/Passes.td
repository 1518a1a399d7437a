//===- Passes.td - kiln passes -----------------------------*- tablegen -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Target-independent passes on kiln IR. Pipelines ordering them are in
// Pipelines.cpp.
//===----------------------------------------------------------------------===//

#ifndef KILN_PASSES_TD
#define KILN_PASSES_TD

include "mlir/Pass/PassBase.td"

//===----------------------------------------------------------------------===//
// Autodiff
//===----------------------------------------------------------------------===//

def DifferentiatePass : Pass<"kiln-differentiate", "::mlir::ModuleOp"> {
  let summary = "Build reverse-mode gradient functions";
  let description = [{
    For every `func.func` carrying the unit attribute `kiln.differentiate`,
    whose first result is a scalar loss, adds `@<name>_grad`: the same
    arguments, returning the function's results (the loss first) followed by
    the loss's gradient with respect to each argument tagged `kiln.param`
    (every float argument if none is tagged). The reverse walk asks each op for its vector-Jacobian product
    (GradientOpInterface), sums the gradients of values with several uses and
    reduces broadcast gradients back to the operand's shape.

    ```mlir
    // before
    func.func @f(%x: tensor<3xf32>) -> tensor<f32> attributes {kiln.differentiate} {
      %y = kiln.exp %x : tensor<3xf32>
      %l = kiln.reduce_sum %y {axes = array<i64: 0>} : tensor<3xf32> -> tensor<f32>
      return %l : tensor<f32>
    }
    // after: @f plus
    func.func @f_grad(%x: tensor<3xf32>) -> (tensor<f32>, tensor<3xf32>) {
      ... forward ...
      %one = kiln.constant dense<1.0> : tensor<f32>
      %g = kiln.broadcast %one, %x ...       // d sum
      %dx = kiln.mul %g, %y ...              // d exp
      return %l, %dx
    }
    ```
  }];
  let dependentDialects = ["::mlir::kiln::KilnDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect"];
}

//===----------------------------------------------------------------------===//
// Training
//===----------------------------------------------------------------------===//

def BuildTrainStepPass : Pass<"kiln-build-train-step", "::mlir::ModuleOp"> {
  let summary = "Build @train_step and @eval_step from @predict";
  let description = [{
    From `@predict(params..., inputs...) -> outputs` (parameters are the
    leading arguments tagged `kiln.param`) builds
    `@eval_step(params, inputs, targets) -> (loss, outputs..., logs...)`
    and `@train_step(params, slots, inputs, targets, lr, iteration) ->
    (loss, outputs..., logs..., new_params..., new_slots...)`: forward,
    Keras loss (summed over the outputs, each times its weight), logs
    (batch means: per output, with `output-losses` its unweighted loss, then
    each metric), gradients, and the optimizer's update, in the buffer order
    of runtime/include/kiln/model.h.

    ```mlir
    // before
    func.func @predict(%w: tensor<4x3xf32> {kiln.param = "w"}, %x: tensor<?x4xf32>) -> tensor<?x3xf32>
    // after (loss=mse optimizer=sgd): @predict, plus
    func.func @eval_step(%w, %x, %t: tensor<?x3xf32>) -> (tensor<f32>, tensor<?x3xf32>)
    func.func @train_step(%w, %x, %t, %lr: tensor<f32>, %it: tensor<f32>)
        -> (tensor<f32>, tensor<?x3xf32>, tensor<4x3xf32>)
    ```
  }];
  let options = [
    Option<"loss", "loss", "std::string", /*default=*/"\"mean_squared_error\"",
           "Keras loss name, of every output">,
    ListOption<"losses", "losses", "std::string",
               "One Keras loss name per output (instead of `loss`); none: "
               "the output has no loss">,
    ListOption<"lossWeights", "loss-weights", "double",
               "One weight per output of its loss in the total (default 1)">,
    Option<"outputLosses", "output-losses", "bool", /*default=*/"false",
           "Log each output's unweighted loss before its metrics">,
    Option<"fromLogits", "from-logits", "bool", /*default=*/"false",
           "The outputs are logits">,
    Option<"delta", "delta", "double", /*default=*/"1.0",
           "Huber's delta">,
    Option<"labelSmoothing", "label-smoothing", "double", /*default=*/"0.0",
           "The crossentropies' label_smoothing">,
    Option<"gamma", "gamma", "double", /*default=*/"2.0",
           "The focal crossentropies' exponent">,
    Option<"alpha", "alpha", "double", /*default=*/"0.25",
           "The focal crossentropies' class weight">,
    Option<"applyClassBalancing", "apply-class-balancing", "bool",
           /*default=*/"false",
           "binary_focal_crossentropy weighs the classes by alpha">,
    Option<"optimizer", "optimizer", "std::string", /*default=*/"\"sgd\"",
           "Optimizer (Keras defaults)">,
    ListOption<"metrics", "metrics", "std::string",
               "Metric kinds the steps return (binary_accuracy, mae, ...; "
               "settings as NAME:KEY=VALUE, e.g. binary_accuracy:threshold=0, "
               "top_k_categorical_accuracy:k=3)">,
  ];
  // The gradients of loops (kiln-differentiate's reverseLoop) build arith,
  // scf and tensor ops.
  let dependentDialects = ["::mlir::kiln::KilnDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect"];
}

def SpecializeModePass : Pass<"kiln-specialize-mode", "::mlir::func::FuncOp"> {
  let summary = "Replace mode-dependent ops by their training or inference form";
  let description = [{
    Keras layers such as Dropout and BatchNormalization compute differently
    in training and in inference. Importers emit mode-free ops
    (`ModeDependentOpInterface`); this pass gives each its form for the
    function's mode: training in a function tagged `kiln.mode = "training"`
    (@train_step, whose last argument is the step's RNG key), inference
    everywhere else (@predict, @eval_step). An op whose training form kiln
    cannot build yet is an error naming it.

    ```mlir
    // before, in @predict
    %y = kiln.dropout %x {rate = 0.5 : f64} : tensor<?x8xf32>
    return %y
    // after
    return %x
    ```
  }];
  let dependentDialects = ["::mlir::kiln::KilnDialect"];
}

//===----------------------------------------------------------------------===//
// Numerics
//===----------------------------------------------------------------------===//

def PromoteToF64Pass : Pass<"kiln-promote-to-f64", "::mlir::func::FuncOp"> {
  let summary = "Retype a kiln function from f32 to f64";
  let description = [{
    Turns every f32 tensor in a function of kiln ops (arguments, results,
    constants) into f64, for numerics checks such as `kiln gradcheck`, whose
    finite differences need double precision. Fails on ops outside the kiln
    and func dialects.

    ```mlir
    // before
    func.func @f(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
      %y = kiln.relu %x : tensor<?x4xf32>
    // after
    func.func @f(%x: tensor<?x4xf64>) -> tensor<?x4xf64> {
      %y = kiln.relu %x : tensor<?x4xf64>
    ```
  }];
  let dependentDialects = ["::mlir::kiln::KilnDialect"];
}

#endif // KILN_PASSES_TD
