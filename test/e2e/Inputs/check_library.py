#!/usr/bin/env python3
# ===- check_library.py - A kiln shared library against ./model ------------===#
# SPDX-License-Identifier: Apache-2.0
#
#   check_library.py LIBFASHION.so MODEL_EXE WORKDIR
#
# Drives `kiln compile --emit shared` output through Python's ctypes, the
# way an application in another language would, and checks it against the
# standalone executable of the same model (same --seed):
#   - fashion_predict gives ./model predict's outputs, bit for bit;
#   - fashion_fit (2 epochs, batch 64, seed 7) gives the epoch losses of
#     ./model train --seed 7 and weights that predict the same;
#   - fashion_train_step returns the step's loss and changes the weights;
#   - bad calls return kiln status codes and fashion_error says why.
# ===----------------------------------------------------------------------===#
import ctypes
import json
import os
import subprocess
import sys

import numpy as np

lib_path, exe, work = sys.argv[1:4]
lib = ctypes.CDLL(lib_path)
F32P = np.ctypeslib.ndpointer(dtype=np.float32, flags="C_CONTIGUOUS")
handle_p = ctypes.POINTER(ctypes.c_void_p)
lib.fashion_create.argtypes = [handle_p]
lib.fashion_destroy.argtypes = [ctypes.c_void_p]
lib.fashion_error.argtypes = [ctypes.c_void_p]
lib.fashion_error.restype = ctypes.c_char_p
lib.fashion_predict.argtypes = [ctypes.c_void_p, ctypes.c_int64, F32P, F32P]
lib.fashion_train_step.argtypes = [ctypes.c_void_p, ctypes.c_int64, F32P,
                                   F32P, ctypes.POINTER(ctypes.c_float)]
lib.fashion_fit.argtypes = [ctypes.c_void_p, ctypes.c_int64, F32P, F32P,
                            ctypes.c_int64, ctypes.c_int64, ctypes.c_int64,
                            F32P]
lib.fashion_save_weights.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
lib.fashion_load_weights.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
for f in ("fashion_create", "fashion_predict", "fashion_train_step",
          "fashion_fit", "fashion_save_weights", "fashion_load_weights"):
    getattr(lib, f).restype = ctypes.c_int32


def create():
    m = ctypes.c_void_p()
    assert lib.fashion_create(ctypes.byref(m)) == 0, lib.fashion_error(m)
    return m


def run(*args):
    subprocess.run([exe, *args], check=True, stdout=subprocess.DEVNULL)


rng = np.random.default_rng(11)
n = 300
x = rng.random((n, 28, 28), dtype=np.float32)
y = rng.integers(0, 10, n).astype(np.float32)
np.save(os.path.join(work, "x.npy"), x)
np.save(os.path.join(work, "y.npy"), y)

# Predict.
m = create()
probs = np.zeros((n, 10), np.float32)
assert lib.fashion_predict(m, n, x, probs) == 0, lib.fashion_error(m)
run("predict", "--input", os.path.join(work, "x.npy"), "--output",
    os.path.join(work, "exe_probs.npy"))
expected = np.load(os.path.join(work, "exe_probs.npy"))
assert np.array_equal(probs, expected), np.abs(probs - expected).max()
print("predict: same as ./model predict")

# Fit against ./model train.
losses = np.zeros(2, np.float32)
assert lib.fashion_fit(m, n, x, y, 2, 64, 7, losses) == 0, lib.fashion_error(m)
run("train", "--data", os.path.join(work, "x.npy") + "," +
    os.path.join(work, "y.npy"), "--epochs", "2", "--batch-size", "64",
    "--seed", "7", "--verbose", "0", "--history",
    os.path.join(work, "history.json"), "--save-weights",
    os.path.join(work, "exe.kw"))
history = json.load(open(os.path.join(work, "history.json")))
assert [float(np.float32(v)) for v in history["loss"]] == losses.tolist(), (
    history["loss"], losses)
assert losses[1] < losses[0], losses
lib_kw = os.path.join(work, "lib.kw").encode()
assert lib.fashion_save_weights(m, lib_kw) == 0, lib.fashion_error(m)
for kw in ("lib.kw", "exe.kw"):
    run("predict", "--weights", os.path.join(work, kw), "--input",
        os.path.join(work, "x.npy"), "--output",
        os.path.join(work, kw + ".npy"))
a = np.load(os.path.join(work, "lib.kw.npy"))
b = np.load(os.path.join(work, "exe.kw.npy"))
assert np.array_equal(a, b), np.abs(a - b).max()
print("fit: losses %s, the same as ./model train, and the same weights"
      % losses.tolist())

# A train step changes what the model predicts; a second step on the same
# batch has a lower loss.
fresh = create()
before = np.zeros((64, 10), np.float32)
after = np.zeros((64, 10), np.float32)
loss1, loss2 = ctypes.c_float(), ctypes.c_float()
assert lib.fashion_predict(fresh, 64, x[:64], before) == 0
assert lib.fashion_train_step(fresh, 64, x[:64], y[:64],
                              ctypes.byref(loss1)) == 0, lib.fashion_error(fresh)
assert lib.fashion_train_step(fresh, 64, x[:64], y[:64],
                              ctypes.byref(loss2)) == 0
assert lib.fashion_predict(fresh, 64, x[:64], after) == 0
assert not np.array_equal(before, after)
assert 0 < loss2.value < loss1.value, (loss1.value, loss2.value)
print("train_step: loss %.4f then %.4f" % (loss1.value, loss2.value))

# Errors: a status code and a message, and the session still works.
code = lib.fashion_load_weights(fresh, os.path.join(work, "missing.kw").encode())
print("load missing: code %d: %s" % (code, lib.fashion_error(fresh).decode()))
code = lib.fashion_train_step(fresh, 0, x[:1], y[:1], None)
print("empty batch: code %d: %s" % (code, lib.fashion_error(fresh).decode()))
assert lib.fashion_predict(fresh, 64, x[:64], after) == 0
lib.fashion_destroy(fresh)
lib.fashion_destroy(m)
lib.fashion_destroy(None)
print("ok")
