-- soak.lua: wrk script of make soak (internal/soak). It cycles through the
-- request paths of a file, one per line (wrk ... -s soak.lua URL -- FILE),
-- as cmd/cardex-bench/urls.lua does: requests are formatted once, up
-- front, and each thread starts at its own place in the list. done()
-- prints the run's figures as one SOAKJSON line ("status" counts responses
-- that were not 2xx or 3xx; latencies in microseconds).
local reqs, n, i = {}, 0, 0
local threads = 0

setup = function(thread)
  thread:set("id", threads)
  threads = threads + 1
end

init = function(args)
  local f = assert(io.open(args[1], "r"))
  for line in f:lines() do
    if line ~= "" then
      n = n + 1
      reqs[n] = wrk.format("GET", line)
    end
  end
  f:close()
  i = ((id or 0) * 7919) % n
end

request = function()
  i = i % n + 1
  return reqs[i]
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'SOAKJSON {"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"p50_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
