-- wrk script of bench/server: posts one fixed KServe v2 inference request body on every connection and prints a
-- one-line JSON summary (prefix WRKJSON) with latency percentiles in microseconds.
--
--   BODY_FILE=req.bin HEADER_LENGTH=123 wrk -t1 -c8 -d6s -s infer.lua http://127.0.0.1:8000/v2/models/m/infer
--
-- HEADER_LENGTH set: a binary-tensor body (Triton's Inference-Header-Content-Length); empty or unset: a JSON body.
local path = assert(os.getenv("BODY_FILE"), "set BODY_FILE")
local file = assert(io.open(path, "rb"))
local body = file:read("*all")
file:close()

wrk.method = "POST"
wrk.body = body
local header_length = os.getenv("HEADER_LENGTH")
if header_length and header_length ~= "" then
  wrk.headers["Content-Type"] = "application/octet-stream"
  wrk.headers["Inference-Header-Content-Length"] = header_length
else
  wrk.headers["Content-Type"] = "application/json"
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"bytes":%d,"errors_connect":%d,"errors_read":%d,"errors_write":%d,' ..
    '"errors_status":%d,"errors_timeout":%d,"mean_us":%.1f,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
