"""The PyTorch references of tools/dev/gpu-check.sh, on the same GPU.

Prints JSON lines: fp32 GEMM (cuBLAS through torch.matmul, TF32 off) at
2048^3 and 4096^3 in TFLOP/s, the same with TF32 on and in BF16 (the
baselines of kiln's --gpu-precision), and the Fashion-MNIST CNN of
examples/fashion_mnist_cnn.json (Conv 16, pool, Conv 32, pool, Dense 64,
Dense 10; Adam 1e-3, sparse cross-entropy) train steps per second at batch
100 and 1024, eager and torch.compile, with eager's 15 longest kernels
per step (torch.profiler).
"""
import json
import sys
import time

import torch

torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False
dev = torch.device("cuda")


def timed(fn, seconds=1.0):
    for _ in range(5):
        fn()
    torch.cuda.synchronize()
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        fn()
        n += 1
    torch.cuda.synchronize()
    return (time.perf_counter() - start) / n


for what, dtype, tf32 in (("cublas_sgemm", torch.float32, False),
                          ("cublas_tf32", torch.float32, True),
                          ("cublas_bf16", torch.bfloat16, False)):
    torch.backends.cuda.matmul.allow_tf32 = tf32
    for n in (2048, 4096):
        a = torch.randn(n, n, device=dev, dtype=dtype)
        b = torch.randn(n, n, device=dev, dtype=dtype)
        t = timed(lambda: torch.matmul(a, b))
        print(json.dumps({"what": what, "n": n,
                          "tflops": 2 * n ** 3 / t / 1e12}), flush=True)
torch.backends.cuda.matmul.allow_tf32 = False


def cnn():
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 16, 3, padding=1), torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(16, 32, 3, padding=1), torch.nn.ReLU(),
        torch.nn.MaxPool2d(2), torch.nn.Flatten(),
        torch.nn.Linear(32 * 7 * 7, 64), torch.nn.ReLU(),
        torch.nn.Linear(64, 10)).to(dev)


def profile(step, batch, steps=10):
    """The GPU kernels of eager PyTorch's step, the 15 longest, in us per
    step: what kiln's KILN_GPU_PROFILE of the same step is compared with."""
    try:
        from torch.profiler import ProfilerActivity
        with torch.profiler.profile(activities=[ProfilerActivity.CUDA]) as p:
            for _ in range(steps):
                step()
            torch.cuda.synchronize()
        rows = []
        for e in p.key_averages():
            us = getattr(e, "self_device_time_total",
                         getattr(e, "self_cuda_time_total", 0))
            if us > 0:
                rows.append({"kernel": e.key[:120], "calls": e.count // steps,
                             "us_per_step": us / steps})
        rows.sort(key=lambda r: -r["us_per_step"])
        print(json.dumps({"what": "torch_cnn_profile", "batch": batch,
                          "kernels": rows[:15]}), flush=True)
    except Exception as e:  # noqa: BLE001
        print(json.dumps({"what": "torch_cnn_profile", "batch": batch,
                          "error": str(e)}), flush=True)


for mode in ("eager", "compile"):
    for batch in (100, 1024):
        model = cnn()
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        loss_fn = torch.nn.CrossEntropyLoss()
        x = torch.rand(batch, 1, 28, 28, device=dev)
        y = torch.randint(0, 10, (batch,), device=dev)

        def step():
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()

        if mode == "compile":
            try:
                step = torch.compile(step)
            except Exception as e:  # noqa: BLE001
                print(json.dumps({"what": "torch_cnn", "mode": mode,
                                  "error": str(e)}), flush=True)
                continue
        t = timed(step, 2.0)
        print(json.dumps({"what": "torch_cnn_train_step", "mode": mode,
                          "batch": batch, "steps_per_second": 1 / t,
                          "samples_per_second": batch / t}), flush=True)
        if mode == "eager":
            profile(step, batch)
sys.exit(0)
