"""Writes test/e2e/Inputs/keras3-convlstm/: Keras 3 reference models of the
convolutional LSTMs (ConvLSTM1D/2D/3D), with outputs computed by Keras
itself.

Run with real Keras 3 on TensorFlow (not needed by the tests, which read the
committed files):
    /opt/kiln-venv/bin/python test/e2e/Inputs/generate_keras_convlstm_fixtures.py

geometry.* (ConvLSTM2D strided 'valid' backwards, an uneven kernel,
without bias; ConvLSTM1D dilated 'same' returning its sequence and states;
ConvLSTM3D) and states.* are predicted: NAME.keras, NAME.x.npy, NAME.y.npy
(model.predict in float32). next_frame.* is Keras's next-frame video
prediction example, shrunk (three ConvLSTM2D with BatchNormalization between
them, then a Conv3D to one channel; binary cross-entropy, Adam with its
default rate, as the example trains it): its
predictions before, 3 epochs of model.fit (batch 4, no shuffling) as
next_frame.losses.json, and its predictions after.
"""
import json
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import layers  # noqa: E402

import keras_fixtures  # noqa: E402
from keras_fixtures import save_predicted  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                   "keras3-convlstm")


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(5)
    keras.utils.set_random_seed(5)

    geometry = keras.Sequential([
        keras.Input((4, 9, 8, 2)),
        layers.ConvLSTM2D(3, (3, 2), strides=2, padding="valid",
                          go_backwards=True, use_bias=False,
                          return_sequences=True),
        layers.ConvLSTM2D(2, 2, padding="same", activation="relu",
                          recurrent_activation="hard_sigmoid",
                          unit_forget_bias=False),
        layers.Flatten(),
        layers.Dense(3),
    ], name="geometry")
    keras_fixtures.randomize(geometry, rng, 0.5)
    save_predicted(OUT, "geometry", geometry,
                   rng.normal(size=(3, 4, 9, 8, 2)))

    # ConvLSTM1D returning its sequence and both states; ConvLSTM3D.
    x = keras.Input((5, 7, 3))
    seq, h, c = layers.ConvLSTM1D(4, 3, dilation_rate=2, padding="same",
                                  return_sequences=True,
                                  return_state=True)(x)
    pooled = layers.GlobalAveragePooling2D()(seq)
    states = layers.GlobalMaxPooling1D()(layers.Add()([h, c]))
    v = keras.Input((3, 4, 4, 3, 2))
    volume = layers.ConvLSTM3D(4, (2, 3, 2), padding="same",
                               go_backwards=True)(v)
    merged = layers.Concatenate()([pooled, states,
                                   layers.GlobalAveragePooling3D()(volume)])
    model = keras.Model([x, v], layers.Dense(2)(merged), name="states")
    keras_fixtures.randomize(model, rng, 0.5)
    xs = [rng.normal(size=(3, 5, 7, 3)).astype(np.float32),
          rng.normal(size=(3, 3, 4, 4, 3, 2)).astype(np.float32)]
    model.save(os.path.join(OUT, "states.keras"))
    for i, a in enumerate(xs):
        np.save(os.path.join(OUT, f"states.x{i}.npy"), a)
    np.save(os.path.join(OUT, "states.y.npy"),
            model.predict(xs, verbose=0).astype(np.float32))

    # Next-frame prediction: frames of a moving square, predicting each
    # next frame.
    frames = np.zeros((13, 5, 8, 8, 1), np.float32)
    for n in range(13):
        r, col = rng.integers(0, 5, size=2)
        dr, dc = rng.integers(-1, 2, size=2)
        for t in range(5):
            rr, cc = np.clip(r + dr * t, 0, 5), np.clip(col + dc * t, 0, 5)
            frames[n, t, rr:rr + 3, cc:cc + 3, 0] = 1.0
    frames += rng.uniform(0, 0.1, size=frames.shape).astype(np.float32)
    x, y = frames[:12, :4], frames[:12, 1:]
    inp = keras.Input((4, 8, 8, 1))
    h = layers.ConvLSTM2D(4, (5, 5), padding="same", return_sequences=True,
                          activation="relu")(inp)
    h = layers.BatchNormalization()(h)
    h = layers.ConvLSTM2D(4, (3, 3), padding="same", return_sequences=True,
                          activation="relu")(h)
    h = layers.BatchNormalization()(h)
    h = layers.ConvLSTM2D(3, (1, 1), padding="same", return_sequences=True,
                          activation="relu")(h)
    out = layers.Conv3D(1, (3, 3, 3), activation="sigmoid", padding="same")(h)
    model = keras.Model(inp, out, name="next_frame")
    model.compile(optimizer=keras.optimizers.Adam(),
                  loss="binary_crossentropy")
    model.save(os.path.join(OUT, "next_frame.keras"))
    np.save(os.path.join(OUT, "next_frame.x.npy"), x)
    np.save(os.path.join(OUT, "next_frame.y.npy"), y)
    np.save(os.path.join(OUT, "next_frame.pred.npy"),
            model.predict(x, verbose=0).astype(np.float32))
    history = model.fit(x, y, batch_size=4, epochs=3, shuffle=False,
                        verbose=0)
    with open(os.path.join(OUT, "next_frame.losses.json"), "w") as f:
        json.dump(history.history["loss"], f)
    np.save(os.path.join(OUT, "next_frame.pred_after.npy"),
            model.predict(x, verbose=0).astype(np.float32))


if __name__ == "__main__":
    main()
