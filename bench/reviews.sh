#!/usr/bin/env bash
# bench/reviews.sh — reviews (issue 12) with 1M reviews over 100k products, a heavy seller with
# 200k of them: the seller's work list with each filter and each sort, q search (a broad and a
# rare word), the counters (seller, support), the product page and the product's rating over
# HTTP with wrk, beside pgbench of exactly the same SQL with as many clients; and the list
# latency as reviews grow 100k -> 1M -> 10M. See bench/README.md, "Reviews (issue 12)".
#
# Steps: make build (release) in this tree; start a throwaway cluster of its own with
# scripts/pg.sh on a free port; a fresh database; migrate; bench/gen --reset (users, 100k
# products); bench/gen-reviews seed (the plan of every review and comment) and grow to the
# first size; start bin/sellerdesk serve on a free port; mint access tokens (the heavy seller,
# the probe sellers, a support agent). Then:
#  - growth: at each size (SIZES), wrk on GROWTH_ENDPOINTS (the heavy seller's lists, whose
#    share of the table stays 20%, and the probe sellers', whose reviews do not change);
#  - at MATRIX_SIZE, for each of ENDPOINTS and each of CONNS: wrk, then pgbench (same
#    clients) of the statements the server runs for it, generated from the compiled source
#    (cc -E src/review_list_store.c, src/user_store.c), so they are exactly the server's;
#  - at the last size, EXPLAIN (ANALYZE, BUFFERS) of every list statement as the server runs
#    it (planned per call, for the parameters).
#
# Settings (environment):
#   RB_PG_DIR=/tmp/reviewbench-pg RB_PG_PORT=(free)  cluster (stopped at the end unless KEEP_PG=1)
#   RB_PORT=(free)                                   sellerdesk port
#   RB_OUT=/tmp/sellerdesk-reviewbench               raw outputs, logs, results.md
#   DURATION=10 WARMUP=3 THREADS=2 CONNS=16          wrk -d/-t/-c, pgbench -T/-j/-c
#   SIZES="100000 1000000 10000000" MATRIX_SIZE=1000000   reviews at each step; the matrix's
#                                                    (none: growth only, no matrix)
#   BROAD=качество RARE=царапина                     the search words
#   BUYERS=10000 SELLERS=1000 PRODUCTS=100000 ORDERS=10000   bench/gen sizes
#   ENDPOINTS="list list-date-asc ..." GROWTH_ENDPOINTS="list ..."   (see ep below)
#   BUILD=1                                          0: use the existing bin/sellerdesk
#   SELLERDESK_* settings pass through to the server (the pool stays at its default, 16)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

PG_DIR=${RB_PG_DIR:-/tmp/reviewbench-pg}
PG_PORT=${RB_PG_PORT:-$(free_port)}
PORT=${RB_PORT:-$(free_port)}
OUT=${RB_OUT:-/tmp/sellerdesk-reviewbench}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-3}
THREADS=${THREADS:-2}
CONNS=${CONNS:-16}
SIZES=${SIZES:-100000 1000000 10000000}
MATRIX_SIZE=${MATRIX_SIZE:-1000000}
BROAD=${BROAD:-качество}
RARE=${RARE:-царапина}
ENDPOINTS=${ENDPOINTS:-list list-date-asc list-rating-desc list-rating-asc list-new list-rating12 list-media list-notext list-unanswered list-product list-sku list-dates search-broad search-rare counts counts-support page rating}
GROWTH_ENDPOINTS=${GROWTH_ENDPOINTS:-list list-rating-asc list-new list-rating12 list-media list-dates search-rare probe-list probe-rating-asc page rating}
SELLERDESK_BIN=${SELLERDESK_BIN:-bin/sellerdesk}
BENCH_PASSWORD=${BENCH_PASSWORD:-bench-password-1}
export BUYERS=${BUYERS:-10000} SELLERS=${SELLERS:-1000} PRODUCTS=${PRODUCTS:-100000} ORDERS=${ORDERS:-10000}
export SELLERDESK_BIN BENCH_PASSWORD
read -r -a sizes <<<"$SIZES"
REVIEWS=${sizes[-1]}
first_conns=${CONNS%% *}
[ "$MATRIX_SIZE" = none ] && ENDPOINTS=
[ "$MATRIX_SIZE" = none ] || [[ " $SIZES " == *" $MATRIX_SIZE "* ]] || { echo "MATRIX_SIZE must be one of SIZES or none" >&2; exit 2; }

log() { printf '[reviewbench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }
t_start=$(date +%s)

for tool in curl jq psql pgbench pg_isready wrk make cc perl; do
    command -v "$tool" >/dev/null || die "$tool is required"
done
mkdir -p "$OUT"
rm -f "$OUT"/pgbench_log.* "$OUT"/*.txt "$OUT"/*.tsv "$OUT"/*.tmp "$OUT"/*.sql "$OUT"/*.json "$OUT"/results.md "$OUT"/server.log

. bench/lib.sh
bench_traps

# --- build and the machine --------------------------------------------------------------
bench_build_and_describe "DURATION=$DURATION WARMUP=$WARMUP THREADS=$THREADS CONNS='$CONNS' SIZES='$SIZES' MATRIX_SIZE=$MATRIX_SIZE BROAD=$BROAD RARE=$RARE pool=${SELLERDESK_DB_POOL_SIZE:-16 (default)}"

# --- the server's statements (server_sql, pgb_sql: bench/lib.sh) ---------------------------
LIST_OPT="4:text 5:int[] 6:bool 7:bool 8:bool 9:bigint 10:date 11:date 12:text"
[ -n "$(server_sql src/review_list_store.c review_q_list_seller_date_desc)" ] || die "cannot read the statements from src/review_list_store.c"
[ -n "$(server_sql src/user_store.c user_q_get)" ] || die "cannot read user_q_get from src/user_store.c"

# --- PostgreSQL, schema, data -----------------------------------------------------------
pg_isready -q -h 127.0.0.1 -p "$PG_PORT" || started_pg=1
DATABASE_URL=$(scripts/pg.sh start "$PG_DIR" "$PG_PORT")
export DATABASE_URL
psql_() { psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -qAtX "$@"; }
psql_ -c "ALTER SYSTEM SET max_wal_size = '16GB'" -c "SELECT pg_reload_conf()" >/dev/null
[ "$(psql_ -c 'show max_connections')" -ge $((${CONNS##* } + 40)) ] || die "max_connections too low for CONNS"
echo "postgresql:  $(psql_ -c 'show server_version') ($DATABASE_URL), shared_buffers $(psql_ -c 'show shared_buffers'), max_connections $(psql_ -c 'show max_connections'), fsync $(psql_ -c 'show fsync'), synchronous_commit $(psql_ -c 'show synchronous_commit'), jit $(psql_ -c 'show jit')" |
    tee -a "$OUT/machine.txt" >&2
admin_url=${DATABASE_URL%/*}/postgres
psql "$admin_url" -v ON_ERROR_STOP=1 -qAtX -c "DROP DATABASE IF EXISTS sellerdesk WITH (FORCE)" \
    -c "CREATE DATABASE sellerdesk OWNER sellerdesk" >/dev/null
"$SELLERDESK_BIN" migrate >"$OUT/migrate.log" 2>&1 || { cat "$OUT/migrate.log" >&2; die "migrate failed"; }

log "bench/gen --reset (buyers=$BUYERS sellers=$SELLERS products=$PRODUCTS orders=$ORDERS)"
bench/gen --reset 2>&1 | grep -v '^NOTICE' | tee "$OUT/gen.txt" >&2
bench/gen-reviews seed --reviews "$REVIEWS" 2>&1 | tee -a "$OUT/gen.txt" >&2
bench/gen-reviews grow "${sizes[0]}" 2>&1 | tee -a "$OUT/gen.txt" >&2

# --- who is measured --------------------------------------------------------------------
psql_ -F $'\t' >"$OUT/who.tsv" <<'SQL'
SELECT role, seller_id, coalesce(product_id, 0) FROM bench_review_roles WHERE role IN ('heavy', 'probe') ORDER BY role, seller_id;
SELECT 'support', min(id), 0 FROM users WHERE role = 'support' AND email LIKE 'support%@bench.sellerdesk.dev';
SQL
heavy_id=$(awk -F'\t' '$1 == "heavy" { print $2 }' "$OUT/who.tsv")
heavy_product=$(awk -F'\t' '$1 == "heavy" { print $3 }' "$OUT/who.tsv")
heavy_sku=$(psql_ -c "select sku from products where id = $heavy_product")
support_id=$(awk -F'\t' '$1 == "support" { print $2 }' "$OUT/who.tsv")
nprobes=$(awk -F'\t' '$1 == "probe"' "$OUT/who.tsv" | wc -l)
[ -n "$heavy_id" ] && [ "$heavy_product" != 0 ] && [ -n "$support_id" ] && [ "$nprobes" -gt 0 ] || die "who.tsv incomplete"
date_from=$(date -u -d '-200 days' +%Y-%m-%d)
date_to=$(date -u -d '-171 days' +%Y-%m-%d)
uri() { jq -rn --arg s "$1" '$s | @uri'; }
broad_uri=$(uri "$BROAD")
rare_uri=$(uri "$RARE")

# --- the server -------------------------------------------------------------------------
bench_start_server

mint_tokens "$(cut -f2 "$OUT/who.tsv" | sort -un | paste -sd,)" >"$OUT/tokens.tsv"
[ "$(wc -l <"$OUT/tokens.tsv")" = "$(cut -f2 "$OUT/who.tsv" | sort -u | wc -l)" ] || die "minting tokens failed"
for w in heavy probe support; do
    awk -F'\t' -v w="$w" 'NR == FNR { tok[$1] = $2; next } $1 == w { print tok[$2] }' \
        "$OUT/tokens.tsv" "$OUT/who.tsv" >"$OUT/tokens-$w.txt"
done

# --- what each endpoint is ----------------------------------------------------------------
# endpoint -> who, path, statements (file:statement, comma-separated, after the user lookup),
# pgbench mode, the -D values that differ from the defaults (semicolon-separated)
L=src/review_list_store.c
ep() {
    case $1 in
    list) echo "heavy /v1/reviews $L:review_q_list_seller_date_desc extended -" ;;
    list-date-asc) echo "heavy /v1/reviews?sort=date_asc $L:review_q_list_seller_date_asc extended -" ;;
    list-rating-desc) echo "heavy /v1/reviews?sort=rating_desc $L:review_q_list_seller_rating_desc extended -" ;;
    list-rating-asc) echo "heavy /v1/reviews?sort=rating_asc $L:review_q_list_seller_rating_asc extended -" ;;
    list-new) echo "heavy /v1/reviews?status=new $L:review_q_list_seller_date_desc extended p4=new" ;;
    list-rating12) echo "heavy /v1/reviews?rating=1,2 $L:review_q_list_seller_date_desc extended p5={1,2}" ;;
    list-media) echo "heavy /v1/reviews?has_media=true $L:review_q_list_seller_date_desc extended p6=true" ;;
    list-notext) echo "heavy /v1/reviews?has_text=false $L:review_q_list_seller_date_desc extended p7=false" ;;
    list-unanswered) echo "heavy /v1/reviews?answered=false $L:review_q_list_seller_date_desc extended p8=false" ;;
    list-product) echo "heavy /v1/reviews?product_id=$heavy_product $L:review_q_product,$L:review_q_list_seller_date_desc extended p9=$heavy_product;q2=$heavy_product" ;;
    list-sku) echo "heavy /v1/reviews?sku=$heavy_sku $L:review_q_product,$L:review_q_list_seller_date_desc extended p9=$heavy_product;q3=$heavy_sku" ;;
    list-dates) echo "heavy /v1/reviews?date_from=$date_from&date_to=$date_to $L:review_q_list_seller_date_desc extended p10=$date_from;p11=$date_to" ;;
    search-broad) echo "heavy /v1/reviews?q=$broad_uri $L:review_q_list_seller_date_desc extended p12=$BROAD" ;;
    search-rare) echo "heavy /v1/reviews?q=$rare_uri $L:review_q_list_seller_date_desc extended p12=$RARE" ;;
    probe-list) echo "probe /v1/reviews $L:review_q_list_seller_date_desc extended -" ;;
    probe-rating-asc) echo "probe /v1/reviews?sort=rating_asc $L:review_q_list_seller_rating_asc extended -" ;;
    counts) echo "heavy /v1/reviews/counts $L:review_q_counts_seller prepared -" ;;
    counts-support) echo "support /v1/reviews/counts $L:review_q_counts_support prepared -" ;;
    page) echo "probe /v1/products/$heavy_product/reviews $L:review_q_product_exists,$L:review_q_page_date_desc extended -" ;;
    rating) echo "probe /v1/products/$heavy_product/rating $L:review_q_rating prepared -" ;;
    *) die "unknown endpoint $1" ;;
    esac
}
label() {
    case $1 in
    list-date-asc*) echo "GET /v1/reviews?sort=date_asc" ;;
    list-rating-desc*) echo "GET /v1/reviews?sort=rating_desc" ;;
    list-rating-asc*) echo "GET /v1/reviews?sort=rating_asc" ;;
    list-new*) echo "GET /v1/reviews?status=new" ;;
    list-rating12*) echo "GET /v1/reviews?rating=1,2" ;;
    list-media*) echo "GET /v1/reviews?has_media=true" ;;
    list-notext*) echo "GET /v1/reviews?has_text=false" ;;
    list-unanswered*) echo "GET /v1/reviews?answered=false" ;;
    list-product*) echo "GET /v1/reviews?product_id= (busiest product)" ;;
    list-sku*) echo "GET /v1/reviews?sku= (busiest product)" ;;
    list-dates*) echo "GET /v1/reviews?date_from=&date_to= (a month 200 days back)" ;;
    list*) echo "GET /v1/reviews (date_desc, no filter)" ;;
    search-broad*) echo "GET /v1/reviews?q=$BROAD (broad)" ;;
    search-rare*) echo "GET /v1/reviews?q=$RARE (rare)" ;;
    probe-list*) echo "GET /v1/reviews (probe sellers)" ;;
    probe-rating-asc*) echo "GET /v1/reviews?sort=rating_asc (probe sellers)" ;;
    counts-support*) echo "GET /v1/reviews/counts (support)" ;;
    counts*) echo "GET /v1/reviews/counts" ;;
    page*) echo "GET /v1/products/{id}/reviews (busiest product)" ;;
    rating*) echo "GET /v1/products/{id}/rating (busiest product)" ;;
    esac
}

api() { curl -fsS "$url$1" -H "Authorization: Bearer $2"; }
sample() { # endpoint size -> $OUT/sample-<endpoint>-<size>.json, and a line about it
    local who path n
    read -r who path _ <<<"$(ep "$1")"
    api "$path" "$(head -n 1 "$OUT/tokens-$who.txt")" >"$OUT/sample-$1-$2.json" || die "GET $path as $who failed"
    case $1 in
    counts*) n=$(jq .all "$OUT/sample-$1-$2.json") ;;
    rating) n=$(jq .count "$OUT/sample-$1-$2.json") ;;
    *) n=$(jq '.items | length' "$OUT/sample-$1-$2.json") ;;
    esac
    [ "$n" -gt 0 ] || log "WARNING: GET $path as $who: nothing (see $OUT/sample-$1-$2.json)"
    printf '%-9s %-17s %-62s %7s, ids %s, md5 %s\n' "$2" "$1" "$path" "$n" \
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
# users, as wrk picks a random token), then the user lookup, then its statements.
script() { # endpoint -> $OUT/pgbench-<endpoint>.sql
    local who stmts s
    read -r who _ stmts _ <<<"$(ep "$1")"
    {
        echo "-- generated by bench/reviews.sh from the compiled source: the user lookup, then $stmts"
        awk -F'\t' -v w="$who" '$1 == w { n++; uid[n] = $2 }
            END {
                printf "\\set k random(1, %d)\n\\set uid CASE", n
                for (i = 1; i <= n; i++) printf " WHEN :k = %d THEN %s", i, uid[i]
                printf " ELSE 0 END\n"
            }' "$OUT/who.tsv"
        pgb_sql src/user_store.c user_q_get "" | sed 's/:p1/:uid/g'
        for s in ${stmts//,/ }; do
            case ${s#*:} in
            review_q_list_*) pgb_sql "${s%%:*}" "${s#*:}" "$LIST_OPT" | sed 's/:p1\b/:uid/g' ;;
            review_q_product) pgb_sql "${s%%:*}" "${s#*:}" "2:bigint 3:bigint" | sed 's/:p\([1-4]\)\b/:q\1/g; s/:q1\b/:uid/g' ;;
            review_q_counts_*) pgb_sql "${s%%:*}" "${s#*:}" "" | sed 's/:p1\b/:uid/g' ;;
            review_q_page_*) pgb_sql "${s%%:*}" "${s#*:}" "4:int[] 5:bool" | sed 's/:p6\b/:uid/g' ;;
            *) pgb_sql "${s%%:*}" "${s#*:}" "" ;;
            esac
        done
    } >"$OUT/pgbench-$1.sql"
}
run_pgbench() { # key endpoint clients
    local key=$1 e=$2 c=$3 mode dvals skip up kv
    read -r _ path _ mode dvals <<<"$(ep "$e")"
    # the handler's parameters: first page, limit 20 (+1), no filter unless the endpoint sets
    # one; the product lookup's (q2, q3; q4: restricted to the seller's own)
    local p1=$heavy_product
    local -A D=([p1]=$p1 [p2]=0 [p3]=21 [p4]=all [p5]=all [p6]=all [p7]=all [p8]=all [p9]=all
        [p10]=-infinity [p11]=-infinity [p12]=all [p13]=1 [q2]=all [q3]=all [q4]=true)
    if [ "$dvals" != - ]; then
        IFS=';' read -r -a kv <<<"$dvals"
        for x in "${kv[@]}"; do D[${x%%=*}]=${x#*=}; done
    fi
    local dargs=()
    for k in "${!D[@]}"; do dargs+=(-D "$k=${D[$k]}"); done
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
# each pgbench script answers what the server answers: the same rows (ids) for the first page
check_script() { # endpoint
    local who path dvals got want
    read -r who path _ _ dvals <<<"$(ep "$1")"
    case $1 in counts* | rating) return 0 ;; esac
    want=$(api "$path" "$(head -n 1 "$OUT/tokens-$who.txt")" | jq -c '[.items[].id]')
    got=$(awk -F'\t' -v w="$who" '$1 == w { print $2; exit }' "$OUT/who.tsv")
    # run the script's statements once through psql with the first user's values
    local sql
    sql=$(sed '/^\\set/d; /^--/d' "$OUT/pgbench-$1.sql" | sed "s/:uid\b/$got/g; s/:k\b/1/g")
    local -A D=([p1]=$heavy_product [p2]=0 [p3]=21 [p4]=all [p5]=all [p6]=all [p7]=all [p8]=all [p9]=all
        [p10]=-infinity [p11]=-infinity [p12]=all [p13]=1 [q2]=all [q3]=all [q4]=true)
    if [ "$dvals" != - ]; then
        IFS=';' read -r -a kv <<<"$dvals"
        for x in "${kv[@]}"; do D[${x%%=*}]=${x#*=}; done
    fi
    for k in "${!D[@]}"; do sql=$(perl -pe "s/:$k\\b/'${D[$k]}'/g" <<<"$sql"); done
    got=$(psql_ -F $'\t' <<<"$sql" | awk -F'\t' 'NF == 2 && $1 ~ /^[0-9]+$/ { print $1 }' | head -n 20 | paste -sd, | sed 's/^/[/; s/$/]/')
    [ "$got" = "$want" ] || die "pgbench-$1.sql answers $got, the server $want"
}

sizes_report() {
    psql_ -F ' ' <<SQL | tee -a "$OUT/sizes.txt" >&2
select 'at ' || count(*) || ' reviews:', pg_size_pretty(pg_total_relation_size('reviews')) || ' with indexes (search GIN ' || pg_size_pretty(pg_relation_size('reviews_search_idx')) || '), comments ' || (select count(*) from review_comments) || ', database ' || pg_size_pretty(pg_database_size(current_database())) from reviews;
select '  heavy seller $heavy_id:', count(*) || ' reviews (' || round(100.0 * count(*) / (select count(*) from reviews), 1) || '%), listed ' || count(*) filter (where listed) || ', new ' || count(*) filter (where listed and status = 'new') || ', rating 1-2 ' || count(*) filter (where listed and rating <= 2) || ', media ' || count(*) filter (where listed and has_media) || ', on product $heavy_product ' || count(*) filter (where product_id = $heavy_product and listed) || ', $date_from..$date_to ' || count(*) filter (where listed and created_at >= '$date_from' and created_at < '$date_to'::date + 1) || ', matching $BROAD ' || count(*) filter (where listed and search @@ (websearch_to_tsquery('russian', '$BROAD') || websearch_to_tsquery('english', '$BROAD'))) || ', $RARE ' || count(*) filter (where listed and search @@ (websearch_to_tsquery('russian', '$RARE') || websearch_to_tsquery('english', '$RARE'))) from reviews where seller_id = $heavy_id;
select '  probe sellers:', count(*) || ' reviews' from reviews where seller_id in (select seller_id from bench_review_roles where role = 'probe');
SQL
}

have=0
for n in "${sizes[@]}"; do
    if [ "$n" -gt "$have" ]; then
        [ "$have" = 0 ] || bench/gen-reviews grow "$n" 2>&1 | tee -a "$OUT/gen.txt" >&2
        have=$n
    fi
    sizes_report
    for e in $GROWTH_ENDPOINTS counts; do sample "$e" "$n"; done | tee -a "$OUT/samples.txt" >&2
    for e in $GROWTH_ENDPOINTS; do run_wrk "$e-$n" "$e" "$first_conns" 1; done
    if [ "$n" = "$MATRIX_SIZE" ]; then
        for e in $ENDPOINTS; do check_script "$e"; done
        log "every pgbench script answers the server's rows"
        for e in $ENDPOINTS; do
            warm=1
            for c in $CONNS; do
                run_wrk "$e-c$c" "$e" "$c" "$warm"
                warm=0
                run_pgbench "$e-c$c" "$e" "$c"
            done
        done
    fi
done

# --- plans ------------------------------------------------------------------------------
explain() { # title statement params
    echo "=== $1"
    echo "--- $2($3), planned for these parameters (per call, as the server runs it)"
    psql "$DATABASE_URL" -qAtX -v ON_ERROR_STOP=1 <<EOF
SET plan_cache_mode = force_custom_plan;
PREPARE s AS $(server_sql $L "$2");
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) EXECUTE s($3);
EOF
}
N9="NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL"
{
    echo "reviews: $have"
    explain "GET /v1/reviews (heavy seller $heavy_id)" review_q_list_seller_date_desc "$heavy_id, 0, 21, $N9, 1"
    explain "GET /v1/reviews?sort=rating_asc" review_q_list_seller_rating_asc "$heavy_id, 0, 21, $N9, 1"
    explain "GET /v1/reviews?status=new" review_q_list_seller_date_desc "$heavy_id, 0, 21, 'new', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 1"
    explain "GET /v1/reviews?rating=1,2" review_q_list_seller_date_desc "$heavy_id, 0, 21, NULL, '{1,2}', NULL, NULL, NULL, NULL, NULL, NULL, NULL, 1"
    explain "GET /v1/reviews?has_media=true" review_q_list_seller_date_desc "$heavy_id, 0, 21, NULL, NULL, true, NULL, NULL, NULL, NULL, NULL, NULL, 1"
    explain "GET /v1/reviews?product_id=$heavy_product" review_q_list_seller_date_desc "$heavy_id, 0, 21, NULL, NULL, NULL, NULL, NULL, $heavy_product, NULL, NULL, NULL, 1"
    explain "GET /v1/reviews?date_from=$date_from&date_to=$date_to" review_q_list_seller_date_desc "$heavy_id, 0, 21, NULL, NULL, NULL, NULL, NULL, NULL, '$date_from', '$date_to', NULL, 1"
    explain "GET /v1/reviews?q=$BROAD" review_q_list_seller_date_desc "$heavy_id, 0, 21, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '$BROAD', 1"
    explain "GET /v1/reviews?q=$RARE" review_q_list_seller_date_desc "$heavy_id, 0, 21, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '$RARE', 1"
    explain "GET /v1/products/$heavy_product/reviews" review_q_page_date_desc "$heavy_product, 0, 21, NULL, NULL, $support_id"
    explain "GET /v1/reviews/counts (support)" review_q_counts_support "$support_id"
} >"$OUT/explain.txt" 2>&1
seqscans=$(grep -cE 'Seq Scan on (reviews|review_comments)' "$OUT/explain.txt" || true)
log "plans in $OUT/explain.txt (Seq Scans on reviews/review_comments: $seqscans)"
grep -E '^===|Execution Time' "$OUT/explain.txt" >&2 || true

# --- results ----------------------------------------------------------------------------
ratio() { awk -v a="${WRK_RPS[$1]:-0}" -v b="${PGB_TPS[$1]:-0}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
echo "uptime after: $(uptime)" | tee -a "$OUT/machine.txt" >&2
{
    echo "| endpoint | conns | wrk req/s | wrk p50 ms | wrk p99 ms | pgbench tps | pgbench p50 ms | pgbench p99 ms | ratio | load (wrk/pgbench) |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"
    for e in $ENDPOINTS; do
        for c in $CONNS; do
            k=$e-c$c
            printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s / %s |\n' "$(label "$e")" "$c" \
                "${WRK_RPS[$k]}" "${WRK_P50[$k]}" "${WRK_P99[$k]}" \
                "${PGB_TPS[$k]}" "${PGB_P50[$k]}" "${PGB_P99[$k]}" "$(ratio "$k")" "${LOAD_WRK[$k]}" "${LOAD_PGB[$k]}"
        done
    done
    echo
    echo "ratio = wrk req/s / pgbench tps; $THREADS threads, ${DURATION}s each, $MATRIX_SIZE reviews, as the heavy"
    echo "seller unless said. pgbench: its first 2 + clients/32 s left out; percentiles from a 10% sample"
    echo "of its per-transaction log. load = 1-minute load average when the run started."
    echo
    echo "CPU time per request in µs; \"other\": share of the $(nproc) CPUs busy with anything else."
    echo
    echo "| endpoint | conns | wrk run: sellerdesk | PostgreSQL | wrk | other | pgbench run: PostgreSQL | pgbench | other |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    for e in $ENDPOINTS; do
        for c in $CONNS; do
            k=$e-c$c
            printf '| %s | %s | %s | %s | %s | %s%% | %s | %s | %s%% |\n' "$(label "$e")" "$c" \
                "$(per_req "${CPU_SRV[$k]}" "${WRK_REQS[$k]}")" "$(per_req "${CPU_PG_WRK[$k]}" "${WRK_REQS[$k]}")" \
                "$(per_req "${CPU_WRK[$k]}" "${WRK_REQS[$k]}")" "${OTHER_WRK[$k]}" \
                "$(per_req "${CPU_PG_PGB[$k]}" "${PGB_TXS[$k]}")" "$(per_req "${CPU_PGB[$k]}" "${PGB_TXS[$k]}")" "${OTHER_PGB[$k]}"
        done
    done
    echo
    echo "Latency as reviews grow (wrk, $first_conns connections, ${DURATION}s each): p50 / p99 ms and req/s."
    echo "The heavy seller has 20% of the reviews at every size; the probe sellers the same reviews."
    echo
    printf '| endpoint |'
    for n in "${sizes[@]}"; do printf ' %s |' "$n"; done
    printf ' p50 %s / %s |\n|---|' "${sizes[-1]}" "${sizes[0]}"
    for _ in "${sizes[@]}"; do printf -- '---:|'; done
    printf -- '---:|\n'
    for e in $GROWTH_ENDPOINTS; do
        printf '| %s |' "$(label "$e")"
        for n in "${sizes[@]}"; do
            k=$e-$n
            printf ' %s / %s (%s/s) |' "${WRK_P50[$k]:--}" "${WRK_P99[$k]:--}" "${WRK_RPS[$k]:--}"
        done
        awk -v a="${WRK_P50[$e-${sizes[-1]}]:-0}" -v b="${WRK_P50[$e-${sizes[0]}]:-0}" 'BEGIN { if (b > 0) printf " %.2f |\n", a / b; else print " - |" }'
    done
    echo
    echo "Seq Scans on reviews/review_comments in the plans: $seqscans (see explain.txt)"
    bad=0
    for k in "${!WRK_BAD[@]}"; do bad=$((bad + WRK_BAD[$k])); done
    for k in "${!PGB_FAIL[@]}"; do [ "${PGB_FAIL[$k]:-0}" = 0 ] || bad=$((bad + 1)); done
    [ "$bad" = 0 ] && echo "All requests and transactions succeeded." ||
        echo "WARNING: failed requests/transactions, see $OUT/*.txt."
    echo "Whole run: $(($(date +%s) - t_start)) s."
} | tee "$OUT/results.md"
log "raw outputs in $OUT"
