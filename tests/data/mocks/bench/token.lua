-- wrk script: client_credentials token requests with client_secret_basic
-- (id "bench", secret "bench-secret": RFC 6749 §2.3.1 form-urlencoded,
-- then base64).
wrk.method = "POST"
wrk.body = "grant_type=client_credentials&scope="
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic YmVuY2g6YmVuY2gtc2VjcmV0"

local non200 = 0
response = function(status, headers, body)
  if status ~= 200 then non200 = non200 + 1 end
end

done = function(summary, latency, requests)
  io.write(string.format("non-200 answers: %d\n", non200))
end
