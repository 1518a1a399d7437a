"""Dropout in training: a model, and an independent float64 NumPy trainer.

usage: dropout_reference.py make DIR [spatial]
       dropout_reference.py check INIT.weights.h5 AFTER.weights.h5
           HISTORY.json X.npy Y.npy EPOCHS LR SEED [spatial]

`make` writes DIR/model.json (4 -> Dense(8, tanh) -> Dropout(0.4) ->
Dense(3), mean squared error, SGD) and data; `spatial` makes it (5, 4)
sequences -> Dense(8, tanh) -> SpatialDropout1D(0.4) (one draw per sample
and channel, shared by the 5 steps) -> Flatten -> Dense(3). `check` runs EPOCHS full-batch
SGD steps with Keras's inverted dropout, drawing the mask from kiln's
documented counter-based generator (kiln.random_uniform in KilnOps.td:
SplitMix64 keyed by [seed, step] and a hash of the layer name), and compares
the losses and final weights with kiln's. Gradients are derived by hand.
"""
import json
import os
import sys

import h5py
import numpy as np

from trajectory import compare

RATE = 0.4
INPUT = {False: [4], True: [5, 4]}  # per-sample input shape
M = (1 << 64) - 1


def mix(z):
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
    return z ^ (z >> 31)


def stream(name):
    h = 0xCBF29CE484222325
    for c in name.encode():
        h = ((h ^ c) * 0x100000001B3) & M
    return h


def uniform(seed, step, layer, shape):
    return uniform_on(seed, step, stream(layer), shape)


def uniform_on(seed, step, layer_stream, shape):
    """kiln.random_uniform's numbers of `shape` on stream `layer_stream`."""
    key = mix(seed ^ mix(step ^ mix(layer_stream)))
    n = int(np.prod(shape))
    out = np.empty(n)
    for i in range(n):
        out[i] = (mix((key + (i + 1) * 0x9E3779B97F4A7C15) & M) >> 40) * 2.0 ** -24
    return out.reshape(shape)


def make(out, spatial=False):
    def obj(module, cls, **config):
        return {"module": module, "class_name": cls, "config": config,
                "registered_name": None}
    dense = lambda name, units, act: {"module": "keras.layers", "class_name": "Dense",
        "config": {"name": name, "units": units, "activation": act, "use_bias": True,
                   "trainable": True, "dtype": "float32",
                   "kernel_initializer": obj("keras.initializers", "GlorotUniform", seed=None),
                   "bias_initializer": obj("keras.initializers", "RandomUniform",
                                           minval=-0.5, maxval=0.5, seed=None)},
        "registered_name": None}
    model = {"module": "keras", "class_name": "Sequential", "config": {
        "name": "m", "trainable": True, "layers": [
            {"module": "keras.layers", "class_name": "InputLayer",
             "config": {"batch_shape": [None] + INPUT[spatial], "dtype": "float32",
                        "name": "x"}},
            dense("dense", 8, "tanh"),
            {"module": "keras.layers",
             "class_name": "SpatialDropout1D" if spatial else "Dropout",
             "config": {"name": "dropout", "rate": RATE, "seed": None,
                        "trainable": True, "dtype": "float32",
                        **({} if spatial else {"noise_shape": None})},
             "registered_name": None}] + ([
            {"module": "keras.layers", "class_name": "Flatten",
             "config": {"name": "flatten"}}] if spatial else []) + [
            dense("dense_1", 3, "linear")]},
        "compile_config": {"loss": "mean_squared_error",
                           "optimizer": obj("keras.optimizers", "SGD", learning_rate=0.1)}}
    with open(os.path.join(out, "model.json"), "w") as f:
        json.dump(model, f)
    rng = np.random.default_rng(3)
    np.save(os.path.join(out, "x.npy"),
            rng.normal(size=[16] + INPUT[spatial]).astype(np.float32))
    np.save(os.path.join(out, "y.npy"), rng.normal(size=(16, 3)).astype(np.float32))


def check(init, after, history, x_path, y_path, epochs, lr, seed,
          spatial=False):
    names = [f"layers/{n}/vars/{i}" for n in ("dense", "dense_1") for i in (0, 1)]
    with h5py.File(init) as f:
        w = [np.array(f[n][()], dtype=np.float64) for n in names]
    x = np.load(x_path).astype(np.float64)
    y = np.load(y_path).astype(np.float64)
    n = x.shape[0]
    threshold = np.float32(RATE - 2.0 ** -25)
    losses, dropped = [], 0
    for step in range(epochs):
        k1, b1, k2, b2 = w
        h = np.tanh(x @ k1 + b1)
        # One draw per element, or per sample and channel (SpatialDropout1D).
        noise = (n, 1, h.shape[-1]) if spatial else h.shape
        u = uniform(seed, step, "dropout", noise).astype(np.float32)
        mask = (u - threshold > 0) / (1 - RATE)
        dropped += int((mask == 0).sum())
        d = (h * mask).reshape(n, -1)
        z = d @ k2 + b2
        losses.append(np.mean((z - y) ** 2))
        dz = 2 * (z - y) / z.size
        dh = (dz @ k2.T).reshape(h.shape) * mask * (1 - h * h)
        dk1 = x.reshape(-1, x.shape[-1]).T @ dh.reshape(-1, dh.shape[-1])
        grads = [dk1, dh.reshape(-1, dh.shape[-1]).sum(0), d.T @ dz, dz.sum(0)]
        w = [p - lr * g for p, g in zip(w, grads)]
    total = epochs * int(np.prod(noise))
    print(f"dropped {dropped} of {total} ({dropped / total:.2f}, rate {RATE})")
    compare(losses, history, names, w, after)


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2], sys.argv[3:] == ["spatial"])
    else:
        a = sys.argv[2:]
        check(*a[:5], int(a[5]), float(a[6]), int(a[7]), a[8:] == ["spatial"])
