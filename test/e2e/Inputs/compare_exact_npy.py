"""compare_exact_npy.py GOT.npy WANT.npy: prints the dtypes and OK when the
arrays have the same dtype, shape and elements (integers and booleans, which
admit no tolerance), else FAILED with the first difference."""
import sys

import numpy as np

got, want = np.load(sys.argv[1]), np.load(sys.argv[2])
if got.dtype != want.dtype or got.shape != want.shape:
    print(got.dtype, got.shape, "!=", want.dtype, want.shape, "FAILED")
elif not np.array_equal(got, want):
    first = np.argwhere(got != want)[0]
    print(got.dtype, "differs at", tuple(first), got[tuple(first)], "!=",
          want[tuple(first)], "FAILED")
else:
    print(got.dtype, "OK")
