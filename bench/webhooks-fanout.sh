#!/usr/bin/env bash
# Webhook fan-out: events written to the log of 100 sellers, each with one endpoint subscribed to
# every type (100 endpoints on 100 paths of one local receiver, tests/webhooks/receiver.py, which
# verifies every signature), delivered by two serve processes. Three phases:
#   0. EVENTS events written with no endpoint registered (the trigger finds nothing)
#   1. EVENTS events written with the 100 endpoints, no process sending: the write cost of the
#      fan-out; then the backlog drained by the two processes
#   2. EVENTS events written while the two processes send: written/s and delivered/s, and the
#      time from the event's commit to the receiver's 2xx being recorded (p50/p95/p99)
# The accounts and endpoints are inserted with SQL (the bench measures fan-out and sending, not
# sign-up); the events by pgbench, with the statement of src/event_store.c.
#   DATABASE_URL=... bench/webhooks-fanout.sh     (or BENCH_PG_DIR/BENCH_PG_PORT for a cluster)
# Settings: EVENTS=3000 CLIENTS=4 BIN=bin/sellerdesk BENCH_PORT=8611 (and +1, +2 for the
# receiver), BENCH_OUT=/tmp/sellerdesk-webhooks-bench.
set -uo pipefail
cd "$(dirname "$0")/.."
EVENTS=${EVENTS:-3000} CLIENTS=${CLIENTS:-4} BIN=${BIN:-bin/sellerdesk}
PORT=${BENCH_PORT:-8611} OUT=${BENCH_OUT:-/tmp/sellerdesk-webhooks-bench}
ENDPOINTS=100
mkdir -p "$OUT"
if [ -z "${DATABASE_URL:-}" ]; then
    DATABASE_URL=$(scripts/pg.sh start "${BENCH_PG_DIR:-/tmp/bench-pg}" "${BENCH_PG_PORT:-5611}") || exit 1
fi
export DATABASE_URL
export SELLERDESK_JWT_SECRET=${SELLERDESK_JWT_SECRET:-webhooks-bench-secret-0123456789abcdef}
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; }
trap cleanup EXIT
sql() { psql "$DATABASE_URL" -qAtX -v ON_ERROR_STOP=1 -c "$1"; }
now() { date +%s.%N; }
rate() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%.0f", n / (b - a) }'; }

"$BIN" migrate >/dev/null 2>&1 || { echo "migrate failed"; exit 1; }
recv=$((PORT + 2))
/usr/bin/python3 tests/webhooks/receiver.py "$recv" "$OUT/received.jsonl" & pids+=($!)
: >"$OUT/received.jsonl"

# 100 sellers, one endpoint each on its own path, secret known to the receiver
sql "DROP TABLE IF EXISTS bench_webhook_accounts;
     CREATE TABLE bench_webhook_accounts (n int PRIMARY KEY, id bigint NOT NULL);
     WITH u AS (INSERT INTO users (email, password_hash, role, display_name)
                SELECT 'hookbench' || g || '-' || md5(random()::text) || '@bench.sellerdesk.dev', 'x', 'seller', 'Bench ' || g
                  FROM generate_series(1, $ENDPOINTS) g RETURNING id)
     INSERT INTO bench_webhook_accounts SELECT row_number() OVER (ORDER BY id), id FROM u;" >/dev/null
SECRET=bench-secret-0123456789abcdef
control() { curl -fs -H 'Content-Type: application/json' -d "$1" "http://127.0.0.1:$recv/_control"; }
for _ in $(seq 1 100); do control '{"path":"/ready"}' && break; sleep 0.1; done
for i in $(seq 1 $ENDPOINTS); do
    control "{\"path\":\"/s$i\",\"secrets\":[\"$SECRET\"]}" || { echo "receiver not ready"; exit 1; }
done
cat >"$OUT/event.sql" <<'SQL'
\set n random(1, 100)
WITH pos AS (INSERT INTO event_counters AS c (account, position)
             SELECT id, 1 FROM bench_webhook_accounts WHERE n = :n
             ON CONFLICT (account) DO UPDATE SET position = c.position + 1
             RETURNING account, position)
INSERT INTO events (account, position, type, data)
SELECT account, position, 'message.created',
       '{"chat_id": 1, "message_id": 1, "author_id": 1, "message": {"text": "benchmark"}}'::jsonb
       || jsonb_build_object('type', 'message.created', 'account', account, 'occurred_at', sd_ts(now()))
  FROM pos;
SQL
write_events() { # -> events/s as pgbench measured it (excluding connections)
    pgbench -n -c "$CLIENTS" -j 2 -t $((EVENTS / CLIENTS)) -f "$OUT/event.sql" "$DATABASE_URL" >"$OUT/pgbench-$1.txt" 2>&1
    awk '/^tps = / { printf "%.0f", $3 }' "$OUT/pgbench-$1.txt"
}
start_servers() {
    for k in 0 1; do
        SELLERDESK_PORT=$((PORT + k)) SELLERDESK_WEBHOOK_ALLOW_PRIVATE=true SELLERDESK_WEBHOOK_SEND=true \
            SELLERDESK_WEBHOOK_INTERVAL_MS=100 "$BIN" serve >>"$OUT/server-$k.log" 2>&1 &
        spids[$k]=$!
        pids+=($!)
    done
    sleep 1
}
stop_servers() { kill -TERM "${spids[@]}"; wait "${spids[@]}" 2>/dev/null; }
# deliveries of the bench's endpoints that are done (succeeded or failed)
delivered() { sql "SELECT count(*) FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
                    WHERE w.seller_id IN (SELECT id FROM bench_webhook_accounts) AND d.status <> 'pending'"; }
wait_delivered() { # target -> epoch when reached (gives up after 10 minutes)
    local deadline=$((SECONDS + 600))
    while [ "$(delivered)" -lt "$1" ] && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
    now
}

echo "# phase 0: $EVENTS events, no endpoint"
w0=$(write_events 0)
echo "written: $w0 events/s"

sql "INSERT INTO webhooks (seller_id, url, events, secret)
     SELECT id, 'http://127.0.0.1:$recv/s' || n, '{*}', '$SECRET' FROM bench_webhook_accounts" >/dev/null
echo "# phase 1: $EVENTS events with $ENDPOINTS endpoints, nobody sending; then the backlog"
w1=$(write_events 1)
echo "written: $w1 events/s (each fanned out to its seller's endpoint in the same transaction)"
start_servers
wait_delivered "$EVENTS" >/dev/null
# from the first recorded outcome to the last: the processes' start-up is not counted
echo "backlog: $(sql "SELECT count(*) || ' deliveries recorded in ' || round(extract(epoch FROM max(last_attempt_at) - min(last_attempt_at))::numeric, 2)
                              || ' s: ' || round(count(*) / nullif(extract(epoch FROM max(last_attempt_at) - min(last_attempt_at)), 0)) || ' deliveries/s'
                         FROM webhook_deliveries WHERE seller_id IN (SELECT id FROM bench_webhook_accounts)")"

echo "# phase 2: $EVENTS events written while 2 processes send"
mark=$(sql "SELECT coalesce(max(id), 0) FROM webhook_deliveries")
t0=$(now)
w2=$(write_events 2)
t1=$(now)
t2=$(wait_delivered $((EVENTS * 2)))
echo "written: $w2 events/s; all $EVENTS delivered $(awk -v a="$t1" -v b="$t2" 'BEGIN{printf "%.1f", b-a}') s after the last write: $(rate "$EVENTS" "$t0" "$t2") deliveries/s over the phase"
sql "SELECT 'commit to recorded 2xx: p50 ' || round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)) || ' ms, p95 '
            || round(percentile_cont(0.95) WITHIN GROUP (ORDER BY ms)) || ' ms, p99 '
            || round(percentile_cont(0.99) WITHIN GROUP (ORDER BY ms)) || ' ms, max ' || round(max(ms)) || ' ms'
       FROM (SELECT extract(epoch FROM d.last_attempt_at - e.created_at) * 1000 AS ms
               FROM webhook_deliveries d JOIN events e ON e.account = d.seller_id AND e.position = d.event_position
              WHERE d.id > $mark) x"
stop_servers
echo "receiver: $(grep -c '"valid": true' "$OUT/received.jsonl") requests with a valid signature, $(grep -vc '"valid": true' "$OUT/received.jsonl") without; $(jq -r .delivery "$OUT/received.jsonl" | sort -u | wc -l) distinct deliveries"
echo "outcomes: $(sql "SELECT string_agg(status || ' ' || n, ', ') FROM (SELECT d.status, count(*) n FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id WHERE w.seller_id IN (SELECT id FROM bench_webhook_accounts) GROUP BY 1 ORDER BY 1) a")"
echo "attempts per delivery: $(sql "SELECT string_agg(attempts || 'x' || n, ', ') FROM (SELECT attempts, count(*) n FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id WHERE w.seller_id IN (SELECT id FROM bench_webhook_accounts) GROUP BY attempts ORDER BY attempts) a")"

# the bench's accounts go again (their endpoints and deliveries with them); the events stay, as
# nothing deletes events
sql "DELETE FROM users WHERE id IN (SELECT id FROM bench_webhook_accounts); DROP TABLE bench_webhook_accounts" >/dev/null
