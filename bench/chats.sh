#!/usr/bin/env bash
# bench/chats.sh — the chat endpoints (issue 5) with 1M messages in 20k chats: GET /v1/chats,
# GET /v1/chats/{id}/messages (newest page and a deep ?before= page) and
# POST /v1/chats/{id}/messages over HTTP with wrk at 16, 64 and 256 connections, pgbench on
# exactly the same SQL (bench/pgbench/chat_*.sql) with as many clients, and the history
# latency as chat_messages grows 10k -> 100k -> 1M. See bench/README.md, "Chats (issue 5)".
#
# Steps: make build (release) in this tree; start a throwaway cluster of its own with
# scripts/pg.sh on a free port (max_connections raised for 256 pgbench clients); a fresh
# database; migrate;
# bench/gen --reset (users, products, orders, postings); bench/gen-chats seed (support agents,
# chats, sides, the plan of every message) and grow to the first size; start bin/sellerdesk
# serve on a free port; mint access tokens for the users whose chats are measured. Then:
#  - growth: at each size of chat_messages (SIZES), wrk on the history of the probe chats
#    (newest page, 50 messages) and on the deep page of the deep chat, at 16 connections;
#  - at the last size, for each endpoint and each of CONNS: wrk, then pgbench (same clients);
#  - EXPLAIN (ANALYZE, BUFFERS) of every statement, generic plans as the pooled server
#    connections use them after 5 executions.
#
# Settings (environment):
#   CB_PG_DIR=/tmp/chatbench-pg CB_PG_PORT=(free)   cluster (stopped at the end unless KEEP_PG=1)
#   CB_PORT=(free)                                  sellerdesk port
#   CB_OUT=/tmp/sellerdesk-chatbench                raw outputs, logs, results.md
#   DURATION=15 WARMUP=3 THREADS=2 CONNS="16 64 256"   wrk -d/-t/-c, pgbench -T/-j/-c
#   SIZES="10000 100000 1000000"                    chat_messages sizes of the growth check
#   CHATS=20000 POST_PAIRS=256                      chats; chats that POST writes to
#   BUYERS=10000 SELLERS=1000 PRODUCTS=50000 ORDERS=50000   bench/gen sizes
#   ENDPOINTS="list history deep post"              what the matrix measures
#   BUILD=0                                         use the existing bin/sellerdesk
#   SELLERDESK_* settings pass through to the server (the pool stays at its default, 16)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

PG_DIR=${CB_PG_DIR:-/tmp/chatbench-pg}
PG_PORT=${CB_PG_PORT:-$(free_port)}
PORT=${CB_PORT:-$(free_port)}
OUT=${CB_OUT:-/tmp/sellerdesk-chatbench}
DURATION=${DURATION:-15}
WARMUP=${WARMUP:-3}
THREADS=${THREADS:-2}
CONNS=${CONNS:-16 64 256}
SIZES=${SIZES:-10000 100000 1000000}
CHATS=${CHATS:-20000}
POST_PAIRS=${POST_PAIRS:-256}
ENDPOINTS=${ENDPOINTS:-list history deep post}
SELLERDESK_BIN=${SELLERDESK_BIN:-bin/sellerdesk}
BENCH_PASSWORD=${BENCH_PASSWORD:-bench-password-1}
export BUYERS=${BUYERS:-10000} SELLERS=${SELLERS:-1000} PRODUCTS=${PRODUCTS:-50000} ORDERS=${ORDERS:-50000}
export SELLERDESK_BIN BENCH_PASSWORD
read -r -a sizes <<<"$SIZES"
MESSAGES=${sizes[-1]}
first_conns=${CONNS%% *}

log() { printf '[chatbench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }
t_start=$(date +%s)

for tool in curl jq psql pgbench pg_isready wrk make; do
    command -v "$tool" >/dev/null || die "$tool is required"
done
mkdir -p "$OUT"
rm -f "$OUT"/pgbench_log.* "$OUT"/*.txt "$OUT"/*.tsv "$OUT"/*.tmp "$OUT"/*.sql "$OUT"/results.md "$OUT"/server.log

# sourced once, here: sourcing it again later would reset server_pid and started_pg, and the
# exit would then leave the server and the cluster running
. bench/lib.sh
bench_traps

# --- build and the machine --------------------------------------------------------------
bench_build_and_describe "DURATION=$DURATION WARMUP=$WARMUP THREADS=$THREADS CONNS='$CONNS' SIZES='$SIZES' CHATS=$CHATS pool=${SELLERDESK_DB_POOL_SIZE:-16 (default)}"

# --- PostgreSQL, schema, data -----------------------------------------------------------
pg_isready -q -h 127.0.0.1 -p "$PG_PORT" || started_pg=1
DATABASE_URL=$(scripts/pg.sh start "$PG_DIR" "$PG_PORT")
export DATABASE_URL
psql_() { psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -qAtX "$@"; }
# pgbench's 256 clients next to the server's pool; bulk loads with fewer forced checkpoints
if [ "$(psql_ -c 'show max_connections')" -lt 320 ]; then
    psql_ -c "ALTER SYSTEM SET max_connections = 320" -c "ALTER SYSTEM SET max_wal_size = '8GB'" >/dev/null
    scripts/pg.sh stop "$PG_DIR"
    DATABASE_URL=$(scripts/pg.sh start "$PG_DIR" "$PG_PORT")
fi
echo "postgresql:  $(psql_ -c 'show server_version') ($DATABASE_URL), shared_buffers $(psql_ -c 'show shared_buffers'), max_connections $(psql_ -c 'show max_connections'), fsync $(psql_ -c 'show fsync'), synchronous_commit $(psql_ -c 'show synchronous_commit'), jit $(psql_ -c 'show jit')" |
    tee -a "$OUT/machine.txt" >&2
# a fresh database every run: migrations are unreleased and may have changed since the last
admin_url=${DATABASE_URL%/*}/postgres
psql "$admin_url" -v ON_ERROR_STOP=1 -qAtX -c "DROP DATABASE IF EXISTS sellerdesk WITH (FORCE)" \
    -c "CREATE DATABASE sellerdesk OWNER sellerdesk" >/dev/null
"$SELLERDESK_BIN" migrate >"$OUT/migrate.log" 2>&1 || { cat "$OUT/migrate.log" >&2; die "migrate failed"; }

log "bench/gen --reset (buyers=$BUYERS sellers=$SELLERS products=$PRODUCTS orders=$ORDERS)"
bench/gen --reset 2>&1 | grep -v '^NOTICE' | tee "$OUT/gen.txt" >&2
CHATS=$CHATS bench/gen-chats seed --messages "$MESSAGES" 2>&1 | tee -a "$OUT/gen.txt" >&2
bench/gen-chats grow "${sizes[0]}" 2>&1 | tee -a "$OUT/gen.txt" >&2

# --- who is measured --------------------------------------------------------------------
# kind chat uid email before seller buyer other, one line per (chat, user) pair:
#   list:    the seller with the most chats (chat 0)
#   history: the probe chats, as their buyer and as their seller
#   deep:    the deep chat as its buyer and its seller, before = its 4000th message
#   post:    POST_PAIRS other open buyer_seller chats of distinct buyers and distinct sellers,
#            every 4th written by its seller (the anti-spam lookup runs for sellers)
psql_ -F $'\t' -v post_pairs="$POST_PAIRS" >"$OUT/pairs.tsv" <<'SQL'
SELECT 'list', 0, u.id, u.email, 0, 1, 0, 0 FROM users u
 WHERE u.id = (SELECT user_id FROM chat_sides WHERE user_id IS NOT NULL GROUP BY user_id ORDER BY count(*) DESC, user_id LIMIT 1);
SELECT r.role, c.id, u.id, u.email,
       CASE WHEN r.role = 'deep' THEN (SELECT id FROM bench_chat_plan p WHERE p.chat_id = c.id ORDER BY id OFFSET 3999 LIMIT 1) ELSE 0 END,
       (u.id = c.seller_id)::int, c.buyer_id, CASE WHEN u.id = c.seller_id THEN c.buyer_id ELSE c.seller_id END
FROM bench_chat_roles r JOIN chats c ON c.id = r.chat_id JOIN users u ON u.id IN (c.buyer_id, c.seller_id)
WHERE r.role IN ('probe', 'deep') ORDER BY r.role, c.id, u.id;
SELECT 'post', id, CASE WHEN k % 4 = 0 THEN seller_id ELSE buyer_id END,
       (SELECT email FROM users WHERE id = CASE WHEN k % 4 = 0 THEN seller_id ELSE buyer_id END),
       0, (k % 4 = 0)::int, buyer_id, CASE WHEN k % 4 = 0 THEN buyer_id ELSE seller_id END
FROM (SELECT *, row_number() OVER (ORDER BY random()) AS k FROM (
        SELECT DISTINCT ON (seller_id) * FROM (
            SELECT DISTINCT ON (buyer_id) c.* FROM chats c
            WHERE c.kind = 'buyer_seller' AND c.status = 'open'
              AND NOT EXISTS (SELECT 1 FROM bench_chat_roles r WHERE r.chat_id = c.id)
            ORDER BY buyer_id, random()) b
        ORDER BY seller_id, random()) s) x
WHERE k <= :post_pairs;
SQL
sed -i 's/^probe\t/history\t/' "$OUT/pairs.tsv"
for k in list history deep post; do
    n=$(awk -F'\t' -v k="$k" '$1 == k' "$OUT/pairs.tsv" | wc -l)
    [ "$n" -gt 0 ] || die "no $k pairs (see $OUT/pairs.tsv)"
    log "$k: $n chat/user pairs"
done
heavy_id=$(awk -F'\t' '$1 == "list" { print $3 }' "$OUT/pairs.tsv")

# --- the server -------------------------------------------------------------------------
log "starting $SELLERDESK_BIN serve on 127.0.0.1:$PORT (log: $OUT/server.log)"
export SELLERDESK_JWT_SECRET=${SELLERDESK_JWT_SECRET:-bench-secret-bench-secret-bench-secret-0123}
SELLERDESK_PORT=$PORT SELLERDESK_BIND_ADDRESS=127.0.0.1 \
    SELLERDESK_LOG_LEVEL=${SELLERDESK_LOG_LEVEL:-warn} \
    SELLERDESK_CHAT_MESSAGE_RATE=${SELLERDESK_CHAT_MESSAGE_RATE:-100000} \
    "$SELLERDESK_BIN" serve >>"$OUT/server.log" 2>&1 &
server_pid=$!
for i in $(seq 101); do
    [ "$i" -le 100 ] || die "server did not answer /healthz within 10 s"
    curl -fsS -o /dev/null "http://127.0.0.1:$PORT/healthz" 2>/dev/null && break
    kill -0 "$server_pid" 2>/dev/null || { tail -n 20 "$OUT/server.log" >&2; die "server exited"; }
    sleep 0.1
done
url="http://127.0.0.1:$PORT"

# Access tokens for every user of a pair, minted in SQL (bench/lib.sh mint_tokens)
mint_tokens "$(cut -f3 "$OUT/pairs.tsv" | sort -un | paste -sd,)" >"$OUT/tokens.tsv"
[ "$(wc -l <"$OUT/tokens.tsv")" = "$(cut -f3 "$OUT/pairs.tsv" | sort -u | wc -l)" ] || die "minting tokens failed"
log "minted tokens for $(wc -l <"$OUT/tokens.tsv") users"
# wrk inputs: "CHAT TOKEN [BEFORE]" per pair; the list's token alone
for k in history deep post; do
    awk -F'\t' -v k="$k" 'NR == FNR { tok[$1] = $2; next } $1 == k { print $2, tok[$3], $5 }' \
        "$OUT/tokens.tsv" "$OUT/pairs.tsv" >"$OUT/pairs-$k.txt"
done
awk -F'\t' 'NR == FNR { tok[$1] = $2; next } $1 == "list" { print tok[$3] }' "$OUT/tokens.tsv" "$OUT/pairs.tsv" >"$OUT/tokens-list.txt"

# sanity: each endpoint answers as expected for the first pair
api() { curl -fsS "$url$1" -H "Authorization: Bearer $2" "${@:3}"; }
read -r c t b <"$OUT/pairs-deep.txt"
api "/v1/chats" "$(cat "$OUT/tokens-list.txt")" >"$OUT/sample-list.json" || die "GET /v1/chats failed"
api "/v1/chats/$c/messages?before=$b" "$t" >"$OUT/sample-deep.json" || die "GET deep page failed"
read -r c t _ <"$OUT/pairs-history.txt"
api "/v1/chats/$c/messages" "$t" >"$OUT/sample-history.json" || die "GET /v1/chats/$c/messages failed"
{
    echo "list:    total_unread $(jq .total_unread "$OUT/sample-list.json"), $(jq '.items | length' "$OUT/sample-list.json") items, heavy user $heavy_id with $(psql_ -c "select count(*) from chat_sides where user_id = $heavy_id") chats"
    echo "history: chat $c, $(jq '.items | length' "$OUT/sample-history.json") items, ids $(jq '.items[0].id' "$OUT/sample-history.json")..$(jq '.items[-1].id' "$OUT/sample-history.json")"
    echo "deep:    $(jq '.items | length' "$OUT/sample-deep.json") items before $b, $(psql_ -c "select count(*) from chat_messages where chat_id = (select chat_id from bench_chat_roles where role = 'deep') and id >= $b") newer messages in the chat now"
} | tee "$OUT/samples.txt" >&2

# --- measuring --------------------------------------------------------------------------
declare -A WRK_RPS WRK_P50 WRK_P99 WRK_BAD WRK_REQS CPU_SRV CPU_PG_WRK CPU_WRK OTHER_WRK LOAD_WRK
declare -A PGB_TPS PGB_P50 PGB_P99 PGB_FAIL PGB_TXS CPU_PG_PGB CPU_PGB OTHER_PGB LOAD_PGB

wrk_args() { # endpoint -> script and its arguments
    case $1 in
    list) echo "bench/wrk/notifications.lua $url -- $OUT/tokens-list.txt /v1/chats" ;;
    history) echo "bench/wrk/chat_messages.lua $url -- $OUT/pairs-history.txt" ;;
    deep) echo "bench/wrk/chat_messages.lua $url -- $OUT/pairs-deep.txt before" ;;
    post) echo "bench/wrk/chat_post.lua $url -- $OUT/pairs-post.txt" ;;
    esac
}
run_wrk() { # key endpoint connections [warm-up]
    local key=$1 c=$3 script rest
    read -r script rest <<<"$(wrk_args "$2")"
    if [ "${4:-0}" = 1 ]; then
        log "wrk $2 -c$c: warm-up ${WARMUP}s"
        # shellcheck disable=SC2086
        wrk -t"$THREADS" -c"$c" -d"${WARMUP}s" -s "$script" $rest >/dev/null
    fi
    log "wrk $key: ${DURATION}s (load $(loadavg1))"
    # shellcheck disable=SC2086
    measured_wrk "$key" "$OUT/wrk-$key.txt" wrk -t"$THREADS" -c"$c" -d"${DURATION}s" --latency -s "$script" $rest
    [ "${WRK_BAD[$key]}" = 0 ] || log "WARNING: wrk $key had non-2xx responses or socket errors (see $OUT/wrk-$key.txt)"
}

# The pgbench preamble: a random pair of the endpoint's pairs file, as wrk picks one.
preamble() { # endpoint -> $OUT/pgbench-<endpoint>.sql = preamble + bench/pgbench/<script>
    local e=$1 sql
    case $e in list) sql=chat_list.sql ;; history | deep) sql=chat_messages.sql ;; post) sql=chat_post.sql ;; esac
    awk -F'\t' -v k="$e" '$1 == k { n++; chat[n] = $2; uid[n] = $3; before[n] = $5; seller[n] = $6; buyer[n] = $7; other[n] = $8 }
        END {
            printf "-- generated by bench/chats.sh from pairs.tsv (%s): a random (chat, user) pair\n", k
            printf "\\set k random(1, %d)\n", n
            split("chat uid before seller buyer other", names, " ")
            for (v = 1; v <= 6; v++) {
                printf "\\set %s CASE", names[v]
                for (i = 1; i <= n; i++) {
                    val = (v == 1 ? chat[i] : v == 2 ? uid[i] : v == 3 ? before[i] : v == 4 ? seller[i] : v == 5 ? buyer[i] : other[i])
                    printf " WHEN :k = %d THEN %s", i, val
                }
                printf " ELSE 0 END\n"
            }
        }' "$OUT/pairs.tsv" >"$OUT/pgbench-$e.sql"
    cat "bench/pgbench/$sql" >>"$OUT/pgbench-$e.sql"
}
run_pgbench() { # key endpoint clients
    local key=$1 e=$2 c=$3 skip
    # new backends warm up first (see measured_pgbench in bench/lib.sh): more clients, longer
    skip=$((2 + c / 32))
    log "pgbench $key: ${skip}s warm-up + ${DURATION}s (load $(loadavg1))"
    measured_pgbench "$key" "$OUT/pgbench-$key.txt" "$skip" pgbench -n -M prepared -c "$c" -j "$THREADS" \
        -T $((skip + DURATION)) --progress=1 \
        -D role=buyer -D none=all -D unread=false -D awaiting=-1 -D lim=$([ "$e" = list ] && echo 21 || echo 51) \
        -D window=60 -D t=true -D f=false \
        -l --sampling-rate=0.1 --log-prefix="$OUT/pgbench_log.$key" -f "$OUT/pgbench-$e.sql" "$DATABASE_URL"
    [ "${PGB_FAIL[$key]:-0}" = 0 ] || log "WARNING: pgbench $key had failed transactions (see $OUT/pgbench-$key.txt)"
}
for e in list history deep post; do preamble "$e"; done

# growth: the probe chats' newest page and the deep page at every size but the last (the
# last size is measured with the matrix below)
have=${sizes[0]}
for ((i = 0; i < ${#sizes[@]} - 1; i++)); do
    n=${sizes[i]}
    if [ "$n" -gt "$have" ]; then
        bench/gen-chats grow "$n" 2>&1 | tee -a "$OUT/gen.txt" >&2
        have=$n
    fi
    run_wrk "history-$n" history "$first_conns" 1
    run_wrk "deep-$n" deep "$first_conns" 1
done
if [ "$MESSAGES" -gt "$have" ]; then
    bench/gen-chats grow "$MESSAGES" 2>&1 | tee -a "$OUT/gen.txt" >&2
fi
psql_ -F ' ' <<SQL | tee "$OUT/sizes.txt" >&2
select 'chats', t.count, string_agg(kind || ' ' || n, ', ' order by kind) from (select kind, count(*) n from chats group by 1) s, (select count(*) from chats) t group by t.count;
select 'chat_messages', count(*), pg_size_pretty(pg_total_relation_size('chat_messages')) from chat_messages;
select 'messages per chat', 'median ' || percentile_disc(0.5) within group (order by n), 'p90 ' || percentile_disc(0.9) within group (order by n) || ', p99 ' || percentile_disc(0.99) within group (order by n) || ', max ' || max(n) || ', chats with 10k+: ' || count(*) filter (where n >= 10000) || ', none: ' || count(*) filter (where n = 0) from (select c.id, count(m.id) n from chats c left join chat_messages m on m.chat_id = c.id group by 1) s;
select 'heavy seller', $heavy_id, (select count(*) from chat_sides where user_id = $heavy_id) || ' chats, ' || (select count(*) from chat_sides where user_id = $heavy_id and unread > 0) || ' with unread';
select 'sides with unread', count(*) filter (where unread > 0), 'awaiting ' || count(*) filter (where awaiting_since is not null) || ' of ' || count(*) from chat_sides;
select 'database', pg_size_pretty(pg_database_size(current_database())), '';
SQL

# the matrix at the last size; post last (it writes)
for e in $ENDPOINTS; do
    warm=1
    for c in $CONNS; do
        run_wrk "$e-c$c" "$e" "$c" "$warm"
        warm=0
        run_pgbench "$e-c$c" "$e" "$c"
    done
done

# --- plans ------------------------------------------------------------------------------
# The statements as the server prepares them (no parameter types), executed 6 times so the
# plan cache settles, then EXPLAIN (ANALYZE, BUFFERS) of the next execution. The write is
# explained inside a transaction that is rolled back.
read -r hchat huid _ < <(awk -F'\t' '$1 == "history" { print $2, $3; exit }' "$OUT/pairs.tsv")
read -r dchat duid dbefore < <(awk -F'\t' '$1 == "deep" { print $2, $3, $5; exit }' "$OUT/pairs.tsv")
stmt() { # the statement of a pgbench file, by its first words
    grep -F "$2" "bench/pgbench/$1" | head -n 1 | sed 's/;$//'
}
explain() { # name sql-with-$n args
    echo "=== $1: EXECUTE s($3) after 6 executions"
    psql "$DATABASE_URL" -qAtX -v ON_ERROR_STOP=1 <<EOF
BEGIN;
PREPARE s AS $2;
$(for _ in 1 2 3 4 5 6; do echo "EXECUTE s($3) \\g /dev/null"; done)
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) EXECUTE s($3);
ROLLBACK;
EOF
}
list_sql=$(stmt chat_list.sql 'SELECT s.activity' | sed -e "s/NULLIF(:none, 'all')::text/\$3::text/" \
    -e "s/NULLIF(:none, 'all')::text/\$3/" -e "s/NULLIF(:none, 'all')::text/\$3::text/" -e "s/NULLIF(:none, 'all')::text/\$3/" \
    -e "s/NULLIF(:none, 'all')::text/\$4::text/" -e "s/NULLIF(:none, 'all')::text/\$4/" \
    -e "s/NULLIF(:none, 'all')::text/\$7::text/" -e "s/NULLIF(:none, 'all')::text/\$7/g" \
    -e 's/:uid/$1/g' -e 's/:before/$2/g' -e 's/:unread/$5/g' -e 's/:awaiting/$6/g' -e 's/:lim/$8/g')
msgs_sql=$(stmt chat_messages.sql 'WITH sides' | sed -e 's/:chat\([^_]\)/$1\1/g' -e 's/:before/$2/g' -e 's/:lim/$3/g' -e 's/:uid/$4/g' -e 's/:role/$5/g')
lock_sql=$(stmt chat_post.sql 'SELECT s.side' | sed -e 's/:chat\([^_]\)/$1\1/g' -e 's/:uid/$2/g' -e 's/:role/$3/g')
add_sql=$(stmt chat_post.sql 'WITH m AS' | sed -e 's/:chat\([^_]\)/$1\1/g' -e 's/:uid/$2/g' \
    -e "s/CASE WHEN :seller = 1 THEN 'seller' ELSE 'buyer' END/\$3/" \
    -e "s/'Hello, any news about my parcel? Note ' || \$2 || '-' || :r || ', thank you.'/\$4/" \
    -e "s/NULLIF(:none, 'all')::bigint\[\]/\$5::bigint[]/" -e "s/NULLIF(:none, 'all')::bigint/\$6/")
hside=$(awk -F'\t' '$1 == "history" { print ($6 == 1 ? "seller" : "buyer"); exit }' "$OUT/pairs.tsv")
{
    explain "GET /v1/chats: chat_q_list_user (heavy seller $heavy_id, first page)" "$list_sql" "$heavy_id, 0, NULL, NULL, false, -1, NULL, 21"
    explain "GET /v1/chats/$hchat/messages: chat_q_messages_before (newest page)" "$msgs_sql" "$hchat, 0, 51, $huid, 'buyer'"
    explain "GET /v1/chats/$dchat/messages?before=$dbefore: chat_q_messages_before (deep page)" "$msgs_sql" "$dchat, $dbefore, 51, $duid, 'buyer'"
    explain "POST /v1/chats/$hchat/messages: chat_q_lock" "$lock_sql" "$hchat, $huid, 'buyer'"
    explain "POST /v1/chats/$hchat/messages: chat_q_add_message (rolled back)" "$add_sql" \
        "$hchat, $huid, '$hside', 'An explained message', NULL, NULL"
} >"$OUT/explain.txt" 2>&1
seqscans=$(grep -cE 'Seq Scan on (chat_messages|chat_sides|chats)' "$OUT/explain.txt" || true)
log "plans in $OUT/explain.txt (Seq Scans on chat tables: $seqscans)"
grep -E '^===|Execution Time|Buffers: shared' "$OUT/explain.txt" | grep -vE '^\s{4,}Buffers' >&2 || true

# --- results ----------------------------------------------------------------------------
label() {
    case $1 in
    list*) echo "GET /v1/chats (heavy seller)" ;;
    history*) echo "GET /v1/chats/{id}/messages (newest 50)" ;;
    deep*) echo "GET /v1/chats/{id}/messages?before= (deep)" ;;
    post*) echo "POST /v1/chats/{id}/messages" ;;
    esac
}
ratio() { awk -v a="${WRK_RPS[$1]:-0}" -v b="${PGB_TPS[$1]:-0}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
echo "load after:  $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/machine.txt" >&2
{
    echo "| endpoint | conns | wrk req/s | wrk p50 ms | wrk p99 ms | pgbench tps | pgbench p50 ms | pgbench p99 ms | ratio | load (wrk/pgbench) |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"
    for e in $ENDPOINTS; do
        for c in $CONNS; do
            k=$e-c$c
            printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s / %s |\n' "$(label "$k")" "$c" \
                "${WRK_RPS[$k]}" "${WRK_P50[$k]}" "${WRK_P99[$k]}" \
                "${PGB_TPS[$k]}" "${PGB_P50[$k]}" "${PGB_P99[$k]}" "$(ratio "$k")" "${LOAD_WRK[$k]}" "${LOAD_PGB[$k]}"
        done
    done
    echo
    echo "ratio = wrk req/s / pgbench tps; $THREADS threads, ${DURATION}s each, chat_messages at $MESSAGES rows"
    echo "(before the POST runs). pgbench: its first 2 + clients/32 s (new backends warming up)"
    echo "left out; percentiles from a 10% sample of its per-transaction log. load = 1-minute"
    echo "load average when the run started."
    echo
    echo "CPU time per request in µs (/proc/PID/stat of the server and of the cluster's processes,"
    echo "\`times\` for wrk/pgbench); \"other\": share of the $(nproc) CPUs busy with anything else."
    echo
    echo "| endpoint | conns | wrk run: sellerdesk | PostgreSQL | wrk | other | pgbench run: PostgreSQL | pgbench | other |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    for e in $ENDPOINTS; do
        for c in $CONNS; do
            k=$e-c$c
            printf '| %s | %s | %s | %s | %s | %s%% | %s | %s | %s%% |\n' "$(label "$k")" "$c" \
                "$(per_req "${CPU_SRV[$k]}" "${WRK_REQS[$k]}")" "$(per_req "${CPU_PG_WRK[$k]}" "${WRK_REQS[$k]}")" \
                "$(per_req "${CPU_WRK[$k]}" "${WRK_REQS[$k]}")" "${OTHER_WRK[$k]}" \
                "$(per_req "${CPU_PG_PGB[$k]}" "${PGB_TXS[$k]}")" "$(per_req "${CPU_PGB[$k]}" "${PGB_TXS[$k]}")" "${OTHER_PGB[$k]}"
        done
    done
    echo
    echo "History latency as chat_messages grows (wrk, $first_conns connections, ${DURATION}s; the same"
    echo "probe chats and deep page at every size):"
    echo
    echo "| chat_messages | newest page req/s | p50 ms | p99 ms | deep page req/s | p50 ms | p99 ms | load | other |"
    echo "|---:|---:|---:|---:|---:|---:|---:|---|---|"
    for n in "${sizes[@]}"; do
        h=history-$n d=deep-$n
        [ "$n" = "$MESSAGES" ] && h=history-c$first_conns d=deep-c$first_conns
        [ -n "${WRK_RPS[$h]:-}" ] || continue
        printf '| %s | %s | %s | %s | %s | %s | %s | %s / %s | %s%% / %s%% |\n' "$n" \
            "${WRK_RPS[$h]}" "${WRK_P50[$h]}" "${WRK_P99[$h]}" "${WRK_RPS[$d]:-}" "${WRK_P50[$d]:-}" "${WRK_P99[$d]:-}" \
            "${LOAD_WRK[$h]}" "${LOAD_WRK[$d]:-}" "${OTHER_WRK[$h]}" "${OTHER_WRK[$d]:-}"
    done
    echo
    echo "Seq Scans on chat tables in the plans: $seqscans (see explain.txt)"
    bad=0
    for k in "${!WRK_BAD[@]}"; do bad=$((bad + WRK_BAD[$k])); done
    for k in "${!PGB_FAIL[@]}"; do [ "${PGB_FAIL[$k]:-0}" = 0 ] || bad=$((bad + 1)); done
    [ "$bad" = 0 ] && echo "All requests and transactions succeeded." ||
        echo "WARNING: failed requests/transactions, see $OUT/*.txt."
    echo "Whole run: $(($(date +%s) - t_start)) s."
} | tee "$OUT/results.md"
log "raw outputs in $OUT"
