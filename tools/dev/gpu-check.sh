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
#     (a Dense model; the kernel's time by default and per
#     --gpu-matmul-tile shape) and
#     the CNN's train step at batch 1024 on the GPU (and with
#     --gpu-conv-input-gradient fold: the input gradient as col2im; and
#     with --gpu-matmul-narrow-tiles=false: 64 x 64 tiles for its 16- and
#     32-channel products; without small tiles for its weight gradients
#     (cnn.nosmall); and with split-K and tiles as before 2026-12-04, at
#     most 64 splits (cnn.splits64); those two also at batch 100);
#   - --gpu-precision tf32 and bf16 (tensor-core mma.sync): a Dense model's
#     predictions against a NumPy reference that rounds the factors
#     (test/e2e/Inputs/large_dense_reference.py rounded), the CNN's
#     training losses within 3e-3 of the CPU's, infinities and NaNs
#     through the conversion instructions (special_values.py), and the GEMM's
#     kernel time in each precision (by default: wide 128 x 128 tiles;
#     and in 64 x 64 tiles, gemm.64x16.*);
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
#     (onnx_pytorch.test's 1e-5);
#   - the Keras training fixtures of keras_metrics, keras_losses and
#     keras_multi_output.test (every metric kind, loss and multi-output
#     configuration) evaluate and fit along Keras 3's numbers on the GPU
#     (1e-5 relative);
#   - every Keras 3 fixture (test/e2e/Inputs/keras3-*: recurrent cells,
#     embeddings, convolutions and pooling, merges, normalization) predicts
#     Keras's outputs and trains along Keras's trajectories on the GPU, with
#     the CPU tests' tolerances (keras3_sweep.py, as cuda_on_cpu_keras3
#     runs it on the CPU);
#   - the CNN's train step kernel by kernel (KILN_GPU_PROFILE) at batch
#     100 and 1024 (and cnn.nosmall's and cnn.splits64's at 1024), and the
#     LSTM's and the SimpleRNN's at batch 100, in
#     $OUT/profiles.txt;
#   - the PyTorch references on the same GPU (gpu_torch_reference.py):
#     cuBLAS GEMM (fp32, TF32, BF16) and the same CNN's train step, eager
#     and compiled, in $OUT/torch.jsonl (GPU_CHECK_NO_TORCH=1 skips them).
# Every numeric check's line is in $OUT/checks.txt, the GPU and driver in
# $OUT/devices.txt. Each section's start is printed with the seconds since
# `run` began. Run it as
#   bash tools/dev/gpu-check.sh run 2>&1 | tee $OUT/log.txt
# (the device tool brings back at most 8 files; `run` writes 5).
# It exits non-zero when a check fails, after running all of them: in
# `run`, every command that can fail sets `failed` instead of stopping
# (set -e would end the run at its first failure, and with it a device
# session's measurements).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
# GPU_CHECK_DIR: another folder, for a dry run on a copy (run gunzips in
# place).
GPU_DIR=${GPU_CHECK_DIR:-$ROOT/.gpu}
MODELS=(${GPU_CHECK_MODELS:-mlp cnn rnn lstm})
TFJS_MODELS="a_sequential_dense b_mnist_cnn c_simple_rnn d_stacked_rnn_cells
  e_functional_concat f_dense_bn_dropout"
TFJS_TRAINED="a_sequential_dense b_mnist_cnn"
ONNX_MODELS="mlp cnn resnet embed view"
# The Keras training fixtures (test/e2e/Inputs/DIR/NAME:EPOCHS) of
# keras_metrics, keras_losses and keras_multi_output.test.
KERAS_TRAINING="keras-metrics/sparse:2 keras-metrics/categorical:2
  keras-metrics/binary:2 keras-metrics/topk:2 keras-metrics/sparsetopk:2
  keras-metrics/precision:2 keras-metrics/auc:2 keras-metrics/logits:2
  keras-metrics/topk3:2 keras-metrics/sparsetopk2:2
  keras-losses/mae:3 keras-losses/mape:3
  keras-losses/msle:3 keras-losses/huber:3 keras-losses/log_cosh:3
  keras-losses/poisson:3 keras-losses/kld:3 keras-losses/hinge:3
  keras-losses/sq_hinge:3 keras-losses/cosine:3 keras-losses/cat_hinge:3
  keras-losses/cce_smooth:3 keras-losses/cce_smooth_relu:3
  keras-losses/bce_smooth:3 keras-losses/bce_smooth_logits:3
  keras-losses/bce_linear:3 keras-losses/bfocal:3
  keras-losses/bfocal_balanced:3 keras-losses/bfocal_linear:3
  keras-losses/cfocal:3 keras-losses/cfocal_logits:3
  keras-multi-output/dict:3
  keras-multi-output/list:3 keras-multi-output/flat:3
  keras-multi-output/nolist:3 keras-multi-output/nodict:3
  keras-multi-output/keras2:3"
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
  # The GEMM as kiln compiles it by default (gemm.default: wide tiles,
  # 128 x 128 staged 8 steps, from 256 of them; the host picks per launch)
  # and with each tile shape of the matrix products given (TILE:K_STEP:
  # that tiling for every product).
  "$kiln" compile "$GPU_DIR/gemm.json" --target cuda \
    --gpu-arch "${GPU_ARCH:-sm_80,sm_90}" -o "$GPU_DIR/bin/gemm.default"
  for shape in ${GPU_CHECK_GEMM_TILES:-64:16 128:8}; do
    "$kiln" compile "$GPU_DIR/gemm.json" --target cuda \
      --gpu-arch "${GPU_ARCH:-sm_80,sm_90}" \
      --gpu-matmul-tile "${shape%%:*}" --gpu-matmul-k-step "${shape##*:}" \
      -o "$GPU_DIR/bin/gemm.${shape/:/x}"
  done
  # Tensor cores: the GEMM, a Dense model with a reference that rounds,
  # and the CNN, in TF32 and BF16.
  mkdir -p "$GPU_DIR/dense" "$GPU_DIR/special"
  cp test/e2e/Inputs/large_dense_reference.py test/e2e/Inputs/special_values.py \
    "$GPU_DIR/"
  /usr/bin/python3 "$GPU_DIR/large_dense_reference.py" make "$GPU_DIR/dense"
  # Infinities and NaNs through the GPU's conversion instructions.
  /usr/bin/python3 "$GPU_DIR/special_values.py" make "$GPU_DIR/special"
  for p in tf32 bf16; do
    local flags=(--target cuda --gpu-arch "${GPU_ARCH:-sm_80,sm_90}"
      --gpu-precision "$p")
    # By default (wide tiles: 128 x 128, a warp's 64 x 32) and in the
    # 64 x 64 tiles that were the tensor cores' only ones until 2026-12-05.
    "$kiln" compile "$GPU_DIR/gemm.json" "${flags[@]}" -o "$GPU_DIR/bin/gemm.default.$p"
    "$kiln" compile "$GPU_DIR/gemm.json" "${flags[@]}" --gpu-matmul-tile 64 \
      --gpu-matmul-k-step 16 -o "$GPU_DIR/bin/gemm.64x16.$p"
    "$kiln" compile "$GPU_DIR/dense/model.json" "${flags[@]}" -o "$GPU_DIR/bin/dense.$p"
    "$kiln" compile "$GPU_DIR/special/special.json" "${flags[@]}" -o "$GPU_DIR/bin/special.$p"
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
  # The CNN with split-K and tiles as they were until 2026-12-04 (256
  # target blocks, at most 64 splits, no small tiles): its weight
  # gradients ran latency-bound on the H200, 64 blocks of one 64 x 64 tile
  # each, about 1 us per staged step of k.
  "$kiln" compile examples/fashion_mnist_cnn.json --target cuda \
    --gpu-arch "${GPU_ARCH:-sm_80,sm_90}" --gpu-split-k-target-blocks 256 \
    --gpu-split-k-max-splits 64 --gpu-matmul-small-tiles=false \
    -o "$GPU_DIR/bin/cnn.splits64"
  # The CNN with today's split-K but without small tiles: the first
  # convolution's 9 x 16 weight gradient in 64 x 64 tiles staged 16 steps
  # of k, not 32 x 32 ones staged 32.
  "$kiln" compile examples/fashion_mnist_cnn.json --target cuda \
    --gpu-arch "${GPU_ARCH:-sm_80,sm_90}" --gpu-matmul-small-tiles=false \
    -o "$GPU_DIR/bin/cnn.nosmall"
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
  # The Keras training fixtures, in one solid archive as below.
  local kt=$GPU_DIR/ktrain f src
  mkdir -p "$kt/bin"
  for f in $KERAS_TRAINING; do
    f=${f%%:*}
    src=test/e2e/Inputs/$f.keras
    [ -e "$src" ] || src=test/e2e/Inputs/$f.h5
    "$kiln" compile "$src" --target cuda --gpu-arch "${GPU_ARCH:-sm_80,sm_90}" \
      -o "$kt/bin/${f/\//.}"
  done
  tar cf - -C "$kt" bin | xz -9 > "$kt/bin.tar.xz"
  rm -r "$kt/bin"
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
np.save(out + "/y.npy", y[:1000].astype(np.float32))
EOF
  # The binaries in one solid archive: they share the runtime, and the two
  # precisions of the Dense model share its weights, which xz then stores
  # once (the carry limit is 64 MiB, the repository's files included).
  tar cf - -C "$GPU_DIR" bin | xz -9 -T2 > "$GPU_DIR/bin.tar.xz"
  rm -r "$GPU_DIR/bin"
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
  python3 -c "import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])" \
    "$k3/bin.tar.xz" "$work/keras3"
  python3 "$k3/keras3_sweep.py" --fixtures "$k3" check "$work/keras3/bin" \
    "$work/keras3/out" --device gpu
}

# The Keras training fixtures of keras_metrics, keras_losses and
# keras_multi_output.test on the GPU: evaluate over uneven batches (5, 5,
# 2) and fit's history against Keras 3's, with those tests' tolerance
# (1e-5 relative): every metric kind, loss and multi-output configuration.
keras_training() {
  local work=$1 kt=$GPU_DIR/ktrain inputs=$ROOT/test/e2e/Inputs f
  local failed=0
  [ -e "$kt/bin.tar.xz" ] || return 0
  python3 -c "import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])" \
    "$kt/bin.tar.xz" "$work/ktrain"
  for f in $KERAS_TRAINING; do
    local name=${f%%:*} epochs=${f##*:}
    local d=$inputs/$name bin=$work/ktrain/bin/${name/\//.}
    local data=$d.x.npy,$d.y.npy
    [ -e "$d.y.npy" ] || data=$d.x.npy,$d.a.npy,$d.b.npy
    echo "$name on gpu:"
    # evaluate and fit each, whether or not the other passed.
    if "$bin" evaluate --device gpu --data "$data" --batch-size 5 \
      --verbose 0 > "$work/ktrain/evaluate.txt"; then
      python3 "$inputs/check_training.py" --evaluate "$work/ktrain/evaluate.txt" \
        --evaluate-ref "$d.evaluate.json" --rtol 1e-5 || failed=1
    else
      failed=1
    fi
    if "$bin" train --device gpu --data "$data" --epochs "$epochs" \
      --batch-size 5 --no-shuffle --verbose 0 \
      --history "$work/ktrain/history.json"; then
      python3 "$inputs/check_training.py" --history "$work/ktrain/history.json" \
        --history-ref "$d.history.json" --rtol 1e-5 || failed=1
    else
      failed=1
    fi
  done
  return $failed
}

# A section's start, with the seconds since `run` began: where a device
# call's time went, and how far a run cut off at its limit got.
section() {
  echo "== [${SECONDS}s] $*"
}

# The example models: GPU against CPU in predict and 2 epochs of training,
# weights trained on the GPU predicted on the CPU, CUDA graphs bit for bit,
# and ./model bench on each device.
example_models() {
  local work=$1 out=$2 data=$GPU_DIR/data m failed=0
  for m in "${MODELS[@]}"; do
    local bin=$GPU_DIR/bin/$m x=$data/x.npy
    [ "$m" = cnn ] && x=$data/x_cnn.npy
    section "$m"
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
    python3 - "$work" "$m" <<'EOF' | tee -a "$out/checks.txt" || failed=1
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
  return $failed
}

# GEMM N^3 on the GPU per tile shape and precision: the kernel's own time
# (KILN_GPU_PROFILE), without the host<->device copies of ./model bench;
# then the CNN's train step at batch 1024, with the input gradient as a
# convolution (cnn), as a product and col2im (cnn.fold), and in square
# tiles only (cnn.square).
gpu_benchmarks() {
  local work=$1 out=$2 packed cnn failed=0
  section "gemm ${GEMM_N}^3 per tile shape and precision"
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
  local spec
  for spec in cnn:1024 cnn.fold:1024 cnn.square:1024 cnn.nosmall:1024 \
    cnn.splits64:1024 cnn.nosmall:100 cnn.splits64:100; do
    cnn=${spec%%:*}
    [ -x "$GPU_DIR/bin/$cnn" ] || continue
    section "$cnn train_step at batch ${spec##*:}"
    "$GPU_DIR/bin/$cnn" bench --device gpu --entry train_step \
      --batch-size "${spec##*:}" --seconds 2 --json | python3 -c "import json,sys; \
r=json.load(sys.stdin); r.update(model='$cnn', device='gpu'); \
print(json.dumps(r))" | tee -a "$out/bench.jsonl" || failed=1
  done
  return $failed
}

# --gpu-precision on the GPU: numbers against the rounding reference and
# the CPU's training (example_models wrote cnn.cpu.history.json).
precision_checks() {
  local work=$1 out=$2 data=$GPU_DIR/data p failed=0
  for p in tf32 bf16; do
    [ -x "$GPU_DIR/bin/dense.$p" ] || continue
    section "$p"
    "$GPU_DIR/bin/dense.$p" predict --device gpu --input "$GPU_DIR/dense/x.npy" \
      --output "$work/dense.$p.npy" || failed=1
    python3 "$GPU_DIR/large_dense_reference.py" rounded "$GPU_DIR/dense" \
      "$work/dense.$p.npy" "$p" | tee -a "$out/checks.txt" || failed=1
    "$GPU_DIR/bin/special.$p" predict --device gpu \
      --input "$GPU_DIR/special/special_x.npy" --output "$work/special.$p.npy" \
      || failed=1
    python3 "$GPU_DIR/special_values.py" check "$work/special.$p.npy" \
      | sed "s/^/$p /" | tee -a "$out/checks.txt" || failed=1
    "$GPU_DIR/bin/cnn.$p" train --device gpu --data "$data/x_cnn.npy,$data/y.npy" \
      --epochs 2 --batch-size 100 --no-shuffle --seed 1 --verbose 0 \
      --history "$work/cnn.$p.history.json" || failed=1
    python3 - "$work/cnn.$p.history.json" "$work/cnn.cpu.history.json" "$p" <<'EOF' | tee -a "$out/checks.txt" || failed=1
import json, sys
got, want = (json.load(open(f))["loss"] for f in sys.argv[1:3])
err = max(abs(a - b) / abs(b) for a, b in zip(got, want))
print(f"cnn {sys.argv[3]} losses vs cpu fp32: {err:.3g} {'ok' if err <= 3e-3 else 'FAILED'}")
sys.exit(0 if err <= 3e-3 else 1)
EOF
  done
  return $failed
}

# Where the train steps spend their time, kernel by kernel
# (KILN_GPU_PROFILE: each launch synchronized and timed), in one file: the
# CNN at batch 100 and 1024, and the recurrent models at batch 100 (28 time
# steps each way, launch-bound: the LSTM 12 kernels a time step, the
# SimpleRNN's two layers 3 forward and 5 or 6 backward). What the next
# session without a GPU works from.
profiles() {
  local out=$1 spec failed=0
  section "profiles"
  for spec in cnn:100 cnn:1024 cnn.nosmall:1024 cnn.splits64:1024 lstm:100 \
    rnn:100; do
    local m=${spec%%:*} b=${spec##*:}
    [ -x "$GPU_DIR/bin/$m" ] || continue
    echo "### $m train_step, batch $b" >> "$out/profiles.txt"
    KILN_GPU_PROFILE=1 "$GPU_DIR/bin/$m" bench --device gpu \
      --entry train_step --batch-size "$b" --seconds 1 --json > /dev/null \
      2>> "$out/profiles.txt" || failed=1
  done
  return $failed
}

# What comes back from a device call is at most 8 files, so `run` writes
# seven to $OUT: devices.txt, bench.jsonl, checks.txt (every numeric
# check's line), profiles.txt, torch.jsonl, verdict.txt (the issue's goals
# as ratios, and keep-or-revert for each default not yet timed:
# tools/dev/gpu_verdict.py), and the caller's log (tee).
# The figures come first (the example models, the GEMM and the CNN against
# PyTorch), then the conformance sweeps: a run cut off at the device
# call's limit still has what it measured.
run() {
  local out=${OUT:-$GPU_DIR/out}
  mkdir -p "$out"
  export LD_LIBRARY_PATH=$GPU_DIR/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  local work
  work=$(mktemp -d)
  local failed=0
  section "unpacking"
  python3 - "$GPU_DIR" <<'EOF'
import sys, tarfile
import numpy as np
d = sys.argv[1]
tarfile.open(d + "/bin.tar.xz").extractall(d)
# The CNN's images: x.npy with a channel axis.
np.save(d + "/data/x_cnn.npy", np.load(d + "/data/x.npy")[..., None])
EOF
  : > "$out/bench.jsonl"
  : > "$out/checks.txt"
  : > "$out/profiles.txt"
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm \
    --format=csv > "$out/devices.txt" 2>&1 || true
  "$GPU_DIR/bin/mlp" devices | tee -a "$out/devices.txt" || failed=1
  example_models "$work" "$out" || failed=1
  gpu_benchmarks "$work" "$out" || failed=1
  if [ -z "${GPU_CHECK_NO_TORCH:-}" ]; then
    section "PyTorch references"
    timeout 200 python3 "$ROOT/tools/dev/gpu_torch_reference.py" \
      | tee "$out/torch.jsonl" || true
  fi
  precision_checks "$work" "$out" || failed=1
  section "keras-tfjs conformance"
  tfjs_conformance "$work" | tee -a "$out/checks.txt" || failed=1
  section "onnx (PyTorch exports)"
  onnx_models "$work" > "$work/onnx.txt" || failed=1
  tee -a "$out/checks.txt" < "$work/onnx.txt"
  grep -q FAILED "$work/onnx.txt" && failed=1
  section "keras training fixtures (evaluate and fit)"
  keras_training "$work" | tee -a "$out/checks.txt" || failed=1
  section "keras3 fixtures"
  keras3_fixtures "$work" | tee -a "$out/checks.txt" || failed=1
  profiles "$out" || failed=1
  section "the goals and the A/B choices"
  python3 "$ROOT/tools/dev/gpu_verdict.py" "$out/bench.jsonl" \
    "$out/torch.jsonl" | tee "$out/verdict.txt" || failed=1
  section "done ($([ $failed = 0 ] && echo 'every check passed' || echo 'a check FAILED'))"
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
