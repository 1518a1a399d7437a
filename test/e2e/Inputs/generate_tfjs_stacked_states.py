"""Writes test/e2e/Inputs/tfjs-stacked-states/: a TensorFlow.js layers model
(model.json + weights.bin, written here by hand in tfjs's format) of an RNN
over a stack of cells, LSTMCell(3) then SimpleRNNCell(2), with initial
states and return_state, and the outputs Keras 3 computes for the same
network and weights.

TensorFlow.js orders a stack's states last cell first (its
StackedRNNCells.stateSize: [s, h, c] here), in the initial states the RNN
takes after its sequence and in the states it returns; Keras 3 orders them
first cell first. The model's outputs are the three returned states, in
tfjs's order.

Run with real Keras 3 on TensorFlow (not needed by the tests):
    /tmp/kvenv/bin/python test/e2e/Inputs/generate_tfjs_stacked_states.py
"""
import json
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import layers  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                   "tfjs-stacked-states")


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(5)
    seq = keras.Input((5, 3))
    h0, c0, s0 = keras.Input((3,)), keras.Input((3,)), keras.Input((2,))
    rnn = layers.RNN(layers.StackedRNNCells(
        [layers.LSTMCell(3), layers.SimpleRNNCell(2)]), return_state=True)
    _, (h, c), s = rnn(seq, initial_state=[[h0, c0], s0])
    model = keras.Model([seq, h0, c0, s0], [s, h, c])
    weights = [rng.uniform(-0.6, 0.6, w.shape).astype(np.float32)
               for w in rnn.weights]
    rnn.set_weights(weights)

    x = {"seq": rng.normal(size=(4, 5, 3)), "h0": rng.normal(size=(4, 3)),
         "c0": rng.normal(size=(4, 3)), "s0": rng.normal(size=(4, 2))}
    x = {k: v.astype(np.float32) for k, v in x.items()}
    for name, value in x.items():
        np.save(os.path.join(OUT, name + ".npy"), value)
    outputs = model.predict([x["seq"], x["h0"], x["c0"], x["s0"]], verbose=0)
    for name, value in zip(("s", "h", "c"), outputs):
        np.save(os.path.join(OUT, name + ".npy"), value.astype(np.float32))

    def input_layer(name, shape):
        return {"class_name": "InputLayer", "name": name, "inbound_nodes": [],
                "config": {"batch_input_shape": [None, *shape],
                           "dtype": "float32", "sparse": False,
                           "name": name}}

    def cell(cls, name, units, **extra):
        return {"class_name": cls, "config": {
            "name": name, "trainable": True, "units": units,
            "activation": "tanh", "use_bias": True, **extra}}

    topology = {"class_name": "Model", "keras_version": "tfjs-layers 4.22.0",
                "backend": "tensor_flow.js", "config": {
                    "name": "stacked", "layers": [
                        input_layer("seq", (5, 3)), input_layer("h0", (3,)),
                        input_layer("c0", (3,)), input_layer("s0", (2,)),
                        {"class_name": "RNN", "name": "r", "config": {
                            "name": "r", "trainable": True,
                            "return_sequences": False, "return_state": True,
                            "go_backwards": False, "stateful": False,
                            "unroll": False,
                            "cells": [
                                cell("LSTMCell", "c0", 3,
                                     recurrent_activation="sigmoid",
                                     unit_forget_bias=True),
                                cell("SimpleRNNCell", "c1", 2)]},
                         # tfjs: the sequence, then the states last cell
                         # first.
                         "inbound_nodes": [[["seq", 0, 0, {}],
                                            ["s0", 0, 0, {}],
                                            ["h0", 0, 0, {}],
                                            ["c0", 0, 0, {}]]]}],
                    "input_layers": [["seq", 0, 0], ["h0", 0, 0],
                                     ["c0", 0, 0], ["s0", 0, 0]],
                    "output_layers": [["r", 0, 1], ["r", 0, 2],
                                      ["r", 0, 3]]}}
    names = ["r/c0/kernel", "r/c0/recurrent_kernel", "r/c0/bias",
             "r/c1/kernel", "r/c1/recurrent_kernel", "r/c1/bias"]
    manifest = [{"paths": ["weights.bin"], "weights": [
        {"name": n, "shape": list(w.shape), "dtype": "float32"}
        for n, w in zip(names, weights)]}]
    with open(os.path.join(OUT, "weights.bin"), "wb") as f:
        for w in weights:
            f.write(w.astype("<f4").tobytes())
    with open(os.path.join(OUT, "model.json"), "w") as f:
        json.dump({"format": "layers-model", "generatedBy": "hand",
                   "convertedBy": None, "modelTopology": topology,
                   "weightsManifest": manifest}, f, indent=1)


if __name__ == "__main__":
    main()
