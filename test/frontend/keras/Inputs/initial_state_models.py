"""Writes the Keras JSON models of initial_state.test into DIR: recurrent
layers called with initial states, in Keras 2's form (further inbound
tensors) and Keras 3's (the `initial_state` call argument), and the
refused ones."""
import json
import sys


def input_layer(name, shape, keras3):
    layer = {"class_name": "InputLayer", "name": name,
             "config": {"batch_shape" if keras3 else "batch_input_shape":
                        [None] + shape, "name": name},
             "inbound_nodes": []}
    return layer


def ref(name, keras3):
    if keras3:
        return {"class_name": "__keras_tensor__", "config": {
            "shape": [None], "dtype": "float32",
            "keras_history": [name, 0, 0]}}
    return [name, 0, 0, {}]


def functional(layers, inputs, output, keras3):
    return {"class_name": "Functional", "config": {
        "name": "m", "layers": layers,
        "input_layers": [[i, 0, 0] for i in inputs],
        "output_layers": [[output, 0, 0]]},
        "keras_version": "3.5.0" if keras3 else "2.15.0",
        "backend": "tensorflow"}


def rnn_model(cls, config, states, keras3, kwarg="initial_state",
              state_shapes=None):
    """x (None, 5, 2) and `states` inputs into `cls`(config)."""
    state_shapes = state_shapes or [[config.get("units", 3)]] * len(states)
    layers = [input_layer("x", [5, 2], keras3)]
    layers += [input_layer(s, shape, keras3)
               for s, shape in zip(states, state_shapes)]
    if keras3:
        node = {"args": [ref("x", True)],
                "kwargs": {kwarg: [ref(s, True) for s in states]}}
    else:
        node = [ref("x", False)] + [ref(s, False) for s in states]
    layers.append({"class_name": cls, "name": "r",
                   "config": dict(name="r", **config),
                   "inbound_nodes": [node]})
    return functional(layers, ["x"] + states, "r", keras3)


CASES = {
    "keras2_lstm": rnn_model("LSTM", {"units": 3}, ["h0", "c0"], False),
    "keras3_gru": rnn_model("GRU", {"units": 3}, ["h0"], True),
    "count": rnn_model("LSTM", {"units": 3}, ["h0"], True),
    "shape": rnn_model("SimpleRNN", {"units": 3}, ["h0"], True,
                       state_shapes=[[4]]),
    "mask": rnn_model("SimpleRNN", {"units": 3}, ["m"], True, kwarg="mask"),
    "bidirectional": rnn_model("Bidirectional", {"layer": {
        "class_name": "SimpleRNN", "config": {"name": "f", "units": 3}}},
        ["h0"], True),
}

for name, m in CASES.items():
    with open(f"{sys.argv[1]}/{name}.json", "w") as f:
        json.dump(m, f)
