#!/usr/bin/env bash
# bench/profile-reads.sh BIN — a repeatable profile of the server's own work per request for
# GET /v1/me, GET /v1/products/1 and a history page (GET /v1/chats/{id}/messages, 50 messages)
# on bench/hotreads.sh's data: instructions by group, allocator calls and system calls per
# request. bench/README.md, "The request path, a profile (issue 15, fourth step)".
#
#   HR_PG_DIR=/tmp/hotreads-pg HR_OUT=/tmp/sellerdesk-hotreads N=200 OUT=/tmp/profile-reads \
#       bench/profile-reads.sh bin/sellerdesk
#
# 1. callgrind: the server under valgrind (every thread in one file, default settings, the access
#    log to a file as in service); per read one warm call, counters zeroed, N requests on one
#    kept-alive connection (curl -K), a dump; then the counters zeroed again, the server left
#    idle as long as the requests took, a second dump. bench/callgrind-groups.py divides the
#    first less the second by N and breaks it down ($OUT/<read>.groups.txt).
# 2. strace -c -f: the server alone, attached after a warm call, N requests on one connection;
#    then as long again with no requests ($OUT/<read>.strace.txt, $OUT/<read>.strace-idle.txt).
#
# Needs the cluster and the tokens bench/hotreads.sh makes (tokens-buyers.txt and
# pairs-history.txt in HR_OUT). READS="me product chat-history" picks (chat-list, question-list
# and question-counts too: bench/hotreads.sh's list seller and question seller; all six are what
# bench/callgrind-reads.sh measured, which this replaced); CALLGRIND=0 skips step 1,
# STRACE=0 step 2.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
BIN=${1:?usage: bench/profile-reads.sh BIN}
PG_DIR=${HR_PG_DIR:-/tmp/hotreads-pg}
H=${HR_OUT:-/tmp/sellerdesk-hotreads}
N=${N:-200}
OUT=${OUT:-/tmp/profile-reads}
READS=${READS:-me product chat-history}
STRACE=${STRACE:-1}
[ -f "$PG_DIR/postmaster.pid" ] || { echo "no cluster in $PG_DIR: run bench/hotreads.sh first" >&2; exit 2; }
[ -s "$H/pairs-history.txt" ] || { echo "no tokens in $H: run bench/hotreads.sh first" >&2; exit 2; }
mkdir -p "$OUT"
db=postgresql://sellerdesk@127.0.0.1:$(sed -n 4p "$PG_DIR/postmaster.pid")/sellerdesk
export SELLERDESK_JWT_SECRET=${SELLERDESK_JWT_SECRET:-bench-secret-bench-secret-bench-secret-0123}
export SELLERDESK_BIND_ADDRESS=127.0.0.1 SELLERDESK_SCHEDULER_INTERVAL_MS=60000 DATABASE_URL=$db
read -r chat htok <"$H/pairs-history.txt"
btok=$(head -n 1 "$H/tokens-buyers.txt")
pid= spid=
cleanup() {
    [ -n "$spid" ] && kill -INT "$spid" 2>/dev/null && wait "$spid" 2>/dev/null
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    return 0
}
trap cleanup EXIT
path_of() { case $1 in me) echo /v1/me ;; product) echo /v1/products/1 ;;
    chat-history) echo "/v1/chats/$chat/messages" ;; chat-list) echo /v1/chats ;;
    question-list) echo /v1/questions ;; question-counts) echo /v1/questions/counts ;;
    *) echo "unknown read $1" >&2; exit 2 ;; esac; }
tok_of() { case $1 in chat-history) echo "$htok" ;; chat-list) head -n 1 "$H/tokens-list.txt" ;;
    question-list | question-counts) head -n 1 "$H/tokens-qseller.txt" ;; *) echo "$btok" ;; esac; }
curl_cfg() { # TOKEN URL -> N requests on one connection
    printf 'header = "Authorization: Bearer %s"\n' "$1"
    for _ in $(seq "$N"); do printf 'url = "%s"\noutput = "/dev/null"\n' "$2"; done
}
start() { # [wrapper...]: the server, its pid in $pid, ready
    port=$(free_port)
    url=http://127.0.0.1:$port
    SELLERDESK_PORT=$port "$@" "$BIN" serve >>"$OUT/server.log" 2>&1 &
    pid=$!
    for _ in $(seq 600); do curl -fsS -o /dev/null "$url/healthz" 2>/dev/null && return; sleep 0.1; done
    echo "server did not start" >&2; exit 1
}
stop() { kill "$pid"; wait "$pid" 2>/dev/null || true; pid=; }

# --- 1. callgrind ---------------------------------------------------------------------------
if [ "${CALLGRIND:-1}" = 1 ]; then
rm -f "$OUT"/callgrind.out.*
start valgrind --tool=callgrind --dump-instr=no "--callgrind-out-file=$OUT/callgrind.out"
newest() { ls -t "$OUT"/callgrind.out.* | head -n 1; }
for r in $READS; do
    p=$(path_of "$r"); t=$(tok_of "$r")
    curl_cfg "$t" "$url$p" >"$OUT/$r.curl"
    curl -fsS -o /dev/null "$url$p" -H "Authorization: Bearer $t"
    callgrind_control -z "$pid" >/dev/null 2>&1
    s=$(date +%s.%N)
    curl -fsS -K "$OUT/$r.curl"
    e=$(date +%s.%N)
    callgrind_control -d "$r" "$pid" >/dev/null 2>&1
    cp "$(newest)" "$OUT/$r.callgrind"
    callgrind_control -z "$pid" >/dev/null 2>&1
    sleep "$(awk -v s="$s" -v e="$e" 'BEGIN { print e - s }')"
    callgrind_control -d "$r-idle" "$pid" >/dev/null 2>&1
    cp "$(newest)" "$OUT/$r-idle.callgrind"
    python3 bench/callgrind-groups.py "$OUT/$r.callgrind" "$N" "$OUT/$r-idle.callgrind" >"$OUT/$r.groups.txt"
    printf '%-14s %-40s %10s Ir/request\n' "$r" "$p" "$(sed -n 's/^Ir per request (total less idle): //p' "$OUT/$r.groups.txt")"
done
stop
table=()
for r in $READS; do table+=("$r=$OUT/$r.callgrind:$N:$OUT/$r-idle.callgrind"); done
python3 bench/callgrind-groups.py --table "${table[@]}" | tee "$OUT/groups.md"
fi

# --- 2. strace -c -f ------------------------------------------------------------------------
[ "$STRACE" = 1 ] || exit 0
start env
for r in $READS; do
    p=$(path_of "$r"); t=$(tok_of "$r")
    curl_cfg "$t" "$url$p" >"$OUT/$r.curl"
    curl -fsS -o /dev/null "$url$p" -H "Authorization: Bearer $t"
    for phase in run idle; do
        f=$OUT/$r.strace.txt; [ "$phase" = idle ] && f=$OUT/$r.strace-idle.txt
        strace -f -c -p "$pid" -o "$f" 2>/dev/null &
        spid=$!
        sleep 1 # attached to every thread
        s=$(date +%s.%N)
        if [ "$phase" = run ]; then curl -fsS -K "$OUT/$r.curl"; took=; else sleep "$took"; fi
        e=$(date +%s.%N)
        took=$(awk -v s="$s" -v e="$e" 'BEGIN { print e - s }')
        kill -INT "$spid"; wait "$spid" 2>/dev/null || true; spid=
    done
    printf '%s: system calls per request (N=%s, idle subtracted)\n' "$r" "$N"
    awk -v n="$N" 'FNR == NR { if ($NF ~ /^[a-z_0-9]+$/ && $4 ~ /^[0-9]+$/) idle[$NF] = $4; next }
        $NF ~ /^[a-z_0-9]+$/ && $4 ~ /^[0-9]+$/ && $NF != "total" { c = $4 - idle[$NF]; t += c
            printf "  %-16s %6.2f\n", $NF, c / n } END { printf "  %-16s %6.2f\n", "all", t / n }' \
        "$OUT/$r.strace-idle.txt" "$OUT/$r.strace.txt" | tee "$OUT/$r.syscalls.txt"
done
stop
