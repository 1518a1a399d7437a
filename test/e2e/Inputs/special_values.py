"""A Dense layer (8 -> 4, no bias) whose weights and inputs hold infinities
and NaNs, for --gpu-precision's rounding of the factors (kiln-cuda-map-to-gpu
rounds each staged element to TF32 or BF16).

A NaN whose payload lies only in the bits that the rounding drops
(0x7f800001, a signalling NaN) must stay a NaN: rounding its bits like a
number's would give an infinity. Infinities must stay infinities of their
sign, and finite values that the format holds exactly must stay exact.

Usage:
  special_values.py make DIR         special.json, weights.bin, special_x.npy
  special_values.py check OUT.npy    kiln's predictions, element by element
"""
import json
import sys

import numpy as np

SIGNALLING_NAN = 0x7F800001


def make(d):
    # Multiples of 1/8: exact in TF32 and BF16, and so are their sums.
    w = np.arange(32, dtype=np.float32).reshape(8, 4) / 8
    bits = w.view(np.uint32)
    bits[0, 0] = 0x7F800000  # +inf
    bits[0, 1] = SIGNALLING_NAN
    bits[0, 2] = 0xFF800000  # -inf
    x = np.ones((2, 8), np.float32)
    x.view(np.uint32)[1, 3] = SIGNALLING_NAN
    layer = {"class_name": "Dense",
             "config": {"name": "dense", "units": 4, "activation": "linear",
                        "use_bias": False, "batch_input_shape": [None, 8]}}
    model = {
        "modelTopology": {"class_name": "Sequential",
                          "config": {"name": "special", "layers": [layer]},
                          "keras_version": "tfjs-layers 4.22.0",
                          "backend": "tensor_flow.js"},
        "format": "layers-model",
        "weightsManifest": [{"paths": ["weights.bin"], "weights": [
            {"name": "dense/kernel", "shape": [8, 4], "dtype": "float32"}]}],
    }
    json.dump(model, open(f"{d}/special.json", "w"))
    open(f"{d}/weights.bin", "wb").write(w.tobytes())
    np.save(f"{d}/special_x.npy", x)


def check(path):
    got = np.load(path)
    # Row 0: ones times each column; column 3 is (3 + 7 + ... + 31) / 8.
    expected = [np.inf, np.nan, -np.inf, 17.0]
    ok = got.shape == (2, 4)
    ok = ok and all(np.isnan(g) if np.isnan(e) else g == e
                    for g, e in zip(got[0], expected))
    # Row 1: a NaN input makes every output NaN.
    ok = ok and bool(np.isnan(got[1]).all())
    print("special values:", "OK" if ok else f"FAILED\n{got}")


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2])
    else:
        check(sys.argv[2])
