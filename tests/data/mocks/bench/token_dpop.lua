-- wrk script: as token.lua, each request with its own DPoP proof (RFC 9449
-- §4: a fresh jti per request, which the mock's replay cache enforces),
-- read from the file $DPOP_PROOFS (one proof per line, made beforehand by
-- scripts/bench_dpop_proofs.py). Threads take disjoint lines.
local proofs = {}
local next_i = 1
step = 1 -- a global: setup() sets it in every thread
local threads = {}

setup = function(thread)
  thread:set("first", #threads + 1)
  table.insert(threads, thread)
  for _, t in ipairs(threads) do t:set("step", #threads) end
end

init = function(args)
  for line in io.lines(os.getenv("DPOP_PROOFS")) do
    proofs[#proofs + 1] = line
  end
  next_i = first
end

local non200 = 0
request = function()
  local p = proofs[next_i] or proofs[1]
  next_i = next_i + step
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
