"""Writes test/e2e/Inputs/keras3-groupnorm/: Keras 3's UnitNormalization,
GroupNormalization and RMSNormalization, with what Keras itself predicts, evaluates and
trains.

  group_last   (6, 6, 8) images -> Conv2D(8, 3) -> GroupNormalization(4)
               (channels last; gamma and beta randomized) -> Flatten ->
               Dense(3)
  group_first  (8, 5) sequences -> GroupNormalization(2, axis=1,
               epsilon=0.1, center=False) -> Flatten -> Dense(3)
  unit         (4, 6) -> UnitNormalization(axis=[1, 2]) -> Flatten ->
               Dense(3), with a zero sample (which stays zero) and a
               UnitNormalization() (the last axis) before the Dense
  rms          (5, 6) -> RMSNormalization() -> Identity -> Dense(4) ->
               RMSNormalization(axis=[1, 2], epsilon=0.01) (scales
               randomized) -> Flatten -> Dense(3)

NAME.keras, NAME.x.npy, NAME.y.npy, NAME.pred.npy (Keras's predict),
NAME.evaluate.json (evaluate, batch 5) and NAME.history.json (fit, 3 epochs,
batch 5, no shuffling; SGD 0.1, mean squared error).

Run with real Keras 3 on TensorFlow (not needed by the tests):
    /opt/kiln-venv/bin/python test/e2e/Inputs/generate_keras_groupnorm_fixtures.py
"""
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import layers  # noqa: E402

from keras_fixtures import (  # noqa: E402
    randomize, save_evaluate_and_fit, save_model_and_data)

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                   "keras3-groupnorm")


def write(name, model, x, y, rng):
    randomize(model, rng, 0.5)
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    save_model_and_data(OUT, name, model, x, y)
    np.save(os.path.join(OUT, name + ".pred.npy"),
            np.asarray(model.predict(x, verbose=0), np.float32))
    print(name, save_evaluate_and_fit(OUT, name, model, x, y, epochs=3))


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(11)
    y = rng.normal(size=(12, 3)).astype(np.float32)
    write("group_last", keras.Sequential([
        keras.Input((6, 6, 8), name="x"), layers.Conv2D(8, 3),
        layers.GroupNormalization(4), layers.Flatten(), layers.Dense(3)],
        name="group_last"), rng.normal(size=(12, 6, 6, 8)), y, rng)
    write("group_first", keras.Sequential([
        keras.Input((8, 5), name="x"),
        layers.GroupNormalization(2, axis=1, epsilon=0.1, center=False),
        layers.Flatten(), layers.Dense(3)], name="group_first"),
        rng.normal(2, 3, size=(12, 8, 5)), y, rng)
    xu = rng.normal(size=(12, 4, 6))
    xu[3] = 0
    write("unit", keras.Sequential([
        keras.Input((4, 6), name="x"), layers.UnitNormalization(axis=[1, 2]),
        layers.Dense(5), layers.UnitNormalization(), layers.Flatten(),
        layers.Dense(3)], name="unit"), xu, y, rng)
    write("rms", keras.Sequential([
        keras.Input((5, 6), name="x"), layers.RMSNormalization(),
        layers.Identity(), layers.Dense(4),
        layers.RMSNormalization(axis=[1, 2], epsilon=0.01), layers.Flatten(),
        layers.Dense(3)], name="rms"), rng.normal(1, 2, size=(12, 5, 6)), y,
        rng)


if __name__ == "__main__":
    main()
