-- Shared part of the benchmark's wrk scripts (loaded with dofile by each of them).
--
-- Every thread counts its responses by HTTP status; at the end, done() adds the threads'
-- counts up and prints one machine-readable line that scripts/bench/run.sh reads:
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

-- Per thread: responses seen, by status code.
statuses = {}

function response(status, headers, body)
   statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
   local totals = {}
   local non2xx = 0
   local counted = 0
   for _, thread in ipairs(threads) do
      local seen = thread:get("statuses") or {}
      for status, count in pairs(seen) do
         totals[status] = (totals[status] or 0) + count
         counted = counted + count
         if status < 200 or status > 299 then
            non2xx = non2xx + count
         end
      end
   end

   local codes = {}
   for status in pairs(totals) do
      table.insert(codes, status)
   end
   table.sort(codes)
   local by_status = {}
   for _, status in ipairs(codes) do
      table.insert(by_status, string.format('"%d":%d', status, totals[status]))
   end

   local seconds = summary.duration / 1e6
   local errors = summary.errors
   io.write(string.format(
      'BENCH_RESULT {"requests":%d,"responses":%d,"duration_us":%d,"rps":%.2f,' ..
      '"mean_us":%.1f,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,' ..
      '"non2xx":%d,"statuses":{%s},' ..
      '"socket_errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d}}\n',
      summary.requests, counted, summary.duration,
      seconds > 0 and summary.requests / seconds or 0,
      latency.mean, latency:percentile(50), latency:percentile(90),
      latency:percentile(99), latency.max,
      non2xx, table.concat(by_status, ","),
      errors.connect, errors.read, errors.write, errors.timeout))
end
