#!/usr/bin/env python3
# ===- serve_once.py - One predict request to a served version -------------===#
# SPDX-License-Identifier: Apache-2.0
#
#   serve_once.py EXE BASE_PATH X.npy OUT.npy
#
# Starts `EXE serve --model_base_path BASE_PATH` on a free loopback port,
# posts the samples of X.npy in the row format, writes the predictions to
# OUT.npy as float32, and stops the server with SIGTERM.
# ===----------------------------------------------------------------------===#
import atexit
import json
import signal
import subprocess
import sys

import numpy as np
import requests

exe, base, x_path, out_path = sys.argv[1:5]
proc = subprocess.Popen([exe, "serve", "--rest_api_port", "0", "--host",
                         "127.0.0.1", "--model_base_path", base],
                        stdout=subprocess.PIPE, text=True)
# No server outlives the script, and a hang fails it.
atexit.register(lambda: proc.poll() is None and proc.kill())
signal.signal(signal.SIGALRM, lambda *_: sys.exit("serve_once.py: hung"))
signal.alarm(120)
line = proc.stdout.readline()
url = line.split()[line.split().index("at") + 1]
reply = requests.post(url + ":predict", data=json.dumps(
    {"instances": np.load(x_path).tolist()}))
reply.raise_for_status()
np.save(out_path, np.array(reply.json()["predictions"], np.float32))
proc.send_signal(signal.SIGTERM)
sys.exit(proc.wait(20))
