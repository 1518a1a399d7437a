"""Writes the Keras 3 JSON models of masking.test into DIR: Sequential
models whose first layer is Embedding(10, 4, mask_zero=True) on int32 ids
(None, 5), then the layers each case names."""
import json
import sys


def layer(cls, **config):
    return {"class_name": cls, "config": {"name": cls.lower(), **config}}


def model(*layers):
    return {"class_name": "Sequential", "keras_version": "3.15.1",
            "backend": "tensorflow", "config": {"name": "m", "layers": [
                {"class_name": "InputLayer",
                 "config": {"name": "ids", "batch_shape": [None, 5],
                            "dtype": "int32"}},
                layer("Embedding", input_dim=10, output_dim=4,
                      mask_zero=True), *layers]}}


def tensor(name, shape, dtype="float32"):
    return {"class_name": "__keras_tensor__",
            "config": {"shape": [None] + shape, "dtype": dtype,
                       "keras_history": [name, 0, 0]}}


def functional(*nodes, output):
    """A Keras 3 functional model of float input x (None, 5, 3) and the
    `nodes` (class, name, config, args, kwargs)."""
    layers = [{"class_name": "InputLayer", "name": "x", "inbound_nodes": [],
               "config": {"name": "x", "batch_shape": [None, 5, 3],
                          "dtype": "float32"}}]
    for cls, name, config, args, kwargs in nodes:
        layers.append({"class_name": cls, "name": name,
                       "config": {"name": name, **config},
                       "inbound_nodes": [{"args": args, "kwargs": kwargs}]})
        if cls in ("NotEqual", "Sum"):  # operations, as Keras 3 writes them
            layers[-1]["module"] = "keras.src.ops.numpy"
    return {"class_name": "Functional", "keras_version": "3.15.1",
            "backend": "tensorflow", "config": {
                "name": "m", "layers": layers, "input_layers": [["x", 0, 0]],
                "output_layers": [[output, 0, 0]]}}


X = tensor("x", [5, 3])
NE = ("NotEqual", "ne", {}, [X, 0.5], {})

CASES = {
    # Refused: Keras computes with the mask in these layers.
    "softmax": model(layer("Softmax"), layer("Flatten")),
    "batchnorm": model(layer("BatchNormalization"), layer("Flatten")),
    # TimeDistributed would hand the mask to these at each step.
    "timedistributed": model(layer("TimeDistributed", layer={
        "class_name": "BatchNormalization", "config": {"name": "bn"}}),
        layer("Flatten")),
    "timedistributed_softmax": model(layer("TimeDistributed", layer={
        "class_name": "Softmax", "config": {"name": "s"}}),
        layer("Flatten")),
    "output": model(layer("LSTM", units=3, return_sequences=True),
                    layer("Dense", units=2)),
    # Dropped with Keras's warning: Flatten does not support masking.
    "flatten": model(layer("Flatten"), layer("Dense", units=2)),
    # Ended quietly: an RNN without return_sequences.
    "lstm": model(layer("Dense", units=3), layer("LSTM", units=3)),
    # Keras 3's mask operations feed masks only.
    "boolean_input": functional(NE, ("Dense", "d", {"units": 2},
                                     [tensor("ne", [5, 3], "bool")], {}),
                                output="d"),
    "not_a_mask": functional(("LSTM", "r", {"units": 2}, [X],
                              {"mask": tensor("x", [5, 3])}), output="r"),
    "boolean_output": functional(NE, output="ne"),
    # An operation kiln does not read.
    "operation": functional(("Sum", "s", {"axis": -1}, [X], {}), output="s"),
    # A setting of a mask operation kiln does not read.
    "operation_config": functional(
        ("NotEqual", "ne", {"trainable": True}, [X, 0.5], {}),
        ("LSTM", "r", {"units": 2}, [X], {"mask": tensor("ne", [5, 3], "bool")}),
        output="r"),
}

# Keras 2's MultiHeadAttention under a mask (value passed as a keyword
# argument, as Keras 2 records it): refused.
CASES["keras2_attention"] = {
    "class_name": "Functional", "keras_version": "2.15.0",
    "backend": "tensorflow", "config": {"name": "m", "layers": [
        {"class_name": "InputLayer", "name": "ids", "inbound_nodes": [],
         "config": {"name": "ids", "batch_input_shape": [None, 5],
                    "dtype": "int32"}},
        {"class_name": "Embedding", "name": "e",
         "inbound_nodes": [[["ids", 0, 0, {}]]],
         "config": {"name": "e", "input_dim": 10, "output_dim": 4,
                    "mask_zero": True}},
        {"class_name": "MultiHeadAttention", "name": "a",
         "inbound_nodes": [[["e", 0, 0, {"value": ["e", 0, 0]}]]],
         "config": {"name": "a", "num_heads": 2, "key_dim": 2}},
        {"class_name": "GlobalAveragePooling1D", "name": "g",
         "inbound_nodes": [[["a", 0, 0, {}]]], "config": {"name": "g"}}],
        "input_layers": [["ids", 0, 0]], "output_layers": [["g", 0, 0]]}}

# Keras 2's MultiHeadAttention adds -1e9 to masked scores, which differs
# from Keras 3 where a query step attends to nothing: its attention_mask
# is refused too.
CASES["keras2_attention_mask"] = {
    "class_name": "Functional", "keras_version": "2.15.0",
    "backend": "tensorflow", "config": {"name": "m", "layers": [
        {"class_name": "InputLayer", "name": "x", "inbound_nodes": [],
         "config": {"name": "x", "batch_input_shape": [None, 5, 4],
                    "dtype": "float32"}},
        {"class_name": "InputLayer", "name": "m", "inbound_nodes": [],
         "config": {"name": "m", "batch_input_shape": [None, 5, 5],
                    "dtype": "float32"}},
        {"class_name": "MultiHeadAttention", "name": "a",
         "inbound_nodes": [[["x", 0, 0, {"value": ["x", 0, 0],
                                         "attention_mask": ["m", 0, 0]}]]],
         "config": {"name": "a", "num_heads": 2, "key_dim": 2}},
        {"class_name": "GlobalAveragePooling1D", "name": "g",
         "inbound_nodes": [[["a", 0, 0, {}]]], "config": {"name": "g"}}],
        "input_layers": [["x", 0, 0], ["m", 0, 0]],
        "output_layers": [["g", 0, 0]]}}

# TensorFlow.js: its masks are refused.
CASES["tfjs"] = {
    "format": "layers-model",
    "modelTopology": {
        "class_name": "Sequential", "keras_version": "tfjs-layers 4.22.0",
        "backend": "tensor_flow.js", "config": {"name": "t", "layers": [
            {"class_name": "Embedding",
             "config": {"name": "e", "input_dim": 10, "output_dim": 4,
                        "mask_zero": True, "batch_input_shape": [None, 5],
                        "dtype": "float32"}},
            {"class_name": "LSTM", "config": {"name": "r", "units": 3}}]}}}

for name, m in CASES.items():
    with open(f"{sys.argv[1]}/{name}.json", "w") as f:
        json.dump(m, f)
