"""RandomFlip in training: a model, and an independent float64 NumPy trainer.

usage: random_flip_reference.py make DIR MODE
       random_flip_reference.py check INIT.weights.h5 AFTER.weights.h5
           HISTORY.json X.npy Y.npy EPOCHS LR SEED MODE

`make` writes DIR/model.json ((3, 4, 2) images -> RandomFlip(MODE) ->
Flatten -> Dense(3), mean squared error, SGD) and data. `check` runs EPOCHS
full-batch SGD steps in which each image is flipped (along the width for
"horizontal", along both axes for "horizontal_and_vertical") when its draw
u <= 1/2, as Keras's RandomFlip decides, u from kiln's documented
counter-based generator (kiln.random_uniform in KilnOps.td: one draw per
image, keyed by [seed, step] and a hash of the layer name), and compares the
losses and final weights with kiln's. Gradients are derived by hand.
"""
import json
import os
import sys

import h5py
import numpy as np

from dropout_reference import uniform
from trajectory import compare

SHAPE = [3, 4, 2]


def make(out, mode):
    def obj(module, cls, **config):
        return {"module": module, "class_name": cls, "config": config,
                "registered_name": None}
    model = {"module": "keras", "class_name": "Sequential", "config": {
        "name": "m", "trainable": True, "layers": [
            {"module": "keras.layers", "class_name": "InputLayer",
             "config": {"batch_shape": [None] + SHAPE, "dtype": "float32",
                        "name": "x"}},
            {"module": "keras.layers", "class_name": "RandomFlip",
             "config": {"name": "flip", "mode": mode, "seed": None,
                        "data_format": "channels_last", "trainable": True,
                        "dtype": "float32"}, "registered_name": None},
            {"module": "keras.layers", "class_name": "Flatten",
             "config": {"name": "flatten"}},
            {"module": "keras.layers", "class_name": "Dense",
             "config": {"name": "dense", "units": 3, "activation": "linear",
                        "use_bias": True, "trainable": True,
                        "dtype": "float32",
                        "kernel_initializer": obj("keras.initializers",
                                                  "GlorotUniform", seed=None),
                        "bias_initializer": obj("keras.initializers",
                                                "Zeros")},
             "registered_name": None}]},
        "compile_config": {"loss": "mean_squared_error",
                           "optimizer": obj("keras.optimizers", "SGD",
                                            learning_rate=0.1)}}
    with open(os.path.join(out, "model.json"), "w") as f:
        json.dump(model, f)
    rng = np.random.default_rng(4)
    np.save(os.path.join(out, "x.npy"),
            rng.normal(size=[16] + SHAPE).astype(np.float32))
    np.save(os.path.join(out, "y.npy"), rng.normal(size=(16, 3)).astype(np.float32))


def check(init, after, history, x_path, y_path, epochs, lr, seed, mode):
    names = [f"layers/dense/vars/{i}" for i in (0, 1)]
    with h5py.File(init) as f:
        w = [np.array(f[n][()], dtype=np.float64) for n in names]
    x = np.load(x_path).astype(np.float64)
    y = np.load(y_path).astype(np.float64)
    n = x.shape[0]
    mirrored = x[:, :, ::-1, :]
    if mode == "horizontal_and_vertical":
        mirrored = mirrored[:, ::-1, :, :]
    losses, flipped = [], 0
    for step in range(epochs):
        k, b = w
        u = uniform(seed, step, "flip", (n, 1, 1, 1)).astype(np.float32)
        flip = u <= np.float32(0.5)
        flipped += int(flip.sum())
        d = np.where(flip, mirrored, x).reshape(n, -1)
        z = d @ k + b
        losses.append(np.mean((z - y) ** 2))
        dz = 2 * (z - y) / z.size
        w = [k - lr * (d.T @ dz), b - lr * dz.sum(0)]
    print(f"flipped {flipped} of {epochs * n}")
    compare(losses, history, names, w, after)


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2], sys.argv[3])
    else:
        a = sys.argv[2:]
        check(*a[:5], int(a[5]), float(a[6]), int(a[7]), a[8])
