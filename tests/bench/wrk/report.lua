-- wrk's summary as one JSON line on stdout (latencies in ms): what tests/bench/wrk.py reads.
return function(summary, latency, requests)
  local bad = summary.errors.status + summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout
  io.write(string.format(
    '{"requests":%d,"errors":%d,"seconds":%f,"p50":%f,"p99":%f}\n',
    summary.requests, bad, summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
