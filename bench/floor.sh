#!/usr/bin/env bash
# bench/floor.sh — a product read on the server beside the floor under it (bench/floor.c: the
# same statement through the same statement pipe, behind a bare HTTP loop), the server's
# /v1/me (answered at once, from its caches) and HTTP alone (floor.c without a database), in
# alternating rounds, each with bench/syscalls.sh: requests
# a second, p50, p99, server CPU, system calls and switches per request. Then pgbench of the
# same statement at the same connection counts. bench/README.md, "The request path, tenth
# step".
#
#   HR_PG_DIR=/tmp/hr-pg3 HR_OUT=/tmp/hr SELLERDESK_BIN=bin/sellerdesk bench/floor.sh
#
# Needs the cluster of bench/hotreads.sh (HR_PG_DIR; its data is made once) and perf
# (bench/syscalls.sh); buyers' tokens are minted afresh into HR_OUT. Settings: ROUNDS=2
# CONNS="16 64" SECS=6 THREADS=4 (the threads of both: the server's SELLERDESK_HTTP_THREADS,
# with one pipe connection each as both have by default) FLOOR_BIN=build/release/floor. The
# four take turns in a different order each round. One line per run on stdout; a run with
# answers other than 200 is marked NOT ALL 200 (its figures are not a product read's).
# MHD_TOO=1 (the default) adds a second server, the same binary with SELLERDESK_HTTP_FRONT=0
# (every request through libmicrohttpd, as before the eleventh step), reading a product and
# /v1/me in the same rounds: server-mhd and server-mhd-me. BEFORE_BIN=path adds the server of
# another binary (an earlier commit's, with the same settings) in the same rounds, for a change's
# before and after measured minutes apart rather than hours: server-before and server-before-me.
# HISTORY=1 adds a page: the first page of a chat's history (50 messages) on the server
# (server-history, a participant's token) and on the floor (floor-history, the same statement
# for the same participant, named in the target), for each pair of HR_OUT/pairs.tsv
# (bench/hotreads.sh's chats and participants; tokens minted afresh). PAGES="chat-list
# question-list question-counts" adds those reads, each on the server (server-chat-list, ...,
# with the account bench/hotreads.sh reads them as) and on the floor (floor-chat-list, ...: the
# same statement for the same account, named in the target), and with BEFORE_BIN on that server
# too (server-before-chat-list, ...). FEED=1 adds the first page of the notification feed of
# bench/hotreads.sh's heavy buyer, on its database "notif": a second server and a second floor
# on it (server-feed, floor-feed), and pgbench of the feed's statement after the product's.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
PG_DIR=${HR_PG_DIR:?HR_PG_DIR: the cluster of bench/hotreads.sh}
H=${HR_OUT:?HR_OUT: the output folder of bench/hotreads.sh (tokens)}
BIN=${SELLERDESK_BIN:-bin/sellerdesk}
FLOOR=${FLOOR_BIN:-build/release/floor}
ROUNDS=${ROUNDS:-2}
CONNS=${CONNS:-16 64}
SECS=${SECS:-6}
THREADS=${THREADS:-4}
MHD_TOO=${MHD_TOO:-1}
BEFORE_BIN=${BEFORE_BIN:-}
HISTORY=${HISTORY:-0}
PAGES=${PAGES:-}
FEED=${FEED:-0}
die() { echo "floor.sh: $*" >&2; exit 1; }
[ -f "$PG_DIR/postmaster.pid" ] || die "no cluster in $PG_DIR: run bench/hotreads.sh first"
[ -s "$H/pgb-product.sql" ] || die "no pgbench script in $H: run bench/hotreads.sh first"
[ -x "$BIN" ] && [ -x "$FLOOR" ] || die "$BIN or $FLOOR missing: make build"
export DATABASE_URL=postgresql://sellerdesk@127.0.0.1:$(sed -n 4p "$PG_DIR/postmaster.pid")/sellerdesk
export SELLERDESK_JWT_SECRET=${SELLERDESK_JWT_SECRET:-bench-secret-bench-secret-bench-secret-0123}
. bench/lib.sh
read -r pmin pmax < <(psql "$DATABASE_URL" -qAtX -F ' ' -c "select min(id), max(id) from products") || true
[ -n "${pmax:-}" ] || die "no products in $DATABASE_URL"
# 64 buyers spread over the ids, as bench/hotreads.sh; tokens live two hours
ids=$(psql "$DATABASE_URL" -qAtX -c "select string_agg(id::text, ',') from (select id, row_number() over (order by id) - 1 as k, count(*) over () as n from users where role = 'buyer') b where k % greatest(n / 64, 1) = 0 and k / greatest(n / 64, 1) < 64")
mint_tokens "$ids" | cut -f2 >"$H/tokens-floor.txt"
[ -s "$H/tokens-floor.txt" ] || die "no tokens minted"
if [ "$HISTORY" = 1 ]; then
    [ -s "$H/pairs.tsv" ] || die "no $H/pairs.tsv (chat, participant): copy bench/hotreads.sh's"
    mint_tokens "$(cut -f2 "$H/pairs.tsv" | sort -un | paste -sd,)" >"$H/tokens-floor-pairs.tsv"
    awk -F'\t' 'NR == FNR { tok[$1] = $2; next } { print $1, tok[$2] }' \
        "$H/tokens-floor-pairs.tsv" "$H/pairs.tsv" >"$H/pairs-floor-history.txt"
    psql "$DATABASE_URL" -qAtX -F ' ' -c "select id, role from users where id = any('{$(cut -f2 "$H/pairs.tsv" | sort -un | paste -sd,)}'::bigint[])" >"$H/roles-floor.txt"
    awk 'NR == FNR { role[$1] = $2; next } { print $1, "viewer=" $2 "&role=" role[$2] }' \
        "$H/roles-floor.txt" <(tr '\t' ' ' <"$H/pairs.tsv") >"$H/pairs-floor-viewer.txt"
fi
# the pages' accounts, as bench/hotreads.sh picks them: the busiest chat participant, the seller
# with the most questions
page_path() { case $1 in chat-list) echo /v1/chats ;; question-list) echo /v1/questions ;;
    question-counts) echo /v1/questions/counts ;; *) die "unknown page $1 (PAGES)" ;; esac; }
for pg in $PAGES; do
    page_path "$pg" >/dev/null
    case $pg in
    chat-list) uid=$(psql "$DATABASE_URL" -qAtX -c "SELECT user_id FROM chat_sides WHERE user_id IS NOT NULL GROUP BY user_id ORDER BY count(*) DESC, user_id LIMIT 1") ;;
    *) uid=$(psql "$DATABASE_URL" -qAtX -c "select seller_id from bench_question_roles where role = 'heavy'") ;;
    esac
    [ -n "$uid" ] || die "no account for $pg in $DATABASE_URL (bench/hotreads.sh makes them)"
    mint_tokens "$uid" | cut -f2 >"$H/tokens-floor-$pg.txt"
    urole=$(psql "$DATABASE_URL" -qAtX -c "select role from users where id = $uid")
    echo "$(page_path "$pg")?viewer=$uid&role=$urole" >"$H/target-floor-$pg.txt"
done
if [ "$FEED" = 1 ]; then
    NOTIF_URL=${DATABASE_URL%/*}/notif
    fuid=$(psql "$NOTIF_URL" -qAtX -c "select id from users where email = 'buyer1@bench.sellerdesk.dev'") || true
    [ -n "$fuid" ] || die "no heavy buyer in $NOTIF_URL (bench/hotreads.sh makes it)"
    frole=$(psql "$NOTIF_URL" -qAtX -c "select role from users where id = $fuid")
    DATABASE_URL=$NOTIF_URL mint_tokens "$fuid" | cut -f2 >"$H/tokens-floor-feed.txt"
    [ -s "$H/pgb-feed.sql" ] || die "no pgbench script for the feed in $H: run bench/hotreads.sh first"
fi
pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null || true; done
    return 0
}
trap cleanup EXIT
trap 'exit 143' INT TERM
up() { # port pid: a product answered 200, as each must before it is measured
    local i
    for i in $(seq 100); do
        curl -fsS -o /dev/null -H "Authorization: Bearer $(head -n 1 "$H/tokens-floor.txt")" \
            "http://127.0.0.1:$1/v1/products/$pmin" 2>/dev/null && return 0
        kill -0 "$2" 2>/dev/null || die "the process on port $1 exited (server: $H/floor-server.log)"
        sleep 0.1
    done
    die "no 200 for a product on port $1 within 10 s"
}
sp=$(free_port)
SELLERDESK_PORT=$sp SELLERDESK_BIND_ADDRESS=127.0.0.1 SELLERDESK_LOG_LEVEL=warn \
    SELLERDESK_HTTP_THREADS=$THREADS SELLERDESK_DB_PIPE_CONNS=1 "$BIN" serve >"$H/floor-server.log" 2>&1 &
pids+=($!) && server=$!
fp=$(free_port)
"$FLOOR" "$fp" "$THREADS" "$DATABASE_URL" >/dev/null &
pids+=($!) && floor=$!
hp=$(free_port)
"$FLOOR" "$hp" "$THREADS" >/dev/null &
pids+=($!) && http=$!
up "$sp" "$server" && up "$fp" "$floor" && up "$hp" "$http"
if [ "$MHD_TOO" = 1 ]; then
    mp=$(free_port)
    SELLERDESK_PORT=$mp SELLERDESK_BIND_ADDRESS=127.0.0.1 SELLERDESK_LOG_LEVEL=warn SELLERDESK_HTTP_FRONT=0 \
        SELLERDESK_HTTP_THREADS=$THREADS SELLERDESK_DB_PIPE_CONNS=1 "$BIN" serve >"$H/floor-server-mhd.log" 2>&1 &
    pids+=($!) && mhd=$!
    up "$mp" "$mhd"
fi
if [ -n "$BEFORE_BIN" ]; then
    bp=$(free_port)
    SELLERDESK_PORT=$bp SELLERDESK_BIND_ADDRESS=127.0.0.1 SELLERDESK_LOG_LEVEL=warn \
        SELLERDESK_HTTP_THREADS=$THREADS SELLERDESK_DB_PIPE_CONNS=1 "$BEFORE_BIN" serve >"$H/floor-server-before.log" 2>&1 &
    pids+=($!) && before=$!
    up "$bp" "$before"
fi
if [ "$FEED" = 1 ]; then
    nsp=$(free_port)
    DATABASE_URL=$NOTIF_URL SELLERDESK_PORT=$nsp SELLERDESK_BIND_ADDRESS=127.0.0.1 SELLERDESK_LOG_LEVEL=warn \
        SELLERDESK_HTTP_THREADS=$THREADS SELLERDESK_DB_PIPE_CONNS=1 "$BIN" serve >"$H/floor-server-notif.log" 2>&1 &
    pids+=($!) && nserver=$!
    nfp=$(free_port)
    "$FLOOR" "$nfp" "$THREADS" "$NOTIF_URL" >/dev/null &
    pids+=($!) && nfloor=$!
    feed_up() { # port pid path: the feed answered 200
        local i
        for i in $(seq 100); do
            curl -fsS -o /dev/null -H "Authorization: Bearer $(cat "$H/tokens-floor-feed.txt")" \
                "http://127.0.0.1:$1$3" 2>/dev/null && return 0
            kill -0 "$2" 2>/dev/null || die "the process on port $1 exited"
            sleep 0.1
        done
        die "no 200 for the feed on port $1 within 10 s"
    }
    feed_up "$nsp" "$nserver" /v1/notifications
    feed_up "$nfp" "$nfloor" "/v1/notifications?viewer=$fuid&role=$frole"
fi
tree=$(git rev-parse --short HEAD)$(git status --porcelain -- src api bench/floor.c | grep -q . && echo +changes || true)
echo "# $(date -u +%FT%TZ) server $BIN, floor $FLOOR (tree $tree), $THREADS threads each${BEFORE_BIN:+, before $BEFORE_BIN}"
# the server's /v1/me is its answer at once (the account from its cache, no statement): beside
# HTTP alone, what libmicrohttpd and the application cost a request that never waits
order=(server:$sp:$server floor:$fp:$floor server-me:$sp:$server http-alone:$hp:$http)
[ "$MHD_TOO" = 1 ] && order+=(server-mhd:$mp:$mhd server-mhd-me:$mp:$mhd)
[ -n "$BEFORE_BIN" ] && order+=(server-before:$bp:$before server-before-me:$bp:$before)
[ "$HISTORY" = 1 ] && order+=(server-history:$sp:$server floor-history:$fp:$floor)
[ "$HISTORY" = 1 ] && [ -n "$BEFORE_BIN" ] && order+=(server-before-history:$bp:$before)
[ "$FEED" = 1 ] && order+=(server-feed:$nsp:$nserver floor-feed:$nfp:$nfloor)
for pg in $PAGES; do
    order+=(server-$pg:$sp:$server floor-$pg:$fp:$floor)
    [ -n "$BEFORE_BIN" ] && order+=(server-before-$pg:$bp:$before)
done
n=${#order[@]}
for r in $(seq "$ROUNDS"); do
    for c in $CONNS; do
        for k in $(seq 0 $((n - 1))); do
            IFS=: read -r name port pid <<<"${order[$(((k + r - 1) % n))]}"
            pg=${name#floor-} && pg=${pg#server-} && pg=${pg#before-}
            if [ -f "$H/target-floor-$pg.txt" ] && [[ " $PAGES " == *" $pg "* ]]; then
                target=$(page_path "$pg")
                [ "${name%%-*}" = floor ] && target=$(cat "$H/target-floor-$pg.txt")
                run=(bench/wrk/notifications.lua "$H/tokens-floor-$pg.txt" "$target")
            elif [ "$name" = server-feed ]; then
                run=(bench/wrk/notifications.lua "$H/tokens-floor-feed.txt" /v1/notifications)
            elif [ "$name" = floor-feed ]; then
                run=(bench/wrk/notifications.lua "$H/tokens-floor-feed.txt"
                    "/v1/notifications?viewer=$fuid&role=$frole")
            elif [ "$name" = floor-history ]; then
                run=(bench/wrk/chat_messages.lua "$H/pairs-floor-viewer.txt" floor)
            elif [ "${name%-history}" != "$name" ]; then
                run=(bench/wrk/chat_messages.lua "$H/pairs-floor-history.txt")
            elif [ "${name%-me}" != "$name" ]; then
                run=(bench/wrk/me.lua "$H/tokens-floor.txt")
            else
                run=(bench/wrk/product.lua "$H/tokens-floor.txt" "$pmin" "$pmax")
            fi
            line=$(SERVER_PID=$pid bench/syscalls.sh "http://127.0.0.1:$port" "$c" "$SECS" "${run[@]}")
            case $line in *" non2xx=0 "*) ;; *) line="$line  NOT ALL 200" ;; esac
            printf 'round %s %-13s %s\n' "$r" "$name" "$line"
        done
    done
done
for c in $CONNS; do
    printf 'pgbench c=%s ' "$c"
    pgbench -n -M prepared -c "$c" -j 2 -T "$SECS" -f "$H/pgb-product.sql" "$DATABASE_URL" 2>&1 |
        awk '/^latency average/ { lat = $4 } /^tps/ { tps = $3 } END { printf "tps=%.0f latency_avg_ms=%s\n", tps, lat }'
done
if [ "$FEED" = 1 ]; then
    for c in $CONNS; do
        printf 'pgbench feed c=%s ' "$c"
        pgbench -n -M prepared -c "$c" -j 2 -T "$SECS" -f "$H/pgb-feed.sql" \
            -D p1="$fuid" -D p2=0 -D p3=false -D p4=21 "$NOTIF_URL" 2>&1 |
            awk '/^latency average/ { lat = $4 } /^tps/ { tps = $3 } END { printf "tps=%.0f latency_avg_ms=%s\n", tps, lat }'
    done
fi
