#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# The GPU checks of issue 14, in two halves, because the machine with a GPU
# (the `device` tool, when a task is lent one) has no LLVM 22 to build kiln:
#
#   bash tools/dev/gpu-check.sh prepare   # here: compile the example models
#                                         # with --target cuda into .gpu/,
#                                         # with data and libomp
#   bash tools/dev/gpu-check.sh run       # there, with .gpu/ carried: every
#                                         # model on the GPU against the same
#                                         # binary on the CPU; results in
#                                         # $OUT (or .gpu/out)
#
# `run` checks, for the MLP, CNN, RNN and LSTM examples:
#   - predict on 1000 Fashion-MNIST images: GPU outputs match the CPU's
#     (max |diff| <= 1e-4 * max(1, |cpu|));
#   - training 2 epochs (batch 100, no shuffle): the GPU's losses match the
#     CPU's to 1e-3 relative, and predictions with the trained weights
#     (weights files are device-independent: trained on the GPU, predicted
#     on the CPU) match;
#   - with CUDA graphs (KILN_GPU_GRAPHS=1): predictions and training
#     histories bit-identical to the GPU's without;
#   - ./model bench on both devices, and on the GPU with graphs (predict at
#     batch 1 and 128, train_step at batch 100), as JSON lines in
#     $OUT/bench.jsonl, plus a 4096^3 GEMM (the issue's size;
#     GPU_CHECK_GEMM_N changes it)
#     (a Dense model; the kernel's time per --gpu-matmul-tile shape) and
#     the CNN's train step at batch 1024 on the GPU (and with
#     --gpu-conv-input-gradient fold: the input gradient as col2im; and
#     with --gpu-matmul-narrow-tiles=false: 64 x 64 tiles for its 16- and
#     32-channel products);
#   - --gpu-precision tf32 and bf16 (tensor-core mma.sync): a Dense model's
#     predictions against a NumPy reference that rounds the factors
#     (test/e2e/Inputs/large_dense_reference.py rounded), the CNN's
#     training losses within 3e-3 of the CPU's, and the GEMM's
#     kernel time in each precision;
#   - TensorFlow.js's reference models (test/e2e/Inputs/conformance/
#     keras-tfjs: Dense, CNN, SimpleRNN, stacked RNN cells, two-input
#     functional, BatchNorm + Dropout) predict TensorFlow.js's stored
#     outputs on the GPU, and the Dense and CNN models train along
#     TensorFlow.js's own trajectories, with the CPU tests' tolerances
#     (conformance_tfjs, batch_norm, train_conformance), and the Dense
#     model trains with SGD (momentum, Nesterov), Adam, RMSprop and
#     Adagrad along a NumPy trainer's losses (optimizers.test);
#   - PyTorch's ONNX exports (MLP, CNN, residual block with BatchNorm,
#     int64 embedding, view flatten) predict PyTorch's outputs on the GPU
#     (onnx_pytorch.test's 1e-5), in $OUT/onnx.txt;
#   - every Keras 3 fixture (test/e2e/Inputs/keras3-*: recurrent cells,
#     embeddings, convolutions and pooling, merges, normalization) predicts
#     Keras's outputs and trains along Keras's trajectories on the GPU, with
#     the CPU tests' tolerances (keras3_sweep.py, as cuda_on_cpu_keras3
#     runs it on the CPU);
#   - the CNN's train step kernel by kernel (KILN_GPU_PROFILE) at batch
#     100 and 1024, in $OUT/cnn.profile.BATCH.txt, and the LSTM's and
#     the SimpleRNN's at batch 100, in $OUT/{lstm,rnn}.profile.100.txt;
#   - the PyTorch references on the same GPU (gpu_torch_reference.py):
#     cuBLAS GEMM (fp32, TF32, BF16) and the same CNN's train step, eager
#     and compiled, in $OUT/torch.jsonl (GPU_CHECK_NO_TORCH=1 skips them).
# It exits non-zero when a check fails, after running all of them: in
# `run`, every command that can fail sets `failed` instead of stopping
# (set -e would end the run at its first failure, and with it a device
# session's measurements).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
GPU_DIR=$ROOT/.gpu
MODELS=(${GPU_CHECK_MODELS:-mlp cnn rnn lstm})
TFJS_MODELS="a_sequential_dense b_mnist_cnn c_simple_rnn d_stacked_rnn_cells
  e_functional_concat f_dense_bn_dropout"
TFJS_TRAINED="a_sequential_dense b_mnist_cnn"
ONNX_MODELS="mlp cnn resnet embed view"
# The optimizers of optimizers.test (name|kiln --optimizer|numpy_trainer.py
# arguments), trained on TensorFlow.js's Dense model.
OPTIMIZERS=(
  "momentum|sgd:learning_rate=0.5,momentum=0.9|sgd learning_rate=0.5 momentum=0.9"
  "nesterov|sgd:learning_rate=0.5,momentum=0.9,nesterov=true|sgd learning_rate=0.5 momentum=0.9 nesterov=1"
  "adam|adam:learning_rate=0.05|adam learning_rate=0.05"
  "rmsprop|rmsprop:learning_rate=0.05|rmsprop learning_rate=0.05"
  "adagrad|adagrad:learning_rate=0.5|adagrad learning_rate=0.5"
)
GEMM_N=${GPU_CHECK_GEMM_N:-4096}

prepare() {
  local kiln=${KILN:-$ROOT/build/bin/kiln}
  rm -rf "$GPU_DIR"
  mkdir -p "$GPU_DIR/bin" "$GPU_DIR/lib" "$GPU_DIR/data"
  grep -qx '/.gpu/' .git/info/exclude 2>/dev/null ||
    echo '/.gpu/' >> .git/info/exclude
  for m in "${MODELS[@]}"; do
    "$kiln" compile "examples/fashion_mnist_$m.json" --target cuda \
      --gpu-arch "${GPU_ARCH:-sm_80,sm_90}" -o "$GPU_DIR/bin/$m"
  done
  # A GEMM as a model: one Dense N -> N without bias.
  /usr/bin/python3 - examples/fashion_mnist_mlp.json "$GPU_DIR/gemm.json" "$GEMM_N" <<'EOF2'
import json, sys
n = int(sys.argv[3])
m = json.load(open(sys.argv[1]))
m.pop("compile_config", None)
layers = m["config"]["layers"]
layers[0]["config"]["batch_shape"] = [None, n]
dense = layers[2]
# Zeros: the kernel's time does not depend on the values, and the 4 N^2
# bytes of weights each binary embeds compress away (carry takes 64 MiB).
dense["config"].update(name="gemm", units=n, activation="linear",
                       use_bias=False,
                       kernel_initializer={"class_name": "Zeros",
                                           "config": {}})
dense["build_config"]["input_shape"] = [None, n]
m["config"]["layers"] = [layers[0], dense]
m["config"]["name"] = "gemm"
json.dump(m, open(sys.argv[2], "w"))
EOF2
  # The GEMM with each tile shape of the matrix products (TILE:K_STEP).
  for shape in ${GPU_CHECK_GEMM_TILES:-64:16 128:8}; do
    "$kiln" compile "$GPU_DIR/gemm.json" --target cuda \
      --gpu-arch "${GPU_ARCH:-sm_80,sm_90}" \
      --gpu-matmul-tile "${shape%%:*}" --gpu-matmul-k-step "${shape##*:}" \
      -o "$GPU_DIR/bin/gemm.${shape/:/x}"
  done
  # Tensor cores: the GEMM, a Dense model with a reference that rounds,
  # and the CNN, in TF32 and BF16.
  mkdir -p "$GPU_DIR/dense"
  cp test/e2e/Inputs/large_dense_reference.py "$GPU_DIR/"
  /usr/bin/python3 "$GPU_DIR/large_dense_reference.py" make "$GPU_DIR/dense"
  for p in tf32 bf16; do
    local flags=(--target cuda --gpu-arch "${GPU_ARCH:-sm_80,sm_90}"
      --gpu-precision "$p")
    "$kiln" compile "$GPU_DIR/gemm.json" "${flags[@]}" -o "$GPU_DIR/bin/gemm.64x16.$p"
    "$kiln" compile "$GPU_DIR/dense/model.json" "${flags[@]}" -o "$GPU_DIR/bin/dense.$p"
    "$kiln" compile examples/fashion_mnist_cnn.json "${flags[@]}" -o "$GPU_DIR/bin/cnn.$p"
  done
  # The CNN with its convolution's input gradient as the CPU computes it
  # (a product and col2im) instead of a convolution (implicit GEMM).
  "$kiln" compile examples/fashion_mnist_cnn.json --target cuda \
    --gpu-arch "${GPU_ARCH:-sm_80,sm_90}" --gpu-conv-input-gradient fold \
    -o "$GPU_DIR/bin/cnn.fold"
  # The CNN with every product in square tiles (64 x 64), as before narrow
  # tiles (256 x 16, 128 x 32) for its 16- and 32-channel products.
  "$kiln" compile examples/fashion_mnist_cnn.json --target cuda \
    --gpu-arch "${GPU_ARCH:-sm_80,sm_90}" --gpu-matmul-narrow-tiles=false \
    -o "$GPU_DIR/bin/cnn.square"
  # TensorFlow.js's reference models, for predict and for training.
  local tfjs=test/e2e/Inputs/conformance/keras-tfjs m
  for m in $TFJS_MODELS; do
    "$kiln" compile "$tfjs/$m/model.json" --target cuda \
      --gpu-arch "${GPU_ARCH:-sm_80,sm_90}" -o "$GPU_DIR/bin/tfjs.$m"
  done
  for m in $TFJS_TRAINED; do
    "$kiln" compile "$tfjs/$m/train/model.json" --target cuda \
      --gpu-arch "${GPU_ARCH:-sm_80,sm_90}" -o "$GPU_DIR/bin/tfjs.$m.train"
  done
  # The optimizers of optimizers.test, on TensorFlow.js's Dense model.
  local o name flag args
  for o in "${OPTIMIZERS[@]}"; do
    IFS='|' read -r name flag args <<< "$o"
    "$kiln" compile "$tfjs/a_sequential_dense/train/model.json" --target cuda \
      --gpu-arch "${GPU_ARCH:-sm_80,sm_90}" --optimizer "$flag" \
      -o "$GPU_DIR/bin/tfjs.opt.$name"
  done
  gzip -1 "$GPU_DIR"/bin/tfjs.*
  # PyTorch's ONNX exports (make_torch_onnx.py, onnx_pytorch.test), with
  # PyTorch's outputs for their inputs.
  mkdir -p "$GPU_DIR/onnx"
  /usr/bin/python3 test/e2e/Inputs/make_torch_onnx.py "$GPU_DIR/onnx" 2> /dev/null
  for m in $ONNX_MODELS; do
    "$kiln" compile "$GPU_DIR/onnx/$m.onnx" --target cuda \
      --gpu-arch "${GPU_ARCH:-sm_80,sm_90}" -o "$GPU_DIR/bin/onnx.$m"
  done
  gzip -1 "$GPU_DIR"/bin/onnx.*
  # Every Keras 3 fixture, its binaries in one solid archive: they share
  # the runtime, which xz then stores once (60 MB in, about 3 MB out).
  local k3=$GPU_DIR/keras3
  mkdir -p "$k3"
  cp -r test/e2e/Inputs/keras3-* test/e2e/Inputs/keras3_sweep.py "$k3/"
  /usr/bin/python3 "$k3/keras3_sweep.py" compile "$kiln" "$k3/bin" \
    --target cuda --gpu-arch "${GPU_ARCH:-sm_80,sm_90}"
  tar cf - -C "$k3" bin | xz -9 > "$k3/bin.tar.xz"
  rm -r "$k3/bin"
  rm "$GPU_DIR/dense/x_many.npy"
  gzip -1 "$GPU_DIR"/bin/gemm.*
  cp "$(ldconfig -p | awk '/libomp\.so\.5 /{print $NF; exit}')" "$GPU_DIR/lib/"
  /usr/bin/python3 - "$GPU_DIR/data" <<'EOF'
import gzip, sys
import numpy as np
out = sys.argv[1]
base = "/usr/share/datasets/fashion-mnist/"
with gzip.open(base + "train-images-idx3-ubyte.gz") as f:
    x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 28, 28)
with gzip.open(base + "train-labels-idx1-ubyte.gz") as f:
    y = np.frombuffer(f.read(), np.uint8, offset=8)
np.save(out + "/x.npy", (x[:1000] / 255.0).astype(np.float32))
np.save(out + "/x_cnn.npy", (x[:1000, :, :, None] / 255.0).astype(np.float32))
np.save(out + "/y.npy", y[:1000].astype(np.float32))
EOF
  du -sh "$GPU_DIR"
}

# TensorFlow.js's reference models on the GPU, with the tolerances of the
# CPU's lit tests: their stored outputs (conformance_tfjs, batch_norm:
# 1e-5 absolute), and 5 epochs of training along their trajectories
# (train_conformance: losses and predictions after training, 1e-6 for the
# Dense model, 1e-5 for the CNN).
tfjs_conformance() {
  local work=$1 tfjs=$ROOT/test/e2e/Inputs/conformance/keras-tfjs m
  local failed=0 packed
  echo "== keras-tfjs conformance"
  for packed in "$GPU_DIR"/bin/tfjs.*.gz; do
    [ -e "$packed" ] && gunzip -f "$packed"
  done
  for m in $TFJS_MODELS; do
    local inputs=(--input "$tfjs/$m/x.npy")
    [ "$m" = e_functional_concat ] &&
      inputs=(--input "$tfjs/$m/x0.npy" --input "$tfjs/$m/x1.npy")
    "$GPU_DIR/bin/tfjs.$m" predict --device gpu "${inputs[@]}" \
      --output "$work/tfjs.$m.npy" || { failed=1; continue; }
    python3 - "$work/tfjs.$m.npy" "$tfjs/$m/y.npy" "$m" <<'EOF' || failed=1
import sys
import numpy as np
got, want = np.load(sys.argv[1]), np.load(sys.argv[2])
err = float(np.max(np.abs(got - want))) if got.shape == want.shape else float("inf")
print(f"tfjs {sys.argv[3]} predict on gpu: max abs err {err:.3g} <= 1e-05: "
      f"{'OK' if err <= 1e-5 else 'FAILED'}")
sys.exit(0 if err <= 1e-5 else 1)
EOF
  done
  for m in $TFJS_TRAINED; do
    local dir=$tfjs/$m/train tol=1e-6
    [ "$m" = b_mnist_cnn ] && tol=1e-5
    "$GPU_DIR/bin/tfjs.$m.train" train --device gpu \
      --data "$dir/x.npy,$dir/y.npy" --epochs 5 --batch-size 8 --no-shuffle \
      --verbose 0 --history "$work/tfjs.$m.history.json" \
      --save-weights "$work/tfjs.$m.kw" &&
      "$GPU_DIR/bin/tfjs.$m.train" predict --device gpu \
        --weights "$work/tfjs.$m.kw" --input "$dir/x.npy" \
        --output "$work/tfjs.$m.pred.npy" &&
      echo "tfjs $m training on gpu:" &&
      python3 "$ROOT/test/e2e/Inputs/check_training.py" \
        --history "$work/tfjs.$m.history.json" --losses "$dir/losses.json" \
        --rtol $tol --pred "$work/tfjs.$m.pred.npy" \
        --pred-ref "$dir/pred_after.npy" --atol $tol || failed=1
  done
  # 10 epochs along a NumPy trainer's losses (Keras's update rules).
  local o name flag args dir=$tfjs/a_sequential_dense/train
  for o in "${OPTIMIZERS[@]}"; do
    IFS='|' read -r name flag args <<< "$o"
    [ -x "$GPU_DIR/bin/tfjs.opt.$name" ] || continue
    echo "optimizer $name on gpu:"
    "$GPU_DIR/bin/tfjs.opt.$name" train --device gpu \
      --data "$dir/x.npy,$dir/y.npy" --epochs 10 --batch-size 8 \
      --no-shuffle --verbose 0 --history "$work/opt.$name.json" &&
      python3 "$ROOT/test/e2e/Inputs/numpy_trainer.py" "$dir" \
        "$work/opt.$name.json" $args || failed=1
  done
  return $failed
}

# PyTorch's ONNX exports on the GPU against PyTorch's own outputs, with
# onnx_pytorch.test's tolerance (1e-5).
onnx_models() {
  local work=$1 m packed failed=0
  echo "== onnx (PyTorch exports)"
  for packed in "$GPU_DIR"/bin/onnx.*.gz; do
    [ -e "$packed" ] && gunzip -f "$packed"
  done
  for m in $ONNX_MODELS; do
    [ -x "$GPU_DIR/bin/onnx.$m" ] || continue
    "$GPU_DIR/bin/onnx.$m" predict --device gpu \
      --input "$GPU_DIR/onnx/${m}_x.npy" --output "$work/onnx.$m.npy" &&
      echo "onnx $m predict on gpu: $(python3 \
        "$ROOT/test/e2e/Inputs/compare_npy.py" "$work/onnx.$m.npy" \
        "$GPU_DIR/onnx/${m}_y.npy")" || failed=1
  done
  return $failed
}

# The Keras 3 fixtures on the GPU against Keras's own numbers.
keras3_fixtures() {
  local work=$1 k3=$GPU_DIR/keras3
  [ -e "$k3/bin.tar.xz" ] || return 0
  echo "== keras3 fixtures"
  python3 -c "import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])" \
    "$k3/bin.tar.xz" "$work/keras3"
  python3 "$k3/keras3_sweep.py" --fixtures "$k3" check "$work/keras3/bin" \
    "$work/keras3/out" --device gpu
}

run() {
  local out=${OUT:-$GPU_DIR/out}
  mkdir -p "$out"
  export LD_LIBRARY_PATH=$GPU_DIR/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  local data=$GPU_DIR/data work
  work=$(mktemp -d)
  local failed=0
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv \
    > "$out/nvidia-smi.txt" 2>&1 || true
  "$GPU_DIR/bin/mlp" devices | tee "$out/devices.txt" || failed=1
  : > "$out/bench.jsonl"
  for m in "${MODELS[@]}"; do
    local bin=$GPU_DIR/bin/$m x=$data/x.npy
    [ "$m" = cnn ] && x=$data/x_cnn.npy
    echo "== $m"
    for d in cpu gpu; do
      "$bin" predict --device $d --input "$x" \
        --output "$work/$m.$d.npy" --batch-size 128 || failed=1
      "$bin" train --device $d --data "$x,$data/y.npy" --epochs 2 \
        --batch-size 100 --no-shuffle --seed 1 --verbose 2 \
        --history "$work/$m.$d.history.json" \
        --save-weights "$work/$m.$d.weights" || failed=1
      # Trained on $d, predicted on the CPU.
      "$bin" predict --device cpu --weights "$work/$m.$d.weights" \
        --input "$x" --output "$work/$m.$d.trained.npy" || failed=1
    done
    # The same on the GPU with CUDA graphs (KILN_GPU_GRAPHS=1, off by
    # default until this passes).
    KILN_GPU_GRAPHS=1 "$bin" predict --device gpu --input "$x" \
      --output "$work/$m.graphs.npy" --batch-size 128 || failed=1
    KILN_GPU_GRAPHS=1 "$bin" train --device gpu --data "$x,$data/y.npy" \
      --epochs 2 --batch-size 100 --no-shuffle --seed 1 --verbose 0 \
      --history "$work/$m.graphs.history.json" || failed=1
    python3 - "$work" "$m" <<'EOF' || failed=1
import json, sys
import numpy as np
work, m = sys.argv[1], sys.argv[2]
ok = True
def close(name, a, b, tol):
    global ok
    err = float(np.max(np.abs(a - b) / np.maximum(1.0, np.abs(b))))
    good = err <= tol
    ok &= good
    print(f"{m}: {name}: max rel diff {err:.3g} (tolerance {tol}) "
          f"{'ok' if good else 'FAILED'}")
close("predict gpu vs cpu", np.load(f"{work}/{m}.gpu.npy"),
      np.load(f"{work}/{m}.cpu.npy"), 1e-4)
hist = {d: json.load(open(f"{work}/{m}.{d}.history.json")) for d in ("cpu", "gpu")}
for key in hist["cpu"]:
    close(f"history {key}", np.array(hist["gpu"][key], float),
          np.array(hist["cpu"][key], float), 1e-3)
close("predict after training on gpu vs cpu",
      np.load(f"{work}/{m}.gpu.trained.npy"),
      np.load(f"{work}/{m}.cpu.trained.npy"), 1e-3)
# CUDA graphs replay the same kernels on the same buffers: the same bits.
close("predict with graphs vs without", np.load(f"{work}/{m}.graphs.npy"),
      np.load(f"{work}/{m}.gpu.npy"), 0.0)
graphs = json.load(open(f"{work}/{m}.graphs.history.json"))
for key in hist["gpu"]:
    close(f"history with graphs {key}", np.array(graphs[key], float),
          np.array(hist["gpu"][key], float), 0.0)
sys.exit(0 if ok else 1)
EOF
    for d in cpu gpu gpu-graphs; do
      for spec in "predict 1" "predict 128" "train_step 100"; do
        set -- $spec
        KILN_GPU_GRAPHS=$([ $d = gpu-graphs ] && echo 1 || echo 0) \
          "$bin" bench --device ${d%-graphs} --entry "$1" --batch-size "$2" \
          --seconds 1 --json | python3 -c "import json,sys; \
r=json.load(sys.stdin); r.update(model='$m', device='$d'); \
print(json.dumps(r))" | tee -a "$out/bench.jsonl" || failed=1
      done
    done
  done
  tfjs_conformance "$work" || failed=1
  onnx_models "$work" | tee "$out/onnx.txt" || failed=1
  grep -q FAILED "$out/onnx.txt" && failed=1
  keras3_fixtures "$work" | tee "$out/keras3.txt" || failed=1
  # GEMM N^3 on the GPU per tile shape: the kernel's own time
  # (KILN_GPU_PROFILE), without the host<->device copies of ./model bench;
  # the CNN's train step at batch 1024; then the PyTorch references
  # (cuBLAS, eager and torch.compile) on the same GPU.
  for packed in "$GPU_DIR"/bin/gemm.*.gz; do
    [ -e "$packed" ] || continue
    gunzip -f "$packed"
    local gemm=${packed%.gz}
    KILN_GPU_PROFILE=1 "$gemm" bench --device gpu --batch-size "$GEMM_N" \
      --seconds 2 --json 2> "$work/profile.txt" > /dev/null || failed=1
    python3 - "$work/profile.txt" "${gemm##*/gemm.}" "$GEMM_N" <<'EOF' | tee -a "$out/bench.jsonl" || failed=1
import json, re, sys
for line in open(sys.argv[1]):
    m = re.search(r"([0-9.]+) us/call\s+predict_matmul", line)
    if m:
        us = float(m.group(1))
        n = int(sys.argv[3])
        print(json.dumps({"model": f"gemm{n}", "tile": sys.argv[2],
                          "kernel_us": us,
                          "tflops": 2 * n**3 / (us * 1e-6) / 1e12}))
EOF
  done
  # --gpu-precision on the GPU: numbers against the rounding reference
  # and the CPU's training.
  for p in tf32 bf16; do
    [ -x "$GPU_DIR/bin/dense.$p" ] || continue
    echo "== $p"
    "$GPU_DIR/bin/dense.$p" predict --device gpu --input "$GPU_DIR/dense/x.npy" \
      --output "$work/dense.$p.npy" || failed=1
    python3 "$GPU_DIR/large_dense_reference.py" rounded "$GPU_DIR/dense" \
      "$work/dense.$p.npy" "$p" | tee -a "$out/precision.txt" || failed=1
    "$GPU_DIR/bin/cnn.$p" train --device gpu --data "$data/x_cnn.npy,$data/y.npy" \
      --epochs 2 --batch-size 100 --no-shuffle --seed 1 --verbose 0 \
      --history "$work/cnn.$p.history.json" || failed=1
    python3 - "$work/cnn.$p.history.json" "$work/cnn.cpu.history.json" "$p" <<'EOF' | tee -a "$out/precision.txt" || failed=1
import json, sys
got, want = (json.load(open(f))["loss"] for f in sys.argv[1:3])
err = max(abs(a - b) / abs(b) for a, b in zip(got, want))
print(f"cnn {sys.argv[3]} losses vs cpu fp32: {err:.3g} {'ok' if err <= 3e-3 else 'FAILED'}")
sys.exit(0 if err <= 3e-3 else 1)
EOF
  done
  # The CNN's train step, with the input gradient as a convolution (cnn),
  # as a product and col2im (cnn.fold), and in square tiles only
  # (cnn.square).
  for cnn in cnn cnn.fold cnn.square; do
    [ -x "$GPU_DIR/bin/$cnn" ] || continue
    echo "== $cnn train_step"
    "$GPU_DIR/bin/$cnn" bench --device gpu --entry train_step --batch-size 1024 \
      --seconds 2 --json | tee -a "$out/bench.jsonl" || failed=1
  done
  # Where the CNN's train step spends its time, kernel by kernel
  # (KILN_GPU_PROFILE: each launch synchronized and timed), at batch 100
  # and 1024: what the next session without a GPU works from.
  if [ -x "$GPU_DIR/bin/cnn" ]; then
    for b in 100 1024; do
      KILN_GPU_PROFILE=1 "$GPU_DIR/bin/cnn" bench --device gpu \
        --entry train_step --batch-size $b --seconds 1 --json > /dev/null \
        2> "$out/cnn.profile.$b.txt" || failed=1
    done
  fi
  # The recurrent models' train steps the same way at batch 100: 28 time
  # steps each way, launch-bound (the LSTM 12 kernels a time step, the
  # SimpleRNN's two layers 3 forward and 5 or 6 backward).
  for m in lstm rnn; do
    [ -x "$GPU_DIR/bin/$m" ] || continue
    KILN_GPU_PROFILE=1 "$GPU_DIR/bin/$m" bench --device gpu \
      --entry train_step --batch-size 100 --seconds 1 --json > /dev/null \
      2> "$out/$m.profile.100.txt" || failed=1
  done
  if [ -z "${GPU_CHECK_NO_TORCH:-}" ]; then
    timeout 240 python3 "$ROOT/tools/dev/gpu_torch_reference.py" \
      | tee "$out/torch.jsonl" || true
  fi
  rm -rf "$work"
  return $failed
}

case "${1:-}" in
prepare) prepare ;;
run) run ;;
*)
  echo "usage: $0 prepare|run" >&2
  exit 2
  ;;
esac
