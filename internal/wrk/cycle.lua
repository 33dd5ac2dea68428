-- cycle.lua: wrk script of make bench and make soak (package wrk). It
-- cycles through the request paths of a file, one per line (wrk ... -s
-- cycle.lua URL -- FILE [nocache]). Requests are formatted once, up front,
-- so that wrk spends no time on them during the run; each thread starts at
-- its own place in the list. With "nocache", every request gets a parameter
-- of its own (_bench=THREAD-N), which cardex ignores but which makes each
-- URL new to its response cache: the run measures the queries, not the
-- cache. done() prints the run's figures as one WRKJSON line (latencies in
-- microseconds; "status" counts responses that were not 2xx or 3xx).
local reqs, paths, n, i = {}, {}, 0, 0
local threads = 0
local nocache, count = false, 0

setup = function(thread)
  thread:set("id", threads)
  threads = threads + 1
end

init = function(args)
  local f = assert(io.open(args[1], "r"))
  for line in f:lines() do
    if line ~= "" then
      n = n + 1
      paths[n] = line
      reqs[n] = wrk.format("GET", line)
    end
  end
  f:close()
  nocache = args[2] == "nocache"
  i = ((id or 0) * 7919) % n
end

request = function()
  i = i % n + 1
  if not nocache then
    return reqs[i]
  end
  count = count + 1
  local p = paths[i]
  local sep = "?"
  if string.find(p, "?", 1, true) then
    sep = "&"
  end
  return wrk.format("GET", p .. sep .. "_bench=" .. (id or 0) .. "-" .. count)
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
