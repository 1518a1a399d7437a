"""Writes test/e2e/Inputs/keras-multi-output/: two-output models compiled
the ways Keras 3 takes per-output training settings, with what Keras itself
reports for them in evaluate and in fit.

A shared Dense(8, relu) "h" feeds a = Dense(4, softmax) and b = Dense(2):

  dict   loss {"a": sparse_categorical_crossentropy, "b": mse},
         loss_weights {"a": 0.5, "b": 2.0},
         metrics {"a": ["accuracy"], "b": ["mae", "mse"]}
  list   loss [sparse_categorical_crossentropy, MeanSquaredError()],
         loss_weights [1.0, 0.25], metrics [["accuracy"], ["mae"]]
  flat   loss "mse" (every output), loss_weights 3.0 (every output), and a
         flat metrics list ["accuracy", "mae"]: Keras 3 reads it as one
         metric per output (a's accuracy on one-hot targets, b's mae)
  keras2 a legacy .h5 that says Keras 2.15 (keras_version), with the dict
         model's losses and the flat metrics list ["accuracy"], which Keras
         2 applies to every output; the references are Keras 3's with
         metrics {"a": ["accuracy"], "b": ["accuracy"]} (a sparse, b a
         categorical accuracy)
  nolist loss [None, mse] and metrics [["accuracy"], ["mae"]]: a has no
         loss (Keras leaves its Dense untrained); its one-hot targets feed
         only its categorical accuracy
  nodict loss {"a": sparse_categorical_crossentropy, "b": None},
         loss_weights {"a": 2.0, "b": 5.0} (b's is ignored) and metrics
         {"b": ["mse"]}

Keras logs each output's unweighted loss as "<output>_loss" (when two or more
outputs have a loss) and the total
"loss" as the weighted sum. Keras on TensorFlow averages "<output>_loss"
over the batches alike (its tracker's weight, the batch's static size, is
None in the traced step), the other logs by samples: with a short last
batch, the dict model's evaluate says b_loss 1.371 where b_mse, the same
function weighted by samples, says 1.598.

NAME.keras, NAME.x.npy, NAME.a.npy and NAME.b.npy (the targets of a and b);
NAME.evaluate.json is Keras's evaluate (batch 5: batches of 5, 5 and 2)
before training, NAME.history.json Keras's history.history after fit (3
epochs, batch 5, no shuffling, SGD 0.1).

Run with real Keras 3 on TensorFlow (not needed by the tests):
    /opt/kiln-venv/bin/python test/e2e/Inputs/generate_keras_multi_output_fixtures.py
"""
import json
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import h5py  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import layers  # noqa: E402

from keras_fixtures import randomize, save_evaluate_and_fit  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                   "keras-multi-output")


def two_heads(rng, name):
    x = keras.Input((6,), name="x")
    h = layers.Dense(8, activation="relu", name="h")(x)
    a = layers.Dense(4, activation="softmax", name="a")(h)
    b = layers.Dense(2, name="b")(h)
    model = keras.Model(x, [a, b], name=name)
    randomize(model, rng, 0.8)
    return model


def write(name, model, x, ya, yb, file_name=None, **compile_args):
    model.compile(optimizer=keras.optimizers.SGD(0.1), **compile_args)
    model.save(os.path.join(OUT, file_name or name + ".keras"))
    for suffix, array in (("x", x), ("a", ya), ("b", yb)):
        np.save(os.path.join(OUT, f"{name}.{suffix}.npy"),
                array.astype(np.float32))
    print(name, save_evaluate_and_fit(OUT, name, model, x, [ya, yb],
                                      epochs=3))


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(11)
    x = rng.uniform(-1, 1, (12, 6)).astype(np.float32)
    labels = rng.integers(0, 4, 12)
    yb = rng.normal(size=(12, 2)).astype(np.float32)

    write("dict", two_heads(rng, "dict"), x, labels, yb,
          loss={"a": "sparse_categorical_crossentropy", "b": "mse"},
          loss_weights={"a": 0.5, "b": 2.0},
          metrics={"a": ["accuracy"], "b": ["mae", "mse"]})
    write("list", two_heads(rng, "list"), x, labels, yb,
          loss=["sparse_categorical_crossentropy",
                keras.losses.MeanSquaredError()],
          loss_weights=[1.0, 0.25], metrics=[["accuracy"], ["mae"]])
    write("flat", two_heads(rng, "flat"), x, np.eye(4)[labels], yb,
          loss="mse", loss_weights=3.0, metrics=["accuracy", "mae"])

    # Saved untrained, then made a Keras 2 file with a flat metrics list.
    write("keras2", two_heads(rng, "keras2"), x, labels, yb, "keras2.h5",
          loss={"a": "sparse_categorical_crossentropy", "b": "mse"},
          metrics={"a": ["accuracy"], "b": ["accuracy"]})
    with h5py.File(os.path.join(OUT, "keras2.h5"), "r+") as f:
        f.attrs["keras_version"] = "2.15.0"
        config = json.loads(f.attrs["training_config"])
        config["metrics"] = ["accuracy"]
        f.attrs["training_config"] = json.dumps(config)

    write("nolist", two_heads(rng, "nolist"), x, np.eye(4)[labels], yb,
          loss=[None, "mse"], metrics=[["accuracy"], ["mae"]])
    write("nodict", two_heads(rng, "nodict"), x, labels, yb,
          loss={"a": "sparse_categorical_crossentropy", "b": None},
          loss_weights={"a": 2.0, "b": 5.0}, metrics={"b": ["mse"]})


if __name__ == "__main__":
    main()
