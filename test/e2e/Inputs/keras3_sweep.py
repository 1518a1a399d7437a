"""Every Keras 3 fixture (keras3-*/NAME.keras, written by Keras itself) through
one compile target, checked against Keras's own numbers.

  keras3_sweep.py compile KILN OUT [KILN-ARGS...]
      compiles each fixture to OUT/DIR.NAME (e.g. --target cuda-on-cpu;
      with --emit ptx, OUT/DIR.NAME[.sm_NN].ptx)
  keras3_sweep.py check BIN WORK [--device D] [--fixtures DIR] [--same-as W]
                  [--only-run]
      runs each binary of BIN: predict on the fixture's inputs against
      Keras's predictions (1e-5 absolute), and where Keras stored a
      training trajectory, 3 epochs of batch 4 without shuffling against
      its losses (1e-5 relative) and predictions after training (1e-5
      absolute): the tolerances of the keras3_*.test files that check the
      CPU. With --same-as, each fixture's outputs (predictions, losses,
      trained weights) must also equal, bit for bit, those of an earlier
      check that wrote W: the same mapping run in another order
      (KILN_GPU_HOST_ORDER=reverse), where only a race between threads can
      change a bit. With --only-run, the same commands run and must
      succeed, and nothing is compared (the fake CUDA driver, which runs
      no kernel but refuses a launch a GPU would). Prints one line per
      check and exits 1 if any failed.

The e2e tests run it with --target cuda-on-cpu (the GPU mapping on the
CPU); tools/dev/gpu-check.sh with --target cuda on a GPU. The fixtures
live next to this script unless --fixtures says where.
"""
import argparse
import json
import pathlib
import subprocess
import sys

import numpy as np

# Transposed convolutions: TensorFlow sums the windows in another order and
# Adam's early steps magnify it (keras3_window.test holds them to 3e-5).
LOSS_RTOL = {"keras3-window/transpose": 3e-5}


def fixtures(root):
    """(name, inputs, labels, prediction, losses, prediction after) per
    fixture; absent references are None."""
    for model in sorted(root.glob("keras3-*/*.keras")):
        d, m = model.parent, model.stem
        inputs = ([d / f"{m}.x.npy"] if (d / f"{m}.x.npy").exists() else
                  sorted(d.glob(f"{m}.x[0-9].npy")) or
                  ([d / "x.npy"] if (d / "x.npy").exists() else
                   sorted(d.glob("x[0-9].npy"))))
        labels = d / f"{m}.y.npy"
        losses, after = d / f"{m}.losses.json", d / f"{m}.pred_after.npy"
        if not losses.exists() and (d / "losses.json").exists():
            losses, after, labels = (d / "losses.json", d / "pred_after.npy",
                                     d / "y.npy")
        trained = losses.exists()
        pred = d / f"{m}.pred.npy"
        if not pred.exists():
            pred = d / "pred.npy" if trained and (d / "pred.npy").exists() \
                else None
        if pred is None and not trained:
            pred = labels  # an inference fixture stores Keras's outputs as y
        yield (f"{d.name}/{m}", model, inputs, labels if trained else None,
               pred, losses if trained else None, after if trained else None)


def compile_all(args):
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    # With --emit ptx: OUT/DIR.NAME.ptx, or OUT/DIR.NAME.sm_NN.ptx per
    # architecture.
    suffix = ".ptx" if "ptx" in args.rest else ""
    for name, model, *_ in fixtures(pathlib.Path(args.fixtures)):
        binary = out / (name.replace("/", ".") + suffix)
        subprocess.run([args.kiln, "compile", str(model), *args.rest, "-o",
                        str(binary)], check=True, stderr=subprocess.DEVNULL)


def run(cmd):
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"{' '.join(cmd)}: {done.stderr.strip()}")


def check_all(args):
    bins, work = pathlib.Path(args.bin), pathlib.Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    device = ["--device", args.device] if args.device else []
    ok = True

    def report(name, what, err, tol):
        nonlocal ok
        if args.only_run:
            return
        good = err <= tol
        ok &= good
        print(f"{name} {what}: max error {err:.3g} <= {tol:g}: "
              f"{'OK' if good else 'FAILED'}")

    def same_bits(name, tag):
        """The files of `tag` that differ from their twins in --same-as."""
        twin = pathlib.Path(args.same_as) / tag.name
        written = sorted(tag.parent.glob(tag.name + ".*"))
        differ = [f.name for f in written if f.suffix != ".json" and
                  f.read_bytes() != (twin.parent / f.name).read_bytes()]
        # The history also holds times: only its losses and metrics count.
        for f in written:
            if f.suffix == ".json":
                mine, theirs = (json.load(open(x)) for x in
                                (f, twin.parent / f.name))
                if any(mine[k] != theirs.get(k) for k in mine
                       if "time" not in k):
                    differ.append(f.name)
        nonlocal ok
        ok &= not differ and bool(written)
        print(f"{name} bits: {len(written)} files "
              + ("FAILED: " + ", ".join(differ) if differ else
                 "OK" if written else "FAILED: none written"))

    for (name, _, inputs, labels, pred, losses,
         after) in fixtures(pathlib.Path(args.fixtures)):
        binary = str(bins / name.replace("/", "."))
        tag = work / name.replace("/", ".")
        flags = [a for x in inputs for a in ("--input", str(x))]
        try:
            if pred is not None:
                run([binary, "predict", *device, *flags, "--output",
                     f"{tag}.npy"])
                got = np.load(f"{tag}.npy").astype(np.float64)
                want = np.load(pred)
                report(name, "predict",
                       float(np.max(np.abs(got - want)))
                       if got.shape == want.shape else float("inf"), 1e-5)
            if losses is not None:
                data = ",".join(str(p) for p in [*inputs, labels])
                run([binary, "train", *device, "--data", data, "--epochs",
                     "3", "--batch-size", "4", "--no-shuffle", "--seed", "1",
                     "--verbose",
                     "0", "--history", f"{tag}.json", "--save-weights",
                     f"{tag}.kw"])
                run([binary, "predict", *device, "--weights", f"{tag}.kw",
                     *flags, "--output", f"{tag}.after.npy"])
                got = np.array(json.load(open(f"{tag}.json"))["loss"])
                want = np.array(json.load(open(losses)), dtype=np.float64)
                report(name, "losses",
                       float(np.max(np.abs(got - want) / np.abs(want)))
                       if got.shape == want.shape else float("inf"),
                       LOSS_RTOL.get(name, 1e-5))
                got = np.load(f"{tag}.after.npy").astype(np.float64)
                want = np.load(after)
                report(name, "trained",
                       float(np.max(np.abs(got - want)))
                       if got.shape == want.shape else float("inf"), 1e-5)
            if args.same_as:
                same_bits(name, tag)
            if args.only_run:
                print(f"{name} ran: OK")
        except RuntimeError as e:
            ok = False
            print(f"{name}: FAILED: {e}")
    return 0 if ok else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fixtures",
                        default=str(pathlib.Path(__file__).resolve().parent))
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("compile")
    c.add_argument("kiln")
    c.add_argument("out")
    c.add_argument("rest", nargs=argparse.REMAINDER)
    k = sub.add_parser("check")
    k.add_argument("bin")
    k.add_argument("work")
    k.add_argument("--device")
    k.add_argument("--same-as")
    k.add_argument("--only-run", action="store_true")
    args = parser.parse_args()
    if args.command == "compile":
        compile_all(args)
        return 0
    return check_all(args)


if __name__ == "__main__":
    sys.exit(main())
