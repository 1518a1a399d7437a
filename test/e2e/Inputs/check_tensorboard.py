"""Checks the TensorBoard logs of `./model train --logdir` independently of kiln.

Reads every event file under --logdir with python3-protobuf, using the
TensorFlow protos compiled by protoc into --protos (event_pb2 & co. from
Inputs/tensorboard/*.proto), after checking the TFRecord framing and both
masked CRC-32Cs in pure Python. Then compares the epoch scalars with the
--history JSON of the same run (as float32, as Keras writes them), checks the
steps Keras's TensorBoard callback uses, and prints the directories, tags and
histogram summaries for FileCheck. Exits 1 on any failed check.
"""
import argparse
import glob
import json
import os
import struct
import sys

import numpy as np


def crc32c_table():
    table = []
    for n in range(256):
        crc = n
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
        table.append(crc)
    return table


TABLE = crc32c_table()


def masked_crc(data):
    crc = 0xFFFFFFFF
    for byte in data:
        crc = TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    crc ^= 0xFFFFFFFF
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def read_records(path):
    data = open(path, "rb").read()
    pos = 0
    while pos < len(data):
        header = data[pos:pos + 12]
        (length,) = struct.unpack("<Q", header[:8])
        (length_crc,) = struct.unpack("<I", header[8:])
        assert masked_crc(header[:8]) == length_crc, f"{path}: length CRC"
        payload = data[pos + 12:pos + 12 + length]
        (data_crc,) = struct.unpack("<I", data[pos + 12 + length:pos + 16 + length])
        assert masked_crc(payload) == data_crc, f"{path}: data CRC"
        pos += 16 + length
        yield payload


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--protos", required=True)
    parser.add_argument("--logdir", required=True)
    parser.add_argument("--history", required=True)
    args = parser.parse_args()
    sys.path.insert(0, args.protos)
    import event_pb2  # noqa: E402  (generated at test time)

    history = json.load(open(args.history))
    epochs = len(history["loss"])
    ok = True
    print("dirs:", " ".join(sorted(os.listdir(args.logdir))))
    for sub in sorted(os.listdir(args.logdir)):
        files = glob.glob(os.path.join(args.logdir, sub, "events.out.tfevents.*.v2"))
        if len(files) != 1:
            print(f"{sub}: {len(files)} event files: FAILED")
            ok = False
            continue
        events = []
        for payload in read_records(files[0]):
            event = event_pb2.Event()
            event.ParseFromString(payload)
            events.append(event)
        if events[0].file_version != "brain.Event:2":
            print(f"{sub}: first event is not the file version: FAILED")
            ok = False
        scalars, histos = {}, {}
        for event in events[1:]:
            for value in event.summary.value:
                if value.HasField("histo"):
                    h = value.histo
                    counted = sum(h.bucket)
                    good = (counted == h.num and h.min <= h.max and
                            len(h.bucket) == len(h.bucket_limit))
                    ok = ok and good
                    histos.setdefault(value.tag, []).append(
                        (event.step, int(h.num), len(h.bucket), good))
                    continue
                tensor = value.tensor
                if (value.metadata.plugin_data.plugin_name != "scalars" or
                        tensor.dtype != 1 or len(tensor.tensor_shape.dim) or
                        len(tensor.tensor_content) != 4):
                    print(f"{sub}/{value.tag}: not a TF2 scalar: FAILED")
                    ok = False
                    continue
                (scalar,) = struct.unpack("<f", tensor.tensor_content)
                scalars.setdefault(value.tag, []).append((event.step, scalar))
        print(f"{sub} scalars:", " ".join(sorted(scalars)))
        for tag in sorted(histos):
            steps = [s for s, _, _, _ in histos[tag]]
            num, buckets = histos[tag][0][1], histos[tag][0][2]
            good = all(g for _, _, _, g in histos[tag])
            print(f"{sub} histogram {tag}: steps {steps} num {num} "
                  f"buckets {buckets}: {'OK' if good else 'FAILED'}")
        prefix = "val_" if sub == "validation" else ""
        for tag, series in sorted(scalars.items()):
            if not tag.startswith("epoch_") or tag == "epoch_learning_rate":
                continue
            key = prefix + tag[len("epoch_"):]
            want = [float(np.float32(v)) for v in history[key]]
            got = [v for _, v in series]
            steps = [s for s, _ in series]
            good = got == want and steps == list(range(epochs))
            ok = ok and good
            print(f"{sub} {tag} == history[{key!r}] at steps "
                  f"{steps}: {'OK' if good else 'FAILED'}")
            if not good:
                print("  got", got, "want", want)
        for tag, series in sorted(scalars.items()):
            if tag.startswith("batch_"):
                steps = [s for s, _ in series]
                print(f"{sub} {tag}: steps {steps}")
                # The last batch of an epoch logs the epoch's mean.
                key = prefix + tag[len("batch_"):]
                last = dict(series)[steps[-1]]
                good = last == float(np.float32(history[key][-1]))
                ok = ok and good
                print(f"{sub} {tag} at step {steps[-1]} == history[{key!r}][-1]: "
                      f"{'OK' if good else 'FAILED'}")
        if "epoch_learning_rate" in scalars:
            print(f"{sub} epoch_learning_rate:",
                  [v for _, v in scalars["epoch_learning_rate"]])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
