"""Independent float64 NumPy reference for BatchNormalization training.

usage: bn_reference.py INIT.weights.h5 AFTER.weights.h5 X.npy Y.npy
           BATCH STEPS LR [--frozen]

Reads the initial weights (a Keras 3 .weights.h5 kiln exported), runs
STEPS SGD steps of Keras's fit without shuffling on consecutive batches of
BATCH samples (Dense -> BatchNormalization(momentum 0.9, epsilon 1e-3) ->
Dense(softmax), sparse categorical cross-entropy) and compares every weight,
moving statistics included, with AFTER. Gradients are float64 central
differences of the NumPy loss, not kiln's autodiff. With --frozen the
BatchNormalization layer has trainable=False: Keras runs it in inference
mode and updates neither gamma/beta nor the moving statistics.
"""
import sys

import h5py
import numpy as np

init_path, after_path, x_path, y_path = sys.argv[1:5]
batch, steps, lr = int(sys.argv[5]), int(sys.argv[6]), float(sys.argv[7])
frozen = "--frozen" in sys.argv
MOMENTUM, EPS = 0.9, 1e-3
NAMES = ["layers/dense/vars/0", "layers/dense/vars/1",
         "layers/batch_normalization/vars/0", "layers/batch_normalization/vars/1",
         "layers/batch_normalization/vars/2", "layers/batch_normalization/vars/3",
         "layers/dense_1/vars/0", "layers/dense_1/vars/1"]


def load(path):
    with h5py.File(path) as f:
        return [np.array(f[n][()], dtype=np.float64) for n in NAMES]


def forward(w, x, y, training):
    k1, b1, gamma, beta, mean, var, k2, b2 = w
    h = x @ k1 + b1
    if training:
        mean_b, var_b = h.mean(axis=0), h.var(axis=0)
    else:
        mean_b, var_b = mean, var
    z = (h - mean_b) / np.sqrt(var_b + EPS) * gamma + beta
    logits = z @ k2 + b2
    logits = logits - logits.max(axis=1, keepdims=True)
    logp = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    return -logp[np.arange(len(y)), y].mean(), mean_b, var_b


x = np.load(x_path).astype(np.float64)
y = np.load(y_path).astype(np.int64)
w = load(init_path)
trainable = [0, 1, 6, 7] if frozen else [0, 1, 2, 3, 6, 7]
for step in range(steps):
    start = (step * batch) % len(x)
    xb, yb = x[start:start + batch], y[start:start + batch]
    grads = {}
    for i in trainable:
        g = np.zeros_like(w[i])
        for idx in np.ndindex(w[i].shape):
            for sign in (1, -1):
                v = [a.copy() for a in w]
                v[i][idx] += sign * 1e-6
                g[idx] += sign * forward(v, xb, yb, not frozen)[0] / 2e-6
        grads[i] = g
    _, mean_b, var_b = forward(w, xb, yb, not frozen)
    for i in trainable:
        w[i] = w[i] - lr * grads[i]
    if not frozen:
        w[4] = w[4] * MOMENTUM + mean_b * (1 - MOMENTUM)
        w[5] = w[5] * MOMENTUM + var_b * (1 - MOMENTUM)

worst = 0.0
for name, ref, got in zip(NAMES, w, load(after_path)):
    err = np.abs(ref - got).max() / max(1.0, np.abs(ref).max())
    worst = max(worst, err)
    print(f"{name}: max rel err {err:.2e}")
print(f"worst {worst:.2e} " + ("<= 1e-5: OK" if worst <= 1e-5 else "> 1e-5: FAIL"))
