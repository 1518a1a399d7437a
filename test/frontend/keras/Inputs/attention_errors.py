"""Writes the Keras 3 JSON models of error_attention.test into DIR: the
EinsumDense, MultiHeadAttention, Attention and AdditiveAttention settings
and calls kiln refuses."""
import json
import sys


def tensor(name, shape):
    return {"class_name": "__keras_tensor__",
            "config": {"shape": [None] + shape, "dtype": "float32",
                       "keras_history": [name, 0, 0]}}


def functional(inputs, layer, args, kwargs=None):
    """Inputs {name: shape} feeding `layer`, called with `args` (input
    names) and `kwargs`, whose output is the model's."""
    layers = [{"class_name": "InputLayer", "name": n,
               "config": {"name": n, "batch_shape": [None] + s,
                          "dtype": "float32"}, "inbound_nodes": []}
              for n, s in inputs.items()]
    def arg(a):  # an input's name, or a list of them
        if isinstance(a, list):
            return [arg(e) for e in a]
        return tensor(a, inputs[a]) if isinstance(a, str) and a in inputs else a

    call_kwargs = {k: arg(v) for k, v in (kwargs or {}).items()}
    layer = dict(layer, name=layer["config"]["name"],
                 inbound_nodes=[{"args": [arg(a) for a in args],
                                 "kwargs": call_kwargs}])
    layers.append(layer)
    return {"class_name": "Functional", "config": {
        "name": "m", "layers": layers,
        "input_layers": [[n, 0, 0] for n in inputs],
        "output_layers": [[layer["name"], 0, 0]]},
        "keras_version": "3.15.1", "backend": "tensorflow"}


def einsum(equation, output_shape, **extra):
    return {"class_name": "EinsumDense",
            "config": {"name": "e", "equation": equation,
                       "output_shape": output_shape, **extra}}


def mha(**config):
    return {"class_name": "MultiHeadAttention",
            "config": {"name": "a", "num_heads": 2, "key_dim": 3, **config}}


def attention(kind="Attention", **config):
    return {"class_name": kind, "config": {"name": "a", **config}}


X = {"x": [5, 6]}
CASES = {
    "einsum_form": functional(X, einsum("abc->ab", [5]), ["x"]),
    "einsum_diagonal": functional(X, einsum("abc,cc->abc", [5, 6]), ["x"]),
    "einsum_entries": functional(X, einsum("abc,cd->abd", [4]), ["x"]),
    "einsum_mismatch": functional(X, einsum("abc,cd->abd", [7, 4]), ["x"]),
    "einsum_bias": functional(X, einsum("abc,cd->abd", [5, 4],
                                        bias_axes="z"), ["x"]),
    "mha_mask_shape": functional({"x": [5, 6], "m": [5, 4]}, mha(),
                                 ["x", "x"], {"attention_mask": "m"}),
    "mha_mask_two": functional({"x": [5, 6], "m": [5, 5]}, mha(), ["x", "x"],
                               {"attention_mask": ["m", "m"]}),
    "mha_mask_axes": functional({"x": [3, 4, 6], "m": [3, 4, 3, 4]},
                                mha(attention_axes=[1, 2]), ["x", "x"],
                                {"attention_mask": "m"}),
    "mha_key_only": functional({"x": [5, 6], "k": [5, 4]}, mha(), [],
                               {"query": "x", "key": "k"}),
    "mha_heads": functional(X, mha(num_heads=0), ["x", "x"]),
    "mha_activity": functional(X, mha(activity_regularizer={
        "class_name": "L2", "config": {"l2": 0.01}}), ["x", "x"]),
    "mha_causal_axes": functional({"x": [3, 4, 6]}, mha(attention_axes=[1, 2]),
                                  ["x", "x"], {"use_causal_mask": True}),
    "mha_causal_flag": functional(X, mha(), ["x", "x"],
                                  {"use_causal_mask": "yes"}),
    "mha_one_input": functional(X, mha(), ["x"]),
    "att_mask": functional({"x": [5, 6], "m": [5]}, attention(), [["x", "x"]],
                           {"mask": ["m", "m"]}),
    "att_one_input": functional(X, attention(), [["x"]]),
    "att_shapes": functional({"x": [5, 6], "k": [5, 4]}, attention(),
                             [["x", "x", "k"]]),
    "att_score_mode": functional(X, attention(score_mode="general"),
                                 [["x", "x"]]),
    "att_dropout": functional(X, attention(dropout=1.5), [["x", "x"]]),
    "att_scores_flag": functional(X, attention(), [["x", "x"]],
                                  {"return_attention_scores": 1}),
    "additive_score_mode": functional(
        X, attention("AdditiveAttention", score_mode="dot"), [["x", "x"]]),
}

for name, model in CASES.items():
    with open(f"{sys.argv[1]}/{name}.json", "w") as f:
        json.dump(model, f)
