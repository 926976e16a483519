#!/usr/bin/env bash
# `make test` / `make asan` / `make memcheck`: a throwaway PostgreSQL, the server built in
# BUILD_DIR, and every test against them: unit, API, smoke (README walkthrough), schema-server
# parity, the docs page in a browser, a typed client of the contract, resilience, contract lint
# and examples. Ends with one "N passed, N failed" line over all checks.
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
BUILD_DIR=${1:-build/release}
BIN=$BUILD_DIR/sellerdesk
MEMCHECK=${MEMCHECK:-0}
TMP=$(mktemp -d /tmp/sellerdesk-test.XXXXXX)
chmod 755 "$TMP"
SERVER_PID= DEADLINE_PID=
passed=0 failed=0

cleanup() {
    [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
    [ -n "$DEADLINE_PID" ] && kill "$DEADLINE_PID" 2>/dev/null && wait "$DEADLINE_PID" 2>/dev/null
    scripts/pg.sh stop "$TMP/pg"
    rm -rf "$TMP"
}
trap cleanup EXIT

VALGRIND=()
if [ "$MEMCHECK" = 1 ]; then
    VALGRIND=(valgrind --quiet --leak-check=full --errors-for-leak-kinds=definite
              --error-exitcode=99 --suppressions=tests/valgrind.supp)
    export CK_FORK=no
    # the event log's race test writes 10,000 changes: 1,200 under valgrind keep the stage bounded
    export SD_EVENTS_MESSAGES_PER_BUYER=3
fi

# Check's summary line "100%: Checks: N, Failures: F, Errors: E" -> totals
count_check() {
    local line
    line=$(grep -E '^[0-9]+%: Checks: ' "$1" | tail -n 1)
    if [ -z "$line" ]; then failed=$((failed + 1)); return; fi
    local n f e
    n=$(sed -E 's/.*Checks: ([0-9]+).*/\1/' <<<"$line")
    f=$(sed -E 's/.*Failures: ([0-9]+).*/\1/' <<<"$line")
    e=$(sed -E 's/.*Errors: ([0-9]+).*/\1/' <<<"$line")
    passed=$((passed + n - f - e)); failed=$((failed + f + e))
}
# "N passed, N failed" line of our shell suites -> totals
count_plain() {
    local line
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$1" | tail -n 1)
    if [ -z "$line" ]; then failed=$((failed + 1)); return; fi
    passed=$((passed + $(cut -d' ' -f1 <<<"$line")))
    failed=$((failed + $(sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/' <<<"$line")))
}
stage() { echo; echo "=== $* ==="; }
# stop_server PID LOG NAME: SIGTERM and wait; checks its exit status (0; 99 = valgrind errors)
# and that its log holds no sanitizer report
stop_server() {
    local pid=$1 log=$2 name=$3 rc
    kill -TERM "$pid"
    wait "$pid"
    rc=$?
    if [ $rc -eq 0 ]; then
        passed=$((passed + 1)); echo "ok: $name exited 0 after SIGTERM"
    else
        failed=$((failed + 1)); echo "FAIL: $name exited $rc after SIGTERM (99 = valgrind errors)"
        grep -v '"msg":"request"' "$log" | tail -n 60
    fi
    if grep -qE 'runtime error|AddressSanitizer|LeakSanitizer' "$log"; then
        failed=$((failed + 1)); echo "FAIL: sanitizer reports in the $name log:"
        grep -A 20 -E 'runtime error|AddressSanitizer|LeakSanitizer' "$log" | head -n 60
    fi
}
# Debian's python3 with python3-yaml (scripts/deps.sh), not whatever python3 is first on PATH
PYTHON=python3; [ -x /usr/bin/python3 ] && PYTHON=/usr/bin/python3

pg_port=$(free_port) || exit 1
export DATABASE_URL=$(scripts/pg.sh start "$TMP/pg" "$pg_port") || exit 1
export SELLERDESK_PG_DIR=$TMP/pg SELLERDESK_PG_PORT=$pg_port
export SELLERDESK_JWT_SECRET=$(random_secret)$(random_secret)
export SELLERDESK_PORT=$(free_port)
export SELLERDESK_PWHASH_OPSLIMIT=1 SELLERDESK_PWHASH_MEMLIMIT=8388608
export SELLERDESK_LOGIN_MAX_FAILURES_ACCOUNT=3 SELLERDESK_LOGIN_MAX_FAILURES_CLIENT=40
export SELLERDESK_LOGIN_WINDOW=60 SELLERDESK_LOGIN_LOCKOUT=3
export SELLERDESK_DB_POOL_SIZE=8 SELLERDESK_DB_ACQUIRE_TIMEOUT_MS=1500
# under valgrind a request takes ~50x longer: ten orders at once on one product (orders_test)
# wait for the workers ahead of them longer than 1.5 s, and would be refused 503 for it
[ "$MEMCHECK" = 1 ] && export SELLERDESK_DB_ACQUIRE_TIMEOUT_MS=8000
export SELLERDESK_MODERATION_CHECK_RATE=60
# a key's 21st request in a minute is refused, so the API suite reaches the limit quickly
export SELLERDESK_API_KEY_RATE=20
# the promotion notices are looked for five times a second, so the tests need not wait long
export SELLERDESK_SCHEDULER_INTERVAL_MS=200
# event streams send a heartbeat every second, so the tests see one without waiting long
export SELLERDESK_STREAM_HEARTBEAT_S=1
# webhooks are sent by tests/webhooks.sh's own processes (which allow the receiver's
# 127.0.0.1): a server here would claim their deliveries and refuse that address
export SELLERDESK_WEBHOOK_SEND=false
export SD_BASE_URL=http://127.0.0.1:$SELLERDESK_PORT

stage "unit tests"
"${VALGRIND[@]}" "$BUILD_DIR/unit_tests" 2>&1 | tee "$TMP/unit.out"
[ "${PIPESTATUS[0]}" -eq 0 ] || echo "unit tests: runner exited non-zero"
count_check "$TMP/unit.out"

stage "migrate and seed (each twice: both must be idempotent)"
ok=1
for i in 1 2; do
    "$BIN" migrate 2>"$TMP/migrate.err" || { cat "$TMP/migrate.err"; ok=0; }
    "$BIN" seed --demo >"$TMP/seed.out" 2>&1 || { cat "$TMP/seed.out"; ok=0; }
done
if [ $ok = 1 ]; then passed=$((passed + 1)); echo "ok"; else failed=$((failed + 1)); fi

stage "API tests against the real server"
# window 0: a seller may start a chat only before delivery, so the tests reach its end
SELLERDESK_CHAT_SELLER_WINDOW_HOURS=0 "${VALGRIND[@]}" "$BIN" serve >"$TMP/server.log" 2>&1 &
SERVER_PID=$!
if ! wait_http "$SD_BASE_URL/healthz" 60; then
    tail -n 50 "$TMP/server.log"
    echo "$passed passed, $((failed + 1)) failed"
    exit 1
fi
"$BUILD_DIR/api_tests" 2>&1 | tee "$TMP/api.out"
count_check "$TMP/api.out"

stage "a second server: dispute deadlines of seconds, API keys and event streams across processes, reads without the statement pipe"
# The same binary and database on another port. Each deadline passes within the suite, yet
# leaves room for the requests made before it, also under valgrind (each ~50x slower); the
# suite reads the same variables and polls with a generous margin. The main server's deadline
# job (72 h deadlines) moves these disputes too when it comes first: the stored deadline rules.
deadline_env=(SELLERDESK_DISPUTE_SELLER_HOURS=6s SELLERDESK_DISPUTE_BUYER_DAYS=4s
              SELLERDESK_DISPUTE_SUPPORT_HOURS=3s SELLERDESK_EXPECTED_DELIVERY_DAYS=4s
              SELLERDESK_DISPUTE_OPEN_DAYS=6s SELLERDESK_MAX_STREAMS=5
              SELLERDESK_MAX_STREAMS_PER_ACCOUNT=3)
deadline_port=$(free_port) || exit 1
deadline_url=http://127.0.0.1:$deadline_port
# (no statement pipe here: the reads it serves on the main server run on the pool, as with
# SELLERDESK_DB_PIPE_CONNS=0)
env "${deadline_env[@]}" SELLERDESK_PORT="$deadline_port" SELLERDESK_DB_PIPE_CONNS=0 \
    SELLERDESK_CHAT_SELLER_WINDOW_HOURS=0 \
    "${VALGRIND[@]}" "$BIN" serve >"$TMP/deadline-server.log" 2>&1 &
DEADLINE_PID=$!
if wait_http "$deadline_url/healthz" 60; then
    env "${deadline_env[@]}" SD_DEADLINE_SERVER=1 CK_RUN_SUITE=dispute_deadlines \
        SD_BASE_URL="$deadline_url" "$BUILD_DIR/api_tests" 2>&1 | tee "$TMP/deadlines.out"
    count_check "$TMP/deadlines.out"
    # two processes on one database: an API key revoked through the first is refused by the
    # second within a second
    SD_OTHER_URL="$deadline_url" CK_RUN_SUITE=api_keys_processes "$BUILD_DIR/api_tests" 2>&1 |
        tee "$TMP/keys-processes.out"
    count_check "$TMP/keys-processes.out"
    # an event stream on the first, the change made through the second: seen within a second
    SD_OTHER_URL="$deadline_url" CK_RUN_SUITE=events_stream_processes "$BUILD_DIR/api_tests" 2>&1 |
        tee "$TMP/stream-processes.out"
    count_check "$TMP/stream-processes.out"
    # the second holds at most 5 streams, 3 of an account: one more is refused at once, other
    # requests go on
    SD_MAX_STREAMS=5 SD_MAX_STREAMS_PER_ACCOUNT=3 SD_BASE_URL="$deadline_url" \
        CK_RUN_SUITE=events_stream_limit \
        "$BUILD_DIR/api_tests" 2>&1 | tee "$TMP/stream-limit.out"
    count_check "$TMP/stream-limit.out"
    # the suites of the reads that go by the pipe on the main server, here on the pool
    for suite in products chats notifications questions; do
        CK_RUN_SUITE=$suite SD_BASE_URL="$deadline_url" "$BUILD_DIR/api_tests" 2>&1 |
            tee "$TMP/no-pipe-$suite.out"
        count_check "$TMP/no-pipe-$suite.out"
    done
else
    tail -n 50 "$TMP/deadline-server.log"
    failed=$((failed + 1))
fi
stop_server "$DEADLINE_PID" "$TMP/deadline-server.log" "deadline server"
DEADLINE_PID=

stage "smoke: the README walkthrough"
tests/smoke.sh "$SD_BASE_URL" 2>&1 | tee "$TMP/smoke.out"
count_plain "$TMP/smoke.out"

stage "contract parity: generated requests judged by the schema (ajv) and by the server"
# tests/contract/: ajv, ajv-formats and yaml pinned in its package-lock.json, installed once.
# About 1 650 requests: 3–4 s, 15 s under valgrind (most are refused before any statement runs),
# so every variant runs there too; past 100 s (PARITY_BUDGET_S) the rest is a failure.
if [ -d tests/contract/node_modules ] ||
    (cd tests/contract && npm ci --no-audit --no-fund --loglevel=error); then
    node tests/contract/parity.mjs 2>&1 | tee "$TMP/parity.out"
    count_plain "$TMP/parity.out"
else
    echo "contract parity: npm ci failed"; failed=$((failed + 1))
fi

# What the contract promises integrators and readers, against the running server: the docs
# page in a real browser and a client generated from the contract. Release build only, like
# the contract lint: they check the contract and the page, not the server's memory (the API
# tests and the smoke test do that under the sanitizers and valgrind), and would only repeat
# the same browser and compiler work slower there.
if [ "$MEMCHECK" != 1 ] && [ "$BUILD_DIR" = build/release ]; then
    stage "docs: /docs rendered in headless chromium with every other host blocked"
    tests/docs/run.sh "$SD_BASE_URL" 2>&1 | tee "$TMP/docs.out"
    count_plain "$TMP/docs.out"
    stage "typed client: generated from openapi.yaml, tsc --strict with no casts, the walkthrough"
    tests/client/run.sh "$SD_BASE_URL" 2>&1 | tee "$TMP/client.out"
    count_plain "$TMP/client.out"
fi

stage "hostile: generated requests from openapi.yaml, transport abuse, slow clients"
# under valgrind every request is ~50x slower: a smaller crowd keeps the stage bounded
slow_crowd=2000; [ "$MEMCHECK" = 1 ] && slow_crowd=300
# the memory bound is the release build's: sanitizers and valgrind add their own
rss_bound=128; { [ "$MEMCHECK" = 1 ] || [ "$BUILD_DIR" != build/release ]; } && rss_bound=0
SD_SERVER_PID=$SERVER_PID HOSTILE_SLOW_CONNECTIONS=$slow_crowd HOSTILE_RSS_BOUND_MB=$rss_bound \
    $PYTHON tests/hostile/main.py 2>&1 | tee "$TMP/hostile.out"
count_plain "$TMP/hostile.out"

stage "event stream: a 20 MiB backlog through the bounded buffer, a client that stops reading"
SD_BASE_URL=$SD_BASE_URL $PYTHON tests/stream_buffer.py 2>&1 | tee "$TMP/stream-buffer.out"
count_plain "$TMP/stream-buffer.out"

stage "database invariants: kept figures equal a recount"
tests/invariants.sh 2>&1 | tee "$TMP/invariants.out"
count_plain "$TMP/invariants.out"

stage "resilience: PostgreSQL restart, pool exhaustion, SIGTERM drain, idle clients"
SERVER_PID=$SERVER_PID BIN=$BIN tests/resilience.sh 2>&1 | tee "$TMP/resilience.out"
count_plain "$TMP/resilience.out"

stage "notification delivery: push gateway and SMTP relay, retries, restarts"
BIN=$BIN tests/delivery.sh 2>&1 | tee "$TMP/delivery.out"
count_plain "$TMP/delivery.out"

stage "webhooks: signed deliveries to a real receiver, retries, health, rotation, two processes"
BIN=$BIN tests/webhooks.sh 2>&1 | tee "$TMP/webhooks.out"
count_plain "$TMP/webhooks.out"

stage "the README's integrator quick start, block by block"
BIN=$BIN tests/quickstart.sh 2>&1 | tee "$TMP/quickstart.out"
count_plain "$TMP/quickstart.out"

stage "server shutdown"
stop_server "$SERVER_PID" "$TMP/server.log" server
SERVER_PID=

if [ "$MEMCHECK" != 1 ] && [ "$BUILD_DIR" = build/release ]; then
    stage "contract lint (openapi.yaml)"
    if scripts/lint-openapi.sh; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
    stage "contract examples and id descriptions (openapi.yaml)"
    $PYTHON scripts/check-examples.py openapi.yaml 2>&1 | tee "$TMP/examples.out"
    count_plain "$TMP/examples.out"
    stage "format check (.clang-format)"
    if make --no-print-directory format-check >/dev/null 2>&1; then passed=$((passed + 1)); echo ok;
    else failed=$((failed + 1)); echo "FAIL: run 'make format'"; fi
fi

echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
