"""Writes test/e2e/Inputs/keras3-embedding/: Keras 3 models that start with
an Embedding on integer ids, with Keras's own outputs, then trained.

Run with real Keras 3 on TensorFlow (not needed by the tests, which read the
committed files):
    python3 -m venv /tmp/kvenv && /tmp/kvenv/bin/pip install keras tensorflow-cpu
    /tmp/kvenv/bin/python test/e2e/Inputs/generate_keras_embedding_fixtures.py

emb.*: int32 ids (None, 7) -> Embedding(20, 6) -> LSTM(5) -> Dense(3,
softmax); the ids repeat (the gradient scatter-adds) and include negative
ones (Keras counts them from the end). Saves emb.keras (untrained),
emb.x.npy (int32), emb.x_float.npy (the same ids as float64), emb.y.npy,
emb.pred.npy, emb.losses.json (3 epochs of SGD with momentum, batch 4, no
shuffling) and emb.pred_after.npy.
emb64.*: int64 ids of shape (None, 3, 4) -> Embedding(10, 3) -> Flatten ->
Dense(2, softmax) with an L2 embeddings regularizer; the same files, trained
with Adam.
embf.*: a float32 input (Keras 2's default) of ids with fractions: Keras
casts them to int32 (truncating toward zero); predicted only.
"""
import json
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import layers  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                   "keras3-embedding")


def save_trained_ids(model, x, y, name, optimizer):
    """Like keras_fixtures.save_trained, keeping the ids' integer dtype."""
    path = lambda n: os.path.join(OUT, name + "." + n)  # noqa: E731
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
    model.save(path("keras"))
    np.save(path("x.npy"), x)
    np.save(path("y.npy"), y.astype(np.float32))
    np.save(path("pred.npy"), model.predict(x, verbose=0).astype(np.float32))
    history = model.fit(x, y, batch_size=4, epochs=3, shuffle=False,
                        verbose=0)
    with open(path("losses.json"), "w") as f:
        json.dump(history.history["loss"], f)
    np.save(path("pred_after.npy"),
            model.predict(x, verbose=0).astype(np.float32))


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(11)
    keras.utils.set_random_seed(11)

    ids = keras.Input((7,), dtype="int32", name="ids")
    h = layers.Embedding(20, 6, name="emb")(ids)
    h = layers.LSTM(5)(h)
    out = layers.Dense(3, activation="softmax")(h)
    emb = keras.Model(ids, out, name="emb")
    x = rng.integers(-20, 20, size=(12, 7)).astype(np.int32)
    x[:, 0] = 3  # every sample shares id 3
    y = rng.integers(0, 3, size=(12,))
    np.save(os.path.join(OUT, "emb.x_float.npy"), x.astype(np.float64))
    # SGD with momentum: with the TensorFlow backend, Keras 3's Adam, RMSprop
    # and Adagrad square an Embedding's sparse gradient per occurrence of an
    # id before summing repeated ids (kiln, like the JAX and PyTorch
    # backends, squares the summed gradient), so they differ from kiln for
    # repeated ids; SGD does not square.
    save_trained_ids(emb, x, y, "emb",
                     keras.optimizers.SGD(0.5, momentum=0.9))

    emb64 = keras.Sequential([
        keras.Input((3, 4), dtype="int64"),
        layers.Embedding(10, 3, embeddings_regularizer=keras.regularizers.L2(
            0.01)),
        layers.Flatten(),
        layers.Dense(2, activation="softmax"),
    ], name="emb64")
    x64 = rng.integers(0, 10, size=(12, 3, 4)).astype(np.int64)
    y64 = rng.integers(0, 2, size=(12,))
    # The regularizer's dense gradient makes the table's dense, so Adam
    # matches here.
    save_trained_ids(emb64, x64, y64, "emb64", keras.optimizers.Adam(0.01))

    embf = keras.Sequential([
        keras.Input((5,)),
        layers.Embedding(8, 4, embeddings_initializer="uniform"),
        layers.GlobalAveragePooling1D(),
        layers.Dense(2),
    ], name="embf")
    xf = rng.uniform(-7.9, 7.9, size=(10, 5)).astype(np.float32)
    embf.save(os.path.join(OUT, "embf.keras"))
    np.save(os.path.join(OUT, "embf.x.npy"), xf)
    np.save(os.path.join(OUT, "embf.pred.npy"),
            embf.predict(xf, verbose=0).astype(np.float32))


if __name__ == "__main__":
    main()
