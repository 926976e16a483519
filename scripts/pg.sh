#!/usr/bin/env bash
# Project-local PostgreSQL cluster: `pg.sh start DIR PORT` creates (first time) and starts a
# cluster listening on 127.0.0.1:PORT with database and role "sellerdesk"; `pg.sh stop DIR`
# stops it. initdb and postgres refuse to run as root, so as root they run as "postgres".
set -euo pipefail
cmd=${1:?usage: pg.sh start DIR PORT | stop DIR}
dir=$(realpath -m "${2:?data directory}")
port=${3:-5433}
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$bindir/initdb" ] || { echo "pg.sh: PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1; }

as_owner() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$cmd" in
start)
    if [ ! -f "$dir/PG_VERSION" ]; then
        mkdir -p "$dir"
        [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$dir"
        chmod 700 "$dir"
        as_owner "$bindir/initdb" -D "$dir" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir.initdb.log" 2>&1 \
            || { cat "$dir.initdb.log" >&2; exit 1; }
        rm -f "$dir.initdb.log"
        cat >>"$dir/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
max_connections = 200
shared_buffers = 256MB
fsync = on
log_min_messages = warning
CONF
    fi
    if ! as_owner "$bindir/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
        as_owner "$bindir/pg_ctl" -D "$dir" -o "-p $port" -l "$dir/server.log" -w -t 60 start >/dev/null
    fi
    psql_() { as_owner psql -h "$dir" -p "$port" -U postgres -v ON_ERROR_STOP=1 -qAtX "$@"; }
    if [ "$(psql_ -c "select 1 from pg_roles where rolname='sellerdesk'")" != 1 ]; then
        psql_ -c "create role sellerdesk login superuser"
    fi
    if [ "$(psql_ -c "select 1 from pg_database where datname='sellerdesk'")" != 1 ]; then
        psql_ -c "create database sellerdesk owner sellerdesk"
    fi
    echo "postgresql://sellerdesk@127.0.0.1:$port/sellerdesk"
    ;;
stop)
    [ -f "$dir/PG_VERSION" ] || exit 0
    as_owner "$bindir/pg_ctl" -D "$dir" -m fast -w stop >/dev/null 2>&1 || true
    ;;
*) echo "pg.sh: unknown command $cmd" >&2; exit 2 ;;
esac
