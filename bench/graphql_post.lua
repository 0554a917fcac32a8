-- wrk script: POSTs one GraphQL request body, again and again, on every connection.
--
--   EVENTFOLD_WRK_BODY=body.json wrk -t2 -c8 -d10s -s bench/graphql_post.lua http://127.0.0.1:8000/graphql
--
-- The body (JSON: query and variables) is read from the file EVENTFOLD_WRK_BODY names. Answers that
-- are not HTTP 200 or that carry GraphQL errors are counted, and at the end one JSON line gives the
-- requests, the seconds, the latency percentiles (microseconds) and those counts, for bench/wrk.py.

local file = assert(io.open(os.getenv("EVENTFOLD_WRK_BODY"), "r"))
wrk.method = "POST"
wrk.body = file:read("*a")
wrk.headers["Content-Type"] = "application/json"
file:close()

local threads = {}

function setup(thread)
   table.insert(threads, thread)
end

function init(args)
   failed = 0
end

function response(status, headers, body)
   if status ~= 200 or string.find(body, '"errors"', 1, true) then
      failed = failed + 1
   end
end

function done(summary, latency, requests)
   local failures = 0
   for _, thread in ipairs(threads) do
      failures = failures + thread:get("failed")
   end
   io.write(string.format(
      '{"requests": %d, "seconds": %f, "p50_us": %d, "p99_us": %d, "failed": %d, "socket_errors": %d}\n',
      summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(99), failures,
      summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
   ))
end
