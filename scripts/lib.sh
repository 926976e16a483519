# Shared helpers for the run/test scripts (sourced).
# Below the kernel's ephemeral range (ip_local_port_range, 32768-60999 by default): a port
# there can be held by an outgoing connection, pass the probe and still fail to bind.
free_port() {
    local p low
    low=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
    # SD_PORTS=8161-8179 keeps a run on a shared machine to its own range
    for p in $(shuf -i "${SD_PORTS:-20000-$((low - 1))}" -n 200); do
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return 0
        fi
    done
    echo "no free port found" >&2
    return 1
}

# wait_http URL [seconds]: until URL answers 200
wait_http() {
    local url=$1 deadline=$((SECONDS + ${2:-30}))
    while [ $SECONDS -lt $deadline ]; do
        curl -fs -o /dev/null "$url" && return 0
        sleep 0.1
    done
    echo "timed out waiting for $url" >&2
    return 1
}

random_secret() {
    head -c 32 /dev/urandom | base64 | tr -d '\n/+='
}
