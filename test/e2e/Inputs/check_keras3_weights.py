"""Checks that a .weights.h5 file has the Keras 3 layout for a given model.

Usage: check_keras3_weights.py FILE PATH:SHAPE... prints each variable
path with its shape and fails if one is missing, has another shape, or if an
expected empty group (given as PATH:-) is absent.
"""
import sys

import h5py


def main():
    ok = True
    with h5py.File(sys.argv[1], "r") as f:
        for spec in sys.argv[2:]:
            path, shape = spec.split(":")
            if shape == "-":
                good = path in f and isinstance(f[path], h5py.Group) and len(f[path]) == 0
                print(f"{path}: empty group {'OK' if good else 'MISSING'}")
            else:
                want = tuple(int(d) for d in shape.split("x")) if shape else ()
                got = f[path].shape if path in f else None
                good = got == want and f[path].dtype == "float32"
                print(f"{path}: {got} {'OK' if good else 'expected ' + str(want)}")
            ok &= good
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
