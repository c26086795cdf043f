-- wrk script for bench.notifications: POSTs each precomputed signed body once, in file order.
-- args: bodies file (one JSON body per line), sent log, done file, notification path.
-- Each request's body index and CLOCK_MONOTONIC send time go to the sent log; after the last
-- notification's answer the done file gets "first_send last_answer status:count ...", and the
-- thread stops. Requests past the last body are GET /healthz (not counted), so nothing is sent
-- twice. Run with one thread (-t1).
-- With the path "-" each line is "PATH<tab>SECRET<tab>BODY" instead (bench.platform_throughput:
-- a path per shop); a non-empty SECRET goes out as X-Telegram-Bot-Api-Secret-Token.
local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } wb_timespec;
int clock_gettime(int clk_id, wb_timespec *tp);
]]
local clock = ffi.new("wb_timespec")
local function now()
  ffi.C.clock_gettime(1, clock) -- CLOCK_MONOTONIC, as Python's time.monotonic()
  return tonumber(clock.tv_sec) + tonumber(clock.tv_nsec) * 1e-9
end

local bodies, paths, secrets, total, sent, answered = {}, {}, {}, 0, 0, 0
local statuses = {}
local sent_log, done_path, path, first
-- wrk calls request() once before the run to check the script and throws that request away;
-- the first call therefore gets a health check, so that no notification is lost to it.
local checked = false

function init(args)
  path = args[4]
  for line in io.lines(args[1]) do
    total = total + 1
    if path == "-" then
      local p, s, b = string.match(line, "^([^\t]*)\t([^\t]*)\t(.*)$")
      paths[total], secrets[total], bodies[total] = p, s, b
    else
      paths[total], secrets[total], bodies[total] = path, "", line
    end
  end
  sent_log = io.open(args[2], "w")
  sent_log:setvbuf("full")
  done_path = args[3]
end

function request()
  if not checked then
    checked = true
    return wrk.format("GET", "/healthz")
  end
  sent = sent + 1
  if sent > total then
    return wrk.format("GET", "/healthz")
  end
  local t = now()
  if first == nil then first = t end
  sent_log:write(sent, " ", string.format("%.6f", t), "\n")
  local headers = {["Content-Type"] = "application/json"}
  if secrets[sent] ~= "" then
    headers["X-Telegram-Bot-Api-Secret-Token"] = secrets[sent]
  end
  return wrk.format("POST", paths[sent], headers, bodies[sent])
end

function response(status, headers, body)
  if body and string.find(body, '"database"', 1, true) then
    return
  end
  answered = answered + 1
  statuses[status] = (statuses[status] or 0) + 1
  if answered == total then
    local t = now()
    sent_log:close()
    local f = io.open(done_path, "w")
    f:write(string.format("%.6f %.6f", first, t))
    for code, count in pairs(statuses) do
      f:write(" ", code, ":", count)
    end
    f:write("\n")
    f:close()
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  io.write(string.format(
    "WRKSTATS p50_us=%d p99_us=%d max_us=%d requests=%d errors_connect=%d errors_read=%d errors_timeout=%d\n",
    latency:percentile(50), latency:percentile(99), latency.max, summary.requests,
    summary.errors.connect, summary.errors.read, summary.errors.timeout))
end
