"""make_keras2_inference_call.py OUT: a Keras 2 functional model.json whose
BatchNormalization and Dropout are called with training=False (as a frozen
base model's layers are in TensorFlow's transfer-learning tutorial), and
data to train it on (OUT/x.npy, OUT/y.npy). Keras 2 honours the call's
flag in fit: the layers stay in inference mode."""
import json
import os
import sys

import numpy as np

out = sys.argv[1]
os.makedirs(out, exist_ok=True)


def layer(cls, name, inbound, training=None, **config):
    kwargs = {} if training is None else {"training": training}
    return {"class_name": cls, "name": name,
            "config": {"name": name, **config},
            "inbound_nodes": [[[inbound, 0, 0, kwargs]]]}


layers = [
    {"class_name": "InputLayer", "name": "x",
     "config": {"batch_input_shape": [None, 4], "name": "x"},
     "inbound_nodes": []},
    layer("Dense", "d1", "x", units=6),
    layer("BatchNormalization", "bn", "d1", training=False),
    layer("Dropout", "drop", "bn", training=False, rate=0.5),
    layer("Dense", "d2", "drop", units=2)]
model = {"class_name": "Functional",
         "config": {"name": "inference_call", "layers": layers,
                    "input_layers": [["x", 0, 0]],
                    "output_layers": [["d2", 0, 0]]},
         "keras_version": "2.15.0", "backend": "tensorflow"}
with open(os.path.join(out, "model.json"), "w") as f:
    json.dump(model, f)
rng = np.random.default_rng(0)
np.save(os.path.join(out, "x.npy"), rng.normal(size=(16, 4)).astype(np.float32))
np.save(os.path.join(out, "y.npy"), rng.normal(size=(16, 2)).astype(np.float32))
