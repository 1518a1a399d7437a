#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
#
# Writes examples.tfrecord{,.gz,.zz} and their expectations with an encoder
# independent of the runtime: Python protobuf (Debian's python3-protobuf) for
# the Example wire format from example.proto, and a pure-Python CRC-32C for
# the TFRecord framing. Run from this directory:
#   /usr/bin/python3 gen_examples.py
# Outputs:
#   examples.tfrecord                 uncompressed records
#   examples.tfrecord.gz / .zz        the same stream as GZIP / ZLIB
#   examples.tfrecord.expected.json   values, in the conformance files' format
#   examples.tfrecord.expected.jsonl  kiln_example_to_json's line per record
import base64
import gzip
import hashlib
import json
import math
import os
import random
import struct
import subprocess
import sys
import tempfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))

with tempfile.TemporaryDirectory() as out:
    subprocess.check_call(["protoc", "-I", HERE, "--python_out", out,
                           os.path.join(HERE, "example.proto")])
    sys.path.insert(0, out)
    import example_pb2 as pb


def crc32c(data):
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def masked(data):
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def frame(record):
    length = struct.pack("<Q", len(record))
    return (length + struct.pack("<I", masked(length)) + record +
            struct.pack("<I", masked(record)))


rng = random.Random(20261125)


def f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


def random_feature():
    kind = rng.choice(["int64", "float", "bytes"])
    n = rng.choice([0, 1, 1, 2, 3, 7])
    if kind == "int64":
        pool = [0, 1, -1, 127, 128, 300, -300, 2**31, -2**31, 2**63 - 1,
                -2**63]
        return kind, [rng.choice(pool) if rng.random() < 0.5 else
                      rng.randint(-2**63, 2**63 - 1) for _ in range(n)]
    if kind == "float":
        pool = [0.0, -0.0, 1.5, -2.25, 3.4e38, 1e-45, math.inf, -math.inf]
        return kind, [f32(rng.choice(pool) if rng.random() < 0.3 else
                          rng.uniform(-1e6, 1e6)) for _ in range(n)]
    values = []
    for _ in range(n):
        if rng.random() < 0.5:
            values.append(rng.choice(["", "cat", "h\u00e9llo", "\u732b",
                                      "a\"b\\c\n"]).encode())
        else:
            values.append(bytes(rng.randrange(256)
                                for _ in range(rng.randrange(20))))
    return kind, values


def build(features, unpacked):
    example = pb.UnpackedExample() if unpacked else pb.Example()
    for name, (kind, values) in features.items():
        feature = example.features.feature[name]
        target = {"int64": feature.int64_list, "float": feature.float_list,
                  "bytes": feature.bytes_list}[kind]
        target.SetInParent()
        target.value.extend(values)
    return example.SerializeToString(deterministic=True)


def expected_values(kind, values):
    if kind == "int64":
        return {"int64_list": values}
    if kind == "float":
        return {"float_list": values}
    out = []
    for value in values:
        try:
            out.append({"utf8": value.decode("utf-8")})
        except UnicodeDecodeError:
            out.append({"len": len(value),
                        "sha256": hashlib.sha256(value).hexdigest(),
                        "hex": value.hex()})
    return {"bytes_list": out}


def format_float(x):
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    return "%.9g" % x


def json_line(features):
    parts = []
    for name in sorted(features, key=lambda s: s.encode()):
        kind, values = features[name]
        if kind == "bytes":
            items = ['"%s"' % base64.b64encode(v).decode() for v in values]
        elif kind == "float":
            items = [format_float(v) for v in values]
        else:
            items = [str(v) for v in values]
        parts.append("%s: {\"%s\": [%s]}" % (
            json.dumps(name, ensure_ascii=False), kind, ", ".join(items)))
    return "{" + ", ".join(parts) + "}"


NAMES = ["label", "image/encoded", "x", "y", "\u00e9t\u00e9", "a b", "z"]
records, expected, lines = [], [], []
for i in range(48):
    features = {}
    for _ in range(rng.choice([0, 1, 2, 3, 5])):
        features[rng.choice(NAMES)] = random_feature()
    data = build(features, unpacked=(i % 3 == 1))
    if i % 5 == 4:
        data += b"\x28\x05"  # an unknown varint field 5 of Example
    records.append(data)
    expected.append({name: expected_values(*features[name])
                     for name in sorted(features)})
    lines.append(json_line(features))

stream = b"".join(frame(r) for r in records)
name = os.path.join(HERE, "examples.tfrecord")
with open(name, "wb") as f:
    f.write(stream)
with open(name + ".gz", "wb") as f:
    f.write(gzip.compress(stream, mtime=0))
with open(name + ".zz", "wb") as f:
    f.write(zlib.compress(stream, 9))
with open(name + ".expected.json", "w") as f:
    json.dump({"file": "examples.tfrecord", "num_records": len(records),
               "records": expected}, f, indent=1, ensure_ascii=False)
    f.write("\n")
with open(name + ".expected.jsonl", "w") as f:
    for line in lines:
        f.write(line + "\n")
