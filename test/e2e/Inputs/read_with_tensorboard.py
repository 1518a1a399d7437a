"""kiln's TensorBoard logs read by TensorBoard itself (PyPI `tensorboard`).

Run with the tests' virtual environment (%tb_python, tools/dev/setup.sh).

  read_with_tensorboard.py complete --logdir D --history H
      Every run folder of D is read with TensorBoard's EventFileLoader and
      EventAccumulator (what `tensorboard --logdir D` uses). The records are
      also framed here from the file's bytes (length, CRCs) and their payloads
      parsed with TensorBoard's own Event proto: TensorBoard must return every
      (tag, step) the file holds, as the plugin kiln declared; the scalars
      equal the --history JSON (as float32) and every histogram is a
      [buckets, 3] table (left, right, count) over all of its weights.

  read_with_tensorboard.py killed --logdir D -- TRAIN_COMMAND...
      Runs the training command (which must write its logs to D), kills it
      with SIGKILL once its train/ event file holds some records, then checks
      that TensorBoard reads exactly the complete records of every file it
      left. The same file cut inside its last record (in the length, the
      payload and the final CRC: what a kill or a full disk during that
      record's write leaves) is read up to the record before the cut.
"""

import argparse
import glob
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

import numpy as np
from tensorboard.backend.event_processing import event_accumulator
from tensorboard.backend.event_processing import event_file_loader
from tensorboard.compat.proto import event_pb2
from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import masked_crc32c
from tensorboard.util import tensor_util

failures = []


def check(ok, what):
    print(what + (": OK" if ok else ": FAILED"))
    if not ok:
        failures.append(what)


def frame(path):
    """(offset, payload) of each complete record, and the bytes after them."""
    data = open(path, "rb").read()
    records, pos = [], 0
    while pos + 12 <= len(data):
        (length,) = struct.unpack_from("<Q", data, pos)
        (length_crc,) = struct.unpack_from("<I", data, pos + 8)
        if masked_crc32c(data[pos:pos + 8]) != length_crc:
            break
        end = pos + 12 + length + 4
        if end > len(data):
            break
        payload = data[pos + 12:pos + 12 + length]
        (crc,) = struct.unpack_from("<I", data, end - 4)
        if masked_crc32c(payload) != crc:
            break
        records.append((pos, payload))
        pos = end
    return records, len(data) - pos


def written(records):
    """{tag: [(step, plugin)]} of the summary values of the records."""
    values = {}
    for _, payload in records:
        event = event_pb2.Event.FromString(payload)
        for value in event.summary.value:
            plugin = value.metadata.plugin_data.plugin_name
            values.setdefault(value.tag, []).append((event.step, plugin))
    return values


def event_file(run_dir):
    files = glob.glob(os.path.join(run_dir, "events.out.tfevents.*"))
    if len(files) != 1:
        sys.exit("expected one event file in %s, found %s" % (run_dir, files))
    return files[0]


def read(run_dir):
    """What TensorBoard reads: (events loaded, accumulator)."""
    loaded = list(event_file_loader.EventFileLoader(event_file(run_dir)).Load())
    acc = event_accumulator.EventAccumulator(
        run_dir, size_guidance={event_accumulator.TENSORS: 0,
                                event_accumulator.SCALARS: 0,
                                event_accumulator.HISTOGRAMS: 0})
    acc.Reload()
    return loaded, acc


def compare(run, records, loaded, acc):
    """TensorBoard returns every (tag, step) of `records`, nothing else."""
    check(len(loaded) == len(records),
          "%s: TensorBoard loaded %d events of %d records"
          % (run, len(loaded), len(records)))
    expected = written(records)
    got = {}
    for tag in acc.Tags()[event_accumulator.TENSORS]:
        plugin = acc.SummaryMetadata(tag).plugin_data.plugin_name
        got[tag] = [(t.step, plugin) for t in acc.Tensors(tag)]
    check(got == expected,
          "%s: every (tag, step, plugin) written is read back (%d tags, "
          "%d values)" % (run, len(expected),
                          sum(len(v) for v in expected.values())))
    return got


def check_values(run, acc, history):
    tags = acc.Tags()[event_accumulator.TENSORS]
    plugins = {}
    for tag in tags:
        plugin = acc.SummaryMetadata(tag).plugin_data.plugin_name
        plugins.setdefault(plugin, []).append(tag)
    print("%s scalars: %s" % (run, " ".join(sorted(plugins.get("scalars", [])))))
    print("%s histograms: %s"
          % (run, " ".join(sorted(plugins.get("histograms", [])))))
    for tag in sorted(plugins.get("scalars", [])):
        values = [tensor_util.make_ndarray(t.tensor_proto)
                  for t in acc.Tensors(tag)]
        check(all(v.shape == () and np.isfinite(v) for v in values),
              "%s %s: %d finite scalars" % (run, tag, len(values)))
    key = {"train": "loss", "validation": "val_loss"}[run]
    epoch_loss = [float(tensor_util.make_ndarray(t.tensor_proto))
                  for t in acc.Tensors("epoch_loss")]
    want = [float(np.float32(v)) for v in history[key]]
    check(epoch_loss == want,
          "%s epoch_loss == history['%s'] (%d epochs)" % (run, key, len(want)))
    for tag in sorted(plugins.get("histograms", [])):
        tables = [tensor_util.make_ndarray(t.tensor_proto)
                  for t in acc.Tensors(tag)]
        counts = {float(t[:, 2].sum()) for t in tables}
        ok = all(t.ndim == 2 and t.shape[1] == 3 and t.shape[0] > 0 and
                 np.all(t[:, 0] <= t[:, 1]) and np.all(t[:, 2] >= 0)
                 for t in tables) and len(counts) == 1
        check(ok, "%s %s: %d histograms of %d values" %
              (run, tag, len(tables), int(counts.pop()) if counts else 0))


def complete(args):
    history = json.load(open(args.history))
    runs = sorted(os.listdir(args.logdir))
    print("runs: " + " ".join(runs))
    for run in runs:
        run_dir = os.path.join(args.logdir, run)
        records, rest = frame(event_file(run_dir))
        check(rest == 0, "%s: %d records, no bytes after them"
              % (run, len(records)))
        loaded, acc = read(run_dir)
        compare(run, records, loaded, acc)
        check_values(run, acc, history)


def killed(args):
    train_dir = os.path.join(args.logdir, "train")
    proc = subprocess.Popen(args.command, stdout=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        files = glob.glob(os.path.join(train_dir, "events.out.tfevents.*"))
        if files and os.path.getsize(files[0]) >= args.kill_after_bytes:
            break
        time.sleep(0.005)
    running = proc.poll() is None
    if running:
        proc.send_signal(signal.SIGKILL)
    proc.wait()
    check(running and proc.returncode == -signal.SIGKILL,
          "the writer was killed with SIGKILL during training")
    for run in sorted(os.listdir(args.logdir)):
        run_dir = os.path.join(args.logdir, run)
        path = event_file(run_dir)
        records, rest = frame(path)
        print("%s: %d complete records, %d bytes of a torn one"
              % (run, len(records), rest))
        loaded, acc = read(run_dir)
        compare(run + " (killed)", records, loaded, acc)
    # The last complete record of train/, cut in its length, its payload and
    # its data CRC.
    path = event_file(train_dir)
    records, _ = frame(path)
    start, payload = records[-1]
    end = start + 12 + len(payload) + 4
    data = open(path, "rb").read()[:end]
    for what, cut in (("length", start + 5), ("length crc", start + 10),
                      ("payload", start + 12 + len(payload) // 2),
                      ("data crc", end - 2)):
        torn = tempfile.mkdtemp(dir=args.logdir + ".torn")
        with open(os.path.join(torn, os.path.basename(path)), "wb") as f:
            f.write(data[:cut])
        loaded, acc = read(torn)
        compare("train cut in the last record's %s" % what, records[:-1],
                loaded, acc)
        shutil.rmtree(torn)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["complete", "killed"])
    parser.add_argument("--logdir", required=True)
    parser.add_argument("--history")
    parser.add_argument("--kill-after-bytes", type=int, default=64 * 1024)
    argv = sys.argv[1:]
    command = argv[argv.index("--") + 1:] if "--" in argv else []
    args = parser.parse_args(argv[:len(argv) - len(command) - bool(command)])
    args.command = command
    if args.mode == "complete":
        complete(args)
    else:
        os.makedirs(args.logdir + ".torn", exist_ok=True)
        killed(args)
    if failures:
        print("FAILED: %d checks" % len(failures))
        sys.exit(1)


main()
