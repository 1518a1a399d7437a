"""Writes test/e2e/Inputs/keras3-batched/: Keras 3 models of the layers that
apply per time step or per sample matrix, with Keras's own outputs:

- td.*: TimeDistributed over Conv2D, BatchNormalization (Keras 3 calls the
  wrapped layer once per step: per-step batch statistics in training, one
  moving-statistics update per step), MaxPooling2D, Flatten and Dense with
  an activation; predicted, then trained 3 epochs with Adam.
- tdinfer.*: TimeDistributed over Conv2D, Dropout, SpatialDropout2D,
  AveragePooling2D, a frozen BatchNormalization, Flatten and Dense, saved
  as .keras and as a legacy .h5 (Keras 2 weight names); predicted only
  (dropout draws cannot match TensorFlow's).
- tdrnn.*: TimeDistributed over LSTM, GRU and SimpleRNN (each step's own
  sequence); predicted, then trained.
- dot.*: Dot of rank-3 inputs over axes [2, 2], [1, 1], [2, 1], negative
  axes with normalize=True, and of a rank-3 with a rank-2 input both ways;
  predicted, then trained.

Run with real Keras 3 on TensorFlow (not needed by the tests, which read the
committed files):
    python3 -m venv /tmp/kvenv && /tmp/kvenv/bin/pip install keras tensorflow-cpu
    /tmp/kvenv/bin/python test/e2e/Inputs/generate_keras_batched_fixtures.py
"""
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import layers  # noqa: E402

from keras_fixtures import randomize, save_trained  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                   "keras3-batched")
TD = layers.TimeDistributed


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(11)
    keras.utils.set_random_seed(11)

    td = keras.Sequential([
        keras.Input((3, 6, 6, 2)),
        TD(layers.Conv2D(3, 3, activation="relu")),
        TD(layers.BatchNormalization(momentum=0.8)),
        TD(layers.MaxPooling2D(2)),
        TD(layers.Flatten()),
        TD(layers.Dense(5, activation="tanh")),
        layers.Flatten(),
        layers.Dense(3, activation="softmax"),
    ], name="td")
    x = rng.normal(size=(12, 3, 6, 6, 2))
    # Steps with different statistics, so per-step and pooled differ.
    x[:, 1] = x[:, 1] * 2 + 1
    y = rng.integers(0, 3, size=(12,))
    save_trained(OUT, td, [x], y, "td.keras", lambda n: "td." + n,
                 predict_before=True)

    frozen = layers.BatchNormalization()
    frozen.trainable = False
    infer = keras.Sequential([
        keras.Input((4, 5, 5, 2)),
        TD(layers.Conv2D(4, 2, padding="same", activation="elu")),
        TD(layers.Dropout(0.3)),
        TD(layers.SpatialDropout2D(0.2)),
        TD(layers.AveragePooling2D(2)),
        TD(frozen),
        TD(layers.Flatten()),
        TD(layers.Dense(3, use_bias=False)),
        layers.Flatten(),
        layers.Dense(2),
    ], name="tdinfer")
    randomize(infer, rng, 0.5)
    frozen.moving_variance.assign(
        rng.uniform(0.5, 2.0, frozen.moving_variance.shape))
    xi = rng.normal(size=(6, 4, 5, 5, 2)).astype(np.float32)
    infer.save(os.path.join(OUT, "tdinfer.keras"))
    infer.save(os.path.join(OUT, "tdinfer.h5"))
    np.save(os.path.join(OUT, "tdinfer.x.npy"), xi)
    np.save(os.path.join(OUT, "tdinfer.pred.npy"),
            infer.predict(xi, verbose=0).astype(np.float32))

    a_in = keras.Input((4, 3), name="a")
    b_in = keras.Input((5, 3), name="b")
    c_in = keras.Input((3,), name="c")
    d_in = keras.Input((3, 5), name="d")
    a = layers.Dense(3, activation="tanh")(a_in)
    c = layers.Dense(3)(c_in)
    dots = [
        layers.Dot(axes=[2, 2])([a, b_in]),                   # (4, 5)
        layers.Dot(axes=[1, 1])([a, layers.Dense(6)(a_in)]),  # (3, 6)
        layers.Dot(axes=[2, 1])([a, d_in]),                   # (4, 5)
        layers.Dot(axes=-1, normalize=True)([a, b_in]),       # (4, 5)
        layers.Dot(axes=[1, 1])([c, d_in]),                   # (5,)
        layers.Dot(axes=[-1, 1])([a, c]),                     # (4,)
    ]
    merged = layers.Concatenate()([layers.Flatten()(t) if len(t.shape) > 2
                                   else t for t in dots])
    out = layers.Dense(3, activation="softmax")(merged)
    dot = keras.Model([a_in, b_in, c_in, d_in], out, name="dot")
    xs = [rng.normal(size=(12,) + s) for s in [(4, 3), (5, 3), (3,), (3, 5)]]
    yd = rng.integers(0, 3, size=(12,))
    save_trained(OUT, dot, xs, yd, "dot.keras", lambda n: "dot." + n,
                 x_names=("x0", "x1", "x2", "x3"), predict_before=True)

    # Recurrent layers per step: each step's own (5, 2) sequence.
    tdrnn = keras.Sequential([
        keras.Input((3, 5, 2)),
        TD(layers.LSTM(4, return_sequences=True)),
        TD(layers.GRU(3, return_sequences=True)),
        TD(layers.SimpleRNN(2)),
        layers.Flatten(),
        layers.Dense(3, activation="softmax"),
    ], name="tdrnn")
    xr = rng.normal(size=(12, 3, 5, 2))
    yr = rng.integers(0, 3, size=(12,))
    save_trained(OUT, tdrnn, [xr], yr, "tdrnn.keras", lambda n: "tdrnn." + n,
                 predict_before=True)


if __name__ == "__main__":
    main()
