"""make_onnx_numerics.py OUT: ONNX models of one node each (or a node on
known operands that the importer folds, then added to a run-time input) at
the edges of their ops' semantics, each case with what it checks. Writes
OUT/NAME.onnx, OUT/NAME_x.npy (and NAME_e.npy for a second input) and
OUT/NAME_ref.npy, ONNX Runtime's output. Run with the tests' virtual
environment's Python (onnx, onnxruntime)."""
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
inf, nan = np.inf, np.nan
DTYPES = {np.float32: TensorProto.FLOAT, np.int64: TensorProto.INT64}


def f32(*v):
    return np.array(v, dtype=np.float32)


def i64(*v):
    return np.array(v, dtype=np.int64)


def case(name, nodes, inputs, inits=None, opset=13, batch="N"):
    """Saves the model of `nodes` (inputs: name -> array, the first
    dimension `batch`, symbolic, unless None; inits: name -> array) and ONNX
    Runtime's output."""
    def first(shape):
        if not shape:
            return []
        return [batch or shape[0]] + list(shape[1:])

    ins = [helper.make_tensor_value_info(k, DTYPES[v.dtype.type],
                                         first(v.shape))
           for k, v in inputs.items()]
    path = os.path.join(out, name + ".onnx")

    def save(outs):
        graph = helper.make_graph(
            nodes, name, ins, outs,
            initializer=[numpy_helper.from_array(v, k)
                         for k, v in (inits or {}).items()])
        model = helper.make_model(
            graph, opset_imports=[helper.make_opsetid("", opset)])
        model.ir_version = 8
        onnx.save(model, path)

    # ONNX Runtime's output gives the output's shape (the first dimension
    # symbolic) for the model kiln reads.
    save([helper.make_empty_tensor_value_info(nodes[-1].output[0])])
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    (ref,) = session.run(None, dict(inputs))
    save([helper.make_tensor_value_info(nodes[-1].output[0],
                                        TensorProto.FLOAT,
                                        first(ref.shape))])
    np.save(os.path.join(out, name + "_ref.npy"), ref)
    for k, v in inputs.items():
        np.save(os.path.join(out, f"{name}_{k}.npy"), v)


N = helper.make_node

# Pow at run time: signs of negative bases with integer exponents, NaN with
# others, y = 0 gives 1 for any x, 0^y, 1^y, infinities.
px = f32(-2, -1.5, 0, 0, 0, 2, inf, -inf, -inf, 1, -1, 3, -2, nan, 4, -1, -8,
         0.5, -inf, 1, 5)
pe = f32(2, 3, 0, -1, 2, 0.5, 0, 3, 0.5, nan, 2.5, 10, -3, 0, -0.5, inf, 1e9,
         -2, -2, inf, 20)
case("pow_rt", [N("Pow", ["x", "e"], ["y"])],
     {"x": px.reshape(-1, 1), "e": pe.reshape(-1, 1)})
# An int64 exponent computed at run time.
case("pow_rt_i64", [N("Pow", ["x", "e"], ["y"])],
     {"x": f32(-2, -1.5, 0, 3, 2).reshape(-1, 1),
      "e": i64(2, 3, 0, 10, -2).reshape(-1, 1)})
# Known exponents: integers multiply out (any size, int64 too), 0 is 1 even
# for inf and NaN, 1.5 is NaN for negative bases.
base = f32(-2, -1.5, 1.1, 0.5, 0, inf, -inf, nan).reshape(-1, 1)
for name, e in [("9", np.float32(9)), ("10_i64", np.int64(10)),
                ("0", np.float32(0)), ("m3", np.float32(-3)),
                ("1p5", np.float32(1.5)), ("vec", f32(2, 3, 0, -1, 1.5, 9))]:
    case("pow_known_" + name, [N("Pow", ["x", "e"], ["y"])], {"x": base},
         {"e": e})

# Div of known floats by zero, folded: IEEE (inf, -inf, NaN), then added to a
# run-time input.
case("div_fold_zero",
     [N("Div", ["a", "b"], ["c"]), N("Add", ["x", "c"], ["y"])],
     {"x": f32(1, 1, 1, 1).reshape(1, 4)},
     {"a": f32(1, -1, 0, 3), "b": f32(0, 0, 0, 2)})

# Mod with fmod = 1 at run time is C's fmod, exact: quotients up to 2^277
# (1e8 mod 3 is 1; x - trunc(x / y) * y would give -2), signs of the
# dividend (-0 kept), y = 0 and x = +-inf NaN, y = +-inf leaves x, NaN in
# either place; then values drawn across the whole float32 range, and
# opset 10's version.
mx = f32(1e8, -1e8, 5.5, -5.5, 5.5, 0.3, -0.0, 7, 3e38, 1e-38, 3e38, 7, inf,
         -inf, 2.5, -2.5, nan, 1, 16777215, 1.5e-45, 1e30)
my = f32(3, 3, 2, 2, -2, 0.1, 3, 0, 1.5e-45, 3e-39, 1e-38, 7, 2, 2, inf,
         -inf, 1, nan, 0.75, 1e-45, 1.17549435e-38)
rng = np.random.default_rng(7)
wide = (rng.standard_normal(200) * 10.0 ** rng.integers(-30, 30, 200))
wide_y = (rng.standard_normal(200) * 10.0 ** rng.integers(-30, 30, 200))
case("mod_rt", [N("Mod", ["x", "e"], ["y"], fmod=1)],
     {"x": np.concatenate([mx, wide.astype(np.float32)]).reshape(-1, 1),
      "e": np.concatenate([my, wide_y.astype(np.float32)]).reshape(-1, 1)})
case("mod_rt10", [N("Mod", ["x", "e"], ["y"], fmod=1)],
     {"x": f32(7.5, -7.5, 1e8).reshape(-1, 1),
      "e": f32(2, 2, 7).reshape(-1, 1)}, opset=10)
# Known integers fold, Python's sign (fmod = 0: the divisor's) and C's
# (fmod = 1), then added to a run-time input as floats.
case("mod_fold",
     [N("Mod", ["a", "b"], ["c"]), N("Mod", ["a", "b"], ["d"], fmod=1),
      N("Sub", ["c", "d"], ["cd"]), N("Cast", ["cd"], ["f"], to=1),
      N("Add", ["x", "f"], ["y"])],
     {"x": f32(1, 1, 1, 1).reshape(1, 4)},
     {"a": i64(7, -7, 7, -7), "b": i64(3, 3, -3, -3)})

# Integer tables an exporter computes from constants (BEiT's relative
# position index, through PyTorch's TorchScript exporter) fold when
# compiling: Expand of a Range, ScatterND of known int64 operands (none,
# add, mul, max, min; negative tuples), ReduceSum/ReduceMax over an inner
# axis of a rank-3 int64 tensor; then cast and added to a run-time input.
rows = [N("Range", ["zero", "four", "one"], ["r"]),
        N("Reshape", ["r", "col"], ["rc"]),
        N("Expand", ["rc", "sq"], ["grid"]),
        N("ScatterND", ["grid", "tuples", "upd"], ["s0"]),
        N("ScatterND", ["s0", "tuples2", "upd"], ["s1"], reduction="add"),
        N("ScatterND", ["s1", "tuples", "upd"], ["s2"], reduction="mul"),
        N("ScatterND", ["s2", "tuples2", "upd"], ["s3"], reduction="max"),
        N("ScatterND", ["s3", "tuples", "upd"], ["s4"], reduction="min"),
        N("Unsqueeze", ["s4", "last"], ["s5"]),
        N("Concat", ["s5", "s5"], ["s6"], axis=2),
        N("ReduceSum", ["s6", "last"], ["t"], keepdims=0),
        N("ReduceMax", ["s6", "mid"], ["u"], keepdims=0),
        N("Mul", ["t", "u"], ["v"]),
        N("Cast", ["v"], ["f"], to=TensorProto.FLOAT),
        N("Add", ["x", "f"], ["y"])]
case("int_tables", rows, {"x": np.ones((2, 4, 4), np.float32)},
     {"zero": np.int64(0), "four": np.int64(4), "one": np.int64(1),
      "col": i64(4, 1), "sq": i64(4, 4), "last": i64(-1), "mid": i64(1, 2),
      "tuples": i64([0, 1], [-1, 2], [2, 0]),
      "tuples2": i64([3, 3], [-4, -3], [1, 1]),
      "upd": i64(-7, 5, 9)}, opset=18)

# ReduceLogSumExp of large values, of -inf rows and of a +inf.
case("rlse", [N("ReduceLogSumExp", ["x"], ["y"], axes=[1], keepdims=0)],
     {"x": f32([1000, 0], [-inf, -inf], [-inf, 3], [inf, 1], [-1000, -1001],
               [88, 89])})
case("rlse_keep", [N("ReduceLogSumExp", ["x"], ["y"], axes=[1, 2])],
     {"x": np.array([[[500, 1], [2, 499]], [[-3, -inf], [-inf, -inf]]],
                    dtype=np.float32)})

# Casts of known tensors: float to uint8 wraps like ONNX Runtime, int64 to
# int32 wraps like the run-time cast; back to float and added.
case("cast_fold",
     [N("Cast", ["a"], ["au8"], to=TensorProto.UINT8),
      N("Cast", ["au8"], ["af"], to=TensorProto.FLOAT),
      N("Cast", ["b"], ["bi32"], to=TensorProto.INT32),
      N("Cast", ["bi32"], ["bf"], to=TensorProto.FLOAT),
      N("Cast", ["c"], ["ci8"], to=TensorProto.INT8),
      N("Cast", ["ci8"], ["cf"], to=TensorProto.FLOAT),
      N("Concat", ["af", "bf", "cf"], ["all"], axis=0),
      N("Add", ["x", "all"], ["y"])],
     {"x": np.zeros((1, 8), np.float32)},
     {"a": f32(-1, 300, 2.5), "b": i64(2**31 + 5, -(2**33) - 7, 70000),
      "c": i64(200, -129)})

# Slice with a negative step and a start before -dim: the start clamps to 0
# (one element), on a known tensor folded and on a run-time one (of static
# shape: kiln refuses a negative step on a batched tensor).
sl = {"st": i64(-10), "en": i64(-100), "ax": i64(0), "sp": i64(-1)}
case("slice_fold_negstep",
     [N("Slice", ["t", "st", "en", "ax", "sp"], ["s"]),
      N("Add", ["x", "s"], ["y"])],
     {"x": f32(0, 10, 20).reshape(3, 1)}, dict(t=f32(1, 2, 3, 4, 5), **sl))
case("slice_rt_negstep",
     [N("Slice", ["x", "st", "en", "ax", "sp"], ["y"])],
     {"x": np.arange(24, dtype=np.float32).reshape(2, 3, 4)},
     {"st": i64(-7, 5), "en": i64(-100, -100), "ax": i64(2, 1),
      "sp": i64(-1, -2)}, batch=None)

# Slice with steps on a batched tensor: x[:, 1::2, ::3, 2::5] of (N, 8, 5,
# 3), where the last step-row runs past the end (Swin's patch merging
# through the TorchScript exporter: x[:, 1::2] of an even dimension), and
# one that picks a single element.
case("slice_batched_steps",
     [N("Slice", ["x", "st", "en", "ax", "sp"], ["y"])],
     {"x": np.arange(240, dtype=np.float32).reshape(2, 8, 5, 3)},
     {"st": i64(1, 0, 2), "en": i64(2**63 - 1, 2**63 - 1, 2**63 - 1),
      "ax": i64(1, 2, 3), "sp": i64(2, 3, 5)})

# BatchNormalization with training_mode = 1 standardizes a kernel (timm's
# NFNet and BiT convolutions, F.batch_norm(training=True) exported by
# PyTorch): the statistics of the initializer itself, over every axis but
# 1, with its running-statistics outputs named but unread.
rng = np.random.default_rng(11)
case("bn_train_weights",
     [N("BatchNormalization", ["w", "g", "b", "m", "v"], ["wn", "rm", "rv"],
        epsilon=1e-4, momentum=1.0, training_mode=1),
      N("Reshape", ["wn", "ks"], ["k"]),
      N("MatMul", ["x", "k"], ["y"])],
     {"x": rng.standard_normal((3, 4)).astype(np.float32)},
     {"w": rng.standard_normal((1, 4, 6)).astype(np.float32),
      "g": rng.standard_normal(4).astype(np.float32),
      "b": rng.standard_normal(4).astype(np.float32),
      "m": np.zeros(4, np.float32), "v": np.ones(4, np.float32),
      "ks": i64(4, 6)}, opset=15)
# The same on activations of a static batch, and its running statistics:
# input_mean * momentum + mean * (1 - momentum), the biased variance so.
bn_x = rng.standard_normal((2, 3, 2, 5)).astype(np.float32)
bn_inits = {"g": rng.standard_normal(3).astype(np.float32),
            "b": rng.standard_normal(3).astype(np.float32),
            "m": rng.standard_normal(3).astype(np.float32),
            "v": rng.uniform(0.5, 2, 3).astype(np.float32)}
case("bn_train_static",
     [N("BatchNormalization", ["x", "g", "b", "m", "v"], ["y", "rm", "rv"],
        epsilon=1e-3, training_mode=1)],
     {"x": bn_x}, bn_inits, opset=15, batch=None)
case("bn_train_running",
     [N("BatchNormalization", ["x", "g", "b", "m", "v"], ["y", "rm", "rv"],
        epsilon=1e-3, momentum=0.7, training_mode=1),
      N("Concat", ["rm", "rv"], ["r"], axis=0)],
     {"x": bn_x}, bn_inits, opset=15, batch=None)

# Clip of a size computed in float from the input's shape folds (timm's
# "same" padding: max((ceil(n / s) - 1) * s + k - n, 0)): here Pad's
# amounts along dimension 1, clip(3 - 5, 0) = 0 before and clip(7 - 5, 0)
# = 2 after, must be known. (A float initializer would be a parameter.)
case("clip_known_pads",
     [N("Constant", [], ["sz"], value=numpy_helper.from_array(f32(3, 7))),
      N("Shape", ["x"], ["s"]),
      N("Gather", ["s", "one"], ["n"], axis=0),
      N("Cast", ["n"], ["nf"], to=TensorProto.FLOAT),
      N("Sub", ["sz", "nf"], ["d"]),
      N("Clip", ["d", "zero"], ["c"]),
      N("Cast", ["c"], ["ci"], to=TensorProto.INT64),
      N("Concat", ["ci", "z2"], ["cz"], axis=0),
      N("Gather", ["cz", "order"], ["pads"], axis=0),
      N("Pad", ["x", "pads", "pv"], ["y"])],
     {"x": rng.standard_normal((2, 5)).astype(np.float32)},
     {"one": i64(1), "zero": np.float32(0),
      "z2": i64(0, 0), "order": i64(2, 0, 3, 1), "pv": np.float32(-1)})

# Infinities through ThresholdedRelu and Shrink stay infinities.
edge = f32(-inf, inf, -1, 0.5, 1, 1.5, -0.7, 0.6).reshape(1, -1)
case("thresholded_relu", [N("ThresholdedRelu", ["x"], ["y"], alpha=1.0)],
     {"x": edge})
case("shrink", [N("Shrink", ["x"], ["y"], lambd=0.5, bias=0.1)], {"x": edge})

# Clip with min > max (operands, opset 11): max everywhere. (ONNX Runtime
# refuses opset 6's attributes in that order, and so does kiln.)
case("clip11_inverted", [N("Clip", ["x", "lo", "hi"], ["y"])],
     {"x": f32(-1, 0.4, 2, -inf).reshape(1, -1)},
     {"lo": np.float32(0.5), "hi": np.float32(0.1)})

# DepthToSpace (CRD: the block position is the channel's minor index) and
# SpaceToDepth on a dynamic batch.
rng = np.random.default_rng(5)
case("depth_to_space_crd",
     [N("DepthToSpace", ["x"], ["y"], blocksize=2, mode="CRD")],
     {"x": np.arange(96, dtype=np.float32).reshape(2, 8, 2, 3)})
case("space_to_depth", [N("SpaceToDepth", ["x"], ["y"], blocksize=2)],
     {"x": np.arange(96, dtype=np.float32).reshape(2, 2, 4, 6)})

# Hardmax: ties go to the first largest element; before opset 13 over the
# input flattened at axis (rows of 8 here), from 13 along the axis alone.
hx = np.array([[[1, 5, 5, 0], [2, 5, 1, 1]], [[0, 0, 0, 0], [-1, -1, -2, -3]],
               [[3, 1, 4, 1], [5, 9, 2, 6]]], dtype=np.float32)
case("hardmax11", [N("Hardmax", ["x"], ["y"], axis=1)], {"x": hx}, opset=11)
case("hardmax13_axis1", [N("Hardmax", ["x"], ["y"], axis=1)], {"x": hx})

# OneHot of int64 indices along axis 1: negative ones count from the end,
# those out of [-depth, depth) give the off value throughout.
case("onehot_negative", [N("OneHot", ["x", "depth", "values"], ["y"], axis=1)],
     {"x": i64([-1, 5], [10, -6], [0, 2])},
     {"depth": f32(5), "values": f32(-1.5, 2.25)}, opset=11)

# The same of known indices folds when compiling (timm's gcvit builds
# Tile's repeats so), integer values included: (2, 4, 2) added to x.
case("onehot_known",
     [N("Constant", [], ["i"],
        value=numpy_helper.from_array(i64([0, -1], [5, 2]))),
      N("OneHot", ["i", "depth", "values"], ["h"], axis=1),
      N("Cast", ["h"], ["hf"], to=TensorProto.FLOAT),
      N("Add", ["x", "hf"], ["y"])],
     {"x": rng.standard_normal((2, 2, 4, 2)).astype(np.float32)},
     {"depth": i64(4), "values": i64(2, 7)}, opset=11)

# SplitToSequence and SequenceAt, as torch.export writes split_with_sizes
# without its optimizer: sizes [2, 4] (SequenceAt 1 and -2), a scalar 2
# (parts 2, 2, 2; SequenceAt 2) and none with keepdims 0 (rows of axis 2,
# dropped; SequenceAt 3, scaling x's rows), concatenated.
case("split_to_sequence",
     [N("SplitToSequence", ["x", "sizes"], ["parts"], axis=1),
      N("SequenceAt", ["parts", "one"], ["b"]),
      N("SequenceAt", ["parts", "minus_two"], ["a"]),
      N("SplitToSequence", ["x", "two"], ["halves"], axis=1),
      N("SequenceAt", ["halves", "two"], ["c"]),
      N("SplitToSequence", ["x"], ["rows"], axis=2, keepdims=0),
      N("SequenceAt", ["rows", "three"], ["d"]),
      N("Unsqueeze", ["d", "axis2"], ["d3"]),
      N("Mul", ["x", "d3"], ["xd"]),
      N("Concat", ["a", "b", "c", "xd"], ["y"], axis=1)],
     {"x": rng.standard_normal((3, 6, 4)).astype(np.float32)},
     {"sizes": i64(2, 4), "one": np.array(1, np.int64),
      "minus_two": np.array(-2, np.int64), "two": np.array(2, np.int64),
      "three": np.array(3, np.int64), "axis2": i64(2)}, opset=13)

# MeanVarianceNormalization over its default axes (0, 2, 3), across the
# batch: epsilon 1e-9 on the deviation, taken from the moments.
case("mvn", [N("MeanVarianceNormalization", ["x"], ["y"])],
     {"x": rng.normal(2, 3, (3, 2, 2, 2)).astype(np.float32)})

# CastLike to an int64 initializer's type (truncation toward zero) and back
# to the float input's.
case("castlike",
     [N("CastLike", ["x", "like"], ["i"]), N("CastLike", ["i", "x"], ["y"])],
     {"x": f32(-2.7, 3.9, 1e10, -0.5).reshape(-1, 1)}, {"like": i64(0)},
     opset=15)

# GatherElements of run-time int64 indices (negative ones count from the
# end) along axis 1 of a batch, and along the last axis with indices smaller
# than the data in axis 1.
gd = np.arange(24, dtype=np.float32).reshape(2, 3, 4) * 1.5 - 7
case("gather_elements_axis1",
     [N("GatherElements", ["x", "e"], ["y"], axis=1)],
     {"x": gd, "e": i64([[0, -1, 2, 1], [2, 2, -3, 0]],
                        [[1, 0, 0, -2], [-1, 1, 2, 0]])})
case("gather_elements_last",
     [N("GatherElements", ["x", "e"], ["y"], axis=-1)],
     {"x": gd, "e": i64([[3, 0], [-1, 2]], [[1, 1], [0, -4]])})
# ... and of known indices (an initializer), along axis 2, on a static
# batch: the indices' first dimension (2) must fit in the data's, which a
# dynamic batch does not promise.
case("gather_elements_known",
     [N("GatherElements", ["x", "idx"], ["y"], axis=2)], {"x": gd},
     {"idx": np.array([[[3, 0], [-1, 2], [1, 1]]] * 2, dtype=np.int64)},
     batch=None)

# The trigonometric functions and their inverses at their domains' edges
# (NaN outside them) and the hyperbolic ones where exp(x) or x^2 overflows
# before the result does, with the rounding ops on halves (Round: to even),
# each op on the same values, their outputs side by side. The trigonometric
# ones stay within |x| <= 100: a GPU kernel's sin and cos are polynomials
# after a single-precision range reduction.
def side_by_side(name, ops, values, opset=13):
    nodes = [N(op, ["x"], [op.lower()]) for op in ops]
    nodes.append(N("Concat", [op.lower() for op in ops], ["y"], axis=1))
    case(name, nodes, {"x": values.reshape(1, -1)}, opset=opset)


side_by_side("trig", ["Sin", "Cos", "Tan", "Asin", "Acos", "Atan"],
             f32(-100, -3.14159, -1.5, -1, -0.5, -1e-5, 0, 1e-5, 0.5, 0.999,
                 1, 1.5, 3, 100, nan))
side_by_side("atan_infinite", ["Atan"], f32(-inf, inf, 1e30, -1e30))
side_by_side("hyperbolic_rounding",
             ["Sinh", "Cosh", "Asinh", "Acosh", "Atanh", "Floor", "Ceil",
              "Round"],
             f32(-inf, -1e30, -90, -89, -2.5, -1.5, -1, -0.5, -1e-5, 0, 1e-8,
                 0.5, 0.999, 1, 1.001, 1.5, 2.5, 2.7, 20.5, 89, 90, 1e30, inf,
                 nan), opset=11)
# ... and the odd ones near 0, scaled by 1e6 so that 1e-5 checks them to
# 1e-6 of their values (exp(x) - exp(-x) would lose digits there).
small_ops = ["Sin", "Tan", "Asin", "Atan", "Sinh", "Asinh", "Atanh"]
case("odd_near_zero",
     [N(op, ["x"], [op.lower()]) for op in small_ops] +
     [N("Concat", [op.lower() for op in small_ops], ["c"], axis=1),
      N("Mul", ["c", "scale"], ["y"])],
     {"x": f32(1e-7, -3e-6, 1e-4, -2e-3, 3e-2).reshape(1, -1)},
     {"scale": np.float32(1e6)})

# IsInf detecting neither infinity is false everywhere; IsNaN or IsInf of
# the negative infinity alone (as floats).
special = f32(-inf, inf, nan, -1e38, 0, 3).reshape(1, -1)
case("isinf_none",
     [N("IsInf", ["x"], ["b"], detect_negative=0, detect_positive=0),
      N("Cast", ["b"], ["y"], to=TensorProto.FLOAT)], {"x": special})
case("isnan_or_neginf",
     [N("IsNaN", ["x"], ["n"]), N("IsInf", ["x"], ["i"], detect_positive=0),
      N("Or", ["n", "i"], ["b"]), N("Cast", ["b"], ["y"], to=TensorProto.FLOAT)],
     {"x": special})

# LRN across 5 channels of a dynamic batch, each summing its neighbours
# (channels past either end left out). ONNX Runtime takes odd sizes only.
case("lrn", [N("LRN", ["x"], ["y"], size=3, alpha=0.5, beta=0.6, bias=2.0)],
     {"x": rng.normal(0, 2, (2, 5, 3, 2)).astype(np.float32)})

# ScatterElements along axis 1 of a batch, the run-time indices smaller
# than the data outside the axis (the rest of the data stays), negative ones
# from the end: written (none) and added (add, duplicates summing).
sd = np.arange(24, dtype=np.float32).reshape(2, 3, 4) * 0.5 - 3
si = np.array([[[0, -1], [2, 1]], [[1, 0], [-3, 2]]], np.int64)
case("scatter_elements_none",
     [N("ScatterElements", ["x", "e", "u"], ["y"], axis=1)],
     {"x": sd, "e": si, "u": f32(*range(8)).reshape(2, 2, 2) + 10},
     opset=16)
case("scatter_elements_add",
     [N("ScatterElements", ["x", "e", "u"], ["y"], axis=2, reduction="add")],
     {"x": sd,
      "e": np.array([[[1, 1, -4], [0, 3, 3]], [[2, 2, 2], [1, 0, 1]]],
                    np.int64),
      "u": rng.normal(size=(2, 2, 3)).astype(np.float32)}, opset=16)
# ... and of known indices (an initializer) along the last axis, on a
# static batch (for the gradients of the data and the updates).
case("scatter_elements_known",
     [N("ScatterElements", ["x", "idx", "u"], ["y"], axis=-1)],
     {"x": sd, "u": rng.normal(size=(2, 3, 2)).astype(np.float32)},
     {"idx": np.array([[[3, 0], [-1, 1], [2, 2]]] * 2, np.int64)},
     opset=13, batch=None)

# Trilu keeps the triangle and zeroes the rest, infinities and NaN included
# (a select, not a product with a mask), over a dynamic batch.
case("trilu_inf",
     [N("Trilu", ["x"], ["y"], upper=0)],
     {"x": np.array([[[1, inf, nan], [-inf, 2, inf], [nan, 3, 4]],
                     [[5, nan, -inf], [6, 7, nan], [inf, 8, 9]]],
                    dtype=np.float32)}, opset=14)

# The losses over a batch of run-time int64 targets: SoftmaxCrossEntropyLoss
# averaged over the weights of the targets not ignored (class 1 ignored,
# targets 1 and 3 of it), NegativeLogLikelihoodLoss per element with a
# negative ignore_index (zeros there), and summed with class weights.
lx = rng.normal(size=(4, 3, 2)).astype(np.float32)
lt = i64([0, 1], [2, 2], [1, 0], [2, 1])
case("sce_mean_weight_ii",
     [N("SoftmaxCrossEntropyLoss", ["x", "e", "w"], ["y"], ignore_index=1)],
     {"x": lx, "e": lt}, {"w": f32(0.5, 2.0, 1.5)})
case("nll_none_negative_ii",
     [N("NegativeLogLikelihoodLoss", ["x", "e"], ["y"], reduction="none",
        ignore_index=-1)],
     {"x": lx, "e": i64([0, -1], [2, 2], [-1, 0], [2, 1])})
case("nll_sum_weight",
     [N("NegativeLogLikelihoodLoss", ["x", "e", "w"], ["y"],
        reduction="sum")],
     {"x": lx, "e": lt}, {"w": f32(0.5, 2.0, 1.5)})
# ... and of known targets, for the gradient of the scores.
case("sce_known",
     [N("SoftmaxCrossEntropyLoss", ["x", "t", "w"], ["y"], ignore_index=0)],
     {"x": lx}, {"t": lt, "w": f32(0.5, 2.0, 1.5)}, batch=None)

# Einsum (frontend/Einsum.h) over a dynamic batch: attention scores (batch
# and head labels, both operands' positions free: a batched matmul between
# transposes), a projection with an elided leading dimension and a known
# kernel (one matmul), three operands contracted left to right, a label
# one operand alone carries summed first, an outer product, and a free
# batch label beside a shared one (the broadcast product).
ex = rng.normal(size=(3, 4, 2, 3)).astype(np.float32)
case("einsum_attn", [N("Einsum", ["x", "e"], ["y"], equation="bqhd,bkhd->bhqk")],
     {"x": ex, "e": rng.normal(size=(3, 5, 2, 3)).astype(np.float32)},
     opset=12)
case("einsum_ellipsis",
     [N("Einsum", ["x", "w"], ["y"], equation="...ij,jk->...ik")],
     {"x": ex}, {"w": rng.normal(size=(3, 5)).astype(np.float32)}, opset=12)
case("einsum_three",
     [N("Einsum", ["x", "w", "e"], ["y"], equation="bi, ij, bj -> b")],
     {"x": rng.normal(size=(3, 4)).astype(np.float32),
      "e": rng.normal(size=(3, 5)).astype(np.float32)},
     {"w": rng.normal(size=(4, 5)).astype(np.float32)}, opset=12)
case("einsum_sum_first",
     [N("Einsum", ["x", "e"], ["y"], equation="bqhd,bq->bhd")],
     {"x": ex, "e": rng.normal(size=(3, 4)).astype(np.float32)}, opset=12)
case("einsum_outer", [N("Einsum", ["x", "e"], ["y"], equation="bi,bj->bij")],
     {"x": rng.normal(size=(3, 4)).astype(np.float32),
      "e": rng.normal(size=(3, 2)).astype(np.float32)}, opset=12)
case("einsum_broadcast",
     [N("Einsum", ["x", "w"], ["y"], equation="bhi,hi->bh")],
     {"x": rng.normal(size=(3, 2, 4)).astype(np.float32)},
     {"w": rng.normal(size=(2, 4)).astype(np.float32)}, opset=12)
