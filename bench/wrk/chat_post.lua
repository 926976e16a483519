-- POST /v1/chats/{id}/messages of a random pair (a chat and a token of one of its
-- participants), a short text that differs on every request, so a seller's anti-spam rule
-- (the same text to many buyers) never fires; content safety passes it.
--   wrk -s bench/wrk/chat_post.lua URL -- PAIRS_FILE
-- common.lua sits next to this script, wherever wrk is started from
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
package.path = dir .. "?.lua;" .. package.path
local common = require("common")
local pairs_
local n = 0
local texts = {
    "Hello, any news about my parcel?",
    "Good afternoon! Is the order packed already?",
    "Thank you, we will ship it tomorrow morning.",
    "Could you confirm the colour before we send it?",
    "The courier says the delivery is planned for Friday.",
}

function init(args)
    pairs_ = common.load_pairs(assert(args[1], "usage: wrk ... -s chat_post.lua URL -- PAIRS_FILE"))
end

function request()
    local p = pairs_[math.random(#pairs_)]
    n = n + 1
    local body = string.format('{"text":"%s Note %d-%d-%d, thank you."}',
                               texts[1 + n % #texts], _G.thread_no or 0, n, math.random(1000000))
    return wrk.format("POST", "/v1/chats/" .. p.chat .. "/messages",
                      { ["Authorization"] = "Bearer " .. p.token, ["Content-Type"] = "application/json" },
                      body)
end
