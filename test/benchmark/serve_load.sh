#!/usr/bin/env bash
# serve_load.sh - load ./model serve with wrk (issue 13's measurement).
#
#   test/benchmark/serve_load.sh [BUILD_DIR] [SECONDS]
#
# Compiles the tutorial's Fashion-MNIST MLP, then for 1, 16 and 64
# connections, without and with --enable_batching, runs wrk for SECONDS (5)
# against a fresh `./fashion serve` posting one-image predict requests
# (serve_load.lua), and prints requests/s, p50/p99 latency and the server's
# peak RSS; beside them, in the same run, the in-process predict throughput
# of the same model at batch 1 (./fashion bench): the cost of HTTP and JSON.
# Not part of the test suite (timings are not tests); the closing notes of
# issue 13 quote it.
set -euo pipefail
build=${1:-build}
seconds=${2:-5}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2> /dev/null || true; rm -rf "$work"' EXIT
here=$(cd "$(dirname "$0")" && pwd)
"$build/bin/kiln" compile "$here/../../examples/fashion_mnist_mlp.json" \
  -o "$work/fashion"
python3 -c "import json, random; random.seed(0); print(json.dumps({'instances': [[[random.random() for _ in range(28)] for _ in range(28)]]}))" \
  > "$work/request.json"
export KILN_REQUEST="$work/request.json"
threads=$(nproc)
echo "machine: $threads cores; request: one 28x28 image, $(wc -c < "$work/request.json") bytes of JSON"
"$work/fashion" bench --batch-size 1 --seconds 2 --json |
  python3 -c "import json, sys; b = json.load(sys.stdin); print('in-process predict, batch 1: %.0f samples/s (p50 %.4f ms)' % (b['samples_per_second'], b['latency_ms']['p50']))"
for batching in "" "--enable_batching"; do
  for connections in 1 16 64; do
    "$work/fashion" serve --rest_api_port 0 --host 127.0.0.1 $batching \
      --max_batch_size 64 --batch_timeout_micros 500 > "$work/serve.out" &
    pid=$!
    for _ in $(seq 100); do grep -q http "$work/serve.out" && break; sleep 0.1; done
    url=$(sed -n 's/.* at \(http[^ ]*\) .*/\1/p' "$work/serve.out")
    wrk -t "$(( connections < threads ? connections : threads ))" -c "$connections" -d "${seconds}s" \
      -s "$here/serve_load.lua" "$url:predict" > "$work/wrk.out"
    rss=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
    kill -TERM "$pid"; wait "$pid"
    python3 - "$work/wrk.out" "$connections" "${batching:-no batching}" "$rss" <<'PY'
import json, sys
line = [l for l in open(sys.argv[1]) if l.startswith("LOAD ")][0]
r = json.loads(line[5:])
print("%-17s %2s connections: %8.0f requests/s, p50 %.3f ms, p99 %.3f ms, "
      "%d errors, peak RSS %.1f MiB" % (sys.argv[3], sys.argv[2],
      r["requests_per_second"], r["p50_ms"], r["p99_ms"], r["errors"],
      int(sys.argv[4]) / 1024))
PY
  done
done
