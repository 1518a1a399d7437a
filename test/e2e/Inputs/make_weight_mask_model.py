"""make_weight_mask_model.py OUT: an ONNX model whose weight w (4,) meets a
known mask m (4,), both float initializers, before it meets the input:
y = x + w * m. kiln must train w and m (every float initializer is a
parameter) rather than fold w * m into a constant. Writes OUT/wm.onnx,
OUT/x.npy, OUT/y.npy (8 samples) and OUT/ref.npz, w and m after one step
of SGD (learning rate 0.1) on the mean squared error of the 8 samples,
computed here in float64."""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
w = np.array([0.5, -1, 2, 3], np.float32)
m = np.array([1, 0, 1, 0.5], np.float32)
graph = helper.make_graph(
    [helper.make_node("Mul", ["w", "m"], ["wm"]),
     helper.make_node("Add", ["x", "wm"], ["y"])], "wm",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 4])],
    [numpy_helper.from_array(w, "w"), numpy_helper.from_array(m, "m")])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
model.ir_version = 8
onnx.checker.check_model(model)
onnx.save(model, os.path.join(out, "wm.onnx"))

rng = np.random.default_rng(3)
x = rng.standard_normal((8, 4)).astype(np.float32)
t = rng.standard_normal((8, 4)).astype(np.float32)
np.save(os.path.join(out, "x.npy"), x)
np.save(os.path.join(out, "y.npy"), t)
# loss = mean((x + w * m - t)^2) over the 8 x 4 values.
w64, m64 = w.astype(np.float64), m.astype(np.float64)
g = 2 * (x + w64 * m64 - t) / x.size
gw, gm = (g * m64).sum(0), (g * w64).sum(0)
np.savez(os.path.join(out, "ref.npz"), w=w64 - 0.1 * gw, m=m64 - 0.1 * gm)
