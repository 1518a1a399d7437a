"""Writes the Keras JSON models of error_embedding.test into DIR."""
import json
import sys


def model(shape, dtype, *layers):
    return {"class_name": "Sequential", "config": {"name": "m", "layers": [
        {"class_name": "InputLayer", "config": {"batch_shape": [None] + shape,
                                                "dtype": dtype,
                                                "name": "in"}},
        *layers]}, "keras_version": "3.5.0", "backend": "tensorflow"}


def embedding(**extra):
    config = {"name": "e", "input_dim": 10, "output_dim": 4}
    config.update(extra)
    return {"class_name": "Embedding", "config": config}


CASES = {
    "int_dense": model([5], "int32",
                       {"class_name": "Dense",
                        "config": {"name": "d", "units": 2}}),
    "bool_dense": model([5], "bool",
                        {"class_name": "Dense",
                         "config": {"name": "d", "units": 2}}),
    "bool_ids": model([5], "bool", embedding()),
    "uint8": model([5], "uint8", embedding()),
    "input_length": model([5], "int32", embedding(input_length=6)),
    "input_dim": model([5], "int64", embedding(input_dim=0)),
    "sparse": model([5], "int32", embedding(sparse=True)),
}

for name, m in CASES.items():
    with open(f"{sys.argv[1]}/{name}.json", "w") as f:
        json.dump(m, f)
