"""BatchNormalization training on badly conditioned inputs, against PyTorch.

usage: bn_conditioning.py make DIR
       bn_conditioning.py check DIR TRAINED.onnx

`make` writes DIR/bn.onnx (opset 15, inference-form BatchNormalization
nodes, which kiln trains with batch statistics) and DIR/x.npy, DIR/t.npy:
    x -> BatchNormalization -> Conv(3x3, pad 1) -> BatchNormalization
      -> Relu -> GlobalAveragePool -> Flatten -> Gemm -> logits
The input's mean is 1000 times its deviation, and the convolution's bias
makes its output's mean about 100 times its deviation: the statistics a
deep network without normalized residual sums reaches. Differentiating
y = x * inv + (beta - mean * inv) there cancels catastrophically in float32
(sum(g * x) - mean * sum(g)); the centered form does not.

`check` takes one full-batch SGD step (learning rate 0.1, sparse
categorical cross-entropy from logits) in float64 with PyTorch's autodiff
and compares TRAINED.onnx's initializers (the weights after kiln's float32
step) with it: each update (new - old) must match to 1e-4 of its largest
element (the convolution's bias, whose gradient is zero, of the largest
update of all), and the running statistics (ONNX's rule: biased variance,
momentum 0.9) to 1e-5 relative.
"""
import os
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto

N, C, H, W, K, CLASSES = 8, 3, 6, 6, 4, 3
MOMENTUM, EPS, LR = 0.9, 1e-5, 0.1


def initial():
    rng = np.random.default_rng(7)
    f = lambda *s: rng.standard_normal(s).astype(np.float32)
    return {
        "g1": 1 + 0.1 * f(C), "b1": 0.1 * f(C),
        "m1": np.zeros(C, np.float32), "v1": np.ones(C, np.float32),
        "w": 0.3 * f(K, C, 3, 3), "wb": np.full(K, 100, np.float32) + f(K),
        "g2": 1 + 0.1 * f(K), "b2": 0.1 * f(K),
        "m2": np.zeros(K, np.float32), "v2": np.ones(K, np.float32),
        "fc": 0.5 * f(CLASSES, K), "fcb": 0.1 * f(CLASSES),
    }


def make(out):
    rng = np.random.default_rng(3)
    x = (1000 + rng.standard_normal((N, C, H, W))).astype(np.float32)
    t = rng.integers(0, CLASSES, N).astype(np.int64)
    np.save(os.path.join(out, "x.npy"), x)
    np.save(os.path.join(out, "t.npy"), t)
    bn = lambda i, o, n: helper.make_node(
        "BatchNormalization", [i, "g" + n, "b" + n, "m" + n, "v" + n], [o],
        epsilon=EPS, momentum=MOMENTUM)
    nodes = [
        bn("x", "n1", "1"),
        helper.make_node("Conv", ["n1", "w", "wb"], ["c"], pads=[1] * 4),
        bn("c", "n2", "2"),
        helper.make_node("Relu", ["n2"], ["r"]),
        helper.make_node("GlobalAveragePool", ["r"], ["p"]),
        helper.make_node("Flatten", ["p"], ["f"]),
        helper.make_node("Gemm", ["f", "fc", "fcb"], ["logits"], transB=1),
    ]
    graph = helper.make_graph(
        nodes, "bn_conditioning",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                       ["N", C, H, W])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT,
                                       ["N", CLASSES])],
        [numpy_helper.from_array(v, k) for k, v in initial().items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 15)])
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(out, "bn.onnx"))


def check(out, trained_path):
    import torch
    import torch.nn.functional as F
    x = torch.from_numpy(np.load(os.path.join(out, "x.npy"))).double()
    t = torch.from_numpy(np.load(os.path.join(out, "t.npy")))
    w0 = {k: torch.from_numpy(v).double() for k, v in initial().items()}
    p = {k: v.clone().requires_grad_(k[0] not in "mv") for k, v in w0.items()}

    def batch_norm(h, n):
        dims = [0, 2, 3]
        mean, var = h.mean(dims), h.var(dims, unbiased=False)
        y = (h - mean.view(1, -1, 1, 1)) / torch.sqrt(
            var.view(1, -1, 1, 1) + EPS)
        running = {"m" + n: mean, "v" + n: var}
        return (y * p["g" + n].view(1, -1, 1, 1) +
                p["b" + n].view(1, -1, 1, 1)), running

    h, run1 = batch_norm(x, "1")
    h = F.conv2d(h, p["w"], p["wb"], padding=1)
    h, run2 = batch_norm(h, "2")
    logits = F.linear(F.relu(h).mean([2, 3]), p["fc"], p["fcb"])
    F.cross_entropy(logits, t).backward()

    want = {}
    for k, v in p.items():
        if k[0] in "mv":
            batch = {**run1, **run2}[k].detach()
            want[k] = w0[k] * MOMENTUM + batch * (1 - MOMENTUM)
        else:
            want[k] = w0[k] - LR * v.grad
    got = {i.name: numpy_helper.to_array(i).astype(np.float64)
           for i in onnx.load(trained_path).graph.initializer}
    # The convolution's bias has no gradient (the BatchNormalization after
    # it subtracts it again): its update is measured against the largest
    # update of any parameter.
    largest = max(np.max(np.abs(want[k].numpy() - w0[k].numpy()))
                  for k in want if k[0] not in "mv")
    worst = 0.0
    for k in sorted(want):
        ref = want[k].numpy()
        if k[0] in "mv":
            err = np.max(np.abs(got[k] - ref) / np.abs(ref))
            limit = 1e-5
        else:
            step = ref - w0[k].numpy()
            scale = largest if k == "wb" else np.max(np.abs(step))
            err = np.max(np.abs((got[k] - w0[k].numpy()) - step)) / scale
            limit = 1e-4
        worst = max(worst, err / limit)
        print(f"{k}: error {err:.3g} (limit {limit:g})",
              "OK" if err <= limit else "FAILED")
    print("worst", "OK" if worst <= 1 else "FAILED")


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2])
    else:
        check(sys.argv[2], sys.argv[3])
