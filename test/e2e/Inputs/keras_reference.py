"""Independent NumPy forward pass of Keras/tfjs models, for kiln's e2e tests.

Reads the topology (Keras 2/3 JSON, a .keras archive, a legacy .h5 or a tfjs
model.json) and the weights (h5py, zipfile, raw weights.bin) without kiln, and
runs the model in float64.

  keras_reference.py input MODEL X.npy [--samples N] [--seed S] [--features F]
      writes a random float32 input of shape (N,) + the model's input shape.
  keras_reference.py check MODEL [--weights W] --input X.npy --output Y.npy...
      compares kiln's outputs Y.npy (one --output per model output) with the
      NumPy forward pass on X.npy.
  keras_reference.py compare A.npy B.npy
      compares two .npy files (e.g. kiln's output with a stored reference).

check/compare print "max abs err E <= TOL: OK" and exit 1 on a mismatch.
"""

import argparse
import io
import json
import math
import os
import sys
import zipfile

import h5py
import numpy as np

TOLERANCE = 1e-5


# ---------------------------------------------------------------------------
# Activations (float64)
# ---------------------------------------------------------------------------

_erf = np.vectorize(math.erf)


def _softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946

ACTIVATIONS = {
    None: lambda x: x,
    "linear": lambda x: x,
    "relu": lambda x: np.maximum(x, 0.0),
    "sigmoid": _sigmoid,
    "tanh": np.tanh,
    "softmax": _softmax,
    "exponential": np.exp,
    "softplus": lambda x: np.logaddexp(0.0, x),
    "elu": lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0.0))),
    "selu": lambda x: SELU_SCALE * np.where(
        x > 0, x, SELU_ALPHA * np.expm1(np.minimum(x, 0.0))),
    # Keras's default gelu is the exact (erf) form.
    "gelu": lambda x: 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0))),
    "softsign": lambda x: x / (1.0 + np.abs(x)),
    "swish": lambda x: x * _sigmoid(x),
    "silu": lambda x: x * _sigmoid(x),
}


# ---------------------------------------------------------------------------
# Model files
# ---------------------------------------------------------------------------


def _snake(name):
    import re
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    name = re.sub("([a-z])([A-Z])", r"\1_\2", name)
    return name.lower()


class Model:
    """Topology (dict) + weights: {layer name: [arrays in Keras order]}."""

    def __init__(self, topology, weights):
        self.topology = topology
        self.weights = weights

    @property
    def sequential(self):
        return self.topology["class_name"] == "Sequential"

    def layers(self):
        config = self.topology["config"]
        return config if isinstance(config, list) else config["layers"]

    def input_shape(self):
        """Per-sample input shape of the (first) input."""
        first = self.layers()[0]["config"]
        if not self.sequential:
            name = self.topology["config"]["input_layers"]
            name = name[0] if isinstance(name[0], str) else name[0][0]
            first = next(l["config"] for l in self.layers()
                         if l["config"]["name"] == name)
        shape = first.get("batch_input_shape") or first.get("batch_shape")
        return tuple(shape[1:])


def _keras3_paths(layers, sequential):
    paths, counts = {}, {}
    for layer in layers:
        if sequential and layer["class_name"] == "InputLayer":
            continue
        snake = _snake(layer["class_name"])
        n = counts.get(snake, 0)
        paths[layer["config"]["name"]] = snake if n == 0 else f"{snake}_{n}"
        counts[snake] = n + 1
    return paths


def _h5_weights(h5, topology):
    """Weights of an h5py file/group, Keras 2 or Keras 3 layout."""
    weights = {}
    root = h5["model_weights"] if "model_weights" in h5 else h5
    if "layer_names" in root.attrs:  # Keras 2
        for name in root.attrs["layer_names"]:
            name = name.decode() if isinstance(name, bytes) else name
            group = root[name]
            names = [n.decode() if isinstance(n, bytes) else n
                     for n in group.attrs["weight_names"]]
            weights[name] = [np.asarray(group[n], np.float64) for n in names]
        return weights
    model = Model(topology, None)  # Keras 3: layers/<snake>[_N]/vars/<i>
    by_name = {l["config"]["name"]: l for l in model.layers()}
    for name, path in _keras3_paths(model.layers(), model.sequential).items():
        # A recurrent layer's weights live in its cells: cell/vars, or
        # cell/cells/<cell name>/vars in the stack's order.
        layer = by_name[name]
        groups = [f"layers/{path}/vars", f"layers/{path}/cell/vars"]
        if layer["class_name"] in ("SimpleRNN", "RNN"):
            cell = layer["config"].get("cell") or {}
            if cell.get("class_name") == "StackedRNNCells":
                groups += [f"layers/{path}/cell/cells/{c['config']['name']}/vars"
                           for c in cell["config"]["cells"]]
        arrays = []
        for g in groups:
            group = h5.get(g)
            if group is not None:
                arrays += [np.asarray(group[k], np.float64)
                           for k in sorted(group, key=int)]
        if arrays:
            weights[name] = arrays
    return weights


def load(path, weights_path=None):
    if path.endswith(".keras"):
        with zipfile.ZipFile(path) as z:
            topology = json.loads(z.read("config.json"))
            with h5py.File(io.BytesIO(z.read("model.weights.h5")), "r") as h5:
                weights = _h5_weights(h5, topology)
    elif path.endswith(".h5"):
        with h5py.File(path, "r") as h5:
            topology = json.loads(h5.attrs["model_config"])
            weights = _h5_weights(h5, topology)
    else:
        with open(path) as f:
            root = json.load(f)
        topology, weights = root, {}
        if "modelTopology" in root:  # tfjs
            topology = root["modelTopology"]
            topology = topology.get("model_config", topology)
            for group in root.get("weightsManifest", []):
                data = b"".join(
                    open(os.path.join(os.path.dirname(path), p), "rb").read()
                    for p in group["paths"])
                offset = 0
                for w in group["weights"]:
                    count = int(np.prod(w["shape"]))
                    array = np.frombuffer(data, "<f4", count, offset)
                    offset += 4 * count
                    # "dense_1/kernel"; a cell's "rnn_1/RNNCell_0/kernel"
                    # belongs to the layer rnn_1.
                    parts = w["name"].split("/")[:-1]
                    names = {l["config"]["name"]
                             for l in Model(topology, None).layers()}
                    layer = next((p for p in parts if p in names), parts[-1])
                    weights.setdefault(layer, []).append(
                        array.reshape(w["shape"]).astype(np.float64))
    if weights_path:
        with h5py.File(weights_path, "r") as h5:
            weights = _h5_weights(h5, topology)
    return Model(topology, weights)


# ---------------------------------------------------------------------------
# Forward pass
# ---------------------------------------------------------------------------


def _tuple(value, rank, default):
    if value is None:
        value = default
    return (value,) * rank if isinstance(value, int) else tuple(value)


def _pads(size, window, stride, dilation, padding):
    """TensorFlow's padding rule for one spatial dimension: (before, after)."""
    span = dilation * (window - 1) + 1
    if padding == "valid":
        return 0, 0
    if padding == "causal":
        return span - 1, 0
    out = -(-size // stride)
    total = max((out - 1) * stride + span - size, 0)
    return total // 2, total - total // 2


def _windows(x, window, strides, dilations, padding, fill):
    """Yields (tap, view): for each window tap, the (N, O..., C) slice of the
    padded input that tap reads at every output position."""
    rank = len(window)
    pads = [_pads(x.shape[1 + i], window[i], strides[i], dilations[i], padding)
            for i in range(rank)]
    xp = np.pad(x, [(0, 0)] + pads + [(0, 0)], constant_values=fill)
    out = [(xp.shape[1 + i] - dilations[i] * (window[i] - 1) - 1) // strides[i] + 1
           for i in range(rank)]
    for tap in np.ndindex(*window):
        index = [slice(None)]
        for i in range(rank):
            start = tap[i] * dilations[i]
            index.append(slice(start, start + strides[i] * (out[i] - 1) + 1,
                               strides[i]))
        index.append(slice(None))
        yield tap, xp[tuple(index)]


def _conv(x, cfg, w, rank):
    kernel = w[0]
    strides = _tuple(cfg.get("strides"), rank, 1)
    dilations = _tuple(cfg.get("dilation_rate"), rank, 1)
    y = None
    for tap, view in _windows(x, kernel.shape[:rank], strides, dilations,
                              cfg.get("padding", "valid").lower(), 0.0):
        term = view @ kernel[tap]
        y = term if y is None else y + term
    if cfg.get("use_bias", True):
        y = y + w[1]
    return ACTIVATIONS[cfg.get("activation")](y)


def _pool(x, cfg, rank, is_max):
    window = _tuple(cfg.get("pool_size"), rank, 2)
    strides = _tuple(cfg.get("strides"), rank, None) if cfg.get("strides") \
        else window
    padding = cfg.get("padding", "valid").lower()
    ones = (1,) * rank
    taps = list(_windows(x, window, strides, ones, padding,
                         -np.inf if is_max else 0.0))
    if is_max:
        return np.max([v for _, v in taps], axis=0)
    counts = list(_windows(np.ones_like(x[:1, ..., :1]), window, strides, ones,
                           padding, 0.0))
    return sum(v for _, v in taps) / sum(v for _, v in counts)


def _rnn_cells(cls, cfg):
    """The cell configs of a SimpleRNN or an RNN (one cell or a stack)."""
    if cls == "SimpleRNN":
        return [cfg]
    cell = cfg.get("cell")
    if isinstance(cell, dict) and cell.get("class_name") == "StackedRNNCells":
        return [c["config"] for c in cell["config"]["cells"]]
    if isinstance(cell, dict):
        return [cell["config"]]
    return [c["config"] for c in (cell or cfg["cells"])]


def _rnn(x, cls, cfg, w):
    """SimpleRNN cells stepped in NumPy: h = act(in @ K + b + h @ R)."""
    cells, params, i = _rnn_cells(cls, cfg), [], 0
    for c in cells:
        n = 3 if c.get("use_bias", True) else 2
        params.append(w[i:i + n])
        i += n
    steps = range(x.shape[1])
    if cfg.get("go_backwards"):
        steps = reversed(steps)
    h = [np.zeros((x.shape[0], c["units"])) for c in cells]
    outputs = []
    for t in steps:
        inp = x[:, t]
        for k, (c, p) in enumerate(zip(cells, params)):
            pre = inp @ p[0]
            if len(p) == 3:
                pre = pre + p[2]
            h[k] = ACTIVATIONS[c.get("activation", "tanh")](pre + h[k] @ p[1])
            inp = h[k]
        outputs.append(inp)
    if cfg.get("return_sequences"):
        return np.stack(outputs, axis=1)
    return outputs[-1]


def _apply(layer, x, weights):
    cls, cfg = layer["class_name"], layer["config"]
    if cls in ("SimpleRNN", "RNN"):
        return _rnn(x, cls, cfg, weights[cfg["name"]])
    for rank in (1, 2, 3):
        if cls in (f"Conv{rank}D", f"Convolution{rank}D"):
            return _conv(x, cfg, weights[cfg["name"]], rank)
        if cls in (f"MaxPooling{rank}D", f"AveragePooling{rank}D"):
            return _pool(x, cfg, rank, cls.startswith("Max"))
        if cls in (f"GlobalAveragePooling{rank}D", f"GlobalMaxPooling{rank}D"):
            axes = tuple(range(1, 1 + rank))
            reduce = np.max if "Max" in cls else np.mean
            return reduce(x, axis=axes, keepdims=bool(cfg.get("keepdims")))
    if cls in ("InputLayer", "Dropout") or cls.startswith("SpatialDropout"):
        return x
    if cls == "Dense":
        w = weights[cfg["name"]]
        y = x @ w[0]
        if cfg.get("use_bias", True):
            y = y + w[1]
        return ACTIVATIONS[cfg.get("activation")](y)
    if cls == "Activation":
        return ACTIVATIONS[cfg["activation"]](x)
    if cls == "Flatten":
        return x.reshape(x.shape[0], -1)
    if cls == "Reshape":
        return x.reshape((x.shape[0],) + tuple(cfg["target_shape"]))
    raise SystemExit(f"keras_reference.py: unsupported layer class {cls}")


def _inbound(layer):
    """Producer layer names of a functional layer (Keras 2 or 3 nodes)."""
    names = []

    def walk(v):
        if isinstance(v, dict):
            if v.get("class_name") == "__keras_tensor__":
                names.append(v["config"]["keras_history"][0])
            else:
                for item in v.values():
                    walk(item)
        elif isinstance(v, list):
            if v and isinstance(v[0], str):  # Keras 2 ["name", node, index, {}]
                names.append(v[0])
            else:
                for item in v:
                    walk(item)

    walk(layer.get("inbound_nodes", []))
    return names


MERGES = {
    "Add": lambda xs: _fold(np.add, xs),
    "Subtract": lambda xs: xs[0] - xs[1],
    "Multiply": lambda xs: _fold(np.multiply, xs),
    "Maximum": lambda xs: _fold(np.maximum, xs),
    "Minimum": lambda xs: _fold(np.minimum, xs),
    "Average": lambda xs: _fold(np.add, xs) / len(xs),
}


def _fold(op, xs):
    out = xs[0]
    for x in xs[1:]:
        out = op(out, x)
    return out


def _merge(layer, xs):
    cls, cfg = layer["class_name"], layer["config"]
    if cls == "Concatenate":
        return np.concatenate(xs, axis=cfg.get("axis", -1))
    if cls in MERGES:
        return MERGES[cls](xs)
    raise SystemExit(f"keras_reference.py: unsupported merge layer {cls}")


def forward(model, xs):
    xs = [x.astype(np.float64) for x in xs]
    x = xs[0]
    if model.sequential:
        for layer in model.layers():
            x = _apply(layer, x, model.weights)
        return [x]
    config = model.topology["config"]

    def refs(v):
        return [v[0]] if isinstance(v[0], str) else [r[0] for r in v]

    values = dict(zip(refs(config["input_layers"]), xs))
    for layer in model.layers():
        if layer["class_name"] == "InputLayer":
            continue
        srcs = _inbound(layer)
        if len(srcs) > 1 or layer["class_name"] in MERGES:
            out = _merge(layer, [values[s] for s in srcs])
        else:
            out = _apply(layer, values[srcs[0]], model.weights)
        values[layer["config"]["name"]] = out
    return [values[name] for name in refs(config["output_layers"])]


# ---------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------


def _report(got, want):
    if got.shape != want.shape:
        print(f"shape mismatch: kiln {got.shape}, reference {want.shape}: "
              "FAIL")
        return 1
    err = float(np.max(np.abs(got.astype(np.float64) - want))) if got.size \
        else 0.0
    ok = err <= TOLERANCE and np.all(np.isfinite(got))
    print(f"max abs err {err:.3g} <= {TOLERANCE:g}: {'OK' if ok else 'FAIL'}")
    return 0 if ok else 1


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("input")
    p.add_argument("model")
    p.add_argument("out")
    p.add_argument("--samples", type=int, default=8)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--features", type=int,
                   help="override the last input dimension (negative tests)")
    p = sub.add_parser("check")
    p.add_argument("model")
    p.add_argument("--weights")
    p.add_argument("--input", required=True, action="append",
                   help="one per model input, in order")
    p.add_argument("--output", required=True, action="append",
                   help="one per model output, in order")
    p = sub.add_parser("compare")
    p.add_argument("got")
    p.add_argument("want")
    args = parser.parse_args()

    if args.command == "input":
        shape = list(load(args.model).input_shape())
        if args.features is not None:
            shape[-1] = args.features
        rng = np.random.default_rng(args.seed)
        x = rng.uniform(-2.0, 2.0, [args.samples] + shape).astype(np.float32)
        np.save(args.out, x)
        return 0
    if args.command == "compare":
        return _report(np.load(args.got), np.load(args.want).astype(np.float64))
    model = load(args.model, args.weights)
    wants = forward(model, [np.load(path) for path in args.input])
    if len(wants) != len(args.output):
        print(f"the model has {len(wants)} outputs, got {len(args.output)}: "
              "FAIL")
        return 1
    status = 0
    for path, want in zip(args.output, wants):
        if len(wants) > 1:
            print(os.path.basename(path) + ": ", end="")
        status |= _report(np.load(path), want)
    return status


if __name__ == "__main__":
    sys.exit(main())
