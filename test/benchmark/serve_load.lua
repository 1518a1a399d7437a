-- serve_load.lua - wrk script: POST one TF Serving predict request
-- ($KILN_REQUEST, a JSON file) to the URL wrk is given, and print one JSON
-- line of throughput and latency (serve_load.sh reads it).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local file = assert(io.open(os.getenv("KILN_REQUEST"), "rb"))
wrk.body = file:read("*a")
file:close()

done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read +
      summary.errors.write + summary.errors.status + summary.errors.timeout
  io.write(string.format(
    'LOAD {"requests_per_second": %.1f, "p50_ms": %.3f, "p99_ms": %.3f, ' ..
    '"requests": %d, "errors": %d}\n',
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.requests, errors))
end
