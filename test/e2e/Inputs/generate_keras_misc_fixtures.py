"""Writes test/e2e/Inputs/keras3-misc/: a Keras 3 model through the
activation layers (ReLU with max_value and negative_slope, LeakyReLU, PReLU
with shared axes, ELU, Softmax), Rescaling and LayerNormalization (last
axis, and two axes without center), with Keras's own outputs, then trained.

Run with real Keras 3 on TensorFlow (not needed by the tests, which read the
committed files):
    python3 -m venv /tmp/kvenv && /tmp/kvenv/bin/pip install keras tensorflow-cpu
    /tmp/kvenv/bin/python test/e2e/Inputs/generate_keras_misc_fixtures.py

Writes misc.keras (untrained), x.npy, y.npy, pred.npy (model.predict
before training), losses.json (3 epochs of Adam, batch 4, no shuffling)
and pred_after.npy; the same as shapes.* for the reshaping layers
(ZeroPadding, Cropping, UpSampling 1-D/2-D, Permute, RepeatVector), and
as activity.* for activity regularizers (a Dense layer's L1L2 and "l2",
ActivityRegularization).
"""
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import layers  # noqa: E402

import keras_fixtures  # noqa: E402
from keras_fixtures import save_predicted, save_trained  # noqa: E402,F401

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "keras3-misc")


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(9)
    keras.utils.set_random_seed(9)
    model = keras.Sequential([
        keras.Input((6, 5)),
        layers.Rescaling(0.5, offset=0.1),
        layers.Dense(8),
        layers.LayerNormalization(),
        layers.LeakyReLU(negative_slope=0.2),
        layers.Dense(8),
        layers.ReLU(max_value=1.5, negative_slope=0.1),
        layers.PReLU(alpha_initializer=keras.initializers.Constant(0.25),
                     shared_axes=[1]),
        layers.LayerNormalization(axis=[1, 2], center=False, epsilon=1e-4),
        layers.ELU(alpha=0.7),
        layers.Flatten(),
        layers.Dense(4),
        layers.Softmax(),
    ], name="misc")
    x = rng.normal(size=(12, 6, 5)).astype(np.float32) * 2
    y = rng.integers(0, 4, size=(12,))
    save_trained(OUT, model, [x], y, "misc.keras", lambda n: n,
                 predict_before=True)

    # The reshaping layers: padding, cropping and nearest upsampling in 1-D
    # and 2-D, Permute, RepeatVector; trained the same way.
    shapes = keras.Sequential([
        keras.Input((5, 6, 2)),
        layers.ZeroPadding2D(((1, 2), (0, 1))),
        layers.Conv2D(3, 3, activation="tanh"),
        layers.UpSampling2D((2, 1)),
        layers.Cropping2D(((1, 0), (1, 2))),
        layers.Permute((2, 1, 3)),
        layers.Reshape((-1, 3)),
        layers.ZeroPadding1D(2),
        layers.UpSampling1D(2),
        layers.Cropping1D((3, 1)),
        layers.Flatten(),
        layers.Dense(4, activation="relu"),
        layers.RepeatVector(3),
        layers.Flatten(),
        layers.Dense(3, activation="softmax"),
    ], name="shapes")
    xs = rng.normal(size=(12, 5, 6, 2))
    ys = rng.integers(0, 3, size=(12,))
    save_trained(OUT, shapes, [xs], ys, "shapes.keras", lambda n: "shapes." + n,
                 predict_before=True)

    # TimeDistributed(Dense) and Dot (plain and normalized) of two inputs.
    a_in = keras.Input((4, 3), name="seq")
    b_in = keras.Input((5,), name="vec")
    t = layers.TimeDistributed(layers.Dense(5, activation="tanh"))(a_in)
    t = layers.Flatten()(t)
    t = layers.Dense(5)(t)
    d1 = layers.Dot(axes=1)([t, b_in])
    d2 = layers.Dot(axes=-1, normalize=True)([t, b_in])
    out = layers.Dense(3, activation="softmax")(
        layers.Concatenate()([d1, d2, t]))
    dot = keras.Model([a_in, b_in], out, name="dot")
    xa = rng.normal(size=(12, 4, 3))
    xb = rng.normal(size=(12, 5))
    yd = rng.integers(0, 3, size=(12,))
    save_trained(OUT, dot, [xa, xb], yd, "dot.keras", lambda n: "dot." + n,
                 x_names=("x0", "x1"), predict_before=True)

    # Normalization: adapted (its statistics are weights), given in the
    # config, and inverted; the statistics never train.
    xn = (rng.normal(size=(12, 3, 4)) * 3 + 1).astype(np.float32)
    adapted = layers.Normalization()
    adapted.adapt(xn)
    norm = keras.Sequential([
        keras.Input((3, 4)),
        adapted,
        layers.Normalization(mean=[0.5, -1.0, 2.0, 0.0],
                             variance=[4.0, 0.25, 1.0, 9.0]),
        layers.Normalization(mean=0.1, variance=2.0, invert=True),
        layers.Flatten(),
        layers.Dense(3, activation="softmax"),
    ], name="norm")
    yn = rng.integers(0, 3, size=(12,))
    save_trained(OUT, norm, [xn], yn, "norm.keras", lambda n: "norm." + n,
                 predict_before=True)

    # Activity regularizers: a Dense layer's (L1L2), an
    # ActivityRegularization layer, and another Dense layer's ("l2"); fit's
    # losses include their penalties, divided by the batch size.
    xa = rng.normal(size=(12, 5)).astype(np.float32)
    activity = keras.Sequential([
        keras.Input((5,)),
        layers.Dense(4, activation="tanh",
                     activity_regularizer=keras.regularizers.L1L2(
                         l1=0.01, l2=0.02)),
        layers.ActivityRegularization(l1=0.005),
        layers.Dense(3, activation="softmax", activity_regularizer="l2"),
    ], name="activity")
    ya = rng.integers(0, 3, size=(12,))
    save_trained(OUT, activity, [xa], ya, "activity.keras",
                 lambda n: "activity." + n, predict_before=True)

    # A small U-Net: UpSampling2D with bilinear interpolation (Keras 3's
    # ops.image.resize) back to the skip connection's size, concatenated,
    # then upsampled (2, 3) again; pooled into a classifier.
    image = keras.Input((8, 8, 2))
    c1 = layers.Conv2D(4, 3, padding="same", activation="relu")(image)
    c2 = layers.Conv2D(6, 3, padding="same", activation="relu")(
        layers.MaxPooling2D(2)(c1))
    up = layers.UpSampling2D(2, interpolation="bilinear")(c2)
    c3 = layers.Conv2D(3, 3, padding="same", activation="tanh")(
        layers.Concatenate()([up, c1]))
    up2 = layers.UpSampling2D((2, 3), interpolation="bilinear")(c3)
    unet = keras.Model(image, layers.Dense(3, activation="softmax")(
        layers.GlobalAveragePooling2D()(layers.Conv2D(4, 2)(up2))),
        name="unet")
    xu = rng.normal(size=(12, 8, 8, 2)).astype(np.float32)
    yu = rng.integers(0, 3, size=(12,))
    save_trained(OUT, unet, [xu], yu, "unet.keras", lambda n: "unet." + n,
                 predict_before=True)

if __name__ == "__main__":
    main()
