-- wrk script for bench/http.ts: each request creates one job with POST /api/jobs.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local n = 0
request = function()
  n = n + 1
  return wrk.format(nil, nil, nil, '{"task":"bench","data":{"n":' .. n .. '}}')
end
