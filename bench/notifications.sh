#!/usr/bin/env bash
# bench/notifications.sh — the notification feed and counters of one heavy buyer (issue 4):
# GET /v1/notifications/counters, GET /v1/notifications (first page) and
# GET /v1/notifications?cursor=... (deep in the list) over HTTP with wrk, then pgbench on
# exactly the same SQL (bench/pgbench/notif_*.sql), plus EXPLAIN (ANALYZE, BUFFERS) of the
# feed and counters statements. See bench/README.md, "Notifications (issue 4)".
#
# Steps: start (or reuse) a throwaway cluster with scripts/pg.sh, migrate, generate with
# set-based SQL in one transaction (then VACUUM ANALYZE): USERS accounts (mostly buyers, a few
# sellers, one support account that authors the broadcasts), NOTIFICATIONS personal
# notifications with a skewed spread over the users, of which the heavy buyer
# (buyer1@bench.sellerdesk.dev) gets exactly HEAVY; READ_PCT % of them read; BROADCASTS
# broadcasts (audiences all/buyers/sellers and a few user_ids lists), all sent after the
# heavy buyer registered, and broadcast_reads for about 30% of each broadcast's audience.
# Then start bin/sellerdesk serve, log the heavy buyer in, page to DEPTH items to get a deep
# cursor, and measure.
#
# Settings (environment):
#   NB_PG_DIR=/tmp/notifbench-pg NB_PG_PORT=5671    cluster (kept running if it already was)
#   NB_PORT=8671                                    sellerdesk port
#   NB_OUT=/tmp/sellerdesk-notifbench               raw outputs, logs, results.md
#   DURATION=20 WARMUP=3 THREADS=2 CONNECTIONS=16   wrk -d/-t/-c, pgbench -T/-j/-c
#   USERS=10000 SELLERS=500 NOTIFICATIONS=10000000 HEAVY=10000 BROADCASTS=100 READ_PCT=30
#   DEPTH=5000                                      items before the deep cursor
#   GEN=1                                           GEN=0 reuses generated data if present
#   KEEP_PG=1                                       keep the cluster (and its data) running
#   SELLERDESK_DB_POOL_SIZE etc.                    passed through to the server
set -euo pipefail
cd "$(dirname "$0")/.."

PG_DIR=${NB_PG_DIR:-/tmp/notifbench-pg}
PG_PORT=${NB_PG_PORT:-5671}
PORT=${NB_PORT:-8671}
OUT=${NB_OUT:-/tmp/sellerdesk-notifbench}
DURATION=${DURATION:-20}
WARMUP=${WARMUP:-3}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-16}
USERS=${USERS:-10000}
SELLERS=${SELLERS:-500}
NOTIFICATIONS=${NOTIFICATIONS:-10000000}
HEAVY=${HEAVY:-10000}
BROADCASTS=${BROADCASTS:-100}
READ_PCT=${READ_PCT:-30}
DEPTH=${DEPTH:-5000}
GEN=${GEN:-1}
SELLERDESK_BIN=${SELLERDESK_BIN:-bin/sellerdesk}
BENCH_PASSWORD=${BENCH_PASSWORD:-bench-password-1}
HEAVY_EMAIL=buyer1@bench.sellerdesk.dev

log() { printf '[notifbench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

[ -x "$SELLERDESK_BIN" ] || die "$SELLERDESK_BIN not found: run make build"
for tool in curl jq psql pgbench pg_isready wrk; do
    command -v "$tool" >/dev/null || die "$tool is required"
done
for v in USERS SELLERS NOTIFICATIONS HEAVY BROADCASTS DEPTH; do
    [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer"
done
[ "$HEAVY" -le "$NOTIFICATIONS" ] && [ $((NOTIFICATIONS % HEAVY)) = 0 ] ||
    die "NOTIFICATIONS must be a multiple of HEAVY (every NOTIFICATIONS/HEAVY-th row is the heavy buyer's)"
[ "$BROADCASTS" -ge 10 ] || die "BROADCASTS must be at least 10"
[ "$SELLERS" -lt "$USERS" ] || die "SELLERS must be fewer than USERS"

mkdir -p "$OUT"
rm -f "$OUT"/pgbench_log.* "$OUT"/*.txt "$OUT"/*.tmp "$OUT"/results.md "$OUT"/server.log

# sourced once, here: sourcing it again later would reset server_pid and started_pg, and the
# exit would then leave the server and the cluster running
. bench/lib.sh
bench_traps

# --- the machine ------------------------------------------------------------------------
cpu_model=$(lscpu | sed -n 's/^Model name: *//p' | head -n 1)
{
    echo "date:        $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "cpus:        $(nproc) x $cpu_model"
    echo "memory:      $(free -h | awk '/^Mem:/ { print $2 }')"
    echo "kernel:      $(uname -r)"
    echo "disk:        $(df -h --output=avail "$(dirname "$PG_DIR")" | tail -n 1 | tr -d ' ') free on $(dirname "$PG_DIR")"
    echo "wrk:         $(wrk -v 2>&1 | head -n 1 | awk '{ print $2 }')"
    echo "pgbench:     $(pgbench --version)"
    echo "sellerdesk:  $SELLERDESK_BIN, built $(date -u -r "$SELLERDESK_BIN" +%Y-%m-%dT%H:%M:%SZ), tree at commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git status --porcelain -- src api migrations 2>/dev/null | grep -q . && echo ' + uncommitted changes in src/ api/ migrations/')"
    echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "settings:    DURATION=$DURATION WARMUP=$WARMUP THREADS=$THREADS CONNECTIONS=$CONNECTIONS pool=${SELLERDESK_DB_POOL_SIZE:-16 (default)}"
} | tee "$OUT/machine.txt" >&2

# --- PostgreSQL, schema -----------------------------------------------------------------
pg_isready -q -h 127.0.0.1 -p "$PG_PORT" || started_pg=1
DATABASE_URL=$(scripts/pg.sh start "$PG_DIR" "$PG_PORT")
export DATABASE_URL
psql_() { psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -qAtX "$@"; }
# a 10M-row load in one transaction: fewer forced checkpoints (reads are not affected)
psql_ -c "ALTER SYSTEM SET max_wal_size = '8GB'" -c "SELECT pg_reload_conf()" >/dev/null
echo "postgresql:  $(psql_ -c 'show server_version') ($DATABASE_URL), shared_buffers $(psql_ -c 'show shared_buffers'), work_mem $(psql_ -c 'show work_mem'), fsync $(psql_ -c 'show fsync'), synchronous_commit $(psql_ -c 'show synchronous_commit'), jit $(psql_ -c 'show jit')" |
    tee -a "$OUT/machine.txt" >&2
"$SELLERDESK_BIN" migrate >"$OUT/migrate.log" 2>&1 || { cat "$OUT/migrate.log" >&2; die "migrate failed"; }

# --- data -------------------------------------------------------------------------------
have=$(psql_ -c "select count(*) from notifications where user_id = (select id from users where email = '$HEAVY_EMAIL')")
if [ "$GEN" = 1 ] || [ "$have" != "$HEAVY" ]; then
    # one real Argon2id hash for every account, made by the server's own code (as bench/gen)
    tmpl=bench-template@bench.sellerdesk.dev
    pwfile=$(mktemp)
    printf '%s\n' "$BENCH_PASSWORD" >"$pwfile"
    if [ -z "$(psql_ -c "select 1 from users where email = '$tmpl'")" ]; then
        SELLERDESK_PWHASH_OPSLIMIT=1 SELLERDESK_PWHASH_MEMLIMIT=8388608 \
            "$SELLERDESK_BIN" user create --role buyer --email "$tmpl" --password-file "$pwfile" >/dev/null
    fi
    rm -f "$pwfile"
    PASSWORD_HASH=$(psql_ -c "select password_hash from users where email = '$tmpl'")
    log "generating: users=$USERS (sellers=$SELLERS) notifications=$NOTIFICATIONS heavy=$HEAVY broadcasts=$BROADCASTS read=$READ_PCT%"
    g0=$(date +%s.%N)
    psql_ -v users="$USERS" -v sellers="$SELLERS" -v notifications="$NOTIFICATIONS" \
        -v heavy="$HEAVY" -v broadcasts="$BROADCASTS" -v read_pct="$READ_PCT" \
        -v hash="$PASSWORD_HASH" -v heavy_email="$HEAVY_EMAIL" <<'SQL' 2>&1 | tee "$OUT/gen.txt" >&2
\timing on
BEGIN;
TRUNCATE users, auth_throttle, idempotency_keys, rate_limits RESTART IDENTITY CASCADE;
SET LOCAL work_mem = '256MB';
SET LOCAL maintenance_work_mem = '1GB';
-- every user_id below comes from the users table, so the per-row foreign-key triggers
-- (10M lookups) are skipped for the load
SET LOCAL session_replication_role = replica;

-- Accounts, registered over the last two years: buyer1 (the heavy buyer) first and oldest,
-- then the other buyers, the sellers, and one support account that sends the broadcasts.
INSERT INTO users (email, password_hash, role, display_name, created_at)
SELECT 'buyer' || g || '@bench.sellerdesk.dev', :'hash', 'buyer', 'Buyer ' || g,
       CASE WHEN g = 1 THEN now() - interval '730 days' ELSE now() - random() * interval '730 days' END
FROM generate_series(1, :users - :sellers - 1) g;
INSERT INTO users (email, password_hash, role, display_name, created_at)
SELECT 'seller' || g || '@bench.sellerdesk.dev', :'hash', 'seller', 'Seller ' || g,
       now() - random() * interval '730 days'
FROM generate_series(1, :sellers) g;
INSERT INTO users (email, password_hash, role, display_name, created_at)
VALUES ('support@bench.sellerdesk.dev', :'hash', 'support', 'Support', now() - interval '800 days');
SELECT id AS heavy_id FROM users WHERE email = :'heavy_email' \gset
SELECT id AS support_id FROM users WHERE role = 'support' \gset

-- One id sequence for notifications and broadcasts (feed_id_seq): notification g gets id
-- g + floor((g - 1) / gap), which leaves every (gap + 1)-th id free for broadcast k
-- (k = 1..broadcasts); created_at grows with the id over the last 365 days.
SELECT (:notifications / :broadcasts) AS gap,
       :notifications + :broadcasts AS max_id \gset

-- The other buyers and sellers in random order; rank k is picked with density falling off
-- as k^(-1/3) (floor(random()^1.5 * n)): the busiest accounts get about 20 times the average,
-- the median one about 0.6 times.
CREATE TEMP TABLE nb_users ON COMMIT DROP AS
SELECT row_number() OVER (ORDER BY random()) - 1 AS k, id, role
FROM users WHERE id <> :heavy_id AND role IN ('buyer', 'seller');
CREATE UNIQUE INDEX ON nb_users (k);
SELECT count(*) AS nothers FROM nb_users \gset

-- Bulk load: the two secondary indexes are dropped and rebuilt from their own definitions
-- (one sort each instead of 10M random insertions); the primary key stays.
CREATE TEMP TABLE nb_idx ON COMMIT DROP AS
SELECT indexname, indexdef FROM pg_indexes
WHERE schemaname = 'public' AND tablename = 'notifications' AND indexname <> 'notifications_pkey';
SELECT format('DROP INDEX %I', indexname) FROM nb_idx \gexec

-- Every (notifications/heavy)-th notification is the heavy buyer's (exactly :heavy);
-- the rest go to the others with the skew above. Events per role from src/notify.c,
-- order.status_changed most common; read_pct % read, some time after they arrived.
INSERT INTO notifications (id, user_id, event, tab, title, body, data, read_at, created_at)
SELECT id, user_id, event,
       CASE event WHEN 'chat.message_new' THEN 'buyers' WHEN 'question.new' THEN 'buyers'
                  WHEN 'review.new' THEN 'buyers' WHEN 'promotion.started' THEN 'promotion'
                  WHEN 'promotion.ending' THEN 'promotion' WHEN 'dispute.opened' THEN 'disputes'
                  WHEN 'dispute.updated' THEN 'disputes' ELSE 'main' END,
       CASE event WHEN 'order.status_changed' THEN 'Order status changed'
                  WHEN 'chat.message_new' THEN 'New chat message'
                  WHEN 'question.answer_published' THEN 'Your question was answered'
                  WHEN 'question.answer_rejected' THEN 'Answer rejected by moderation'
                  WHEN 'question.new' THEN 'New product question'
                  WHEN 'review.new' THEN 'New review of your product'
                  WHEN 'review.comment_published' THEN 'New comment on a review'
                  WHEN 'promotion.started' THEN 'A promotion started'
                  WHEN 'promotion.ending' THEN 'A promotion is ending'
                  WHEN 'dispute.opened' THEN 'A dispute was opened'
                  ELSE 'A dispute was updated' END,
       CASE WHEN event = 'order.status_changed'
            THEN 'Posting ' || posting || ' is now ' || status || '. Track it in your orders.'
            ELSE 'Open the notification to see the details of posting ' || posting || '.' END,
       CASE WHEN event = 'order.status_changed'
            THEN jsonb_build_object('posting_number', posting, 'status', status)
            ELSE jsonb_build_object('posting_number', posting) END,
       CASE WHEN r < :read_pct / 100.0 THEN created_at + r * interval '3 days' END,
       created_at
FROM (
    SELECT id, user_id, r, posting,
           now() - interval '365 days' + id * (interval '365 days' / :max_id) AS created_at,
           CASE WHEN role = 'seller'
                THEN (ARRAY['order.status_changed','order.status_changed','order.status_changed',
                            'order.status_changed','chat.message_new','question.new','review.new',
                            'promotion.started','promotion.ending','dispute.opened',
                            'dispute.updated','question.answer_rejected'])[1 + floor(e * 12)::int]
                ELSE (ARRAY['order.status_changed','order.status_changed','order.status_changed',
                            'order.status_changed','order.status_changed','order.status_changed',
                            'order.status_changed','chat.message_new','question.answer_published',
                            'review.comment_published','dispute.updated'])[1 + floor(e * 11)::int]
           END AS event,
           (ARRAY['awaiting_packaging','delivering','delivered','delivered','cancelled'])
               [1 + floor(e * 997)::int % 5] AS status
    FROM (
        SELECT g + (g - 1) / :gap AS id,
               CASE WHEN g % (:notifications / :heavy) = 0 THEN :heavy_id ELSE u.id END AS user_id,
               CASE WHEN g % (:notifications / :heavy) = 0 THEN 'buyer' ELSE u.role END AS role,
               r, e, (10000000 + g / 2) || '-000' || (1 + g % 3) AS posting
        FROM (SELECT g, random() AS r, random() AS e,
                     floor(random() ^ 1.5 * :nothers)::bigint AS k
              FROM generate_series(1, :notifications) g) s
        JOIN nb_users u ON u.k = s.k
    ) x
) y;
SELECT indexdef FROM nb_idx \gexec

-- Broadcasts: one every gap + 1 ids, so spread over the year and interleaved with the
-- feed; audiences: every 10th a user_ids list (100-1000 random users, the heavy buyer in
-- every other list), else all / buyers / sellers.
INSERT INTO broadcasts (id, tab, title, body, audience, user_ids, created_by, created_at)
SELECT id, (ARRAY['main','promotion','training','services'])[1 + k % 4],
       'Platform news #' || k,
       'Dear customer, ' || repeat('here is what changes on the platform this month. ', 1 + k % 4),
       audience,
       CASE WHEN audience = 'users' THEN
           (SELECT array_agg(id) FROM (
                SELECT id FROM users WHERE role <> 'support' AND (random() < 0.01 + 0.04 * (k % 3))
                UNION SELECT :heavy_id WHERE k % 20 = 0) s)
       END,
       :support_id, now() - interval '365 days' + id * (interval '365 days' / :max_id)
FROM (SELECT k, k * (:gap + 1) AS id,
             CASE WHEN k % 10 = 0 THEN 'users' WHEN k % 10 < 5 THEN 'all'
                  WHEN k % 10 < 8 THEN 'buyers' ELSE 'sellers' END AS audience
      FROM generate_series(1, :broadcasts) k) b;
SELECT setval('feed_id_seq', :max_id);

-- About 30% of each broadcast's audience has read it.
INSERT INTO broadcast_reads (broadcast_id, user_id, read_at)
SELECT b.id, u.id, b.created_at + random() * interval '2 days'
FROM broadcasts b JOIN users u ON broadcast_targets(b, u.id, u.role, u.created_at)
WHERE random() < 0.3;
COMMIT;
\timing off
VACUUM (ANALYZE) users, notifications, broadcasts, broadcast_reads;
SQL
    g1=$(date +%s.%N)
    awk -v a="$g0" -v b="$g1" 'BEGIN { printf "gen: %.0f s\n", b - a }' | tee -a "$OUT/gen.txt" >&2
else
    log "reusing the generated data (GEN=0)"
fi

# what was generated
psql_ -F ' ' <<SQL | tee "$OUT/sizes.txt" >&2
select 'users', count(*), count(*) filter (where role = 'buyer') || ' buyers', count(*) filter (where role = 'seller') || ' sellers' from users;
select 'notifications', count(*), round(100.0 * count(*) filter (where read_at is not null) / count(*)) || '% read', pg_size_pretty(pg_total_relation_size('notifications')) from notifications;
select 'per user (not heavy)', 'max ' || max(c), 'median ' || percentile_disc(0.5) within group (order by c), 'min ' || min(c) from (select user_id, count(*) c from notifications where user_id <> (select id from users where email = '$HEAVY_EMAIL') group by user_id) s;
select 'heavy buyer', count(*), count(*) filter (where read_at is null) || ' unread', string_agg(distinct tab, ',') from notifications where user_id = (select id from users where email = '$HEAVY_EMAIL');
select 'broadcasts', sum(c), string_agg(audience || ' ' || c, ', '), '' from (select audience, count(*) c from broadcasts group by 1 order by 1) s;
select 'broadcast_reads', count(*), '', '' from broadcast_reads;
select 'heavy buyer broadcasts', count(*) filter (where broadcast_targets(b, u.id, u.role, u.created_at)), count(r.*) || ' read', '' from broadcasts b cross join users u left join broadcast_reads r on r.broadcast_id = b.id and r.user_id = u.id where u.email = '$HEAVY_EMAIL';
select 'database', pg_size_pretty(pg_database_size(current_database())), '', '';
SQL
heavy_id=$(psql_ -c "select id from users where email = '$HEAVY_EMAIL'")

# --- the server -------------------------------------------------------------------------
log "starting $SELLERDESK_BIN serve on 127.0.0.1:$PORT (log: $OUT/server.log)"
SELLERDESK_PORT=$PORT SELLERDESK_BIND_ADDRESS=127.0.0.1 \
    SELLERDESK_JWT_SECRET=${SELLERDESK_JWT_SECRET:-bench-secret-bench-secret-bench-secret-0123} \
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
curl -fsS "$url/v1/auth/login" -H 'Content-Type: application/json' \
    -d "$(jq -nc --arg e "$HEAVY_EMAIL" --arg p "$BENCH_PASSWORD" '{email: $e, password: $p}')" |
    jq -r .access_token >"$OUT/tokens.txt" || die "login of $HEAVY_EMAIL failed"
token=$(cat "$OUT/tokens.txt")
api() { curl -fsS "$url$1" -H "Authorization: Bearer $token"; }
api /v1/notifications/counters >"$OUT/counters.json" || die "GET /v1/notifications/counters failed"
api /v1/notifications >"$OUT/page1.json" || die "GET /v1/notifications failed"
# page through DEPTH items (100 a page) for a cursor deep in the list
cursor= seen=0
while [ "$seen" -lt "$DEPTH" ]; do
    api "/v1/notifications?limit=100${cursor:+&cursor=$cursor}" >"$OUT/page.tmp" || die "paging failed"
    seen=$((seen + $(jq '.items | length' "$OUT/page.tmp")))
    cursor=$(jq -r '.next_cursor // empty' "$OUT/page.tmp")
    [ -n "$cursor" ] || die "the feed ended after $seen items, before DEPTH=$DEPTH"
done
after_id=$(jq '.items[-1].id' "$OUT/page.tmp")
api "/v1/notifications?cursor=$cursor" >"$OUT/page-deep.json" || die "GET /v1/notifications?cursor failed"
{
    echo "counters:   $(cat "$OUT/counters.json")"
    echo "first page: $(jq -c '[(.items | length), ([.items[] | select(.event == "platform.broadcast")] | length), .items[0].id, .items[-1].id]' "$OUT/page1.json") (items, broadcasts, first id, last id)"
    echo "deep page:  after $seen items, id < $after_id: $(jq -c '[(.items | length), ([.items[] | select(.event == "platform.broadcast")] | length), .items[0].id, .items[-1].id]' "$OUT/page-deep.json")"
} | tee "$OUT/feed.txt" >&2

# --- measuring (CPU accounting as in bench/run.sh) --------------------------------------
declare -A WRK_RPS WRK_P50 WRK_P99 WRK_BAD PGB_TPS PGB_P50 PGB_P99 PGB_FAIL
declare -A WRK_REQS PGB_TXS CPU_SRV CPU_PG_WRK CPU_PG_PGB CPU_WRK CPU_PGB OTHER_WRK OTHER_PGB

run_wrk() { # key path
    local key=$1 path=$2 script=bench/wrk/notifications.lua f="$OUT/wrk-$1.txt"
    log "wrk $key: warm-up ${WARMUP}s"
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" -s "$script" "$url" -- "$OUT/tokens.txt" "$path" >/dev/null
    log "wrk $key: ${DURATION}s"
    local cmd=(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$script" "$url" -- "$OUT/tokens.txt" "$path")
    echo "\$ ${cmd[*]}" >"$f"
    local s0 p0 c0 b0 t0 b1 c1 t1
    children_cpu
    s0=$(server_cpu) p0=$(pg_cpu) c0=$CHILD_TICKS b0=$(machine_busy) t0=$(date +%s.%N)
    "${cmd[@]}" >>"$f"
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

run_pgbench() { # key sql-script [-D var=value ...]
    local key=$1 script=$2
    shift 2
    local f="$OUT/pgbench-$key.txt"
    log "pgbench $key: ${DURATION}s"
    local cmd=(pgbench -n -M prepared -c "$CONNECTIONS" -j "$THREADS" -T "$DURATION" -D uid="$heavy_id" "$@"
        -l --sampling-rate=0.1 --log-prefix="$OUT/pgbench_log.$key" -f "$script" "$DATABASE_URL")
    echo "\$ ${cmd[*]}" >"$f"
    local p0 c0 b0 t0 b1 c1 t1
    children_cpu
    p0=$(pg_cpu) c0=$CHILD_TICKS b0=$(machine_busy) t0=$(date +%s.%N)
    "${cmd[@]}" >>"$f" 2>&1
    children_cpu
    b1=$(machine_busy) c1=$CHILD_TICKS t1=$(date +%s.%N)
    CPU_PG_PGB[$key]=$(($(pg_cpu) - p0)) CPU_PGB[$key]=$((c1 - c0))
    OTHER_PGB[$key]=$(other_pct $((b1 - b0)) $((CPU_PG_PGB[$key] + CPU_PGB[$key])) "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')")
    PGB_TXS[$key]=$(awk '/number of transactions actually processed:/ { print $NF }' "$f")
    PGB_TPS[$key]=$(awk '/^tps = .*without initial connection time/ { printf "%.0f", $3 }' "$f")
    PGB_FAIL[$key]=$(awk '/number of failed transactions:/ { print $5 }' "$f")
    read -r PGB_P50[$key] PGB_P99[$key] < <(cat "$OUT"/pgbench_log."$key".* | awk '{ print $3 }' | sort -n |
        awk '{ v[NR] = $1 } END { if (NR == 0) { print "- -"; exit }
             i50 = int(NR * 0.50); i99 = int(NR * 0.99); if (i50 < 1) i50 = 1; if (i99 < 1) i99 = 1
             printf "%.2f %.2f\n", v[i50] / 1000, v[i99] / 1000 }')
    rm -f "$OUT"/pgbench_log."$key".*
    [ "${PGB_FAIL[$key]:-0}" = 0 ] || log "WARNING: pgbench $key had failed transactions (see $f)"
}

feed_args=(-D unread=false -D lim=21)
run_wrk counters /v1/notifications/counters
run_pgbench counters bench/pgbench/notif_counters.sql
run_wrk feed /v1/notifications
run_pgbench feed bench/pgbench/notif_feed.sql -D after=0 "${feed_args[@]}"
run_wrk deep "/v1/notifications?cursor=$cursor"
run_pgbench deep bench/pgbench/notif_feed.sql -D after="$after_id" "${feed_args[@]}"

# --- plans ------------------------------------------------------------------------------
# The server's statements, prepared as the server prepares them (no parameter types), run
# 6 times so the plan cache settles (custom or generic plan), then EXPLAIN ANALYZE of the
# next execution; plus each half of the feed and counters alone, to see what the
# broadcast merge costs.
sql_of() { # the statement of bench/pgbench/FILE, :vars turned back into $n as in the server
    grep -v '^--' "bench/pgbench/$1" | tail -n 1 | sed -e 's/:uid/$1/g' -e 's/:after/$2/g' \
        -e 's/:unread/$3/g' -e 's/:lim/$4/g'
}
feed_sql=$(sql_of notif_feed.sql)
counters_sql=$(sql_of notif_counters.sql)
{
    for p in "counters|$counters_sql|($heavy_id)" "feed (first page)|$feed_sql|($heavy_id, 0, false, 21)" \
        "feed (after $seen items)|$feed_sql|($heavy_id, $after_id, false, 21)"; do
        IFS='|' read -r name sql args <<<"$p"
        echo "=== $name: EXECUTE s$args after 6 executions"
        psql "$DATABASE_URL" -qAtX -v ON_ERROR_STOP=1 <<EOF
PREPARE s AS $sql;
$(for _ in 1 2 3 4 5 6; do echo "EXECUTE s$args \\g /dev/null"; done)
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) EXECUTE s$args;
EOF
    done
    echo "=== the broadcast part of the counters alone"
    psql "$DATABASE_URL" -qAtX -c "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) WITH me AS (SELECT id, role, created_at FROM users WHERE id = $heavy_id) SELECT b.tab, count(*) FROM me, broadcasts b WHERE broadcast_targets(b, me.id, me.role, me.created_at) AND NOT EXISTS (SELECT 1 FROM broadcast_reads r WHERE r.broadcast_id = b.id AND r.user_id = $heavy_id) GROUP BY b.tab"
    echo "=== the broadcast part of the feed alone (first page)"
    psql "$DATABASE_URL" -qAtX -c "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) WITH me AS (SELECT id, role, created_at FROM users WHERE id = $heavy_id) SELECT b.id, broadcast_feed_json(b, r.read_at)::text FROM me, broadcasts b LEFT JOIN broadcast_reads r ON r.broadcast_id = b.id AND r.user_id = $heavy_id WHERE broadcast_targets(b, me.id, me.role, me.created_at) ORDER BY b.id DESC LIMIT 21"
} >"$OUT/explain.txt" 2>&1
seqscans=$(grep -c 'Seq Scan on notifications' "$OUT/explain.txt" || true)
log "plans in $OUT/explain.txt (Seq Scan on notifications: $seqscans)"
grep -E '^===|Execution Time|Scan|Buffers' "$OUT/explain.txt" | grep -vE '^\s+Buffers' | head -n 80 >&2 || true

label() {
    case $1 in
    counters) echo "GET /v1/notifications/counters" ;;
    feed) echo "GET /v1/notifications (first page)" ;;
    deep) echo "GET /v1/notifications?cursor= (after $seen items)" ;;
    esac
}
echo "load after:  $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/machine.txt" >&2
{
    echo "| endpoint | wrk req/s | wrk p50 ms | wrk p99 ms | pgbench tps | pgbench p50 ms | pgbench p99 ms | ratio |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|"
    for k in counters feed deep; do
        printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$(label "$k")" \
            "${WRK_RPS[$k]}" "${WRK_P50[$k]}" "${WRK_P99[$k]}" \
            "${PGB_TPS[$k]}" "${PGB_P50[$k]}" "${PGB_P99[$k]}" \
            "$(awk -v a="${WRK_RPS[$k]:-0}" -v b="${PGB_TPS[$k]:-0}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')"
    done
    echo
    echo "ratio = wrk req/s / pgbench tps; $THREADS threads, $CONNECTIONS connections, ${DURATION}s each,"
    echo "all requests as the heavy buyer (user $heavy_id); pgbench percentiles from a 10% sample of its log."
    echo
    echo "| endpoint | wrk run: sellerdesk µs/req | PostgreSQL | wrk | other | pgbench run: PostgreSQL µs/tx | pgbench | other |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|"
    for k in counters feed deep; do
        printf '| %s | %s | %s | %s | %s%% | %s | %s | %s%% |\n' "$(label "$k")" \
            "$(per_req "${CPU_SRV[$k]}" "${WRK_REQS[$k]}")" "$(per_req "${CPU_PG_WRK[$k]}" "${WRK_REQS[$k]}")" \
            "$(per_req "${CPU_WRK[$k]}" "${WRK_REQS[$k]}")" "${OTHER_WRK[$k]}" \
            "$(per_req "${CPU_PG_PGB[$k]}" "${PGB_TXS[$k]}")" "$(per_req "${CPU_PGB[$k]}" "${PGB_TXS[$k]}")" "${OTHER_PGB[$k]}"
    done
    echo
    echo "Seq Scan on notifications in the plans: $seqscans"
    bad=0
    for k in "${!WRK_BAD[@]}"; do bad=$((bad + WRK_BAD[$k])); done
    for k in "${!PGB_FAIL[@]}"; do bad=$((bad + ${PGB_FAIL[$k]:-0})); done
    [ "$bad" = 0 ] && echo "All requests and transactions succeeded." ||
        echo "WARNING: $bad failed requests/transactions, see $OUT/*.txt."
} | tee "$OUT/results.md"
log "raw outputs in $OUT"
