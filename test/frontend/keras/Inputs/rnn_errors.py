"""Writes the Keras JSON models of error_recurrent.test into DIR."""
import json
import sys


def model(shape, layer):
    return {"class_name": "Sequential", "config": {"name": "m", "layers": [
        {"class_name": "InputLayer", "config": {"batch_shape": [None] + shape,
                                                "name": "in"}},
        layer]}, "keras_version": "3.5.0", "backend": "tensorflow"}


def rnn(**extra):
    config = {"name": "r", "units": 4}
    config.update(extra)
    return {"class_name": "SimpleRNN", "config": config}


def cell(cls, **extra):
    config = {"name": "c0", "units": 3}
    config.update(extra)
    return {"class_name": cls, "config": config}


CASES = {
    "dropout": model([5, 2], rnn(dropout=1.0)),
    "stateful": model([5, 2], rnn(stateful=True)),
    "rank": model([5], rnn()),
    "units": model([5, 2], rnn(units=0)),
    "custom_cell": model([5, 2], {"class_name": "RNN", "config": {
        "name": "r", "cell": cell("MinimalRNNCell")}}),
    "cell_key": model([5, 2], {"class_name": "RNN", "config": {
        "name": "r", "cell": cell("SimpleRNNCell", implementation=2)}}),
    "cell_dtype": model([5, 2], {"class_name": "RNN", "config": {
        "name": "r", "cell": cell("LSTMCell", dtype={
            "module": "keras", "class_name": "DTypePolicy",
            "config": {"name": "mixed_bfloat16"}})}}),
    "wrapped_dtype": model([5, 2], {"class_name": "Bidirectional", "config": {
        "name": "bi", "layer": {"class_name": "LSTM", "config": {
            "name": "l", "units": 2, "dtype": "float16"}}}}),
    "stacked_key": model([5, 2], {"class_name": "RNN", "config": {
        "name": "r", "cell": {"class_name": "StackedRNNCells", "config": {
            "name": "s", "cells": [cell("GRUCell")], "reverse_state_order":
            True}}}}),
    "bidirectional": model([5, 2], {"class_name": "Bidirectional", "config": {
        "name": "bi", "layer": {"class_name": "Dense",
                                "config": {"name": "d", "units": 2}}}}),
    "concat": {"class_name": "Functional", "config": {
        "name": "f", "layers": [
            {"class_name": "InputLayer", "name": "a",
             "config": {"batch_shape": [None, 4], "name": "a"},
             "inbound_nodes": []},
            {"class_name": "InputLayer", "name": "b",
             "config": {"batch_shape": [None, 2, 2], "name": "b"},
             "inbound_nodes": []},
            {"class_name": "Concatenate", "name": "cat",
             "config": {"name": "cat", "axis": -1},
             "inbound_nodes": [[["a", 0, 0, {}], ["b", 0, 0, {}]]]}],
        "input_layers": [["a", 0, 0], ["b", 0, 0]],
        "output_layers": [["cat", 0, 0]]},
        "keras_version": "2.15.0", "backend": "tensorflow"},
}

for name, m in CASES.items():
    with open(f"{sys.argv[1]}/{name}.json", "w") as f:
        json.dump(m, f)
