"""Writes test/e2e/Inputs/keras2-layers/: Keras 2 (tf.keras, the tf_keras
package) HDF5 models of layers whose Keras 2 files differ from Keras 3's,
with Keras 2's own outputs.

  mha.h5      query (5, 8), value (6, 8), key (6, 4) ->
              MultiHeadAttention(2 heads, key_dim 4, value_dim 3,
              output_shape 6) with the causal mask, value and key passed as
              call arguments (Keras 2 records them in the inbound node's
              kwargs) -> GlobalAveragePooling1D -> Dense(2, softmax); Adam
              0.01: mha.pred.npy, then 3 epochs of fit (batch 4, no
              shuffling): mha.losses.json, mha.pred_after.npy
  scores.h5   self-attention returning its scores (Keras 2's dropout-free
              path), each output pooled and added: scores.y.npy
  volume.h5   ConvLSTM2D -> Conv3D -> MaxPooling3D -> UpSampling3D ->
              ZeroPadding3D -> Cropping3D -> GlobalAveragePooling3D ->
              Dense: volume.y.npy (weights in the layers' order, Keras 2's
              names)
  convs.h5    SeparableConv2D, DepthwiseConv2D and Conv2DTranspose, whose
              Keras 2 configs carry their base Conv's `groups` (1) and,
              for SeparableConv2D, its unused kernel_* settings:
              convs.y.npy
  relu.h5     Dense -> ReLU(threshold 0.2, negative_slope 0.1, max_value
              1.5) -> ReLU(threshold 0.3) -> Dense(3, softmax); SGD 0.5:
              relu.pred.npy, 3 epochs of fit: relu.losses.json,
              relu.pred_after.npy
  augment.h5  RandomFlip, RandomRotation, RandomContrast and
              RandomBrightness (Keras 2.12+ writes their `rng_type`) before
              a Conv2D: the identity in predict, augment.y.npy

Run with tf_keras (not needed by the tests, which read the committed files):
    python3 -m venv --system-site-packages /tmp/tfk  # from /opt/kiln-venv
    /tmp/tfk/bin/pip install "tf_keras==2.21.*"
    /tmp/tfk/bin/python test/e2e/Inputs/generate_keras2_layer_fixtures.py
"""
import json
import os

os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import numpy as np  # noqa: E402
import tf_keras as keras  # noqa: E402
from tf_keras import layers  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "keras2-layers")


def randomize(model, rng):
    for w in model.weights:
        w.assign(rng.uniform(-0.5, 0.5, w.shape).astype(np.float32))


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(13)
    keras.utils.set_random_seed(13)
    path = lambda n: os.path.join(OUT, n)  # noqa: E731

    q = keras.Input((5, 8), name="q")
    v = keras.Input((6, 8), name="v")
    k = keras.Input((6, 4), name="k")
    a = layers.MultiHeadAttention(2, 4, value_dim=3, output_shape=6)(
        q, v, key=k, use_causal_mask=True)
    mha = keras.Model([q, v, k], layers.Dense(2, activation="softmax")(
        layers.GlobalAveragePooling1D()(a)), name="mha")
    randomize(mha, rng)
    mha.compile(optimizer=keras.optimizers.Adam(0.01),
                loss="sparse_categorical_crossentropy")
    xs = [rng.normal(size=(12,) + s).astype(np.float32)
          for s in ((5, 8), (6, 8), (6, 4))]
    y = rng.integers(0, 2, size=(12,))
    mha.save(path("mha.h5"))
    for i, x in enumerate(xs):
        np.save(path(f"mha.x{i}.npy"), x)
    np.save(path("mha.y.npy"), y.astype(np.float32))
    np.save(path("mha.pred.npy"), mha.predict(xs, verbose=0))
    history = mha.fit(xs, y, batch_size=4, epochs=3, shuffle=False, verbose=0)
    with open(path("mha.losses.json"), "w") as f:
        json.dump(history.history["loss"], f)
    np.save(path("mha.pred_after.npy"), mha.predict(xs, verbose=0))

    s = keras.Input((4, 6))
    out, scores = layers.MultiHeadAttention(3, 2)(
        s, s, return_attention_scores=True)
    pooled = layers.Dense(2)(layers.GlobalAveragePooling1D()(out))
    flat = layers.Dense(2)(layers.Flatten()(scores))
    model = keras.Model(s, layers.Add()([pooled, flat]), name="scores")
    randomize(model, rng)
    x = rng.normal(size=(3, 4, 6)).astype(np.float32)
    model.save(path("scores.h5"))
    np.save(path("scores.x.npy"), x)
    np.save(path("scores.y.npy"), model.predict(x, verbose=0))

    volume = keras.Sequential([
        keras.Input((3, 6, 6, 2)),
        layers.ConvLSTM2D(3, 3, padding="same", return_sequences=True),
        layers.Conv3D(2, (2, 2, 2), activation="relu"),
        layers.MaxPooling3D(2, padding="same"),
        layers.UpSampling3D(2),
        layers.ZeroPadding3D(1),
        layers.Cropping3D(((1, 0), 0, 1)),
        layers.GlobalAveragePooling3D(),
        layers.Dense(2),
    ], name="volume")
    randomize(volume, rng)
    x = rng.normal(size=(2, 3, 6, 6, 2)).astype(np.float32)
    volume.save(path("volume.h5"))
    np.save(path("volume.x.npy"), x)
    np.save(path("volume.y.npy"), volume.predict(x, verbose=0))

    convs = keras.Sequential([
        keras.Input((7, 7, 3)),
        layers.SeparableConv2D(4, 3, depth_multiplier=2, padding="same",
                               activation="relu"),
        layers.DepthwiseConv2D(2, strides=2),
        layers.Conv2DTranspose(3, 3, strides=2, padding="same"),
        layers.GlobalMaxPooling2D(),
    ], name="convs")
    randomize(convs, rng)
    x = rng.normal(size=(2, 7, 7, 3)).astype(np.float32)
    convs.save(path("convs.h5"))
    np.save(path("convs.x.npy"), x)
    np.save(path("convs.y.npy"), convs.predict(x, verbose=0))

    relu = keras.Sequential([
        keras.Input((5,)),
        layers.Dense(6),
        layers.ReLU(max_value=1.5, negative_slope=0.1, threshold=0.2),
        layers.Dense(6),
        layers.ReLU(threshold=0.3),
        layers.Dense(3, activation="softmax"),
    ], name="relu")
    randomize(relu, rng)
    relu.compile(optimizer=keras.optimizers.SGD(0.5),
                 loss="sparse_categorical_crossentropy")
    x = rng.normal(size=(12, 5)).astype(np.float32) * 2
    y = rng.integers(0, 3, size=(12,))
    relu.save(path("relu.h5"))
    np.save(path("relu.x.npy"), x)
    np.save(path("relu.y.npy"), y.astype(np.float32))
    np.save(path("relu.pred.npy"), relu.predict(x, verbose=0))
    history = relu.fit(x, y, batch_size=4, epochs=3, shuffle=False,
                       verbose=0)
    with open(path("relu.losses.json"), "w") as f:
        json.dump(history.history["loss"], f)
    np.save(path("relu.pred_after.npy"), relu.predict(x, verbose=0))

    augment = keras.Sequential([
        keras.Input((8, 8, 3)),
        layers.RandomFlip(),
        layers.RandomRotation(0.1),
        layers.RandomContrast(0.3),
        layers.RandomBrightness(0.2),
        layers.Conv2D(2, 3),
        layers.Flatten(),
        layers.Dense(2),
    ], name="augment")
    randomize(augment, rng)
    x = rng.uniform(0, 255, size=(2, 8, 8, 3)).astype(np.float32)
    augment.save(path("augment.h5"))
    np.save(path("augment.x.npy"), x)
    np.save(path("augment.y.npy"), augment.predict(x, verbose=0))


if __name__ == "__main__":
    main()
