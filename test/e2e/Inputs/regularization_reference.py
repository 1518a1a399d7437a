"""Keras weight regularizers and constraints: models, and an independent
float64 NumPy reference for their training.

usage: regularization_reference.py make DIR
       regularization_reference.py check MODEL INIT.weights.h5
           AFTER.weights.h5 HISTORY.json X.npy Y.npy EPOCHS LR

`make` writes the models (Keras 3 JSON, 4 -> Dense(5, tanh) -> Dense(3),
mean squared error, SGD) and data into DIR:
  a.json  L1L2 + L2 regularizers, MaxNorm and NonNeg kernel constraints,
          MinMaxNorm on a bias; Keras 3 objects and the "l2" name;
  b.json  L1 regularizer, UnitNorm(axis=1) and MinMaxNorm(axis=[0, 1]).
`check` reads the initial weights kiln exported, runs EPOCHS full-batch SGD
steps as Keras 3 does (the loss adds l1 * sum|w| + l2 * sum w^2 of every
regularized weight; after each update every constrained weight becomes
constraint(w), eps = 1e-7), then compares the per-epoch losses with kiln's
history and the final weights with AFTER. Gradients are derived by hand
here; kiln's come from its autodiff.
"""
import json
import os
import sys

import h5py
import numpy as np

from trajectory import compare

EPS = 1e-7


def obj(module, cls, **config):
    return {"module": module, "class_name": cls, "config": config,
            "registered_name": None}


def dense(name, units, activation, **extra):
    config = dict(name=name, units=units, activation=activation, use_bias=True,
                  trainable=True, dtype="float32",
                  kernel_initializer=obj("keras.initializers", "GlorotUniform",
                                         seed=None),
                  bias_initializer=obj("keras.initializers", "RandomUniform",
                                       minval=-0.5, maxval=0.5, seed=None),
                  kernel_regularizer=None, bias_regularizer=None,
                  kernel_constraint=None, bias_constraint=None)
    config.update(extra)
    return {"module": "keras.layers", "class_name": "Dense", "config": config,
            "registered_name": None}


def model(layers):
    return {"module": "keras", "class_name": "Sequential",
            "config": {"name": "m", "trainable": True, "layers": [
                {"module": "keras.layers", "class_name": "InputLayer",
                 "config": {"batch_shape": [None, 4], "dtype": "float32",
                            "name": "x"}}] + layers},
            "compile_config": {
                "loss": "mean_squared_error",
                "optimizer": obj("keras.optimizers", "SGD",
                                 learning_rate=0.1)}}


REG = "keras.regularizers"
CON = "keras.constraints"
MODELS = {
    "a": model([
        dense("dense", 5, "tanh",
              kernel_regularizer=obj(REG, "L1L2", l1=0.01, l2=0.02),
              bias_regularizer=obj(REG, "L2", l2=0.05),
              kernel_constraint=obj(CON, "MaxNorm", max_value=0.6, axis=0)),
        dense("dense_1", 3, "linear", kernel_regularizer="l2",
              kernel_constraint=obj(CON, "NonNeg"),
              bias_constraint=obj(CON, "MinMaxNorm", min_value=0.2,
                                  max_value=0.3, rate=0.7, axis=0)),
    ]),
    "b": model([
        dense("dense", 5, "tanh",
              kernel_regularizer=obj(REG, "L1", l1=0.03),
              kernel_constraint=obj(CON, "UnitNorm", axis=1)),
        dense("dense_1", 3, "linear",
              kernel_constraint=obj(CON, "MinMaxNorm", min_value=0.5,
                                    max_value=0.8, rate=1.0, axis=[0, 1])),
    ]),
}


def spec(layer, key):
    """(kind, args) of a regularizer/constraint config, Keras's defaults."""
    value = layer["config"].get(key)
    if value is None:
        return None
    if isinstance(value, str):
        return {"l1": ("L1", {}), "l2": ("L2", {})}[value]
    return value["class_name"], value["config"]


def penalty(reg, w):
    """(loss term, gradient) of a regularizer."""
    if reg is None:
        return 0.0, 0.0
    cls, c = reg
    l1 = c.get("l1", 0.01 if cls == "L1" else 0.0)
    l2 = c.get("l2", 0.01 if cls == "L2" else 0.0)
    return (l1 * np.abs(w).sum() + l2 * (w * w).sum(),
            l1 * np.sign(w) + 2 * l2 * w)


def constrain(con, w):
    if con is None:
        return w
    cls, c = con
    if cls == "NonNeg":
        return w * (w >= 0)
    axis = c.get("axis", 0)
    axis = tuple(axis) if isinstance(axis, list) else axis
    n = np.sqrt((w * w).sum(axis=axis, keepdims=True))
    if cls == "UnitNorm":
        return w / (EPS + n)
    if cls == "MaxNorm":
        return w * (np.clip(n, 0, c.get("max_value", 2.0)) / (EPS + n))
    rate = c.get("rate", 1.0)
    desired = rate * np.clip(n, c.get("min_value", 0.0),
                             c.get("max_value", 1.0)) + (1 - rate) * n
    return w * (desired / (EPS + n))


def make(out):
    for name, m in MODELS.items():
        with open(os.path.join(out, f"{name}.json"), "w") as f:
            json.dump(m, f)
    rng = np.random.default_rng(7)
    np.save(os.path.join(out, "x.npy"), rng.normal(size=(16, 4)).astype(np.float32))
    np.save(os.path.join(out, "y.npy"), rng.normal(size=(16, 3)).astype(np.float32))


def check(model_path, init, after, history, x_path, y_path, epochs, lr):
    layers = json.load(open(model_path))["config"]["layers"][1:]
    names = [f"layers/{l['config']['name']}/vars/{i}" for l in layers for i in (0, 1)]
    regs = [spec(l, f"{k}_regularizer") for l in layers for k in ("kernel", "bias")]
    cons = [spec(l, f"{k}_constraint") for l in layers for k in ("kernel", "bias")]
    with h5py.File(init) as f:
        w = [np.array(f[n][()], dtype=np.float64) for n in names]
    x = np.load(x_path).astype(np.float64)
    y = np.load(y_path).astype(np.float64)
    losses = []
    for _ in range(epochs):
        k1, b1, k2, b2 = w
        h = np.tanh(x @ k1 + b1)
        z = h @ k2 + b2
        loss = np.mean((z - y) ** 2)
        dz = 2 * (z - y) / z.size
        dh = dz @ k2.T * (1 - h * h)
        grads = [x.T @ dh, dh.sum(0), h.T @ dz, dz.sum(0)]
        for i, reg in enumerate(regs):
            term, grad = penalty(reg, w[i])
            loss += term
            grads[i] = grads[i] + grad
        losses.append(loss)
        w = [constrain(c, p - lr * g) for c, p, g in zip(cons, w, grads)]
    compare(losses, history, names, w, after)


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2])
    else:
        check(*sys.argv[2:8], int(sys.argv[8]), float(sys.argv[9]))
