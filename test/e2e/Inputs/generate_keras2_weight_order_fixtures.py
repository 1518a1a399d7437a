"""Writes test/e2e/Inputs/keras2-weight-order/: Keras 2 HDF5 weights files
whose layer names are not the model's, with the outputs Keras computes after
model.load_weights. Keras (2 and 3, load_weights_from_hdf5_group) pairs the
file's layers that have weights with the model's in order, whatever their
names.

  model.json          Keras JSON: x (4) -> Dense(4) "first" -> Dropout
                      "drop" -> Dense(4) "second" -> Dense(2) "out"
  x.npy               the inputs
  swapped.h5  saved (legacy_h5_format) from the same network with
                      "first" and "second" named the other way round: by
                      name they would load crosswise, by order (Keras) they
                      do not; swapped.pred.npy is Keras's output
  renamed.h5  saved from the same network built with other layer
                      names (dense_7, dropout_3, ...), as two sessions'
                      auto-names differ; renamed.pred.npy
  extra.h5    weights for one more Dense layer than the model has
                      (Keras refuses it: "Layer count mismatch")

Run with real Keras 3 on TensorFlow (not needed by the tests):
    /opt/kiln-venv/bin/python test/e2e/Inputs/generate_keras2_weight_order_fixtures.py
"""
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import h5py  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import layers  # noqa: E402
from keras.src.legacy.saving import legacy_h5_format  # noqa: E402

from keras_fixtures import randomize  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                   "keras2-weight-order")


def network(names, extra=False):
    model = keras.Sequential(name="weight_order")
    model.add(keras.Input((4,), name="x"))
    model.add(layers.Dense(4, activation="tanh", name=names[0]))
    model.add(layers.Dropout(0.5, name=names[1]))
    model.add(layers.Dense(4, activation="relu", name=names[2]))
    if extra:
        model.add(layers.Dense(4, name="spare"))
    model.add(layers.Dense(2, name=names[3]))
    return model


def save_legacy(model, path):
    with h5py.File(path, "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, model)


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(11)
    model = network(["first", "drop", "second", "out"])
    with open(os.path.join(OUT, "model.json"), "w") as f:
        f.write(model.to_json())
    x = rng.uniform(-2, 2, (5, 4)).astype(np.float32)
    np.save(os.path.join(OUT, "x.npy"), x)
    sources = {"swapped": network(["second", "drop", "first", "out"]),
               "renamed": network(["dense_7", "dropout_3", "dense_8",
                                   "dense_9"])}
    for name, source in sources.items():
        randomize(source, rng, 1.0)
        path = os.path.join(OUT, name + ".h5")
        save_legacy(source, path)
        model.load_weights(path)
        np.save(os.path.join(OUT, name + ".pred.npy"),
                model.predict(x, verbose=0).astype(np.float32))
    extra = network(["first", "drop", "second", "out"], extra=True)
    randomize(extra, rng, 1.0)
    save_legacy(extra, os.path.join(OUT, "extra.h5"))
    try:
        model.load_weights(os.path.join(OUT, "extra.h5"))
        raise SystemExit("Keras loaded extra.h5")
    except ValueError as error:
        print("Keras refuses extra.h5:", str(error).splitlines()[0])


if __name__ == "__main__":
    main()
