#!/usr/bin/env bash
# bench/cpu-per-request.sh — a quick before/after of one binary's request path: server CPU per
# request (utime + stime from /proc/PID/stat over the run) beside wrk's req/s, p50 and p99,
# for GET /v1/me and GET /v1/products/1 at 16 and 64 connections.
#
#   DATABASE_URL=... SELLERDESK_JWT_SECRET=... bench/cpu-per-request.sh BIN [LABEL]
#
# The database must hold the demo data (bin/sellerdesk seed --demo); the token is demo buyer1's.
# Run two binaries one after the other on the same database and nothing else running; this is
# a small database and one user, not bench/run.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
BIN=${1:?usage: bench/cpu-per-request.sh BIN [LABEL]}
LABEL=${2:-$BIN}
PORT=$(free_port)
DURATION=${DURATION:-8}
lua=$(mktemp /tmp/cpu-per-request.XXXXXX.lua)
# the access log goes to a file, as it would in service (to /dev/null it costs less)
log=$(mktemp /tmp/cpu-per-request.XXXXXX.log)
SELLERDESK_PORT=$PORT SELLERDESK_BIND_ADDRESS=127.0.0.1 SELLERDESK_SCHEDULER_INTERVAL_MS=60000 \
    "$BIN" serve >"$log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -f "$lua" "$log"' EXIT
for _ in $(seq 100); do curl -fsS -o /dev/null "http://127.0.0.1:$PORT/healthz" 2>/dev/null && break; sleep 0.1; done
token=$(curl -fsS "http://127.0.0.1:$PORT/v1/auth/login" -H 'Content-Type: application/json' \
    -d '{"email":"buyer1@demo.sellerdesk.dev","password":"demo-password-1"}' | jq -r .access_token)
printf 'wrk.headers["Authorization"] = "Bearer %s"\n' "$token" >"$lua"
ticks=$(getconf CLK_TCK)
cpu() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }
for path in /v1/me /v1/products/1; do
    for c in 16 64; do
        wrk -t2 -c"$c" -d3s -s "$lua" "http://127.0.0.1:$PORT$path" >/dev/null
        t0=$(cpu)
        out=$(wrk -t2 -c"$c" -d"${DURATION}s" --latency -s "$lua" "http://127.0.0.1:$PORT$path")
        t1=$(cpu)
        awk -v label="$LABEL" -v path="$path" -v c="$c" -v t0="$t0" -v t1="$t1" -v hz="$ticks" '
            /requests in/ { n = $1 } /Requests\/sec/ { rps = $2 }
            $1 == "50%" { p50 = $2 } $1 == "99%" { p99 = $2 }
            END { printf "%s %s c=%s req/s=%s p50=%s p99=%s cpu_us_per_req=%.1f\n",
                         label, path, c, rps, p50, p99, (t1 - t0) / hz * 1e6 / n }' <<<"$out"
    done
done
