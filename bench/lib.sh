# Shared by the bench scripts (sourced): CPU accounting per request
# and wrk's percentiles. Uses the caller's server_pid, PG_DIR and OUT.
tick_hz=$(getconf CLK_TCK)
server_cpu() { awk '{ print $14 + $15 }' "/proc/$server_pid/stat"; }
pg_cpu() {
    local pm c
    pm=$(head -n 1 "$PG_DIR/postmaster.pid")
    # one cat for all the backends: with 256 of them, an awk per backend took seconds
    {
        awk '{ print $14 + $15 + $16 + $17 }' "/proc/$pm/stat"
        { pgrep -P "$pm" | sed 's|.*|/proc/&/stat|' | xargs -r cat 2>/dev/null || true; } | awk '{ print $14 + $15 }'
    } | awk '{ s += $1 } END { print s }'
}
# all CPUs busy (user nice system irq softirq steal), and this shell's finished children
# (wrk, pgbench) from `times`, both in clock ticks
machine_busy() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }
# (`times` must run in this shell, not in a $(...) subshell, to see its children)
children_cpu() { # sets CHILD_TICKS
    times >"$OUT/times.tmp"
    CHILD_TICKS=$(tail -n 1 "$OUT/times.tmp" | awk -v hz="$tick_hz" '{ t = 0
        for (i = 1; i <= 2; i++) { split($i, a, "m"); sub(/s$/, "", a[2]); t += a[1] * 60 + a[2] }
        printf "%.0f", t * hz }')
}
# share of the machine's CPUs (percent) that went to neither the server, the cluster nor the
# load generator: other people's processes, interrupts
other_pct() { # busy-ticks attributed-ticks seconds
    awk -v b="$1" -v a="$2" -v s="$3" -v hz="$tick_hz" -v n="$(nproc)" \
        'BEGIN { v = (b - a) / (s * hz * n) * 100; if (v < 0) v = 0; printf "%.0f", v }'
}
# microseconds of CPU per request: ticks count
per_req() { awk -v t="$1" -v n="$2" -v hz="$tick_hz" 'BEGIN { if (n > 0) printf "%.0f", t / hz * 1e6 / n; else print "-" }'; }

# wrk's latency distribution prints e.g. "     99%    3.21ms"; normalise to milliseconds
wrk_pct() {
    awk -v p="$1%" '$1 == p {
        v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v)
        if (u == "us") v /= 1000; else if (u == "s") v *= 1000; else if (u == "m") v *= 60000
        printf "%.2f", v }' "$2"
}

# One measured load-generator run with the CPU accounting above (used by bench/chats.sh):
#   measured_wrk KEY OUTFILE wrk ARGS...
#   measured_pgbench KEY OUTFILE SKIP pgbench ARGS... (with -T DURATION+SKIP --progress=1)
# The command line goes first into OUTFILE, then its output. Fills, per KEY, the caller's
# associative arrays: WRK_RPS WRK_P50 WRK_P99 WRK_BAD WRK_REQS CPU_SRV CPU_PG_WRK CPU_WRK
# OTHER_WRK LOAD_WRK, or PGB_TPS PGB_P50 PGB_P99 PGB_FAIL PGB_TXS CPU_PG_PGB CPU_PGB OTHER_PGB
# LOAD_PGB (LOAD_*: the 1-minute load average when the run started).
# pgbench: its first SKIP seconds are left out of every figure. Each new backend loads its
# catalog caches and plans every statement a few times before its plans settle, which costs
# tens of milliseconds of CPU per client (seconds, with 256 clients on 2 CPUs), while the
# server's pooled connections are warm. tps is the mean of the --progress lines after SKIP;
# percentiles come from the per-transaction log (pass -l --sampling-rate=R
# --log-prefix=$OUT/pgbench_log.KEY), transactions that ended after SKIP.
loadavg1() { cut -d' ' -f1 /proc/loadavg; }
measured_wrk() {
    local key=$1 f=$2 s0 p0 c0 b0 t0 b1 c1 t1
    shift 2
    echo "\$ $*" >"$f"
    LOAD_WRK[$key]=$(loadavg1)
    children_cpu
    s0=$(server_cpu) p0=$(pg_cpu) c0=$CHILD_TICKS b0=$(machine_busy) t0=$(date +%s.%N)
    "$@" >>"$f"
    children_cpu
    b1=$(machine_busy) c1=$CHILD_TICKS t1=$(date +%s.%N)
    CPU_SRV[$key]=$(($(server_cpu) - s0)) CPU_PG_WRK[$key]=$(($(pg_cpu) - p0)) CPU_WRK[$key]=$((c1 - c0))
    OTHER_WRK[$key]=$(other_pct $((b1 - b0)) $((CPU_SRV[$key] + CPU_PG_WRK[$key] + CPU_WRK[$key])) "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')")
    WRK_REQS[$key]=$(awk '/requests in/ { print $1 }' "$f")
    WRK_RPS[$key]=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$f")
    WRK_P50[$key]=$(wrk_pct 50 "$f")
    WRK_P99[$key]=$(wrk_pct 99 "$f")
    WRK_BAD[$key]=$(awk '/Non-2xx or 3xx responses:/ { n += $NF } /Socket errors:/ { n += 1 } END { print n + 0 }' "$f")
}
measured_pgbench() {
    local key=$1 f=$2 skip=$3 pid p0 c0 b0 t0 b1 c1 t1 cskip
    shift 3
    echo "\$ $*" >"$f"
    LOAD_PGB[$key]=$(loadavg1)
    children_cpu
    c0=$CHILD_TICKS
    "$@" >>"$f" 2>&1 &
    pid=$!
    sleep "$skip"
    cskip=$(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null || echo 0)
    p0=$(pg_cpu) b0=$(machine_busy) t0=$(date +%s.%N)
    wait "$pid" || true
    children_cpu
    b1=$(machine_busy) c1=$CHILD_TICKS t1=$(date +%s.%N)
    CPU_PG_PGB[$key]=$(($(pg_cpu) - p0)) CPU_PGB[$key]=$((c1 - c0 - cskip))
    OTHER_PGB[$key]=$(other_pct $((b1 - b0)) $((CPU_PG_PGB[$key] + CPU_PGB[$key])) "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')")
    # "progress: 5.0 s, 1234.5 tps, lat ..." once a second
    read -r PGB_TPS[$key] PGB_TXS[$key] < <(awk -v s="$skip" '/^progress:/ { t = $2 + 0; v = $4 + 0
        if (t > s + 0.5) { n++; sum += v } } END { if (n) printf "%.0f %.0f\n", sum / n, sum; else print "- 0" }' "$f")
    PGB_FAIL[$key]=$(awk '/number of failed transactions:/ { print $5 } /^pgbench: error:/ { e = 1 } END { if (e) print "error" }' "$f" | tail -n 1)
    # per-transaction log (a sample): field 3 the latency in microseconds, 5 the end (epoch s)
    read -r PGB_P50[$key] PGB_P99[$key] < <(cat "$OUT"/pgbench_log."$key".* 2>/dev/null |
        awk -v t0="${t0%.*}" '$5 >= t0 { print $3 }' | sort -n |
        awk '{ v[NR] = $1 } END { if (NR == 0) { print "- -"; exit }
             i50 = int(NR * 0.50); i99 = int(NR * 0.99); if (i50 < 1) i50 = 1; if (i99 < 1) i99 = 1
             printf "%.2f %.2f\n", v[i50] / 1000, v[i99] / 1000 }')
    rm -f "$OUT"/pgbench_log."$key".*
}

# Access tokens for the users IDS (comma-separated), minted as the server signs them (HS256
# with SELLERDESK_JWT_SECRET, the claims of src/auth.c auth_jwt_issue), in one query (pgcrypto's
# hmac), as "ID<TAB>TOKEN" lines on stdout: logging 300 users in through the API (Argon2 and a
# committed refresh token each) took about a minute on the loaded machine, and minting them
# with openssl in a shell loop 40 s. Uses DATABASE_URL. (bench/chats.sh, bench/questions.sh)
mint_tokens() { # IDS
    psql "$DATABASE_URL" -qAtX -c "CREATE EXTENSION IF NOT EXISTS pgcrypto" 2>/dev/null
    psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -qAtX -F $'\t' -v secret="$SELLERDESK_JWT_SECRET" \
        -v iss="${SELLERDESK_JWT_ISSUER:-sellerdesk}" -v ids="$1" <<'SQL'
CREATE FUNCTION pg_temp.b64url(b bytea) RETURNS text LANGUAGE sql AS
$$ SELECT rtrim(translate(encode(b, 'base64'), E'+/\n', '-_'), '=') $$;
WITH t AS (
    SELECT id, pg_temp.b64url(convert_to('{"alg":"HS256","typ":"JWT"}', 'UTF8')) || '.' ||
               pg_temp.b64url(convert_to(json_build_object(
                   'sub', id::text, 'role', role, 'iss', :'iss', 'jti', 'bench' || id || extract(epoch FROM now())::bigint,
                   'iat', extract(epoch FROM now())::bigint,
                   'exp', extract(epoch FROM now())::bigint + 7200)::text, 'UTF8')) AS hp
    FROM users WHERE id = ANY (string_to_array(:'ids', ',')::bigint[]))
SELECT id, hp || '.' || pg_temp.b64url(hmac(convert_to(hp, 'UTF8'), convert_to(:'secret', 'UTF8'), 'sha256'))
FROM t ORDER BY id;
SQL
}

# The server's statements, from the preprocessed source (bench/reviews.sh, bench/promotions.sh)
server_sql() { # file statement
    # (a macro that declares several statements leaves them on one line: one per line here)
    cc -E -P -I/usr/include/postgresql -D_DEFAULT_SOURCE "$1" 2>/dev/null |
        sed 's/; *static const db_stmt /;\nstatic const db_stmt /g' |
        awk -v name="$2" 'index($0, "db_stmt " name " = {") && !done { on = 1 } on { print } on && /}/ { on = 0; done = 1 }' |
        grep -o '"\([^"\\]\|\\.\)*"' | sed '1d; s/^"//; s/"$//' | tr -d '\n'
}
# The statement for pgbench: $N becomes :pN; an optional parameter N (OPT "N:type ...") may be
# NULL, which a pgbench variable cannot be, so it is NULLIF(:pN, 'all')::type with -D pN=all
# for "not given" (dates: NULLIF(:pN::date, '-infinity'), as a text cast to date would not fold
# when planning). In -M extended each occurrence is a parameter, NULL at run time; the
# per-call plan folds it as it folds the server's NULL.
pgb_sql() { # file statement OPT
    server_sql "$1" "$2" | OPT="$3" perl -pe '
        BEGIN { %t = map { split /:/ } split / /, $ENV{OPT} }
        s{\$(\d+)(?:::(\w+(?:\[\])?))?}{
            my ($n, $cast) = ($1, $2);
            !exists $t{$n} ? ":p$n" . (defined $cast ? "::$cast" : "")
            : $t{$n} eq "date" ? "NULLIF(:p${n}::date, \x27-infinity\x27)"
            : "NULLIF(:p$n, \x27all\x27)::$t{$n}" }ge'
    echo ";"
}

# The life of a bench script's processes (bench/reviews.sh, bench/promotions.sh): the server it
# starts and, when it started it, its cluster are stopped on exit, whatever the exit.
# Uses the caller's PG_DIR; KEEP_PG=1 leaves the cluster running.
server_pid=
started_pg=0
bench_cleanup() {
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    if [ "$started_pg" = 1 ] && [ "${KEEP_PG:-0}" != 1 ]; then
        scripts/pg.sh stop "$PG_DIR"
    fi
}
bench_traps() { trap bench_cleanup EXIT; trap 'exit 130' INT TERM; }

# The head of a bench script's results: make build (release) unless BUILD=0, then the machine,
# the binary (its commit, and whether src/ api/ migrations/ had uncommitted changes), the load
# and the caller's settings line, into $OUT/machine.txt and on stderr. Uses the caller's log
# and die.
bench_build_and_describe() { # settings
    if [ "${BUILD:-1}" = 1 ]; then
        log "make build (release)"
        make --no-print-directory MODE=release build >"$OUT/build.log" 2>&1 || { tail -n 30 "$OUT/build.log" >&2; die "build failed"; }
    fi
    [ -x "$SELLERDESK_BIN" ] || die "$SELLERDESK_BIN not found"
    {
        echo "date:        $(date -u +%Y-%m-%dT%H:%M:%SZ)"
        echo "cpus:        $(nproc) x $(lscpu | sed -n 's/^Model name: *//p' | head -n 1)"
        echo "memory:      $(free -h | awk '/^Mem:/ { print $2 }')"
        echo "kernel:      $(uname -r)"
        echo "wrk:         $(wrk -v 2>&1 | head -n 1 | awk '{ print $2 }')"
        echo "pgbench:     $(pgbench --version)"
        echo "sellerdesk:  $SELLERDESK_BIN, built $(date -u -r "$SELLERDESK_BIN" +%Y-%m-%dT%H:%M:%SZ), tree at commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git status --porcelain -- src api migrations 2>/dev/null | grep -q . && echo ' + uncommitted changes in src/ api/ migrations/')"
        echo "uptime:      $(uptime)"
        echo "settings:    $1"
    } | tee "$OUT/machine.txt" >&2
}

# Starts $SELLERDESK_BIN serve on 127.0.0.1:$PORT (log: $OUT/server.log, level warn unless set)
# and waits for /healthz; sets server_pid and url. Uses the caller's log and die.
bench_start_server() {
    log "starting $SELLERDESK_BIN serve on 127.0.0.1:$PORT (log: $OUT/server.log)"
    export SELLERDESK_JWT_SECRET=${SELLERDESK_JWT_SECRET:-bench-secret-bench-secret-bench-secret-0123}
    SELLERDESK_PORT=$PORT SELLERDESK_BIND_ADDRESS=127.0.0.1 SELLERDESK_LOG_LEVEL=${SELLERDESK_LOG_LEVEL:-warn} \
        "$SELLERDESK_BIN" serve >>"$OUT/server.log" 2>&1 &
    server_pid=$!
    local i
    for i in $(seq 101); do
        [ "$i" -le 100 ] || die "server did not answer /healthz within 10 s"
        curl -fsS -o /dev/null "http://127.0.0.1:$PORT/healthz" 2>/dev/null && break
        kill -0 "$server_pid" 2>/dev/null || { tail -n 20 "$OUT/server.log" >&2; die "server exited"; }
        sleep 0.1
    done
    url="http://127.0.0.1:$PORT"
    log "server pid $server_pid"
}
