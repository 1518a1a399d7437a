"""Writes test/e2e/Inputs/keras3-volume/: Keras 3 reference models of the
3-D (volume) layers -- Conv3D, Conv3DTranspose, MaxPooling3D,
AveragePooling3D, the global 3-D poolings, ZeroPadding3D, Cropping3D,
UpSampling3D and SpatialDropout3D -- with outputs computed by Keras itself.

Run with real Keras 3 on TensorFlow (not needed by the tests, which read the
committed files):
    /opt/kiln-venv/bin/python test/e2e/Inputs/generate_keras_volume_fixtures.py

For each predicted model NAME it writes NAME.keras, NAME.x.npy and NAME.y.npy
(model.predict in float32). `train.*` is a small 3-D CNN trained by
model.fit for 3 epochs of Adam (batch 4, no shuffling): train.losses.json
holds Keras's per-epoch losses, train.pred.npy and train.pred_after.npy its
predictions before and after.
"""
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import layers  # noqa: E402

import keras_fixtures  # noqa: E402
from keras_fixtures import save_predicted, save_trained  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "keras3-volume")


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(11)
    keras.utils.set_random_seed(11)

    # Strided valid, dilated same, same at stride 2 (the odd padding after)
    # without bias; max pooling 3x3x3/1 same, average pooling same (which
    # excludes the padding) with uneven windows; global average pooling.
    conv3d = keras.Sequential([
        keras.Input((7, 8, 6, 2)),
        layers.Conv3D(3, (3, 2, 2), strides=(2, 1, 1), padding="valid",
                      activation="relu"),
        layers.Conv3D(4, 3, dilation_rate=(1, 2, 1), padding="same",
                      activation="tanh"),
        layers.SpatialDropout3D(0.3),
        layers.Conv3D(3, (2, 3, 2), strides=2, padding="same",
                      use_bias=False),
        layers.MaxPooling3D(3, strides=1, padding="same"),
        layers.AveragePooling3D((2, 2, 3), strides=(1, 1, 2), padding="same"),
        layers.GlobalAveragePooling3D(),
    ], name="conv3d_geometry")
    keras_fixtures.randomize(conv3d, rng, 0.5)
    save_predicted(OUT, "conv3d_geometry", conv3d,
                   rng.normal(size=(4, 7, 8, 6, 2)))

    # Pooling alone, then padding, cropping and upsampling with a size per
    # axis; global max pooling with keepdims.
    reshape3d = keras.Sequential([
        keras.Input((6, 5, 4, 3)),
        layers.MaxPooling3D((2, 2, 2), padding="same"),
        layers.ZeroPadding3D(((1, 0), 2, (0, 1))),
        layers.AveragePooling3D(2, strides=1, padding="valid"),
        layers.UpSampling3D((1, 2, 3)),
        layers.Cropping3D(((0, 1), (1, 2), 1)),
        layers.GlobalMaxPooling3D(keepdims=True),
    ], name="reshape3d")
    save_predicted(OUT, "reshape3d", reshape3d,
                   rng.normal(size=(3, 6, 5, 4, 3)))

    # Training: Conv3D, pooling, a transposed convolution back up, padding
    # and cropping, 3 Adam epochs of 3 batches.
    train = keras.Sequential([
        keras.Input((6, 6, 4, 2)),
        layers.Conv3D(4, 3, strides=(2, 2, 1), padding="same",
                      activation="relu"),
        layers.MaxPooling3D((1, 2, 2), padding="same"),
        layers.Conv3DTranspose(3, (2, 3, 2), strides=(2, 1, 2),
                               padding="same", activation="tanh"),
        layers.ZeroPadding3D(1),
        layers.AveragePooling3D(2),
        layers.Cropping3D((1, 0, 0)),
        layers.UpSampling3D(2),
        layers.Conv3D(2, 2, strides=2),
        layers.Flatten(),
        layers.Dense(3, activation="softmax"),
    ], name="train_cnn3d")
    x = rng.normal(size=(12, 6, 6, 4, 2))
    y = rng.integers(0, 3, size=(12,))
    save_trained(OUT, train, [x], y, "train.keras", lambda n: "train." + n,
                 predict_before=True)


if __name__ == "__main__":
    main()
