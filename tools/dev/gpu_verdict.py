"""The issue-14 goals and the open A/B choices, from one gpu-check run.

  gpu_verdict.py BENCH.jsonl TORCH.jsonl   prints one line per figure

Reads kiln's figures (gpu-check's bench.jsonl: the GEMM kernels per tiling
and precision, the CNN train steps per variant and batch) and PyTorch's on
the same GPU (torch.jsonl: cuBLAS per precision, the CNN eager and
torch.compile), and prints each goal as a ratio with `met`/`NOT met`, and
each A/B (today's default against the variant it replaced) with which one
wins (within 3%: the same). A figure missing from either file is said to be missing.
"""
import json
import sys


def lines(path):
    try:
        with open(path) as f:
            for line in f:
                line = line.strip()
                if line.startswith("{"):
                    try:
                        yield json.loads(line)
                    except json.JSONDecodeError:
                        pass
    except OSError:
        return


def main():
    bench, torch = list(lines(sys.argv[1])), list(lines(sys.argv[2]))
    gemm = {r["tile"]: r["tflops"] for r in bench if "tile" in r}
    n = max((int(r["model"][4:]) for r in bench if "tile" in r), default=None)
    cublas = {r["what"]: r["tflops"] for r in torch
              if r.get("what", "").startswith("cublas") and r.get("n") == n}
    # On the GPU without CUDA graphs, as PyTorch's eager steps run.
    cnn = {(r["model"], r["batch_size"]): r["samples_per_second"]
           for r in bench
           if r.get("entry") == "train_step" and r.get("device") == "gpu"}
    pytorch = {(r["mode"], r["batch"]): r["samples_per_second"]
               for r in torch if r.get("what") == "torch_cnn_train_step"}

    def goal(what, ours, theirs, at_least):
        if ours is None or theirs is None:
            print(f"{what}: missing")
            return
        ratio = ours / theirs
        print(f"{what}: {ratio:.2f}x ({ours:.4g} / {theirs:.4g}) "
              f"{'met' if ratio >= at_least else 'NOT met'} (goal {at_least})")

    # The goals.
    goal(f"fp32 GEMM {n}^3 by default vs cuBLAS", gemm.get("default"),
         cublas.get("cublas_sgemm"), 0.70)
    for batch in (100, 1024):
        for mode in ("eager", "compile"):
            goal(f"CNN train step b{batch} vs PyTorch {mode}",
                 cnn.get(("cnn", batch)), pytorch.get((mode, batch)), 1.0)
    # Tensor cores: no goal, a figure against their own cuBLAS.
    for p in ("tf32", "bf16"):
        for tile in ("default", "64x16"):
            ours, theirs = gemm.get(f"{tile}.{p}"), cublas.get(f"cublas_{p}")
            if ours is None or theirs is None:
                print(f"{p} GEMM ({tile}) vs cuBLAS {p}: missing")
            else:
                print(f"{p} GEMM ({tile}) vs cuBLAS {p}: {ours / theirs:.0%}")

    # A/B: today's default against what it replaced (faster wins).
    def ab(what, new, old):
        if new is None or old is None:
            print(f"A/B {what}: missing")
            return
        # Within 3% is a run's noise, not a verdict.
        ratio = new / old
        verdict = ("keep" if ratio > 1.03 else
                   "REVERT" if ratio < 0.97 else "the same within 3%")
        print(f"A/B {what}: {ratio:.2f}x: {verdict} ({new:.4g} vs {old:.4g})")

    ab(f"wide tiles by default (gemm {n}^3, TFLOP/s)", gemm.get("default"),
       gemm.get("64x16"))
    ab("wide tiles on the tensor cores, tf32", gemm.get("default.tf32"),
       gemm.get("64x16.tf32"))
    ab("wide tiles on the tensor cores, bf16", gemm.get("default.bf16"),
       gemm.get("64x16.bf16"))
    for batch in (100, 1024):
        ab(f"small tiles (cnn vs cnn.nosmall, b{batch})",
           cnn.get(("cnn", batch)), cnn.get(("cnn.nosmall", batch)))
        ab(f"split-K 512/256 (cnn.nosmall vs cnn.splits64, b{batch})",
           cnn.get(("cnn.nosmall", batch)), cnn.get(("cnn.splits64", batch)))


if __name__ == "__main__":
    main()
