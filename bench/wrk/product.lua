-- GET /v1/products/{random id}.   wrk -s bench/wrk/product.lua URL -- TOKENS_FILE MIN_ID MAX_ID
-- common.lua sits next to this script, wherever wrk is started from
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
package.path = dir .. "?.lua;" .. package.path
local common = require("common")
local min_id, max_id

function init(args)
    common.init(args)
    min_id, max_id = tonumber(args[2]), tonumber(args[3])
    assert(min_id and max_id and min_id <= max_id, "product id range missing")
end

function request()
    return wrk.format("GET", "/v1/products/" .. math.random(min_id, max_id), common.headers())
end
