"""Writes test/e2e/Inputs/keras3-activations/: Keras's activation functions
by name, with the outputs Keras itself computes.

  activations.keras   a Keras 3 model whose Dense layers use each of Keras
                      3's string activations (hard_sigmoid is Keras 3's
                      relu6(x + 3) / 6), with x.npy, y.npy, pred.npy, and
                      after 3 epochs of Adam (keras_fixtures.save_trained)
                      losses.json and pred_after.npy
  keras2.json         the same network as Keras JSON that says
                      "keras_version": "2.15.0" (+ keras2.weights.h5): in
                      Keras 2 hard_sigmoid is clip(0.2 x + 0.5, 0, 1);
                      keras2.pred.npy is that network's output, computed by
                      Keras 3 with the Keras 2 formula as a custom function
  tfjs/model.json     a TensorFlow.js layers model (tfjs's format, written
                      here by hand): an LSTM with tfjs's default
                      recurrent_activation hard_sigmoid (tfjs's is Keras
                      2's), Dense layers with relu6, mish and gelu_new
                      (tfjs's tanh approximation); tfjs.x.npy and
                      tfjs.pred.npy, the outputs Keras 3 computes for the
                      same network with tfjs's formulas as custom functions

Run with real Keras 3 on TensorFlow (not needed by the tests):
    /opt/kiln-venv/bin/python test/e2e/Inputs/generate_keras_activation_fixtures.py
"""
import json
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import layers, ops  # noqa: E402

from keras_fixtures import randomize, save_trained  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                   "keras3-activations")

# Keras 3's string activations that keep the shape (glu halves it,
# sparsemax and threshold are not supported).
KERAS3 = ["hard_sigmoid", "relu6", "hard_silu", "hard_swish", "leaky_relu",
          "celu", "hard_tanh", "tanh_shrink", "log_sigmoid", "log_softmax",
          "soft_shrink", "hard_shrink", "sparse_sigmoid", "sparse_plus",
          "squareplus", "mish"]


def keras2_hard_sigmoid(x):
    return ops.clip(0.2 * x + 0.5, 0.0, 1.0)


def tfjs_gelu_new(x):
    return 0.5 * x * (1.0 + ops.tanh(np.sqrt(2.0 / np.pi) *
                                     (x + 0.044715 * ops.power(x, 3))))


def branches(activation_of):
    """x (6 features) -> one Dense(4) per activation -> concatenated ->
    Dense(3, softmax)."""
    x = keras.Input((6,), name="x")
    outs = [layers.Dense(4, activation=activation_of(a), name=f"d_{a}")(x)
            for a in KERAS3]
    y = layers.Dense(3, activation="softmax", name="head")(
        layers.Concatenate(name="concat")(outs))
    return keras.Model(x, y, name="activations")


def write_tfjs(rng):
    """An LSTM over (5, 3) with tfjs's hard_sigmoid gates, then Dense
    layers with relu6, mish and gelu_new."""
    def net(recurrent, gelu_new):
        return keras.Sequential([
            keras.Input((5, 3)),
            layers.LSTM(4, recurrent_activation=recurrent, name="lstm"),
            layers.Dense(5, activation="relu6", name="d1"),
            layers.Dense(5, activation="mish", name="d2"),
            layers.Dense(2, activation=gelu_new, name="d3")], name="tfjs")

    twin = net(keras2_hard_sigmoid, tfjs_gelu_new)
    weights = [rng.uniform(-1.2, 1.2, w.shape).astype(np.float32)
               for w in twin.weights]
    twin.set_weights(weights)
    x = (rng.normal(size=(6, 5, 3)) * 2).astype(np.float32)
    os.makedirs(os.path.join(OUT, "tfjs"), exist_ok=True)
    np.save(os.path.join(OUT, "tfjs.x.npy"), x)
    np.save(os.path.join(OUT, "tfjs.pred.npy"),
            twin.predict(x, verbose=0).astype(np.float32))

    def dense(name, units, activation):
        return {"class_name": "Dense", "config": {
            "name": name, "trainable": True, "units": units,
            "activation": activation, "use_bias": True}}

    topology = {"class_name": "Sequential",
                "keras_version": "tfjs-layers 4.22.0",
                "backend": "tensor_flow.js", "config": {
                    "name": "tfjs", "layers": [
                        {"class_name": "LSTM", "config": {
                            "name": "lstm", "trainable": True,
                            "batch_input_shape": [None, 5, 3],
                            "dtype": "float32", "units": 4,
                            "activation": "tanh",
                            "recurrent_activation": "hard_sigmoid",
                            "use_bias": True, "unit_forget_bias": True,
                            "return_sequences": False,
                            "return_state": False, "go_backwards": False,
                            "stateful": False, "unroll": False}},
                        dense("d1", 5, "relu6"), dense("d2", 5, "mish"),
                        dense("d3", 2, "gelu_new")]}}
    names = ["lstm/kernel", "lstm/recurrent_kernel", "lstm/bias",
             "d1/kernel", "d1/bias", "d2/kernel", "d2/bias", "d3/kernel",
             "d3/bias"]
    manifest = [{"paths": ["weights.bin"], "weights": [
        {"name": n, "shape": list(w.shape), "dtype": "float32"}
        for n, w in zip(names, weights)]}]
    with open(os.path.join(OUT, "tfjs", "weights.bin"), "wb") as f:
        for w in weights:
            f.write(w.astype("<f4").tobytes())
    with open(os.path.join(OUT, "tfjs", "model.json"), "w") as f:
        json.dump({"format": "layers-model", "generatedBy": "hand",
                   "convertedBy": None, "modelTopology": topology,
                   "weightsManifest": manifest}, f, indent=1)


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(12)
    keras.utils.set_random_seed(12)

    # Inputs spread over [-6, 6] so that every piece of the piecewise
    # functions is reached.
    x = (rng.normal(size=(16, 6)) * 2.5).astype(np.float32)
    y = rng.integers(0, 3, size=(16,))

    # Keras 2's hard_sigmoid, on the same weights.
    twin = branches(lambda a: keras2_hard_sigmoid if a == "hard_sigmoid"
                    else a)
    randomize(twin, rng, 1.0)
    head = twin.get_layer("head")  # a softmax that is not saturated
    head.set_weights([w * 0.2 for w in head.get_weights()])
    model = branches(lambda a: a)
    model.set_weights(twin.get_weights())
    model.save_weights(os.path.join(OUT, "keras2.weights.h5"))
    config = json.loads(model.to_json())
    config.pop("compile_config", None)
    config["keras_version"] = "2.15.0"
    config["backend"] = "tensorflow"
    with open(os.path.join(OUT, "keras2.json"), "w") as f:
        json.dump(config, f, indent=1)
    np.save(os.path.join(OUT, "keras2.pred.npy"),
            twin.predict(x, verbose=0).astype(np.float32))

    save_trained(OUT, model, [x], y, "activations.keras", lambda n: n,
                 predict_before=True)
    write_tfjs(rng)


if __name__ == "__main__":
    main()
