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


CASES = {
    # Refused: Keras computes with the mask in these layers.
    "softmax": model(layer("Softmax"), layer("Flatten")),
    "batchnorm": model(layer("BatchNormalization"), layer("Flatten")),
    "attention": model(layer("MultiHeadAttention", num_heads=2, key_dim=2)),
    "output": model(layer("LSTM", units=3, return_sequences=True),
                    layer("Dense", units=2)),
    # Dropped with Keras's warning: Flatten does not support masking.
    "flatten": model(layer("Flatten"), layer("Dense", units=2)),
    # Ended quietly: an RNN without return_sequences.
    "lstm": model(layer("Dense", units=3), layer("LSTM", units=3)),
}

for name, m in CASES.items():
    with open(f"{sys.argv[1]}/{name}.json", "w") as f:
        json.dump(m, f)
