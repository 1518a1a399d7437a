"""A Dense model whose matmuls are large enough for packed GEMM, and an
independent float64 NumPy reference for it.

Model: h = x W1 (1024 -> 650, linear, no bias); z = h W2 (650 -> 600);
loss = mean((z - y)^2), plain SGD. Every product of a training step is big
enough that kiln packs B (the forward products, the weight gradients
X^T G with K the batch, and the input gradient G W2^T), and 650 and 600
leave column tails after the packed tiles. Gradients are derived by hand
here, so the reference is one kiln did not compute. The tolerances are
float32's (sums of 1024 products, a float32 loss); a wrong block or tail
is off by orders of magnitude more.

Usage:
  large_dense_reference.py make DIR        model.json, weights.bin, x.npy, y.npy
  large_dense_reference.py predict DIR OUT.npy [X.npy]  check kiln's predictions
                                                  (of x.npy or X.npy)
  large_dense_reference.py train DIR HISTORY LR  check kiln's per-epoch losses
  large_dense_reference.py rounded DIR OUT.npy tf32|bf16  check predictions
      whose products round their factors to TF32 or BF16 (--gpu-precision):
      the factors rounded here by NumPy, the sums in float64 (h in float32,
      as kiln keeps it); and check that they differ from the float
      products' (so the rounding did happen)
"""
import json
import sys

import numpy as np

SIZES = [1024, 650, 600]
SAMPLES = 64


def make(d):
    rng = np.random.RandomState(12)
    weights = [rng.uniform(-1, 1, (a, b)).astype(np.float32) / np.sqrt(a)
               for a, b in zip(SIZES, SIZES[1:])]
    layers = []
    for i, units in enumerate(SIZES[1:]):
        config = {"name": f"dense_{i + 1}", "units": units, "activation": "linear",
                  "use_bias": False, "trainable": True,
                  "kernel_initializer": {"class_name": "Zeros", "config": {}}}
        if i == 0:
            config["batch_input_shape"] = [None, SIZES[0]]
        layers.append({"class_name": "Dense", "config": config})
    model = {
        "modelTopology": {"class_name": "Sequential",
                          "config": {"name": "large_dense", "layers": layers},
                          "keras_version": "tfjs-layers 4.22.0",
                          "backend": "tensor_flow.js"},
        "format": "layers-model",
        "weightsManifest": [{"paths": ["weights.bin"], "weights": [
            {"name": f"dense_{i + 1}/kernel", "shape": list(w.shape), "dtype": "float32"}
            for i, w in enumerate(weights)]}],
        "trainingConfig": {"loss": "mean_squared_error", "metrics": {},
                           "optimizer_config": {"class_name": "SGD",
                                                "config": {"learningRate": 0.01}}},
    }
    json.dump(model, open(f"{d}/model.json", "w"))
    open(f"{d}/weights.bin", "wb").write(b"".join(w.tobytes() for w in weights))
    np.save(f"{d}/x.npy", rng.uniform(-1, 1, (SAMPLES, SIZES[0])).astype(np.float32))
    np.save(f"{d}/y.npy", rng.uniform(-1, 1, (SAMPLES, SIZES[-1])).astype(np.float32))
    # More rows than a block of packed rows (512 on a 1 MiB L2).
    np.save(f"{d}/x_many.npy", rng.uniform(-1, 1, (1100, SIZES[0])).astype(np.float32))


def load(d):
    data = np.fromfile(f"{d}/weights.bin", np.float32)
    weights, offset = [], 0
    for a, b in zip(SIZES, SIZES[1:]):
        weights.append(data[offset:offset + a * b].reshape(a, b).astype(np.float64))
        offset += a * b
    x = np.load(f"{d}/x.npy").astype(np.float64)
    y = np.load(f"{d}/y.npy").astype(np.float64)
    return weights, x, y


def rounded(a, precision):
    """a rounded to TF32 (to nearest, ties away from zero, as
    cvt.rna.tf32.f32) or BF16 (to nearest even), as float64."""
    bits = np.asarray(a, np.float32).view(np.uint32).astype(np.uint64)
    if precision == "tf32":
        bits = (bits + 0x1000) & 0xFFFFE000
    else:
        bits = (bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000
    return bits.astype(np.uint32).view(np.float32).astype(np.float64)


def report(what, err, tolerance):
    ok = err <= tolerance
    print(f"{what}: max relative error {err:.3g} <= {tolerance:g}: {'OK' if ok else 'FAILED'}")
    sys.exit(0 if ok else 1)


def main():
    command, d = sys.argv[1:3]
    if command == "make":
        return make(d)
    (w1, w2), x, y = load(d)
    if command == "predict":
        got = np.load(sys.argv[3]).astype(np.float64)
        if len(sys.argv) > 4:
            x = np.load(sys.argv[4]).astype(np.float64)
        want = x @ w1 @ w2
        return report("predict", np.abs(got - want).max() / np.abs(want).max(), 1e-5)
    if command == "rounded":
        got = np.load(sys.argv[3]).astype(np.float64)
        p = sys.argv[4]
        h = (rounded(x, p) @ rounded(w1, p)).astype(np.float32)
        want = rounded(h, p) @ rounded(w2, p)
        exact = x @ w1 @ w2
        # Sums of float32 products in another order: a few elements of h
        # round the other way, 2e-5 at most here; the float products are
        # 4e-4 (TF32) and 3e-3 (BF16) away.
        tolerance = 1e-4
        off = np.abs(got - exact).max() / np.abs(exact).max()
        print(f"{p} differs from float products by {off:.3g} > {tolerance:g}: "
              f"{'OK' if off > tolerance else 'FAILED'}")
        if not off > tolerance:
            sys.exit(1)
        return report(f"{p} predict", np.abs(got - want).max() / np.abs(want).max(),
                      tolerance)
    history, lr = sys.argv[3], float(sys.argv[4])
    got = json.load(open(history))["loss"]
    want = []
    for _ in got:
        h = x @ w1
        z = h @ w2
        want.append(np.mean((z - y) ** 2))
        dz = 2 * (z - y) / z.size
        dh = dz @ w2.T
        w1, w2 = w1 - lr * (x.T @ dh), w2 - lr * (h.T @ dz)
    if not want[-1] < 0.9 * want[0]:
        print(f"the reference loss barely moved ({want[0]} -> {want[-1]}): FAILED")
        sys.exit(1)
    report(f"train, {len(got)} epochs",
           max(abs(a - b) / abs(b) for a, b in zip(got, want)), 3e-5)


if __name__ == "__main__":
    main()
