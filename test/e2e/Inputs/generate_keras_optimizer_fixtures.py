"""Writes test/e2e/Inputs/keras-optimizers/: models compiled with the
optimizer settings kiln once refused, with what Keras 3 itself computes
when it fits them.

  amsgrad            Adam(0.05, amsgrad=True)
  rmsprop_momentum   RMSprop(0.02, momentum=0.8)
  rmsprop_centered   RMSprop(0.02, centered=True)
  rmsprop_both       RMSprop(0.01, momentum=0.5, centered=True)

each a Sequential Dense(6, tanh) -> Dense(3, softmax) with
categorical_crossentropy over 24 samples of 5 features: NAME.keras (the
untrained model, its training configuration included), NAME.x.npy /
NAME.y.npy, NAME.losses.json (Keras's fit: 4 epochs, batch 8, no
shuffling).

Run with real Keras 3 on TensorFlow (not needed by the tests):
    /opt/kiln-venv/bin/python test/e2e/Inputs/generate_keras_optimizer_fixtures.py
"""
import json
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import layers  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                   "keras-optimizers")

optimizers = {
    "amsgrad": lambda: keras.optimizers.Adam(0.05, amsgrad=True),
    "rmsprop_momentum": lambda: keras.optimizers.RMSprop(0.02, momentum=0.8),
    "rmsprop_centered": lambda: keras.optimizers.RMSprop(0.02, centered=True),
    "rmsprop_both": lambda: keras.optimizers.RMSprop(0.01, momentum=0.5,
                                                     centered=True),
}
os.makedirs(OUT, exist_ok=True)
rng = np.random.default_rng(5)
keras.utils.set_random_seed(5)
x = rng.normal(size=(24, 5)).astype(np.float32)
y = np.eye(3, dtype=np.float32)[rng.integers(0, 3, 24)]
for name, make in optimizers.items():
    model = keras.Sequential([keras.Input((5,)),
                              layers.Dense(6, activation="tanh"),
                              layers.Dense(3, activation="softmax")])
    model.compile(optimizer=make(), loss="categorical_crossentropy")
    model.save(os.path.join(OUT, name + ".keras"))
    np.save(os.path.join(OUT, name + ".x.npy"), x)
    np.save(os.path.join(OUT, name + ".y.npy"), y)
    history = model.fit(x, y, batch_size=8, epochs=4, shuffle=False,
                        verbose=0)
    with open(os.path.join(OUT, name + ".losses.json"), "w") as f:
        json.dump(history.history["loss"], f)
