-- wrk script of benchmarks.load: asks for the paths of a file, one a line, in turn (each
-- thread from its own line), counts the answers that are not 2xx, and prints one RESULT
-- line that benchmarks.load reads.
--
--     wrk -t THREADS -s benchmarks/load.lua [options] http://127.0.0.1:PORT -- PATHS_FILE THREADS

local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  paths = {}
  for line in io.lines(args[1]) do
    paths[#paths + 1] = line
  end
  -- The threads start far apart in the list, so they do not ask the same things together.
  position = math.floor(id * #paths / tonumber(args[2])) % #paths + 1
  non_2xx = 0
end

function request()
  local path = paths[position]
  position = position % #paths + 1
  return wrk.format("GET", path)
end

-- wrk itself counts only statuses of 400 and above as errors; a redirect is one here too.
function response(status, headers, body)
  if status < 200 or status > 299 then
    non_2xx = non_2xx + 1
  end
end

function done(summary, latency, requests)
  local non_2xx = 0
  for _, thread in ipairs(threads) do
    non_2xx = non_2xx + thread:get("non_2xx")
  end
  local errors = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d max_us=%d non_2xx=%d "
      .. "connect=%d read=%d write=%d timeout=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.max, non_2xx, errors.connect, errors.read, errors.write, errors.timeout
  ))
end
