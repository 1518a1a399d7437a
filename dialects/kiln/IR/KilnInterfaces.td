//===- KilnInterfaces.td - kiln op interfaces --------------*- tablegen -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// Cross-cutting behaviour of kiln ops. The gradient interface is how reverse
// mode autodiff asks an op for its vector-Jacobian product: the generic walk
// in passes/autodiff/ never switches on op kinds.
//===----------------------------------------------------------------------===//

#ifndef KILN_INTERFACES_TD
#define KILN_INTERFACES_TD

include "mlir/IR/OpBase.td"

def Kiln_GradientOpInterface : OpInterface<"GradientOpInterface"> {
  let cppNamespace = "::mlir::kiln";
  let description = [{
    An op that reverse-mode autodiff can differentiate. Given the gradients
    of the loss with respect to each of the op's results (`resultGrads`, one
    per result, of the result's type), `buildVjp` emits kiln ops at the
    builder's insertion point computing the vector-Jacobian product for each
    operand, and appends one value per operand to `operandGrads` (a null
    Value for operands that are not differentiable, such as integer labels).
    Gradients of broadcast operands are returned at the broadcast (result)
    shape; the generic walk reduces them back to the operand's shape, so a
    rule reads like the math.

    The rules are attached per op family as external models from
    `passes/autodiff/`, which keeps the dialect library free of autodiff.
  }];
  let methods = [
    InterfaceMethod<
      /*desc=*/"Builds the VJP of every operand from the result gradients.",
      /*retTy=*/"::llvm::LogicalResult",
      /*methodName=*/"buildVjp",
      /*args=*/(ins "::mlir::OpBuilder &":$builder,
                    "::mlir::ValueRange":$resultGrads,
                    "::llvm::SmallVectorImpl<::mlir::Value> &":$operandGrads)>,
  ];
}

def Kiln_ModeDependentOpInterface : OpInterface<"ModeDependentOpInterface"> {
  let cppNamespace = "::mlir::kiln";
  let description = [{
    An op that computes differently in training (a `fit` step) and in
    inference (`predict`, `evaluate`), like a Keras layer called with
    `training=True` or `False`: Dropout, BatchNormalization. Importers emit
    the mode-free op; `--kiln-specialize-mode` replaces it in each function
    by its form for that function's mode (`kiln.mode = "training"` on
    @train_step, inference elsewhere), before autodiff and lowering, so no
    later stage sees a mode-dependent op.

    An op whose training form kiln cannot build yet says why in
    `getTrainingUnsupportedReason`; the step builder then refuses to build
    @train_step instead of training a different model.
  }];
  let methods = [
    InterfaceMethod<
      /*desc=*/[{Replaces the op by its inference form; by default the
                identity on its first operand (the noise and augmentation
                ops).}],
      /*retTy=*/"::llvm::LogicalResult",
      /*methodName=*/"specializeForInference",
      /*args=*/(ins "::mlir::RewriterBase &":$rewriter),
      /*methodBody=*/"",
      /*defaultImplementation=*/[{
        rewriter.replaceOp($_op, $_op->getOperand(0));
        return ::mlir::success();
      }]>,
    InterfaceMethod<
      /*desc=*/[{Why the training form cannot be built (for the user's error
                message), or "" when it can (the default).}],
      /*retTy=*/"std::string",
      /*methodName=*/"getTrainingUnsupportedReason",
      /*args=*/(ins),
      /*methodBody=*/"",
      /*defaultImplementation=*/[{ return ""; }]>,
    InterfaceMethod<
      /*desc=*/[{Replaces the op by its training form. `rng` is the step's
                key of the counter-based random generator (tensor<2xi64>:
                the run's seed and the global step). An op that updates
                non-trainable state (BatchNormalization's moving statistics,
                operands that are `kiln.state` parameters) appends
                (state parameter, its new value) to `stateUpdates`; the step
                returns the new values.}],
      /*retTy=*/"::llvm::LogicalResult",
      /*methodName=*/"specializeForTraining",
      /*args=*/(ins "::mlir::RewriterBase &":$rewriter, "::mlir::Value":$rng,
                    "::llvm::SmallVectorImpl<std::pair<::mlir::Value, ::mlir::Value>> &":$stateUpdates)>,
  ];
}

#endif // KILN_INTERFACES_TD
