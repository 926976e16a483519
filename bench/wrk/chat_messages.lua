-- GET /v1/chats/{id}/messages[QUERY] of a random pair: a chat and a token of one of its
-- participants.   wrk -s bench/wrk/chat_messages.lua URL -- PAIRS_FILE [QUERY]
-- PAIRS_FILE lines are "CHAT_ID TOKEN [BEFORE]"; QUERY "before" adds ?before=BEFORE of the line
-- (a deep page), "floor" sends "?TOKEN" instead of the token (bench/floor.c's history page,
-- whose PAIRS_FILE lines are "CHAT_ID viewer=USER&role=ROLE"), anything else is appended as
-- given (e.g. "?limit=20").
-- common.lua sits next to this script, wherever wrk is started from
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
package.path = dir .. "?.lua;" .. package.path
local common = require("common")
local pairs_, query

function init(args)
    pairs_ = common.load_pairs(assert(args[1], "usage: wrk ... -s chat_messages.lua URL -- PAIRS_FILE [QUERY]"))
    query = args[2] or ""
end

function request()
    local p = pairs_[math.random(#pairs_)]
    local q = query
    if q == "before" then q = "?before=" .. assert(p.extra ~= "" and p.extra, "no BEFORE in the pairs file") end
    if q == "floor" then
        return wrk.format("GET", "/v1/chats/" .. p.chat .. "/messages?" .. p.token)
    end
    return wrk.format("GET", "/v1/chats/" .. p.chat .. "/messages" .. q,
                      { ["Authorization"] = "Bearer " .. p.token })
end
