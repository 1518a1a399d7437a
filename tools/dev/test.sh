#!/usr/bin/env bash
# test.sh - set up, build and run kiln's whole test suite (what CI runs).
#
# Installs system packages (tools/dev/setup.sh), configures a Release build in
# build/, builds everything (compiler, runtime, tests, benchmarks) and runs
# ctest: the lit suite (check-kiln: dialect, passes, codegen, frontend and
# end-to-end numerics) and the runtime's GoogleTest suite.
set -euo pipefail
cd "$(dirname "$0")/../.."

bash tools/dev/setup.sh
cmake -G Ninja -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build
cd build
ctest --output-on-failure
