"""Recurrent dropout in training: models, and an independent float64 NumPy
trainer.

usage: rnn_dropout_reference.py make DIR KIND
       rnn_dropout_reference.py check DIR KIND INIT.weights.h5
           AFTER.weights.h5 HISTORY.json EPOCHS LR SEED
       rnn_dropout_reference.py predict DIR KIND INIT.weights.h5 PRED.npy

KIND is simple (SimpleRNN(4)), lstm (LSTM(3): recurrent_dropout, so Keras
3's implementation 1 with one mask per gate), gru (GRU(3), reset_after,
per-gate masks), gru_input (GRU(3) with dropout only: one mask shared by the
gates) or gru_v1 (reset_after=False, per-gate masks). `make` writes
DIR/model.json (the layer with dropout 0.3 and recurrent_dropout 0.4 on
(5, 3) sequences, then Dense(2); mean squared error, SGD) and data.

`check` runs EPOCHS full-batch SGD steps of Keras 3's rule: the cell's input
x_t and h_{t-1} are multiplied by masks drawn ONCE per sequence (the same
for every time step), Bernoulli(1 - rate) / (1 - rate), from kiln's
documented counter-based generator (kiln.random_uniform in KilnOps.td,
keyed by [seed, step] and a hash of the mask's name
"<layer>/<cell>/dropout/<g>" or ".../recurrent_dropout/<g>"); gradients are
central differences. It prints the fraction of mask entries dropped and
compares losses and final weights with kiln's. `predict` checks inference:
no masks at all.
"""
import json
import os
import sys

import h5py
import numpy as np

from dropout_reference import uniform
from trajectory import compare

DROPOUT, RECURRENT = 0.3, 0.4
BATCH, STEPS, FEATURES = 8, 5, 3
KINDS = {
    # class, units, gates, extra config, dropout, masks per gate
    "simple": ("SimpleRNN", 4, 1, {}, DROPOUT, False),
    "lstm": ("LSTM", 3, 4, {}, DROPOUT, True),
    "gru": ("GRU", 3, 3, {}, DROPOUT, True),
    "gru_input": ("GRU", 3, 3, {}, DROPOUT, False),
    "gru_v1": ("GRU", 3, 3, {"reset_after": False}, DROPOUT, True),
}


def layer_name(kind):
    return {"SimpleRNN": "simple_rnn", "LSTM": "lstm",
            "GRU": "gru"}[KINDS[kind][0]]


def make(out, kind):
    cls, units, _, extra, dropout, _ = KINDS[kind]
    recurrent = 0.0 if kind == "gru_input" else RECURRENT
    name = layer_name(kind)
    rnn = {"module": "keras.layers", "class_name": cls, "config": {
        "name": name, "trainable": True, "dtype": "float32", "units": units,
        "dropout": dropout, "recurrent_dropout": recurrent, "seed": None,
        **extra}, "registered_name": None}
    dense = {"module": "keras.layers", "class_name": "Dense", "config": {
        "name": "dense", "units": 2, "activation": "linear"}}
    model = {"module": "keras", "class_name": "Sequential", "config": {
        "name": "m", "layers": [
            {"class_name": "InputLayer", "config": {
                "batch_shape": [None, STEPS, FEATURES], "name": "x"}},
            rnn, dense]},
        "compile_config": {"loss": "mean_squared_error", "optimizer": {
            "module": "keras.optimizers", "class_name": "SGD",
            "config": {"learning_rate": 0.1}, "registered_name": None}}}
    with open(os.path.join(out, "model.json"), "w") as f:
        json.dump(model, f)
    rng = np.random.default_rng(7)
    np.save(os.path.join(out, "x.npy"),
            rng.normal(size=(BATCH, STEPS, FEATURES)).astype(np.float32))
    np.save(os.path.join(out, "y.npy"),
            rng.normal(size=(BATCH, 2)).astype(np.float32))


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def forward(kind, w, x, masks):
    """The layer (Keras 3's cells) then Dense; `masks` maps "dropout" and
    "recurrent_dropout" to a list of (batch, n) masks (one, or one per
    gate), or is empty in inference."""
    cls, units, gates, extra, _, _ = KINDS[kind]
    kernel, rec, bias, dk, db = w
    u = units
    mx = masks.get("dropout", [1.0])
    mh = masks.get("recurrent_dropout", [1.0])
    pick = lambda ms, g: ms[g] if len(ms) > 1 else ms[0]

    def proj(v, wt, ms):  # per gate (v * m_g) @ w_g, side by side
        return np.concatenate([(v * pick(ms, g)) @ wt[:, g * u:(g + 1) * u]
                               for g in range(gates)], axis=-1)
    h = np.zeros((x.shape[0], u))
    c = np.zeros_like(h)
    for t in range(x.shape[1]):
        xt = x[:, t]
        if cls == "SimpleRNN":
            h = np.tanh(proj(xt, kernel, mx) + bias + proj(h, rec, mh))
        elif cls == "LSTM":
            z = proj(xt, kernel, mx) + proj(h, rec, mh) + bias
            i, f, g, o = (z[:, k * u:(k + 1) * u] for k in range(4))
            c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
            h = sigmoid(o) * np.tanh(c)
        else:
            reset_after = extra.get("reset_after", True)
            xb = bias[0] if reset_after else bias
            xz = proj(xt, kernel, mx) + xb
            if reset_after:
                inner = proj(h, rec, mh) + bias[1]
                rz, rr, rh = (inner[:, k * u:(k + 1) * u] for k in range(3))
            else:
                rz = (h * pick(mh, 0)) @ rec[:, :u]
                rr = (h * pick(mh, 1)) @ rec[:, u:2 * u]
            z = sigmoid(xz[:, :u] + rz)
            r = sigmoid(xz[:, u:2 * u] + rr)
            if reset_after:
                hh = np.tanh(xz[:, 2 * u:] + r * rh)
            else:
                hh = np.tanh(xz[:, 2 * u:] + (r * (h * pick(mh, 2))) @ rec[:, 2 * u:])
            h = z * h + (1 - z) * hh
    return h @ dk + db


def names(kind):
    n = layer_name(kind)
    return [f"layers/{n}/cell/vars/{i}" for i in range(3)] + [
        f"layers/dense/vars/{i}" for i in range(2)]


def load(path, kind):
    with h5py.File(path) as f:
        return [np.array(f[n][()], dtype=np.float64) for n in names(kind)]


def draw(kind, seed, step):
    cls, units, gates, _, dropout, per_gate = KINDS[kind]
    recurrent = 0.0 if kind == "gru_input" else RECURRENT
    count = gates if per_gate else 1
    layer = layer_name(kind)
    masks = {}
    for what, rate, width in (("dropout", dropout, FEATURES),
                              ("recurrent_dropout", recurrent, units)):
        if rate == 0:
            continue
        threshold = np.float32(rate - 2.0 ** -25)
        masks[what] = [
            (uniform(seed, step, f"{layer}/{layer}/{what}/{g}",
                     (BATCH, width)).astype(np.float32) - threshold > 0)
            / (1 - rate) for g in range(count)]
    return masks


def check(out, kind, init, after, history, epochs, lr, seed):
    w = load(init, kind)
    x = np.load(os.path.join(out, "x.npy")).astype(np.float64)
    y = np.load(os.path.join(out, "y.npy")).astype(np.float64)
    loss = lambda w, m: np.mean((forward(kind, w, x, m) - y) ** 2)
    losses, dropped, total = [], {}, {}
    for step in range(epochs):
        masks = draw(kind, seed, step)
        for what, ms in masks.items():
            dropped[what] = dropped.get(what, 0) + sum(int((m == 0).sum()) for m in ms)
            total[what] = total.get(what, 0) + sum(m.size for m in ms)
        losses.append(loss(w, masks))
        grads = []
        for p in w:
            g = np.zeros_like(p)
            for i in np.ndindex(p.shape):
                old = p[i]
                p[i] = old + 1e-6
                up = loss(w, masks)
                p[i] = old - 1e-6
                down = loss(w, masks)
                p[i] = old
                g[i] = (up - down) / 2e-6
            grads.append(g)
        w = [p - lr * g for p, g in zip(w, grads)]
    for what in sorted(dropped):
        print(f"{what}: dropped {dropped[what] / total[what]:.2f} of {total[what]}")
    compare(losses, history, names(kind), w, after)


def predict(out, kind, init, pred):
    w = load(init, kind)
    x = np.load(os.path.join(out, "x.npy")).astype(np.float64)
    e = np.abs(forward(kind, w, x, {}) - np.load(pred)).max()
    print("inference: max abs err", e, "OK" if e <= 1e-5 else "FAILED")


if __name__ == "__main__":
    cmd, a = sys.argv[1], sys.argv[2:]
    if cmd == "make":
        make(a[0], a[1])
    elif cmd == "check":
        check(*a[:5], int(a[5]), float(a[6]), int(a[7]))
    else:
        predict(*a)
