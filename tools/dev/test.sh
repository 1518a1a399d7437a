#!/usr/bin/env bash
# test.sh - set up, build and run kiln's whole test suite (what CI runs).
#
# Installs system packages and the tests' Python environment
# (tools/dev/setup.sh), configures a Release build in build/, builds
# everything (compiler, runtime, tests, benchmarks, fuzz targets) and runs
# ctest: the lit suite (check-kiln: dialect, passes, codegen, frontend and
# end-to-end numerics), the runtime's GoogleTest suite and the fuzz targets
# (a few seconds each).
#
# Then the sanitizer subset: build-asan/ is configured with
# -DKILN_SANITIZE=address,undefined (ASan + UBSan, any report fails) and
# -DKILN_TOOLS_DIR=build/bin: it builds only the runtime archives, their
# GoogleTest suite and the fake CUDA driver, sanitized, and the tests
# labelled "sanitizer-subset" run: that suite, and lit tests in which
# build/'s kiln links models with those archives, then trains, predicts,
# serves and runs them on bad data (test/CMakeLists.txt). The whole suite
# runs under the sanitizers with
#   cmake -B build-asan -DKILN_SANITIZE=ON ... && ninja -C build-asan && ctest
# (test/README.md).
set -euo pipefail
cd "$(dirname "$0")/../.."

bash tools/dev/setup.sh
venv=(-DKILN_VENV="${KILN_VENV:-/opt/kiln-venv}")
cmake -G Ninja -S . -B build -DCMAKE_BUILD_TYPE=Release "${venv[@]}"
cmake --build build
(cd build && ctest --output-on-failure)

cmake -G Ninja -S . -B build-asan -DCMAKE_BUILD_TYPE=Release \
  -DKILN_SANITIZE=address,undefined -DKILN_TOOLS_DIR="$PWD/build/bin" \
  "${venv[@]}"
cmake --build build-asan
(cd build-asan && ctest --output-on-failure -L sanitizer-subset)
