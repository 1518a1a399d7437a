"""Compares a kiln training run with a reference trajectory kiln did not compute.

--history/--losses: the per-epoch losses of `./model train --history` against
a JSON list of reference losses (relative tolerance --rtol).
--pred/--pred-ref: predictions after training against reference ones
(absolute tolerance --atol).
--evaluate/--evaluate-ref: the "name: value" pairs `./model evaluate` prints
against a JSON object of Keras's evaluate(return_dict=True) (--rtol): every
name of the reference must be there, and no other.
Prints one OK/FAILED line per check and exits 1 on any failure.
"""
import argparse
import json
import sys

import numpy as np


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
    args = parser.parse_args()
    ok = True
    if args.evaluate:
        got = {}
        for line in open(args.evaluate):
            for item in line.replace(" - ", "\n").splitlines():
                name, sep, value = item.strip().partition(": ")
                if sep:
                    got[name] = float(value)
        want = json.load(open(args.evaluate_ref))
        for name in sorted(set(got) | set(want)):
            if name not in got or name not in want:
                print(f"evaluate {name}: {'missing' if name in want else 'unexpected'}: FAILED")
                ok = False
                continue
            err = abs(got[name] - want[name]) / max(abs(want[name]), 1e-12)
            good = err <= args.rtol
            ok &= good
            print(f"evaluate {name}: relative error {err:.3g} <= "
                  f"{args.rtol:g}: {'OK' if good else 'FAILED'}")
    if args.history:
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
