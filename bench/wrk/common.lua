-- Shared by the wrk scripts: a pool of access tokens (one per line of the file named by the
-- first script argument), one picked at random for each request, as from many buyers.
local common = {}
local tokens = {}

-- setup() runs in wrk's main Lua state; thread:set makes a global in each thread's state
local threads = 0
function setup(thread)
    threads = threads + 1
    thread:set("thread_no", threads)
end

function common.init(args)
    assert(args[1], "usage: wrk ... -s SCRIPT URL -- TOKENS_FILE [more args]")
    for line in io.lines(args[1]) do
        if #line > 0 then tokens[#tokens + 1] = line end
    end
    assert(#tokens > 0, "no tokens in " .. args[1])
    math.randomseed(os.time() * 1000 + (_G.thread_no or 0))
end

-- Pairs of a chat and a token of one of its participants, "CHAT_ID TOKEN [EXTRA]" per line
-- (bench/chats.sh writes them): requests go to that user's own chats.
function common.load_pairs(path)
    local pairs = {}
    for line in io.lines(path) do
        local chat, token, extra = line:match("^(%d+)%s+(%S+)%s*(%S*)")
        if chat then pairs[#pairs + 1] = { chat = chat, token = token, extra = extra } end
    end
    assert(#pairs > 0, "no chat/token pairs in " .. path)
    math.randomseed(os.time() * 1000 + (_G.thread_no or 0))
    return pairs
end

function common.headers()
    return { ["Authorization"] = "Bearer " .. tokens[math.random(#tokens)] }
end

return common
