"""Compares a reference training trajectory with kiln's: the per-epoch
losses with a `--history` file and the final weights with a Keras 3
.weights.h5 that kiln exported. Prints each relative error and a last line
"worst E <= 1e-5: OK" (or FAILED) for FileCheck."""
import json

import h5py
import numpy as np


def compare(losses, history, names, weights, after):
    tolerance = 1e-5
    kiln_losses = json.load(open(history))["loss"]
    worst = 0.0
    if len(kiln_losses) != len(losses):
        print(f"history has {len(kiln_losses)} epochs, expected {len(losses)}")
        worst = np.inf
    for epoch, (mine, theirs) in enumerate(zip(losses, kiln_losses)):
        err = abs(mine - theirs) / max(abs(mine), 1e-3)
        print(f"epoch {epoch}: loss {mine:.6f} kiln {theirs:.6f} rel err {err:.2e}")
        worst = max(worst, err)
    with h5py.File(after) as f:
        for n, mine in zip(names, weights):
            theirs = np.array(f[n][()], dtype=np.float64)
            err = np.abs(mine - theirs).max() / max(np.abs(mine).max(), 1e-3)
            print(f"{n}: max rel err {err:.2e}")
            worst = max(worst, err)
    verdict = "<= 1e-5: OK" if worst <= tolerance else "> 1e-5: FAILED"
    print(f"worst {worst:.2e} {verdict}")
