"""The float64 NumPy reference of onnx_gather_nd.test's training: the
`pick` model (../../frontend/onnx/Inputs/make_gather_nd_models.py), y =
GatherND(x * w, idx, batch_dims=1), trained with Keras's mean squared error
and plain SGD on targets t, batches in order, then its predictions.

  gather_nd_sgd.py MODEL.onnx x.npy idx.npy t.npy LR EPOCHS BATCH OUT.npy
"""
import sys

import numpy as np
import onnx
from onnx import numpy_helper

model, xs, ids, ts, lr, epochs, batch, out = sys.argv[1:]
w = {i.name: numpy_helper.to_array(i)
     for i in onnx.load(model).graph.initializer}["w"].astype(np.float64)
x = np.load(xs).astype(np.float64)
idx = np.load(ids)
t = np.load(ts).astype(np.float64)
lr, epochs, batch = float(lr), int(epochs), int(batch)


def rows(xb, ib):
    # Each sample's rows at its indices (negative ones from the end).
    return np.stack([xb[n, ib[n, :, 0] % xb.shape[1]]
                     for n in range(len(xb))])


for _ in range(epochs):
    for s in range(0, len(x), batch):
        r = rows(x[s:s + batch], idx[s:s + batch])
        diff = r * w - t[s:s + batch]
        w -= lr * (2 * diff * r).sum(axis=(0, 1)) / diff.size
np.save(out, (rows(x, idx) * w).astype(np.float32))
