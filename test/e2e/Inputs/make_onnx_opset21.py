"""Writes an ONNX model of opset 21 (IR 10) that uses the op versions of
opsets 18 to 21 kiln imports, with an input batch and ONNX Runtime's
outputs for it (a reference kiln did not compute). Run with the tests'
virtual environment (onnx 1.23, onnxruntime 1.20).

  x (N, 4, 6, 6) * w (4, 1, 1)
  Pad-19 (wrap, the spatial axes only: its axes operand)
  Resize-19 (linear, antialias, scales for axes [2, 3] only)
  GroupNormalization-21 (2 groups, scale and bias per channel)
  Split-18 (num_outputs 2)
  Gelu-20 (tanh) | Mish-18, Concat
  ReduceMean-18 (axes operand [2, 3], keepdims 0)  -> y (N, 4)

opset21.onnx, x.npy (batch 2), y.npy; the same model is the importer
fuzzer's seed test/fuzz/seeds/importer/onnx_opset21.

  scatter_<r>.onnx: ScatterElements-18 with reduction r (mul, max, min) of
  updates u (3, 2) into w (3, 4) along axis 1 (indices with a duplicate),
  times x (N, 3, 4): scatter_x.npy, scatter_<r>_y.npy

  col2im.onnx: x (N, 12, 9) * w (12, 1), Col2Im-18 (PyTorch's F.fold) of
  2 channels in (2, 3) blocks over a (5, 6) image, strides (2, 1),
  dilations (1, 2), pads (1, 0, 0, 1): overlapping blocks, padding
  dropped, -> y (N, 2, 5, 6): col2im_x.npy, col2im_y.npy; the model is
  the importer fuzzer's seed test/fuzz/seeds/importer/onnx_col2im
"""
import os
import sys

import numpy as np
import onnx
import onnxruntime
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
rng = np.random.RandomState(0)


def const(name, array):
    return numpy_helper.from_array(array, name)


nodes = [
    helper.make_node("Mul", ["x", "w"], ["xw"]),
    helper.make_node("Pad", ["xw", "pads", "", "pad_axes"], ["p"],
                     mode="wrap"),
    helper.make_node("Resize", ["p", "", "scales"], ["r"], mode="linear",
                     antialias=1, axes=[2, 3]),
    helper.make_node("GroupNormalization", ["r", "gamma", "beta"], ["g"],
                     num_groups=2),
    helper.make_node("Split", ["g"], ["s0", "s1"], axis=1, num_outputs=2),
    helper.make_node("Gelu", ["s0"], ["a"], approximate="tanh"),
    helper.make_node("Mish", ["s1"], ["b"]),
    helper.make_node("Concat", ["a", "b"], ["ab"], axis=1),
    helper.make_node("ReduceMean", ["ab", "mean_axes"], ["y"], keepdims=0),
]
inits = [
    const("w", rng.uniform(0.5, 1.5, (4, 1, 1)).astype(np.float32)),
    const("pads", np.array([1, 2, 1, 2], np.int64)),
    const("pad_axes", np.array([2, 3], np.int64)),
    const("scales", np.array([0.5, 0.5], np.float32)),
    const("gamma", rng.uniform(0.5, 1.5, 4).astype(np.float32)),
    const("beta", rng.uniform(-0.5, 0.5, 4).astype(np.float32)),
    const("mean_axes", np.array([2, 3], np.int64)),
]
graph = helper.make_graph(
    nodes, "opset21",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4, 6, 6])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 4])], inits)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)])
model.ir_version = 10
onnx.checker.check_model(model, full_check=True)
onnx.save(model, os.path.join(out, "opset21.onnx"))

x = rng.standard_normal((2, 4, 6, 6)).astype(np.float32)
session = onnxruntime.InferenceSession(model.SerializeToString())
np.save(os.path.join(out, "x.npy"), x)
np.save(os.path.join(out, "y.npy"), session.run(None, {"x": x})[0])

x = rng.standard_normal((2, 3, 4)).astype(np.float32)
np.save(os.path.join(out, "scatter_x.npy"), x)
for reduction in ("mul", "max", "min"):
    graph = helper.make_graph(
        [helper.make_node("ScatterElements", ["w", "indices", "u"], ["s"],
                          axis=1, reduction=reduction),
         helper.make_node("Mul", ["x", "s"], ["y"])],
        "scatter_" + reduction,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 3, 4])],
        [const("w", rng.uniform(-1, 1, (3, 4)).astype(np.float32)),
         const("indices", np.array([[0, 2], [3, 3], [1, 0]], np.int64)),
         const("u", rng.uniform(-1, 1, (3, 2)).astype(np.float32))])
    model = helper.make_model(graph,
                              opset_imports=[helper.make_opsetid("", 21)])
    model.ir_version = 10
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, os.path.join(out, f"scatter_{reduction}.onnx"))
    session = onnxruntime.InferenceSession(model.SerializeToString())
    np.save(os.path.join(out, f"scatter_{reduction}_y.npy"),
            session.run(None, {"x": x})[0])

graph = helper.make_graph(
    [helper.make_node("Mul", ["x", "w"], ["xw"]),
     helper.make_node("Col2Im", ["xw", "image", "block"], ["y"],
                      strides=[2, 1], dilations=[1, 2], pads=[1, 0, 0, 1])],
    "col2im",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 12, 9])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 2, 5, 6])],
    [const("w", rng.uniform(0.5, 1.5, (12, 1)).astype(np.float32)),
     const("image", np.array([5, 6], np.int64)),
     const("block", np.array([2, 3], np.int64))])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)])
model.ir_version = 10
onnx.checker.check_model(model, full_check=True)
onnx.save(model, os.path.join(out, "col2im.onnx"))
x = rng.standard_normal((3, 12, 9)).astype(np.float32)
session = onnxruntime.InferenceSession(model.SerializeToString())
np.save(os.path.join(out, "col2im_x.npy"), x)
np.save(os.path.join(out, "col2im_y.npy"), session.run(None, {"x": x})[0])
