#!/usr/bin/env bash
# bench/roundtrips.sh — statements per request for the hot reads, counted by PostgreSQL
# (pg_stat_statements) during a short run: fails when a read makes more round trips than it
# is allowed (one: its own statement; the account comes from the process's cache). Run it
# after a change to the request path; it takes about half a minute.
#
#   bench/roundtrips.sh            (RT_PG_DIR=/tmp/roundtrips-pg, N=200 requests per read)
#
# Steps: its own cluster (scripts/pg.sh) with pg_stat_statements preloaded, a fresh database,
# migrate, the demo data, bin/sellerdesk serve on a free port; each read is called once (its
# account cached, its plans made), then the statistics are reset and the read is called N
# times; the statements PostgreSQL ran in that window, divided by N, must not exceed the
# read's allowance. Statements of the scheduler (its claim) are left out.
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
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
    scripts/pg.sh stop "$PG_DIR" >/dev/null 2>&1 || true
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
SELLERDESK_PORT=$PORT SELLERDESK_BIND_ADDRESS=127.0.0.1 SELLERDESK_LOG_LEVEL=warn \
    SELLERDESK_SCHEDULER_INTERVAL_MS=60000 "$SELLERDESK_BIN" serve >/dev/null 2>&1 &
server_pid=$!
url="http://127.0.0.1:$PORT"
for _ in $(seq 100); do curl -fsS -o /dev/null "$url/healthz" 2>/dev/null && break; sleep 0.1; done
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
              WHERE s.query NOT ILIKE '%pg_stat_statements%' AND s.query NOT LIKE 'WITH due AS%'"
}
failed=0
printf '%-16s %-34s %10s %8s\n' read path statements allowed
while read -r name who path allowed; do
    tok=$buyer
    [ "$who" = seller ] && tok=$seller
    status=$(curl -s -o /dev/null -w '%{http_code}' "$url$path" -H "Authorization: Bearer $tok")
    [ "$status" = 200 ] || { echo "$name: GET $path answered $status" >&2; failed=1; continue; }
    psql_ -c "SELECT pg_stat_statements_reset()" >/dev/null
    for _ in $(seq "$N"); do
        curl -s -o /dev/null "$url$path" -H "Authorization: Bearer $tok"
    done
    per=$(awk -v c="$(count)" -v n="$N" 'BEGIN { printf "%.2f", c / n }')
    verdict=$(awk -v p="$per" -v a="$allowed" 'BEGIN { print (p <= a + 0.01) ? "ok" : "TOO MANY" }')
    printf '%-16s %-34s %10s %8s  %s\n' "$name" "$path" "$per" "$allowed" "$verdict"
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
