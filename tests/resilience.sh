#!/usr/bin/env bash
# Failure behaviour against real processes: PostgreSQL restarting under a running server,
# an exhausted pool, SIGTERM with a request in flight, and idle clients. Run by
# scripts/test.sh, which exports SD_BASE_URL, DATABASE_URL, SELLERDESK_PG_DIR/PORT and BIN.
set -uo pipefail
# a write to a socket the server closed must fail a check, not end the script (SIGPIPE)
trap "" PIPE
cd "$(dirname "$0")/.."
. scripts/lib.sh
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok - $*"; }
not_ok() { fail=$((fail + 1)); echo "not ok - $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else not_ok "$what"; fi; }
status_of() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
# status_of, and how long it took: the status in code, the milliseconds in ms
timed_status() {
    local t0
    t0=$(date +%s%N)
    code=$(status_of "$@")
    ms=$(( ($(date +%s%N) - t0) / 1000000 ))
}
# the last timed_status answered CODE in under MS milliseconds (one command, for check)
within() { [ "$code" = "$1" ] && [ "$ms" -lt "$2" ]; }
json() { curl -s -H 'Content-Type: application/json' "$@"; }

# a seller with a token on the main server
email="resilience$$@test.sellerdesk.dev"
json "$SD_BASE_URL/v1/auth/register" -d "{\"email\":\"$email\",\"password\":\"resilience-pw\",\"role\":\"seller\",\"display_name\":\"R\"}" >/dev/null
token=$(json "$SD_BASE_URL/v1/auth/login" -d "{\"email\":\"$email\",\"password\":\"resilience-pw\"}" | jq -r .access_token)
auth=(-H "Authorization: Bearer $token")

echo "# PostgreSQL restart under a running server"
created=$(json "$SD_BASE_URL/v1/products" "${auth[@]}" -d '{"offer_id":"RES-1","name":"Survivor","price":100,"stock":1}' | jq -r .id)
# the seller's event stream stays open across the restart; a buyer's chat will write to it
json "$SD_BASE_URL/v1/auth/register" -d "{\"email\":\"b$email\",\"password\":\"resilience-pw\",\"role\":\"buyer\",\"display_name\":\"B\"}" >/dev/null
btoken=$(json "$SD_BASE_URL/v1/auth/login" -d "{\"email\":\"b$email\",\"password\":\"resilience-pw\"}" | jq -r .access_token)
chat=$(json "$SD_BASE_URL/v1/chats" -H "Authorization: Bearer $btoken" -d "{\"kind\":\"buyer_seller\",\"product_id\":$created}" | jq -r .id)
curl -sN "$SD_BASE_URL/v1/events/stream" "${auth[@]}" >/tmp/res-stream.$$ 2>&1 &
stream_pid=$!
sleep 0.5
scripts/pg.sh stop "$SELLERDESK_PG_DIR"
check "readyz is 503 while the database is down" [ "$(status_of "$SD_BASE_URL/readyz")" = 503 ]
hdrs=$(curl -s -D - -o /tmp/res-body.$$ "$SD_BASE_URL/v1/me" "${auth[@]}")
check "an API call is 503 problem+json while the database is down" \
    grep -q '"code":"service_unavailable"' /tmp/res-body.$$
check "503 carries Retry-After" grep -qi '^Retry-After: ' <<<"$hdrs"
check "healthz stays 200 (the process is up)" [ "$(status_of "$SD_BASE_URL/healthz")" = 200 ]
scripts/pg.sh start "$SELLERDESK_PG_DIR" "$SELLERDESK_PG_PORT" >/dev/null
ready=0
for _ in $(seq 1 50); do
    [ "$(status_of "$SD_BASE_URL/readyz")" = 200 ] && { ready=1; break; }
    sleep 0.1
done
check "readyz is 200 again without restarting sellerdesk" [ $ready = 1 ]
check "API calls succeed again" [ "$(status_of "$SD_BASE_URL/v1/me" "${auth[@]}")" = 200 ]
check "the write acknowledged before the restart is there" \
    [ "$(status_of "$SD_BASE_URL/v1/products/$created" "${auth[@]}")" = 200 ]
# (a product read: /v1/me may be answered from the account cache without a connection)
for _ in 1 2 3 4 5 6 7 8 9 10; do status_of "$SD_BASE_URL/v1/products/$created" "${auth[@]}" >/dev/null; done
check "every pooled connection recovered (10 more calls, no 503)" \
    [ "$(status_of "$SD_BASE_URL/v1/products/$created" "${auth[@]}")" = 200 ]
json "$SD_BASE_URL/v1/chats/$chat/messages" -H "Authorization: Bearer $btoken" -d '{"text":"Still there?"}' >/dev/null
seen=0
for _ in $(seq 1 50); do
    grep -q '^event: message.created' /tmp/res-stream.$$ && { seen=1; break; }
    sleep 0.1
done
check "an event stream open across the restart gets the event written after it" [ $seen = 1 ]
kill $stream_pid 2>/dev/null
wait $stream_pid 2>/dev/null
rm -f /tmp/res-body.$$ /tmp/res-stream.$$

# another server with the settings given (NAME=value ...), its log in LOG: its pid in
# served_pid, its port in served_port, its base URL in served_url
serve_another() { # LOG NAME=value...
    local log=$1
    shift
    served_port=$(free_port)
    env SELLERDESK_PORT="$served_port" "$@" "$BIN" serve >"$log" 2>&1 &
    served_pid=$!
    served_url="http://127.0.0.1:$served_port"
    wait_http "$served_url/healthz" 30 >/dev/null
}

echo "# a second server with one pooled connection and a 2 s idle timeout"
serve_another /tmp/res-server.$$ SELLERDESK_DB_POOL_SIZE=1 SELLERDESK_DB_ACQUIRE_TIMEOUT_MS=300 \
    SELLERDESK_CONNECTION_TIMEOUT=2
pid=$served_pid port=$served_port small=$served_url

echo "# the HTTP threads carry equal shares of the connections"
# (one acceptor gives each new connection to the thread serving the fewest: each thread's reads
# queue on its own statement pipe, so a thread serving more would make its clients wait longer;
# 32 idle connections and the metrics' own over the threads of this server)
fds=()
for i in $(seq 1 32); do
    exec {fd}<>"/dev/tcp/127.0.0.1/$port"
    fds+=("$fd")
done
sleep 0.3
read -r fewest most <<<"$(curl -s "$small/metrics" | awk '/^sellerdesk_http_thread_connections/ {printf "%s ", $2}')"
even() { [ -n "$most" ] && [ "$most" -ge 1 ] && [ $((most - fewest)) -le 1 ]; }
check "33 connections over the threads: the fewest a thread serves $fewest, the most $most" even
for fd in "${fds[@]}"; do exec {fd}>&-; done

echo "# the access log under concurrent requests"
# (each HTTP thread keeps its access lines and writes them together before it waits: every
# request must still have its line, whole, and the last ones must be written by the drain; the
# lines are counted after the server exits, below)
seq 1 200 | xargs -P 16 -I{} curl -s -o /dev/null -H "X-Request-Id: acc-$$-{}" "$small/healthz"
work_ok() { # the histogram of the threads' work: cumulative buckets, +Inf equal to the count
    curl -s "$small/metrics" | awk '
        /^sellerdesk_http_loop_work_seconds_bucket/ { if ($2 < last) bad = 1; last = $2; inf = $2; n++ }
        /^sellerdesk_http_loop_work_seconds_count/ { count = $2 }
        END { exit !(n == 7 && !bad && count > 0 && inf == count) }'
}
check "the threads' work between waits is a histogram (sellerdesk_http_loop_work_seconds)" work_ok

echo "# an account changed in the database loses access within 1 s in every process"
# (two processes, each with the account in its cache; the change is made in SQL, as an operator
# would: the users trigger NOTIFYs, each process's listener forgets the account)
account() { # name -> token
    json "$SD_BASE_URL/v1/auth/register" -d "{\"email\":\"$1$$@test.sellerdesk.dev\",\"password\":\"resilience-pw\",\"role\":\"buyer\",\"display_name\":\"$1\"}" >/dev/null
    json "$SD_BASE_URL/v1/auth/login" -d "{\"email\":\"$1$$@test.sellerdesk.dev\",\"password\":\"resilience-pw\"}" | jq -r .access_token
}
refused_within() { # token server -> ms until 401, or 9999
    local t0=$(date +%s%N) ms
    while :; do
        ms=$(( ($(date +%s%N) - t0) / 1000000 ))
        [ "$(status_of "$2/v1/me" -H "Authorization: Bearer $1")" = 401 ] && { echo "$ms"; return; }
        [ "$ms" -gt 3000 ] && { echo 9999; return; }
        sleep 0.05
    done
}
for change in "UPDATE users SET role = 'seller'" "DELETE FROM users"; do
    who=$( [ "${change%% *}" = UPDATE ] && echo rerole || echo gone )
    tok=$(account "$who")
    for server in "$SD_BASE_URL" "$small"; do
        status_of "$server/v1/me" -H "Authorization: Bearer $tok" >/dev/null
        status_of "$server/v1/me" -H "Authorization: Bearer $tok" >/dev/null
    done
    check "$who: the account is served by both processes before the change" \
        [ "$(status_of "$small/v1/me" -H "Authorization: Bearer $tok")" = 200 ]
    psql "$DATABASE_URL" -qAt -c "$change WHERE email = '$who$$@test.sellerdesk.dev'" >/dev/null
    for server in "$SD_BASE_URL" "$small"; do
        ms=$(refused_within "$tok" "$server")
        check "$who: $server refuses the token within 1 s of the commit ($ms ms)" [ "$ms" -le 1000 ]
    done
done
# hold a lock on products so the request holding the only connection waits in PostgreSQL (the
# product list, a read on the pool; the account itself may come from the process's cache
# without a connection)
hold_lock() {
    psql "$DATABASE_URL" -qAt -c "BEGIN; LOCK TABLE products IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep($1); COMMIT;" >/dev/null &
    lock_pid=$!
    sleep 0.3
}

hold_lock 2
status_of "$small/v1/products?limit=1" "${auth[@]}" >/tmp/res-a.$$ &
slow=$!
sleep 0.3
timed_status "$small/v1/products?limit=1" "${auth[@]}"
check "pool exhausted: the next request gets 503, not a hang (got $code in $ms ms)" \
    within 503 1500
# (the feed goes by the statement pipe, which holds its own connections)
timed_status "$small/v1/notifications" "${auth[@]}"
check "pool exhausted: a read by the statement pipe is still answered 200 ($code in $ms ms)" \
    within 200 1000
wait $slow
check "the request that held the connection completes with 200" [ "$(cat /tmp/res-a.$$)" = 200 ]
wait $lock_pid

echo "# a read waiting longer than the idle timeout keeps its connection"
# (a product read by the pipe waits on the lock about 2.7 s, past this server's 2 s idle
# timeout: its connection is not idle, and is kept alive for the next request. The loop moves
# such a connection to the end of its idle list rather than walking past it every turn; this
# checks that it does not close it instead)
hold_lock 3
t0=$(date +%s%N)
got=$(curl -s -o /dev/null -o /dev/null -w '%{http_code}:%{num_connects} ' "${auth[@]}" \
    "$small/v1/products/$created" "$small/v1/products/$created")
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
kept() { [ "$got" = "200:1 200:0 " ] && [ "$ms" -ge 2000 ]; }
check "answered 200 after $ms ms, then the next request on the same connection ($got)" kept
wait $lock_pid

echo "# a request waiting in PostgreSQL holds no other connection of its HTTP thread"
# (a server with one HTTP thread and one worker: a product update waits on a lock, on the
# worker; the thread's other connections are still served at once. Run on the thread, the update
# held them all until the lock went. Then a request waits for the busy worker; told to stop, the
# server still serves both, as it does every request that came before the signal.)
# (the lock below is held 5 s: the update waits on it inside its 15 s statement timeout, and
# the requests queued behind it wait for the worker inside their 10 s)
serve_another /tmp/res-one.$$ SELLERDESK_HTTP_THREADS=1 SELLERDESK_DB_POOL_SIZE=1 \
    SELLERDESK_DB_ACQUIRE_TIMEOUT_MS=10000 SELLERDESK_DB_STATEMENT_TIMEOUT_MS=15000
one_pid=$served_pid one=$served_url
status_of "$one/v1/me" "${auth[@]}" >/dev/null # (the account now in this process's cache)
fresh=$(account fresh) # (an account this process has not read yet)
streamer=(-H "Authorization: Bearer $(account streamer)") # (another)
outsider=(-H "Authorization: Bearer $(account outsider)") # (in no chat; read once here)
status_of "$one/v1/me" "${outsider[@]}" >/dev/null
workers() { curl -s "$one/metrics" | awk '/^sellerdesk_http_workers/ {printf "%s ", $2}'; }
wait_waiting() { # N: until N requests wait for the worker (2 s at most)
    for _ in $(seq 1 40); do
        read -r waiting running _ <<<"$(workers)"
        [ "$waiting" = "$1" ] && return
        sleep 0.05
    done
}
hold_lock 5
curl -s -o /dev/null -w '%{http_code}' -X PATCH "$one/v1/products/$created" "${auth[@]}" \
    -H 'Content-Type: application/json' -d '{"stock":2}' >/tmp/res-w.$$ &
held=$!
lock_waits() {
    psql "$DATABASE_URL" -qAt -c "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
}
waited=0
for _ in $(seq 1 40); do
    [ "$(lock_waits)" -ge 1 ] && { waited=1; break; }
    sleep 0.05
done
check "the update waits on the lock in PostgreSQL" [ $waited = 1 ]
timed_status "$one/healthz"
check "meanwhile its thread answers /healthz at once ($code in $ms ms)" \
    within 200 1000
timed_status "$one/v1/me" "${auth[@]}"
check "... and /v1/me ($code in $ms ms)" within 200 1000
read -r waiting running _ <<<"$(workers)"
check "the metrics show the update running on the worker (waiting $waiting, running $running)" \
    [ "$running:$waiting" = 1:0 ]
# (a read of the thread's own, but the account is not in the cache: its lookup needs the pool,
# so the request waits for the worker rather than the thread for the pool's only connection)
status_of "$one/v1/me" -H "Authorization: Bearer $fresh" >/tmp/res-f.$$ &
fresh_pid=$!
wait_waiting 1
check "a read whose account the process lacks waits for the worker (waiting $waiting)" \
    [ "$waiting" = 1 ]
timed_status "$one/healthz"
check "meanwhile the thread still answers /healthz at once ($code in $ms ms)" within 200 1000
# (an empty page of a chat's messages, what polling for new ones gets, asks a second statement
# whether the chat is the caller's: it goes by the pipe too, not to the busy worker)
timed_status "$one/v1/chats/$chat/messages?after=9000000000000" "${auth[@]}"
check "an empty page of the seller's chat is 200 at once ($code in $ms ms)" within 200 1000
timed_status "$one/v1/chats/$chat/messages?after=9000000000000" "${outsider[@]}"
check "the same page of another's chat is 404 at once ($code in $ms ms)" within 404 1000
read -r waiting running _ <<<"$(workers)"
check "neither waited for the worker (waiting $waiting)" [ "$waiting" = 1 ]
# (an event stream from now on: where it starts, the account's last position, is a read on the
# thread's pipe as well. Taken from the pool on the thread, it held every connection of the
# thread until the worker gave the pool's only connection back)
curl -sN -D /tmp/res-sh.$$ -o /dev/null --max-time 3 "$one/v1/events/stream" "${auth[@]}" &
sse=$!
for _ in $(seq 1 20); do # (its head within 1 s)
    grep -q '^HTTP/1.1' /tmp/res-sh.$$ 2>/dev/null && break
    sleep 0.05
done
timed_status "$one/healthz"
check "a stream from now on starts at once ($(head -1 /tmp/res-sh.$$ | tr -d '\r'))" \
    grep -q '^HTTP/1.1 200' /tmp/res-sh.$$
check "meanwhile the thread answers /healthz at once ($code in $ms ms)" within 200 1000
kill $sse 2>/dev/null
wait $sse 2>/dev/null
# (a stream of an account the process lacks: its authentication needs the pool, so its start
# waits for the worker as the other reads' do, not the thread for the pool; the client then
# leaves, and the start stays queued)
curl -sN -o /dev/null --max-time 3 "$one/v1/events/stream" "${streamer[@]}" &
sse=$!
wait_waiting 2
check "a stream of an account the process lacks waits for the worker (waiting $waiting)" \
    [ "$waiting" = 2 ]
timed_status "$one/healthz"
check "meanwhile the thread answers /healthz at once ($code in $ms ms)" within 200 1000
kill $sse 2>/dev/null
wait $sse 2>/dev/null
status_of "$one/v1/notification-settings" "${auth[@]}" >/tmp/res-q.$$ &
queued=$!
wait_waiting 3
check "another request waits for the busy worker too (waiting $waiting)" [ "$waiting" = 3 ]
kill -TERM $one_pid
wait $queued $fresh_pid
check "told to stop, the server still serves the read that waited for the worker ($(cat /tmp/res-f.$$))" \
    [ "$(cat /tmp/res-f.$$)" = 200 ]
check "told to stop, the server still serves the request that waited for the worker ($(cat /tmp/res-q.$$))" \
    [ "$(cat /tmp/res-q.$$)" = 200 ]
wait $held
check "the update that waited completes with 200 ($(cat /tmp/res-w.$$))" [ "$(cat /tmp/res-w.$$)" = 200 ]
wait $one_pid
rc=$?
check "that server exits 0 (exit $rc)" [ $rc = 0 ]
wait $lock_pid
rm -f /tmp/res-w.$$ /tmp/res-q.$$ /tmp/res-f.$$ /tmp/res-one.$$ /tmp/res-sh.$$

echo "# the statement pipe: connections ended under it, a client that leaves while its read waits"
# (a product read goes by the pipe; PostgreSQL ends the pipe's connections as an operator would,
# and each read is sent again once, on a fresh connection)
end_pipe() {
    psql "$DATABASE_URL" -qAt -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'sellerdesk-pipe'" | grep -c t
}
status_of "$SD_BASE_URL/v1/products/$created" "${auth[@]}" >/dev/null
ended=$(end_pipe)
check "the pipe's connections were there to end ($ended, both servers')" [ "$ended" -ge 2 ]
check "a read right after its connections ended is answered 200" \
    [ "$(status_of "$SD_BASE_URL/v1/products/$created" "${auth[@]}")" = 200 ]
end_pipe >/dev/null
sleep 0.2
pids=()
for i in $(seq 1 12); do
    { status_of "$SD_BASE_URL/v1/products/$created" "${auth[@]}"; echo; } >/tmp/res-p.$$.$i &
    pids+=($!)
done
wait "${pids[@]}"
codes=$(sort /tmp/res-p.$$.* | uniq -c | tr -s ' ' | tr '\n' ';')
check "12 reads at once after the connections ended again are all 200 ($codes)" \
    [ "$(cat /tmp/res-p.$$.* | grep -c '^200$')" = 12 ]
rm -f /tmp/res-p.$$.*
reconnects=$(curl -s "$SD_BASE_URL/metrics" | awk '/^sellerdesk_db_pipe_reconnects_total/ {print $2}')
check "the metrics count the pipe's reconnects ($reconnects)" [ "${reconnects:-0}" -ge 2 ]
# a client that gives up while its read waits behind the lock: the result that comes later is
# dropped with the request (the sanitizer and valgrind runs see it freed), and reads go on
hold_lock 1
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 0.3 "$SD_BASE_URL/v1/products/$created" "${auth[@]}")
check "a client gives up on a read waiting behind a lock (curl: $code)" [ "$code" = 000 ]
wait $lock_pid
sleep 0.2
check "reads go on after it (200)" \
    [ "$(status_of "$SD_BASE_URL/v1/products/$created" "${auth[@]}")" = 200 ]

echo "# an account deleted while its request's body is still arriving"
# (the head was authenticated before the body; the account is checked again when it is
# complete: a slow upload must not finish as an account that no longer exists)
tok=$(account slow)
head -c 400000 /dev/zero | { printf '\x89PNG\r\n\x1a\n'; cat; } >/tmp/res-upload.$$
curl -s -o /dev/null -w '%{http_code}' --limit-rate 100k "$SD_BASE_URL/v1/files" \
    -H "Authorization: Bearer $tok" -H 'Content-Type: image/png' \
    --data-binary @/tmp/res-upload.$$ >/tmp/res-c.$$ &
upload=$!
sleep 1.5
psql "$DATABASE_URL" -qAt -c "DELETE FROM users WHERE email = 'slow$$@test.sellerdesk.dev'" >/dev/null
wait $upload
check "the upload of a deleted account is refused when its body is complete ($(cat /tmp/res-c.$$))" \
    [ "$(cat /tmp/res-c.$$)" = 401 ]
rm -f /tmp/res-upload.$$ /tmp/res-c.$$

echo "# idle client"
exec 3<>"/dev/tcp/127.0.0.1/$port"
sleep 3
if read -r -t 2 line <&3; then closed=0; else rc=$?; [ $rc -gt 128 ] && closed=0 || closed=1; fi
exec 3<&- 3>&-
check "an idle connection is closed by the server after the connection timeout" [ "$closed" = 1 ]

# one answer on fd 4: sets status (its first line), conn (Connection) and code
read_answer() {
    local line n=0
    status= conn= code=
    IFS= read -r -t 3 status <&4 || return 1
    status=${status%$'\r'}
    while IFS= read -r -t 3 line <&4; do
        line=${line%$'\r'}
        [ -z "$line" ] && break
        case "${line,,}" in
        content-length:*) n=${line#*: } ;;
        connection:*) conn=${line#*: } ;;
        esac
    done
    [ "$n" -gt 0 ] && IFS= read -r -t 3 -N "$n" line <&4 && code=$(jq -r '.code // empty' <<<"$line" 2>/dev/null)
    return 0
}

echo "# SIGTERM with a request in flight"
# (a product read: it waits on the statement pipe, its connection suspended, when the signal
# comes)
hold_lock 2
status_of "$small/v1/products/$created" "${auth[@]}" -H "X-Request-Id: inflight-$$" >/tmp/res-b.$$ &
inflight=$!
sleep 0.3
# a kept-alive client, answered once just before the signal (the idle timeout here is 2 s)
exec 4<>"/dev/tcp/127.0.0.1/$port"
printf 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n' >&4
read_answer
check "a kept-alive connection is served before the signal ($status)" [ "${status:9:3}" = 200 ]
curl -sN "$small/v1/events/stream" "${auth[@]}" >/dev/null 2>&1 &
stream_pid=$!
sleep 0.3
kill -TERM $pid
sleep 0.2
check "new connections are refused while draining" [ "$(status_of "$small/healthz")" = 000 ]
printf 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n' >&4
read_answer
check "a new request on a kept-alive connection gets 503 shutting_down and Connection: close ($status, $conn, $code)" \
    [ "${status:9:3}:${conn,,}:$code" = 503:close:shutting_down ]
if IFS= read -r -t 2 line <&4; then eof=0; else rc=$?; [ $rc -gt 128 ] && eof=0 || eof=1; fi
exec 4<&- 4>&-
check "then that connection is closed" [ "$eof" = 1 ]
ended=0
for _ in $(seq 1 30); do
    kill -0 $stream_pid 2>/dev/null || { ended=1; break; }
    sleep 0.1
done
check "an open event stream ends within 3 s of SIGTERM, not at the end of the grace" [ $ended = 1 ]
kill $stream_pid 2>/dev/null
wait $stream_pid 2>/dev/null
wait $inflight
check "the in-flight request finishes with 200 after SIGTERM" [ "$(cat /tmp/res-b.$$)" = 200 ]
wait $pid
rc=$?
check "the server exits 0 after draining (exit $rc)" [ $rc = 0 ]
check "the server no longer accepts connections" [ "$(status_of "$small/healthz")" = 000 ]
lines_whole() { # every line of the log is one JSON object, alone on its line
    [ -s /tmp/res-server.$$ ] &&
        [ "$(jq -R 'try (fromjson | type == "object") catch false' /tmp/res-server.$$ | grep -cvx true)" = 0 ]
}
check "every line the server wrote is whole JSON" lines_whole
each_once() {
    local n
    n=$(jq -r 'select(.msg == "request") | .request_id' /tmp/res-server.$$ 2>/dev/null | grep -c "^acc-$$-")
    [ "$n" = 200 ] && [ "$(jq -r 'select(.msg == "request") | .request_id' /tmp/res-server.$$ | grep "^acc-$$-" | sort -u | wc -l)" = 200 ]
}
check "each of 200 concurrent requests has exactly one access line" each_once
in_flight_logged() { # the read answered during the drain, written before the exit
    jq -r "select(.request_id == \"inflight-$$\") | .status" /tmp/res-server.$$ 2>/dev/null | grep -qx 200
}
check "the request answered while draining has its access line" in_flight_logged
wait $lock_pid
rm -f /tmp/res-a.$$ /tmp/res-b.$$ /tmp/res-server.$$

echo "$pass passed, $fail failed"
[ $fail = 0 ]
