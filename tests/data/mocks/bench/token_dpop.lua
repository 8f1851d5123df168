-- wrk script: as token.lua, each request with its own DPoP proof (RFC 9449
-- §4: a fresh jti per request, which the mock's replay cache enforces),
-- read from the file $DPOP_PROOFS (one proof per line, made beforehand by
-- scripts/bench_dpop_proofs.py). Thread k of $DPOP_THREADS (wrk -t) takes
-- lines k, k + n, k + 2n, ...
local proofs = {}
local nthreads = 0

setup = function(thread)
  nthreads = nthreads + 1
  thread:set("first", nthreads)
end

init = function(args)
  local step = tonumber(os.getenv("DPOP_THREADS") or "2")
  local i = 0
  for line in io.lines(os.getenv("DPOP_PROOFS")) do
    if i % step == first - 1 then
      proofs[#proofs + 1] = line
    end
    i = i + 1
  end
end

local next_i = 1
local non200 = 0
request = function()
  local p = proofs[next_i] or "exhausted"
  next_i = next_i + 1
  return wrk.format("POST", nil, {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Authorization"] = "Basic YmVuY2g6YmVuY2gtc2VjcmV0",
    ["DPoP"] = p }, "grant_type=client_credentials&scope=")
end

response = function(status, headers, body)
  if status ~= 200 then non200 = non200 + 1 end
end

done = function(summary, latency, requests)
  io.write(string.format("non-200 answers: %d\n", non200))
end
