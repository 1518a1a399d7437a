"""Writes the ONNX RNN/LSTM/GRU models of onnx_recurrent.test (run with
/usr/bin/python3: Debian's python3-onnx 1.12 and python3-torch 1.13).

OUT/torch/: torch.nn.LSTM and a bidirectional torch.nn.GRU (batch_first)
exported by torch.onnx.export (opset 13) with a symbolic batch, unchanged,
an input x.npy and PyTorch's outputs <name>.y.npy. PyTorch writes its RNN
nodes seq-first (layout 0) between Transposes of the batch, with initial
states of zeros shaped from Shape(x)'s batch (D, N, H) and a Reshape of
the seq-first Y: the importer holds those tensors batch-first.

OUT/torch-static/: the same exports with a static batch, unchanged (their
Transposes, Expand/Shape prologue, Squeeze/Reshape epilogue), as ONNX
backend tests (model.onnx, test_data_set_0/) with PyTorch's outputs.

OUT/cases/: ONNX backend tests of what the node tests leave out (several
steps, reverse and bidirectional, initial states, activations, GRU's
linear_before_reset 0 and 1, layout 0 and 1, a full-length
sequence_lens, opset 7), W/R/B initializers, with outputs from the
float64 NumPy reference below (the ONNX operator spec).

Usage: make_onnx_recurrent.py OUT
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
rng = np.random.default_rng(7)


def save_backend_test(folder, model, inputs, outputs):
    """model.onnx plus test_data_set_0/{input,output}_<i>.pb."""
    data = os.path.join(folder, "test_data_set_0")
    os.makedirs(data, exist_ok=True)
    onnx.save(model, os.path.join(folder, "model.onnx"))
    for kind, tensors in (("input", inputs), ("output", outputs)):
        for i, t in enumerate(tensors):
            with open(os.path.join(data, f"{kind}_{i}.pb"), "wb") as f:
                f.write(numpy_helper.from_array(t).SerializeToString())


# ---------------------------------------------------------------------------
# The NumPy reference (float64).

def activation(name, x):
    return {"Relu": lambda v: np.maximum(v, 0),
            "Tanh": np.tanh,
            "Sigmoid": lambda v: 1 / (1 + np.exp(-v))}[name](x)


def reference(kind, X, W, R, B=None, initial_h=None, initial_c=None,
              direction="forward", layout=0, activations=None,
              linear_before_reset=0):
    per = {"RNN": 1, "LSTM": 3, "GRU": 2}[kind]
    gates = {"RNN": 1, "LSTM": 4, "GRU": 3}[kind]
    D, H = W.shape[0], R.shape[2]
    if activations is None:
        activations = {"RNN": ["Tanh"], "LSTM": ["Sigmoid", "Tanh", "Tanh"],
                       "GRU": ["Sigmoid", "Tanh"]}[kind] * D
    X = X.astype(np.float64)
    if layout:
        X = X.transpose(1, 0, 2)
        initial_h = None if initial_h is None else initial_h.transpose(1, 0, 2)
        initial_c = None if initial_c is None else initial_c.transpose(1, 0, 2)
    T, N, _ = X.shape
    if B is None:
        B = np.zeros((D, 2 * gates * H))
    Y = np.zeros((T, D, N, H))
    Yh = np.zeros((D, N, H))
    Yc = np.zeros((D, N, H))
    for d in range(D):
        reverse = direction == "reverse" or (direction == "bidirectional"
                                             and d == 1)
        f, g, h_act = (activations[d * per:(d + 1) * per] + [None, None])[:3]
        Wd, Rd = W[d].astype(np.float64), R[d].astype(np.float64)
        Wb, Rb = np.split(B[d].astype(np.float64), 2)
        h = np.zeros((N, H)) if initial_h is None else initial_h[d]
        c = np.zeros((N, H)) if initial_c is None else initial_c[d]
        for t in (reversed(range(T)) if reverse else range(T)):
            x = X[t]
            if kind == "RNN":
                h = activation(f, x @ Wd.T + h @ Rd.T + Wb + Rb)
            elif kind == "LSTM":
                z = x @ Wd.T + h @ Rd.T + Wb + Rb
                i, o, fg, cc = np.split(z, 4, axis=-1)
                c = activation(f, fg) * c + activation(f, i) * activation(g, cc)
                h = activation(f, o) * activation(h_act, c)
            else:
                Wz, Wr, Wh = np.split(Wd, 3)
                Rz, Rr, Rh = np.split(Rd, 3)
                wbz, wbr, wbh = np.split(Wb, 3)
                rbz, rbr, rbh = np.split(Rb, 3)
                z = activation(f, x @ Wz.T + h @ Rz.T + wbz + rbz)
                r = activation(f, x @ Wr.T + h @ Rr.T + wbr + rbr)
                if linear_before_reset:
                    hh = activation(g, x @ Wh.T + r * (h @ Rh.T + rbh) + wbh)
                else:
                    hh = activation(g, x @ Wh.T + (r * h) @ Rh.T + rbh + wbh)
                h = (1 - z) * hh + z * h
            Y[t, d] = h
        Yh[d], Yc[d] = h, c
    if layout:
        Y = Y.transpose(2, 0, 1, 3)
        Yh, Yc = Yh.transpose(1, 0, 2), Yc.transpose(1, 0, 2)
    result = [Y, Yh] + ([Yc] if kind == "LSTM" else [])
    return [r.astype(np.float32) for r in result]


def case(name, kind, T=4, N=3, I=3, H=5, direction="forward", layout=0,
         bias=True, initial=False, activations=None, linear_before_reset=None,
         sequence_lens=False, opset=14, outputs=None):
    gates = {"RNN": 1, "LSTM": 4, "GRU": 3}[kind]
    D = 2 if direction == "bidirectional" else 1
    f32 = np.float32
    X = rng.standard_normal((N, T, I) if layout else (T, N, I)).astype(f32)
    W = (0.5 * rng.standard_normal((D, gates * H, I))).astype(f32)
    R = (0.5 * rng.standard_normal((D, gates * H, H))).astype(f32)
    B = (0.5 * rng.standard_normal((D, 2 * gates * H))).astype(f32)
    state = (N, D, H) if layout else (D, N, H)
    h0 = rng.standard_normal(state).astype(f32)
    c0 = rng.standard_normal(state).astype(f32)
    attrs = {"hidden_size": H, "direction": direction}
    if layout:
        attrs["layout"] = 1
    if activations:
        attrs["activations"] = activations
    if linear_before_reset is not None:
        attrs["linear_before_reset"] = linear_before_reset
    node_inputs = ["X", "W", "R", "B" if bias else ""]
    inits = [numpy_helper.from_array(W, "W"), numpy_helper.from_array(R, "R")]
    if bias:
        inits.append(numpy_helper.from_array(B, "B"))
    graph_inputs = [helper.make_tensor_value_info("X", TensorProto.FLOAT,
                                                  X.shape)]
    feeds = [X]
    if sequence_lens:
        node_inputs.append("lens")
        inits.append(numpy_helper.from_array(np.full(N, T, np.int32), "lens"))
    elif initial:
        node_inputs.append("")
    if initial:
        node_inputs.append("initial_h")
        graph_inputs.append(helper.make_tensor_value_info(
            "initial_h", TensorProto.FLOAT, h0.shape))
        feeds.append(h0)
        if kind == "LSTM":
            node_inputs.append("initial_c")
            graph_inputs.append(helper.make_tensor_value_info(
                "initial_c", TensorProto.FLOAT, c0.shape))
            feeds.append(c0)
    expected = reference(kind, X, W, R, B if bias else None,
                         h0 if initial else None,
                         c0 if initial and kind == "LSTM" else None,
                         direction, layout, activations,
                         linear_before_reset or 0)
    names = ["Y", "Y_h", "Y_c"][:len(expected)]
    if outputs is None:
        outputs = names
    node_outputs = [n if n in outputs else "" for n in names]
    while node_outputs[-1] == "":
        node_outputs.pop()
    node = helper.make_node(kind, node_inputs, node_outputs, **attrs)
    graph_outputs = [helper.make_tensor_value_info(n, TensorProto.FLOAT,
                                                   e.shape)
                     for n, e in zip(names, expected) if n in outputs]
    graph = helper.make_graph([node], name, graph_inputs, graph_outputs,
                              inits)
    model = helper.make_model(graph,
                              opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 7
    onnx.checker.check_model(model)
    save_backend_test(os.path.join(out, "cases", "test_" + name), model,
                      feeds, [e for n, e in zip(names, expected)
                              if n in outputs])


case("rnn_reverse_relu", "RNN", direction="reverse", activations=["Relu"])
case("rnn_bidirectional_initial_h", "RNN", direction="bidirectional",
     initial=True, activations=["Tanh", "Sigmoid"])
case("rnn_opset7", "RNN", opset=7, bias=False)
case("lstm_forward", "LSTM", T=5)
case("lstm_bidirectional_initial", "LSTM", direction="bidirectional",
     initial=True)
case("lstm_reverse_layout1", "LSTM", direction="reverse", layout=1,
     initial=True, activations=["Sigmoid", "Relu", "Tanh"])
case("lstm_full_sequence_lens", "LSTM", sequence_lens=True,
     outputs=["Y_c"])
case("lstm_opset7_bidirectional", "LSTM", opset=7,
     direction="bidirectional", outputs=["Y_h"])
case("gru_bidirectional_reset_before", "GRU", direction="bidirectional",
     initial=True, linear_before_reset=0)
case("gru_reverse_linear_before_reset", "GRU", direction="reverse",
     linear_before_reset=1)
case("gru_layout1_bidirectional", "GRU", direction="bidirectional",
     layout=1, linear_before_reset=1, initial=True)
case("gru_no_bias", "GRU", bias=False, T=6)

# ---------------------------------------------------------------------------
# PyTorch.

import torch  # noqa: E402 (after the NumPy part: a slow import)

torch.manual_seed(0)


class Recurrent(torch.nn.Module):
    def __init__(self, layer):
        super().__init__()
        self.layer = layer

    def forward(self, x):
        return self.layer(x)[0]


def export(module, x, path, dynamic):
    torch.onnx.export(module, torch.from_numpy(x), path, opset_version=13,
                      input_names=["x"], output_names=["y"],
                      dynamic_axes={"x": {0: "N"}, "y": {0: "N"}}
                      if dynamic else None)
    return onnx.load(path)


torch_dir = os.path.join(out, "torch")
os.makedirs(torch_dir, exist_ok=True)
steps, features, hidden = 6, 3, 4
x = rng.standard_normal((5, steps, features)).astype(np.float32)
np.save(os.path.join(torch_dir, "x.npy"), x)
layers = {
    "lstm": torch.nn.LSTM(features, hidden, batch_first=True),
    "gru": torch.nn.GRU(features, hidden, batch_first=True,
                        bidirectional=True),
}
for name, layer in layers.items():
    module = Recurrent(layer).eval()
    with torch.no_grad():
        y = module(torch.from_numpy(x)).numpy()
    np.save(os.path.join(torch_dir, name + ".y.npy"), y)
    export(module, x, os.path.join(torch_dir, name + ".onnx"), dynamic=True)
    static = os.path.join(out, "torch-static", "test_torch_" + name)
    os.makedirs(static, exist_ok=True)
    model = export(module, x, os.path.join(static, "model.onnx"),
                   dynamic=False)
    save_backend_test(static, model, [x], [y])
