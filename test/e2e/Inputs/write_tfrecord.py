"""Writes .npy arrays as a TFRecord file of tf.train.Example records.

Independent of kiln: the Example wire format comes from python3-protobuf with
example.proto compiled by protoc into --protos, the TFRecord framing and its
masked CRC-32Cs from pure Python. Record i has one float_list feature per
--array NAME=FILE.npy (row i, flattened; an int64_list for a NAME given
to --int64) and an int64 feature "id" = i. A
path ending in .gz is gzip-compressed. With --ragged NAME=PADDED.npy, record
i keeps only the first 1 + i % W of the W values of NAME (a VarLenFeature),
and PADDED.npy gets those rows zero-padded back to W: what a varlen spec
must feed the model. --corrupt K flips a bit of record K's data after its
CRC was computed (a corrupt record); --not-example K frames bytes that are no
tf.train.Example (valid CRCs) as record K.
"""
import argparse
import gzip
import struct
import sys

import numpy as np


def masked_crc32c(data):
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
    crc ^= 0xFFFFFFFF
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--protos", required=True)
    parser.add_argument("--array", action="append", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--ragged", action="append", default=[])
    parser.add_argument("--int64", action="append", default=[],
                        help="write array NAME as an int64_list feature")
    parser.add_argument("--corrupt", type=int, action="append", default=[])
    parser.add_argument("--not-example", type=int, action="append",
                        default=[])
    args = parser.parse_args()
    sys.path.insert(0, args.protos)
    import example_pb2  # noqa: E402  (generated at test time)

    arrays = []
    for item in args.array:
        name, path = item.split("=", 1)
        arrays.append((name, np.load(path)))
    ragged = dict(item.split("=", 1) for item in args.ragged)
    padded = {name: [] for name in ragged}
    out = b""
    for i in range(len(arrays[0][1])):
        example = example_pb2.Example()
        for name, array in arrays:
            values = np.asarray(array[i], dtype=np.float32).reshape(-1)
            if name in ragged:
                width = len(values)
                values = values[: 1 + i % width]
                padded[name].append(np.pad(values, (0, width - len(values))))
            if name in args.int64:
                ints = np.asarray(array[i], dtype=np.int64).reshape(-1)
                example.features.feature[name].int64_list.value.extend(
                    ints.tolist())
                continue
            example.features.feature[name].float_list.value.extend(values.tolist())
        example.features.feature["id"].int64_list.value.append(i)
        data = example.SerializeToString()
        if i in args.not_example:
            data = b"\x0a\x05\x01"  # a length past the end: malformed
        length = struct.pack("<Q", len(data))
        out += length + struct.pack("<I", masked_crc32c(length))
        crc = struct.pack("<I", masked_crc32c(data))
        if i in args.corrupt:
            data = bytes([data[0] ^ 0x01]) + data[1:]
        out += data + crc
    if args.out.endswith(".gz"):
        out = gzip.compress(out)
    open(args.out, "wb").write(out)
    for name, path in ragged.items():
        np.save(path, np.array(padded[name], dtype=np.float32))
    print(f"wrote {len(arrays[0][1])} records")


if __name__ == "__main__":
    main()
