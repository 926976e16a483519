#!/usr/bin/env bash
# The README's "Integrator quick start", block by block, as written: each fenced block after a
# `<!-- quickstart:NAME -->` marker is taken from README.md and run (the shell blocks by bash,
# receiver.js by node), the only change being the receiver's port (9700 there, a free one here).
# Its own server allows the receiver's 127.0.0.1 and sends webhooks. Run by scripts/test.sh
# (DATABASE_URL and BIN exported). Prints "ok - ..." per check and "N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
ROOT=$PWD
. tests/plain.sh
plain_start quickstart

# block NAME: the fenced block after <!-- quickstart:NAME --> in README.md, port swapped
recv_port=$(free_port)
block() {
    awk -v m="<!-- quickstart:$1 -->" '
        $0 == m { armed = 1; next }
        armed && /^```/ { if (inside) exit; inside = 1; next }
        inside { print }' "$ROOT/README.md" | sed "s/9700/$recv_port/g"
}
for name in key receiver.js subscribe resume; do
    check "README has the quick start's $name block" test -n "$(block "$name")"
done

api_port=$(free_port)
# a retry after 1 s (the ping may go out before node listens) and the key's usual budget (the
# test servers' is 20 a minute)
SELLERDESK_PORT=$api_port SELLERDESK_WEBHOOK_SEND=true SELLERDESK_WEBHOOK_ALLOW_PRIVATE=true \
    SELLERDESK_WEBHOOK_INTERVAL_MS=100 SELLERDESK_WEBHOOK_BACKOFF=1 SELLERDESK_API_KEY_RATE=600 \
    "$BIN" serve >>"$TMP/server.log" 2>&1 &
pids+=($!)
BASE=http://127.0.0.1:$api_port
wait_http "$BASE/healthz" 30 >/dev/null

# where the walkthrough leaves off: a seller (and a buyer to make something happen)
n=$$$RANDOM
new_token() { # role -> "id token"
    local email="qs$n$1@test.sellerdesk.dev"
    local id=$(json "$BASE/v1/auth/register" -d "{\"email\":\"$email\",\"password\":\"quickstart-pw-1\",\"role\":\"$1\",\"display_name\":\"Q\"}" | jq -r .id)
    echo "$id $(json "$BASE/v1/auth/login" -d "{\"email\":\"$email\",\"password\":\"quickstart-pw-1\"}" | jq -r .access_token)"
}
read -r _ SELLER_TOKEN <<<"$(new_token seller)"
read -r _ BUYER_TOKEN <<<"$(new_token buyer)"

cd "$TMP" || exit 1
# 1. the key
eval "$(block key)"
check "1. the key block leaves an sdk_ key in SDK_KEY" test "${SDK_KEY:0:4}" = sdk_

# 2. the receiver, as a file next to where the subscribe block runs it
block receiver.js >receiver.js
check "2. receiver.js is valid JavaScript" node --check receiver.js

# 3. subscribe (starts the receiver in the background) and ping
eval "$(block subscribe)" >ping.json
pids+=($!) # the receiver: the block's last background job
check "3. the subscribe block leaves the webhook's id in HOOK_ID" test "$HOOK_ID" -gt 0
ping_queued() { jq -e '.type == "webhook.ping"' ping.json >/dev/null; }
check "3. the ping is queued" ping_queued
ping_seen() { grep -q '"type":"webhook.ping"' received.jsonl 2>/dev/null; }
check "3. the receiver prints the ping, its signature verified" until_true 10 ping_seen

# something happens: the buyer writes to the seller about a product
product=$(json "$BASE/v1/products" -H "Authorization: Bearer $SELLER_TOKEN" \
    -d "{\"offer_id\":\"QS-$n\",\"name\":\"Tea\",\"price\":100,\"stock\":5}" | jq -r .id)
chat=$(json "$BASE/v1/chats" -H "Authorization: Bearer $BUYER_TOKEN" \
    -d "{\"kind\":\"buyer_seller\",\"product_id\":$product}" | jq -r .id)
json "$BASE/v1/chats/$chat/messages" -H "Authorization: Bearer $BUYER_TOKEN" \
    -d '{"text":"Is the tea loose leaf?"}' >/dev/null
event_seen() { grep -q '"id":1,"type":"message.created"' received.jsonl 2>/dev/null; }
check "3. the receiver prints the message as event 1" until_true 10 event_seen
forged=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$recv_port/hooks" \
    -H 'X-Sellerdesk-Timestamp: 1' -H 'X-Sellerdesk-Signature: sha256=00' -d '{"id":9}')
check "2. the receiver refuses a forged delivery (401)" test "$forged" = 401
both_recorded() {
    test "$(json "$BASE/v1/webhooks/$HOOK_ID/deliveries" -H "Authorization: Bearer $SELLER_TOKEN" |
        jq '[.items[] | select(.status == "succeeded" and .last_status_code == 204)] | length')" = 2
}
check "3. the webhook's deliveries show both succeeded (204)" until_true 10 both_recorded

# 4. resume: the page, then the stream (which never ends: three seconds of it)
export BASE SDK_KEY
setsid bash -c "$(block resume)" >resume.out 2>&1 &
resume_pid=$!
sleep 3
kill -- -"$resume_pid" 2>/dev/null
wait "$resume_pid" 2>/dev/null
check "4. the catch-up page after 0 holds event 1" grep -q '"next_after":1' resume.out
check "4. the stream sends event 1 after Last-Event-ID 0" grep -q '^id: 1$' resume.out
check "4. as message.created" grep -q '^event: message.created$' resume.out

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
