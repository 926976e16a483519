#!/usr/bin/env bash
# Push and e-mail delivery against real local receivers: a push gateway that checks the
# signature (tests/delivery/push_receiver.py) and Debian's aiosmtpd as the SMTP relay. Two
# sellerdesk processes share the outbox. Run by scripts/test.sh (DATABASE_URL, BIN, SD_BASE_URL
# exported; the main server there has no channels configured, so its deliveries are skipped).
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
PY=/usr/bin/python3
. tests/plain.sh
plain_start delivery

SECRET=push-secret-for-tests-0123456789
push_port=$(free_port) smtp_port=$(free_port) api1=$(free_port) api2=$(free_port)
$PY tests/delivery/push_receiver.py "$push_port" "$SECRET" "$TMP/push.jsonl" & pids+=($!)
$PY -m aiosmtpd -n -l "127.0.0.1:$smtp_port" -c aiosmtpd.handlers.Mailbox "$TMP/maildir" & pids+=($!)
touch "$TMP/push.jsonl"
start_server() { # port -> pid in $server_pid
    SELLERDESK_PORT=$1 SELLERDESK_PUSH_URL="http://127.0.0.1:$push_port/push" \
    SELLERDESK_PUSH_SECRET=$SECRET SELLERDESK_SMTP_URL="smtp://127.0.0.1:$smtp_port" \
    SELLERDESK_DELIVERY_INTERVAL_MS=100 SELLERDESK_DELIVERY_BACKOFF=1 \
    SELLERDESK_DELIVERY_TIMEOUT_MS=1000 SELLERDESK_DELIVERY_MAX_ATTEMPTS=3 \
        "$BIN" serve >>"$TMP/server-$1.log" 2>&1 &
    server_pid=$!
    wait_http "http://127.0.0.1:$1/healthz" 30 >/dev/null
}
start_server "$api1"; s1=$server_pid; pids+=($s1)
start_server "$api2"; s2=$server_pid; pids+=($s2)
API=http://127.0.0.1:$api1
mode() { json "http://127.0.0.1:$push_port/mode" -d "{\"mode\":\"$1\",\"times\":${2:-1}}" >/dev/null; }

# a buyer who wants e-mail too, a seller, and one order per scenario
n=$$
new_user() { # role -> "id token email"
    local email="deliv$n$RANDOM$1@test.sellerdesk.dev"
    local id=$(json "$API/v1/auth/register" -d "{\"email\":\"$email\",\"password\":\"delivery-pw-1\",\"role\":\"$1\",\"display_name\":\"D\"}" | jq -r .id)
    local tok=$(json "$API/v1/auth/login" -d "{\"email\":\"$email\",\"password\":\"delivery-pw-1\"}" | jq -r .access_token)
    echo "$id $tok $email"
}
read -r buyer btok bemail <<<"$(new_user buyer)"
read -r seller stok semail <<<"$(new_user seller)"
product=$(json "$API/v1/products" -H "Authorization: Bearer $stok" -d '{"offer_id":"DLV-1","name":"Box","price":100,"stock":100}' | jq -r .id)
json -X PATCH "$API/v1/notification-settings" -H "Authorization: Bearer $btok" \
    -d '{"events":{"order.status_changed":{"email":true}}}' >/dev/null
new_posting() { json "$API/v1/orders" -H "Authorization: Bearer $btok" -d "{\"items\":[{\"product_id\":$product,\"quantity\":1}]}" | jq -r '.postings[0].posting_number'; }
move() { json "$API/v1/postings/$1/status" -H "Authorization: Bearer $stok" -d "{\"status\":\"$2\"}" >/dev/null; }
last_delivery() { # channel -> id of the buyer's newest delivery on it
    sql "SELECT d.id FROM notification_deliveries d WHERE d.user_id = $buyer AND d.channel = '$1' ORDER BY d.id DESC LIMIT 1"; }
status_of() { sql "SELECT status || ' ' || attempts FROM notification_deliveries WHERE id = $1"; }
received() { grep -c "\"delivery\": \"$1\"" "$TMP/push.jsonl"; }

echo "# a status change reaches the buyer by push and e-mail, signed, exactly once"
mode ok 0
p1=$(new_posting); move "$p1" delivering
push1=$(last_delivery push); mail1=$(last_delivery email)
check "both deliveries are sent" until_true 10 bash -c "[ \"\$(psql '$DATABASE_URL' -qAtX -c \"SELECT count(*) FROM notification_deliveries WHERE id IN ($push1, $mail1) AND status = 'sent'\")\" = 2 ]"
line=$(grep "\"delivery\": \"$push1\"" "$TMP/push.jsonl" | head -n 1)
check "the push is signed (HMAC-SHA256 over timestamp and body)" [ "$(jq -r .valid <<<"$line")" = true ]
check "the push names the event, the user and the posting" [ "$(jq -r '.body.event + " " + (.body.user_id|tostring) + " " + .body.data.posting_number' <<<"$line")" = "order.status_changed $buyer $p1" ]
check "two processes share the outbox: the push arrived once" [ "$(received "$push1")" = 1 ]
mailfile=$(grep -l "delivery-$mail1@sellerdesk" "$TMP"/maildir/new/* 2>/dev/null | head -n 1)
check "the e-mail reached the relay, to the buyer" grep -qi "^To: <$bemail>" "${mailfile:-/dev/null}"
subject=$($PY -c "import email,sys; from email.header import decode_header, make_header; m=email.message_from_binary_file(open(sys.argv[1],'rb')); print(str(make_header(decode_header(m['Subject']))))" "$mailfile" 2>/dev/null)
check "the e-mail subject is the notification title" [ "$subject" = "Posting $p1: delivering" ]

echo "# a gateway error is retried with back-off until it succeeds"
mode fail500 2
move "$p1" delivered
push2=$(last_delivery push)
check "sent on the third attempt after two 500s" until_true 15 bash -c "[ \"\$(psql '$DATABASE_URL' -qAtX -c \"SELECT status || ' ' || attempts FROM notification_deliveries WHERE id = $push2\")\" = 'sent 3' ]"
check "the gateway saw the same delivery id three times" [ "$(received "$push2")" = 3 ]

echo "# a 4xx is final"
mode fail400 1
p2=$(new_posting); move "$p2" delivering
push3=$(last_delivery push)
check "failed after one attempt" until_true 10 bash -c "[ \"\$(psql '$DATABASE_URL' -qAtX -c \"SELECT status || ' ' || attempts FROM notification_deliveries WHERE id = $push3\")\" = 'failed 1' ]"
check "the reason is recorded" [ -n "$(sql "SELECT 1 FROM notification_deliveries WHERE id = $push3 AND last_error LIKE '%400%'")" ]

echo "# timeouts are retried, up to the cap"
mode hang 3
move "$p2" delivered
push4=$(last_delivery push)
check "failed after 3 attempts that timed out" until_true 20 bash -c "[ \"\$(psql '$DATABASE_URL' -qAtX -c \"SELECT status || ' ' || attempts FROM notification_deliveries WHERE id = $push4\")\" = 'failed 3' ]"
check "the reason says timeout" [ -n "$(sql "SELECT 1 FROM notification_deliveries WHERE id = $push4 AND last_error ILIKE '%timeout%'")" ]
mode ok 0

echo "# a pending delivery survives a restart and is sent once"
kill -TERM "$s2"; wait "$s2" 2>/dev/null
# two failures: on a loaded machine the 1 s back-off may run out before the server has
# stopped, and the second attempt must then fail too, so the delivery is pending either way
mode fail500 2
p3=$(new_posting); move "$p3" delivering
push5=$(last_delivery push)
until_true 20 bash -c "[ \"\$(psql '$DATABASE_URL' -qAtX -c \"SELECT attempts FROM notification_deliveries WHERE id = $push5\")\" -ge 1 ]"
kill -TERM "$s1"; wait "$s1" 2>/dev/null
check "after the first failure, with the server stopped, it is still pending" grep -Eq '^pending [12]$' <<<"$(status_of "$push5")"
start_server "$api1"; s1=$server_pid; pids+=($s1)
check "after the restart it is sent" until_true 20 bash -c "[ \"\$(psql '$DATABASE_URL' -qAtX -c \"SELECT status FROM notification_deliveries WHERE id = $push5\")\" = sent ]"
check "and received with 200 exactly once" [ "$(grep "\"delivery\": \"$push5\"" "$TMP/push.jsonl" | grep -c '"status": 200')" = 1 ]

echo "# a channel the user switched off gets no delivery"
json -X PATCH "$API/v1/notification-settings" -H "Authorization: Bearer $btok" \
    -d '{"events":{"order.status_changed":{"push":false}}}' >/dev/null
move "$p3" delivered
latest=$(sql "SELECT max(id) FROM notifications WHERE user_id = $buyer")
check "no push row, the e-mail row only" [ "$(sql "SELECT string_agg(channel, ',') FROM notification_deliveries WHERE notification_id = $latest")" = email ]

echo "# a process without gateways records skipped deliveries"
p4=$(new_posting)
json "$SD_BASE_URL/v1/postings/$p4/status" -H "Authorization: Bearer $stok" -d '{"status":"delivering"}' >/dev/null
latest=$(sql "SELECT max(id) FROM notifications WHERE user_id = $buyer")
check "a change made through the server without gateways: e-mail recorded as skipped" \
    [ "$(sql "SELECT string_agg(channel || ':' || status || ':' || last_error, ',') FROM notification_deliveries WHERE notification_id = $latest")" = "email:skipped:channel not configured" ]

echo "# the delivery servers stop cleanly (sanitizer builds report here)"
kill -TERM "$s1"; wait "$s1"; rc=$?
check "the server exits 0 after SIGTERM with its worker running (exit $rc)" [ "$rc" = 0 ]
check "no sanitizer report from either delivery server" \
    bash -c "! grep -qE 'AddressSanitizer|LeakSanitizer|runtime error' '$TMP'/server-*.log"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
