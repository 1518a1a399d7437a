"""Writes small ONNX models for the importer's lit tests (onnx.helper, from
Debian's python3-onnx; run with /usr/bin/python3): a channels-first CNN
block with a dynamic batch, a Gemm head and shape arithmetic exporters
write; and one broken model per error the importer reports."""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
rng = np.random.default_rng(0)


def save(name, nodes, inputs, outputs, inits=(), opset=13, check=True, ir=8):
    graph = helper.make_graph(nodes, name, inputs, outputs, list(inits))
    model = helper.make_model(graph,
                              opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = ir
    if check:
        onnx.checker.check_model(model)
    onnx.save(model, os.path.join(out, name + ".onnx"))


def init(name, shape, dtype=np.float32):
    return numpy_helper.from_array(
        rng.standard_normal(shape).astype(dtype), name)


def value(name, shape, elem=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, elem, shape)


# Conv -> Relu -> MaxPool -> Flatten (via Shape/Gather/Concat/Reshape) ->
# Gemm(transB) -> Softmax, batch "N".
shape_nodes = [
    helper.make_node("Shape", ["p"], ["s"]),
    helper.make_node("Gather", ["s", "zero"], ["n"], axis=0),
    helper.make_node("Unsqueeze", ["n", "axes0"], ["n1"]),
    helper.make_node("Concat", ["n1", "minus1"], ["target"], axis=0),
]
save("cnn", [
    helper.make_node("Conv", ["x", "w", "b"], ["c"], kernel_shape=[3, 3],
                     pads=[1, 1, 1, 1]),
    helper.make_node("Relu", ["c"], ["r"]),
    helper.make_node("MaxPool", ["r"], ["p"], kernel_shape=[2, 2],
                     strides=[2, 2]),
    helper.make_node("Flatten", ["p"], ["f"], axis=1),
    helper.make_node("Gemm", ["f", "fc_w", "fc_b"], ["logits"], transB=1),
    helper.make_node("Softmax", ["logits"], ["y"], axis=-1),
], [value("x", ["N", 1, 8, 8])], [value("y", ["N", 10])], [
    init("w", (4, 1, 3, 3)), init("b", (4,)), init("fc_w", (10, 64)),
    init("fc_b", (10,))])

# Shape arithmetic folded at compile time (static shapes).
save("reshape_chain", [helper.make_node("Relu", ["x"], ["p"])] +
     shape_nodes + [helper.make_node("Reshape", ["p", "target"], ["y"])], [value("x", [2, 3, 4])], [value("y", [2, 12])], [
    numpy_helper.from_array(np.array(0, np.int64), "zero"),
    numpy_helper.from_array(np.array([0], np.int64), "axes0"),
    numpy_helper.from_array(np.array([-1], np.int64), "minus1")])

# ConvTranspose (stride 2, pads, output_padding, bias), Pad (reflect, a
# constant value), Resize (nearest x2, linear) and ReduceMax, batch "N".
save("convtranspose", [
    helper.make_node("ConvTranspose", ["x", "w", "b"], ["y"], strides=[2, 2],
                     pads=[1, 1, 0, 0], output_padding=[1, 1]),
], [value("x", ["N", 2, 3, 3])], [value("y", ["N", 4, 7, 7])],
     [init("w", (2, 4, 3, 3)), init("b", (4,))])
save("pad", [
    helper.make_node("Pad", ["x", "p1"], ["r"], mode="reflect"),
    helper.make_node("Pad", ["r", "p2", "v"], ["y"], mode="constant"),
], [value("x", ["N", 2, 4, 4])], [value("y", ["N", 2, 5, 6])], [
    numpy_helper.from_array(np.array([0, 0, 2, 0, 0, 0, 0, -1], np.int64),
                            "p1"),
    numpy_helper.from_array(np.array([0, 0, 0, 1, 0, 0, -1, 2], np.int64),
                            "p2"),
    numpy_helper.from_array(np.array(1.5, np.float32), "v")])
save("resize", [
    helper.make_node("Resize", ["x", "", "s1"], ["n"], mode="nearest"),
    helper.make_node("Resize", ["n", "", "s2"], ["y"], mode="linear"),
], [value("x", ["N", 2, 3, 4])], [value("y", ["N", 2, 6, 6])], [
    numpy_helper.from_array(np.array([1, 1, 2, 2], np.float32), "s1"),
    numpy_helper.from_array(np.array([1, 1, 1, 0.75], np.float32), "s2")])
save("reduce_max", [
    helper.make_node("ReduceMax", ["x"], ["m"], axes=[1, 3], keepdims=0),
    helper.make_node("ReduceMin", ["m"], ["y"], axes=[1], keepdims=1),
], [value("x", ["N", 2, 3, 4])], [value("y", ["N", 1])])
# Every new op with parameters before it, for gradcheck.
save("resample_grad", [
    helper.make_node("ConvTranspose", ["x", "gw", "gb"], ["t"], group=2,
                     strides=[2, 2], pads=[1, 0, 0, 1],
                     output_padding=[1, 1]),
    helper.make_node("Pad", ["t", "gp1"], ["p"], mode="reflect"),
    helper.make_node("Pad", ["p", "gp2"], ["q"], mode="edge"),
    helper.make_node("Pad", ["q", "gp3", "v"], ["r"], mode="constant"),
    helper.make_node("Resize", ["r", "", "s1"], ["u"], mode="nearest"),
    helper.make_node("Resize", ["u", "", "gs"], ["v2"], mode="cubic"),
    helper.make_node("Mul", ["v2", "gk"], ["vk"]),
    helper.make_node("ReduceMax", ["vk"], ["m"], axes=[2], keepdims=1),
    helper.make_node("ReduceMin", ["vk"], ["n"], axes=[1, 3], keepdims=0),
    helper.make_node("Flatten", ["m"], ["mf"]),
    helper.make_node("Flatten", ["n"], ["nf"]),
    helper.make_node("Concat", ["mf", "nf"], ["y"], axis=1),
], [value("x", ["N", 4, 3, 3])], [value("y", ["N", 47])], [
    init("gw", (4, 3, 3, 3)), init("gb", (6,)),
    numpy_helper.from_array(np.array([0, 0, 2, -1, 0, 0, 1, 2], np.int64),
                            "gp1"),
    numpy_helper.from_array(np.array([0, 0, 1, 0, 0, 0, 0, 1], np.int64),
                            "gp2"),
    numpy_helper.from_array(np.array([0, 1, 0, 1, 0, 0, 1, 0], np.int64),
                            "gp3"),
    numpy_helper.from_array(np.array(0.5, np.float32), "v"),
    numpy_helper.from_array(np.array([1, 1, 2, 1], np.float32), "s1"),
    numpy_helper.from_array(np.array([1, 1, 0.5, 0.5], np.float32), "gs"),
    init("gk", (7, 12, 5))])

# Errors.
save("unsupported_op", [helper.make_node("Det", ["x"], ["y"], name="det0")],
     [value("x", [2, 3, 3])], [value("y", [2])])
save("bad_attribute", [
    helper.make_node("Relu", ["x"], ["y"], name="relu0", alpha=0.5)],
     [value("x", [2, 3])], [value("y", [2, 3])], check=False)
save("symbolic", [helper.make_node("Relu", ["x"], ["y"])],
     [value("x", ["N", "T", 4])], [value("y", ["N", "T", 4])])
save("opset22", [helper.make_node("Relu", ["x"], ["y"])],
     [value("x", [2, 3])], [value("y", [2, 3])], opset=22, check=False,
     ir=10)
save("int_input", [helper.make_node("Neg", ["x"], ["y"], name="neg")],
     [value("x", [2, 3], TensorProto.INT64)],
     [value("y", [2, 3], TensorProto.INT64)])
save("runtime_shape", [
    helper.make_node("Reshape", ["x", "shape"], ["y"], name="reshape0")],
     [value("x", [2, 3]), value("shape", [2], TensorProto.INT64)],
     [value("y", [3, 2])])
save("bad_broadcast", [helper.make_node("Add", ["x", "z"], ["y"], name="add")],
     [value("x", [2, 3]), value("z", [4])], [value("y", [2, 3])],
     check=False)
save("convtranspose_bias", [
    helper.make_node("ConvTranspose", ["x", "w", "b"], ["y"], name="ct")],
     [value("x", [1, 2, 3, 3])], [value("y", [1, 4, 5, 5])],
     [init("w", (2, 4, 3, 3)), init("b", (5,))])
save("convtranspose_groups", [
    helper.make_node("ConvTranspose", ["x", "w"], ["y"], name="ct", group=2)],
     [value("x", [1, 3, 3, 3])], [value("y", [1, 4, 5, 5])],
     [init("w", (3, 2, 3, 3))])
save("convtranspose_same10", [
    helper.make_node("ConvTranspose", ["x", "w"], ["y"], name="ct",
                     auto_pad="SAME_UPPER", strides=[2, 2])],
     [value("x", [1, 2, 3, 3])], [value("y", [1, 4, 6, 6])],
     [init("w", (2, 4, 3, 3))], opset=10)
save("pad_mode", [helper.make_node("Pad", ["x", "p"], ["y"], name="pad",
                                   mode="wrap")],
     [value("x", [2, 4])], [value("y", [2, 6])],
     [numpy_helper.from_array(np.array([0, 1, 0, 1], np.int64), "p")])
save("pad_reflect", [helper.make_node("Pad", ["x", "p"], ["y"], name="pad",
                                      mode="reflect")],
     [value("x", [2, 4])], [value("y", [2, 8])],
     [numpy_helper.from_array(np.array([0, 4, 0, 0], np.int64), "p")])
save("pad_batch", [helper.make_node("Pad", ["x", "p"], ["y"], name="pad")],
     [value("x", ["N", 4])], [value("y", ["N", 4])],
     [numpy_helper.from_array(np.array([1, 0, 0, 0], np.int64), "p")])
save("resize_transform", [
    helper.make_node("Resize", ["x", "", "s"], ["y"], name="resize",
                     coordinate_transformation_mode="half_pixel_symmetric")],
     [value("x", [1, 1, 2, 2])], [value("y", [1, 1, 4, 4])],
     [numpy_helper.from_array(np.array([1, 1, 2, 2], np.float32), "s")])
save("resize_batch", [
    helper.make_node("Resize", ["x", "", "s"], ["y"], name="resize")],
     [value("x", ["N", 1, 2, 2])], [value("y", ["N", 1, 4, 4])],
     [numpy_helper.from_array(np.array([2, 1, 2, 2], np.float32), "s")])
save("resize10_down", [
    helper.make_node("Resize", ["x", "s"], ["y"], name="resize")],
     [value("x", [1, 1, 4, 4])], [value("y", [1, 1, 2, 2])],
     [numpy_helper.from_array(np.array([1, 1, 0.5, 0.5], np.float32), "s")],
     opset=10)
save("resize_scales", [
    helper.make_node("Resize", ["x", "", "s"], ["y"], name="resize")],
     [value("x", [1, 1, 2, 2]), value("s", [4])], [value("y", [1, 1, 4, 4])])
save("reduce_max_batch", [
    helper.make_node("ReduceMax", ["x"], ["y"], name="max", axes=[0])],
     [value("x", ["N", 3])], [value("y", [1, 3])])
save("squeeze_batch", [helper.make_node("Squeeze", ["x"], ["y"],
                                        name="squeeze")],
     [value("x", ["N", 3, 1])], [value("y", [3])])
save("clip6_inverted", [helper.make_node("Clip", ["x"], ["y"], name="clip",
                                         min=0.5, max=0.25)],
     [value("x", [2, 3])], [value("y", [2, 3])], opset=6)
save("rlse_batch", [
    helper.make_node("ReduceLogSumExp", ["x"], ["y"], name="lse", axes=[0])],
     [value("x", ["N", 3])], [value("y", [1, 3])])
save("int_div_zero", [
    helper.make_node("Shape", ["x"], ["s"]),
    helper.make_node("Div", ["s", "d"], ["q"], name="div"),
    helper.make_node("Reshape", ["x", "q"], ["y"])],
     [value("x", [2, 4])], [value("y", [2, 4])],
     [numpy_helper.from_array(np.array([1, 0], np.int64), "d")])
save("int_mod_zero", [
    helper.make_node("Shape", ["x"], ["s"]),
    helper.make_node("Mod", ["s", "d"], ["q"], name="mod"),
    helper.make_node("Reshape", ["x", "q"], ["y"])],
     [value("x", [2, 4])], [value("y", [2, 4])],
     [numpy_helper.from_array(np.array([3, 0], np.int64), "d")])
save("mod_float_floored", [
    helper.make_node("Mod", ["x", "d"], ["y"], name="mod")],
     [value("x", ["N", 3])], [value("y", ["N", 3])],
     [numpy_helper.from_array(np.array([2, 3, 4], np.float32), "d")],
     check=False)
save("mod_int_runtime", [
    helper.make_node("Cast", ["x"], ["i"], to=TensorProto.INT64),
    helper.make_node("Mod", ["i", "d"], ["m"], name="mod"),
    helper.make_node("Cast", ["m"], ["y"], to=TensorProto.FLOAT)],
     [value("x", ["N", 3])], [value("y", ["N", 3])],
     [numpy_helper.from_array(np.array([2, 3, 4], np.int64), "d")])
# BatchNormalization's training form on a batched input: its outputs
# would depend on how the samples are batched. Opset 9's training form
# (running statistics outputs) is refused as before.
save("bn_train_batched", [
    helper.make_node("BatchNormalization", ["x", "g", "b", "m", "v"],
                     ["y", "rm", "rv"], name="bn", training_mode=1)],
     [value("x", ["N", 3, 4])], [value("y", ["N", 3, 4])],
     [init("g", [3]), init("b", [3]), init("m", [3]), init("v", [3])],
     opset=15)
save("bn_train_opset9", [
    helper.make_node("BatchNormalization", ["x", "g", "b", "m", "v"],
                     ["y", "rm", "rv", "sm", "sv"], name="bn")],
     [value("x", [2, 3, 4])], [value("y", [2, 3, 4])],
     [init("g", [3]), init("b", [3]), init("m", [3]), init("v", [3])],
     opset=9)
# The training form on a tensor whose batch is not its first dimension
# (held batch-first after the Transpose).
save("bn_train_held", [
    helper.make_node("Transpose", ["x"], ["t"], perm=[1, 0, 2], name="t"),
    helper.make_node("BatchNormalization", ["t", "g", "b", "m", "v"],
                     ["y"], name="bn", training_mode=1)],
     [value("x", ["N", 3, 4])], [value("y", [3, "N", 4])],
     [init("g", [3]), init("b", [3]), init("m", [3]), init("v", [3])],
     opset=15)
save("instance_norm_scale", [
    helper.make_node("InstanceNormalization", ["x", "s", "b"], ["y"],
                     name="in")],
     [value("x", ["N", 3, 4])], [value("y", ["N", 3, 4])],
     [init("s", [4]), init("b", [3])])
# PyTorch's eval-mode exporter merges equal initializers: a fresh
# BatchNorm's bias and running mean (zeros) become one, which training
# cannot update as both; two BatchNorms' scales (ones) become one, which
# trains as one shared parameter (a warning).
zeros3 = numpy_helper.from_array(np.zeros(3, np.float32), "zeros")
ones3 = numpy_helper.from_array(np.ones(3, np.float32), "ones")
save("bn_merged_state", [
    helper.make_node("BatchNormalization", ["x", "ones", "zeros", "zeros",
                                            "v"], ["y"], name="bn")],
     [value("x", ["N", 3, 4])], [value("y", ["N", 3, 4])],
     [ones3, zeros3, init("v", [3])])
save("bn_merged_scales", [
    helper.make_node("BatchNormalization", ["x", "ones", "b1", "m1", "v1"],
                     ["h"], name="bn1"),
    helper.make_node("BatchNormalization", ["h", "ones", "b2", "m2", "v2"],
                     ["y"], name="bn2")],
     [value("x", ["N", 3, 4])], [value("y", ["N", 3, 4])],
     [ones3] + [init(n, [3]) for n in ("b1", "m1", "b2", "m2")] +
     [numpy_helper.from_array(np.full(3, 2, np.float32), n)
      for n in ("v1", "v2")])
save("d2s_indivisible", [helper.make_node("DepthToSpace", ["x"], ["y"],
                                          name="d2s", blocksize=2)],
     [value("x", ["N", 6, 2, 2])], [value("y", ["N", 1, 4, 4])], check=False)
save("d2s_mode", [helper.make_node("DepthToSpace", ["x"], ["y"], name="d2s",
                                   blocksize=2, mode="RCD")],
     [value("x", ["N", 4, 2, 2])], [value("y", ["N", 1, 4, 4])], check=False)
save("s2d_indivisible", [helper.make_node("SpaceToDepth", ["x"], ["y"],
                                          name="s2d", blocksize=3)],
     [value("x", ["N", 1, 4, 6])], [value("y", ["N", 9, 1, 2])], check=False)
save("hardmax_batch", [helper.make_node("Hardmax", ["x"], ["y"], name="hm",
                                        axis=0)],
     [value("x", ["N", 3])], [value("y", ["N", 3])])
save("onehot_depth", [helper.make_node("OneHot", ["x", "d", "v"], ["y"],
                                       name="oh")],
     [value("x", ["N", 2]), value("d", [1])], [value("y", ["N", 2, 4])],
     [numpy_helper.from_array(np.array([0, 1], np.float32), "v")], opset=11)
save("onehot_values", [helper.make_node("OneHot", ["x", "d", "v"], ["y"],
                                        name="oh")],
     [value("x", ["N", 2])], [value("y", ["N", 2, 4])],
     [numpy_helper.from_array(np.array([4], np.float32), "d"),
      numpy_helper.from_array(np.array([0, 1, 2], np.float32), "v")],
     opset=11, check=False)
save("gather_elements_fit", [
    helper.make_node("GatherElements", ["x", "i"], ["y"], name="ge", axis=1)],
     [value("x", ["N", 3, 2])], [value("y", ["N", 2, 4])],
     [numpy_helper.from_array(np.zeros((1, 2, 4), np.int64), "i")],
     check=False)
# ScatterElements multiplying (reduction mul), and with updates not shaped
# like its indices.
save("scatter_updates", [helper.make_node("ScatterElements", ["x", "i", "u"],
                                          ["y"], name="sc", axis=1)],
     [value("x", [2, 3]), value("u", [2, 1])], [value("y", [2, 3])],
     [numpy_helper.from_array(np.zeros((2, 2), np.int64), "i")],
     check=False)
# LRN of size 0 (a missing size is the ONNX checker's error); LRN of an
# even size over 3 channels (one channel before, two after: the band's rows
# are 1 1 0, 1 1 1, 1 1 1); LRN without channels.
save("lrn_size0", [helper.make_node("LRN", ["x"], ["y"], name="lrn", size=0)],
     [value("x", ["N", 3, 2, 2])], [value("y", ["N", 3, 2, 2])], check=False)
save("lrn_even", [helper.make_node("LRN", ["x"], ["y"], name="lrn", size=4)],
     [value("x", ["N", 3, 2, 2])], [value("y", ["N", 3, 2, 2])])
save("lrn_rank2", [helper.make_node("LRN", ["x"], ["y"], name="lrn", size=3)],
     [value("x", ["N", 3])], [value("y", ["N", 3])], check=False)
# NegativeLogLikelihoodLoss with a reduction ONNX does not define, with a
# target not shaped like the input without its classes, and with a weight
# per class of the wrong size.
nll_targets = [value("x", ["N", 3, 2]), value("t", ["N", 2], TensorProto.INT64)]
save("nll_reduction", [helper.make_node(
    "NegativeLogLikelihoodLoss", ["x", "t"], ["y"], name="nll",
    reduction="max")], nll_targets, [value("y", [])], check=False)
save("nll_target", [helper.make_node(
    "NegativeLogLikelihoodLoss", ["x", "t"], ["y"], name="nll")],
     [value("x", ["N", 3, 2]), value("t", ["N", 3], TensorProto.INT64)],
     [value("y", [])], check=False)
save("sce_weight", [helper.make_node(
    "SoftmaxCrossEntropyLoss", ["x", "t", "w"], ["y"], name="sce",
    reduction="sum")], nll_targets, [value("y", [])],
     [numpy_helper.from_array(np.ones(4, np.float32), "w")], check=False)
with open(os.path.join(out, "cnn.onnx"), "rb") as f:
    data = f.read()
with open(os.path.join(out, "truncated.onnx"), "wb") as f:
    f.write(data[: len(data) // 2])

# External data: the initializers in weights.bin next to the model, and a
# model whose external data points outside its folder.
cnn = onnx.load(os.path.join(out, "cnn.onnx"))
os.makedirs(os.path.join(out, "ext"), exist_ok=True)
onnx.save(cnn, os.path.join(out, "ext", "cnn_ext.onnx"),
          save_as_external_data=True, all_tensors_to_one_file=True,
          location="weights.bin", size_threshold=0)
escape = onnx.load(os.path.join(out, "ext", "cnn_ext.onnx"),
                   load_external_data=False)
for tensor in escape.graph.initializer:
    for entry in tensor.external_data:
        if entry.key == "location":
            entry.value = "../weights.bin"
with open(os.path.join(out, "ext", "escape.onnx"), "wb") as f:
    f.write(escape.SerializeToString())
short = onnx.load(os.path.join(out, "ext", "cnn_ext.onnx"),
                  load_external_data=False)
with open(os.path.join(out, "ext", "short.onnx"), "wb") as f:
    f.write(short.SerializeToString())
with open(os.path.join(out, "ext", "weights.bin"), "rb") as f:
    weights = f.read()
os.makedirs(os.path.join(out, "short"), exist_ok=True)
os.replace(os.path.join(out, "ext", "short.onnx"),
           os.path.join(out, "short", "short.onnx"))
with open(os.path.join(out, "short", "weights.bin"), "wb") as f:
    f.write(weights[:100])
with open(os.path.join(out, "weights.bin"), "wb") as f:
    f.write(weights)

# Shape arithmetic on the dynamic batch size: Shape -> Gather -> Add (a
# multiple of the batch, from Mul, is held: held_layouts.test).
save("batch_arith", [
    helper.make_node("Shape", ["x"], ["s"]),
    helper.make_node("Gather", ["s", "zero"], ["n"], axis=0),
    helper.make_node("Add", ["n", "two"], ["n2"], name="batch_plus_two"),
    helper.make_node("Unsqueeze", ["n2", "axes0"], ["n1"]),
    helper.make_node("Concat", ["n1", "minus1"], ["target"], axis=0),
    helper.make_node("Reshape", ["x", "target"], ["y"]),
], [value("x", ["N", 4])], [value("y", ["M", 2])], [
    numpy_helper.from_array(np.array(0, np.int64), "zero"),
    numpy_helper.from_array(np.array(2, np.int64), "two"),
    numpy_helper.from_array(np.array([0], np.int64), "axes0"),
    numpy_helper.from_array(np.array([-1], np.int64), "minus1")])

# int64 ids used as data beyond Gather's indices (and Cast).
save("ids_as_data", [
    helper.make_node("Gather", ["table", "ids"], ["rows"]),
    helper.make_node("Neg", ["ids"], ["negated"]),
], [value("ids", ["N", 1], TensorProto.INT64)],
     [value("rows", ["N", 1, 4]), value("negated", ["N", 1], TensorProto.INT64)],
     [init("table", (10, 4))])
# An integer computed at run time (Cast) reaching an op of float data.
save("computed_int", [
    helper.make_node("Cast", ["x"], ["i"], to=TensorProto.INT64),
    helper.make_node("Relu", ["i"], ["y"], name="relu_of_int"),
], [value("x", ["N", 3])], [value("y", ["N", 3], TensorProto.INT64)])

# Softmax before opset 13 on a batched rank-4 input: the coerced 2-D form
# folds the batch with the axes before `axis`.
save("softmax11", [helper.make_node("Softmax", ["x"], ["y"], axis=2)],
     [value("x", ["N", 4, 3, 5])], [value("y", ["N", 4, 3, 5])], opset=11)
# A Conv bias of the wrong size.
save("conv_bias", [helper.make_node("Conv", ["x", "w", "b"], ["y"],
                                    name="conv", kernel_shape=[3, 3])],
     [value("x", [1, 1, 5, 5])], [value("y", [1, 4, 3, 3])],
     [init("w", (4, 1, 3, 3)), init("b", (3,))], check=False)

# MaxPool with dilations and padding, after a Conv (for gradcheck).
save("dilated_pool", [
    helper.make_node("Conv", ["x", "cw"], ["c"], kernel_shape=[3, 3],
                     pads=[1, 1, 1, 1]),
    helper.make_node("MaxPool", ["c"], ["y"], kernel_shape=[2, 2],
                     dilations=[2, 2], pads=[1, 1, 1, 1], strides=[2, 2]),
], [value("x", ["N", 1, 7, 7])], [value("y", ["N", 2, 4, 4])],
     [init("cw", (2, 1, 3, 3))])

# ReduceProd: a product of slices; its gradient.
save("reduce_prod", [helper.make_node("Mul", ["x", "s"], ["xs"]),
                     helper.make_node("ReduceProd", ["xs"], ["y"], axes=[2],
                                      keepdims=0)],
     [value("x", ["N", 3, 4])], [value("y", ["N", 3])], [init("s", (4,))])

# Folds of known operands at the edges of their ops: float division by zero
# (IEEE), casts that wrap, Slice with a negative step from before -dim,
# Pow with a constant integer exponent (int64 10, 0). Float operands that
# fold are Constant nodes: a float initializer is a parameter, which the
# ops compute with (and train) rather than fold.
def const(name, array):
    return numpy_helper.from_array(np.array(array), name)


def constant_node(name, array):
    return helper.make_node("Constant", [], [name], value=const(name, array))


save("fold_div", [constant_node("a", np.array([1, -1, 0, 3], np.float32)),
                  constant_node("b", np.array([0, 0, 0, 2], np.float32)),
                  helper.make_node("Div", ["a", "b"], ["c"]),
                  helper.make_node("Add", ["x", "c"], ["y"])],
     [value("x", ["N", 4])], [value("y", ["N", 4])])
save("fold_weight", [helper.make_node("Mul", ["w", "m"], ["wm"]),
                     helper.make_node("Add", ["x", "wm"], ["y"])],
     [value("x", ["N", 4])], [value("y", ["N", 4])],
     [const("w", np.array([0.5, -1, 2, 3], np.float32)),
      const("m", np.array([1, 0, 1, 0], np.float32))])
save("fold_cast", [
    helper.make_node("Cast", ["a"], ["au8"], to=TensorProto.UINT8),
    helper.make_node("Cast", ["au8"], ["af"], to=TensorProto.FLOAT),
    helper.make_node("Cast", ["b"], ["bi32"], to=TensorProto.INT32),
    helper.make_node("Cast", ["bi32"], ["bf"], to=TensorProto.FLOAT),
    helper.make_node("Concat", ["af", "bf"], ["c"], axis=0),
    helper.make_node("Add", ["x", "c"], ["y"])],
     [value("x", ["N", 5])], [value("y", ["N", 5])],
     [const("a", np.array([-1, 300, 2.5], np.float32)),
      const("b", np.array([2**31 + 5, -(2**33) - 7], np.int64))])
save("fold_slice", [
    helper.make_node("Shape", ["x"], ["s"]),
    helper.make_node("Slice", ["s", "st", "en", "ax", "sp"], ["s1"]),
    helper.make_node("Concat", ["s1", "m1"], ["s2"], axis=0),
    helper.make_node("Reshape", ["x", "s2"], ["y"])],
     [value("x", [2, 3, 4, 5])], [value("y", [2, 60])],
     [const("st", np.array([-10], np.int64)),
      const("en", np.array([-100], np.int64)),
      const("ax", np.array([0], np.int64)),
      const("sp", np.array([-1], np.int64)),
      const("m1", np.array([-1], np.int64))])
save("fold_ceil", [
    constant_node("one", np.array([1], np.int64)),
    constant_node("four", np.array(4, np.float32)),
    constant_node("dims", np.array([-1, 3], np.int64)),
    helper.make_node("Shape", ["x"], ["s"]),
    helper.make_node("Gather", ["s", "one"], ["w"]),
    helper.make_node("Cast", ["w"], ["wf"], to=TensorProto.FLOAT),
    helper.make_node("Div", ["wf", "four"], ["q"]),
    helper.make_node("Ceil", ["q"], ["c"]),
    helper.make_node("Cast", ["c"], ["ci"], to=TensorProto.INT64),
    helper.make_node("Concat", ["ci", "dims"], ["shape"], axis=0),
    helper.make_node("Reshape", ["x", "shape"], ["y"])],
     [value("x", [2, 6])], [value("y", [2, 2, 3])])
save("pow_const", [constant_node("zero", np.array(0, np.float32)),
                   helper.make_node("Pow", ["x", "ten"], ["p"]),
                   helper.make_node("Pow", ["p", "zero"], ["y"])],
     [value("x", ["N", 3])], [value("y", ["N", 3])],
     [const("ten", np.array(10, np.int64))])

# torch.export's x[:, :1]: a Slice of all of the batch (0 to INT64_MAX,
# which it casts to int64 first), then of dimension 1; slice_batch_part
# drops the first sample.
for name, start in (("slice_batch_all", 0), ("slice_batch_part", 1)):
    save(name, [helper.make_node("Cast", ["e64"], ["e"], to=TensorProto.INT64,
                                 name="end"),
                helper.make_node("Slice", ["x", "s", "e", "a"], ["y"],
                                 name="slice")],
         [value("x", ["N", 3, 4])], [value("y", ["N", 1, 4])],
         [const("s", np.array([start, 0], np.int64)),
          const("e64", np.array([2**63 - 1, 1], np.int64)),
          const("a", np.array([0, 1], np.int64))])

# Sequences (SplitToSequence) that only SequenceAt reads: read by Relu,
# SequenceAt of a tensor, a position past the end, chunks of 0, a
# sequence output.
split_seq = helper.make_node("SplitToSequence", ["x"], ["parts"], axis=1,
                             name="split")
save("sequence_relu", [split_seq, helper.make_node("Relu", ["parts"], ["y"],
                                                   name="relu")],
     [value("x", ["N", 3])], [value("y", ["N", 1])], check=False)
save("sequence_at_tensor", [
    helper.make_node("SequenceAt", ["x", "p"], ["y"], name="at")],
     [value("x", ["N", 3])], [value("y", ["N", 1])],
     [const("p", np.array(0, np.int64))], check=False)
save("sequence_at_range", [split_seq, helper.make_node(
    "SequenceAt", ["parts", "p"], ["y"], name="at")],
     [value("x", ["N", 3])], [value("y", ["N", 1])],
     [const("p", np.array(3, np.int64))])
save("sequence_chunk", [helper.make_node("SplitToSequence", ["x", "c"],
                                        ["parts"], axis=1, name="split"),
                       helper.make_node("SequenceAt", ["parts", "p"], ["y"],
                                        name="at")],
     [value("x", ["N", 3])], [value("y", ["N", 1])],
     [const("c", np.array(0, np.int64)), const("p", np.array(0, np.int64))])
save("sequence_output", [split_seq], [value("x", ["N", 3])],
     [helper.make_tensor_sequence_value_info("parts", TensorProto.FLOAT,
                                             ["N", 1])])

# Opsets 18-21, newer than Debian's onnx (so unchecked here): what the
# checker (through kiln's schemas for the newer op versions) and the
# handlers of those versions refuse.
def newer(name, nodes, inputs, outputs, inits=(), opset=21, ir=10):
    save(name, nodes, inputs, outputs, inits, opset=opset, check=False, ir=ir)


newer("ir11", [helper.make_node("Relu", ["x"], ["y"])],
      [value("x", [2, 3])], [value("y", [2, 3])], ir=11)
newer("reduce_inputs", [
    helper.make_node("ReduceMean", ["x", "a", "a"], ["y"], name="mean")],
      [value("x", [2, 3])], [value("y", [2, 1])],
      [const("a", np.array([1], np.int64))])
newer("old_attribute", [
    helper.make_node("Relu", ["x"], ["y"], name="relu", alpha=0.5)],
      [value("x", [2, 3])], [value("y", [2, 3])])
newer("unsorted", [helper.make_node("Relu", ["q"], ["y"], name="relu"),
                   helper.make_node("Neg", ["x"], ["q"], name="neg")],
      [value("x", [2, 3])], [value("y", [2, 3])])
newer("gelu_mode", [
    helper.make_node("Gelu", ["x"], ["y"], name="gelu", approximate="fast")],
      [value("x", [2, 3])], [value("y", [2, 3])])
newer("gelu_inputs", [helper.make_node("Gelu", ["x", "x"], ["y"], name="gelu")],
      [value("x", [2, 3])], [value("y", [2, 3])])
newer("gelu_attribute", [
    helper.make_node("Gelu", ["x"], ["y"], name="gelu", alpha=1.0)],
      [value("x", [2, 3])], [value("y", [2, 3])])
newer("pad_wrap18", [helper.make_node("Pad", ["x", "p"], ["y"], name="pad",
                                      mode="wrap")],
      [value("x", [2, 4])], [value("y", [2, 6])],
      [const("p", np.array([0, 1, 0, 1], np.int64))], opset=18, ir=8)
newer("pad_wrap_crop", [helper.make_node("Pad", ["x", "p"], ["y"], name="pad",
                                         mode="wrap")],
      [value("x", [2, 4])], [value("y", [2, 3])],
      [const("p", np.array([0, 1, 0, -2], np.int64))])
newer("pad_axes", [helper.make_node("Pad", ["x", "p", "", "a"], ["y"],
                                    name="pad")],
      [value("x", [2, 4])], [value("y", [2, 6])],
      [const("p", np.array([1, 1, 0, 1], np.int64)),
       const("a", np.array([1], np.int64))])
# A node with neither a name nor outputs (the importer fuzzer's, which
# crashed the summary row's name): an op newer than ONNX 1.12, whose schema
# kiln's own checker answers without counting outputs. It computes
# nothing; the summary lists it by its position.
newer("no_outputs", [
    helper.make_node("Col2Im", ["c", "image", "block"], []),
    helper.make_node("Relu", ["c"], ["y"], name="r")],
      [value("c", ["N", 4, 1])], [value("y", ["N", 4, 1])],
      [const("image", np.array([2, 2], np.int64)),
       const("block", np.array([2, 2], np.int64))])
newer("split_parts", [helper.make_node("Split", ["x"], ["a", "b"], name="split",
                                       axis=1, num_outputs=3)],
      [value("x", [2, 6])], [value("a", [2, 3]), value("b", [2, 3])])
newer("split_both", [helper.make_node("Split", ["x", "s"], ["a", "b"],
                                      name="split", axis=1, num_outputs=2)],
      [value("x", [2, 6])], [value("a", [2, 3]), value("b", [2, 3])],
      [const("s", np.array([3, 3], np.int64))])
newer("split_sum", [helper.make_node("Split", ["x", "s"], ["a", "b"],
                                     name="split", axis=1)],
      [value("x", [2, 6])], [value("a", [2, 3]), value("b", [2, 4])],
      [const("s", np.array([3, 4], np.int64))])
newer("split_count", [helper.make_node("Split", ["x", "s"], ["a", "b"],
                                       name="split", axis=1)],
      [value("x", [2, 6])], [value("a", [2, 3]), value("b", [2, 3])],
      [const("s", np.array([2, 2, 2], np.int64))])
newer("resize_antialias", [
    helper.make_node("Resize", ["x", "", "s"], ["y"], name="resize",
                     antialias=1)],
      [value("x", [1, 1, 4, 4])], [value("y", [1, 1, 2, 2])],
      [const("s", np.array([1, 1, 0.5, 0.5], np.float32))])
newer("resize_policy", [
    helper.make_node("Resize", ["x", "", "", "z"], ["y"], name="resize",
                     keep_aspect_ratio_policy="fit")],
      [value("x", [1, 1, 4, 4])], [value("y", [1, 1, 2, 2])],
      [const("z", np.array([1, 1, 2, 2], np.int64))])
newer("resize_axes", [
    helper.make_node("Resize", ["x", "", "s"], ["y"], name="resize",
                     axes=[2, 3])],
      [value("x", [1, 1, 4, 4])], [value("y", [1, 1, 8, 8])],
      [const("s", np.array([1, 1, 2, 2], np.float32))])
newer("resize_symmetric18", [
    helper.make_node("Resize", ["x", "", "s"], ["y"], name="resize",
                     coordinate_transformation_mode="half_pixel_symmetric")],
      [value("x", [1, 1, 2, 2])], [value("y", [1, 1, 4, 4])],
      [const("s", np.array([1, 1, 2, 2], np.float32))], opset=18, ir=8)
newer("group_norm_groups", [
    helper.make_node("GroupNormalization", ["x", "g", "b"], ["y"], name="gn",
                     num_groups=4)],
      [value("x", ["N", 6, 5])], [value("y", ["N", 6, 5])],
      [init("g", (6,)), init("b", (6,))])
newer("group_norm_scale", [
    helper.make_node("GroupNormalization", ["x", "g", "b"], ["y"], name="gn",
                     num_groups=3)],
      [value("x", ["N", 6, 5])], [value("y", ["N", 6, 5])],
      [init("g", (6,)), init("b", (6,))], opset=18, ir=8)
newer("scatter_max16", [
    helper.make_node("ScatterElements", ["x", "i", "u"], ["y"], name="scatter",
                     reduction="max")],
      [value("x", [2, 3])], [value("y", [2, 3])],
      [const("i", np.array([[0, 1, 2]], np.int64)),
       const("u", np.array([[1, 2, 3]], np.float32))], opset=16, ir=8)
newer("newer_unsupported", [
    helper.make_node("LpPool", ["x"], ["y"], name="lp", kernel_shape=[2],
                     ceil_mode=1)],
      [value("x", [1, 2, 4])], [value("y", [1, 2, 3])])
newer("resize_sizes_batch", [
    helper.make_node("Resize", ["x", "", "", "z"], ["y"], name="resize")],
      [value("x", ["N", 1, 2, 2])], [value("y", ["N", 1, 4, 4])],
      [const("z", np.array([2, 1, 4, 4], np.int64))])
newer("col2im_count", [
    helper.make_node("Col2Im", ["x", "image", "block"], ["y"], name="fold")],
      [value("x", ["N", 8, 10])], [value("y", ["N", 2, 4, 4])],
      [const("image", np.array([4, 4], np.int64)),
       const("block", np.array([2, 2], np.int64))])
newer("col2im_block", [
    helper.make_node("Col2Im", ["x", "image", "block"], ["y"], name="fold")],
      [value("x", ["N", 8, 9])], [value("y", ["N", 2, 4, 4])],
      [const("image", np.array([4, 4], np.int64)),
       const("block", np.array([2, 2, 1], np.int64))])
newer("col2im_large", [
    helper.make_node("Col2Im", ["x", "image", "block"], ["y"], name="fold")],
      [value("x", ["N", 8, 9])], [value("y", ["N", 2, 4, 4])],
      [const("image", np.array([4, 4], np.int64)),
       const("block", np.array([5, 2], np.int64))])
newer("resize_axes_twice", [
    helper.make_node("Resize", ["x", "", "s"], ["y"], name="resize",
                     axes=[2, -2])],
      [value("x", [1, 1, 4, 4])], [value("y", [1, 1, 8, 4])],
      [const("s", np.array([2, 1], np.float32))])
