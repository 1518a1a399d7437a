"""Writes test/e2e/Inputs/keras3-config/: Keras 3 models whose layer configs
kiln once read wrongly (an audit for settings kiln accepted and then
ignored), with Keras's own outputs:

  - softmax.*: Softmax(axis=[1]) (an axis given as a list of one), on
    (B, 3, 4) inputs, so the last axis is not the one normalized;
  - deconv.*: Conv2DTranspose(kernel (3, 2), strides (2, 3), 'valid') and
    Conv1DTranspose(kernel 1, strides 2): windows narrower than the stride,
    whose outputs Keras sizes (S - 1) * stride + max(kernel, stride);
  - frozen.*: Bidirectional(LSTM(trainable=False)) and
    RNN(StackedRNNCells([GRUCell, LSTMCell(trainable=False)])), then Dense:
    trained 3 epochs with Adam, Keras trains only what is not frozen;
  - inference_call.*: Dense -> BatchNormalization()(h, training=False) ->
    Dense, trained the same way: Keras 3's fit overrides the call's
    training=False, so the layer trains as any BatchNormalization does.

Run with real Keras 3 on TensorFlow (not needed by the tests, which read the
committed files):
    python3 -m venv /tmp/kvenv && /tmp/kvenv/bin/pip install keras tensorflow-cpu
    /tmp/kvenv/bin/python test/e2e/Inputs/generate_keras_config_fixtures.py
"""
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import layers  # noqa: E402

from keras_fixtures import randomize, save_trained  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "keras3-config")


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(21)
    keras.utils.set_random_seed(21)

    softmax = keras.Sequential([
        keras.Input((3, 4)),
        layers.Softmax(axis=[1]),
    ], name="softmax")
    x = rng.normal(size=(5, 3, 4)).astype(np.float32) * 2
    softmax.save(os.path.join(OUT, "softmax.keras"))
    np.save(os.path.join(OUT, "softmax.x.npy"), x)
    np.save(os.path.join(OUT, "softmax.pred.npy"),
            softmax.predict(x, verbose=0).astype(np.float32))

    # Two transposed convolutions of windows narrower than their strides;
    # the trailing rows and columns no window reaches hold the bias.
    image = keras.Input((5, 4, 3), name="image")
    series = keras.Input((4, 3), name="series")
    a = layers.Conv2DTranspose(2, (3, 2), strides=(2, 3))(image)
    a = layers.Flatten()(a)
    b = layers.Conv1DTranspose(2, 1, strides=2)(series)
    b = layers.Flatten()(b)
    deconv = keras.Model([image, series], layers.Concatenate()([a, b]),
                         name="deconv")
    randomize(deconv, rng, 0.5)
    xi = rng.normal(size=(3, 5, 4, 3)).astype(np.float32)
    xs = rng.normal(size=(3, 4, 3)).astype(np.float32)
    deconv.save(os.path.join(OUT, "deconv.keras"))
    np.save(os.path.join(OUT, "deconv.x0.npy"), xi)
    np.save(os.path.join(OUT, "deconv.x1.npy"), xs)
    np.save(os.path.join(OUT, "deconv.pred.npy"),
            deconv.predict([xi, xs], verbose=0).astype(np.float32))

    # Frozen recurrent sublayers: a wrapped layer and one stacked cell.
    seq = keras.Input((5, 3), name="seq")
    h = layers.Bidirectional(layers.LSTM(3, trainable=False,
                                         return_sequences=True))(seq)
    h = layers.RNN(layers.StackedRNNCells([
        layers.GRUCell(3), layers.LSTMCell(2, trainable=False)]))(h)
    out = layers.Dense(3, activation="softmax")(h)
    frozen = keras.Model(seq, out, name="frozen")
    xf = rng.normal(size=(12, 5, 3))
    yf = rng.integers(0, 3, size=(12,))
    save_trained(OUT, frozen, [xf], yf, "frozen.keras",
                 lambda n: "frozen." + n, predict_before=True)

    # A layer called with training=False: Keras 3's fit passes its own
    # training=True to every layer of a functional model, overriding the
    # node's, so BatchNormalization normalizes by the batch's statistics
    # and updates its moving ones (Keras 2 would keep it in inference mode).
    # (No bias before the normalization: its gradient is zero but for
    # rounding, which Adam would scale up into a drift of the batch means.)
    x = keras.Input((4,), name="x")
    h = layers.Dense(6, use_bias=False)(x)
    h = layers.BatchNormalization()(h, training=False)
    out = layers.Dense(3, activation="softmax")(h)
    inference = keras.Model(x, out, name="inference_call")
    xc = rng.normal(size=(12, 4))
    yc = rng.integers(0, 3, size=(12,))
    save_trained(OUT, inference, [xc], yc, "inference_call.keras",
                 lambda n: "inference_call." + n, predict_before=True)


if __name__ == "__main__":
    main()
