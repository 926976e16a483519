-- POST /v1/orders of one random product, quantity 1 (bench/gen gives every product a stock
-- of at least 1000000, so it never runs out).
--   wrk -s bench/wrk/order.lua URL -- TOKENS_FILE MIN_PRODUCT_ID MAX_PRODUCT_ID
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
    local h = common.headers()
    h["Content-Type"] = "application/json"
    local body = string.format('{"items":[{"product_id":%d,"quantity":1}]}',
                               math.random(min_id, max_id))
    return wrk.format("POST", "/v1/orders", h, body)
end
