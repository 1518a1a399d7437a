"""Writes small ONNX RNN/LSTM/GRU models for recurrent.test (onnx.helper,
Debian's python3-onnx; run with /usr/bin/python3): a seq-first LSTM with
W/R/B initializers, a bidirectional batch-major GRU with a dynamic batch,
and one model per error the recurrent handlers report."""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
rng = np.random.default_rng(0)


def save(name, nodes, inputs, outputs, inits=(), opset=14):
    graph = helper.make_graph(nodes, name, inputs, outputs, list(inits))
    model = helper.make_model(graph,
                              opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(out, name + ".onnx"))


def init(name, shape, dtype=np.float32):
    return numpy_helper.from_array(
        rng.standard_normal(shape).astype(dtype), name)


def value(name, shape, elem=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, elem, shape)


# LSTM: X (seq 3, batch 2, input 4), hidden 5, all three outputs.
save("lstm", [
    helper.make_node("LSTM", ["x", "W", "R", "B"], ["y", "y_h", "y_c"],
                     name="lstm0", hidden_size=5),
], [value("x", [3, 2, 4])],
    [value("y", [3, 1, 2, 5]), value("y_h", [1, 2, 5]),
     value("y_c", [1, 2, 5])],
    [init("W", (1, 20, 4)), init("R", (1, 20, 5)), init("B", (1, 40))])

# GRU, bidirectional, layout 1: X (N, seq 4, input 3), Y_h only.
save("gru_batch_major", [
    helper.make_node("GRU", ["x", "W", "R", "B"], ["", "y_h"], name="gru0",
                     hidden_size=2, direction="bidirectional", layout=1,
                     linear_before_reset=1),
], [value("x", ["N", 4, 3])], [value("y_h", ["N", 2, 2])],
    [init("W", (2, 6, 3)), init("R", (2, 6, 2)), init("B", (2, 12))])


def lstm_error(name, extra_inputs=(), inits=(), graph_inputs=(), x=(3, 2, 4),
               **attrs):
    attrs.setdefault("hidden_size", 5)
    save(name, [
        helper.make_node("LSTM", ["x", "W", "R", "B"] + list(extra_inputs),
                         ["", "y_h"], name=name, **attrs),
    ], [value("x", list(x))] + list(graph_inputs), [value("y_h", [1, 2, 5])],
        [init("W", (1, 20, 4)), init("R", (1, 20, 5)), init("B", (1, 40))] +
        list(inits))


lstm_error("peepholes", ["", "", "", "P"], [init("P", (1, 15))])
lstm_error("sequence_lens", ["lens"], [numpy_helper.from_array(
    np.array([3, 2], np.int32), "lens")])
lstm_error("activation", activations=["Sigmoid", "LeakyRelu", "Tanh"])
lstm_error("clip", clip=1.0)
lstm_error("input_forget", input_forget=1)
lstm_error("symbolic_seq", x=("T", 2, 4))
lstm_error("hidden_size", hidden_size=4)
