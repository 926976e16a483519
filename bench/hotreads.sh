#!/usr/bin/env bash
# bench/hotreads.sh — the eight hot reads of issue 15 (me, product, chat list, chat history,
# notification feed, counters, question list, question counts) over HTTP with wrk, each beside
# pgbench running the server's own statement, at 16 and 64 connections; server CPU per request
# from /proc, and a second table of where the two CPUs went on each side (the server,
# PostgreSQL, wrk; PostgreSQL, pgbench's client). See bench/README.md, "The request path, third
# step (issue 15)" and "fourteenth step".
#
#   bench/hotreads.sh                         everything: data (first time), wrk and pgbench
#   PGBENCH=0 READS="product chat-history" SELLERDESK_BIN=/tmp/old bench/hotreads.sh
#                                             a before/after of one binary's CPU per request
#
# Data (made once, kept with the cluster; GEN=1 makes it again): database "sellerdesk" by
# bench/gen (run.sh's sizes), bench/gen-chats (CHATS 20000, MESSAGES 300000) and
# bench/gen-questions (QUESTIONS 200000); database "notif" by bench/notifications.sh's own
# generator SQL (taken from that file, as ../shared/bench/peer-node/compare.sh does: it empties
# the users table, hence a database of its own), NOTIFICATIONS 1000000 with 10000 for the heavy
# buyer. One server per database; each read's CPU is that of the server it went to.
#
# Who is measured: me and product, 64 buyers spread over the ids (a random one per request, a
# random product); chat list, the seller with most chats (bench/chats.sh's "list"); chat
# history, the 32 probe chats of bench/gen-chats as their buyer and seller (chats.sh's
# "history", the newest page of 50); feed and counters, the heavy buyer of the notification
# data (notifications.sh); question list and counts, the heavy seller of bench/gen-questions.
#
# pgbench runs the server's statements taken from the source (bench/lib.sh server_sql, $n as
# pgbench variables), with the handler's parameters; -M prepared as the server runs a DB_STMT,
# -M extended for the question list (a DB_QUERY, planned per call). The server takes the
# account from its cache, so each statement is the whole of a read's SQL, except /v1/me, which
# asks PostgreSQL nothing: its pgbench line is the account lookup it used to make
# (user_q_get), the figure earlier tables compared it with.
#
# Settings: HR_PG_DIR=/tmp/hotreads-pg HR_OUT=/tmp/sellerdesk-hotreads DURATION=8 WARMUP=3
# CONNS="16 64" THREADS=2 READS=... PGBENCH=1 GEN=0 SELLERDESK_BIN=bin/sellerdesk; KEEP_PG=0
# stops the cluster at the end (it is kept by default: the data takes about a minute).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

PG_DIR=${HR_PG_DIR:-/tmp/hotreads-pg}
OUT=${HR_OUT:-/tmp/sellerdesk-hotreads}
DURATION=${DURATION:-8}
WARMUP=${WARMUP:-3}
CONNS=${CONNS:-16 64}
THREADS=${THREADS:-2}
READS=${READS:-me product chat-list chat-history feed counters question-list question-counts}
PGBENCH=${PGBENCH:-1}
GEN=${GEN:-0}
SELLERDESK_BIN=${SELLERDESK_BIN:-bin/sellerdesk}
export KEEP_PG=${KEEP_PG:-1}
export SELLERDESK_JWT_SECRET=${SELLERDESK_JWT_SECRET:-bench-secret-bench-secret-bench-secret-0123}

log() { printf '[hotreads %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }
[ -x "$SELLERDESK_BIN" ] || die "$SELLERDESK_BIN not found: make build"
mkdir -p "$OUT"
rm -f "$OUT"/pgbench_log.* "$OUT"/wrk-*.txt "$OUT"/pgb-*.txt "$OUT"/results.md

. bench/lib.sh
main_pid= notif_pid=
hr_cleanup() {
    local p
    for p in $main_pid $notif_pid; do
        kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null
    done
    server_pid=
    bench_cleanup
}
trap hr_cleanup EXIT
trap 'exit 130' INT TERM

# --- cluster and data ---------------------------------------------------------------------
if [ -f "$PG_DIR/postmaster.pid" ] && kill -0 "$(head -n 1 "$PG_DIR/postmaster.pid")" 2>/dev/null; then
    PG_PORT=$(sed -n 4p "$PG_DIR/postmaster.pid")
else
    PG_PORT=${HR_PG_PORT:-$(free_port)}
    started_pg=1
fi
MAIN_URL=$(scripts/pg.sh start "$PG_DIR" "$PG_PORT")
NOTIF_URL=${MAIN_URL%/*}/notif
psql_() { psql "$1" -v ON_ERROR_STOP=1 -qAtX "${@:2}"; }
have=$(psql_ "${MAIN_URL%/*}/postgres" -c "select count(*) from pg_database where datname = 'notif'")
if [ "$GEN" = 1 ] || [ "$have" = 0 ]; then
    log "generating the data (about a minute)"
    psql_ "$MAIN_URL" -c "ALTER SYSTEM SET max_wal_size = '8GB'" -c "SELECT pg_reload_conf()" >/dev/null
    psql_ "${MAIN_URL%/*}/postgres" -c "DROP DATABASE IF EXISTS notif" -c "CREATE DATABASE notif OWNER sellerdesk" >/dev/null
    for u in "$MAIN_URL" "$NOTIF_URL"; do
        DATABASE_URL=$u "$SELLERDESK_BIN" migrate >"$OUT/migrate.log" 2>&1 || { cat "$OUT/migrate.log" >&2; die "migrate failed"; }
    done
    (
        export DATABASE_URL=$MAIN_URL
        bench/gen --reset 2>&1 | { grep -v '^NOTICE' || true; }
        CHATS=20000 bench/gen-chats seed --messages 300000
        bench/gen-chats grow 300000
        bench/gen-questions seed --questions 200000
        bench/gen-questions grow 200000
    ) >"$OUT/gen.txt" 2>&1 || { tail -n 20 "$OUT/gen.txt" >&2; die "generating failed"; }
    sed -n "/<<'SQL' 2>&1 | tee \"\$OUT\/gen.txt\"/,/^SQL\$/p" bench/notifications.sh | sed '1d;$d' >"$OUT/notif-gen.sql"
    grep -q 'INSERT INTO notifications' "$OUT/notif-gen.sql" || die "no generator SQL in bench/notifications.sh"
    hash=$(psql_ "$MAIN_URL" -c "select password_hash from users where email = 'buyer1@bench.sellerdesk.dev'")
    psql_ "$NOTIF_URL" -v users=10000 -v sellers=500 -v notifications=1000000 -v heavy=10000 \
        -v broadcasts=100 -v read_pct=30 -v hash="$hash" -v heavy_email=buyer1@bench.sellerdesk.dev \
        -f "$OUT/notif-gen.sql" >>"$OUT/gen.txt" 2>&1 || { tail -n 20 "$OUT/gen.txt" >&2; die "notifications failed"; }
fi

# --- who is measured ----------------------------------------------------------------------
export DATABASE_URL=$MAIN_URL
read -r bmin bmax < <(psql_ "$MAIN_URL" -c "select min(id), max(id) from users where role = 'buyer' and email like 'buyer%@bench.sellerdesk.dev'" | tr '|' ' ')
read -r pmin pmax < <(psql_ "$MAIN_URL" -c "select min(id), max(id) from products" | tr '|' ' ')
buyer_ids=$(psql_ "$MAIN_URL" -c "select string_agg(id::text, ',') from (select id, row_number() over (order by id) - 1 as k, count(*) over () as n from users where role = 'buyer') b where k % greatest(n / 64, 1) = 0 and k / greatest(n / 64, 1) < 64")
mint_tokens "$buyer_ids" | cut -f2 >"$OUT/tokens-buyers.txt"
list_id=$(psql_ "$MAIN_URL" -c "SELECT user_id FROM chat_sides WHERE user_id IS NOT NULL GROUP BY user_id ORDER BY count(*) DESC, user_id LIMIT 1")
mint_tokens "$list_id" | cut -f2 >"$OUT/tokens-list.txt"
psql_ "$MAIN_URL" -F $'\t' -c "SELECT c.id, u.id FROM bench_chat_roles r JOIN chats c ON c.id = r.chat_id JOIN users u ON u.id IN (c.buyer_id, c.seller_id) WHERE r.role = 'probe' ORDER BY c.id, u.id" >"$OUT/pairs.tsv"
mint_tokens "$(cut -f2 "$OUT/pairs.tsv" | sort -un | paste -sd,)" >"$OUT/tokens-pairs.tsv"
awk -F'\t' 'NR == FNR { tok[$1] = $2; next } { print $1, tok[$2] }' "$OUT/tokens-pairs.tsv" "$OUT/pairs.tsv" >"$OUT/pairs-history.txt"
qseller=$(psql_ "$MAIN_URL" -c "select seller_id from bench_question_roles where role = 'heavy'")
mint_tokens "$qseller" | cut -f2 >"$OUT/tokens-qseller.txt"
heavy_id=$(psql_ "$NOTIF_URL" -c "select id from users where email = 'buyer1@bench.sellerdesk.dev'")
DATABASE_URL=$NOTIF_URL mint_tokens "$heavy_id" | cut -f2 >"$OUT/tokens-heavy.txt"

# --- pgbench scripts: the server's statements, parameters as the handlers pass them ----------
# The history's pairs: a random line, as wrk picks one (\set over a CASE of the pairs).
npairs=$(wc -l <"$OUT/pairs.tsv")
{
    echo "\\set k random(1, $npairs)"
    awk -F'\t' 'BEGIN { c = "\\set p1 case"; u = "\\set p4 case" }
        { c = c " when :k = " NR " then " $1; u = u " when :k = " NR " then " $2 }
        END { print c " end"; print u " end" }' "$OUT/pairs.tsv"
    pgb_sql src/chat_store.c chat_q_messages_before ""
} >"$OUT/pgb-chat-history.sql"
{ echo "\\set p1 random($bmin, $bmax)"; pgb_sql src/user_store.c user_q_get ""; } >"$OUT/pgb-me.sql"
{ echo "\\set p1 random($pmin, $pmax)"; pgb_sql src/product_store.c product_q_get ""; } >"$OUT/pgb-product.sql"
pgb_sql src/chat_store.c chat_q_list_user "3:text 4:text 7:text" >"$OUT/pgb-chat-list.sql"
pgb_sql src/notification_store.c notification_q_feed "" >"$OUT/pgb-feed.sql"
pgb_sql src/notification_store.c notification_q_counters_user "" >"$OUT/pgb-counters.sql"
pgb_sql src/question_store.c question_q_list_seller "4:text 5:bigint 6:bigint 7:date 8:date" >"$OUT/pgb-question-list.sql"
pgb_sql src/question_store.c question_q_counts_seller "" >"$OUT/pgb-question-counts.sql"
for f in "$OUT"/pgb-*.sql; do
    [ "$(grep -vc '^\\set' "$f")" -ge 1 ] && grep -q SELECT "$f" || die "no statement in $f (renamed in src/?)"
done

# read: database, wrk script and its arguments, pgbench mode and -D settings
declare -A DB WRK_ARGS PGB_MODE PGB_D
DB=([me]=main [product]=main [chat-list]=main [chat-history]=main [feed]=notif [counters]=notif [question-list]=main [question-counts]=main)
WRK_ARGS=(
    [me]="bench/wrk/me.lua URL -- $OUT/tokens-buyers.txt"
    [product]="bench/wrk/product.lua URL -- $OUT/tokens-buyers.txt $pmin $pmax"
    [chat-list]="bench/wrk/notifications.lua URL -- $OUT/tokens-list.txt /v1/chats"
    [chat-history]="bench/wrk/chat_messages.lua URL -- $OUT/pairs-history.txt"
    [feed]="bench/wrk/notifications.lua URL -- $OUT/tokens-heavy.txt /v1/notifications"
    [counters]="bench/wrk/notifications.lua URL -- $OUT/tokens-heavy.txt /v1/notifications/counters"
    [question-list]="bench/wrk/notifications.lua URL -- $OUT/tokens-qseller.txt /v1/questions"
    [question-counts]="bench/wrk/notifications.lua URL -- $OUT/tokens-qseller.txt /v1/questions/counts"
)
PGB_MODE=([me]=prepared [product]=prepared [chat-list]=prepared [chat-history]=prepared [feed]=prepared [counters]=prepared [question-list]=extended [question-counts]=prepared)
PGB_D=(
    [me]="" [product]=""
    [chat-list]="-D p1=$list_id -D p2=0 -D p3=all -D p4=all -D p5=false -D p6=-1 -D p7=all -D p8=21"
    [chat-history]="-D p2=0 -D p3=51 -D p5=buyer"
    [feed]="-D p1=$heavy_id -D p2=0 -D p3=false -D p4=21"
    [counters]="-D p1=$heavy_id"
    [question-list]="-D p1=$qseller -D p2=0 -D p3=21 -D p4=all -D p5=all -D p6=all -D p7=-infinity -D p8=-infinity -D p9=false"
    [question-counts]="-D p1=$qseller"
)

# --- servers ------------------------------------------------------------------------------
start_one() { # url -> pid in STARTED, port in STARTED_PORT
    local port pid i
    port=$(free_port)
    SELLERDESK_PORT=$port SELLERDESK_BIND_ADDRESS=127.0.0.1 SELLERDESK_LOG_LEVEL=warn \
        DATABASE_URL=$1 "$SELLERDESK_BIN" serve >>"$OUT/server.log" 2>&1 &
    pid=$!
    for i in $(seq 101); do
        [ "$i" -le 100 ] || die "server did not answer /healthz within 10 s"
        curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz" 2>/dev/null && break
        kill -0 "$pid" 2>/dev/null || { tail -n 20 "$OUT/server.log" >&2; die "server exited"; }
        sleep 0.1
    done
    STARTED=$pid STARTED_PORT=$port
}
start_one "$MAIN_URL"
main_pid=$STARTED main_port=$STARTED_PORT
start_one "$NOTIF_URL"
notif_pid=$STARTED notif_port=$STARTED_PORT
commit=$(git rev-parse --short HEAD)$(git status --porcelain -- src api | grep -q . && echo +changes || true)
log "binary $SELLERDESK_BIN (tree $commit), servers $main_pid (main) $notif_pid (notif), load $(cut -d' ' -f1-3 /proc/loadavg)"

# a sample answer of each read must be 200 with items where a list has them
for r in $READS; do
    port=$main_port
    [ "${DB[$r]}" = notif ] && port=$notif_port
    set -- ${WRK_ARGS[$r]}
    case $r in
    me) path=/v1/me tok=$(head -n 1 "$OUT/tokens-buyers.txt") ;;
    product) path=/v1/products/$pmin tok=$(head -n 1 "$OUT/tokens-buyers.txt") ;;
    chat-history) read -r chat tok < <(head -n 1 "$OUT/pairs-history.txt"); path=/v1/chats/$chat/messages ;;
    *) path=$5 tok=$(head -n 1 "$4") ;;
    esac
    code=$(curl -s -o "$OUT/sample-$r.json" -w '%{http_code}' "http://127.0.0.1:$port$path" -H "Authorization: Bearer $tok")
    [ "$code" = 200 ] || die "$r: GET $path answered $code"
done

declare -A LOAD_WRK LOAD_PGB CPU_SRV CPU_PG_WRK CPU_WRK OTHER_WRK WRK_REQS WRK_RPS WRK_P50 WRK_P99 WRK_BAD
declare -A PGB_TPS PGB_TXS PGB_FAIL PGB_P50 PGB_P99 CPU_PG_PGB CPU_PGB OTHER_PGB
SPLIT_LINES=()
{
    echo "commit $commit, binary $SELLERDESK_BIN, $(date -u +%Y-%m-%dT%H:%M:%SZ), wrk -t$THREADS -d${DURATION}s after ${WARMUP}s"
    echo
    echo "| read | conns | wrk req/s | p50 ms | p99 ms | server µs/req | pgbench tps | pgbench p50 | pgbench p99 | ratio | other % |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
} >"$OUT/results.md"
for r in $READS; do
    port=$main_port server_pid=$main_pid
    [ "${DB[$r]}" = notif ] && port=$notif_port server_pid=$notif_pid
    args=${WRK_ARGS[$r]//URL/http://127.0.0.1:$port}
    url=$MAIN_URL
    [ "${DB[$r]}" = notif ] && url=$NOTIF_URL
    for c in $CONNS; do
        key=$r-$c
        # shellcheck disable=SC2086 # the argument lists above
        wrk -t"$THREADS" -c"$c" -d"${WARMUP}s" -s $args >/dev/null
        # shellcheck disable=SC2086
        measured_wrk "$key" "$OUT/wrk-$key.txt" wrk -t"$THREADS" -c"$c" -d"${DURATION}s" --latency -s $args
        [ "${WRK_BAD[$key]}" = 0 ] || log "$key: ${WRK_BAD[$key]} non-2xx answers or socket errors"
        PGB_TPS[$key]=- PGB_P50[$key]=- PGB_P99[$key]=- OTHER_PGB[$key]=-
        if [ "$PGBENCH" = 1 ]; then
            # shellcheck disable=SC2086
            measured_pgbench "$key" "$OUT/pgb-$key.txt" 2 pgbench -n -M "${PGB_MODE[$r]}" -c "$c" -j "$THREADS" \
                -T $((DURATION + 2)) --progress=1 ${PGB_D[$r]} -l --sampling-rate=0.1 \
                --log-prefix="$OUT/pgbench_log.$key" -f "$OUT/pgb-$r.sql" "$url"
        fi
        ratio=$(awk -v a="${WRK_RPS[$key]}" -v b="${PGB_TPS[$key]}" 'BEGIN { if (b + 0 > 0) printf "%.2f", a / b; else print "-" }')
        line="| $r | $c | ${WRK_RPS[$key]} | ${WRK_P50[$key]} | ${WRK_P99[$key]} | $(per_req "${CPU_SRV[$key]}" "${WRK_REQS[$key]}") | ${PGB_TPS[$key]} | ${PGB_P50[$key]} | ${PGB_P99[$key]} | $ratio | ${OTHER_WRK[$key]}/${OTHER_PGB[$key]} |"
        echo "$line" >>"$OUT/results.md"
        log "$line"
        # where the two CPUs went on each side, per request (per transaction for pgbench)
        split="| $r | $c | $(per_req "${CPU_SRV[$key]}" "${WRK_REQS[$key]}") | $(per_req "${CPU_PG_WRK[$key]}" "${WRK_REQS[$key]}") | $(per_req "${CPU_WRK[$key]}" "${WRK_REQS[$key]}")"
        if [ "$PGBENCH" = 1 ]; then
            split="$split | $(per_req "${CPU_PG_PGB[$key]}" "${PGB_TXS[$key]}") | $(per_req "${CPU_PGB[$key]}" "${PGB_TXS[$key]}") |"
        else
            split="$split | - | - |"
        fi
        SPLIT_LINES+=("$split")
    done
done
{
    echo
    echo "CPU µs per request by process: the server, PostgreSQL and wrk in the server's run; PostgreSQL and pgbench's client per transaction in pgbench's"
    echo
    echo "| read | conns | server | PostgreSQL | wrk | PostgreSQL (pgbench) | pgbench |"
    echo "|---|---:|---:|---:|---:|---:|---:|"
    printf '%s\n' "${SPLIT_LINES[@]}"
} >>"$OUT/results.md"
cat "$OUT/results.md"
