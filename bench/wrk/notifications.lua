-- GET PATH with a token from TOKENS_FILE, e.g. /v1/notifications/counters,
-- /v1/notifications or /v1/notifications?cursor=...
--   wrk -s bench/wrk/notifications.lua URL -- TOKENS_FILE PATH
-- common.lua sits next to this script, wherever wrk is started from
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
package.path = dir .. "?.lua;" .. package.path
local common = require("common")

local path

function init(args)
    common.init(args)
    path = assert(args[2], "usage: wrk ... -s notifications.lua URL -- TOKENS_FILE PATH")
end

function request()
    return wrk.format("GET", path, common.headers())
end
