-- GET /v1/me.   wrk -s bench/wrk/me.lua URL -- TOKENS_FILE
-- common.lua sits next to this script, wherever wrk is started from
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
package.path = dir .. "?.lua;" .. package.path
local common = require("common")

function init(args)
    common.init(args)
end

function request()
    return wrk.format("GET", "/v1/me", common.headers())
end
