#!/usr/bin/env bash
# bench/disputes.sh — disputes (issue 16) with 1M disputes: the support queue (oldest deadline
# first), a deep page of it through a real cursor, the whole support list by deadline, a heavy
# seller's list (newest first, and awaiting_seller), ordinary sellers' lists and the counts
# (heavy seller, support) over HTTP with wrk, beside pgbench of exactly the same SQL with as
# many clients. See bench/README.md, "Disputes (issue 16)".
#
# Steps: make build (release) in this tree; a throwaway cluster of its own (scripts/pg.sh) on a
# free port; a fresh database; migrate; bench/gen --reset (users, products); bench/gen-disputes;
# CHECKPOINT; bin/sellerdesk serve on a free port; access tokens minted for the measured users
# (support agents, the heavy seller, the probe sellers). Then for each of ENDPOINTS and each of
# CONNS: wrk (bench/wrk/notifications.lua: GET PATH with a random token of the role), then
# pgbench (same clients, same threads, same seconds) of the statement the server runs for it,
# taken from the compiled source (cc -E src/dispute_store.c: server_sql/pgb_sql in
# bench/lib.sh) and run with -M extended: the list and counts statements are DB_QUERY, sent
# with PQexecParams (an unnamed statement planned for its parameters at every call), which is
# what pgbench's extended mode sends. The account comes from the server's cache (issue 15), so
# the statement is the request's only round trip and pgbench runs it alone. Before measuring,
# each script's answer is checked against the server's (the same ids; the same counts).
# Finally EXPLAIN (ANALYZE, BUFFERS) of every statement with its parameters (explain.txt).
#
# Settings (environment):
#   DB_PG_DIR=/tmp/disputebench-pg DB_PG_PORT=(free)  cluster (stopped at the end unless KEEP_PG=1)
#   DB_PORT=(free) DB_OUT=/tmp/sellerdesk-disputebench  sellerdesk port; raw outputs, results.md
#   DURATION=10 WARMUP=3 THREADS=2 CONNS="16 64"       wrk -d/-t/-c, pgbench -T/-j/-c
#   DISPUTES=1000000 HEAVY=100000 PROBES=20 AGENTS=5    bench/gen-disputes sizes
#   DEEP_PAGES=10                                     pages walked (20 each) for the deep cursor
#   BUYERS=20000 SELLERS=1000 PRODUCTS=100000 ORDERS=10000   bench/gen sizes
#   ENDPOINTS="support-queue support-deep ..."        (see ep below)
#   BUILD=1                                           0: use the existing bin/sellerdesk
#   GEN=1                                             0: measure the database a previous run left
#                                                     (KEEP_PG=1, same DB_PG_DIR/DB_OUT) as it is,
#                                                     if no deadline the job would act on is near
#   SELLERDESK_* settings pass through to the server (the pool stays at its default, 16)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

PG_DIR=${DB_PG_DIR:-/tmp/disputebench-pg}
PG_PORT=${DB_PG_PORT:-$(free_port)}
PORT=${DB_PORT:-$(free_port)}
OUT=${DB_OUT:-/tmp/sellerdesk-disputebench}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-3}
THREADS=${THREADS:-2}
CONNS=${CONNS:-16 64}
DEEP_PAGES=${DEEP_PAGES:-10}
ENDPOINTS=${ENDPOINTS:-support-queue support-deep support-all seller-heavy seller-heavy-awaiting seller-probe counts-heavy counts-support}
SELLERDESK_BIN=${SELLERDESK_BIN:-bin/sellerdesk}
BENCH_PASSWORD=${BENCH_PASSWORD:-bench-password-1}
export BUYERS=${BUYERS:-20000} SELLERS=${SELLERS:-1000} PRODUCTS=${PRODUCTS:-100000} ORDERS=${ORDERS:-10000}
export DISPUTES=${DISPUTES:-1000000}
export HEAVY=${HEAVY:-$((DISPUTES / 10))} PROBES=${PROBES:-20} AGENTS=${AGENTS:-5}
export SELLERDESK_BIN BENCH_PASSWORD

log() { printf '[disputebench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }
t_start=$(date +%s)
for tool in curl jq psql pgbench pg_isready wrk make cc perl; do
    command -v "$tool" >/dev/null || die "$tool is required"
done
GEN=${GEN:-1}
mkdir -p "$OUT"
[ "$GEN" = 1 ] || [ -s "$OUT/gen.txt" ] || die "GEN=0 needs the gen.txt of the run that made the data in $OUT"
[ "$GEN" = 1 ] || mv "$OUT/gen.txt" "$OUT/gen.keep"
rm -f "$OUT"/pgbench_log.* "$OUT"/*.txt "$OUT"/*.tsv "$OUT"/*.tmp "$OUT"/*.sql "$OUT"/*.json "$OUT"/results.md "$OUT"/server.log

. bench/lib.sh
bench_traps

# --- build and the machine --------------------------------------------------------------
bench_build_and_describe "DURATION=$DURATION WARMUP=$WARMUP THREADS=$THREADS CONNS='$CONNS' DISPUTES=$DISPUTES HEAVY=$HEAVY PROBES=$PROBES AGENTS=$AGENTS DEEP_PAGES=$DEEP_PAGES pool=${SELLERDESK_DB_POOL_SIZE:-16 (default)}"

# --- the server's statements (server_sql, pgb_sql: bench/lib.sh) ---------------------------
S=src/dispute_store.c
for s in dispute_q_list_deadline dispute_q_list_newest dispute_q_counts; do
    [ -n "$(server_sql $S $s)" ] || die "cannot read $s from $S"
done
# the list's optional parameters ($3 state, $4 posting_number, $5 overdue) may be NULL
LIST_OPT="3:text 4:text 5:bool"

# --- PostgreSQL, schema, data -----------------------------------------------------------
pg_isready -q -h 127.0.0.1 -p "$PG_PORT" || started_pg=1
DATABASE_URL=$(scripts/pg.sh start "$PG_DIR" "$PG_PORT")
export DATABASE_URL
psql_() { psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -qAtX "$@"; }
psql_ -c "ALTER SYSTEM SET max_wal_size = '16GB'" -c "SELECT pg_reload_conf()" >/dev/null
max_conns=0
for c in $CONNS; do [ "$c" -gt "$max_conns" ] && max_conns=$c; done
[ "$(psql_ -c 'show max_connections')" -ge $((max_conns + 40)) ] || die "max_connections too low for CONNS"
echo "postgresql:  $(psql_ -c 'show server_version') ($DATABASE_URL), shared_buffers $(psql_ -c 'show shared_buffers'), max_connections $(psql_ -c 'show max_connections'), fsync $(psql_ -c 'show fsync'), synchronous_commit $(psql_ -c 'show synchronous_commit'), jit $(psql_ -c 'show jit')" |
    tee -a "$OUT/machine.txt" >&2
if [ "$GEN" = 1 ]; then
    admin_url=${DATABASE_URL%/*}/postgres
    psql "$admin_url" -v ON_ERROR_STOP=1 -qAtX -c "DROP DATABASE IF EXISTS sellerdesk WITH (FORCE)" \
        -c "CREATE DATABASE sellerdesk OWNER sellerdesk" >/dev/null
    "$SELLERDESK_BIN" migrate >"$OUT/migrate.log" 2>&1 || { cat "$OUT/migrate.log" >&2; die "migrate failed"; }
    log "bench/gen --reset (buyers=$BUYERS sellers=$SELLERS products=$PRODUCTS orders=$ORDERS)"
    bench/gen --reset 2>&1 | grep -v '^NOTICE' | tee "$OUT/gen.txt" >&2
    bench/gen-disputes 2>&1 | tee -a "$OUT/gen.txt" >&2
else
    mv "$OUT/gen.keep" "$OUT/gen.txt"
    [ "$(psql_ -c "select to_regclass('bench_dispute_roles') is not null")" = t ] || die "GEN=0: no generated disputes in $DATABASE_URL"
    # the deadline job moves awaiting_seller, offered and rejected disputes once their deadline
    # passes: measuring while it does would measure other data
    near=$(psql_ -c "select count(*) from disputes where closed_at is null and state <> 'awaiting_support' and deadline < now() + interval '30 minutes'")
    [ "$near" = 0 ] || die "GEN=0: $near disputes reach their deadline within 30 minutes; generate again"
    log "GEN=0: measuring the database a previous run generated ($DATABASE_URL)"
    echo "data:        reused (GEN=0), generated earlier: $(head -n 1 "$OUT/gen.txt" | sed 's/^gen: //')" >>"$OUT/machine.txt"
fi
psql_ -c CHECKPOINT

# --- who is measured --------------------------------------------------------------------
psql_ -F $'\t' -c "SELECT role, user_id FROM bench_dispute_roles ORDER BY role, user_id" >"$OUT/who.tsv"
heavy_id=$(awk -F'\t' '$1 == "heavy" { print $2; exit }' "$OUT/who.tsv")
[ -n "$heavy_id" ] && grep -q '^probe' "$OUT/who.tsv" && grep -q '^support' "$OUT/who.tsv" || die "who.tsv incomplete"

bench_start_server
mint_tokens "$(cut -f2 "$OUT/who.tsv" | sort -un | paste -sd,)" >"$OUT/tokens.tsv"
for w in heavy probe support; do
    awk -F'\t' -v w="$w" 'NR == FNR { tok[$1] = $2; next } $1 == w { print tok[$2] }' \
        "$OUT/tokens.tsv" "$OUT/who.tsv" >"$OUT/tokens-$w.txt"
    [ -s "$OUT/tokens-$w.txt" ] || die "no tokens for $w"
done
api() { curl -fsS "$url$1" -H "Authorization: Bearer $2"; }

# The deep page: walk DEEP_PAGES pages of the support queue, as an agent would, to a real
# cursor; its list goes on after the last dispute of the last page walked.
support_token=$(head -n 1 "$OUT/tokens-support.txt")
cursor=
for i in $(seq "$DEEP_PAGES"); do
    api "/v1/disputes?state=awaiting_support${cursor:+&cursor=$cursor}" "$support_token" >"$OUT/walk.json" || die "walking the support queue failed at page $i"
    deep_after=$(jq -r '.items[-1].id' "$OUT/walk.json")
    # the cursor carries the last row's deadline (epoch seconds; none: the largest bigint)
    deep_key=$(jq -r '.items[-1].deadline | if . == null then 9223372036854775807 else fromdateiso8601 end' "$OUT/walk.json")
    cursor=$(jq -r '.next_cursor // empty' "$OUT/walk.json")
    [ -n "$cursor" ] || die "the support queue ended at page $i"
done
deep_cursor=$(jq -rn --arg s "$cursor" '$s | @uri')
log "deep page: after $DEEP_PAGES pages, cursor $cursor (after dispute $deep_after)"

# --- what each endpoint is ----------------------------------------------------------------
# endpoint -> two lines: who, path, statement and the -D values that differ from the defaults
# (;-separated); then the label of its row in the results
endpoint() {
    case $1 in
    support-queue) echo "support /v1/disputes?state=awaiting_support dispute_q_list_deadline p2=support;p3=awaiting_support"
        echo "GET /v1/disputes?state=awaiting_support (support, by deadline)" ;;
    support-deep) echo "support /v1/disputes?state=awaiting_support&cursor=$deep_cursor dispute_q_list_deadline p2=support;p3=awaiting_support;p6=$deep_key;p8=$deep_after"
        echo "the same, page $((DEEP_PAGES + 1)) by cursor" ;;
    support-all) echo "support /v1/disputes dispute_q_list_deadline p2=support"
        echo "GET /v1/disputes (support, by deadline, all states)" ;;
    seller-heavy) echo "heavy /v1/disputes dispute_q_list_newest p2=seller"
        echo "GET /v1/disputes (heavy seller, newest)" ;;
    seller-heavy-awaiting) echo "heavy /v1/disputes?state=awaiting_seller dispute_q_list_newest p2=seller;p3=awaiting_seller"
        echo "GET /v1/disputes?state=awaiting_seller (heavy seller)" ;;
    seller-probe) echo "probe /v1/disputes dispute_q_list_newest p2=seller"
        echo "GET /v1/disputes (ordinary sellers, newest)" ;;
    counts-heavy) echo "heavy /v1/disputes/counts dispute_q_counts p2=seller;p3=$heavy_id"
        echo "GET /v1/disputes/counts (heavy seller)" ;;
    counts-support) echo "support /v1/disputes/counts dispute_q_counts p2=support;p3=0"
        echo "GET /v1/disputes/counts (support)" ;;
    *) die "unknown endpoint $1" ;;
    esac
}
ep() { endpoint "$1" | head -n 1; }
label() { endpoint "$1" | sed -n 2p; }

# the handler's parameters: $1 the caller (:uid), $2 its role, $3 state, $4 posting_number,
# $5 overdue (all three NULL = 'all' unless the endpoint sets them), $6 the cursor's id (0 =
# first page; by deadline: the cursor's deadline key), $7 the limit + 1, and by deadline $8
# the cursor's id (0 = first page)
defines() { # endpoint -> "k=v" lines
    local dvals kv x
    read -r _ _ _ dvals <<<"$(ep "$1")"
    local -A D=([p3]=all [p4]=all [p5]=all [p6]=0 [p7]=21)
    [ "$(stmt_of "$1")" = dispute_q_counts ] && D=()
    [ "$(stmt_of "$1")" = dispute_q_list_deadline ] && D[p8]=0
    IFS=';' read -r -a kv <<<"$dvals"
    for x in "${kv[@]}"; do D[${x%%=*}]=${x#*=}; done
    for x in "${!D[@]}"; do echo "$x=${D[$x]}"; done
}
stmt_of() { local s; read -r _ _ s _ <<<"$(ep "$1")"; echo "$s"; }

# The pgbench script of an endpoint: a random user of the role (as wrk picks a random token),
# then the statement.
script() { # endpoint -> $OUT/pgbench-<endpoint>.sql
    local who stmt
    read -r who _ stmt _ <<<"$(ep "$1")"
    {
        echo "-- generated by bench/disputes.sh from the compiled source ($S, $stmt)"
        awk -F'\t' -v w="$who" '$1 == w { n++; uid[n] = $2 }
            END { printf "\\set k random(1, %d)\n\\set uid CASE", n
                  for (i = 1; i <= n; i++) printf " WHEN :k = %d THEN %s", i, uid[i]
                  printf " ELSE 0 END\n" }' "$OUT/who.tsv"
        case $stmt in
        dispute_q_list_*) pgb_sql $S "$stmt" "$LIST_OPT" | sed 's/:p1\b/:uid/g' ;;
        *) pgb_sql $S "$stmt" "" | sed 's/:p1\b/:uid/g' ;;
        esac
    } >"$OUT/pgbench-$1.sql"
}
# each script answers what the server answers: the same ids, or the same counts
check_script() { # endpoint
    local who path stmt uid sql want got k v
    read -r who path stmt _ <<<"$(ep "$1")"
    uid=$(awk -F'\t' -v w="$who" '$1 == w { print $2; exit }' "$OUT/who.tsv")
    api "$path" "$(head -n 1 "$OUT/tokens-$who.txt")" >"$OUT/sample-$1.json" || die "GET $path as $who failed"
    sql=$(sed '/^\\set/d; /^--/d' "$OUT/pgbench-$1.sql" | sed "s/:uid\b/$uid/g")
    while IFS='=' read -r k v; do sql=$(K=$k V=$v perl -pe 's/:$ENV{K}\b/\x27$ENV{V}\x27/g' <<<"$sql"); done < <(defines "$1")
    if [ "$stmt" = dispute_q_counts ]; then
        want=$(jq -cS . "$OUT/sample-$1.json")
        got=$(psql_ <<<"$sql" | jq -cS .)
    else
        want=$(jq -c '[.items[].id]' "$OUT/sample-$1.json")
        got=$(psql_ -F $'\t' <<<"$sql" | awk -F'\t' 'NF >= 2 { print $1 }' | head -n 20 | paste -sd, | sed 's/^/[/; s/$/]/')
        [ "$want" != "[]" ] || die "GET $path as $who: no items"
    fi
    [ "$got" = "$want" ] || die "pgbench-$1.sql answers $got, the server $want"
    printf '%-22s %-75s %s\n' "$1" "$path" "$(if [ "$stmt" = dispute_q_counts ]; then echo "$want"; else
        jq -r '"\(.items | length) items, ids \(.items[0].id)..\(.items[-1].id), states \([.items[].state] | unique | join(",")), deadlines \(.items[0].deadline)..\(.items[-1].deadline)"' "$OUT/sample-$1.json"; fi)"
}

# --- measuring --------------------------------------------------------------------------
declare -A WRK_RPS WRK_P50 WRK_P99 WRK_BAD WRK_REQS CPU_SRV CPU_PG_WRK CPU_WRK OTHER_WRK LOAD_WRK
declare -A PGB_TPS PGB_P50 PGB_P99 PGB_FAIL PGB_TXS CPU_PG_PGB CPU_PGB OTHER_PGB LOAD_PGB PGB_AVG

busy() { # what else is running: the 5 busiest processes of the last 1 s that are not ours
    echo "== $1 $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)"
    top -b -n 2 -d 1 -w 200 2>/dev/null | awk '/^top -/ { n++ } n == 2 && $1 ~ /^[0-9]+$/ && $9 + 0 >= 5 { print "   " $1, $9 "%", $12 }' | head -n 8
} >>"$OUT/busy.txt"
run_wrk() { # key endpoint connections warm
    local key=$1 c=$3 who path
    read -r who path _ <<<"$(ep "$2")"
    [ "${4:-0}" = 1 ] && wrk -t"$THREADS" -c"$c" -d"${WARMUP}s" -s bench/wrk/notifications.lua "$url" -- "$OUT/tokens-$who.txt" "$path" >/dev/null
    busy "wrk $key"
    log "wrk $key: ${DURATION}s ($(uptime))"
    measured_wrk "$key" "$OUT/wrk-$key.txt" wrk -t"$THREADS" -c"$c" -d"${DURATION}s" --latency \
        -s bench/wrk/notifications.lua "$url" -- "$OUT/tokens-$who.txt" "$path"
    [ "${WRK_BAD[$key]}" = 0 ] || log "WARNING: wrk $key had non-2xx responses or socket errors (see $OUT/wrk-$key.txt)"
}
run_pgbench() { # key endpoint clients
    local key=$1 e=$2 c=$3 skip x dargs=()
    while IFS= read -r x; do dargs+=(-D "$x"); done < <(defines "$e")
    skip=$((2 + c / 32))
    busy "pgbench $key"
    log "pgbench $key: ${skip}s warm-up + ${DURATION}s ($(uptime))"
    measured_pgbench "$key" "$OUT/pgbench-$key.txt" "$skip" pgbench -n -M extended -c "$c" -j "$THREADS" \
        -T $((skip + DURATION)) --progress=1 "${dargs[@]}" \
        -l --sampling-rate=0.1 --log-prefix="$OUT/pgbench_log.$key" -f "$OUT/pgbench-$e.sql" "$DATABASE_URL"
    # mean latency after the warm-up: the progress lines' latencies weighted by their tps
    # ("progress: 5.0 s, 1234.5 tps, lat 12.960 ms stddev 3.210, 0 failed")
    PGB_AVG[$key]=$(awk -v s="$skip" '/^progress:/ { t = $2 + 0; if (t > s + 0.5) { w += $4; l += $4 * $7 } }
        END { if (w > 0) printf "%.2f", l / w; else print "-" }' "$OUT/pgbench-$key.txt")
    [ "${PGB_FAIL[$key]:-0}" = 0 ] || log "WARNING: pgbench $key had failed transactions (see $OUT/pgbench-$key.txt)"
}

for e in $ENDPOINTS; do script "$e"; done
for e in $ENDPOINTS; do check_script "$e"; done | tee "$OUT/samples.txt" >&2
log "every pgbench script answers what the server answers"
for e in $ENDPOINTS; do
    warm=1
    for c in $CONNS; do
        run_wrk "$e-c$c" "$e" "$c" "$warm"
        warm=0
        run_pgbench "$e-c$c" "$e" "$c"
    done
done

# --- plans ------------------------------------------------------------------------------
explain() { # title statement params
    echo "=== $1"
    echo "--- $2($3), planned for these parameters (per call, as the server runs it)"
    psql "$DATABASE_URL" -qAtX -v ON_ERROR_STOP=1 <<EOF
SET plan_cache_mode = force_custom_plan;
PREPARE s AS $(server_sql $S "$2");
EXPLAIN (ANALYZE, BUFFERS) EXECUTE s($3);
EOF
    echo
}
support_id=$(awk -F'\t' '$1 == "support" { print $2; exit }' "$OUT/who.tsv")
probe_id=$(awk -F'\t' '$1 == "probe" { print $2; exit }' "$OUT/who.tsv")
{
    echo "disputes: $(psql_ -c 'select count(*) from disputes')"
    explain "GET /v1/disputes?state=awaiting_support (support)" dispute_q_list_deadline "$support_id, 'support', 'awaiting_support', NULL, NULL, 0, 21, 0"
    explain "GET /v1/disputes?state=awaiting_support, page $((DEEP_PAGES + 1)) (after $deep_after)" dispute_q_list_deadline "$support_id, 'support', 'awaiting_support', NULL, NULL, $deep_key, 21, $deep_after"
    explain "GET /v1/disputes (support, by deadline)" dispute_q_list_deadline "$support_id, 'support', NULL, NULL, NULL, 0, 21, 0"
    explain "GET /v1/disputes (heavy seller $heavy_id)" dispute_q_list_newest "$heavy_id, 'seller', NULL, NULL, NULL, 0, 21"
    explain "GET /v1/disputes?state=awaiting_seller (heavy seller)" dispute_q_list_newest "$heavy_id, 'seller', 'awaiting_seller', NULL, NULL, 0, 21"
    explain "GET /v1/disputes (ordinary seller $probe_id)" dispute_q_list_newest "$probe_id, 'seller', NULL, NULL, NULL, 0, 21"
    explain "GET /v1/disputes/counts (heavy seller)" dispute_q_counts "$heavy_id, 'seller', $heavy_id"
    explain "GET /v1/disputes/counts (support)" dispute_q_counts "$support_id, 'support', 0"
    # not measured: the deadline job's statement (every SELLERDESK_SCHEDULER_INTERVAL_MS, 30 s);
    # in a transaction rolled back, as it locks what it finds
    echo "=== the deadline job (dispute_q_due, batch 100), in a transaction rolled back"
    psql "$DATABASE_URL" -qAtX -v ON_ERROR_STOP=1 <<EOF
BEGIN;
PREPARE s AS $(server_sql $S dispute_q_due);
EXPLAIN (ANALYZE, BUFFERS) EXECUTE s(100);
ROLLBACK;
EOF
} >"$OUT/explain.txt" 2>&1
seqscans=$(grep -cE 'Seq Scan on disputes' "$OUT/explain.txt" || true)
log "plans in $OUT/explain.txt (Seq Scans on disputes: $seqscans)"
grep -E '^===|Execution Time' "$OUT/explain.txt" >&2 || true

# --- results ----------------------------------------------------------------------------
ratio() { awk -v a="${WRK_RPS[$1]:-0}" -v b="${PGB_TPS[$1]:-0}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
echo "uptime after: $(uptime)" | tee -a "$OUT/machine.txt" >&2
{
    grep '^gen-disputes: \(disputes\|states\|open\|heavy\|probe\)' "$OUT/gen.txt" | sed 's/^gen-disputes: /- /'
    echo
    echo "| endpoint | conns | wrk req/s | wrk p50 ms | wrk p99 ms | pgbench tps | pgbench lat avg ms | pgbench p50 ms | pgbench p99 ms | ratio |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    for e in $ENDPOINTS; do
        for c in $CONNS; do
            k=$e-c$c
            printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$(label "$e")" "$c" \
                "${WRK_RPS[$k]}" "${WRK_P50[$k]}" "${WRK_P99[$k]}" "${PGB_TPS[$k]}" "${PGB_AVG[$k]}" \
                "${PGB_P50[$k]}" "${PGB_P99[$k]}" "$(ratio "$k")"
        done
    done
    echo
    echo "ratio = wrk req/s / pgbench tps; $THREADS threads, ${DURATION}s each (wrk after a ${WARMUP}s warm-up"
    echo "per endpoint). pgbench -M extended, its first 2 + clients/32 s left out; its mean latency from"
    echo "the progress lines, percentiles from a 10% sample of its per-transaction log."
    echo
    echo "CPU time per request in µs; \"other\": share of the $(nproc) CPUs busy with anything else; load: 1-minute"
    echo "load average when the run started."
    echo
    echo "| endpoint | conns | wrk run: sellerdesk | PostgreSQL | wrk | other | load | pgbench run: PostgreSQL | pgbench | other | load |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    for e in $ENDPOINTS; do
        for c in $CONNS; do
            k=$e-c$c
            printf '| %s | %s | %s | %s | %s | %s%% | %s | %s | %s | %s%% | %s |\n' "$(label "$e")" "$c" \
                "$(per_req "${CPU_SRV[$k]}" "${WRK_REQS[$k]}")" "$(per_req "${CPU_PG_WRK[$k]}" "${WRK_REQS[$k]}")" \
                "$(per_req "${CPU_WRK[$k]}" "${WRK_REQS[$k]}")" "${OTHER_WRK[$k]}" "${LOAD_WRK[$k]}" \
                "$(per_req "${CPU_PG_PGB[$k]}" "${PGB_TXS[$k]}")" "$(per_req "${CPU_PGB[$k]}" "${PGB_TXS[$k]}")" \
                "${OTHER_PGB[$k]}" "${LOAD_PGB[$k]}"
        done
    done
    echo
    echo "Plans: explain.txt (Seq Scans on disputes: $seqscans); execution times:"
    echo
    awk '/^===/ { t = substr($0, 5) } /Execution Time/ { printf "- %s: %s\n", t, $3 " ms" }' "$OUT/explain.txt"
    echo
    bad=0
    for k in "${!WRK_BAD[@]}"; do bad=$((bad + WRK_BAD[$k])); done
    for k in "${!PGB_FAIL[@]}"; do [ "${PGB_FAIL[$k]:-0}" = 0 ] || bad=$((bad + 1)); done
    [ "$bad" = 0 ] && echo "All requests and transactions succeeded." ||
        echo "WARNING: failed requests/transactions, see $OUT/*.txt."
    echo "Other processes during the runs: busy.txt. Whole run: $(($(date +%s) - t_start)) s."
} | tee "$OUT/results.md"
log "raw outputs in $OUT"
