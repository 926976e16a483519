#!/usr/bin/env bash
# bench/questions.sh — product questions (issue 6) with 200k questions over 20k products: the
# seller's filtered list (GET /v1/questions?status=new, ?product_id=, ?date_from=&date_to=), q
# search (a broad and a rare word) and GET /v1/questions/counts (seller, support) over HTTP
# with wrk at 16 and 64 connections, pgbench on exactly the same SQL
# (bench/pgbench/question_*.sql) with as many clients, and the search latency as questions
# grows 20k -> 200k -> 2M. See bench/README.md, "Questions (issue 6)".
#
# Steps: make build (release) in this tree; start a throwaway cluster of its own with
# scripts/pg.sh on a free port; a fresh database; migrate; bench/gen --reset (users, 20k
# products); bench/gen-questions seed (the plan of every question and answer) and grow to the
# first size; start bin/sellerdesk serve on a free port; mint access tokens for the measured
# users (the heavy seller, the probe sellers, a support agent). Then:
#  - growth: at each size (SIZES), wrk at the first of CONNS on q search as the probe sellers
#    (typical sellers whose 250 questions each are the same at every size) and as the heavy
#    seller (10% of the questions at every size, so its own matches grow with the table), for
#    the broad and the rare word;
#  - at MATRIX_SIZE, for each endpoint and each of CONNS: wrk, then pgbench (same clients);
#  - at the last size, EXPLAIN (ANALYZE, BUFFERS) of every statement as the server runs it:
#    list and search planned per call (a custom plan for the parameters), counts prepared
#    (the plan after 6 executions). The statements are taken from the compiled source
#    (cc -E src/question_store.c), so they are exactly the server's.
#
# Settings (environment):
#   QB_PG_DIR=/tmp/questionbench-pg QB_PG_PORT=(free)  cluster (stopped at the end unless KEEP_PG=1)
#   QB_PORT=(free)                                     sellerdesk port
#   QB_OUT=/tmp/sellerdesk-questionbench               raw outputs, logs, results.md
#   DURATION=15 WARMUP=3 THREADS=2 CONNS="16 64"       wrk -d/-t/-c, pgbench -T/-j/-c
#   SIZES="20000 200000 2000000" MATRIX_SIZE=200000    questions at each growth step; the matrix's
#   BROAD=размер RARE=гравировка                       the search words
#   BUYERS=10000 SELLERS=1000 PRODUCTS=20000 ORDERS=10000   bench/gen sizes
#   ENDPOINTS="list-new list-product list-dates search-broad search-rare counts counts-support"
#   BUILD=1                                            0: use the existing bin/sellerdesk
#   SELLERDESK_* settings pass through to the server (the pool stays at its default, 16)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

PG_DIR=${QB_PG_DIR:-/tmp/questionbench-pg}
PG_PORT=${QB_PG_PORT:-$(free_port)}
PORT=${QB_PORT:-$(free_port)}
OUT=${QB_OUT:-/tmp/sellerdesk-questionbench}
DURATION=${DURATION:-15}
WARMUP=${WARMUP:-3}
THREADS=${THREADS:-2}
CONNS=${CONNS:-16 64}
SIZES=${SIZES:-20000 200000 2000000}
MATRIX_SIZE=${MATRIX_SIZE:-200000}
BROAD=${BROAD:-размер}
RARE=${RARE:-гравировка}
ENDPOINTS=${ENDPOINTS:-list-new list-product list-dates search-broad search-rare counts counts-support}
SELLERDESK_BIN=${SELLERDESK_BIN:-bin/sellerdesk}
BENCH_PASSWORD=${BENCH_PASSWORD:-bench-password-1}
export BUYERS=${BUYERS:-10000} SELLERS=${SELLERS:-1000} PRODUCTS=${PRODUCTS:-20000} ORDERS=${ORDERS:-10000}
export SELLERDESK_BIN BENCH_PASSWORD
read -r -a sizes <<<"$SIZES"
QUESTIONS=${sizes[-1]}
first_conns=${CONNS%% *}
[[ " $SIZES " == *" $MATRIX_SIZE "* ]] || { echo "MATRIX_SIZE must be one of SIZES" >&2; exit 2; }

log() { printf '[questionbench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }
t_start=$(date +%s)

for tool in curl jq psql pgbench pg_isready wrk make cc; do
    command -v "$tool" >/dev/null || die "$tool is required"
done
mkdir -p "$OUT"
rm -f "$OUT"/pgbench_log.* "$OUT"/*.txt "$OUT"/*.tsv "$OUT"/*.tmp "$OUT"/*.sql "$OUT"/*.json "$OUT"/results.md "$OUT"/server.log

# sourced once, here: sourcing it again later would reset server_pid and started_pg, and the
# exit would then leave the server and the cluster running
. bench/lib.sh
bench_traps

# --- build and the machine --------------------------------------------------------------
bench_build_and_describe "DURATION=$DURATION WARMUP=$WARMUP THREADS=$THREADS CONNS='$CONNS' SIZES='$SIZES' MATRIX_SIZE=$MATRIX_SIZE BROAD=$BROAD RARE=$RARE pool=${SELLERDESK_DB_POOL_SIZE:-16 (default)}"

# --- the pgbench files hold the server's statements -------------------------------------
# The server's statements, from the preprocessed source.
# the server's statements: server_sql (bench/lib.sh) of this file
Q=src/question_store.c
# Each parameter, $n[::type] in the server's text and :var[::type], NULLIF(:var, 'all')[::type] or,
# for dates, NULLIF(:var::date, '-infinity') (a text cast to date is not folded when planning,
# so NULLIF(:var, 'all')::date kept the date filter out of the index scan: 114 tps against the
# server's 1 327 req/s; -infinity is "not given", folded as the server's NULL)
# in the pgbench file, becomes P: what is left must be the same text.
skeleton() { perl -pe 's/ AS prods / /; s/\s*\\gset\s*$//; s/NULLIF\(:\w+::date, \x27-infinity\x27\)(::date)?/P/g; s/NULLIF\(:\w+, \x27all\x27\)(::\w+(\[\])?)?/P/g; s/(?<!:):\w+(::\w+(\[\])?)?/P/g; s/\$\d+(::\w+(\[\])?)?/P/g; s/;\s*$//'; }
# (the statements of each file: the user lookup first, then these, one a line)
for pair in list:2:question_q_list_seller list_product:2:question_q_list_product_seller \
    search:2:question_q_search_products_seller \
    search:3:question_q_search_seller counts:2:question_q_counts_seller \
    counts_support:2:question_q_counts_support; do
    f=bench/pgbench/question_${pair%%:*}.sql
    a=$(grep -v '^--' "$f" | sed -n "$(cut -d: -f2 <<<"$pair")p" | skeleton)
    pair=${pair%%:*}:${pair##*:}
    b=$(server_sql $Q "${pair#*:}" | skeleton)
    [ -n "$b" ] && [ "$a" = "$b" ] || die "$f is not ${pair#*:} of src/question_store.c (skeletons: $a /// $b)"
done

# --- PostgreSQL, schema, data -----------------------------------------------------------
pg_isready -q -h 127.0.0.1 -p "$PG_PORT" || started_pg=1
DATABASE_URL=$(scripts/pg.sh start "$PG_DIR" "$PG_PORT")
export DATABASE_URL
psql_() { psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -qAtX "$@"; }
# bulk loads with fewer forced checkpoints (a reload is enough)
psql_ -c "ALTER SYSTEM SET max_wal_size = '8GB'" -c "SELECT pg_reload_conf()" >/dev/null
[ "$(psql_ -c 'show max_connections')" -ge $((${CONNS##* } + 40)) ] || die "max_connections too low for CONNS"
echo "postgresql:  $(psql_ -c 'show server_version') ($DATABASE_URL), shared_buffers $(psql_ -c 'show shared_buffers'), max_connections $(psql_ -c 'show max_connections'), fsync $(psql_ -c 'show fsync'), synchronous_commit $(psql_ -c 'show synchronous_commit'), jit $(psql_ -c 'show jit')" |
    tee -a "$OUT/machine.txt" >&2
# a fresh database every run: migrations are unreleased and may have changed since the last
admin_url=${DATABASE_URL%/*}/postgres
psql "$admin_url" -v ON_ERROR_STOP=1 -qAtX -c "DROP DATABASE IF EXISTS sellerdesk WITH (FORCE)" \
    -c "CREATE DATABASE sellerdesk OWNER sellerdesk" >/dev/null
"$SELLERDESK_BIN" migrate >"$OUT/migrate.log" 2>&1 || { cat "$OUT/migrate.log" >&2; die "migrate failed"; }

log "bench/gen --reset (buyers=$BUYERS sellers=$SELLERS products=$PRODUCTS orders=$ORDERS)"
bench/gen --reset 2>&1 | grep -v '^NOTICE' | tee "$OUT/gen.txt" >&2
bench/gen-questions seed --questions "$QUESTIONS" 2>&1 | tee -a "$OUT/gen.txt" >&2
bench/gen-questions grow "${sizes[0]}" 2>&1 | tee -a "$OUT/gen.txt" >&2

# --- who is measured --------------------------------------------------------------------
# role uid product: the heavy seller (with its busiest product), the probe sellers, a support agent
psql_ -F $'\t' >"$OUT/who.tsv" <<'SQL'
SELECT role, seller_id, coalesce(product_id, 0) FROM bench_question_roles WHERE role IN ('heavy', 'probe') ORDER BY role, seller_id;
SELECT 'support', min(id), 0 FROM users WHERE role = 'support' AND email LIKE 'support%@bench.sellerdesk.dev';
SQL
heavy_id=$(awk -F'\t' '$1 == "heavy" { print $2 }' "$OUT/who.tsv")
heavy_product=$(awk -F'\t' '$1 == "heavy" { print $3 }' "$OUT/who.tsv")
support_id=$(awk -F'\t' '$1 == "support" { print $2 }' "$OUT/who.tsv")
nprobes=$(awk -F'\t' '$1 == "probe"' "$OUT/who.tsv" | wc -l)
[ -n "$heavy_id" ] && [ "$heavy_product" != 0 ] && [ -n "$support_id" ] && [ "$nprobes" -gt 0 ] || die "who.tsv incomplete"
# the date filter: a month half a year back (the heavy seller's list walks past the newer half)
date_from=$(date -u -d '-200 days' +%Y-%m-%d)
date_to=$(date -u -d '-171 days' +%Y-%m-%d)
uri() { jq -rn --arg s "$1" '$s | @uri'; }
broad_uri=$(uri "$BROAD")
rare_uri=$(uri "$RARE")

# --- the server -------------------------------------------------------------------------
log "starting $SELLERDESK_BIN serve on 127.0.0.1:$PORT (log: $OUT/server.log)"
export SELLERDESK_JWT_SECRET=${SELLERDESK_JWT_SECRET:-bench-secret-bench-secret-bench-secret-0123}
SELLERDESK_PORT=$PORT SELLERDESK_BIND_ADDRESS=127.0.0.1 \
    SELLERDESK_LOG_LEVEL=${SELLERDESK_LOG_LEVEL:-warn} \
    "$SELLERDESK_BIN" serve >>"$OUT/server.log" 2>&1 &
server_pid=$!
for i in $(seq 101); do
    [ "$i" -le 100 ] || die "server did not answer /healthz within 10 s"
    curl -fsS -o /dev/null "http://127.0.0.1:$PORT/healthz" 2>/dev/null && break
    kill -0 "$server_pid" 2>/dev/null || { tail -n 20 "$OUT/server.log" >&2; die "server exited"; }
    sleep 0.1
done
url="http://127.0.0.1:$PORT"
log "server pid $server_pid"

mint_tokens "$(cut -f2 "$OUT/who.tsv" | sort -un | paste -sd,)" >"$OUT/tokens.tsv"
[ "$(wc -l <"$OUT/tokens.tsv")" = "$(cut -f2 "$OUT/who.tsv" | sort -u | wc -l)" ] || die "minting tokens failed"
for w in heavy probe support; do
    awk -F'\t' -v w="$w" 'NR == FNR { tok[$1] = $2; next } $1 == w { print tok[$2] }' \
        "$OUT/tokens.tsv" "$OUT/who.tsv" >"$OUT/tokens-$w.txt"
done

# --- what each endpoint is ----------------------------------------------------------------
# endpoint -> who, path, pgbench file, pgbench mode, the -D values that differ from the defaults
ep() {
    case $1 in
    list-new) echo "heavy /v1/questions?status=new list extended status=new" ;;
    list-product) echo "heavy /v1/questions?product_id=$heavy_product list_product extended product=$heavy_product" ;;
    list-dates) echo "heavy /v1/questions?date_from=$date_from&date_to=$date_to list extended dfrom=$date_from,dto=$date_to" ;;
    search-broad) echo "heavy /v1/questions?q=$broad_uri search extended q=$BROAD" ;;
    search-rare) echo "heavy /v1/questions?q=$rare_uri search extended q=$RARE" ;;
    probe-broad) echo "probe /v1/questions?q=$broad_uri search extended q=$BROAD" ;;
    probe-rare) echo "probe /v1/questions?q=$rare_uri search extended q=$RARE" ;;
    counts) echo "heavy /v1/questions/counts counts prepared -" ;;
    counts-support) echo "support /v1/questions/counts counts_support prepared -" ;;
    *) die "unknown endpoint $1" ;;
    esac
}
label() {
    case $1 in
    list-new*) echo "GET /v1/questions?status=new (heavy seller)" ;;
    list-product*) echo "GET /v1/questions?product_id= (heavy seller's busiest product)" ;;
    list-dates*) echo "GET /v1/questions?date_from=&date_to= (heavy seller, a month 200 days back)" ;;
    search-broad*) echo "GET /v1/questions?q=$BROAD (heavy seller, broad)" ;;
    search-rare*) echo "GET /v1/questions?q=$RARE (heavy seller, rare)" ;;
    counts-support*) echo "GET /v1/questions/counts (support)" ;;
    counts*) echo "GET /v1/questions/counts (heavy seller)" ;;
    esac
}

# sanity: every endpoint answers 200 with items (counts: with all > 0)
api() { curl -fsS "$url$1" -H "Authorization: Bearer $2"; }
sample() { # endpoint -> $OUT/sample-<endpoint>-<size>.json, and a line about it
    local who path n
    read -r who path _ <<<"$(ep "$1")"
    api "$path" "$(head -n 1 "$OUT/tokens-$who.txt")" >"$OUT/sample-$1-$2.json" || die "GET $path as $who failed"
    case $1 in
    counts*) n=$(jq .all "$OUT/sample-$1-$2.json") ;;
    *) n=$(jq '.items | length' "$OUT/sample-$1-$2.json") ;;
    esac
    [ "$n" -gt 0 ] || log "WARNING: GET $path as $who: nothing (see $OUT/sample-$1-$2.json)"
    # the ids of the page and a digest of the whole answer: the probes' must not change with size
    printf '%-8s %-13s %-52s %4s %s, ids %s, md5 %s\n' "$2" "$1" "$path" "$n" \
        "$(case $1 in counts*) echo all ;; *) echo items ;; esac)" \
        "$(jq -r '[.items[]?.id] | if length > 0 then "\(.[0])..\(.[-1])" else "-" end' "$OUT/sample-$1-$2.json")" \
        "$(md5sum <"$OUT/sample-$1-$2.json" | cut -c1-10)"
}

# --- measuring --------------------------------------------------------------------------
declare -A WRK_RPS WRK_P50 WRK_P99 WRK_BAD WRK_REQS CPU_SRV CPU_PG_WRK CPU_WRK OTHER_WRK LOAD_WRK
declare -A PGB_TPS PGB_P50 PGB_P99 PGB_FAIL PGB_TXS CPU_PG_PGB CPU_PGB OTHER_PGB LOAD_PGB

run_wrk() { # key endpoint connections [warm-up]
    local key=$1 c=$3 who path up
    read -r who path _ <<<"$(ep "$2")"
    if [ "${4:-0}" = 1 ]; then
        log "wrk $2 -c$c: warm-up ${WARMUP}s"
        wrk -t"$THREADS" -c"$c" -d"${WARMUP}s" -s bench/wrk/notifications.lua "$url" -- "$OUT/tokens-$who.txt" "$path" >/dev/null
    fi
    up=$(uptime)
    log "wrk $key: ${DURATION}s ($up)"
    measured_wrk "$key" "$OUT/wrk-$key.txt" wrk -t"$THREADS" -c"$c" -d"${DURATION}s" --latency \
        -s bench/wrk/notifications.lua "$url" -- "$OUT/tokens-$who.txt" "$path"
    echo "# uptime before the run: $up" >>"$OUT/wrk-$key.txt"
    [ "${WRK_BAD[$key]}" = 0 ] || log "WARNING: wrk $key had non-2xx responses or socket errors (see $OUT/wrk-$key.txt)"
}

# The pgbench script of an endpoint: a preamble setting :uid (a random one of the endpoint's
# users, as wrk picks a random token), then bench/pgbench/question_<file>.sql.
script() { # endpoint -> $OUT/pgbench-<endpoint>.sql
    local who file
    read -r who _ file _ <<<"$(ep "$1")"
    awk -F'\t' -v w="$who" '$1 == w { n++; uid[n] = $2 }
        END {
            printf "-- generated by bench/questions.sh from who.tsv (%s): a random one of its users\n", w
            printf "\\set k random(1, %d)\n\\set uid CASE", n
            for (i = 1; i <= n; i++) printf " WHEN :k = %d THEN %s", i, uid[i]
            printf " ELSE 0 END\n"
        }' "$OUT/who.tsv" >"$OUT/pgbench-$1.sql"
    cat "bench/pgbench/question_$file.sql" >>"$OUT/pgbench-$1.sql"
}
run_pgbench() { # key endpoint clients
    local key=$1 e=$2 c=$3 mode dvals skip up kv
    read -r _ _ _ mode dvals <<<"$(ep "$e")"
    # the handler's parameters: first page, limit 20 (+1), no filter unless the endpoint sets one
    local -A D=([show]=false [after]=0 [lim]=21 [status]=all [product]=all [sku]=all [dfrom]=-infinity [dto]=-infinity [q]=x [qsku]=all)
    if [ "$dvals" != - ]; then
        IFS=, read -r -a kv <<<"$dvals"
        for x in "${kv[@]}"; do D[${x%%=*}]=${x#*=}; done
    fi
    local dargs=()
    for k in "${!D[@]}"; do dargs+=(-D "$k=${D[$k]}"); done
    # new backends warm up first (see measured_pgbench in bench/lib.sh): more clients, longer
    skip=$((2 + c / 32))
    up=$(uptime)
    log "pgbench $key: ${skip}s warm-up + ${DURATION}s ($up)"
    measured_pgbench "$key" "$OUT/pgbench-$key.txt" "$skip" pgbench -n -M "$mode" -c "$c" -j "$THREADS" \
        -T $((skip + DURATION)) --progress=1 "${dargs[@]}" \
        -l --sampling-rate=0.1 --log-prefix="$OUT/pgbench_log.$key" -f "$OUT/pgbench-$e.sql" "$DATABASE_URL"
    echo "# uptime before the run: $up" >>"$OUT/pgbench-$key.txt"
    [ "${PGB_FAIL[$key]:-0}" = 0 ] || log "WARNING: pgbench $key had failed transactions (see $OUT/pgbench-$key.txt)"
}
for e in $ENDPOINTS; do script "$e"; done

sizes_report() {
    psql_ -F ' ' <<SQL | tee -a "$OUT/sizes.txt" >&2
select 'at ' || count(*) || ' questions:', pg_size_pretty(pg_total_relation_size('questions')) || ' with indexes (search GIN ' || pg_size_pretty(pg_relation_size('questions_search_idx')) || '), answers ' || (select count(*) from answers) || ', database ' || pg_size_pretty(pg_database_size(current_database())) from questions;
select '  heavy seller $heavy_id:', count(*) || ' questions (' || round(100.0 * count(*) / (select count(*) from questions), 1) || '%), approved ' || count(*) filter (where moderation_status = 'approved') || ', new ' || count(*) filter (where moderation_status = 'approved' and status = 'new') || ', on product $heavy_product ' || count(*) filter (where product_id = $heavy_product and moderation_status = 'approved') || ', $date_from..$date_to ' || count(*) filter (where moderation_status = 'approved' and created_at >= '$date_from' and created_at < '$date_to'::date + 1) || ', matching $BROAD ' || count(*) filter (where moderation_status = 'approved' and search @@ (websearch_to_tsquery('russian', '$BROAD') || websearch_to_tsquery('english', '$BROAD'))) || ', $RARE ' || count(*) filter (where moderation_status = 'approved' and search @@ (websearch_to_tsquery('russian', '$RARE') || websearch_to_tsquery('english', '$RARE'))) from questions where seller_id = $heavy_id;
select '  probe sellers:', count(*) || ' questions, ' || count(*) filter (where moderation_status = 'approved' and search @@ (websearch_to_tsquery('russian', '$BROAD') || websearch_to_tsquery('english', '$BROAD'))) || ' matching $BROAD, ' || count(*) filter (where moderation_status = 'approved' and search @@ (websearch_to_tsquery('russian', '$RARE') || websearch_to_tsquery('english', '$RARE'))) || ' $RARE' from questions where seller_id in (select seller_id from bench_question_roles where role = 'probe');
select '  statuses:', string_agg(moderation_status || '/' || status || ' ' || round(100.0 * n / t, 1) || '%', ', ' order by n desc) from (select moderation_status, status, count(*) n, sum(count(*)) over () t from questions group by 1, 2) s;
SQL
}

# growth: search as the probe sellers and as the heavy seller at every size; at MATRIX_SIZE
# the heavy seller's figures are the matrix's (same command)
have=0
for n in "${sizes[@]}"; do
    if [ "$n" -gt "$have" ]; then
        [ "$have" = 0 ] || bench/gen-questions grow "$n" 2>&1 | tee -a "$OUT/gen.txt" >&2
        have=$n
    fi
    sizes_report
    for e in probe-broad probe-rare search-broad search-rare list-new counts; do sample "$e" "$n"; done | tee -a "$OUT/samples.txt" >&2
    run_wrk "probe-broad-$n" probe-broad "$first_conns" 1
    run_wrk "probe-rare-$n" probe-rare "$first_conns" 1
    if [ "$n" = "$MATRIX_SIZE" ]; then
        for e in $ENDPOINTS; do
            warm=1
            for c in $CONNS; do
                run_wrk "$e-c$c" "$e" "$c" "$warm"
                warm=0
                run_pgbench "$e-c$c" "$e" "$c"
            done
        done
    else
        run_wrk "search-broad-$n" search-broad "$first_conns" 1
        run_wrk "search-rare-$n" search-rare "$first_conns" 1
    fi
done

# --- plans ------------------------------------------------------------------------------
explain() { # title statement params custom|generic
    echo "=== $1"
    echo "--- $2($3), $([ "$4" = custom ] && echo 'planned for these parameters (per call, as the server runs it)' || echo 'prepared, after 6 executions')"
    psql "$DATABASE_URL" -qAtX -v ON_ERROR_STOP=1 <<EOF
$([ "$4" = custom ] && echo "SET plan_cache_mode = force_custom_plan;")
PREPARE s AS $(server_sql $Q "$2");
$([ "$4" = custom ] || for _ in 1 2 3 4 5 6; do echo "EXECUTE s($3) \\g /dev/null"; done)
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) EXECUTE s($3);
EOF
}
[ -n "$(server_sql $Q question_q_search_seller)" ] || die "cannot read the statements from src/question_store.c"
probe1=$(awk -F'\t' '$1 == "probe" { print $2; exit }' "$OUT/who.tsv")
L="NULL, NULL, NULL" # sku, date_from, date_to
{
    echo "questions: $have"
    explain "GET /v1/questions?status=new (heavy seller $heavy_id)" question_q_list_seller "$heavy_id, 0, 21, 'new', NULL, $L, false" custom
    explain "GET /v1/questions?product_id=$heavy_product (heavy seller)" question_q_list_product_seller "$heavy_id, 0, 21, NULL, $heavy_product, NULL, NULL, NULL, false" custom
    explain "GET /v1/questions?date_from=$date_from&date_to=$date_to (heavy seller)" question_q_list_seller "$heavy_id, 0, 21, NULL, NULL, NULL, '$date_from', '$date_to', false" custom
    explain "GET /v1/questions (heavy seller, no filter)" question_q_list_seller "$heavy_id, 0, 21, NULL, NULL, $L, false" custom
    explain "GET /v1/questions?q=$BROAD (heavy seller)" question_q_search_seller "$heavy_id, 0, 21, NULL, NULL, $L, false, '$BROAD', '{}'" custom
    explain "GET /v1/questions?q=$RARE (heavy seller)" question_q_search_seller "$heavy_id, 0, 21, NULL, NULL, $L, false, '$RARE', '{}'" custom
    explain "GET /v1/questions?q=$BROAD (probe seller $probe1)" question_q_search_seller "$probe1, 0, 21, NULL, NULL, $L, false, '$BROAD', '{}'" custom
    explain "GET /v1/questions?q=$RARE (probe seller $probe1)" question_q_search_seller "$probe1, 0, 21, NULL, NULL, $L, false, '$RARE', '{}'" custom
    explain "GET /v1/questions?q=$BROAD (heavy seller): the products named by q" question_q_search_products_seller "$heavy_id, '$BROAD', NULL" generic
    explain "GET /v1/questions/counts (heavy seller)" question_q_counts_seller "$heavy_id" generic
    explain "GET /v1/questions/counts (support)" question_q_counts_support "$support_id" generic
} >"$OUT/explain.txt" 2>&1
seqscans=$(grep -cE 'Seq Scan on (questions|answers)' "$OUT/explain.txt" || true)
log "plans in $OUT/explain.txt (Seq Scans on questions/answers: $seqscans)"
grep -E '^===|Execution Time|^  Buffers: shared' "$OUT/explain.txt" >&2 || true

# --- results ----------------------------------------------------------------------------
ratio() { awk -v a="${WRK_RPS[$1]:-0}" -v b="${PGB_TPS[$1]:-0}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
echo "uptime after: $(uptime)" | tee -a "$OUT/machine.txt" >&2
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
    echo "ratio = wrk req/s / pgbench tps; $THREADS threads, ${DURATION}s each, $MATRIX_SIZE questions."
    echo "pgbench: its first 2 + clients/32 s (new backends warming up) left out; percentiles from a"
    echo "10% sample of its per-transaction log. load = 1-minute load average when the run started."
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
    echo "Search latency as questions grows (wrk, $first_conns connections, ${DURATION}s each). Probe"
    echo "sellers: the same $nprobes sellers and the same questions at every size; heavy seller: 10% of"
    echo "the questions at every size, so its own matches grow with the table."
    echo
    echo "| questions | probe $BROAD req/s | p50 ms | p99 ms | probe $RARE req/s | p50 ms | p99 ms | heavy $BROAD req/s | p50 ms | p99 ms | heavy $RARE req/s | p50 ms | p99 ms | other |"
    echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
    for n in "${sizes[@]}"; do
        pb=probe-broad-$n pr=probe-rare-$n hb=search-broad-$n hr=search-rare-$n
        [ "$n" = "$MATRIX_SIZE" ] && hb=search-broad-c$first_conns hr=search-rare-c$first_conns
        [ -n "${WRK_RPS[$pb]:-}" ] || continue
        printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s%%/%s%%/%s%%/%s%% |\n' "$n" \
            "${WRK_RPS[$pb]}" "${WRK_P50[$pb]}" "${WRK_P99[$pb]}" "${WRK_RPS[$pr]}" "${WRK_P50[$pr]}" "${WRK_P99[$pr]}" \
            "${WRK_RPS[$hb]:-}" "${WRK_P50[$hb]:-}" "${WRK_P99[$hb]:-}" "${WRK_RPS[$hr]:-}" "${WRK_P50[$hr]:-}" "${WRK_P99[$hr]:-}" \
            "${OTHER_WRK[$pb]}" "${OTHER_WRK[$pr]}" "${OTHER_WRK[$hb]:-}" "${OTHER_WRK[$hr]:-}"
    done
    echo
    echo "Seq Scans on questions/answers in the plans: $seqscans (see explain.txt)"
    bad=0
    for k in "${!WRK_BAD[@]}"; do bad=$((bad + WRK_BAD[$k])); done
    for k in "${!PGB_FAIL[@]}"; do [ "${PGB_FAIL[$k]:-0}" = 0 ] || bad=$((bad + 1)); done
    [ "$bad" = 0 ] && echo "All requests and transactions succeeded." ||
        echo "WARNING: failed requests/transactions, see $OUT/*.txt."
    echo "Whole run: $(($(date +%s) - t_start)) s."
} | tee "$OUT/results.md"
log "raw outputs in $OUT"
