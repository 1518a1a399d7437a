"""Writes test/e2e/Inputs/keras3-initial-state/: Keras 3 functional models
whose recurrent layers start from given states (`initial_state`), with
Keras's own outputs, then trained.

Run with real Keras 3 on TensorFlow (not needed by the tests, which read the
committed files):
    python3 -m venv /tmp/kvenv && /tmp/kvenv/bin/pip install keras tensorflow-cpu
    /tmp/kvenv/bin/python test/e2e/Inputs/generate_keras_initial_state_fixtures.py

lstm.*: LSTM(4)(x, initial_state=[h0, c0]) with h0 and c0 model inputs.
gru.*: GRU(4, return_sequences=True)(x, initial_state=Dense(4)(s)): the
initial state is computed, so training reaches the Dense through it.
bidi.*: Bidirectional(SimpleRNN(3))(x, initial_state=[forward h, backward
h]), and RNN([SimpleRNNCell, LSTMCell]) from three states.
Each saves NAME.keras (untrained), NAME.x0.npy, NAME.x1.npy, ...,
NAME.y.npy, NAME.pred.npy, NAME.losses.json (3 epochs of Adam, batch 4, no
shuffling) and NAME.pred_after.npy (keras_fixtures.save_trained).
"""
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import layers  # noqa: E402

from keras_fixtures import save_trained  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                   "keras3-initial-state")


def fixture(name, inputs, out, xs, classes, rng):
    model = keras.Model(inputs, out, name=name)
    y = rng.integers(0, classes, size=(xs[0].shape[0],))
    save_trained(OUT, model, xs, y, name + ".keras",
                 lambda n: name + "." + n,
                 x_names=tuple(f"x{i}" for i in range(len(xs))),
                 predict_before=True)


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(5)
    keras.utils.set_random_seed(5)
    n = 12

    x = keras.Input((5, 3), name="x")
    h0 = keras.Input((4,), name="h0")
    c0 = keras.Input((4,), name="c0")
    h = layers.LSTM(4)(x, initial_state=[h0, c0])
    out = layers.Dense(3, activation="softmax")(h)
    fixture("lstm", [x, h0, c0], out,
            [rng.normal(size=(n, 5, 3)), rng.normal(size=(n, 4)),
             rng.normal(size=(n, 4))], 3, rng)

    x = keras.Input((4, 3), name="x")
    s = keras.Input((2,), name="s")
    h0 = layers.Dense(4, activation="tanh")(s)
    seq = layers.GRU(4, return_sequences=True)(x, initial_state=h0)
    out = layers.Dense(2, activation="softmax")(layers.Flatten()(seq))
    fixture("gru", [x, s], out,
            [rng.normal(size=(n, 4, 3)), rng.normal(size=(n, 2))], 2, rng)

    x = keras.Input((4, 2), name="x")
    hs = [keras.Input((3,), name=f"h{i}") for i in range(2)]
    b = layers.Bidirectional(layers.SimpleRNN(3))(x, initial_state=hs)
    stacked = keras.Input((2,), name="s0")
    lh = keras.Input((4,), name="lh")
    lc = keras.Input((4,), name="lc")
    r = layers.RNN([layers.SimpleRNNCell(2), layers.LSTMCell(4)])(
        x, initial_state=[[stacked], [lh, lc]])
    out = layers.Dense(3, activation="softmax")(layers.Concatenate()([b, r]))
    fixture("bidi", [x, *hs, stacked, lh, lc], out,
            [rng.normal(size=(n, 4, 2))] +
            [rng.normal(size=(n, 3)) for _ in range(2)] +
            [rng.normal(size=(n, 2)), rng.normal(size=(n, 4)),
             rng.normal(size=(n, 4))], 3, rng)


if __name__ == "__main__":
    main()
