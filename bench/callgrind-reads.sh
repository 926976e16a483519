#!/usr/bin/env bash
# bench/callgrind-reads.sh BIN — instructions per request of the hot reads on bench/hotreads.sh's
# data (full pages: a history page of 50 messages, 20 chats, 20 questions), where
# `CALLGRIND=1 bench/roundtrips.sh` has the demo data's pages of a few items. The server under
# valgrind's callgrind on the "sellerdesk" database of hotreads.sh's cluster; per read one warm
# call, counters zeroed, N requests on one kept-alive connection, the instructions of every
# thread divided by N. Run bench/hotreads.sh once first (it makes the cluster, the data and the
# tokens this reads from HR_OUT).
#
#   HR_PG_DIR=/tmp/hotreads-pg HR_OUT=/tmp/sellerdesk-hotreads N=200 bench/callgrind-reads.sh BIN
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
BIN=${1:?usage: bench/callgrind-reads.sh BIN}
PG_DIR=${HR_PG_DIR:-/tmp/hotreads-pg}
H=${HR_OUT:-/tmp/sellerdesk-hotreads}
N=${N:-200}
[ -f "$PG_DIR/postmaster.pid" ] || { echo "no cluster in $PG_DIR: run bench/hotreads.sh first" >&2; exit 2; }
[ -s "$H/pairs-history.txt" ] || { echo "no tokens in $H: run bench/hotreads.sh first" >&2; exit 2; }
db=postgresql://sellerdesk@127.0.0.1:$(sed -n 4p "$PG_DIR/postmaster.pid")/sellerdesk
port=$(free_port)
url=http://127.0.0.1:$port
cfg=$(mktemp /tmp/callgrind-reads.XXXXXX)
out=$(mktemp -d /tmp/callgrind-reads.XXXXXX)
SELLERDESK_JWT_SECRET=${SELLERDESK_JWT_SECRET:-bench-secret-bench-secret-bench-secret-0123} \
    SELLERDESK_PORT=$port SELLERDESK_BIND_ADDRESS=127.0.0.1 SELLERDESK_LOG_LEVEL=warn \
    SELLERDESK_SCHEDULER_INTERVAL_MS=60000 DATABASE_URL=$db \
    valgrind --tool=callgrind "--callgrind-out-file=$out/callgrind.out.%p" "$BIN" serve >"$out/server.log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$cfg" "$out"' EXIT
for _ in $(seq 600); do curl -fsS -o /dev/null "$url/healthz" 2>/dev/null && break; sleep 0.1; done
read -r chat htok <"$H/pairs-history.txt"
btok=$(head -n 1 "$H/tokens-buyers.txt")
ltok=$(head -n 1 "$H/tokens-list.txt")
qtok=$(head -n 1 "$H/tokens-qseller.txt")
while read -r name tok path; do
    curl -fsS -o /dev/null "$url$path" -H "Authorization: Bearer $tok"
    { printf 'header = "Authorization: Bearer %s"\n' "$tok"
      for _ in $(seq "$N"); do printf 'url = "%s"\noutput = "/dev/null"\n' "$url$path"; done
    } >"$cfg"
    callgrind_control -z "$pid" >/dev/null 2>&1
    curl -s -K "$cfg"
    c=$(callgrind_control -e Ir "$pid" 2>/dev/null | awk '/^ *Th/ { gsub(",", "", $NF); s += $NF } END { printf "%.0f", s }')
    printf '%-16s %-28s %10.0f\n' "$name" "$path" "$(awk -v c="$c" -v n="$N" 'BEGIN { print c / n }')"
done <<LIST
me $btok /v1/me
product $btok /v1/products/1
chat-list $ltok /v1/chats
chat-history $htok /v1/chats/$chat/messages
question-list $qtok /v1/questions
question-counts $qtok /v1/questions/counts
LIST
