"""Writes Keras model files with random weights for kiln's e2e tests.

Uses only json, zipfile, h5py and NumPy (no Keras), following the on-disk
layouts Keras writes:

  make_models.py keras3-sequential OUT.keras
      Keras 3 Sequential archive: InputLayer(batch_shape) -> Flatten -> Dense
      -> Dropout -> Reshape -> Flatten -> Dense(softmax); weights at
      layers/dense/vars/0, layers/dense_1/vars/0, ... (InputLayer excluded).
  make_models.py keras3-functional OUT.keras
      Keras 3 functional archive (__keras_tensor__ inbound nodes); weights at
      layers/input_layer, layers/dense, layers/dense_1, ...
  make_models.py keras2-activations OUT.json OUT.h5
      Keras 2 to_json() + save_weights() of a functional model with one Dense
      branch (and output) per activation kiln supports.
"""

import io
import json
import sys
import zipfile

import h5py
import numpy as np

RNG = np.random.default_rng(1234)


def _weights(n_in, n_out, scale=1.0):
    kernel = RNG.normal(0.0, scale / np.sqrt(n_in), (n_in, n_out))
    bias = RNG.normal(0.0, 0.5, (n_out,))
    return kernel.astype(np.float32), bias.astype(np.float32)


def _dtype_policy():
    return {"module": "keras", "class_name": "DTypePolicy",
            "config": {"name": "float32"}, "registered_name": None}


def _k3_layer(class_name, config, build_shape=None, **extra):
    layer = {"module": "keras.layers", "class_name": class_name,
             "config": config, "registered_name": None}
    if build_shape is not None:
        layer["build_config"] = {"input_shape": build_shape}
    layer.update(extra)
    return layer


def _k3_dense(layer_name, units, activation, n_in, **extra):
    return _k3_layer("Dense", {
        "name": layer_name, "trainable": True, "dtype": _dtype_policy(),
        "units": units, "activation": activation, "use_bias": True,
        "kernel_initializer": {"module": "keras.initializers",
                               "class_name": "GlorotUniform",
                               "config": {"seed": None},
                               "registered_name": None},
        "bias_initializer": {"module": "keras.initializers",
                             "class_name": "Zeros", "config": {},
                             "registered_name": None},
        "kernel_regularizer": None, "bias_regularizer": None,
        "kernel_constraint": None, "bias_constraint": None,
    }, [None, n_in], **extra)


def _k3_tensor(shape, layer):
    return {"class_name": "__keras_tensor__",
            "config": {"shape": shape, "dtype": "float32",
                       "keras_history": [layer, 0, 0]}}


def _write_keras(path, config, vars_by_path):
    """A .keras zip: metadata.json, config.json, model.weights.h5."""
    h5bytes = io.BytesIO()
    with h5py.File(h5bytes, "w") as h5:
        layers = h5.create_group("layers")
        for layer_path, arrays in vars_by_path.items():
            group = layers.create_group(layer_path).create_group("vars")
            for i, a in enumerate(arrays):
                group.create_dataset(str(i), data=a)
        h5.create_group("vars")
        h5.create_group("optimizer").create_group("vars")
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("metadata.json", json.dumps(
            {"keras_version": "3.5.0", "date_saved": "2024-01-01@00:00:00"}))
        z.writestr("config.json", json.dumps(config))
        z.writestr("model.weights.h5", h5bytes.getvalue())


def keras3_sequential(out):
    d1, d2 = _weights(8, 16), _weights(16, 3)
    layers = [
        _k3_layer("InputLayer", {"batch_shape": [None, 2, 4],
                                 "dtype": "float32", "sparse": False,
                                 "name": "input_layer"}),
        _k3_layer("Flatten", {"name": "flatten", "trainable": True,
                              "dtype": _dtype_policy(),
                              "data_format": "channels_last"}, [None, 2, 4]),
        _k3_dense("dense", 16, "relu", 8),
        _k3_layer("Dropout", {"name": "dropout", "trainable": True,
                              "dtype": _dtype_policy(), "rate": 0.5,
                              "seed": None, "noise_shape": None},
                  [None, 16]),
        _k3_layer("Reshape", {"name": "reshape", "trainable": True,
                              "dtype": _dtype_policy(),
                              "target_shape": [4, -1]}, [None, 16]),
        _k3_layer("Flatten", {"name": "flatten_1", "trainable": True,
                              "dtype": _dtype_policy(),
                              "data_format": "channels_last"}, [None, 4, 4]),
        _k3_dense("dense_1", 3, "softmax", 16),
    ]
    config = {"module": "keras", "class_name": "Sequential",
              "config": {"name": "sequential", "trainable": True,
                         "dtype": _dtype_policy(), "layers": layers,
                         "build_input_shape": [None, 2, 4]},
              "registered_name": None,
              "build_config": {"input_shape": [None, 2, 4]},
              "compile_config": None}
    _write_keras(out, config, {"flatten": [], "dense": list(d1),
                               "dropout": [], "reshape": [], "flatten_1": [],
                               "dense_1": list(d2)})


def keras3_functional(out):
    d1, d2, d3 = _weights(6, 12), _weights(12, 12), _weights(12, 4)
    layers = [
        _k3_layer("InputLayer", {"batch_shape": [None, 6], "dtype": "float32",
                                 "sparse": False, "name": "input_layer"},
                  name="input_layer", inbound_nodes=[]),
    ]
    prev, n_prev = "input_layer", 6
    for name, units, act in [("dense", 12, "relu"), ("dense_1", 12, "tanh"),
                             ("dense_2", 4, "linear")]:
        layers.append(_k3_dense(name, units, act, n_prev, name=name,
                                inbound_nodes=[{
                                    "args": [_k3_tensor([None, n_prev], prev)],
                                    "kwargs": {}}]))
        prev, n_prev = name, units
    config = {"module": "keras.src.models.functional",
              "class_name": "Functional",
              "config": {"name": "functional", "trainable": True,
                         "layers": layers,
                         "input_layers": ["input_layer", 0, 0],
                         "output_layers": ["dense_2", 0, 0]},
              "registered_name": "Functional",
              "build_config": {"input_shape": None}, "compile_config": None}
    _write_keras(out, config, {"input_layer": [], "dense": list(d1),
                               "dense_1": list(d2), "dense_2": list(d3)})


ACTIVATIONS = ["sigmoid", "tanh", "softplus", "elu", "selu", "gelu",
               "softsign", "swish", "silu", "exponential", "relu", "linear"]


def keras2_activations(out_json, out_h5):
    """One Dense branch per activation off a shared input, each an output, so
    every activation's numerics show up in kiln's outputs unmixed."""
    layers = [{"name": "input_1", "class_name": "InputLayer",
               "config": {"batch_input_shape": [None, 5], "dtype": "float32",
                          "sparse": False, "ragged": False,
                          "name": "input_1"},
               "inbound_nodes": []}]
    weights, outputs = {}, []

    def add(class_name, name, config, src):
        config = dict(config, name=name, trainable=True, dtype="float32")
        layers.append({"name": name, "class_name": class_name,
                       "config": config,
                       "inbound_nodes": [[[src, 0, 0, {}]]]})
        outputs.append([name, 0, 0])

    for act in ACTIVATIONS:
        name = f"dense_{act}"
        # Pre-activations over about [-6, 6] (exponential: [-2, 2], so that
        # its outputs stay small enough for an absolute tolerance).
        weights[name] = _weights(5, 6, scale=0.6 if act == "exponential"
                                 else 2.0)
        add("Dense", name, {
            "units": 6, "activation": act, "use_bias": True,
            "kernel_initializer": {"class_name": "GlorotUniform",
                                   "config": {"seed": None}},
            "bias_initializer": {"class_name": "Zeros", "config": {}},
            "kernel_regularizer": None, "bias_regularizer": None,
            "activity_regularizer": None, "kernel_constraint": None,
            "bias_constraint": None}, "input_1")
    add("Activation", "softmax", {"activation": "softmax"}, "dense_linear")
    model = {"class_name": "Model",
             "config": {"name": "activations", "layers": layers,
                        "input_layers": [["input_1", 0, 0]],
                        "output_layers": outputs},
             "keras_version": "2.11.0", "backend": "tensorflow"}
    with open(out_json, "w") as f:
        json.dump(model, f)
    with h5py.File(out_h5, "w") as h5:
        names = [l["name"] for l in layers]
        h5.attrs["layer_names"] = np.array([n.encode() for n in names])
        h5.attrs["backend"] = b"tensorflow"
        h5.attrs["keras_version"] = b"2.11.0"
        for n in names:
            group = h5.create_group(n)
            if n not in weights:
                group.attrs["weight_names"] = np.array([], dtype="S1")
                continue
            wn = [f"{n}/kernel:0", f"{n}/bias:0"]
            group.attrs["weight_names"] = np.array([w.encode() for w in wn])
            for w, a in zip(wn, weights[n]):
                group.create_dataset(w, data=a)


def main():
    command, *paths = sys.argv[1:]
    {"keras3-sequential": keras3_sequential,
     "keras3-functional": keras3_functional,
     "keras2-activations": keras2_activations}[command](*paths)


if __name__ == "__main__":
    main()
