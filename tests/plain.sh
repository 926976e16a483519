# The plain test scripts' common ground (tests/delivery.sh, webhooks.sh, quickstart.sh), sourced
# after scripts/lib.sh: "plain_start NAME" makes $TMP (removed at exit, with every pid in pids
# killed); ok / not_ok / check print "ok - ..." or "not ok - ..." and count pass and fail, for
# the closing "N passed, M failed" the script prints.
ok() { pass=$((pass + 1)); echo "ok - $*"; }
not_ok() { fail=$((fail + 1)); echo "not ok - $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else not_ok "$what"; fi; }
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$TMP"; }
sql() { psql "$DATABASE_URL" -qAtX -c "$1"; }
json() { curl -s -H 'Content-Type: application/json' "$@"; }
# until_true SECONDS COMMAND...: polls every 0.2 s
until_true() { local deadline=$((SECONDS + $1)); shift; while [ $SECONDS -lt $deadline ]; do "$@" && return 0; sleep 0.2; done; return 1; }
plain_start() {
    TMP=$(mktemp -d "/tmp/sellerdesk-$1.XXXXXX")
    pass=0 fail=0 pids=()
    trap cleanup EXIT
}
