"""make_onnx_cnn.py OUT.onnx: the tutorial's CNN as an ONNX model written
with onnx.helper (Debian's python3-onnx), the graph torch.onnx.export
writes for it: Conv(1->32, 3) Relu MaxPool(2), Conv(32->64, 3) Relu
MaxPool(2), Flatten, Gemm(1600->10, transB), a symbolic batch; seeded
random weights."""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

rng = np.random.default_rng(0)


def init(name, shape):
    return numpy_helper.from_array(
        (rng.standard_normal(shape) * 0.1).astype(np.float32), name)


nodes = [
    helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], kernel_shape=[3, 3]),
    helper.make_node("Relu", ["c1"], ["r1"]),
    helper.make_node("MaxPool", ["r1"], ["p1"], kernel_shape=[2, 2],
                     strides=[2, 2]),
    helper.make_node("Conv", ["p1", "w2", "b2"], ["c2"], kernel_shape=[3, 3]),
    helper.make_node("Relu", ["c2"], ["r2"]),
    helper.make_node("MaxPool", ["r2"], ["p2"], kernel_shape=[2, 2],
                     strides=[2, 2]),
    helper.make_node("Flatten", ["p2"], ["f"], axis=1),
    helper.make_node("Gemm", ["f", "w3", "b3"], ["y"], transB=1),
]
graph = helper.make_graph(
    nodes, "cnn",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 1, 28, 28])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 10])],
    [init("w1", (32, 1, 3, 3)), init("b1", (32,)), init("w2", (64, 32, 3, 3)),
     init("b2", (64,)), init("w3", (10, 1600)), init("b3", (10,))])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
model.ir_version = 8
onnx.checker.check_model(model)
onnx.save(model, sys.argv[1])
