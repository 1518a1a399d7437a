"""Writes test/e2e/Inputs/keras3-augmentation/: TensorFlow's image
classification tutorial's model in small (data augmentation inside the
model, then Rescaling, Conv2D, MaxPooling2D, Dropout, Flatten, Dense),
compiled as the tutorial compiles it, with what Keras 3 itself says of it.

  flowers   RandomFlip("horizontal"), RandomRotation(0.1), RandomZoom(0.1),
            RandomTranslation(0.1, 0.1), RandomContrast(0.2),
            RandomBrightness(0.1) -> Rescaling(1/255) -> Conv2D(4, 3, relu)
            -> MaxPooling2D -> Dropout(0.2) -> Flatten -> Dense(3):
            Adam, SparseCategoricalCrossentropy(from_logits=True),
            "accuracy"
  flip      the same with RandomFlip("horizontal_and_vertical") alone
  rotate, rotate_nearest, zoom_wrap, zoom_nearest, translate_cf,
  contrast, brightness
            (6, 7, 2) images (translate_cf: (2, 6, 7), channels first) ->
            RandomRotation(36 degrees; -25.2 degrees, nearest, constant 0.5),
            RandomZoom(1.3 in height, 0.8 in width, wrap; 1.25, nearest),
            RandomTranslation(0.2 in height, -0.3 in width), RandomContrast
            (factor 1.5, values in [-1, 1]), RandomBrightness(+0.2 * 4,
            values in [-2, 2]), each with its draws fixed (equal bounds), as
            the resize ones: Keras's fit transforms every image exactly so
  resize_bilinear, resize_nearest, crop
            (5, 7, 2) images -> Resizing(8, 4) (bilinear: up in height, down
            in width) -> Conv2D(3, 2); Resizing(9, 3, "nearest"); (7, 8, 1)
            -> CenterCrop(4, 5) (odd and even margins); each -> Flatten ->
            Dense(2), SGD 0.1 and mean squared error, also trained: their
            NAME.history.json is Keras's fit (2 epochs, batch 5, no
            shuffling)

NAME.keras, NAME.x.npy (12 images 10x10x3 in [0, 255]), NAME.y.npy (class
indices), NAME.pred.npy (Keras's predict: augmentation is the identity
outside fit) and NAME.evaluate.json (Keras's evaluate, batch 5).

Run with real Keras 3 on TensorFlow (not needed by the tests):
    /opt/kiln-venv/bin/python test/e2e/Inputs/generate_keras_augmentation_fixtures.py
"""
import json
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import layers  # noqa: E402

from keras_fixtures import (  # noqa: E402
    randomize, save_evaluate_and_fit, save_model_and_data)

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                   "keras3-augmentation")


def classifier(name, augmentation, rng):
    model = keras.Sequential([keras.Input((10, 10, 3), name="x")] +
                             augmentation + [
        layers.Rescaling(1.0 / 255),
        layers.Conv2D(4, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(),
        layers.Dropout(0.2),
        layers.Flatten(),
        layers.Dense(3)], name=name)
    randomize(model, rng, 0.5)
    model.compile(optimizer="adam",
                  loss=keras.losses.SparseCategoricalCrossentropy(
                      from_logits=True),
                  metrics=["accuracy"])
    return model


def write(name, model, x, y):
    save_model_and_data(OUT, name, model, x, y)
    np.save(os.path.join(OUT, name + ".pred.npy"),
            np.asarray(model.predict(x, verbose=0), np.float32))
    evaluated = model.evaluate(x, y, batch_size=5, verbose=0,
                               return_dict=True)
    with open(os.path.join(OUT, name + ".evaluate.json"), "w") as f:
        json.dump(evaluated, f, indent=1, sort_keys=True)
    print(name, evaluated)


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(7)
    x = rng.uniform(0, 255, (12, 10, 10, 3)).astype(np.float32)
    y = rng.integers(0, 3, 12)
    write("flowers", classifier("flowers", [
        layers.RandomFlip("horizontal"), layers.RandomRotation(0.1),
        layers.RandomZoom(0.1), layers.RandomTranslation(0.1, 0.1),
        layers.RandomContrast(0.2), layers.RandomBrightness(0.1)], rng), x, y)
    write("flip", classifier("flip", [
        layers.RandomFlip("horizontal_and_vertical")], rng), x, y)

    def resized(name, shape, *body):
        model = keras.Sequential([keras.Input(shape, name="x"), *body,
                                  layers.Flatten(), layers.Dense(2)],
                                 name=name)
        randomize(model, rng, 0.5)
        model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
        xs = rng.normal(size=(12, *shape)).astype(np.float32)
        ys = rng.normal(size=(12, 2)).astype(np.float32)
        save_model_and_data(OUT, name, model, xs, ys)
        np.save(os.path.join(OUT, name + ".pred.npy"),
                np.asarray(model.predict(xs, verbose=0), np.float32))
        print(name, save_evaluate_and_fit(OUT, name, model, xs, ys, epochs=2))

    resized("resize_bilinear", (5, 7, 2), layers.Resizing(8, 4),
            layers.Conv2D(3, 2))
    resized("resize_nearest", (5, 7, 2),
            layers.Resizing(9, 3, interpolation="nearest"))
    resized("crop", (7, 8, 1), layers.CenterCrop(4, 5))
    # The random augmentations with fixed draws (each factor's bounds
    # equal): Keras's fit runs them, so its history is that of a known
    # transformation of every image.
    resized("rotate", (6, 7, 2), layers.RandomRotation((0.1, 0.1)))
    resized("rotate_nearest", (6, 7, 2),
            layers.RandomRotation((-0.07, -0.07), fill_mode="constant",
                                  fill_value=0.5, interpolation="nearest"))
    resized("zoom_wrap", (6, 7, 2),
            layers.RandomZoom((0.3, 0.3), (-0.2, -0.2), fill_mode="wrap"))
    resized("zoom_nearest", (6, 7, 2),
            layers.RandomZoom((0.25, 0.25), fill_mode="nearest"))
    resized("translate_cf", (2, 6, 7),
            layers.RandomTranslation((0.2, 0.2), (-0.3, -0.3),
                                     data_format="channels_first"))
    resized("contrast", (6, 7, 2),
            layers.RandomContrast((-0.5, 0.5), value_range=(-1, 1)))
    resized("brightness", (6, 7, 2),
            layers.RandomBrightness((0.2, 0.2), value_range=(-2, 2)))


if __name__ == "__main__":
    main()
