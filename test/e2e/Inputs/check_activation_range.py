"""Activations of a compiled model over their whole f32 range, against
float64 NumPy definitions (kiln's tanh/exp/expm1/log/log1p are polynomial
approximations, test/codegen/cpu/approximate_math.mlir).

  check_activation_range.py model DIR   writes DIR/ACT.json (Input(N) ->
                                          Activation(ACT)) and DIR/x.npy
  check_activation_range.py check DIR   compares DIR/y_ACT.npy
"""
import json
import math
import sys

import numpy as np

ACTIVATIONS = {
    "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
    "tanh": np.tanh,
    "softplus": lambda x: np.logaddexp(0, x),
    "elu": lambda x: np.where(x > 0, x, np.expm1(x)),
    "selu": lambda x: 1.0507009873554805
    * np.where(x > 0, x, 1.6732632423543772 * np.expm1(x)),
    "gelu": lambda x: 0.5 * x * (1 + np.vectorize(math.erf)(x / math.sqrt(2))),
    "swish": lambda x: x / (1 + np.exp(-x)),
    "exponential": np.exp,
}


def inputs():
    # Overflow and underflow edges of exp (+-88.7), tanh's saturation, zero
    # and denormal-free small values, and a dense sweep in between: 16 + 320
    # lanes (vector bodies and a masked tail).
    edges = [-200, -100, -89, -88, -50, -20, -1e-3, 0, 1e-3, 1, 5, 20, 50,
             88, 88.5, 100]
    sweep = np.linspace(-30, 30, 320)
    return np.concatenate([edges, sweep]).astype(np.float32)


def main():
    action, out = sys.argv[1], sys.argv[2]
    x = inputs()
    if action == "model":
        for name in ACTIVATIONS:
            layers = [
                {"class_name": "InputLayer",
                 "config": {"batch_shape": [None, x.size], "name": "x"}},
                {"class_name": "Activation",
                 "config": {"name": "act", "activation": name}},
            ]
            with open(f"{out}/{name}.json", "w") as f:
                json.dump({"class_name": "Sequential",
                           "config": {"name": name, "layers": layers}}, f)
        np.save(f"{out}/x.npy", np.stack([x, x[::-1]]))
        return
    worst = 0.0
    for name, fn in ACTIVATIONS.items():
        got = np.load(f"{out}/y_{name}.npy").astype(np.float64)
        with np.errstate(over="ignore"):
            want = fn(np.stack([x, x[::-1]]).astype(np.float64))
        # f32 overflow: +inf where the exact value exceeds FLT_MAX.
        overflow = want > np.finfo(np.float32).max
        ok = np.isclose(got, want, rtol=2e-6, atol=1e-7) | (
            overflow & np.isinf(got) & (got > 0))
        # The relative error where it means something (not in underflow).
        err = np.where(overflow | (np.abs(want) < 1e-6), 0,
                       np.abs(got - want) / np.maximum(np.abs(want), 1e-6))
        # gelu's 1 + erf(x / sqrt(2)) cancels in f32 below x = -4 (in Keras
        # too): only its absolute error is meaningful.
        if name != "gelu":
            worst = max(worst, float(err.max()))
        if not ok.all():
            i = np.argwhere(~ok)[0]
            print(f"{name}: x={np.stack([x, x[::-1]])[tuple(i)]} "
                  f"got {got[tuple(i)]} want {want[tuple(i)]}: FAIL")
            sys.exit(1)
        print(f"{name}: OK")
    print(f"worst relative error (all but gelu) {worst:.2e}")


if __name__ == "__main__":
    main()
