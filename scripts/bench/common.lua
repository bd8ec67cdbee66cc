-- Shared part of the benchmark's wrk scripts (loaded with dofile by each of them).
--
-- At the end, done() prints one machine-readable line that scripts/bench/run.sh reads. Failed
-- responses are wrk's own count (status 400 or above): a Lua response() hook would run for every
-- response and slow wrk down, and wrk shares the machine's two cores with the server.
--
--   BENCH_RESULT {"requests":..., "rps":..., "p50_us":..., "p99_us":..., "non2xx":..., ...}
--
-- wrk gives every thread its own Lua state; setup() runs in the main state once per thread,
-- before the threads start, and done() runs in the main state after they have stopped.

local threads = {}

function setup(thread)
   table.insert(threads, thread)
   -- A small per-thread number (1, 2, ...), e.g. to make names unique across threads.
   thread:set("thread_id", #threads)
end

function done(summary, latency, requests)
   local non2xx = summary.errors.status
   local seconds = summary.duration / 1e6
   local errors = summary.errors
   io.write(string.format(
      'BENCH_RESULT {"requests":%d,"responses":%d,"duration_us":%d,"rps":%.2f,' ..
      '"mean_us":%.1f,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,' ..
      '"non2xx":%d,"statuses":{%s},' ..
      '"socket_errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d}}\n',
      summary.requests, summary.requests, summary.duration,
      seconds > 0 and summary.requests / seconds or 0,
      latency.mean, latency:percentile(50), latency:percentile(90),
      latency:percentile(99), latency.max,
      non2xx, "",
      errors.connect, errors.read, errors.write, errors.timeout))
end
