#!/usr/bin/env bash
# demo.sh - set up, build kiln, compile example models and run them.
#
# 1. Compiles the TensorFlow.js tutorial model (Dense -> Dense -> softmax,
#    trained weights) into a native executable, prints its summary, predicts
#    on the reference inputs and compares with TensorFlow.js's outputs.
# 2. Compiles the Fashion-MNIST MLP (examples/fashion_mnist_mlp.json, fresh
#    Keras initializers) and classifies the first test images.
set -euo pipefail
cd "$(dirname "$0")/../.."

bash tools/dev/setup.sh
cmake -G Ninja -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build --target kiln kiln_runtime kiln_runtime_main

out=build/demo
mkdir -p "$out"
tfjs=test/e2e/Inputs/conformance/keras-tfjs/a_sequential_dense

echo "== kiln compile $tfjs/model.json"
build/bin/kiln compile "$tfjs/model.json" -o "$out/seq_tutorial"
"$out/seq_tutorial" summary
"$out/seq_tutorial" predict --input "$tfjs/x.npy" --output "$out/y.npy"
/usr/bin/python3 - "$out/y.npy" "$tfjs/y.npy" <<'PY'
import sys, numpy as np
got, want = np.load(sys.argv[1]), np.load(sys.argv[2])
print("predictions (first 3 rows):\n", got[:3])
print("max |kiln - TensorFlow.js| =", float(np.abs(got - want).max()))
PY

echo "== kiln compile examples/fashion_mnist_mlp.json"
build/bin/kiln compile examples/fashion_mnist_mlp.json --seed 7 -o "$out/fashion_mnist_mlp"
"$out/fashion_mnist_mlp" summary
/usr/bin/python3 - "$out/images.npy" <<'PY'
import gzip, sys, numpy as np
with gzip.open("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz") as f:
    images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 28, 28)
np.save(sys.argv[1], images[:8].astype(np.float32) / 255.0)
PY
"$out/fashion_mnist_mlp" predict --input "$out/images.npy" --output "$out/probs.npy" --batch-size 4
/usr/bin/python3 - "$out/probs.npy" <<'PY'
import sys, numpy as np
p = np.load(sys.argv[1])
print("class probabilities of 8 test images (untrained model):", p.shape)
print("argmax:", p.argmax(1), " row sums:", np.round(p.sum(1), 5))
PY
