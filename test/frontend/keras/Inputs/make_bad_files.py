"""Writes broken model and weight files for kiln's importer error tests.

  make_bad_files.py CASE OUT [SRC]

Weight cases write a Keras 2 save_weights() h5 for the topology of
conformance/keras-files/to_json/KERAS_1layer.json (input_1 -> fc1_relu
Dense(32) -> output_sigmoid Dense(1), 10 inputs):
  wrong-shape       fc1_relu's kernel is stored transposed, (32, 10)
  missing-bias      output_sigmoid's group holds its kernel only
  no-layer-entry    no group at all for output_sigmoid
Archive cases write a .keras file:
  truncated-keras   a valid archive cut in half
  corrupt-keras     a valid archive with a weight in model.weights.h5
                    overwritten: still a valid HDF5 file, but its CRC fails
  keras-no-config   a zip with metadata.json and model.weights.h5 only
TensorFlow.js cases copy the model.json of directory SRC into directory OUT:
  tfjs-truncated    with a weights.bin shard missing its last 10 bytes
  tfjs-no-shard     without its weights.bin shard
"""

import io
import json
import os
import shutil
import sys
import zipfile

import h5py
import numpy as np

RNG = np.random.default_rng(7)


def _keras2_weights(out, layers):
    """layers: [(layer name, [(weight name, shape), ...])]."""
    with h5py.File(out, "w") as h5:
        h5.attrs["layer_names"] = np.array([n.encode() for n, _ in layers])
        h5.attrs["backend"] = b"tensorflow"
        h5.attrs["keras_version"] = b"2.1.3"
        for name, weights in layers:
            group = h5.create_group(name)
            names = [f"{name}/{w}:0" for w, _ in weights]
            group.attrs["weight_names"] = (
                np.array([n.encode() for n in names]) if names
                else np.array([], dtype="S1"))
            for n, (_, shape) in zip(names, weights):
                group.create_dataset(n, data=RNG.normal(size=shape)
                                     .astype(np.float32))


FC1 = ("fc1_relu", [("kernel", (10, 32)), ("bias", (32,))])
OUT = ("output_sigmoid", [("kernel", (32, 1)), ("bias", (1,))])
INPUT = ("input_1", [])


def _keras_archive(config=True, stored=False):
    config_json = json.dumps({
        "module": "keras", "class_name": "Sequential",
        "config": {"name": "sequential", "layers": [
            {"module": "keras.layers", "class_name": "InputLayer",
             "config": {"batch_shape": [None, 4], "dtype": "float32",
                        "name": "input_layer"}, "registered_name": None},
            {"module": "keras.layers", "class_name": "Dense",
             "config": {"name": "dense", "units": 2, "activation": "relu",
                        "use_bias": True}, "registered_name": None}]},
        "registered_name": None})
    h5bytes = io.BytesIO()
    with h5py.File(h5bytes, "w") as h5:
        group = h5.create_group("layers/dense/vars")
        group.create_dataset("0", data=np.ones((4, 2), np.float32))
        group.create_dataset("1", data=np.zeros((2,), np.float32))
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w", zipfile.ZIP_STORED if stored
                         else zipfile.ZIP_DEFLATED) as z:
        z.writestr("metadata.json", json.dumps({"keras_version": "3.5.0"}))
        if config:
            z.writestr("config.json", config_json)
        z.writestr("model.weights.h5", h5bytes.getvalue())
    return data.getvalue()


def _copy_tfjs(src, out):
    os.makedirs(out, exist_ok=True)
    shutil.copy(os.path.join(src, "model.json"), out)
    return open(os.path.join(src, "weights.bin"), "rb").read()


def main():
    case, out, *src = sys.argv[1:]
    if case == "wrong-shape":
        _keras2_weights(out, [INPUT, ("fc1_relu", [("kernel", (32, 10)),
                                                   ("bias", (32,))]), OUT])
    elif case == "missing-bias":
        _keras2_weights(out, [INPUT, FC1,
                              ("output_sigmoid", [("kernel", (32, 1))])])
    elif case == "no-layer-entry":
        _keras2_weights(out, [INPUT, FC1])
    elif case == "truncated-keras":
        data = _keras_archive()
        open(out, "wb").write(data[:len(data) // 2])
    elif case == "corrupt-keras":
        data = bytearray(_keras_archive(stored=True))
        archive = zipfile.ZipFile(io.BytesIO(bytes(data)))
        info = archive.getinfo("model.weights.h5")
        with h5py.File(io.BytesIO(archive.read(info)), "r") as h5:
            kernel = h5["layers/dense/vars/0"].id.get_offset()
        # Stored uncompressed after a 30-byte local header, name and extra.
        start = (info.header_offset + 30 + len(info.filename) +
                 len(info.extra) + kernel)
        data[start:start + 4] = np.float32(42.0).tobytes()
        open(out, "wb").write(bytes(data))
    elif case == "keras-no-config":
        open(out, "wb").write(_keras_archive(config=False))
    elif case == "tfjs-truncated":
        weights = _copy_tfjs(src[0], out)
        open(os.path.join(out, "weights.bin"), "wb").write(weights[:-10])
    elif case == "tfjs-no-shard":
        _copy_tfjs(src[0], out)
    else:
        sys.exit(f"make_bad_files.py: unknown case '{case}'")


if __name__ == "__main__":
    main()
