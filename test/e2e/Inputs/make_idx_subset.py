"""Writes the first N Fashion-MNIST training samples as raw IDX files."""
import gzip
import sys

src, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
with gzip.open(f"{src}/train-images-idx3-ubyte.gz") as f:
    images = f.read()
with gzip.open(f"{src}/train-labels-idx1-ubyte.gz") as f:
    labels = f.read()
header = bytes([0, 0, 8, 3]) + n.to_bytes(4, "big") + images[8:16]
open(f"{out}/images-idx3-ubyte", "wb").write(header + images[16:16 + n * 784])
header = bytes([0, 0, 8, 1]) + n.to_bytes(4, "big")
open(f"{out}/labels-idx1-ubyte", "wb").write(header + labels[8:8 + n])
