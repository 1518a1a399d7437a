#!/usr/bin/env python3
# ===- compare_app_output.py - examples/app output against ./model ---------===#
# SPDX-License-Identifier: Apache-2.0
#
#   compare_app_output.py EXPECTED.npy OUTPUT.txt...
#
# Each OUTPUT.txt holds the "probs I: p0 p1 ..." lines of examples/app's
# classify (%.9g, which float32 survives exactly); they must equal the rows
# of EXPECTED.npy bit for bit.
# ===----------------------------------------------------------------------===#
import sys

import numpy as np

expected = np.load(sys.argv[1])
for path in sys.argv[2:]:
    rows = [line.split(":", 1)[1].split() for line in open(path)
            if line.startswith("probs ")]
    got = np.array(rows, dtype=np.float64).astype(np.float32)
    if got.shape != expected.shape or not np.array_equal(got, expected):
        sys.exit("%s differs from %s" % (path, sys.argv[1]))
print("%d outputs of %d programs: the same as ./model predict"
      % (len(expected), len(sys.argv) - 2))
