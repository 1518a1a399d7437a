"""Writes the models and data of architecture.test into a directory.

Keras 3 JSON configs written by hand in the exact form Keras 3 serializes
them (`model.to_json()`, `.keras` config.json with compile_config): a
Dropout model, a model with a `trainable: false` Dense layer, a .keras
archive whose compile_config uses the function/class-object forms, a model
with an optimizer kiln does not know, plus a random file and an .onnx file.
"""
import io
import json
import os
import sys
import zipfile

import h5py

import numpy as np

out = sys.argv[1]


def layer(cls, **config):
    config.setdefault("trainable", True)
    config.setdefault("dtype", "float32")
    return {"module": "keras.layers", "class_name": cls, "config": config,
            "registered_name": None}


def dense(name, units, activation="linear", trainable=True):
    return layer("Dense", name=name, units=units, activation=activation,
                 use_bias=True, trainable=trainable,
                 kernel_initializer={"module": "keras.initializers",
                                     "class_name": "GlorotUniform",
                                     "config": {"seed": None}},
                 bias_initializer={"module": "keras.initializers",
                                   "class_name": "Zeros", "config": {}})


def sequential(name, layers, compile_config=None):
    model = {"module": "keras", "class_name": "Sequential",
             "config": {"name": name, "trainable": True, "layers": [
                 {"module": "keras.layers", "class_name": "InputLayer",
                  "config": {"batch_shape": [None, 4], "dtype": "float32",
                             "name": "x"}}] + layers}}
    if compile_config is not None:
        model["compile_config"] = compile_config
    return model


def write(name, model):
    with open(os.path.join(out, name), "w") as f:
        json.dump(model, f)


adam = {"module": "keras.optimizers", "class_name": "Adam",
        "config": {"name": "adam", "learning_rate": 0.01, "weight_decay": None,
                   "clipnorm": None, "global_clipnorm": None,
                   "clipvalue": None, "use_ema": False, "ema_momentum": 0.99,
                   "ema_overwrite_frequency": None, "loss_scale_factor": None,
                   "gradient_accumulation_steps": None, "beta_1": 0.9,
                   "beta_2": 0.999, "epsilon": 1e-07, "amsgrad": False},
        "registered_name": None}
function_loss = {"module": "builtins", "class_name": "function",
                 "config": "sparse_categorical_crossentropy",
                 "registered_name": "function"}
compile_config = {"optimizer": adam, "loss": function_loss,
                  "loss_weights": None,
                  "metrics": [[{"module": "keras.metrics",
                                "class_name": "SparseCategoricalAccuracy",
                                "config": {"name": "sparse_categorical_accuracy",
                                           "dtype": "float32"},
                                "registered_name": None}]],
                  "weighted_metrics": None, "run_eagerly": False,
                  "steps_per_execution": 1, "jit_compile": False}

write("dropout.json", sequential(
    "dropout_model",
    [dense("hidden", 8, "relu"), layer("Dropout", name="drop", rate=0.5,
                                       noise_shape=None, seed=None),
     dense("out", 2, "softmax")], compile_config))
write("frozen.json", sequential(
    "frozen_model",
    [dense("frozen", 3, "relu", trainable=False), dense("head", 2, "softmax")],
    compile_config))
lion = dict(compile_config)
lion["optimizer"] = {"module": "keras.optimizers", "class_name": "Lion",
                     "config": {"learning_rate": 0.001}}
write("lion.json", sequential("lion_model", [dense("out", 2, "softmax")], lion))

weights_h5 = io.BytesIO()
with h5py.File(weights_h5, "w") as h5:
    group = h5.create_group("layers").create_group("dense").create_group("vars")
    group.create_dataset("0", data=np.full((4, 2), 0.25, np.float32))
    group.create_dataset("1", data=np.zeros(2, np.float32))
    h5.create_group("vars")
with zipfile.ZipFile(os.path.join(out, "function_form.keras"), "w") as z:
    z.writestr("metadata.json", json.dumps({"keras_version": "3.6.0"}))
    z.writestr("config.json", json.dumps(sequential(
        "function_form", [dense("out", 2, "softmax")], compile_config)))
    z.writestr("model.weights.h5", weights_h5.getvalue())
with zipfile.ZipFile(os.path.join(out, "no_weights.keras"), "w") as z:
    z.writestr("metadata.json", json.dumps({"keras_version": "3.6.0"}))
    z.writestr("config.json", json.dumps(sequential(
        "no_weights", [dense("out", 2, "softmax")], compile_config)))

rng = np.random.default_rng(0)
np.save(os.path.join(out, "x.npy"), rng.standard_normal((16, 4)).astype(np.float32))
np.save(os.path.join(out, "y.npy"), rng.integers(0, 2, 16).astype(np.int64))
with open(os.path.join(out, "random.bin"), "wb") as f:
    f.write(rng.bytes(300))
with open(os.path.join(out, "model.onnx"), "wb") as f:
    f.write(b"\x08\x07\x12\x07pytorch" + rng.bytes(64))

# BatchNormalization between two Dense layers, trained with SGD: the moving
# statistics are state the train step updates (checked by bn_reference.py).
bn_layer = layer("BatchNormalization", name="bn", axis=-1, momentum=0.9,
                 epsilon=1e-3, center=True, scale=True,
                 beta_initializer={"module": "keras.initializers",
                                   "class_name": "Zeros", "config": {}},
                 gamma_initializer={"module": "keras.initializers",
                                    "class_name": "Ones", "config": {}},
                 moving_mean_initializer={"module": "keras.initializers",
                                          "class_name": "Zeros", "config": {}},
                 moving_variance_initializer={"module": "keras.initializers",
                                              "class_name": "Ones",
                                              "config": {}})
sgd = {"optimizer": {"module": "keras.optimizers", "class_name": "SGD",
                     "config": {"learning_rate": 0.1, "momentum": 0.0,
                                "nesterov": False}},
       "loss": "sparse_categorical_crossentropy", "metrics": None}
write("bn.json", sequential("bn_model", [dense("hidden", 6), bn_layer,
                                         dense("out", 3, "softmax")], sgd))
frozen_bn = dict(bn_layer, config=dict(bn_layer["config"], trainable=False))
write("bn_frozen.json", sequential("bn_frozen_model",
                                   [dense("hidden", 6), frozen_bn,
                                    dense("out", 3, "softmax")], sgd))
np.save(os.path.join(out, "y3.npy"), rng.integers(0, 3, 16).astype(np.int64))

# Dense on the last axis of a sequence (Keras applies Dense to (None, 5, 8)
# as to each of the 5 rows), then Flatten and a classifier.
seq = sequential("seq_model", [dense("proj", 3, "tanh"),
                               layer("Flatten", name="flat",
                                     data_format="channels_last"),
                               dense("out", 2, "softmax")], sgd)
seq["config"]["layers"][0]["config"]["batch_shape"] = [None, 5, 8]
write("seq.json", seq)
np.save(os.path.join(out, "x_seq.npy"),
        rng.standard_normal((6, 5, 8)).astype(np.float32))
np.save(os.path.join(out, "y_seq.npy"), rng.integers(0, 2, 6).astype(np.int64))
