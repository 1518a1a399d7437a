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


def save(name, nodes, inputs, outputs, inits=(), opset=13, check=True):
    graph = helper.make_graph(nodes, name, inputs, outputs, list(inits))
    model = helper.make_model(graph,
                              opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
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

# Errors.
save("unsupported_op", [helper.make_node("Det", ["x"], ["y"], name="det0")],
     [value("x", [2, 3, 3])], [value("y", [2])])
save("bad_attribute", [
    helper.make_node("Relu", ["x"], ["y"], name="relu0", alpha=0.5)],
     [value("x", [2, 3])], [value("y", [2, 3])], check=False)
save("symbolic", [helper.make_node("Relu", ["x"], ["y"])],
     [value("x", ["N", "T", 4])], [value("y", ["N", "T", 4])])
save("opset18", [helper.make_node("Relu", ["x"], ["y"])],
     [value("x", [2, 3])], [value("y", [2, 3])], opset=18, check=False)
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

# Shape arithmetic on the dynamic batch size: Shape -> Gather -> Mul.
save("batch_arith", [
    helper.make_node("Shape", ["x"], ["s"]),
    helper.make_node("Gather", ["s", "zero"], ["n"], axis=0),
    helper.make_node("Mul", ["n", "two"], ["n2"], name="double_batch"),
    helper.make_node("Unsqueeze", ["n2", "axes0"], ["n1"]),
    helper.make_node("Concat", ["n1", "minus1"], ["target"], axis=0),
    helper.make_node("Reshape", ["x", "target"], ["y"]),
], [value("x", ["N", 4])], [value("y", ["M", 2])], [
    numpy_helper.from_array(np.array(0, np.int64), "zero"),
    numpy_helper.from_array(np.array(2, np.int64), "two"),
    numpy_helper.from_array(np.array([0], np.int64), "axes0"),
    numpy_helper.from_array(np.array([-1], np.int64), "minus1")])

# int64 ids used as data beyond Gather's indices.
save("ids_as_data", [
    helper.make_node("Gather", ["table", "ids"], ["rows"]),
    helper.make_node("Cast", ["ids"], ["f"], to=TensorProto.FLOAT),
    helper.make_node("Add", ["rows", "f"], ["y"]),
], [value("ids", ["N", 1], TensorProto.INT64)], [value("y", ["N", 4])],
     [init("table", (10, 4))])
