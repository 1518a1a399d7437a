//===- KilnOps.td - kiln op definitions --------------------*- tablegen -*-===//
// SPDX-License-Identifier: Apache-2.0
//
// The ops of the kiln dialect, grouped by family: constants, contractions,
// elementwise binary (NumPy broadcasting), elementwise unary (activations),
// normalizations and shape ops. Each op's description is its documentation.
// Each shape rule is written once, as the op's `inferReturnTypes`
// (InferTypeOpInterface): importers, gradient rules and losses build ops
// without restating result types, and the verifier checks a given result
// type against the same rule (`isCompatibleReturnTypes` defers to it so
// that mismatches get the verifier's message naming the dimension).
//===----------------------------------------------------------------------===//

#ifndef KILN_OPS_TD
#define KILN_OPS_TD

include "dialects/kiln/IR/KilnDialect.td"
include "mlir/IR/BuiltinAttributes.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "dialects/kiln/IR/KilnInterfaces.td"

//===----------------------------------------------------------------------===//
// Constants
//===----------------------------------------------------------------------===//

def Kiln_ConstantOp : Kiln_Op<"constant",
    [ConstantLike, Pure, AllTypesMatch<["value", "result"]>]> {
  let summary = "A small constant tensor";
  let description = [{
    A compile-time constant such as a scalar in an activation formula. Model
    weights are never constants: they are function arguments tagged
    `kiln.param`, with their bytes in the weights blob.

    ```mlir
    %one = kiln.constant dense<1.0> : tensor<f32>
    ```
  }];
  let arguments = (ins ElementsAttr:$value);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "attr-dict $value";
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Contractions
//===----------------------------------------------------------------------===//

def Kiln_MatMulOp : Kiln_Op<"matmul", [Pure, InferTypeOpAdaptorWithIsCompatible]> {
  let summary = "Matrix product over the last axis of lhs";
  let description = [{
    `result[..., n] = sum_k lhs[..., k] * rhs[k, n]`. `lhs` is `(..., K)`
    with rank >= 2 (only its leading dimension, the batch, may be dynamic),
    `rhs` is `K x N`, the result is `(..., N)`: Keras's Dense applied to the
    last axis.

    ```mlir
    %y = kiln.matmul %x, %w : tensor<?x784xf32>, tensor<784x128xf32> -> tensor<?x128xf32>
    %s = kiln.matmul %seq, %w : tensor<?x5x8xf32>, tensor<8x3xf32> -> tensor<?x5x3xf32>
    ```
  }];
  let arguments = (ins Kiln_FloatTensor:$lhs, Kiln_FloatTensor:$rhs);
  let results = (outs Kiln_FloatTensor:$result);
  let assemblyFormat =
      "$lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)";
  let hasVerifier = 1;
}

def Kiln_BatchMatMulOp : Kiln_Op<"batch_matmul",
    [Pure, InferTypeOpAdaptorWithIsCompatible]> {
  let summary = "Matrix product per batch element";
  let description = [{
    `result[b, m, n] = sum_k lhs[b, m, k] * rhs[b, k, n]`: `lhs` is
    `B x M x K`, `rhs` is `B x K x N`, the result `B x M x N`. Only the
    batch dimension may be dynamic (then in both operands). Keras's `Dot`
    layer on rank-3 inputs imports to this op (after transposes).

    ```mlir
    %y = kiln.batch_matmul %a, %b : tensor<?x4x8xf32>, tensor<?x8x5xf32> -> tensor<?x4x5xf32>
    ```
  }];
  let arguments = (ins Kiln_FloatTensor:$lhs, Kiln_FloatTensor:$rhs);
  let results = (outs Kiln_FloatTensor:$result);
  let assemblyFormat =
      "$lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Elementwise binary ops with NumPy broadcasting
//===----------------------------------------------------------------------===//

class Kiln_BroadcastBinaryOp<string mnemonic, string formula,
                             Type tensor = Kiln_FloatTensor>
    : Kiln_Op<mnemonic, [Pure, InferTypeOpAdaptorWithIsCompatible]> {
  let summary = "Elementwise `" # formula # "` with NumPy broadcasting";
  let description = [{
    Computes `}] # formula # [{` elementwise. Shapes broadcast like NumPy:
    they are aligned at the trailing dimension, and each pair of dimensions
    must be equal or one of them must be 1. The result has the broadcast
    shape. A dynamic dimension is taken to equal its counterpart. Both
    operands and the result have one element type; add, sub, mul, maximum
    and minimum also take i32/i64 (two's complement, wrapping; signed
    order), which carry no gradient.

    ```mlir
    %y = kiln.}] # mnemonic # [{ %x, %b : tensor<?x128xf32>, tensor<128xf32> -> tensor<?x128xf32>
    ```
  }];
  let arguments = (ins tensor:$lhs, tensor:$rhs);
  let results = (outs tensor:$result);
  let assemblyFormat =
      "$lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)";
  let hasVerifier = 1;
}

def Kiln_AddOp : Kiln_BroadcastBinaryOp<"add", "lhs + rhs", Kiln_NumericTensor>;
def Kiln_SubOp : Kiln_BroadcastBinaryOp<"sub", "lhs - rhs", Kiln_NumericTensor>;
def Kiln_MulOp : Kiln_BroadcastBinaryOp<"mul", "lhs * rhs", Kiln_NumericTensor>;
def Kiln_DivOp : Kiln_BroadcastBinaryOp<"div", "lhs / rhs">;
// C's fmod: the exact remainder of lhs / rhs truncated toward zero, with
// lhs's sign (ONNX Mod with fmod = 1); NaN where rhs is 0 or lhs infinite,
// lhs where rhs is infinite.
def Kiln_RemOp : Kiln_BroadcastBinaryOp<"rem", "fmod(lhs, rhs)">;
def Kiln_MaximumOp
    : Kiln_BroadcastBinaryOp<"maximum", "max(lhs, rhs)", Kiln_NumericTensor>;
def Kiln_MinimumOp
    : Kiln_BroadcastBinaryOp<"minimum", "min(lhs, rhs)", Kiln_NumericTensor>;

//===----------------------------------------------------------------------===//
// Elementwise unary ops (activations)
//===----------------------------------------------------------------------===//

class Kiln_UnaryOp<string mnemonic, string formula, list<Trait> traits = []>
    : Kiln_Op<mnemonic, !listconcat(traits,
          [Pure, Elementwise, SameOperandsAndResultType])> {
  let summary = "Elementwise `" # formula # "`";
  let description = [{
    Computes `}] # formula # [{` for every element; the result has the
    operand's type.

    ```mlir
    %y = kiln.}] # mnemonic # [{ %x : tensor<?x128xf32>
    ```
  }];
  let arguments = (ins Kiln_FloatTensor:$input);
  let results = (outs Kiln_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def Kiln_ReluOp : Kiln_UnaryOp<"relu", "max(x, 0)"> {
  let hasCanonicalizer = 1;
}
def Kiln_SigmoidOp : Kiln_UnaryOp<"sigmoid", "1 / (1 + exp(-x))">;
def Kiln_TanhOp : Kiln_UnaryOp<"tanh", "tanh(x)">;
def Kiln_ExpOp : Kiln_UnaryOp<"exp", "exp(x)">;
def Kiln_LogOp : Kiln_UnaryOp<"log", "log(x)">;
def Kiln_NegOp : Kiln_UnaryOp<"neg", "-x">;
def Kiln_AbsOp : Kiln_UnaryOp<"abs", "|x|">;
def Kiln_SqrtOp : Kiln_UnaryOp<"sqrt", "sqrt(x)">;
def Kiln_SoftplusOp : Kiln_UnaryOp<"softplus", "log(1 + exp(x))">;
def Kiln_ErfOp : Kiln_UnaryOp<"erf", "erf(x)">;
def Kiln_StepOp : Kiln_UnaryOp<"step", "x > 0 ? 1 : 0 (Heaviside step; relu's derivative)">;
def Kiln_SignOp : Kiln_UnaryOp<"sign", "x > 0 ? 1 : (x < 0 ? -1 : 0)">;
def Kiln_GeluOp : Kiln_UnaryOp<"gelu", "x * (1 + erf(x / sqrt(2))) / 2">;
// Trigonometric and hyperbolic functions and their inverses (ONNX's math
// ops; the inverses are NaN outside their domains, like libm's).
def Kiln_SinOp : Kiln_UnaryOp<"sin", "sin(x)">;
def Kiln_CosOp : Kiln_UnaryOp<"cos", "cos(x)">;
def Kiln_TanOp : Kiln_UnaryOp<"tan", "tan(x)">;
def Kiln_AsinOp : Kiln_UnaryOp<"asin", "asin(x)">;
def Kiln_AcosOp : Kiln_UnaryOp<"acos", "acos(x)">;
def Kiln_AtanOp : Kiln_UnaryOp<"atan", "atan(x)">;
def Kiln_SinhOp : Kiln_UnaryOp<"sinh", "sinh(x)">;
def Kiln_CoshOp : Kiln_UnaryOp<"cosh", "cosh(x)">;
def Kiln_AsinhOp : Kiln_UnaryOp<"asinh", "asinh(x)">;
def Kiln_AcoshOp : Kiln_UnaryOp<"acosh", "acosh(x)">;
def Kiln_AtanhOp : Kiln_UnaryOp<"atanh", "atanh(x)">;
// Rounding to a whole number; flat almost everywhere, so no gradient flows.
def Kiln_FloorOp : Kiln_UnaryOp<"floor", "floor(x)">;
def Kiln_CeilOp : Kiln_UnaryOp<"ceil", "ceil(x)">;
def Kiln_RoundOp : Kiln_UnaryOp<"round",
    "x rounded to the nearest whole number, halves to even (ONNX's Round)">;
def Kiln_SeluOp : Kiln_UnaryOp<"selu",
    "scale * (x > 0 ? x : alpha * (exp(x) - 1)), Keras's alpha and scale">;

def Kiln_EluOp : Kiln_Op<"elu",
    [Pure, Elementwise, SameOperandsAndResultType]> {
  let summary = "Elementwise exponential linear unit";
  let description = [{
    `x > 0 ? x : alpha * (exp(x) - 1)` for every element.

    ```mlir
    %y = kiln.elu %x {alpha = 1.0 : f32} : tensor<?x16xf32>
    ```
  }];
  let arguments = (ins Kiln_FloatTensor:$input,
                       DefaultValuedAttr<F32Attr, "1.0f">:$alpha);
  let results = (outs Kiln_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

class Kiln_ReduceOp<string mnemonic, string what>
    : Kiln_Op<mnemonic, [Pure, InferTypeOpAdaptorWithIsCompatible]> {
  let summary = "The " # what # " over some axes";
  let description = [{
    Reduces `input` over `axes` (distinct, in range; negative values count
    from the back) to their }] # what # [{. With `keep_dims` the reduced
    dimensions stay with size 1, otherwise they are removed.

    ```mlir
    %s = kiln.}] # mnemonic # [{ %x {axes = array<i64: 0>} : tensor<?x10xf32> -> tensor<10xf32>
    ```
  }];
  let arguments = (ins Kiln_FloatTensor:$input, DenseI64ArrayAttr:$axes,
                       DefaultValuedAttr<BoolAttr, "false">:$keep_dims);
  let results = (outs Kiln_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The reduced axes, non-negative and sorted.
    ::llvm::SmallVector<int64_t> getNormalizedAxes();
  }];
}

def Kiln_ReduceSumOp : Kiln_ReduceOp<"reduce_sum", "sum">;
def Kiln_ReduceMeanOp : Kiln_ReduceOp<"reduce_mean", "mean">;

def Kiln_CumSumOp : Kiln_Op<"cumsum", [Pure, SameOperandsAndResultType]> {
  let summary = "Running sums along one axis (NumPy's cumsum)";
  let description = [{
    `result[..., i, ...]` is the sum of `input[..., j, ...]` over `j <= i`
    along `axis` (a negative one counts from the back; a static
    dimension), `j < i` with `exclusive`, and `j >= i` (`j > i`) with
    `reverse`: ONNX's CumSum. Floats sum in order along the axis and are
    differentiable (the gradient's running sums the other way); i32/i64
    sums wrap and carry no gradient (ONNX's position ids from a padding
    mask). It lowers to a sum over the axis's triangle: the axis's length
    squared per row.

    ```mlir
    %p = kiln.cumsum %m {axis = 1 : i64} : tensor<?x8xi32>
    ```
  }];
  let arguments = (ins Kiln_NumericTensor:$input, I64Attr:$axis,
                       DefaultValuedAttr<BoolAttr, "false">:$exclusive,
                       DefaultValuedAttr<BoolAttr, "false">:$reverse);
  let results = (outs Kiln_NumericTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// `axis` counted from the front, in [0, rank).
    int64_t getNormalizedAxis();
  }];
}

//===----------------------------------------------------------------------===//
// Normalizations
//===----------------------------------------------------------------------===//

def Kiln_SoftmaxOp : Kiln_Op<"softmax", [Pure, SameOperandsAndResultType]> {
  let summary = "Softmax along one axis";
  let description = [{
    `exp(x - max(x)) / sum(exp(x - max(x)))` along `axis` (negative values
    count from the back, as in Keras; the default is the last axis).

    ```mlir
    %p = kiln.softmax %logits {axis = -1 : i64} : tensor<?x10xf32>
    ```
  }];
  let arguments = (ins Kiln_FloatTensor:$input,
                       DefaultValuedAttr<I64Attr, "-1">:$axis);
  let results = (outs Kiln_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The axis as a non-negative dimension index.
    int64_t getNormalizedAxis() {
      int64_t axis = getAxis();
      return axis < 0 ? axis + getType().getRank() : axis;
    }
  }];
}

def Kiln_LogSoftmaxOp : Kiln_Op<"log_softmax",
    [Pure, SameOperandsAndResultType]> {
  let summary = "Log of the softmax along one axis, computed stably";
  let description = [{
    `x - max(x) - log(sum(exp(x - max(x))))` along `axis`: the logits form
    of the cross-entropy losses.

    ```mlir
    %l = kiln.log_softmax %logits {axis = -1 : i64} : tensor<?x10xf32>
    ```
  }];
  let arguments = (ins Kiln_FloatTensor:$input,
                       DefaultValuedAttr<I64Attr, "-1">:$axis);
  let results = (outs Kiln_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    int64_t getNormalizedAxis() {
      int64_t axis = getAxis();
      return axis < 0 ? axis + getType().getRank() : axis;
    }
  }];
}

def Kiln_ClipOp : Kiln_Op<"clip",
    [Pure, Elementwise, SameOperandsAndResultType]> {
  let summary = "Clamp every element to [min, max]";
  let description = [{
    `min(max(x, min), max)`, TensorFlow's `clip_by_value`: the gradient flows
    where `min <= x <= max`. Losses use it for Keras's epsilon clipping.

    ```mlir
    %p = kiln.clip %x {min = 1.0e-07 : f64, max = 0.9999999 : f64} : tensor<?x10xf32>
    ```
  }];
  let arguments = (ins Kiln_FloatTensor:$input, F64Attr:$min, F64Attr:$max);
  let results = (outs Kiln_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def Kiln_OneHotOp : Kiln_Op<"one_hot", [Pure, InferTypeOpAdaptorWithIsCompatible]> {
  let summary = "One-hot encode class indices held as floats";
  let description = [{
    `result[..., c] = (input[...] == c) ? 1 : 0` for `c` in `[0, depth)`:
    the result appends a dimension of size `depth`. Indices are floats
    (sparse labels travel as float32); an index outside `[0, depth)` gives
    an all-zero row. Not differentiable with respect to the indices.

    ```mlir
    %t = kiln.one_hot %labels {depth = 10 : i64} : tensor<?xf32> -> tensor<?x10xf32>
    ```
  }];
  let arguments = (ins Kiln_FloatTensor:$input, I64Attr:$depth);
  let results = (outs Kiln_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Sliding-window ops: convolution and pooling
//
// Channels-last tensors `(N, S_1, ..., S_d, C)` with d = 1 or 2 spatial
// dimensions (static; only the batch N may be dynamic). A window of
// `window[i]` taps, `dilations[i]` apart, slides with `strides[i]` over
// spatial dimension i zero-padded (for pooling: padding excluded) by
// `pad_low[i]` before and `pad_high[i]` after, giving
// `O_i = (S_i + pad_low[i] + pad_high[i] - dilations[i] * (window[i] - 1) - 1)
//        / strides[i] + 1` positions. Output position o reads input
// `o * strides[i] - pad_low[i] + k * dilations[i]` for tap k.
//===----------------------------------------------------------------------===//

class Kiln_WindowOp<string mnemonic, list<Trait> traits = []>
    : Kiln_Op<mnemonic, !listconcat([Pure, InferTypeOpAdaptorWithIsCompatible],
                                    traits)> {
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The op's window geometry.
    ::mlir::kiln::WindowGeometry getGeometry();
  }];
}

def Kiln_ConvOp : Kiln_WindowOp<"conv"> {
  let summary = "Convolution (cross-correlation) of channels-last input";
  let description = [{
    `result[n, o, f] = sum_{k, c} input[n, o * s - pad_low + k * dil, c] *
    kernel[k, c, f]` (spatial indices vectors, out-of-range reads are 0):
    Keras's Conv1D/Conv2D with an `(K_1, ..., K_d, C, F)` kernel (TensorFlow's
    HWIO layout). The window is the kernel's spatial shape.

    ```mlir
    %y = kiln.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>,
           pad_low = array<i64: 2, 2>, pad_high = array<i64: 2, 2>}
         : tensor<?x28x28x1xf32>, tensor<5x5x1x10xf32> -> tensor<?x28x28x10xf32>
    ```
  }];
  let arguments = (ins Kiln_FloatTensor:$input, Kiln_FloatTensor:$kernel,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$dilations,
                       DenseI64ArrayAttr:$pad_low, DenseI64ArrayAttr:$pad_high);
  let results = (outs Kiln_FloatTensor:$result);
  let assemblyFormat = "$input `,` $kernel attr-dict `:` type($input) `,` "
                       "type($kernel) `->` type($result)";
}

def Kiln_ExtractPatchesOp : Kiln_WindowOp<"extract_patches"> {
  let summary = "The window at every output position, as a row (im2col)";
  let description = [{
    `result[n, o, (k, c)] = input[n, o * s - pad_low + k * dil, c]` (0 out of
    range), the taps `k` and channels `c` flattened row-major into the last
    dimension of size `prod(window) * C`: TensorFlow's `extract_patches`.
    A convolution is this times the kernel reshaped to `(prod(window) * C, F)`.

    ```mlir
    %p = kiln.extract_patches %x {window = array<i64: 3, 3>, strides = array<i64: 1, 1>,
           dilations = array<i64: 1, 1>, pad_low = array<i64: 0, 0>,
           pad_high = array<i64: 0, 0>} : tensor<?x8x8x2xf32> -> tensor<?x6x6x18xf32>
    ```
  }];
  let arguments = (ins Kiln_FloatTensor:$input, DenseI64ArrayAttr:$window,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$dilations,
                       DenseI64ArrayAttr:$pad_low, DenseI64ArrayAttr:$pad_high);
  let results = (outs Kiln_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}

def Kiln_FoldPatchesOp : Kiln_WindowOp<"fold_patches"> {
  let summary = "Sum patches back into the input they were read from (col2im)";
  let description = [{
    The adjoint of `kiln.extract_patches` with the same window: every element
    of `patches` is added to the input position it was read from (padding
    positions are dropped). `like` is the input shape (only its shape is
    read, including its dynamic batch size). The gradient of
    `extract_patches`, and of a convolution with respect to its input.

    ```mlir
    %dx = kiln.fold_patches %dp, %x {window = array<i64: 3, 3>, strides = array<i64: 1, 1>,
            dilations = array<i64: 1, 1>, pad_low = array<i64: 0, 0>,
            pad_high = array<i64: 0, 0>}
          : tensor<?x6x6x18xf32>, tensor<?x8x8x2xf32> -> tensor<?x8x8x2xf32>
    ```
  }];
  let arguments = (ins Kiln_FloatTensor:$patches, Kiln_FloatTensor:$like,
                       DenseI64ArrayAttr:$window, DenseI64ArrayAttr:$strides,
                       DenseI64ArrayAttr:$dilations, DenseI64ArrayAttr:$pad_low,
                       DenseI64ArrayAttr:$pad_high);
  let results = (outs Kiln_FloatTensor:$result);
  let assemblyFormat = "$patches `,` $like attr-dict `:` type($patches) `,` "
                       "type($like) `->` type($result)";
}

def Kiln_MaxPoolOp : Kiln_WindowOp<"max_pool"> {
  let summary = "Maximum over each window, per channel";
  let description = [{
    `result[n, o, c] = max_k input[n, o * s - pad_low + k, c]` over the taps
    inside the input (padding never wins; every window holds at least one
    input element): Keras's MaxPooling1D/2D, and GlobalMaxPooling with the
    whole input as the window.

    ```mlir
    %y = kiln.max_pool %x {window = array<i64: 2, 2>, strides = array<i64: 2, 2>,
           pad_low = array<i64: 0, 0>, pad_high = array<i64: 0, 0>}
         : tensor<?x28x28x10xf32> -> tensor<?x14x14x10xf32>
    ```
  }];
  let arguments = (ins Kiln_FloatTensor:$input, DenseI64ArrayAttr:$window,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$pad_low,
                       DenseI64ArrayAttr:$pad_high);
  let results = (outs Kiln_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}

def Kiln_MaxPoolGradOp : Kiln_WindowOp<"max_pool_grad"> {
  let summary = "Gradient of max_pool: each window's gradient to its maximum";
  let description = [{
    For every window of `kiln.max_pool` over `input` (same attributes),
    `grad`'s element is added to the window's first maximal input element
    (in row-major tap order), as TensorFlow's MaxPoolGrad does; the result
    has `input`'s type.

    ```mlir
    %dx = kiln.max_pool_grad %x, %dy {window = array<i64: 2, 2>, strides = array<i64: 2, 2>,
            pad_low = array<i64: 0, 0>, pad_high = array<i64: 0, 0>}
          : tensor<?x28x28x10xf32>, tensor<?x14x14x10xf32> -> tensor<?x28x28x10xf32>
    ```
  }];
  let arguments = (ins Kiln_FloatTensor:$input, Kiln_FloatTensor:$grad,
                       DenseI64ArrayAttr:$window, DenseI64ArrayAttr:$strides,
                       DenseI64ArrayAttr:$pad_low, DenseI64ArrayAttr:$pad_high);
  let results = (outs Kiln_FloatTensor:$result);
  let assemblyFormat = "$input `,` $grad attr-dict `:` type($input) `,` "
                       "type($grad) `->` type($result)";
}

//===----------------------------------------------------------------------===//
// Sequence ops: one time step of a (batch, time, ...) tensor, for the loops
// of recurrent layers (`scf.for` over the steps, the step an index)
//===----------------------------------------------------------------------===//

def Kiln_SequenceStepOp : Kiln_Op<"sequence_step",
    [Pure, InferTypeOpAdaptorWithIsCompatible]> {
  let summary = "One time step of a sequence";
  let description = [{
    `result[n, ...] = input[n, step, ...]`: dimension 1 (time) of `input`
    is removed. `step` must be in range (recurrent layers index with their
    loop's induction variable).

    ```mlir
    %x_t = kiln.sequence_step %x[%t] : tensor<?x28x64xf32> -> tensor<?x64xf32>
    ```
  }];
  let arguments = (ins Kiln_FloatTensor:$input, Index:$step);
  let results = (outs Kiln_FloatTensor:$result);
  let assemblyFormat =
      "$input `[` $step `]` attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def Kiln_SequenceInsertOp : Kiln_Op<"sequence_insert",
    [Pure, InferTypeOpAdaptorWithIsCompatible]> {
  let summary = "A sequence with one time step replaced";
  let description = [{
    `sequence` with `result[:, step] = value`, where `value` has the
    sequence's shape without dimension 1 (time): how a recurrent layer with
    `return_sequences` collects its outputs.

    ```mlir
    %s1 = kiln.sequence_insert %h into %s0[%t]
        : tensor<?x64xf32> into tensor<?x28x64xf32>
    ```
  }];
  let arguments = (ins Kiln_FloatTensor:$value, Kiln_FloatTensor:$sequence,
                       Index:$step);
  let results = (outs Kiln_FloatTensor:$result);
  let assemblyFormat = "$value `into` $sequence `[` $step `]` attr-dict `:` "
                       "type($value) `into` type($sequence)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Gather ops: rows of a table picked by integer indices (Keras's Embedding)
// and their adjoint. An index `i` is normalized the way Keras 3's
// `ops.take` does (TensorFlow backend): a float index is truncated toward
// zero (Keras casts it to int32), a negative one counts from the end
// (`i + num_rows`), and one still outside `[0, num_rows)` is clamped into it
// (TensorFlow on CPU raises an error there; compiled code never reads out of
// bounds and has no error path, so it clamps).
//===----------------------------------------------------------------------===//

def Kiln_IndexTensor : RankedTensorOf<[I32, I64, F32, F64]>;
def Kiln_BoolTensor : RankedTensorOf<[I1]>;
// Tensors kiln moves, compares and selects between: float data, integer
// indices, booleans.
def Kiln_AnyTensor : RankedTensorOf<[F32, F64, I1, I32, I64]>;

def Kiln_GatherOp : Kiln_Op<"gather",
    [Pure, InferTypeOpAdaptorWithIsCompatible]> {
  let summary = "Rows of a table picked by indices (an embedding lookup)";
  let description = [{
    `result[i..., d] = table[norm(indices[i...]), d]` for a `(R, D)` table
    and indices of any shape (i32, i64, or floats holding integers): the
    result has the indices' shape plus `D`, the table's element type.
    `norm` is the section's index rule (truncate, wrap negatives, clamp).
    Differentiable with respect to the table only.

    ```mlir
    %e = kiln.gather %table[%ids] : tensor<1000x8xf32>, tensor<?x10xi32> -> tensor<?x10x8xf32>
    ```
  }];
  let arguments = (ins Kiln_FloatTensor:$table, Kiln_IndexTensor:$indices);
  let results = (outs Kiln_FloatTensor:$result);
  let assemblyFormat = "$table `[` $indices `]` attr-dict `:` type($table) `,` "
                       "type($indices) `->` type($result)";
  let hasVerifier = 1;
}

def Kiln_ScatterAddOp : Kiln_Op<"scatter_add",
    [Pure, InferTypeOpAdaptorWithIsCompatible]> {
  let summary = "Rows summed into a zero table at indices (gather's adjoint)";
  let description = [{
    `result[r, d] = sum over i... with norm(indices[i...]) == r of
    updates[i..., d]` for `r` in `[0, num_rows)`: the updates have the
    indices' shape plus `D` and the result is `(num_rows, D)`. With the
    same index rule as `kiln.gather`, it is exactly the gather's
    vector-Jacobian product with respect to the table.

    ```mlir
    %g = kiln.scatter_add %dy[%ids] {num_rows = 1000 : i64} : tensor<?x10x8xf32>, tensor<?x10xi32> -> tensor<1000x8xf32>
    ```
  }];
  let arguments = (ins Kiln_FloatTensor:$updates, Kiln_IndexTensor:$indices,
                       I64Attr:$num_rows);
  let results = (outs Kiln_FloatTensor:$result);
  let assemblyFormat = "$updates `[` $indices `]` attr-dict `:` type($updates) "
                       "`,` type($indices) `->` type($result)";
  let hasVerifier = 1;
}

def Kiln_GatherNdOp : Kiln_Op<"gather_nd",
    [Pure, InferTypeOpAdaptorWithIsCompatible]> {
  let summary = "Slices of a tensor picked by index tuples (ONNX's GatherND)";
  let description = [{
    With `b = batch_dims` and `r` the indices' last (static) dimension:
    `result[n..., i..., s...] = data[n..., j_0, ..., j_{r-1}, s...]` where
    `j_k = norm_k(indices[n..., i..., k])`: the first `b` dimensions of
    `data` and `indices` pair up, each of the `r` coordinates picks along
    the next dimension of `data`, and the rest of `data` is carried whole.
    The result's shape is `indices.shape[:-1] + data.shape[b + r:]`.
    `norm_k` is the section's index rule against dimension `b + k` of
    `data`, which may be the dynamic batch (a run-time bound). Any element
    type kiln computes with; differentiable with respect to float `data`
    (`kiln.scatter_nd_add`).

    ```mlir
    %m = kiln.gather_nd %mask[%idx] : tensor<?x8xi1>, tensor<?x8x2xi64> -> tensor<?x8xi1>
    ```
  }];
  let arguments = (ins Kiln_AnyTensor:$data, RankedTensorOf<[I32, I64]>:$indices,
                       DefaultValuedAttr<I64Attr, "0">:$batch_dims);
  let results = (outs Kiln_AnyTensor:$result);
  let assemblyFormat = "$data `[` $indices `]` attr-dict `:` type($data) `,` "
                       "type($indices) `->` type($result)";
  let hasVerifier = 1;
}

def Kiln_ScatterNdAddOp : Kiln_Op<"scatter_nd_add", [Pure]> {
  let summary = "Slices summed into zeros at index tuples (gather_nd's adjoint)";
  let description = [{
    A tensor of zeros of `like`'s type (only its shape is read: it may
    have a dynamic batch), into which each slice of `updates` is added at
    the place `kiln.gather_nd` with the same `indices` and `batch_dims`
    reads it from: repeated index tuples accumulate. Exactly that
    gather's vector-Jacobian product with respect to its data.

    ```mlir
    %g = kiln.scatter_nd_add %dy[%idx] like %x : tensor<?x3xf32>, tensor<?x3x2xi64>, tensor<?x4x5xf32> -> tensor<?x4x5xf32>
    ```
  }];
  let arguments = (ins Kiln_FloatTensor:$updates,
                       RankedTensorOf<[I32, I64]>:$indices,
                       Kiln_FloatTensor:$like,
                       DefaultValuedAttr<I64Attr, "0">:$batch_dims);
  let results = (outs Kiln_FloatTensor:$result);
  let assemblyFormat = "$updates `[` $indices `]` `like` $like attr-dict `:` "
                       "type($updates) `,` type($indices) `,` type($like) "
                       "`->` type($result)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Comparisons, selection, arg-reductions and element-type casts: the ops of
// tensors that are not float at run time. Booleans are i1 tensors (stored a
// byte per element, NumPy's and ONNX's `bool`); indices are i64. None of
// these results carries a gradient: autodiff stops at them, and `kiln.select`
// passes gradients through to the operand each element came from.
//===----------------------------------------------------------------------===//

class Kiln_CompareOp<string mnemonic, string formula>
    : Kiln_Op<mnemonic, [Pure, InferTypeOpAdaptorWithIsCompatible]> {
  let summary = "Elementwise `" # formula # "` with NumPy broadcasting";
  let description = [{
    The boolean `}] # formula # [{` per element of the broadcast shape (see
    `kiln.add`), for operands of one float or integer element type. A
    comparison with NaN is false (IEEE's ordered predicates).

    ```mlir
    %m = kiln.}] # mnemonic # [{ %x, %t : tensor<?x10xf32>, tensor<f32> -> tensor<?x10xi1>
    ```
  }];
  let arguments = (ins Kiln_AnyTensor:$lhs, Kiln_AnyTensor:$rhs);
  let results = (outs Kiln_BoolTensor:$result);
  let assemblyFormat =
      "$lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)";
  let hasVerifier = 1;
}

def Kiln_EqualOp : Kiln_CompareOp<"equal", "lhs == rhs">;
def Kiln_LessOp : Kiln_CompareOp<"less", "lhs < rhs">;
def Kiln_LessEqualOp : Kiln_CompareOp<"less_equal", "lhs <= rhs">;
def Kiln_GreaterOp : Kiln_CompareOp<"greater", "lhs > rhs">;
def Kiln_GreaterEqualOp : Kiln_CompareOp<"greater_equal", "lhs >= rhs">;

class Kiln_LogicalBinaryOp<string mnemonic, string formula>
    : Kiln_Op<mnemonic, [Pure, InferTypeOpAdaptorWithIsCompatible]> {
  let summary = "Elementwise boolean `" # formula # "` with NumPy broadcasting";
  let description = [{
    `}] # formula # [{` per element of the broadcast shape of two boolean
    tensors.

    ```mlir
    %m = kiln.}] # mnemonic # [{ %a, %b : tensor<?x10xi1>, tensor<10xi1> -> tensor<?x10xi1>
    ```
  }];
  let arguments = (ins Kiln_BoolTensor:$lhs, Kiln_BoolTensor:$rhs);
  let results = (outs Kiln_BoolTensor:$result);
  let assemblyFormat =
      "$lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)";
  let hasVerifier = 1;
}

def Kiln_LogicalAndOp : Kiln_LogicalBinaryOp<"logical_and", "lhs and rhs">;
def Kiln_LogicalOrOp : Kiln_LogicalBinaryOp<"logical_or", "lhs or rhs">;
def Kiln_LogicalXorOp : Kiln_LogicalBinaryOp<"logical_xor", "lhs xor rhs">;

def Kiln_LogicalNotOp : Kiln_Op<"logical_not",
    [Pure, Elementwise, SameOperandsAndResultType]> {
  let summary = "Elementwise boolean negation";
  let description = [{
    ```mlir
    %n = kiln.logical_not %m : tensor<?x10xi1>
    ```
  }];
  let arguments = (ins Kiln_BoolTensor:$input);
  let results = (outs Kiln_BoolTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def Kiln_SelectOp : Kiln_Op<"select",
    [Pure, InferTypeOpAdaptorWithIsCompatible]> {
  let summary = "Elementwise `condition ? on_true : on_false` (NumPy's where)";
  let description = [{
    Picks per element of the broadcast shape of all three operands (see
    `kiln.add`) `on_true` where `condition` holds and `on_false` elsewhere;
    both branches have one element type, the result's. Differentiable with
    respect to the branches: each gets the result gradient where it was
    picked and zero elsewhere.

    ```mlir
    %y = kiln.select %m, %x, %zero : tensor<?x10xi1>, tensor<?x10xf32>, tensor<f32> -> tensor<?x10xf32>
    ```
  }];
  let arguments = (ins Kiln_BoolTensor:$condition, Kiln_AnyTensor:$on_true,
                       Kiln_AnyTensor:$on_false);
  let results = (outs Kiln_AnyTensor:$result);
  let assemblyFormat =
      "$condition `,` $on_true `,` $on_false attr-dict `:` type($condition) `,` "
      "type($on_true) `,` type($on_false) `->` type($result)";
  let hasVerifier = 1;
}

class Kiln_ArgReduceOp<string mnemonic, string what>
    : Kiln_Op<mnemonic, [Pure, InferTypeOpAdaptorWithIsCompatible]> {
  let summary = "The index of the " # what # " along one axis";
  let description = [{
    The position (i64) of the }] # what # [{ of `input` along `axis`
    (negative values count from the back; a static axis): the first one
    among equal values, or the last one with `select_last_index`. A NaN
    counts as the }] # what # [{ (NumPy's rule): the first NaN wins. With
    `keep_dims` the axis stays with size 1, otherwise it is removed.
    ONNX's ArgMax/ArgMin, Keras's `ops.argmax`.

    ```mlir
    %i = kiln.}] # mnemonic # [{ %x {axis = 1 : i64} : tensor<?x10xf32> -> tensor<?xi64>
    ```
  }];
  let arguments = (ins Kiln_FloatTensor:$input, I64Attr:$axis,
                       DefaultValuedAttr<BoolAttr, "false">:$keep_dims,
                       DefaultValuedAttr<BoolAttr, "false">:$select_last_index);
  let results = (outs RankedTensorOf<[I64]>:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// `axis` counted from the front, in [0, rank of the input).
    int64_t getNormalizedAxis();
  }];
}

def Kiln_ArgMaxOp : Kiln_ArgReduceOp<"argmax", "maximum">;
def Kiln_ArgMinOp : Kiln_ArgReduceOp<"argmin", "minimum">;

def Kiln_CastOp : Kiln_Op<"cast", [Pure]> {
  let summary = "Convert each element to another element type";
  let description = [{
    NumPy's `astype` between float, integer and boolean element types, one
    of which is not float: a float becomes an integer by truncation toward
    zero (out of range: the integer type's limit; NaN: 0), an integer
    becomes the nearest float; to a boolean, nonzero is true; from one,
    true is 1. Integers widen with their sign and narrow by truncation.
    Shapes are equal.

    ```mlir
    %i = kiln.cast %x : tensor<?x10xf32> -> tensor<?x10xi64>
    %f = kiln.cast %m : tensor<?x10xi1> -> tensor<?x10xf32>
    ```
  }];
  let arguments = (ins Kiln_AnyTensor:$input);
  let results = (outs Kiln_AnyTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Shape ops
//===----------------------------------------------------------------------===//

def Kiln_ReshapeOp : Kiln_Op<"reshape", [Pure]> {
  let summary = "Reinterpret a tensor's elements in a new shape";
  let description = [{
    Row-major reshape. Both shapes hold the same number of elements; when the
    leading (batch) dimension is dynamic in one of them it must be dynamic in
    both, and the remaining dimensions hold the same number of elements —
    or a multiple of it: leading per-sample dimensions may merge into the
    dynamic dimension (`(?, T, K) -> (?, K)`, T rows per sample) or split
    back out of it (`(?, K) -> (?, T, K)`), as gradients of per-position
    layers need. Keras's `Flatten` and `Reshape` layers import to this op.
    Any element type kiln computes with (an attention mask of booleans,
    token ids) reshapes; the element type stays.

    ```mlir
    %f = kiln.reshape %x : tensor<?x28x28xf32> -> tensor<?x784xf32>
    %r = kiln.reshape %s : tensor<?x5x8xf32> -> tensor<?x8xf32>
    %m = kiln.reshape %mask : tensor<?x6xi1> -> tensor<?x1x6xi1>
    ```
  }];
  let arguments = (ins Kiln_AnyTensor:$input);
  let results = (outs Kiln_AnyTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Kiln_TransposeOp : Kiln_Op<"transpose", [Pure, InferTypeOpAdaptorWithIsCompatible]> {
  let summary = "Permute a tensor's dimensions";
  let description = [{
    `result` dimension `i` is `input` dimension `permutation[i]`, of any
    element type kiln computes with.

    ```mlir
    %t = kiln.transpose %w {permutation = array<i64: 1, 0>} : tensor<784x128xf32> -> tensor<128x784xf32>
    ```
  }];
  let arguments = (ins Kiln_AnyTensor:$input,
                       DenseI64ArrayAttr:$permutation);
  let results = (outs Kiln_AnyTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
  let hasCanonicalizer = 1;
}

def Kiln_ConcatOp : Kiln_Op<"concat", [Pure, InferTypeOpAdaptorWithIsCompatible]> {
  let summary = "Join tensors along one axis";
  let description = [{
    NumPy's `concatenate(inputs, axis)`: the inputs have one rank and agree
    on every dimension but `axis` (negative values count from the back),
    which must be static; the result's `axis` is their sum. Keras's
    Concatenate layer.

    ```mlir
    %c = kiln.concat %a, %b {axis = -1 : i64}
        : (tensor<?x5xf32>, tensor<?x2xf32>) -> tensor<?x7xf32>
    ```
  }];
  let arguments = (ins Variadic<Kiln_AnyTensor>:$inputs, I64Attr:$axis);
  let results = (outs Kiln_AnyTensor:$result);
  let assemblyFormat =
      "$inputs attr-dict `:` functional-type($inputs, results)";
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
  let extraClassDeclaration = [{
    /// `axis` counted from the front, in [0, rank).
    int64_t getNormalizedAxis();
  }];
}

def Kiln_SliceOp : Kiln_Op<"slice", [Pure, InferTypeOpAdaptorWithIsCompatible]> {
  let summary = "A contiguous range of one axis";
  let description = [{
    `input[..., start : start + size, ...]` along `axis` (negative values
    count from the back; a static axis): the gradient of `kiln.concat`.

    ```mlir
    %b = kiln.slice %c {axis = 1 : i64, start = 5 : i64, size = 2 : i64}
        : tensor<?x7xf32> -> tensor<?x2xf32>
    ```
  }];
  let arguments = (ins Kiln_AnyTensor:$input, I64Attr:$axis, I64Attr:$start,
                       I64Attr:$size);
  let results = (outs Kiln_AnyTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// `axis` counted from the front, in [0, rank).
    int64_t getNormalizedAxis();
  }];
}

def Kiln_ZerosOp : Kiln_Op<"zeros", [Pure]> {
  let summary = "Zeros of a static shape with another tensor's batch size";
  let description = [{
    A tensor of zeros of the result type, whose dimensions are static but
    the leading one (the batch), which is `batch_like`'s leading dimension
    (only its size is read): a recurrent layer's initial states.

    ```mlir
    %h0 = kiln.zeros %x : tensor<?x28x28xf32> -> tensor<?x64xf32>
    ```
  }];
  let arguments = (ins Kiln_FloatTensor:$batch_like);
  let results = (outs Kiln_FloatTensor:$result);
  let assemblyFormat =
      "$batch_like attr-dict `:` type($batch_like) `->` type($result)";
  let hasVerifier = 1;
}

def Kiln_BatchIndexOp : Kiln_Op<"batch_index", [Pure]> {
  let summary = "Each row's position in the batch";
  let description = [{
    An i64 tensor whose dimensions are static but the leading one, which is
    `batch_like`'s batch (only its size is read), holding at `[n, ...]` the
    row number `n`: ONNX's `Range(0, batch, 1)`, PyTorch's
    `torch.arange(batch_size)` (Hugging Face's attention masks index the
    mask of each sample with it).

    ```mlir
    %n = kiln.batch_index %ids : tensor<?x8xi64> -> tensor<?x1xi64>
    ```
  }];
  let arguments = (ins Kiln_AnyTensor:$batch_like);
  let results = (outs RankedTensorOf<[I64]>:$result);
  let assemblyFormat =
      "$batch_like attr-dict `:` type($batch_like) `->` type($result)";
  let hasVerifier = 1;
}

def Kiln_BroadcastOp : Kiln_Op<"broadcast", [Pure]> {
  let summary = "Broadcast a tensor to the shape of another";
  let description = [{
    NumPy's `broadcast_to(input, shape(reference))`: `input`'s shape must
    broadcast to `reference`'s (see `kiln.add`); `reference` only provides
    the shape, including its dynamic batch size. The result has
    `reference`'s shape and `input`'s element type.

    ```mlir
    %g = kiln.broadcast %dy, %x : tensor<10xf32>, tensor<?x10xf32> -> tensor<?x10xf32>
    ```
  }];
  let arguments = (ins Kiln_FloatTensor:$input, Kiln_FloatTensor:$reference);
  let results = (outs Kiln_FloatTensor:$result);
  let assemblyFormat =
      "$input `,` $reference attr-dict `:` type($input) `,` type($reference) `->` type($result)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Mode-dependent ops (training vs inference)
//===----------------------------------------------------------------------===//

def Kiln_DropoutOp : Kiln_Op<"dropout", [Pure, SameOperandsAndResultType,
    DeclareOpInterfaceMethods<Kiln_ModeDependentOpInterface,
        ["specializeForInference", "getTrainingUnsupportedReason"]>]> {
  let summary = "Keras Dropout: inverted dropout in training, the identity in inference";
  let description = [{
    In training, each element is zeroed with probability `rate` and the
    others are scaled by `1 / (1 - rate)` (Keras's inverted dropout); in
    inference the op is the identity. `noise_shape`, when given, broadcasts
    one draw across the dimensions where it is 1 (SpatialDropout). The op
    never reaches lowering: `--kiln-specialize-mode` replaces it by its form
    for the function's mode.

    ```mlir
    %y = kiln.dropout %x {rate = 0.5 : f64} : tensor<?x128xf32>
    ```
  }];
  let arguments = (ins Kiln_FloatTensor:$input, F64Attr:$rate,
                       OptionalAttr<DenseI64ArrayAttr>:$noise_shape);
  let results = (outs Kiln_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def Kiln_GaussianNoiseOp : Kiln_Op<"gaussian_noise", [Pure,
    SameOperandsAndResultType,
    DeclareOpInterfaceMethods<Kiln_ModeDependentOpInterface>]> {
  let summary = "Keras GaussianNoise and GaussianDropout: normal noise in training";
  let description = [{
    In training, `x + stddev * z` (Keras's GaussianNoise) or, with
    `multiplicative`, `x * (1 + stddev * z)` (GaussianDropout, stddev
    `sqrt(rate / (1 - rate))`), one standard normal `z` per element drawn by
    Box-Muller from two `kiln.random_uniform` draws u1, u2 (the layer's
    stream and the next one): `z = sqrt(-2 log(1 - u1)) cos(2 pi u2)`. In
    inference the op is the identity. Like `kiln.dropout`, it never reaches
    lowering.

    ```mlir
    %y = kiln.gaussian_noise %x {stddev = 0.1 : f64} : tensor<?x16xf32>
    ```
  }];
  let arguments = (ins Kiln_FloatTensor:$input, F64Attr:$stddev,
                       DefaultValuedAttr<BoolAttr, "false">:$multiplicative);
  let results = (outs Kiln_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def Kiln_AlphaDropoutOp : Kiln_Op<"alpha_dropout", [Pure,
    SameOperandsAndResultType,
    DeclareOpInterfaceMethods<Kiln_ModeDependentOpInterface>]> {
  let summary = "Keras AlphaDropout: SELU-preserving dropout in training";
  let description = [{
    In training each element is kept when its `kiln.random_uniform` draw is
    at least `rate`, else set to SELU's negative saturation
    `alpha' = -alpha * scale`, and the result is `a * x + b` with
    `a = ((1 - rate) (1 + rate alpha'^2))^-1/2` and `b = -a alpha' rate`
    (Keras's formula, which keeps SELU's mean and variance). In inference
    the op is the identity.

    ```mlir
    %y = kiln.alpha_dropout %x {rate = 0.1 : f64} : tensor<?x16xf32>
    ```
  }];
  let arguments = (ins Kiln_FloatTensor:$input, F64Attr:$rate);
  let results = (outs Kiln_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def Kiln_RandomFlipOp : Kiln_Op<"random_flip", [Pure,
    SameOperandsAndResultType,
    DeclareOpInterfaceMethods<Kiln_ModeDependentOpInterface>]> {
  let summary = "Keras RandomFlip: each sample flipped at random in training";
  let description = [{
    In training, each sample (index of dimension 0) is reversed along every
    axis of `axes` (static, not 0) with probability 1/2: one draw per
    sample, shared by the axes, as Keras's RandomFlip draws it ("horizontal
    and vertical" flips both or neither). In inference the op is the
    identity. Like `kiln.dropout`, it never reaches lowering.

    ```mlir
    %y = kiln.random_flip %x {axes = array<i64: 2>} : tensor<?x32x32x3xf32>
    ```
  }];
  let arguments = (ins Kiln_FloatTensor:$input, DenseI64ArrayAttr:$axes);
  let results = (outs Kiln_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def Kiln_ActivityRegularizerOp : Kiln_Op<"activity_regularizer", [Pure,
    SameOperandsAndResultType,
    DeclareOpInterfaceMethods<Kiln_ModeDependentOpInterface>]> {
  let summary = "Keras's activity regularizer on a layer's output";
  let description = [{
    The identity on `input`, a batch `(N, ...)`, marking it for the training
    and evaluation losses, which add `(l1 sum(|x|) + l2 sum(x^2)) / N` (Keras
    adds its activity regularizers' losses divided by the batch size) when
    they are built from the model; then, like `kiln.dropout`, it takes its
    form for the mode (the identity in both) and never reaches lowering.

    ```mlir
    %y = kiln.activity_regularizer %x {l1 = 0.01 : f64, l2 = 0.0 : f64} : tensor<?x16xf32>
    ```
  }];
  let arguments = (ins Kiln_FloatTensor:$input, F64Attr:$l1, F64Attr:$l2);
  let results = (outs Kiln_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def Kiln_RandomAffineOp : Kiln_Op<"random_affine", [Pure,
    SameOperandsAndResultType,
    DeclareOpInterfaceMethods<Kiln_ModeDependentOpInterface>]> {
  let summary = "Keras RandomRotation, RandomZoom, RandomTranslation";
  let description = [{
    In training, each image of a batch `(N, ...)` whose height and width are
    dimensions `axes` (1, 2: channels last; 2, 3: channels first) is moved
    by its own affine map, drawn as Keras 3 draws it from the bounds of
    `kind`, and resampled by `kiln.image_transform` (`interpolation`,
    `fill_mode`, `fill_value`):
    - `rotation`, bounds `[lo, hi]`: an angle of `360 * U(lo, hi)` degrees
      about the image's center;
    - `zoom`, bounds `[hlo, hhi]` or `[hlo, hhi, wlo, whi]`: the map scales
      heights by `1 + U(hlo, hhi)` and widths by `1 + U(wlo, whi)` (by the
      height's draw when only two bounds are given) about the center: a
      factor above 1 shows more of the image (zooms out);
    - `translation`, bounds `[hlo, hhi, wlo, whi]`: shifts of `H * U(hlo,
      hhi)` rows and `W * U(wlo, whi)` columns.
    Each `U(a, b)` is `a + u (b - a)` for its own `kiln.random_uniform` draw
    per image (the layer's stream, and the next for a second draw). In
    inference the op is the identity. Like `kiln.dropout`, it never reaches
    lowering.

    ```mlir
    %y = kiln.random_affine %x {kind = "rotation", bounds = array<f64: -0.1, 0.1>,
           axes = array<i64: 1, 2>, interpolation = "bilinear",
           fill_mode = "reflect", fill_value = 0.0 : f64} : tensor<?x32x32x3xf32>
    ```
  }];
  let arguments = (ins Kiln_FloatTensor:$input, StrAttr:$kind,
                       DenseF64ArrayAttr:$bounds, DenseI64ArrayAttr:$axes,
                       StrAttr:$interpolation, StrAttr:$fill_mode,
                       F64Attr:$fill_value);
  let results = (outs Kiln_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def Kiln_RandomColorOp : Kiln_Op<"random_color", [Pure,
    SameOperandsAndResultType,
    DeclareOpInterfaceMethods<Kiln_ModeDependentOpInterface>]> {
  let summary = "Keras RandomContrast and RandomBrightness";
  let description = [{
    In training, with one draw `f = U(lo, hi)` per image of a batch
    `(N, ...)` (`bounds = [lo, hi]`, `U(a, b) = a + u (b - a)` for the
    layer's `kiln.random_uniform` stream), and `value_range = [a, b]`:
    - `contrast`: `(x - m) f + m`, `m` the image's mean per channel over its
      height and width (`axes`);
    - `brightness`: `x + f (b - a)`;
    each clipped to `[a, b]`. With `per_batch`, one draw serves the whole
    batch (Keras 2's RandomContrast: tf.image.random_contrast draws one
    factor per call). In inference the op is the identity. Like
    `kiln.dropout`, it never reaches lowering.

    ```mlir
    %y = kiln.random_color %x {kind = "contrast", bounds = array<f64: 1.0, 1.2>,
           value_range = array<f64: 0.0, 255.0>, axes = array<i64: 1, 2>}
           : tensor<?x32x32x3xf32>
    ```
  }];
  let arguments = (ins Kiln_FloatTensor:$input, StrAttr:$kind,
                       DenseF64ArrayAttr:$bounds,
                       DenseF64ArrayAttr:$value_range,
                       DenseI64ArrayAttr:$axes,
                       UnitAttr:$per_batch);
  let results = (outs Kiln_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def Kiln_ImageTransformOp : Kiln_Op<"image_transform", [Pure,
    AllTypesMatch<["images", "result"]>]> {
  let summary = "Resample images through projective maps (TensorFlow's ImageProjectiveTransformV3)";
  let description = [{
    `images` `(N, H, W, C)` (static H, W) and one map per image,
    `transforms` `(N, 8)` = `[a0, a1, a2, b0, b1, b2, c0, c1]`: output pixel
    `(y, x)` of image n reads the input at
    `x' = (a0 x + a1 y + a2) / k`, `y' = (b0 x + b1 y + b2) / k`,
    `k = c0 x + c1 y + 1` (`fill_value` where k is 0). Coordinates outside
    the image are first mapped by `fill_mode`: `reflect` (d c b a | a b c d
    | d c b a), `wrap` (a b c d | a b c d), `nearest` (clamped), or
    `constant` (left as they are); then `interpolation` reads the pixel
    (`nearest`: rounded half away from zero) or the four around it
    (`bilinear`), each pixel outside the image reading `fill_value`. Exactly
    TensorFlow's kernel, which Keras 3's `affine_transform` runs.
    Differentiable with respect to neither operand: it resamples model
    inputs (data augmentation).

    ```mlir
    %y = kiln.image_transform %x, %t {interpolation = "bilinear",
           fill_mode = "reflect", fill_value = 0.0 : f64}
           : tensor<?x32x32x3xf32>, tensor<?x8xf32>
    ```
  }];
  let arguments = (ins Kiln_FloatTensor:$images, Kiln_FloatTensor:$transforms,
                       StrAttr:$interpolation, StrAttr:$fill_mode,
                       F64Attr:$fill_value);
  let results = (outs Kiln_FloatTensor:$result);
  let assemblyFormat =
      "$images `,` $transforms attr-dict `:` type($images) `,` type($transforms)";
  let hasVerifier = 1;
}

def Kiln_RandomUniformOp : Kiln_Op<"random_uniform",
    [Pure, AllTypesMatch<["like", "result"]>]> {
  let summary = "Counter-based uniform random numbers in [0, 1), shaped like a tensor";
  let description = [{
    Element `i` (the row-major index in the result) is SplitMix64's output
    for the state `key + (i + 1) * 0x9E3779B97F4A7C15`, where
    `key = mix(seed ^ mix(step ^ mix(stream)))` with `rng = [seed, step]`
    and `mix` the SplitMix64 finalizer; its top 24 bits, times 2^-24, give
    the float. The numbers depend only on (seed, step, stream, index): a
    training step can recompute them, and a test can too. `like` gives only
    the shape (its values are not read); `stream` separates the ops of one
    step (dropout uses a hash of its layer's name).

    ```mlir
    %u = kiln.random_uniform %x, %rng {stream = 42 : i64}
        : tensor<?x128xf32>, tensor<2xi64>
    ```
  }];
  let arguments = (ins Kiln_FloatTensor:$like,
                       RankedTensorOf<[I64], [HasStaticShapePred]>:$rng,
                       I64Attr:$stream);
  let results = (outs Kiln_FloatTensor:$result);
  let assemblyFormat =
      "$like `,` $rng attr-dict `:` type($like) `,` type($rng)";
  let hasVerifier = 1;
}

def Kiln_BatchNormOp : Kiln_Op<"batch_norm", [Pure, AttrSizedOperandSegments,
    DeclareOpInterfaceMethods<Kiln_ModeDependentOpInterface,
        ["specializeForInference", "getTrainingUnsupportedReason"]>]> {
  let summary = "Keras BatchNormalization over one axis";
  let description = [{
    Normalizes `input` per channel of `axis` (negative values count from the
    back). With `inv = rsqrt(variance + epsilon) * gamma` it computes
    `input * inv + (beta - mean * inv)`, where
    - in inference, mean and variance are the moving statistics, and the
      formula is TensorFlow's (one multiply-add per element);
    - in training, they are the batch statistics over every other axis
      (biased variance, as `ops.moments`), the formula is the same value
      written `(input - mean) * inv + beta` (its gradient does not cancel
      in float32 when the mean dwarfs the deviation), and the step updates
      the state `moving = moving * momentum + batch * (1 - momentum)`;
    - with `frozen` (a Keras layer with `trainable: false`) the inference
      form is used in training too, as Keras 3 does;
    - with `step_axis` (a layer inside TimeDistributed, which Keras 3 calls
      once per step), the training statistics are per step and channel,
      and the moving statistics take one update per step, in step order.
    `gamma` and `beta` are absent for `scale=False` / `center=False`. All
    per-channel operands are rank 1 with the channel count. The op never
    reaches lowering: `--kiln-specialize-mode` replaces it by kiln
    arithmetic, which autodiff and the fusion then see.

    ```mlir
    %y = kiln.batch_norm %x, %g, %b, %mean, %var {axis = -1 : i64,
           epsilon = 1.0e-03 : f64, momentum = 0.99 : f64,
           operandSegmentSizes = array<i32: 1, 1, 1, 1, 1>}
         : (tensor<?x6xf32>, tensor<6xf32>, tensor<6xf32>, tensor<6xf32>,
            tensor<6xf32>) -> tensor<?x6xf32>
    ```
  }];
  let arguments = (ins Kiln_FloatTensor:$input,
                       Optional<Kiln_FloatTensor>:$gamma,
                       Optional<Kiln_FloatTensor>:$beta,
                       Kiln_FloatTensor:$moving_mean,
                       Kiln_FloatTensor:$moving_variance,
                       I64Attr:$axis, F64Attr:$epsilon, F64Attr:$momentum,
                       UnitAttr:$frozen, OptionalAttr<I64Attr>:$step_axis);
  let results = (outs Kiln_FloatTensor:$result);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

#endif // KILN_OPS_TD
