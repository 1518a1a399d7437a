"""Writes the broken training data files of train_bad_data.test into a folder."""
import sys

import numpy as np

out = sys.argv[1]
rng = np.random.default_rng(0)
x = rng.random((6, 28, 28), dtype=np.float32)
np.save(f"{out}/x.npy", x)
np.save(f"{out}/y.npy", np.array([0, 1, 2, 3, 4, 5], np.int64))
np.save(f"{out}/y_range.npy", np.array([0, 1, 10, 3, 4, 5], np.int64))
np.save(f"{out}/y_count.npy", np.array([0, 1, 2, 3, 4], np.int64))
np.save(f"{out}/y_complex.npy", np.zeros(6, np.complex64))
data = open(f"{out}/x.npy", "rb").read()
open(f"{out}/x_truncated.npy", "wb").write(data[: len(data) // 2])
