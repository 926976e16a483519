#!/usr/bin/env bash
# bench/run.sh — throughput of sellerdesk endpoints against PostgreSQL alone (pgbench running
# the same SQL), on this machine. See bench/README.md for what it measures and the results.
#
# Steps: start (or reuse) a throwaway cluster with scripts/pg.sh, migrate, bench/gen --reset,
# start bin/sellerdesk serve, log in TOKENS buyers, then for each endpoint a wrk warm-up and a
# measured wrk run, and a pgbench run of the same SQL with the same client count and duration.
# Finally (GROWTH=1) regenerate with GROWTH_PRODUCTS products and measure
# GET /v1/products/{id} again, to see whether latency stays flat as the table grows.
#
# Settings (environment):
#   BENCH_PG_DIR=/tmp/bench-pg BENCH_PG_PORT=5611   cluster (kept running if it already was)
#   BENCH_PORT=8611                                 sellerdesk port
#   BENCH_OUT=/tmp/sellerdesk-bench                  raw outputs, logs, results.md
#   DURATION=20 WARMUP=3 THREADS=2 CONNECTIONS=16   wrk -d/-t/-c, pgbench -T/-j/-c
#   TOKENS=64                                       buyers logged in (random one per request)
#   BUYERS SELLERS PRODUCTS ORDERS                  data size (see bench/gen)
#   GROWTH=1 GROWTH_PRODUCTS=2000000                the 10x products check (GROWTH=0 skips)
#   ENDPOINTS="me product order"                    which endpoints to measure
#   SELLERDESK_DB_POOL_SIZE etc.                    passed through to the server
set -euo pipefail
cd "$(dirname "$0")/.."

PG_DIR=${BENCH_PG_DIR:-/tmp/bench-pg}
PG_PORT=${BENCH_PG_PORT:-5611}
PORT=${BENCH_PORT:-8611}
OUT=${BENCH_OUT:-/tmp/sellerdesk-bench}
DURATION=${DURATION:-20}
WARMUP=${WARMUP:-3}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-16}
TOKENS=${TOKENS:-64}
GROWTH=${GROWTH:-1}
GROWTH_PRODUCTS=${GROWTH_PRODUCTS:-2000000}
ENDPOINTS=${ENDPOINTS:-me product order}
SELLERDESK_BIN=${SELLERDESK_BIN:-bin/sellerdesk}
BENCH_PASSWORD=${BENCH_PASSWORD:-bench-password-1}
export SELLERDESK_BIN BENCH_PASSWORD

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

[ -x "$SELLERDESK_BIN" ] || die "$SELLERDESK_BIN not found: run make build (or make bench)"
for tool in curl jq psql pgbench pg_isready; do
    command -v "$tool" >/dev/null || die "$tool is required"
done
if ! command -v wrk >/dev/null; then
    [ "$(id -u)" -eq 0 ] || die "wrk is required (apt-get install wrk)"
    log "installing wrk"
    apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
fi

mkdir -p "$OUT"
rm -f "$OUT"/pgbench_log.* "$OUT"/*.txt "$OUT"/*.log "$OUT"/*.tmp "$OUT"/results.md

server_pid=
started_pg=0
cleanup() {
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    if [ "$started_pg" = 1 ] && [ "${KEEP_PG:-0}" != 1 ]; then
        scripts/pg.sh stop "$PG_DIR"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the machine ------------------------------------------------------------------------
cpu_model=$(lscpu | sed -n 's/^Model name: *//p' | head -n 1)
mem_total=$(free -h | awk '/^Mem:/ { print $2 }')
{
    echo "date:        $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "cpus:        $(nproc) x $cpu_model"
    echo "memory:      $mem_total"
    echo "kernel:      $(uname -r)"
    echo "wrk:         $(wrk -v 2>&1 | head -n 1 | awk '{ print $2 }')"
    echo "pgbench:     $(pgbench --version)"
    echo "sellerdesk:  $SELLERDESK_BIN, built $(date -u -r "$SELLERDESK_BIN" +%Y-%m-%dT%H:%M:%SZ), tree at commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git status --porcelain -- src api migrations 2>/dev/null | grep -q . && echo ' + uncommitted changes in src/ api/ migrations/')"
    echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "settings:    DURATION=$DURATION WARMUP=$WARMUP THREADS=$THREADS CONNECTIONS=$CONNECTIONS TOKENS=$TOKENS pool=${SELLERDESK_DB_POOL_SIZE:-16 (default)}"
} | tee "$OUT/machine.txt" >&2

# --- PostgreSQL, schema, data -----------------------------------------------------------
pg_isready -q -h 127.0.0.1 -p "$PG_PORT" || started_pg=1
DATABASE_URL=$(scripts/pg.sh start "$PG_DIR" "$PG_PORT")
export DATABASE_URL
echo "postgresql:  $(psql "$DATABASE_URL" -AtXc 'show server_version') ($DATABASE_URL), shared_buffers $(psql "$DATABASE_URL" -AtXc 'show shared_buffers'), fsync $(psql "$DATABASE_URL" -AtXc 'show fsync'), synchronous_commit $(psql "$DATABASE_URL" -AtXc 'show synchronous_commit')" | tee -a "$OUT/machine.txt" >&2
"$SELLERDESK_BIN" migrate >"$OUT/migrate.log" 2>&1 || { cat "$OUT/migrate.log" >&2; die "migrate failed"; }

gen() {
    log "bench/gen $*"
    bench/gen --reset "$@" 2>&1 | tee -a "$OUT/gen.txt" >&2
}

ids() { psql "$DATABASE_URL" -AtXc "$1"; }
load_ranges() {
    read -r buyer_min buyer_max < <(ids "select min(id), max(id) from users where role = 'buyer'" | tr '|' ' ')
    read -r product_min product_max < <(ids "select min(id), max(id) from products" | tr '|' ' ')
    nbuyers=$(ids "select count(*) from users where role = 'buyer'")
    nproducts=$(ids "select count(*) from products")
    [ $((buyer_max - buyer_min + 1)) = "$nbuyers" ] || die "buyer ids are not contiguous"
    [ $((product_max - product_min + 1)) = "$nproducts" ] || die "product ids are not contiguous"
}

# --- the server -------------------------------------------------------------------------
start_server() {
    log "starting $SELLERDESK_BIN serve on 127.0.0.1:$PORT (log: $OUT/server.log)"
    SELLERDESK_PORT=$PORT SELLERDESK_BIND_ADDRESS=127.0.0.1 \
        SELLERDESK_JWT_SECRET=${SELLERDESK_JWT_SECRET:-bench-secret-bench-secret-bench-secret-0123} \
        SELLERDESK_LOG_LEVEL=${SELLERDESK_LOG_LEVEL:-warn} \
        "$SELLERDESK_BIN" serve >>"$OUT/server.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 100); do
        curl -fsS -o /dev/null "http://127.0.0.1:$PORT/healthz" 2>/dev/null && return 0
        kill -0 "$server_pid" 2>/dev/null || { tail -n 20 "$OUT/server.log" >&2; die "server exited"; }
        sleep 0.1
    done
    die "server did not answer /healthz within 10 s"
}

# TOKENS buyers spread over the buyer range, logged in through the API.
login_buyers() {
    local n=$TOKENS step i email
    [ "$n" -le "$nbuyers" ] || n=$nbuyers
    step=$((nbuyers / n))
    : >"$OUT/tokens.txt"
    for ((i = 0; i < n; i++)); do
        email="buyer$((1 + i * step))@bench.sellerdesk.dev"
        curl -fsS "http://127.0.0.1:$PORT/v1/auth/login" -H 'Content-Type: application/json' \
            -d "$(jq -nc --arg e "$email" --arg p "$BENCH_PASSWORD" '{email: $e, password: $p}')" |
            jq -r .access_token >>"$OUT/tokens.txt" || die "login of $email failed"
    done
    # sanity: the token works and the endpoints answer as expected
    local t
    t=$(head -n 1 "$OUT/tokens.txt")
    curl -fsS -o /dev/null "http://127.0.0.1:$PORT/v1/me" -H "Authorization: Bearer $t" || die "GET /v1/me failed"
    curl -fsS -o /dev/null "http://127.0.0.1:$PORT/v1/products/$product_min" -H "Authorization: Bearer $t" ||
        die "GET /v1/products/$product_min failed"
    log "logged in $n buyers"
}

# --- measuring --------------------------------------------------------------------------
declare -A WRK_RPS WRK_P50 WRK_P99 WRK_BAD PGB_TPS PGB_P50 PGB_P99 PGB_FAIL
declare -A WRK_REQS PGB_TXS CPU_SRV CPU_PG_WRK CPU_PG_PGB CPU_WRK CPU_PGB OTHER_WRK OTHER_PGB

# CPU time in clock ticks (utime + stime from /proc/PID/stat) of the server process, all
# threads; and of the whole cluster: the postmaster, its exited children (cutime + cstime,
# which is where pgbench's backends end up) and its live children.
. bench/lib.sh

run_wrk() { # key lua-script path-for-label [extra args]
    local key=$1 script=$2
    shift 2
    local url="http://127.0.0.1:$PORT" f="$OUT/wrk-$key.txt"
    log "wrk $key: warm-up ${WARMUP}s"
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" -s "$script" "$url" -- "$OUT/tokens.txt" "$@" >/dev/null
    log "wrk $key: ${DURATION}s"
    local cmd=(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$script" "$url" -- "$OUT/tokens.txt" "$@")
    echo "\$ ${cmd[*]}" >"$f"
    local s0 p0 c0 b0 t0
    children_cpu
    s0=$(server_cpu) p0=$(pg_cpu) c0=$CHILD_TICKS b0=$(machine_busy) t0=$(date +%s.%N)
    "${cmd[@]}" >>"$f"
    local b1 c1 t1
    children_cpu
    b1=$(machine_busy) c1=$CHILD_TICKS t1=$(date +%s.%N)
    CPU_SRV[$key]=$(($(server_cpu) - s0)) CPU_PG_WRK[$key]=$(($(pg_cpu) - p0)) CPU_WRK[$key]=$((c1 - c0))
    OTHER_WRK[$key]=$(other_pct $((b1 - b0)) $((CPU_SRV[$key] + CPU_PG_WRK[$key] + CPU_WRK[$key])) "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')")
    WRK_REQS[$key]=$(awk '/requests in/ { print $1 }' "$f")
    WRK_RPS[$key]=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$f")
    WRK_P50[$key]=$(wrk_pct 50 "$f")
    WRK_P99[$key]=$(wrk_pct 99 "$f")
    WRK_BAD[$key]=$(awk '/Non-2xx or 3xx responses:/ { n += $NF } /Socket errors:/ { n += 1 } END { print n + 0 }' "$f")
    [ "${WRK_BAD[$key]}" = 0 ] || log "WARNING: wrk $key had non-2xx responses or socket errors (see $f)"
}

run_pgbench() { # key sql-script
    local key=$1 script=$2
    local f="$OUT/pgbench-$key.txt"
    log "pgbench $key: ${DURATION}s"
    local cmd=(pgbench -n -M prepared -c "$CONNECTIONS" -j "$THREADS" -T "$DURATION"
        -D buyer_min="$buyer_min" -D buyer_max="$buyer_max"
        -D product_min="$product_min" -D product_max="$product_max"
        -l --sampling-rate=0.1 --log-prefix="$OUT/pgbench_log.$key" -f "$script" "$DATABASE_URL")
    echo "\$ ${cmd[*]}" >"$f"
    local p0 c0 b0 t0
    children_cpu
    p0=$(pg_cpu) c0=$CHILD_TICKS b0=$(machine_busy) t0=$(date +%s.%N)
    "${cmd[@]}" >>"$f" 2>&1
    local b1 c1 t1
    children_cpu
    b1=$(machine_busy) c1=$CHILD_TICKS t1=$(date +%s.%N)
    CPU_PG_PGB[$key]=$(($(pg_cpu) - p0)) CPU_PGB[$key]=$((c1 - c0))
    OTHER_PGB[$key]=$(other_pct $((b1 - b0)) $((CPU_PG_PGB[$key] + CPU_PGB[$key])) "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')")
    PGB_TXS[$key]=$(awk '/number of transactions actually processed:/ { print $NF }' "$f")
    PGB_TPS[$key]=$(awk '/^tps = .*without initial connection time/ { printf "%.0f", $3 }' "$f")
    PGB_FAIL[$key]=$(awk '/number of failed transactions:/ { print $5 }' "$f")
    # per-transaction log (10% sample): field 3 is the latency in microseconds
    read -r PGB_P50[$key] PGB_P99[$key] < <(cat "$OUT"/pgbench_log."$key".* | awk '{ print $3 }' | sort -n |
        awk '{ v[NR] = $1 } END { if (NR == 0) { print "- -"; exit }
             i50 = int(NR * 0.50); i99 = int(NR * 0.99); if (i50 < 1) i50 = 1; if (i99 < 1) i99 = 1
             printf "%.2f %.2f\n", v[i50] / 1000, v[i99] / 1000 }')
    rm -f "$OUT"/pgbench_log."$key".*
    [ "${PGB_FAIL[$key]:-0}" = 0 ] || log "WARNING: pgbench $key had failed transactions (see $f)"
}

label() {
    case $1 in
    me*) echo "GET /v1/me" ;;
    product*) echo "GET /v1/products/{id}" ;;
    order*) echo "POST /v1/orders" ;;
    esac
}

measure() { # key-suffix
    local sfx=$1 e
    for e in $ENDPOINTS; do
        case $e in
        me) run_wrk "me$sfx" bench/wrk/me.lua ;;
        product) run_wrk "product$sfx" bench/wrk/product.lua "$product_min" "$product_max" ;;
        order) run_wrk "order$sfx" bench/wrk/order.lua "$product_min" "$product_max" ;;
        *) die "unknown endpoint $e" ;;
        esac
        run_pgbench "$e$sfx" "bench/pgbench/$e.sql"
    done
}

row() { # key data-label
    local k=$1 ratio
    ratio=$(awk -v a="${WRK_RPS[$k]:-0}" -v b="${PGB_TPS[$k]:-0}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$(label "$k")" "$2" \
        "${WRK_RPS[$k]}" "${WRK_P50[$k]}" "${WRK_P99[$k]}" \
        "${PGB_TPS[$k]}" "${PGB_P50[$k]}" "${PGB_P99[$k]}" "$ratio"
}

# --- the run ----------------------------------------------------------------------------
gen
load_ranges
start_server
login_buyers
measure ""
base_products=$nproducts

if [ "$GROWTH" = 1 ] && [[ " $ENDPOINTS " == *" product "* ]]; then
    gen --products "$GROWTH_PRODUCTS"
    load_ranges
    login_buyers
    ENDPOINTS=product measure "-growth"
fi

echo "load after:  $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/machine.txt" >&2
{
    echo "| endpoint | data | wrk req/s | wrk p50 ms | wrk p99 ms | pgbench tps | pgbench p50 ms | pgbench p99 ms | ratio |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|---:|"
    for e in $ENDPOINTS; do row "$e" "$base_products products"; done
    [ -z "${WRK_RPS[product-growth]:-}" ] || row product-growth "$nproducts products"
    echo
    echo "ratio = wrk req/s / pgbench tps; $THREADS threads, $CONNECTIONS connections, ${DURATION}s each;"
    echo "pgbench percentiles from a 10% sample of its per-transaction log."
    echo
    echo "CPU time per request in microseconds (/proc/PID/stat of the server and of the cluster's"
    echo "processes, \`times\` for wrk/pgbench); \"other\" is the share of the $(nproc) CPUs busy with"
    echo "anything else during the run (other processes on the machine, interrupts):"
    echo
    echo "| endpoint | data | wrk run: sellerdesk | PostgreSQL | wrk | other | pgbench run: PostgreSQL | pgbench | other |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|---:|"
    for k in $ENDPOINTS ${WRK_RPS[product-growth]:+product-growth}; do
        printf '| %s | %s | %s | %s | %s | %s%% | %s | %s | %s%% |\n' "$(label "$k")" \
            "$([ "$k" = product-growth ] && echo "$nproducts" || echo "$base_products") products" \
            "$(per_req "${CPU_SRV[$k]}" "${WRK_REQS[$k]}")" "$(per_req "${CPU_PG_WRK[$k]}" "${WRK_REQS[$k]}")" \
            "$(per_req "${CPU_WRK[$k]}" "${WRK_REQS[$k]}")" "${OTHER_WRK[$k]}" \
            "$(per_req "${CPU_PG_PGB[$k]}" "${PGB_TXS[$k]}")" "$(per_req "${CPU_PGB[$k]}" "${PGB_TXS[$k]}")" "${OTHER_PGB[$k]}"
    done
    echo
    bad=0
    for k in "${!WRK_BAD[@]}"; do bad=$((bad + WRK_BAD[$k])); done
    for k in "${!PGB_FAIL[@]}"; do bad=$((bad + ${PGB_FAIL[$k]:-0})); done
    [ "$bad" = 0 ] && echo "All requests and transactions succeeded." ||
        echo "WARNING: $bad failed requests/transactions, see $OUT/*.txt."
} | tee "$OUT/results.md"
log "raw outputs in $OUT"
