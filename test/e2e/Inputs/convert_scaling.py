"""Fixtures and checks for data_convert_scaling.test.

`write DIR`: uint8 samples as .npy (x.npy (4, 2, 3), y.npy (4, 2) float32)
and as IDX (images-idx3-ubyte (4, 2, 3), labels-idx1-ubyte (4,)).
`check KIND` reads `kiln data inspect --json` lines from stdin and compares
them with what training reads (NumPy float32): `npy` x and y as stored;
`idx` x / 255 and int64 labels; `ae` x / 255 as both image and label.
"""
import json
import sys

import numpy as np

x = (np.arange(24, dtype=np.uint8) * 11).reshape(4, 2, 3)
y = np.array([[0.5, -1], [2, 3], [4, 5], [6, 7.25]], dtype=np.float32)
labels = np.array([3, 1, 4, 1], dtype=np.uint8)

if sys.argv[1] == "write":
    out = sys.argv[2]
    np.save(f"{out}/x.npy", x)
    np.save(f"{out}/y.npy", y)
    with open(f"{out}/images-idx3-ubyte", "wb") as f:
        f.write(bytes([0, 0, 8, 3]) + b"".join(
            int(d).to_bytes(4, "big") for d in x.shape) + x.tobytes())
    with open(f"{out}/labels-idx1-ubyte", "wb") as f:
        f.write(bytes([0, 0, 8, 1]) + (4).to_bytes(4, "big") + labels.tobytes())
    sys.exit(0)

kind = sys.argv[2]
scaled = x.astype(np.float32) / np.float32(255)
want_x = x.astype(np.float32) if kind == "npy" else scaled
records = [json.loads(line) for line in sys.stdin if line.strip()]
assert len(records) == 4, len(records)
for i, record in enumerate(records):
    image = np.array(record["image"]["float"], dtype=np.float32)
    assert np.array_equal(image, want_x[i].ravel()), (i, image, want_x[i])
    if kind == "npy":
        label = np.array(record["label"]["float"], dtype=np.float32)
        assert np.array_equal(label, y[i]), (i, label)
    elif kind == "idx":
        assert record["label"] == {"int64": [int(labels[i])]}, record["label"]
    else:
        label = np.array(record["label"]["float"], dtype=np.float32)
        assert np.array_equal(label, scaled[i].ravel()), (i, label)
print(f"{kind}: 4 records match")
