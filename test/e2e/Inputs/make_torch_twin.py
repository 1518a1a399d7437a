"""make_torch_twin.py KIND WEIGHTS.weights.h5 X.npy OUT_DIR: rebuilds a
reference Keras model of examples/ in PyTorch (Debian's python3-torch) with
the weights of a Keras 3 weights file, exports it with torch.onnx.export
(opset 13, a symbolic batch) as OUT_DIR/<kind>.onnx and writes the input in
the twin's layout as OUT_DIR/<kind>_x.npy. Both models are then compiled by
kiln and must agree.

  cnn   examples/fashion_mnist_cnn.json: Conv2D(16, 3, same, relu),
        MaxPool(2), Conv2D(32, 3, same, relu), MaxPool(2), Flatten,
        Dense(64, relu), Dense(10, softmax). The twin is channels-first:
        kernels (K, K, C, F) become (F, C, K, K), and the first Dense's rows
        are permuted from Keras's (h, w, c) flattening to PyTorch's (c, h, w).
  lstm  examples/fashion_mnist_lstm.json: LSTM(128) over the 28 rows,
        Dense(10, softmax). Keras's gate order (i, f, c, o) is PyTorch's
        (i, f, g, o): kernel (28, 512) -> weight_ih = kernel.T, recurrent ->
        weight_hh, bias -> bias_ih (bias_hh = 0).
"""
import os
import sys

import h5py
import numpy as np
import torch
from torch import nn

kind, weights, x_path, out = sys.argv[1:5]
f = h5py.File(weights, "r")


def var(layer, i, cell=False):
    path = f"layers/{layer}/cell/vars/{i}" if cell else f"layers/{layer}/vars/{i}"
    return torch.from_numpy(np.array(f[path]))


x = np.load(x_path).astype(np.float32)
if kind == "cnn":
    conv1, conv2 = nn.Conv2d(1, 16, 3, padding=1), nn.Conv2d(16, 32, 3, padding=1)
    dense1, dense2 = nn.Linear(1568, 64), nn.Linear(64, 10)
    with torch.no_grad():
        for conv, name in ((conv1, "conv2d"), (conv2, "conv2d_1")):
            conv.weight.copy_(var(name, 0).permute(3, 2, 0, 1))
            conv.bias.copy_(var(name, 1))
        # Keras flattens (7, 7, 32) as (h, w, c); PyTorch (32, 7, 7) as
        # (c, h, w): row (c, h, w) of the twin is Keras's row (h, w, c).
        k = var("dense", 0).reshape(7, 7, 32, 64).permute(2, 0, 1, 3)
        dense1.weight.copy_(k.reshape(1568, 64).T)
        dense1.bias.copy_(var("dense", 1))
        dense2.weight.copy_(var("dense_1", 0).T)
        dense2.bias.copy_(var("dense_1", 1))
    model = nn.Sequential(conv1, nn.ReLU(), nn.MaxPool2d(2), conv2, nn.ReLU(),
                          nn.MaxPool2d(2), nn.Flatten(), dense1, nn.ReLU(),
                          dense2, nn.Softmax(dim=1))
    # Keras's (N, 28, 28) or (N, 28, 28, 1) images as (N, 1, 28, 28).
    x = x.reshape(len(x), 1, 28, 28)
elif kind == "lstm":
    class Twin(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(28, 128, batch_first=True)
            self.dense = nn.Linear(128, 10)

        def forward(self, x):
            y, _ = self.lstm(x)
            return torch.softmax(self.dense(y[:, -1]), dim=1)

    model = Twin()
    with torch.no_grad():
        model.lstm.weight_ih_l0.copy_(var("lstm", 0, cell=True).T)
        model.lstm.weight_hh_l0.copy_(var("lstm", 1, cell=True).T)
        model.lstm.bias_ih_l0.copy_(var("lstm", 2, cell=True))
        model.lstm.bias_hh_l0.zero_()
        model.dense.weight.copy_(var("dense", 0).T)
        model.dense.bias.copy_(var("dense", 1))
else:
    sys.exit(f"unknown kind {kind}")
model.eval()
# The CNN with a symbolic batch; the LSTM with the batch of `x` (PyTorch's
# batch-first LSTM export transposes the batch away from the first
# dimension, which kiln's dynamic batch must keep).
dynamic = {"x": {0: "N"}, "y": {0: "N"}} if kind == "cnn" else None
torch.onnx.export(model, torch.from_numpy(x if dynamic is None else x[:2]),
                  os.path.join(out, kind + ".onnx"), input_names=["x"],
                  output_names=["y"], opset_version=13, dynamic_axes=dynamic)
np.save(os.path.join(out, kind + "_x.npy"), x)
