-- wrk script: every request carries the session cookie of one of many logged-in sessions
-- (one cookie per line in the file named by GZCA_COOKIES), round-robin per connection.
local cookies = {}
for line in io.lines(os.getenv("GZCA_COOKIES")) do
    if #line > 0 then cookies[#cookies + 1] = line end
end
local counter = 0

setup = function(thread)
    thread:set("offset", counter)
    counter = counter + 1
end

local n = 0
request = function()
    n = n + 1
    local cookie = cookies[((offset or 0) * 7919 + n) % #cookies + 1]
    return wrk.format("GET", nil, { ["Cookie"] = "gzca_sid=" .. cookie })
end
