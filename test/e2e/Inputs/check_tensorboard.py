"""Checks the TensorBoard logs of `./model train --logdir` independently of kiln.

Reads every event file under --logdir with python3-protobuf, using the
TensorFlow protos compiled by protoc into --protos (event_pb2 & co. from
Inputs/tensorboard/*.proto), after checking the TFRecord framing and both
masked CRC-32Cs in pure Python. Then compares the epoch scalars with the
--history JSON of the same run (as float32, as Keras writes them), checks the
steps Keras's TensorBoard callback uses, and prints the directories, tags and
histogram summaries for FileCheck. Histograms must be TF2 `tf.summary.histogram`
tensors ([30, 3] float64 rows of left edge, right edge, count, plugin
"histograms"); with --weights (the run's final kiln weights file, read here
from its documented layout), each parameter's last histogram must equal
TensorBoard's bucketing recomputed with NumPy. Exits 1 on any failed check.
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


def read_kiln_weights(path):
    """Parameters of a kiln weights file (runtime/model/Weights.cpp layout)."""
    data = open(path, "rb").read()
    assert data[:8] == b"KILNWTS\0", "not a kiln weights file"
    (num_params,) = struct.unpack_from("<I", data, 56)
    pos = 72
    (length,) = struct.unpack_from("<I", data, pos)
    pos += 4 + length  # the model name
    params = {}
    for _ in range(num_params):
        (length,) = struct.unpack_from("<I", data, pos)
        name = data[pos + 4:pos + 4 + length].decode()
        pos += 4 + length
        (rank,) = struct.unpack_from("<I", data, pos)
        dims = struct.unpack_from(f"<{rank}q", data, pos + 4)
        pos += 4 + 8 * rank
        count = int(np.prod(dims)) if rank else 1
        params[name] = np.frombuffer(data, "<f4", count, pos).reshape(dims)
        pos += 4 * count
    return params


def tensorboard_buckets(values, k=30):
    """TensorBoard's histogram summary buckets, from its documented rules."""
    data = np.asarray(values, dtype=np.float64).reshape(-1)
    if data.size == 0:
        return np.zeros((k, 3))
    low, high = data.min(), data.max()
    if high == low:
        counts = np.zeros(k)
        counts[-1] = data.size
        return np.stack([np.full(k, low), np.full(k, low), counts], axis=1)
    width = (high - low) / k
    index = np.minimum(np.floor((data - low) / width).astype(int), k - 1)
    counts = np.bincount(index, minlength=k).astype(np.float64)
    edges = np.linspace(low, high, k + 1)
    return np.stack([edges[:-1], edges[1:], counts], axis=1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--protos", required=True)
    parser.add_argument("--logdir", required=True)
    parser.add_argument("--history", required=True)
    parser.add_argument("--weights")
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
                tensor = value.tensor
                if value.metadata.plugin_data.plugin_name == "histograms":
                    shape = [d.size for d in tensor.tensor_shape.dim]
                    rows = np.frombuffer(tensor.tensor_content, "<f8")
                    good = (tensor.dtype == 2 and len(shape) == 2 and
                            shape[1] == 3 and rows.size == shape[0] * 3)
                    rows = rows.reshape(-1, 3) if good else np.zeros((0, 3))
                    good = good and bool(np.all(rows[:, 0] <= rows[:, 1]))
                    ok = ok and good
                    histos.setdefault(value.tag, []).append(
                        (event.step, int(rows[:, 2].sum()), len(rows), good,
                         rows))
                    continue
                if (value.metadata.plugin_data.plugin_name != "scalars" or
                        tensor.dtype != 1 or len(tensor.tensor_shape.dim) or
                        len(tensor.tensor_content) != 4):
                    print(f"{sub}/{value.tag}: not a TF2 scalar: FAILED")
                    ok = False
                    continue
                (scalar,) = struct.unpack("<f", tensor.tensor_content)
                scalars.setdefault(value.tag, []).append((event.step, scalar))
        print(f"{sub} scalars:", " ".join(sorted(scalars)))
        weights = read_kiln_weights(args.weights) if args.weights else {}
        for tag in sorted(histos):
            steps = [s for s, _, _, _, _ in histos[tag]]
            num, buckets = histos[tag][0][1], histos[tag][0][2]
            good = all(g for _, _, _, g, _ in histos[tag])
            ok = ok and good
            print(f"{sub} histogram {tag}: steps {steps} num {num} "
                  f"buckets {buckets}: {'OK' if good else 'FAILED'}")
            if tag in weights:
                want = tensorboard_buckets(weights[tag])
                got = histos[tag][-1][4]
                same = (got.shape == want.shape and
                        np.array_equal(got[:, 2], want[:, 2]) and
                        np.allclose(got[:, :2], want[:, :2], rtol=1e-12,
                                    atol=0))
                ok = ok and same
                print(f"{sub} histogram {tag} at step {steps[-1]} == NumPy "
                      f"buckets of the final weights: "
                      f"{'OK' if same else 'FAILED'}")
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
