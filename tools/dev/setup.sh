#!/usr/bin/env bash
# setup.sh - install every system package kiln's build, tests and demo need.
#
# Debian 12 only (apt). Idempotent: packages already present are left alone, so
# it is safe to re-run. Run as root (or with sudo available).
# Then the tests' Python virtual environment: $KILN_VENV (default
# /opt/kiln-venv, outside any build folder) from Debian's python3 with the
# pinned packages of tools/dev/venv-requirements.txt (PyPI: TensorBoard's own
# event reader). Remade only when that file changes.
set -euo pipefail
cd "$(dirname "$0")/../.."

PACKAGES=(
  # build
  cmake ninja-build g++ ccache
  # examples/app out of tree: CMake find_package and pkg-config + make
  pkg-config make
  # tools/dev/check.sh (LLVM style, .clang-format)
  clang-format
  # LLVM/MLIR 22 (shared libraries), lit + FileCheck, lld for fast links
  llvm-22-dev libmlir-22-dev mlir-22-tools llvm-22-tools lld-22
  # LLVM's OpenMP runtime: the threads of compiled parallel loops
  libomp5-14
  # frontend: HDF5 weights, .keras zip archives, gzip; ONNX (protobuf
  # classes and onnx::checker)
  libhdf5-dev libzip-dev zlib1g-dev libonnx-dev libprotobuf-dev
  # ./model serve: Boost.Beast/Asio (HTTP) and nlohmann-json, header-only
  libboost-dev nlohmann-json3-dev
  # tests and benchmarks; curl drives ./model serve, wrk loads it
  libgtest-dev libgmock-dev libbenchmark-dev curl wrk
  # memcheck over compiler passes (the sanitized build holds the runtime)
  valgrind
  # independent references in the tests (run with /usr/bin/python3)
  python3 python3-numpy python3-h5py python3-protobuf protobuf-compiler
  python3-requests
  # the ONNX backend node tests, ONNX's reference tools; PyTorch exports the
  # ONNX twins of reference models
  libonnx-testdata python3-onnx python3-torch
  # the tests' virtual environment (TensorBoard from PyPI)
  python3-venv
  # libFuzzer targets of the data readers (clang -fsanitize=fuzzer,address)
  clang-22 libclang-rt-22-dev
  # demo data
  dataset-fashion-mnist
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages already installed"
else
  export DEBIAN_FRONTEND=noninteractive
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get -o DPkg::Lock::Timeout=900 update -qq
  $SUDO apt-get -o DPkg::Lock::Timeout=900 install -y --no-install-recommends "${missing[@]}"
fi

# The virtual environment, stamped with the requirements it was made from.
VENV=${KILN_VENV:-/opt/kiln-venv}
REQUIREMENTS=tools/dev/venv-requirements.txt
if cmp -s "$REQUIREMENTS" "$VENV/kiln-requirements.txt"; then
  echo "setup: $VENV is up to date"
else
  echo "setup: making $VENV ($REQUIREMENTS)"
  if [ -e "$VENV" ] && [ ! -f "$VENV/pyvenv.cfg" ]; then
    echo "setup: $VENV exists and is not a virtual environment" >&2
    exit 1
  fi
  $SUDO rm -rf "$VENV"
  $SUDO /usr/bin/python3 -m venv "$VENV"
  $SUDO "$VENV/bin/pip" install --quiet --disable-pip-version-check \
    --no-input -r "$REQUIREMENTS"
  $SUDO cp "$REQUIREMENTS" "$VENV/kiln-requirements.txt"
fi
