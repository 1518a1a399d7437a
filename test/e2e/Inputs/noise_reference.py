"""GaussianNoise, GaussianDropout and AlphaDropout in training: a model, and
an independent float64 NumPy trainer.

usage: noise_reference.py make DIR LAYER
       noise_reference.py check INIT.weights.h5 AFTER.weights.h5
           HISTORY.json X.npy Y.npy EPOCHS LR SEED LAYER

`make` writes DIR/model.json (4 -> Dense(8, tanh) -> LAYER -> Dense(3),
mean squared error, SGD; GaussianNoise(stddev=0.3), GaussianDropout(0.3) or
AlphaDropout(0.3)) and data. `check` runs EPOCHS full-batch SGD steps with
Keras's formulas, drawing from kiln's documented counter-based generator
(kiln.random_uniform, kiln.gaussian_noise and kiln.alpha_dropout in
KilnOps.td: the layer's stream, and for the normal draws by Box-Muller the
next stream too), and compares the losses and final weights with kiln's.
It prints the noise's mean and deviation (GaussianNoise's: 0 and 0.3) or
the share of elements dropped (AlphaDropout's: 0.3). Gradients are derived
by hand.
"""
import json
import os
import sys

import h5py
import numpy as np

from dropout_reference import M, stream, uniform_on as uniform
from trajectory import compare

SETTING = 0.3
ALPHA_P = -1.6732632423543772848170429916717 * 1.0507009873554804934193349852946


def make(out, layer):
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
    setting = {"stddev": SETTING} if layer == "GaussianNoise" else {"rate": SETTING}
    if layer == "AlphaDropout":
        setting["noise_shape"] = None
    model = {"module": "keras", "class_name": "Sequential", "config": {
        "name": "m", "trainable": True, "layers": [
            {"module": "keras.layers", "class_name": "InputLayer",
             "config": {"batch_shape": [None, 4], "dtype": "float32", "name": "x"}},
            dense("dense", 8, "tanh"),
            {"module": "keras.layers", "class_name": layer,
             "config": {"name": "noise", "seed": None, "trainable": True,
                        "dtype": "float32", **setting},
             "registered_name": None},
            dense("dense_1", 3, "linear")]},
        "compile_config": {"loss": "mean_squared_error",
                           "optimizer": obj("keras.optimizers", "SGD", learning_rate=0.1)}}
    with open(os.path.join(out, "model.json"), "w") as f:
        json.dump(model, f)
    rng = np.random.default_rng(3)
    np.save(os.path.join(out, "x.npy"), rng.normal(size=(64, 4)).astype(np.float32))
    np.save(os.path.join(out, "y.npy"), rng.normal(size=(64, 3)).astype(np.float32))


def check(init, after, history, x_path, y_path, epochs, lr, seed, layer):
    names = [f"layers/{n}/vars/{i}" for n in ("dense", "dense_1") for i in (0, 1)]
    with h5py.File(init) as f:
        w = [np.array(f[n][()], dtype=np.float64) for n in names]
    x = np.load(x_path).astype(np.float64)
    y = np.load(y_path).astype(np.float64)
    s = stream("noise")
    losses, noises, dropped = [], [], 0
    for step in range(epochs):
        k1, b1, k2, b2 = w
        h = np.tanh(x @ k1 + b1)
        u1 = uniform(seed, step, s, h.shape).astype(np.float32)
        if layer == "AlphaDropout":
            rate = SETTING
            a = ((1 - rate) * (1 + rate * ALPHA_P ** 2)) ** -0.5
            kept = u1 >= np.float32(rate)
            dropped += int((~kept).sum())
            d = a * np.where(kept, h, ALPHA_P) - a * ALPHA_P * rate
            slope = a * kept
        else:
            u2 = uniform(seed, step, (s + 1) & M, h.shape).astype(np.float32)
            z = np.sqrt(-2 * np.log(1 - u1.astype(np.float64))) * np.cos(2 * np.pi * u2)
            if layer == "GaussianNoise":
                noises.append(SETTING * z)
                d, slope = h + SETTING * z, 1.0
            else:
                stddev = np.sqrt(SETTING / (1 - SETTING))
                noises.append(stddev * z)
                d, slope = h * (1 + stddev * z), 1 + stddev * z
        out = d @ k2 + b2
        losses.append(np.mean((out - y) ** 2))
        dz = 2 * (out - y) / out.size
        dh = (dz @ k2.T) * slope * (1 - h * h)
        grads = [x.T @ dh, dh.sum(0), d.T @ dz, dz.sum(0)]
        w = [p - lr * g for p, g in zip(w, grads)]
    if noises:
        all_noise = np.concatenate([n.ravel() for n in noises])
        print(f"noise mean {all_noise.mean():.3f} deviation {all_noise.std():.3f}")
    else:
        total = epochs * x.shape[0] * 8
        print(f"dropped {dropped / total:.2f} (rate {SETTING})")
    compare(losses, history, names, w, after)


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2], sys.argv[3])
    else:
        a = sys.argv[2:]
        check(*a[:5], int(a[5]), float(a[6]), int(a[7]), a[8])
