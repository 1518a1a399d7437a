"""check_bench_json.py ENTRY BATCH ITERATIONS [THREADS] < bench.json: checks
one line
of `./model bench --json` against its contract (the keys and their types,
the entry, batch size, count and threads asked for (any positive count
without THREADS), ordered percentiles, and a
throughput that is the batch over the mean latency, within the timer's
rounding) and prints OK, else what is wrong."""
import json
import sys

entry, batch, iterations = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
threads = int(sys.argv[4]) if len(sys.argv) > 4 else None
lines = sys.stdin.read().splitlines()
assert len(lines) == 1, f"expected one line, got {len(lines)}"
r = json.loads(lines[0])
assert set(r) == {"entry", "batch_size", "threads", "iterations",
                  "latency_ms", "samples_per_second"}, sorted(r)
assert r["entry"] == entry and r["batch_size"] == batch, r
assert r["iterations"] == iterations, r
assert (r["threads"] == threads if threads else r["threads"] >= 1), r
lat = r["latency_ms"]
assert set(lat) == {"min", "p50", "p90", "p99"}, sorted(lat)
assert 0 < lat["min"] <= lat["p50"] <= lat["p90"] <= lat["p99"], lat
# Throughput: batch / mean latency, and the mean lies in [min, max].
mean_ms = batch * 1e3 / r["samples_per_second"]
assert lat["min"] * 0.999 <= mean_ms, (mean_ms, lat)
print("OK")
