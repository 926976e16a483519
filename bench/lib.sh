# Shared by bench/run.sh and bench/notifications.sh (sourced): CPU accounting per request
# and wrk's percentiles. Uses the caller's server_pid, PG_DIR and OUT.
tick_hz=$(getconf CLK_TCK)
server_cpu() { awk '{ print $14 + $15 }' "/proc/$server_pid/stat"; }
pg_cpu() {
    local pm c
    pm=$(head -n 1 "$PG_DIR/postmaster.pid")
    {
        awk '{ print $14 + $15 + $16 + $17 }' "/proc/$pm/stat"
        for c in $(pgrep -P "$pm"); do awk '{ print $14 + $15 }' "/proc/$c/stat" 2>/dev/null || true; done
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
