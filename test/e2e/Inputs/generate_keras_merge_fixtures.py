"""Writes test/e2e/Inputs/keras3-merge/: a Keras 3 functional model of two
inputs through every supported merge layer, with Keras's own outputs, and
the same model trained by model.fit.

Run with real Keras 3 on TensorFlow (not needed by the tests, which read the
committed files):
    python3 -m venv /tmp/kvenv && /tmp/kvenv/bin/pip install keras tensorflow-cpu
    /tmp/kvenv/bin/python test/e2e/Inputs/generate_keras_merge_fixtures.py

Writes merge.keras (untrained), x0.npy, x1.npy, y.npy (labels),
pred.npy (model.predict before training), losses.json (3 epochs of Adam,
batch 4, no shuffling) and pred_after.npy.
"""
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import layers  # noqa: E402

import keras_fixtures  # noqa: E402
from keras_fixtures import save_predicted, save_trained  # noqa: E402,F401

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "keras3-merge")


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(5)
    keras.utils.set_random_seed(5)
    a_in = keras.Input((4,), name="a")
    b_in = keras.Input((3,), name="b")
    a = layers.Dense(5, activation="tanh", name="da")(a_in)
    b = layers.Dense(5, name="db")(b_in)
    merged = [
        layers.Add(name="add")([a, b]),
        layers.Subtract(name="sub")([a, b]),
        layers.Multiply(name="mul")([a, b]),
        layers.Maximum(name="max")([a, b]),
        layers.Minimum(name="min")([a, b]),
        layers.Average(name="avg")([a, b, a]),
    ]
    cat = layers.Concatenate(name="cat")(merged + [a_in])
    out = layers.Dense(3, activation="softmax", name="out")(cat)
    model = keras.Model([a_in, b_in], out, name="merge")
    x0 = rng.normal(size=(12, 4))
    x1 = rng.normal(size=(12, 3))
    y = rng.integers(0, 3, size=(12,))
    save_trained(OUT, model, [x0, x1], y, "merge.keras", lambda n: n,
                 x_names=("x0", "x1"), predict_before=True)

if __name__ == "__main__":
    main()
