#!/usr/bin/env bash
# bench/stream.sh — the live event stream (GET /v1/events/stream): latency across processes
# and how many open streams one process holds. Figures go in bench/README.md ("Event stream").
#
#   bench/stream.sh                      (N=1000 events, STREAMS=10000)
#   DATABASE_URL=... bench/stream.sh     (an existing, migrated database instead of a cluster)
#
# 1. Two servers A and B on one database; N chat messages written through B one at a time, each
#    read from a stream open on A (bench/stream.py latency).
# 2. A alone with the default settings: streams of 40 accounts from one address until one is
#    refused (the per-address half of SELLERDESK_MAX_CONNECTIONS_PER_CLIENT comes first).
# 3. A alone, restarted with room for STREAMS streams from one address
#    (SELLERDESK_MAX_STREAMS=STREAMS, connection limits above it): streams are opened until one
#    is refused; RSS and threads at that number, the refusal, and /healthz and /v1/me timed
#    while they are open (bench/stream.py limit).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

N=${N:-1000}
STREAMS=${STREAMS:-10000}
PORT_A=${PORT_A:-$(free_port)}
PORT_B=${PORT_B:-$(free_port)}
SELLERDESK_BIN=${SELLERDESK_BIN:-bin/sellerdesk}
[ -x "$SELLERDESK_BIN" ] || { echo "build first: $SELLERDESK_BIN is missing" >&2; exit 2; }
PYTHON=python3; [ -x /usr/bin/python3 ] && PYTHON=/usr/bin/python3

PG_DIR=
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
    [ -n "$PG_DIR" ] && scripts/pg.sh stop "$PG_DIR" >/dev/null 2>&1
    true
}
trap cleanup EXIT

if [ -z "${DATABASE_URL:-}" ]; then
    PG_DIR=$(mktemp -d /tmp/stream-bench-pg.XXXXXX)
    export DATABASE_URL=$(scripts/pg.sh start "$PG_DIR" "$(free_port)")
fi
export SELLERDESK_JWT_SECRET=${SELLERDESK_JWT_SECRET:-$(random_secret)$(random_secret)}
export SELLERDESK_PWHASH_OPSLIMIT=1 SELLERDESK_PWHASH_MEMLIMIT=8388608
# one buyer writes every message: the chat rate limit is lifted for the bench
export SELLERDESK_CHAT_MESSAGE_RATE=100000 SELLERDESK_LOG_LEVEL=warn
"$SELLERDESK_BIN" migrate >/dev/null 2>&1

serve() { # PORT [ENV...]: starts a server, its pid in SERVED
    local port=$1
    shift
    env SELLERDESK_PORT="$port" "$@" "$SELLERDESK_BIN" serve >/dev/null 2>&1 &
    SERVED=$!
    pids+=("$SERVED")
    wait_http "http://127.0.0.1:$port/healthz" 30
}

echo "== latency across processes ($N events) =="
serve "$PORT_A"
pid_a=$SERVED
serve "$PORT_B"
$PYTHON bench/stream.py latency "http://127.0.0.1:$PORT_A" "http://127.0.0.1:$PORT_B" "$N"
kill "$pid_a"
wait "$pid_a" 2>/dev/null || true

echo "== open streams from one address, default settings =="
serve "$PORT_A"
pid_a=$SERVED
$PYTHON bench/stream.py limit "http://127.0.0.1:$PORT_A" 1025 "$pid_a" 40
kill "$pid_a"
wait "$pid_a" 2>/dev/null || true

echo "== open streams on one process (limit $STREAMS) =="
serve "$PORT_A" SELLERDESK_MAX_STREAMS="$STREAMS" SELLERDESK_MAX_STREAMS_PER_ACCOUNT="$STREAMS" \
    SELLERDESK_MAX_CONNECTIONS=$((STREAMS * 2 + 64)) \
    SELLERDESK_MAX_CONNECTIONS_PER_CLIENT=$((STREAMS * 2 + 64)) SELLERDESK_STREAM_HEARTBEAT_S=1
# the client holds a socket per stream
ulimit -n "$(ulimit -Hn)"
$PYTHON bench/stream.py limit "http://127.0.0.1:$PORT_A" $((STREAMS + 1)) "$SERVED" 1
