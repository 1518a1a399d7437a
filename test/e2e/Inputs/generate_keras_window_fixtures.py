"""Writes test/e2e/Inputs/keras3-window/: Keras 3 reference models of the
convolution and pooling layers, with outputs computed by Keras itself.

Run with real Keras 3 on TensorFlow (not needed by the tests, which read the
committed files):
    python3 -m venv /tmp/kvenv && /tmp/kvenv/bin/pip install keras tensorflow-cpu
    /tmp/kvenv/bin/python test/e2e/Inputs/generate_keras_window_fixtures.py

For each model NAME it writes NAME.keras (the archive kiln compiles), NAME.x.npy
and NAME.y.npy (model.predict in float32). `train.*` is a small CNN trained
by model.fit for 3 steps of Adam (batch 4, no shuffling): train.losses.json
holds Keras's per-epoch losses, train.pred_after.npy its predictions after.
"""
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import layers  # noqa: E402

import keras_fixtures  # noqa: E402
from keras_fixtures import save_predicted, save_trained  # noqa: E402,F401

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "keras3-window")


def save(name, model, x):
    save_predicted(OUT, name, model, x)


def randomize(model, rng):
    """Non-trivial weights everywhere, so that every tap and every padding
    element matters."""
    keras_fixtures.randomize(model, rng, 0.5)


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(7)
    keras.utils.set_random_seed(7)

    # 2-D: strided valid, dilated same, same with stride 2 (the odd padding
    # after), no bias; max pooling 3x3/2 same, average pooling same (excludes
    # the padding), global pooling.
    conv2d = keras.Sequential([
        keras.Input((11, 10, 3)),
        layers.Conv2D(4, (3, 2), strides=(2, 1), padding="valid",
                      activation="relu"),
        layers.Conv2D(5, 3, dilation_rate=2, padding="same",
                      activation="tanh"),
        layers.Conv2D(6, (2, 3), strides=2, padding="same", use_bias=False),
        layers.MaxPooling2D(3, strides=1, padding="same"),
        layers.AveragePooling2D((2, 3), strides=(1, 2), padding="same"),
        layers.Conv2D(3, 1, activation="sigmoid"),
    ], name="conv2d_geometry")
    randomize(conv2d, rng)
    save("conv2d_geometry", conv2d, rng.normal(size=(5, 11, 10, 3)))

    pools2d = keras.Sequential([
        keras.Input((9, 8, 2)),
        layers.MaxPooling2D((3, 3), strides=(2, 2), padding="same"),
        layers.AveragePooling2D(2, padding="valid"),
        layers.GlobalMaxPooling2D(),
    ], name="pools2d")
    save("pools2d", pools2d, rng.normal(size=(4, 9, 8, 2)))

    avg_global = keras.Sequential([
        keras.Input((7, 7, 3)),
        layers.AveragePooling2D(3, strides=2, padding="same"),
        layers.GlobalAveragePooling2D(),
    ], name="avg_global")
    save("avg_global", avg_global, rng.normal(size=(4, 7, 7, 3)))

    # 1-D: causal dilated, strided same, pooling and global pooling.
    conv1d = keras.Sequential([
        keras.Input((16, 3)),
        layers.Conv1D(4, 3, padding="causal", dilation_rate=2,
                      activation="relu"),
        layers.Conv1D(5, 4, strides=3, padding="same", activation="elu"),
        layers.MaxPooling1D(2, padding="same"),
        layers.Conv1D(2, 2, padding="valid"),
        layers.AveragePooling1D(2, strides=1, padding="same"),
        layers.GlobalAveragePooling1D(),
    ], name="conv1d_geometry")
    randomize(conv1d, rng)
    save("conv1d_geometry", conv1d, rng.normal(size=(5, 16, 3)))

    gmax1d = keras.Sequential([
        keras.Input((12, 4)),
        layers.Conv1D(3, 5, padding="same"),
        layers.GlobalMaxPooling1D(),
    ], name="gmax1d")
    randomize(gmax1d, rng)
    save("gmax1d", gmax1d, rng.normal(size=(3, 12, 4)))

    # Training: a small CNN, 3 Adam steps of batch 4 on 12 samples.
    train = keras.Sequential([
        keras.Input((8, 8, 2)),
        layers.Conv2D(4, 3, strides=2, padding="same", activation="relu"),
        layers.AveragePooling2D(2, strides=1, padding="same"),
        layers.Conv2D(3, 2, dilation_rate=2, activation="tanh"),
        layers.MaxPooling2D(2),
        layers.Flatten(),
        layers.Dense(3, activation="softmax"),
    ], name="train_cnn")
    x = rng.normal(size=(12, 8, 8, 2))
    y = rng.integers(0, 3, size=(12,))
    save_trained(OUT, train, [x], y, "train.keras", lambda n: "train." + n)

    # Transposed convolutions: 'same' at stride 2, 'valid' with an uneven
    # window, 1-D; predicted, then trained.
    transpose = keras.Sequential([
        keras.Input((5, 4, 2)),
        layers.Conv2DTranspose(3, 3, strides=2, padding="same",
                               activation="tanh"),
        layers.Conv2DTranspose(2, (2, 3), strides=(1, 2), padding="valid"),
        layers.Reshape((-1, 2)),
        layers.Conv1DTranspose(2, 3, strides=2, padding="same",
                               use_bias=False),
        layers.Flatten(),
        layers.Dense(3, activation="softmax"),
    ], name="conv_transpose")
    xt = rng.normal(size=(12, 5, 4, 2))
    yt = rng.integers(0, 3, size=(12,))
    save_trained(OUT, transpose, [xt], yt, "transpose.keras",
                 lambda n: "transpose." + n, predict_before=True)

    # Depthwise and separable convolutions, 2-D and 1-D, with multipliers.
    depthwise = keras.Sequential([
        keras.Input((7, 6, 3)),
        layers.DepthwiseConv2D(3, depth_multiplier=2, strides=2,
                               padding="same", activation="tanh"),
        layers.SeparableConv2D(4, (2, 2), activation="relu"),
        layers.Reshape((-1, 4)),
        layers.SeparableConv1D(3, 3, padding="same", depth_multiplier=2),
        layers.DepthwiseConv1D(2, use_bias=False),
        layers.Flatten(),
        layers.Dense(3, activation="softmax"),
    ], name="depthwise")
    xd = rng.normal(size=(12, 7, 6, 3))
    yd = rng.integers(0, 3, size=(12,))
    save_trained(OUT, depthwise, [xd], yd, "depthwise.keras",
                 lambda n: "depthwise." + n, predict_before=True)

    # Grouped convolutions: 2 groups in 2-D, 3 in 1-D.
    grouped = keras.Sequential([
        keras.Input((6, 6, 4)),
        layers.Conv2D(6, 3, groups=2, padding="same", activation="tanh"),
        layers.Reshape((-1, 6)),
        layers.Conv1D(3, 2, groups=3, strides=2),
        layers.Flatten(),
        layers.Dense(3, activation="softmax"),
    ], name="grouped")
    xg = rng.normal(size=(12, 6, 6, 4))
    yg = rng.integers(0, 3, size=(12,))
    save_trained(OUT, grouped, [xg], yg, "grouped.keras",
                 lambda n: "grouped." + n, predict_before=True)

if __name__ == "__main__":
    main()
