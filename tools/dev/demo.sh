#!/usr/bin/env bash
# demo.sh - set up, build kiln, compile example models and run them.
#
# 1. Compiles the TensorFlow.js tutorial model (Dense -> Dense -> softmax,
#    trained weights) into a native executable, prints its summary, predicts
#    on the reference inputs and compares with TensorFlow.js's outputs.
# 2. Compiles the tutorial's Fashion-MNIST MLP (examples/fashion_mnist_mlp.json)
#    with its training configuration, trains it natively for 5 epochs
#    (./model train: the compiled model.fit), evaluates it on the test set and
#    classifies the first test images.
# 3. Converts the training set to a gzipped TFRecord file of tf.train.Example
#    records and trains a 6th epoch from it (resuming the checkpoint), with
#    TensorBoard logs.
# 4. The flagship: compiles the Fashion-MNIST CNN (examples/fashion_mnist_cnn.json:
#    two Conv2D + MaxPooling2D blocks, Dense, Adam), trains it 2 epochs
#    (about 88.5% test accuracy; 10 epochs reach 91.4%) and evaluates it.
# 5. Deploys the trained MLP: serves it with TensorFlow Serving's REST API
#    (./model serve, one predict request), and compiles it as a library
#    (--emit lib) that examples/app's C program links through CMake.
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

fashion=/usr/share/datasets/fashion-mnist
echo "== kiln compile examples/fashion_mnist_mlp.json (Adam, sparse categorical crossentropy)"
build/bin/kiln compile examples/fashion_mnist_mlp.json --seed 1 -o "$out/fashion_mnist_mlp"
"$out/fashion_mnist_mlp" summary
echo "== ./fashion_mnist_mlp train: 5 epochs on Fashion-MNIST (compiled model.fit)"
"$out/fashion_mnist_mlp" train \
  --data "$fashion/train-images-idx3-ubyte.gz,$fashion/train-labels-idx1-ubyte.gz" \
  --epochs 5 --batch-size 32 --seed 1 --history "$out/history.json" \
  --save-weights "$out/fashion_mnist_mlp.kw"
echo "== ./fashion_mnist_mlp evaluate on the 10000 test images"
"$out/fashion_mnist_mlp" evaluate --weights "$out/fashion_mnist_mlp.kw" \
  --data "$fashion/t10k-images-idx3-ubyte.gz,$fashion/t10k-labels-idx1-ubyte.gz"
/usr/bin/python3 - "$out/images.npy" "$fashion" <<'PY'
import gzip, sys, numpy as np
with gzip.open(sys.argv[2] + "/t10k-images-idx3-ubyte.gz") as f:
    images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 28, 28)
np.save(sys.argv[1], images[:8].astype(np.float32) / 255.0)
PY
"$out/fashion_mnist_mlp" predict --weights "$out/fashion_mnist_mlp.kw" \
  --input "$out/images.npy" --output "$out/probs.npy"
/usr/bin/python3 - "$out/probs.npy" "$fashion" <<'PY'
import gzip, sys, numpy as np
names = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
         "Shirt", "Sneaker", "Bag", "Ankle boot"]
with gzip.open(sys.argv[2] + "/t10k-labels-idx1-ubyte.gz") as f:
    labels = np.frombuffer(f.read(), np.uint8, offset=8)[:8]
p = np.load(sys.argv[1])
for guess, label in zip(p.argmax(1), labels):
    print(f"predicted {names[guess]:12s} actual {names[label]}")
PY

echo "== kiln data convert: Fashion-MNIST -> TFRecord of tf.train.Example (gzip)"
build/bin/kiln data convert \
  "$fashion/train-images-idx3-ubyte.gz,$fashion/train-labels-idx1-ubyte.gz" \
  -o "$out/train.tfrecord.gz" --compression gzip
build/bin/kiln data inspect "$out/train.tfrecord.gz" --limit 1
echo "== ./fashion_mnist_mlp train: epoch 6 from the TFRecord file, TensorBoard logs in $out/logs"
"$out/fashion_mnist_mlp" train --data "$out/train.tfrecord.gz" \
  --features 'image:float32[28,28]' --label 'label:int64' \
  --resume "$out/fashion_mnist_mlp.kw" --epochs 6 --batch-size 32 \
  --logdir "$out/logs" --save-weights "$out/fashion_mnist_mlp.kw"
ls "$out/logs/train"

echo "== kiln compile examples/fashion_mnist_cnn.json (the flagship CNN)"
build/bin/kiln compile examples/fashion_mnist_cnn.json --seed 1 -o "$out/fashion_mnist_cnn"
"$out/fashion_mnist_cnn" summary
echo "== ./fashion_mnist_cnn train: 2 epochs (about 88.5% test accuracy; 10 epochs reach 91.4%)"
"$out/fashion_mnist_cnn" train \
  --data "$fashion/train-images-idx3-ubyte.gz,$fashion/train-labels-idx1-ubyte.gz" \
  --epochs 2 --batch-size 32 --seed 1 --save-weights "$out/fashion_mnist_cnn.kw"
echo "== ./fashion_mnist_cnn evaluate on the 10000 test images"
"$out/fashion_mnist_cnn" evaluate --weights "$out/fashion_mnist_cnn.kw" \
  --data "$fashion/t10k-images-idx3-ubyte.gz,$fashion/t10k-labels-idx1-ubyte.gz"

echo "== deploy: ./fashion_mnist_mlp serve (TensorFlow Serving's REST API), version 1 = the trained weights"
rm -rf "$out/serving" && mkdir -p "$out/serving/1"
cp "$out/fashion_mnist_mlp.kw" "$out/serving/1/"
"$out/fashion_mnist_mlp" serve --rest_api_port 0 --host 127.0.0.1 \
  --model_name fashion_model --model_base_path "$out/serving" > "$out/serve.out" &
serve_pid=$!
trap 'kill "$serve_pid" 2> /dev/null || true' EXIT
for _ in $(seq 100); do grep -q http "$out/serve.out" && break; sleep 0.1; done
cat "$out/serve.out"
url=$(sed -n 's/.* at \(http[^ ]*\) .*/\1/p' "$out/serve.out")
# The tutorial's request: the first three test images.
/usr/bin/python3 - "$url" "$out/images.npy" <<'PY'
import json, sys, urllib.request, numpy as np
names = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
         "Shirt", "Sneaker", "Bag", "Ankle boot"]
data = json.dumps({"signature_name": "serving_default",
                   "instances": np.load(sys.argv[2])[:3].tolist()}).encode()
request = urllib.request.Request(sys.argv[1] + ":predict", data=data,
                                 headers={"content-type": "application/json"})
for p in json.load(urllib.request.urlopen(request))["predictions"]:
    print(f"served: {names[int(np.argmax(p))]:12s} p={max(p):.3f}")
PY
kill -TERM "$serve_pid"
wait "$serve_pid"

echo "== deploy: kiln compile --emit lib, examples/app (C) built with CMake find_package"
build/bin/kiln compile examples/fashion_mnist_mlp.json --seed 1 --emit lib -o "$out/lib/fashion"
ls "$out/lib"
cmake -S examples/app -B "$out/app" -G Ninja -Dfashion_DIR="$PWD/$out/lib" > /dev/null
cmake --build "$out/app" > /dev/null
gunzip -c "$fashion/t10k-images-idx3-ubyte.gz" > "$out/t10k-images"
"$out/app/classify" "$out/t10k-images" 3 "$out/fashion_mnist_mlp.kw" | grep '^image'
