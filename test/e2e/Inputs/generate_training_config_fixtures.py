"""Writes test/e2e/Inputs/training-config/: compile configurations that kiln
once read as something else, with what Keras 3 itself computes for them.

  metric_name    sigmoid Dense(3), binary_crossentropy and
                 BinaryAccuracy(name="accuracy"): the metric's class decides
                 what it computes, its name only how it is logged
  lr             a legacy .h5 whose SGD config says "lr": 0.1 (Keras 2.2's
                 spelling of learning_rate); the losses are Keras's at 0.1
  logits         softmax output with SparseCategoricalCrossentropy(
                 from_logits=True): Keras on TensorFlow takes the softmax's
                 input as the logits (and warns)
  bce_softmax    softmax output with binary_crossentropy: the same rule
  two_outputs    two outputs with metrics given per output
  steps          Dense(1), mse, SGD(0.1) over 20 samples in batches of 4,
                 fit with steps_per_epoch=3 (epochs of 3 and 2 steps: an
                 epoch ends when its pass runs out) and 7 (every epoch one
                 pass), 4 epochs each from the saved weights
                 (steps.3.losses.json, steps.7.losses.json), and 3 over
                 tf.data's batch(4).repeat() (steps.repeat.losses.json)
  tfjs_rmsprop/  a TensorFlow.js model whose RMSProp says "decay": 0.9,
                 tfjs's name for Keras's rho; the losses are Keras's
                 RMSprop(rho=0.9) from the same weights

NAME.x.npy / NAME.y.npy are the data; NAME.json Keras's evaluate (batch 32)
before training, NAME.losses.json Keras's fit (3 epochs, batch 8, no
shuffling) losses.

Run with real Keras 3 on TensorFlow (not needed by the tests):
    /opt/kiln-venv/bin/python test/e2e/Inputs/generate_training_config_fixtures.py
"""
import json
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import h5py  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from keras import layers  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                   "training-config")


def save_data(name, x, y):
    np.save(os.path.join(OUT, name + ".x.npy"), x.astype(np.float32))
    np.save(os.path.join(OUT, name + ".y.npy"), y.astype(np.float32))


def dump(name, value):
    with open(os.path.join(OUT, name), "w") as f:
        json.dump(value, f)


def evaluate_and_fit(name, model, x, y, file_name):
    model.save(os.path.join(OUT, file_name))
    save_data(name, x, y)
    dump(name + ".json", model.evaluate(x, y, batch_size=32, verbose=0,
                                        return_dict=True))
    history = model.fit(x, y, batch_size=8, epochs=3, shuffle=False,
                        verbose=0)
    dump(name + ".losses.json", history.history["loss"])


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(3)
    keras.utils.set_random_seed(3)

    model = keras.Sequential([keras.Input((4,)),
                              layers.Dense(3, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.SGD(0.1),
                  loss="binary_crossentropy",
                  metrics=[keras.metrics.BinaryAccuracy(name="accuracy")])
    x = rng.normal(size=(32, 4))
    y = (rng.random((32, 3)) > 0.5).astype(np.float32)
    evaluate_and_fit("metric_name", model, x, y, "metric_name.keras")

    model = keras.Sequential([keras.Input((4,)), layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    x, y = rng.normal(size=(16, 4)), rng.normal(size=(16, 1))
    evaluate_and_fit("lr", model, x, y, "lr.h5")
    # Reopen the saved (untrained) file and spell learning_rate "lr".
    with h5py.File(os.path.join(OUT, "lr.h5"), "r+") as f:
        config = json.loads(f.attrs["training_config"])
        optimizer = config["optimizer_config"]["config"]
        optimizer["lr"] = optimizer.pop("learning_rate")
        f.attrs["training_config"] = json.dumps(config)

    for name, loss in (
            ("logits", keras.losses.SparseCategoricalCrossentropy(
                from_logits=True)),
            ("bce_softmax", "binary_crossentropy")):
        model = keras.Sequential([keras.Input((4,)),
                                  layers.Dense(3, activation="softmax")])
        model.compile(optimizer=keras.optimizers.SGD(0.1), loss=loss)
        x = 3 * rng.normal(size=(32, 4))
        y = (rng.integers(0, 3, 32) if name == "logits" else
             np.eye(3)[rng.integers(0, 3, 32)])
        evaluate_and_fit(name, model, x, y, name + ".keras")

    inputs = keras.Input((4,), name="x")
    a = layers.Dense(1, activation="sigmoid", name="a")(inputs)
    b = layers.Dense(3, activation="softmax", name="b")(inputs)
    model = keras.Model(inputs, [a, b])
    model.compile(optimizer="sgd", loss="mse",
                  metrics={"a": ["accuracy"], "b": ["accuracy"]})
    model.save(os.path.join(OUT, "two_outputs.keras"))

    # tfjs: Dense(2, sigmoid) -> Dense(3) -> softmax, MSE, RMSProp.
    twin = keras.Sequential([keras.Input((4,)),
                             layers.Dense(2, activation="sigmoid"),
                             layers.Dense(3), layers.Activation("softmax")])
    weights = [rng.uniform(-1, 1, w.shape).astype(np.float32)
               for w in twin.weights]
    twin.set_weights(weights)
    twin.compile(optimizer=keras.optimizers.RMSprop(0.01, rho=0.9,
                                                    epsilon=1e-7),
                 loss="mse")
    x = rng.normal(size=(24, 4)).astype(np.float32)
    y = np.eye(3, dtype=np.float32)[rng.integers(0, 3, 24)]
    save_data("tfjs_rmsprop", x, y)
    history = twin.fit(x, y, batch_size=8, epochs=3, shuffle=False,
                       verbose=0)
    dump("tfjs_rmsprop.losses.json", history.history["loss"])

    def dense(name, units, activation, **extra):
        return {"class_name": "Dense", "config": {
            "name": name, "trainable": True, "units": units,
            "activation": activation, "use_bias": True, **extra}}

    topology = {"class_name": "Sequential",
                "keras_version": "tfjs-layers 4.22.0",
                "backend": "tensor_flow.js", "config": {
                    "name": "rmsprop", "layers": [
                        dense("d1", 2, "sigmoid", batch_input_shape=[None, 4]),
                        dense("d2", 3, "linear"),
                        {"class_name": "Activation", "config": {
                            "name": "act", "trainable": True,
                            "activation": "softmax"}}]}}
    training = {"loss": "mean_squared_error", "metrics": {},
                "optimizer_config": {"class_name": "RMSProp", "config": {
                    "learningRate": 0.01, "decay": 0.9, "momentum": 0,
                    "epsilon": 1e-7, "centered": False}}}
    names = ["d1/kernel", "d1/bias", "d2/kernel", "d2/bias"]
    manifest = [{"paths": ["weights.bin"], "weights": [
        {"name": n, "shape": list(w.shape), "dtype": "float32"}
        for n, w in zip(names, weights)]}]
    os.makedirs(os.path.join(OUT, "tfjs_rmsprop"), exist_ok=True)
    with open(os.path.join(OUT, "tfjs_rmsprop", "weights.bin"), "wb") as f:
        for w in weights:
            f.write(w.astype("<f4").tobytes())
    with open(os.path.join(OUT, "tfjs_rmsprop", "model.json"), "w") as f:
        json.dump({"format": "layers-model", "generatedBy": "hand",
                   "convertedBy": None, "modelTopology": topology,
                   "trainingConfig": training,
                   "weightsManifest": manifest}, f, indent=1)

    model = keras.Sequential([keras.Input((4,)), layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    model.save(os.path.join(OUT, "steps.keras"))
    x, y = rng.normal(size=(20, 4)), rng.normal(size=(20, 1))
    save_data("steps", x, y)
    initial = model.get_weights()
    for steps in (3, 7):
        model.set_weights(initial)
        history = model.fit(x, y, batch_size=4, epochs=4, shuffle=False,
                            steps_per_epoch=steps, verbose=0)
        dump(f"steps.{steps}.losses.json", history.history["loss"])
    # The same data repeated without end: every epoch runs 3 steps.
    model.set_weights(initial)
    data = tf.data.Dataset.from_tensor_slices(
        (x.astype(np.float32), y.astype(np.float32))).batch(4).repeat()
    history = model.fit(data, epochs=4, steps_per_epoch=3, verbose=0)
    dump("steps.repeat.losses.json", history.history["loss"])


if __name__ == "__main__":
    main()
