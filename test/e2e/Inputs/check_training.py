"""Compares a kiln training run with a reference trajectory kiln did not compute.

--history/--losses: the per-epoch losses of `./model train --history` against
a JSON list of reference losses (relative tolerance --rtol).
--pred/--pred-ref: predictions after training against reference ones
(absolute tolerance --atol).
--evaluate/--evaluate-ref: the "name: value" pairs `./model evaluate` prints
against a JSON object of Keras's evaluate(return_dict=True) (--rtol): every
name of the reference must be there, and no other.
--history/--history-ref: every log of `./model train --history` (loss and
metrics, per epoch) against Keras's history.history (--rtol), with the same
names.
Prints one OK/FAILED line per check and exits 1 on any failure.
"""
import argparse
import json
import sys

import numpy as np


def compare_logs(what, got, want, rtol):
    """Every log of `want` ({name: value or [values]}) against `got`, with
    the same names; prints one line per log and returns whether all
    matched."""
    ok = True
    for name in sorted(set(got) | set(want)):
        if name not in got or name not in want:
            print(f"{what} {name}: {'missing' if name in want else 'unexpected'}: FAILED")
            ok = False
            continue
        g = np.atleast_1d(np.array(got[name], dtype=np.float64))
        w = np.atleast_1d(np.array(want[name], dtype=np.float64))
        epochs = (f"{w.size} epochs, max " if isinstance(want[name], list)
                  else "")
        if g.shape != w.shape:
            print(f"{what} {name}: {g.size} values, expected {w.size}: FAILED")
            ok = False
            continue
        err = float(np.max(np.abs(g - w) / np.maximum(np.abs(w), 1e-12)))
        good = err <= rtol
        ok &= good
        print(f"{what} {name}: {epochs}relative error {err:.3g} <= "
              f"{rtol:g}: {'OK' if good else 'FAILED'}")
    return ok


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--history")
    parser.add_argument("--losses")
    parser.add_argument("--rtol", type=float, default=1e-6)
    parser.add_argument("--pred")
    parser.add_argument("--pred-ref")
    parser.add_argument("--atol", type=float, default=1e-6)
    parser.add_argument("--evaluate")
    parser.add_argument("--evaluate-ref")
    parser.add_argument("--history-ref")
    args = parser.parse_args()
    ok = True
    if args.history_ref:
        ok &= compare_logs("history", json.load(open(args.history)),
                           json.load(open(args.history_ref)), args.rtol)
    if args.evaluate:
        got = {}
        for line in open(args.evaluate):
            for item in line.replace(" - ", "\n").splitlines():
                name, sep, value = item.strip().partition(": ")
                if sep:
                    got[name] = float(value)
        ok &= compare_logs("evaluate", got, json.load(open(args.evaluate_ref)),
                           args.rtol)
    if args.history and args.losses:
        got = np.array(json.load(open(args.history))["loss"], dtype=np.float64)
        reference = json.load(open(args.losses))
        if isinstance(reference, dict):  # {"losses": [...], ...}
            reference = reference["losses"]
        want = np.array(reference, dtype=np.float64)
        if got.shape != want.shape:
            print(f"losses: {got.size} epochs, expected {want.size}: FAILED")
            ok = False
        else:
            err = float(np.max(np.abs(got - want) / np.abs(want)))
            good = err <= args.rtol
            ok &= good
            print(f"losses: {got.size} epochs, max relative error {err:.3g} "
                  f"<= {args.rtol:g}: {'OK' if good else 'FAILED'}")
    if args.pred:
        got = np.load(args.pred)
        want = np.load(args.pred_ref)
        err = float(np.max(np.abs(got.astype(np.float64) - want)))
        good = got.shape == want.shape and err <= args.atol
        ok &= good
        print(f"predictions after training: max abs error {err:.3g} "
              f"<= {args.atol:g}: {'OK' if good else 'FAILED'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
