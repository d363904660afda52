-- wrk script for bench/run.sh: POSTs a fixed body, or one picked at random from a pool.
--
--   wrk ... -s bench/post.lua URL -- body FILE CONTENT_TYPE [AUTHORIZATION]
--   wrk ... -s bench/post.lua URL -- pool FILE CONTENT_TYPE [AUTHORIZATION]
--
-- body: FILE is sent as is on every request (gzca and cfssl issue a new certificate, with a new
-- serial, for each copy of the same CSR). pool: FILE holds one hex-encoded body a line (DER OCSP
-- requests for random serials, bench/ocsp_pool.py), so no responder cache can serve them all.
-- done() prints one line, "BENCH key=value ...", that run.sh parses (times in microseconds).

-- wrk normally probes the address with a connect-and-close before the run. `openssl ocsp -port`
-- (OpenSSL 3.0) serves one connection at a time and stalls on a connection that sends nothing,
-- so the probe would block it for the whole run. Resolving without the probe is harmless for the
-- other servers: a refused connection still shows up as a connect error.
function wrk.resolve(host, service)
    wrk.addrs = wrk.lookup(host, service)
end

local reqs = {}

local function unhex(s)
    return (s:gsub("%s", ""):gsub("%x%x", function(h) return string.char(tonumber(h, 16)) end))
end

function init(args)
    local mode, file, content_type, auth = args[1], args[2], args[3], args[4]
    local headers = { ["Content-Type"] = content_type }
    if auth and auth ~= "" then headers["Authorization"] = auth end
    if mode == "pool" then
        for line in io.lines(file) do
            if line:match("%x") then reqs[#reqs + 1] = wrk.format("POST", nil, headers, unhex(line)) end
        end
    else
        local f = assert(io.open(file, "rb"))
        reqs[1] = wrk.format("POST", nil, headers, f:read("*a"))
        f:close()
    end
    assert(#reqs > 0, "bench/post.lua: nothing to send from " .. tostring(file))
    -- Threads start at the same time: seed each one differently.
    math.randomseed(os.time() + (tonumber(tostring(reqs):match("0x(%x+)") or "0", 16) % 1000003))
end

function request()
    if #reqs == 1 then return reqs[1] end
    return reqs[math.random(#reqs)]
end

function done(summary, latency, requests)
    local e = summary.errors
    io.write(string.format(
        "BENCH requests=%d duration_us=%d bytes=%d p50_us=%d p99_us=%d max_us=%d " ..
        "err_connect=%d err_read=%d err_write=%d err_timeout=%d err_status=%d\n",
        summary.requests, summary.duration, summary.bytes, latency:percentile(50),
        latency:percentile(99), latency.max, e.connect, e.read, e.write, e.timeout, e.status))
end
