"""Writes the Keras JSON models of error_wrappers.test into DIR: wrapped
layers and Dot configs kiln refuses, and a Keras 2 TimeDistributed(Conv2D)
it imports."""
import json
import sys


def model(shape, layer):
    return {"class_name": "Sequential", "config": {"name": "m", "layers": [
        {"class_name": "InputLayer", "config": {"batch_shape": [None] + shape,
                                                "name": "in"}},
        layer]}, "keras_version": "3.5.0", "backend": "tensorflow"}


def td(cls, **config):
    return {"class_name": "TimeDistributed", "config": {
        "name": "td", "layer": {"class_name": cls, "config": config}}}


def dot(a, b, axes):
    return {"class_name": "Functional", "config": {
        "name": "f", "layers": [
            {"class_name": "InputLayer", "name": "a",
             "config": {"batch_shape": [None] + a, "name": "a"},
             "inbound_nodes": []},
            {"class_name": "InputLayer", "name": "b",
             "config": {"batch_shape": [None] + b, "name": "b"},
             "inbound_nodes": []},
            {"class_name": "Dot", "name": "dot",
             "config": {"name": "dot", "axes": axes},
             "inbound_nodes": [[["a", 0, 0, {}], ["b", 0, 0, {}]]]}],
        "input_layers": [["a", 0, 0], ["b", 0, 0]],
        "output_layers": [["dot", 0, 0]]},
        "keras_version": "2.15.0", "backend": "tensorflow"}


CASES = {
    "td_rnn": model([3, 4, 2], td("RNN", name="r", cell={
        "class_name": "LSTMCell", "config": {"name": "c", "units": 2}})),
    "td_unknown": model([3, 4], td("MyLayer", name="x")),
    "td_key": model([3, 4], td("Dense", name="d", units=2,
                               activity_regularizer={"class_name": "L2"})),
    "td_noise": model([3, 4], td("Dropout", name="d", rate=0.5,
                                 noise_shape=[1, None])),
    "td_rank": model([4], td("Dense", name="d", units=2)),
    "td_inner": model([3, 4], td("Dense", name="d", units=0)),
    "dot_rank4": dot([2, 3, 4], [2, 3, 4], -1),
    "dot_sizes": dot([4, 3], [5, 3], [1, 1]),
    "dot_batch_axis": dot([4, 3], [4, 3], [0, 0]),
    # Keras 2's spelling: batch_input_shape on the wrapper, the wrapped
    # layer's config with Keras 2 initializer objects.
    "keras2_td": {"class_name": "Sequential", "config": {"name": "k2", "layers": [
        {"class_name": "TimeDistributed", "config": {
            "name": "td", "trainable": True, "dtype": "float32",
            "batch_input_shape": [None, 3, 5, 5, 1],
            "layer": {"class_name": "Conv2D", "config": {
                "name": "conv", "trainable": True, "dtype": "float32",
                "filters": 2, "kernel_size": [3, 3], "strides": [1, 1],
                "padding": "valid", "data_format": "channels_last",
                "dilation_rate": [1, 1], "groups": 1, "activation": "relu",
                "use_bias": True,
                "kernel_initializer": {"class_name": "GlorotUniform",
                                       "config": {"seed": None}},
                "bias_initializer": {"class_name": "Zeros", "config": {}},
                "kernel_regularizer": None, "bias_regularizer": None,
                "activity_regularizer": None, "kernel_constraint": None,
                "bias_constraint": None}}}}]},
        "keras_version": "2.15.0", "backend": "tensorflow"},
}

for name, m in CASES.items():
    with open(f"{sys.argv[1]}/{name}.json", "w") as f:
        json.dump(m, f)
