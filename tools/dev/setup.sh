#!/usr/bin/env bash
# setup.sh - install every system package kiln's build, tests and demo need.
#
# Debian 12 only (apt). Idempotent: packages already present are left alone, so
# it is safe to re-run. Run as root (or with sudo available).
set -euo pipefail

PACKAGES=(
  # build
  cmake ninja-build g++ ccache
  # tools/dev/check.sh (LLVM style, .clang-format)
  clang-format
  # LLVM/MLIR 22 (shared libraries), lit + FileCheck, lld for fast links
  llvm-22-dev libmlir-22-dev mlir-22-tools llvm-22-tools lld-22
  # frontend: HDF5 weights, .keras zip archives, gzip
  libhdf5-dev libzip-dev zlib1g-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  # independent references in the tests (run with /usr/bin/python3)
  python3 python3-numpy python3-h5py python3-protobuf protobuf-compiler
  # libFuzzer targets of the data readers (clang -fsanitize=fuzzer,address)
  clang-22 libclang-rt-22-dev
  # demo data
  dataset-fashion-mnist
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages already installed"
  exit 0
fi

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
echo "setup: installing ${missing[*]}"
$SUDO apt-get -o DPkg::Lock::Timeout=900 update -qq
$SUDO apt-get -o DPkg::Lock::Timeout=900 install -y --no-install-recommends "${missing[@]}"
