"""Compares `kiln data inspect --json` output with a conformance .expected.json.

The expected file (decoded by the project from TensorFlow-written records)
lists records as {name: {"int64_list"|"float_list"|"bytes_list": [...]}} with
bytes as {"utf8": s} or {"len": n, "sha256": h}. Floats compare exactly as
float32. Prints "N records match" or the first difference; exit 1 on any.
Usage: compare_examples.py EXPECTED.json < inspect-output
"""
import base64
import hashlib
import json
import struct
import sys


def f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


def same(kind, want, got):
    if kind == "int64_list":
        return got.get("int64") == want
    if kind == "float_list":
        values = got.get("float")
        return values is not None and len(values) == len(want) and all(
            f32(a) == f32(b) for a, b in zip(values, want))
    values = [base64.b64decode(b) for b in got.get("bytes", [])]
    if len(values) != len(want):
        return False
    for data, spec in zip(values, want):
        if "utf8" in spec and data != spec["utf8"].encode():
            return False
        if "sha256" in spec and (len(data) != spec["len"] or
                                 hashlib.sha256(data).hexdigest() != spec["sha256"]):
            return False
    return True


def main():
    expected = json.load(open(sys.argv[1]))
    records = [json.loads(line) for line in sys.stdin if line.strip()]
    if len(records) != expected["num_records"]:
        print(f"{len(records)} records, expected {expected['num_records']}")
        sys.exit(1)
    for i, (got, want) in enumerate(zip(records, expected["records"])):
        if sorted(got) != sorted(want):
            print(f"record {i}: features {sorted(got)}, expected {sorted(want)}")
            sys.exit(1)
        for name, feature in want.items():
            (kind, values), = feature.items()
            if not same(kind, values, got[name]):
                print(f"record {i} feature {name}: {got[name]}, expected {feature}")
                sys.exit(1)
    print(f"{len(records)} records match")


if __name__ == "__main__":
    main()
