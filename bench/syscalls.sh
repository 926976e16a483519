#!/usr/bin/env bash
# bench/syscalls.sh — one read under wrk beside `perf stat` of the server's process: requests a
# second, p50 and p99, and per request the server's CPU time (with its user and system parts, from
# /proc), system calls (all, and the ones the request path makes), context switches. bench/README.md, "The request path, ninth step".
#
#   SERVER_PID=$(pgrep -f 'sellerdesk serve') bench/syscalls.sh http://127.0.0.1:8080 16 6 \
#       bench/wrk/product.lua /tmp/hr/tokens-buyers.txt 1 1000
#
# Arguments: URL CONNS SECONDS LUA [ARGS for the script...]. A 2 s warm-up first (not counted);
# then wrk -t2 -cCONNS -dSECONDS --latency while perf stat counts the server for as long. Needs
# perf with the tracepoints (root, or kernel.perf_event_paranoid <= -1). One line of results.
set -euo pipefail
url=${1:?usage: SERVER_PID=PID bench/syscalls.sh URL CONNS SECONDS LUA [ARGS...]}
conns=${2:?conns}
secs=${3:?seconds}
lua=${4:?wrk script}
shift 4
pid=${SERVER_PID:?SERVER_PID: the process id of the server}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
wrk -t2 -c"$conns" -d2s -s "$lua" "$url" -- "$@" >/dev/null
ev=raw_syscalls:sys_enter,context-switches,task-clock
for s in epoll_wait recvfrom sendto sendmsg write epoll_ctl; do ev=$ev,syscalls:sys_enter_$s; done
perf stat -e "$ev" -p "$pid" -o "$out/perf.txt" -- sleep "$secs" &
perf_pid=$!
# user and system time apart (/proc, in clock ticks): what the kernel's sockets cost beside
# the process's own code
read -r utime0 stime0 < <(awk '{print $14, $15}' "/proc/$pid/stat")
wrk -t2 -c"$conns" -d"${secs}s" --latency -s "$lua" "$url" -- "$@" >"$out/wrk.txt"
read -r utime1 stime1 < <(awk '{print $14, $15}' "/proc/$pid/stat")
wait "$perf_pid"
n=$(awk '/requests in/ {print $1}' "$out/wrk.txt")
non2xx=$(awk '/Non-2xx/ {print $NF}' "$out/wrk.txt")
awk -v n="$n" -v c="$conns" -v bad="${non2xx:-0}" -v tick="$(getconf CLK_TCK)" \
    -v ut=$((utime1 - utime0)) -v st=$((stime1 - stime0)) \
    -v rps="$(awk '/Requests\/sec/ {print $2}' "$out/wrk.txt")" \
    -v p50="$(awk '$1 == "50%" {print $2}' "$out/wrk.txt")" \
    -v p99="$(awk '$1 == "99%" {print $2}' "$out/wrk.txt")" '
    /raw_syscalls/ { gsub(",", "", $1); sc = $1 / n }
    /context-switches/ { gsub(",", "", $1); cs = $1 / n }
    /task-clock/ { gsub(",", "", $1); cpu = $1 * 1000 / n }
    /sys_enter_/ { gsub(",", "", $1); split($2, a, "sys_enter_"); det = det sprintf(" %s=%.2f", a[2], $1 / n) }
    END { printf "c=%s rps=%s p50=%s p99=%s non2xx=%s cpu_us=%.1f (user %.1f, system %.1f) syscalls=%.2f ctxsw=%.2f |%s\n",
                 c, rps, p50, p99, bad, cpu, ut * 1e6 / tick / n, st * 1e6 / tick / n, sc, cs, det }' "$out/perf.txt"
