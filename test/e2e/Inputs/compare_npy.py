"""compare_npy.py GOT.npy WANT.npy [TOL]: prints the worst absolute error,
relative to max(1, |want|), and OK when it is at most TOL (default 1e-5),
else FAILED; shapes must match. NaN matches NaN and an infinity the same
infinity (a NaN or infinity against anything else is an error of nan or
inf)."""
import sys

import numpy as np

got, want = np.load(sys.argv[1]), np.load(sys.argv[2])
tol = float(sys.argv[3]) if len(sys.argv) > 3 else 1e-5
if got.shape != want.shape:
    print("shape", got.shape, "!=", want.shape, "FAILED")
    sys.exit(0)
got = got.astype(np.float64)
with np.errstate(invalid="ignore"):
    same = (got == want) | (np.isnan(got) & np.isnan(want))
    err = float(np.max(np.where(
        same, 0.0, np.abs(got - want) / np.maximum(1.0, np.abs(want)))))
print("max error", err, "OK" if err <= tol else "FAILED")
