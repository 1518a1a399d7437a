"""An independent float64 NumPy trainer for the tfjs tutorial model.

Model (a_sequential_dense): h = sigmoid(x W1 + b1); p = softmax(h W2 + b2);
loss = mean((p - y)^2). Gradients are derived by hand here, and the
optimizers follow Keras 3's update rules, so the trajectory is a reference
that kiln did not compute. Compares the per-epoch losses with a kiln
`--history` file (full-batch steps, no shuffling) and prints OK/FAILED.

Usage: numpy_trainer.py MODEL_DIR HISTORY OPTIMIZER [key=value ...]
"""
import json
import sys

import numpy as np


def load(model_dir):
    manifest = json.load(open(f"{model_dir}/model.json"))["weightsManifest"]
    params = {}
    for group in manifest:
        data = b"".join(open(f"{model_dir}/{p}", "rb").read() for p in group["paths"])
        offset = 0
        for w in group["weights"]:
            n = int(np.prod(w["shape"])) if w["shape"] else 1
            dtype = np.float32 if w["dtype"] == "float32" else np.int32
            params[w["name"]] = np.frombuffer(data, dtype, n, offset).reshape(w["shape"]).astype(np.float64)
            offset += 4 * n
    x = np.load(f"{model_dir}/x.npy").astype(np.float64)
    y = np.load(f"{model_dir}/y.npy").astype(np.float64)
    names = ["dense_1/kernel", "dense_1/bias", "dense_2/kernel", "dense_2/bias"]
    return [params[n] for n in names], x, y


def loss_and_grads(p, x, y):
    w1, b1, w2, b2 = p
    h = 1 / (1 + np.exp(-(x @ w1 + b1)))
    z = h @ w2 + b2
    e = np.exp(z - z.max(1, keepdims=True))
    s = e / e.sum(1, keepdims=True)
    loss = np.mean((s - y) ** 2)
    ds = 2 * (s - y) / s.size
    dz = s * (ds - (ds * s).sum(1, keepdims=True))
    dh = dz @ w2.T
    da = dh * h * (1 - h)
    return loss, [x.T @ da, da.sum(0), h.T @ dz, dz.sum(0)]


def make_optimizer(name, hyper):
    defaults = {
        "sgd": dict(learning_rate=0.01, momentum=0.0, nesterov=0.0),
        "adam": dict(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                     amsgrad=0.0),
        "rmsprop": dict(learning_rate=0.001, rho=0.9, epsilon=1e-7, momentum=0.0,
                        centered=0.0),
        "adagrad": dict(learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7),
    }[name]
    defaults.update(hyper)
    h = defaults
    state = {}

    def step(i, t, p, g):
        lr = h["learning_rate"]
        if name == "sgd":
            if h["momentum"] == 0:
                return p - lr * g
            v = state.get(i, np.zeros_like(p))
            v = h["momentum"] * v - lr * g
            state[i] = v
            return p + (h["momentum"] * v - lr * g if h["nesterov"] else v)
        if name == "adam":
            zeros = np.zeros_like(p)
            m, v, v_hat = state.get(i, (zeros, zeros, zeros))
            alpha = lr * np.sqrt(1 - h["beta_2"] ** t) / (1 - h["beta_1"] ** t)
            m = m + (g - m) * (1 - h["beta_1"])
            v = v + (g * g - v) * (1 - h["beta_2"])
            v_hat = np.maximum(v_hat, v)
            state[i] = (m, v, v_hat)
            read = v_hat if h["amsgrad"] else v
            return p - m * alpha / (np.sqrt(read) + h["epsilon"])
        if name == "rmsprop":
            zeros = np.zeros_like(p)
            v, mean, s = state.get(i, (zeros, zeros, zeros))
            v = h["rho"] * v + (1 - h["rho"]) * g * g
            mean = h["rho"] * mean + (1 - h["rho"]) * g
            d = v - mean * mean if h["centered"] else v
            step = lr * g / np.sqrt(d + h["epsilon"])
            s = h["momentum"] * s + step
            state[i] = (v, mean, s)
            return p - (s if h["momentum"] else step)
        a = state.get(i, np.full_like(p, h["initial_accumulator_value"]))
        a = a + g * g
        state[i] = a
        return p - lr * g / np.sqrt(a + h["epsilon"])

    return step


def main():
    model_dir, history, name = sys.argv[1:4]
    hyper = {k: float(v) for k, v in (a.split("=") for a in sys.argv[4:])}
    params, x, y = load(model_dir)
    got = json.load(open(history))["loss"]
    step = make_optimizer(name, hyper)
    want = []
    for t in range(1, len(got) + 1):
        loss, grads = loss_and_grads(params, x, y)
        want.append(loss)
        params = [step(i, t, p, g) for i, (p, g) in enumerate(zip(params, grads))]
    err = max(abs(a - b) / abs(b) for a, b in zip(got, want))
    ok = err <= 1e-5
    print(f"{name}: {len(got)} epochs, max relative loss error {err:.3g} <= 1e-05: "
          f"{'OK' if ok else 'FAILED'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
