#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes examples/fashion_mnist_mlp.json with N Dense(16) hidden layers
instead of one: deep_mlp.py MLP_JSON N OUT_JSON. A train step then updates
2 N + 2 parameters (kiln-cuda-merge-independent's kernel-parameter budget
splits their updates over several kernels)."""
import copy
import json
import sys

model = json.load(open(sys.argv[1]))
count = int(sys.argv[2])
layers = model["config"]["layers"]
inputs, flatten, hidden, output = layers
stack = [inputs, flatten]
width = 784
for i in range(count):
    dense = copy.deepcopy(hidden)
    dense["config"]["name"] = f"hidden_{i}"
    dense["config"]["units"] = 16
    dense["build_config"]["input_shape"] = [None, width]
    stack.append(dense)
    width = 16
output = copy.deepcopy(output)
output["build_config"]["input_shape"] = [None, width]
stack.append(output)
model["config"]["layers"] = stack
json.dump(model, open(sys.argv[3], "w"))
