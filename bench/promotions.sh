#!/usr/bin/env bash
# bench/promotions.sh — promotions (issue 13) with 10k sellers, 500 promotions and 1M
# participations: the seller's promotion lists (GET /v1/promotions?state=available|participating)
# and the candidates (GET /v1/promotions/{id}/candidates) over HTTP with wrk, pgbench on
# exactly the same SQL; a bulk add of 1,000 items (POST /v1/promotions/{id}/products) timed
# over HTTP beside pgbench of its two statements with the same arrays; and orders of one
# promoted product at 64 connections, checked afterwards for overselling. See bench/README.md,
# "Promotions (issue 13)".
#
# Steps: make build (release); a throwaway cluster of its own (scripts/pg.sh) on a free port; a
# fresh database; migrate; bench/gen --reset (10k sellers, 200k products); bench/gen-promotions;
# bin/sellerdesk serve on a free port; access tokens minted for the measured users. The
# statements are taken from the compiled source (cc -E), so they are exactly the server's.
#
# Settings (environment):
#   PB_PG_DIR=/tmp/promobench-pg PB_PG_PORT=(free)  cluster (stopped at the end unless KEEP_PG=1)
#   PB_PORT=(free) PB_OUT=/tmp/sellerdesk-promobench  sellerdesk port; raw outputs, results.md
#   DURATION=10 WARMUP=3 THREADS=2 CONNS=16 ORDER_CONNS=64   wrk -d/-t/-c, pgbench -T/-j/-c
#   ADDS=20                                          timed bulk adds over HTTP
#   BUYERS=2000 SELLERS=10000 PRODUCTS=200000 ORDERS=1000   bench/gen sizes
#   PROMOTIONS=500 PARTICIPATIONS=1000000 ORDER_QUANTITY=2000   bench/gen-promotions sizes
#   BUILD=1                                          0: use the existing bin/sellerdesk
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

PG_DIR=${PB_PG_DIR:-/tmp/promobench-pg}
PG_PORT=${PB_PG_PORT:-$(free_port)}
PORT=${PB_PORT:-$(free_port)}
OUT=${PB_OUT:-/tmp/sellerdesk-promobench}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-3}
THREADS=${THREADS:-2}
CONNS=${CONNS:-16}
ORDER_CONNS=${ORDER_CONNS:-64}
ADDS=${ADDS:-20}
SELLERDESK_BIN=${SELLERDESK_BIN:-bin/sellerdesk}
BENCH_PASSWORD=${BENCH_PASSWORD:-bench-password-1}
export BUYERS=${BUYERS:-2000} SELLERS=${SELLERS:-10000} PRODUCTS=${PRODUCTS:-200000} ORDERS=${ORDERS:-1000}
export PROMOTIONS=${PROMOTIONS:-500} PARTICIPATIONS=${PARTICIPATIONS:-1000000} ORDER_QUANTITY=${ORDER_QUANTITY:-2000}
export SELLERDESK_BIN BENCH_PASSWORD

log() { printf '[promobench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }
t_start=$(date +%s)
for tool in curl jq psql pgbench pg_isready wrk make cc perl; do
    command -v "$tool" >/dev/null || die "$tool is required"
done
mkdir -p "$OUT"
rm -f "$OUT"/pgbench_log.* "$OUT"/*.txt "$OUT"/*.tsv "$OUT"/*.tmp "$OUT"/*.sql "$OUT"/*.json "$OUT"/results.md "$OUT"/server.log

. bench/lib.sh
bench_traps

bench_build_and_describe "DURATION=$DURATION WARMUP=$WARMUP THREADS=$THREADS CONNS=$CONNS ORDER_CONNS=$ORDER_CONNS ADDS=$ADDS pool=${SELLERDESK_DB_POOL_SIZE:-16 (default)}"

# --- PostgreSQL, schema, data -----------------------------------------------------------
pg_isready -q -h 127.0.0.1 -p "$PG_PORT" || started_pg=1
DATABASE_URL=$(scripts/pg.sh start "$PG_DIR" "$PG_PORT")
export DATABASE_URL
psql_() { psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -qAtX "$@"; }
[ "$(psql_ -c 'show max_connections')" -ge $((ORDER_CONNS + 40)) ] || die "max_connections too low for ORDER_CONNS"
admin_url=${DATABASE_URL%/*}/postgres
psql "$admin_url" -v ON_ERROR_STOP=1 -qAtX -c "DROP DATABASE IF EXISTS sellerdesk WITH (FORCE)" \
    -c "CREATE DATABASE sellerdesk OWNER sellerdesk" >/dev/null
"$SELLERDESK_BIN" migrate >"$OUT/migrate.log" 2>&1 || { cat "$OUT/migrate.log" >&2; die "migrate failed"; }
log "bench/gen --reset (buyers=$BUYERS sellers=$SELLERS products=$PRODUCTS orders=$ORDERS)"
bench/gen --reset 2>&1 | grep -v '^NOTICE' | tee "$OUT/gen.txt" >&2
bench/gen-promotions 2>&1 | tee -a "$OUT/gen.txt" >&2

# --- who is measured --------------------------------------------------------------------
psql_ -F $'\t' >"$OUT/who.tsv" <<'SQL'
SELECT role, seller_id, promotion_id, product_id FROM bench_promo_roles ORDER BY role, seller_id;
SELECT 'buyer', id, 0, 0 FROM users WHERE role = 'buyer' ORDER BY id LIMIT 500;
SQL
role_field() { awk -F'\t' -v r="$1" -v f="$2" '$1 == r { print $f; exit }' "$OUT/who.tsv"; }
bulk_id=$(role_field bulk 2) bulk_promo=$(role_field bulk 3)
order_promo=$(role_field order 3) order_product=$(role_field order 4)
[ -n "$bulk_id" ] && [ -n "$bulk_promo" ] && [ -n "$order_product" ] || die "who.tsv incomplete"

bench_start_server
mint_tokens "$(cut -f2 "$OUT/who.tsv" | sort -un | paste -sd,)" >"$OUT/tokens.tsv"
for w in bulk probe order buyer; do
    awk -F'\t' -v w="$w" 'NR == FNR { tok[$1] = $2; next } $1 == w { print tok[$2] }' \
        "$OUT/tokens.tsv" "$OUT/who.tsv" >"$OUT/tokens-$w.txt"
    [ -s "$OUT/tokens-$w.txt" ] || die "no tokens for $w"
done

# --- the reads: endpoint -> who, path, statements after the user lookup, pgbench mode -------
S=src/promotion_store.c P=src/promotion_product_store.c
ep() {
    case $1 in
    list-available) echo "probe /v1/promotions?state=available $S:promo_q_list extended p4=available" ;;
    list-participating) echo "probe /v1/promotions?state=participating $S:promo_q_list extended p4=participating" ;;
    candidates) echo "bulk /v1/promotions/$bulk_promo/candidates $S:promo_q_visible,$P:pp_q_candidates prepared -" ;;
    *) die "unknown endpoint $1" ;;
    esac
}
ENDPOINTS="list-available list-participating candidates"
declare -A WRK_RPS WRK_P50 WRK_P99 WRK_BAD WRK_REQS CPU_SRV CPU_PG_WRK CPU_WRK OTHER_WRK LOAD_WRK
declare -A PGB_TPS PGB_P50 PGB_P99 PGB_FAIL PGB_TXS CPU_PG_PGB CPU_PGB OTHER_PGB LOAD_PGB

script() { # endpoint -> $OUT/pgbench-<endpoint>.sql: a random user of the role, the lookup, the statements
    local who stmts s
    read -r who _ stmts _ <<<"$(ep "$1")"
    {
        echo "-- generated by bench/promotions.sh from the compiled source: the user lookup, then $stmts"
        awk -F'\t' -v w="$who" '$1 == w { n++; uid[n] = $2 }
            END { printf "\\set k random(1, %d)\n\\set uid CASE", n
                  for (i = 1; i <= n; i++) printf " WHEN :k = %d THEN %s", i, uid[i]
                  printf " ELSE 0 END\n" }' "$OUT/who.tsv"
        pgb_sql src/user_store.c user_q_get "" | sed 's/:p1/:uid/g'
        for s in ${stmts//,/ }; do
            case ${s#*:} in
            promo_q_list) pgb_sql "${s%%:*}" "${s#*:}" "4:text" | sed 's/:p1\b/:uid/g' ;;
            *) pgb_sql "${s%%:*}" "${s#*:}" "" | sed 's/:p2\b/:uid/g' ;;
            esac
        done
    } >"$OUT/pgbench-$1.sql"
}
# the handlers' parameters: first page (cursor 0 = none), limit 20 (+1) for the lists, 50 (+1)
# for candidates; p1 the promotion of the candidates
pgb_defines() { # endpoint
    local dvals
    read -r _ _ _ _ dvals <<<"$(ep "$1")"
    case $1 in
    list-*) echo "-D p2=9223372036854775807 -D p3=21 -D ${dvals}" ;;
    candidates) echo "-D p1=$bulk_promo -D p3=0 -D p4=51" ;;
    esac
}
run_wrk() { # key endpoint connections warm
    local key=$1 c=$3 who path
    read -r who path _ <<<"$(ep "$2")"
    [ "${4:-0}" = 1 ] && wrk -t"$THREADS" -c"$c" -d"${WARMUP}s" -s bench/wrk/notifications.lua "$url" -- "$OUT/tokens-$who.txt" "$path" >/dev/null
    log "wrk $key: ${DURATION}s ($(uptime))"
    measured_wrk "$key" "$OUT/wrk-$key.txt" wrk -t"$THREADS" -c"$c" -d"${DURATION}s" --latency \
        -s bench/wrk/notifications.lua "$url" -- "$OUT/tokens-$who.txt" "$path"
}
run_pgbench() { # key endpoint clients
    local key=$1 e=$2 c=$3 mode skip
    read -r _ _ _ mode _ <<<"$(ep "$e")"
    skip=$((2 + c / 32))
    log "pgbench $key: ${skip}s warm-up + ${DURATION}s ($(uptime))"
    # shellcheck disable=SC2046
    measured_pgbench "$key" "$OUT/pgbench-$key.txt" "$skip" pgbench -n -M "$mode" -c "$c" -j "$THREADS" \
        -T $((skip + DURATION)) --progress=1 $(pgb_defines "$e") \
        -l --sampling-rate=0.1 --log-prefix="$OUT/pgbench_log.$key" -f "$OUT/pgbench-$e.sql" "$DATABASE_URL"
}
sample() { # endpoint: what the first user of the role gets, beside what the script's SQL gets
    local who path
    read -r who path _ <<<"$(ep "$1")"
    curl -fsS "$url$path" -H "Authorization: Bearer $(head -n 1 "$OUT/tokens-$who.txt")" >"$OUT/sample-$1.json" || die "GET $path failed"
    printf '%-20s %-50s %s items, ids %s\n' "$1" "$path" "$(jq '.items | length' "$OUT/sample-$1.json")" \
        "$(jq -r '[.items[] | (.id // .product_id)] | if length > 0 then "\(.[0])..\(.[-1])" else "-" end' "$OUT/sample-$1.json")"
}
for e in $ENDPOINTS; do script "$e"; sample "$e"; done | tee "$OUT/samples.txt" >&2
for e in $ENDPOINTS; do
    run_wrk "$e-c$CONNS" "$e" "$CONNS" 1
    run_pgbench "$e-c$CONNS" "$e" "$CONNS"
done

# --- the bulk add of 1,000 items --------------------------------------------------------
# The same 1,000 products of the bulk seller each time, the action price alternating between
# two discounts: the first add inserts 1,000 participations, the others update them.
bulk_ids=$(psql_ -c "SELECT id FROM products WHERE seller_id = $bulk_id ORDER BY id LIMIT 1000" | paste -sd,)
[ "$(tr ',' '\n' <<<"$bulk_ids" | wc -l)" = 1000 ] || die "the bulk seller has fewer than 1000 products"
bulk_body() { # discount
    jq -cn --arg ids "$bulk_ids" --argjson d "$1" \
        '{products: ($ids | split(",") | map({product_id: tonumber, discount_percent: $d, quantity: 100}))}'
}
bulk_body 10 >"$OUT/bulk-10.json"
bulk_body 20 >"$OUT/bulk-20.json"
bulk_token=$(head -n 1 "$OUT/tokens-bulk.txt")
: >"$OUT/bulk-http.txt"
for i in $(seq "$ADDS"); do
    d=$((i % 2 == 1 ? 10 : 20))
    curl -sS -o "$OUT/bulk-answer.json" -w '%{http_code} %{time_total}\n' "$url/v1/promotions/$bulk_promo/products" \
        -H "Authorization: Bearer $bulk_token" -H 'Content-Type: application/json' \
        --data-binary @"$OUT/bulk-$d.json" >>"$OUT/bulk-http.txt"
    [ "$(jq '.accepted | length' "$OUT/bulk-answer.json")" = 1000 ] || die "bulk add $i: not all accepted: $(head -c 300 "$OUT/bulk-answer.json")"
done
read -r BULK_N BULK_P50 BULK_MAX BULK_BAD < <(sort -k2 -n "$OUT/bulk-http.txt" | awk '
    { t[NR] = $2 * 1000; if ($1 != 200) bad++ }
    END { printf "%d %.1f %.1f %d\n", NR, t[int((NR + 1) / 2)], t[NR], bad }')
log "bulk add over HTTP: $BULK_N adds, p50 ${BULK_P50} ms, max ${BULK_MAX} ms, non-200 $BULK_BAD"
# pgbench of what the handler runs, with the same arrays: the user lookup, the audience check,
# then in one transaction the locks and the upsert (the discount alternating as above)
n1000() { printf '{%s}' "$(printf "$1%.0s," $(seq 1000) | sed 's/,$//')"; }
{
    echo "-- generated by bench/promotions.sh: the bulk add's statements"
    echo "\\set d random(1, 2) * 10"
    pgb_sql src/user_store.c user_q_get "" | sed 's/:p1/:uid/g'
    pgb_sql $S promo_q_visible ""
    echo "BEGIN;"
    pgb_sql $P pp_q_lock "" | sed 's/:p2::bigint\[\]/:p3::bigint[]/'
    pgb_sql $P pp_q_upsert "" | sed 's/:p5::numeric\[\]/array_fill(:d::numeric, ARRAY[1000])/'
    echo "COMMIT;"
} >"$OUT/pgbench-bulk.sql"
log "pgbench bulk-add: 1 client, ${DURATION}s"
measured_pgbench bulk "$OUT/pgbench-bulk-run.txt" 2 pgbench -n -M prepared -c 1 -j 1 -T $((2 + DURATION)) --progress=1 \
    -D uid="$bulk_id" -D p1="$bulk_promo" -D p2="$bulk_id" -D p3="{$bulk_ids}" -D p4="$(n1000 NULL)" \
    -D p6="$(n1000 100)" -l --sampling-rate=1 --log-prefix="$OUT/pgbench_log.bulk" -f "$OUT/pgbench-bulk.sql" "$DATABASE_URL"

# --- orders of one promoted product at ORDER_CONNS connections --------------------------
psql_ -c "SELECT 1 FROM promotion_products WHERE promotion_id = $order_promo AND product_id = $order_product AND sold = 0" | grep -q 1 ||
    die "the order product's participation is not fresh"
log "wrk orders: $ORDER_CONNS connections, ${DURATION}s, product $order_product in promotion $order_promo ($ORDER_QUANTITY units)"
measured_wrk orders "$OUT/wrk-orders.txt" wrk -t"$THREADS" -c"$ORDER_CONNS" -d"${DURATION}s" --latency \
    -s bench/wrk/order.lua "$url" -- "$OUT/tokens-buyer.txt" "$order_product" "$order_product"
psql_ -F ' ' >"$OUT/orders-check.txt" <<SQL
SELECT 'participation sold', sold, 'of', quantity FROM promotion_products WHERE promotion_id = $order_promo AND product_id = $order_product;
SELECT 'items', count(*), 'units', coalesce(sum(quantity), 0), 'at the action price', coalesce(sum(promo_quantity), 0),
       'priced items', count(*) FILTER (WHERE promotion_id IS NOT NULL)
  FROM posting_items WHERE product_id = $order_product;
SQL
cat "$OUT/orders-check.txt" >&2
read -r _ _ SOLD _ QTY < <(head -n 1 "$OUT/orders-check.txt")
read -r _ ITEMS _ UNITS _ _ _ _ PROMO_UNITS _ _ PRICED < <(tail -n 1 "$OUT/orders-check.txt")
oversold=$((PROMO_UNITS > QTY || SOLD != PROMO_UNITS ? 1 : 0))

# --- results ----------------------------------------------------------------------------
ratio() { awk -v a="${WRK_RPS[$1]:-0}" -v b="${PGB_TPS[$1]:-0}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
{
    echo "$(sed -n 's/^gen-promotions: //p' "$OUT/gen.txt" | grep -E '^(promotions|participations|sellers)' | paste -sd';')"
    echo
    echo "| endpoint | conns | wrk req/s | wrk p50 ms | wrk p99 ms | pgbench tps | pgbench p50 ms | pgbench p99 ms | ratio | server µs/req | PostgreSQL µs/req (wrk run / pgbench run) |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
    for e in $ENDPOINTS; do
        k=$e-c$CONNS
        read -r _ path _ <<<"$(ep "$e")"
        printf '| GET %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s / %s |\n' "$path" "$CONNS" \
            "${WRK_RPS[$k]}" "${WRK_P50[$k]}" "${WRK_P99[$k]}" "${PGB_TPS[$k]}" "${PGB_P50[$k]}" "${PGB_P99[$k]}" \
            "$(ratio "$k")" "$(per_req "${CPU_SRV[$k]}" "${WRK_REQS[$k]}")" \
            "$(per_req "${CPU_PG_WRK[$k]}" "${WRK_REQS[$k]}")" "$(per_req "${CPU_PG_PGB[$k]}" "${PGB_TXS[$k]}")"
    done
    echo
    echo "Bulk add of 1,000 items (one seller, sequential): HTTP $BULK_N adds, p50 $BULK_P50 ms, max $BULK_MAX ms" \
        "(non-200: $BULK_BAD); pgbench of its statements, 1 client: ${PGB_TPS[bulk]} adds/s, p50 ${PGB_P50[bulk]} ms, p99 ${PGB_P99[bulk]} ms."
    echo
    echo "Orders of one promoted product, $ORDER_CONNS connections, ${DURATION}s: ${WRK_RPS[orders]} orders/s," \
        "p50 ${WRK_P50[orders]} ms, p99 ${WRK_P99[orders]} ms, non-2xx/socket errors ${WRK_BAD[orders]}; $ITEMS items, $UNITS units," \
        "$PROMO_UNITS at the action price on $PRICED items, participation sold $SOLD of $QTY:" \
        "$([ "$oversold" = 0 ] && echo "not oversold." || echo "OVERSOLD.")"
    echo
    echo "Whole run: $(($(date +%s) - t_start)) s."
} | tee "$OUT/results.md"
log "raw outputs in $OUT"
[ "$oversold" = 0 ]
