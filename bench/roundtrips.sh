#!/usr/bin/env bash
# bench/roundtrips.sh — statements per request for the hot reads, counted by PostgreSQL
# (pg_stat_statements) during a short run: fails when a read makes more round trips than it
# is allowed (one: its own statement; the account comes from the process's cache). Run it
# after a change to the request path; it takes about half a minute.
#
#   bench/roundtrips.sh            (RT_PG_DIR=/tmp/roundtrips-pg, N=200 requests per read)
#   CALLGRIND=1 bench/roundtrips.sh
#   CALLGRIND=1 CALLGRIND_KEEP=DIR bench/roundtrips.sh   (one callgrind file per read kept in DIR)
#
# Steps: its own cluster (scripts/pg.sh) with pg_stat_statements preloaded, a fresh database,
# migrate, the demo data, bin/sellerdesk serve on a free port; each read is called once (its
# account cached, its plans made), then the statistics are reset and the read is called N
# times on one kept-alive connection (as a load generator does); the statements PostgreSQL ran
# in that window, divided by N, must not exceed the read's allowance. Statements of the
# background jobs (the promotion notices' claim, the dispute deadlines) are left out.
#
# CALLGRIND=1 runs the server under valgrind's callgrind and adds, per read, the instructions
# the whole server executed per request in the same window (every thread; counters zeroed
# before the N requests, read after with callgrind_control): a figure that does not depend on
# the machine's load, for comparing a change with its parent.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

PG_DIR=${RT_PG_DIR:-/tmp/roundtrips-pg}
PG_PORT=${RT_PG_PORT:-$(free_port)}
PORT=$(free_port)
N=${N:-200}
SELLERDESK_BIN=${SELLERDESK_BIN:-bin/sellerdesk}
[ -x "$SELLERDESK_BIN" ] || { echo "build first: $SELLERDESK_BIN is missing" >&2; exit 2; }

server_pid=
tmp_cfg=
cg_dir=
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
    scripts/pg.sh stop "$PG_DIR" >/dev/null 2>&1 || true
    rm -rf "$tmp_cfg" "$cg_dir"
}
trap cleanup EXIT

DATABASE_URL=$(scripts/pg.sh start "$PG_DIR" "$PG_PORT")
export DATABASE_URL
psql_() { psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -qAtX "$@"; }
if [ "$(psql_ -c 'show shared_preload_libraries')" != pg_stat_statements ]; then
    psql_ -c "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'" >/dev/null
    scripts/pg.sh stop "$PG_DIR" >/dev/null
    DATABASE_URL=$(scripts/pg.sh start "$PG_DIR" "$PG_PORT")
fi
admin_url=${DATABASE_URL%/*}/postgres
psql "$admin_url" -qAtX -c "DROP DATABASE IF EXISTS sellerdesk WITH (FORCE)" \
    -c "CREATE DATABASE sellerdesk OWNER sellerdesk" >/dev/null
psql_ -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" >/dev/null
"$SELLERDESK_BIN" migrate >/dev/null
"$SELLERDESK_BIN" seed --demo >/dev/null

export SELLERDESK_JWT_SECRET=${SELLERDESK_JWT_SECRET:-roundtrips-secret-roundtrips-secret-0123}
CALLGRIND=${CALLGRIND:-0}
wrap=()
if [ "$CALLGRIND" = 1 ]; then
    command -v callgrind_control >/dev/null || { echo "CALLGRIND=1 needs valgrind" >&2; exit 2; }
    cg_dir=$(mktemp -d /tmp/roundtrips-cg.XXXXXX)
    wrap=(valgrind --tool=callgrind "--callgrind-out-file=$cg_dir/callgrind.out.%p")
fi
SELLERDESK_PORT=$PORT SELLERDESK_BIND_ADDRESS=127.0.0.1 SELLERDESK_LOG_LEVEL=warn \
    SELLERDESK_SCHEDULER_INTERVAL_MS=60000 "${wrap[@]}" "$SELLERDESK_BIN" serve >/dev/null 2>&1 &
server_pid=$!
url="http://127.0.0.1:$PORT"
for _ in $(seq 600); do curl -fsS -o /dev/null "$url/healthz" 2>/dev/null && break; sleep 0.1; done
token() {
    curl -fsS "$url/v1/auth/login" -H 'Content-Type: application/json' \
        -d "{\"email\":\"$1@demo.sellerdesk.dev\",\"password\":\"demo-password-1\"}" | jq -r .access_token
}
buyer=$(token buyer1)
seller=$(token seller1)
chat=$(curl -fsS "$url/v1/chats" -H "Authorization: Bearer $buyer" | jq -r '.items[0].id')

# read, who, path, allowed statements per request
reads="me buyer /v1/me 1
product buyer /v1/products/1 1
chat-list buyer /v1/chats 1
chat-history buyer /v1/chats/$chat/messages 1
feed buyer /v1/notifications 1
counters buyer /v1/notifications/counters 1
question-list seller /v1/questions 1
question-counts seller /v1/questions/counts 1"

count() {
    psql_ -c "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements s
              JOIN pg_database d ON d.oid = s.dbid AND d.datname = current_database()
              WHERE s.query NOT ILIKE '%pg_stat_statements%' AND s.query NOT LIKE 'WITH due AS%'
                AND s.query NOT LIKE 'SELECT id FROM disputes%'"
}
# N requests of path as token on one connection (curl reuses it for every URL of its config)
repeat() {
    local i
    { printf 'header = "Authorization: Bearer %s"\n' "$2"
      for i in $(seq "$N"); do printf 'url = "%s"\noutput = "/dev/null"\n' "$url$1"; done
    } >"$tmp_cfg"
    curl -s -K "$tmp_cfg"
}
tmp_cfg=$(mktemp /tmp/roundtrips-curl.XXXXXX)
# instructions the server executed since its counters were zeroed, over all its threads
instructions() {
    callgrind_control -e Ir "$server_pid" 2>/dev/null |
        awk '/^ *Th/ { gsub(",", "", $NF); s += $NF } END { printf "%.0f", s }'
}

failed=0
if [ "$CALLGRIND" = 1 ]; then
    printf '%-16s %-34s %10s %8s %14s\n' read path statements allowed instructions
else
    printf '%-16s %-34s %10s %8s\n' read path statements allowed
fi
while read -r name who path allowed; do
    tok=$buyer
    [ "$who" = seller ] && tok=$seller
    status=$(curl -s -o /dev/null -w '%{http_code}' "$url$path" -H "Authorization: Bearer $tok")
    [ "$status" = 200 ] || { echo "$name: GET $path answered $status" >&2; failed=1; continue; }
    psql_ -c "SELECT pg_stat_statements_reset()" >/dev/null
    [ "$CALLGRIND" = 1 ] && callgrind_control -z "$server_pid" >/dev/null 2>&1
    repeat "$path" "$tok"
    ir=
    [ "$CALLGRIND" = 1 ] && ir=$(awk -v c="$(instructions)" -v n="$N" 'BEGIN { printf "%.0f", c / n }')
    # the window's profile, for callgrind_annotate (dumped, then zeroed for the next read)
    if [ "$CALLGRIND" = 1 ] && [ -n "${CALLGRIND_KEEP:-}" ]; then
        mkdir -p "$CALLGRIND_KEEP"
        callgrind_control -d "$name" "$server_pid" >/dev/null 2>&1
        sleep 0.5
        for f in "$cg_dir"/callgrind.out.*; do [ -e "$f" ] && mv "$f" "$CALLGRIND_KEEP/$name.$(basename "$f")"; done
    fi
    per=$(awk -v c="$(count)" -v n="$N" 'BEGIN { printf "%.2f", c / n }')
    verdict=$(awk -v p="$per" -v a="$allowed" 'BEGIN { print (p <= a + 0.01) ? "ok" : "TOO MANY" }')
    if [ "$CALLGRIND" = 1 ]; then
        printf '%-16s %-34s %10s %8s %14s  %s\n' "$name" "$path" "$per" "$allowed" "$ir" "$verdict"
    else
        printf '%-16s %-34s %10s %8s  %s\n' "$name" "$path" "$per" "$allowed" "$verdict"
    fi
    if [ "$verdict" != ok ]; then
        failed=1
        psql_ -F ' | ' -c "SELECT calls, left(regexp_replace(query, '\s+', ' ', 'g'), 150)
                  FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
                   AND d.datname = current_database()
                 WHERE s.query NOT ILIKE '%pg_stat_statements%' ORDER BY calls DESC LIMIT 4" |
            sed 's/^/    /'
    fi
done <<<"$reads"
[ "$failed" = 0 ] && echo "every read within its round trips" || { echo "a read makes more round trips than allowed"; exit 1; }
