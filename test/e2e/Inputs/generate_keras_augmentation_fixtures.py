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

from keras_fixtures import randomize, save_model_and_data  # noqa: E402

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


if __name__ == "__main__":
    main()
