#!/usr/bin/env bash
# A typed client of the contract, the way an integrator would build one, run through the
# README's walkthrough against a real server:
#   1. openapi-typescript turns openapi.yaml into schema.d.ts (on every run: never committed,
#      so a contract change is always seen);
#   2. nocasts.mjs refuses any cast, non-null assertion, `any` or @ts-ignore in the client;
#   3. tsc compiles walkthrough.ts strictly (tsconfig.json: strict, noUncheckedIndexedAccess,
#      exactOptionalPropertyTypes), so a contract change that breaks a client's code fails here;
#   4. node runs it with openapi-fetch against BASE, checking every answer.
# openapi-typescript, openapi-fetch and typescript are pinned in package.json here. Ends with
# one "N passed, N failed" line over all four.
# Usage: tests/client/run.sh http://127.0.0.1:PORT
set -uo pipefail
cd "$(dirname "$0")"
base=${1:?usage: tests/client/run.sh BASE_URL}
pass=0 fail=0
TMP=$(mktemp -d /tmp/sellerdesk-client.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
ok() { pass=$((pass + 1)); echo "ok - $*"; }
not_ok() { fail=$((fail + 1)); echo "not ok - $*"; }
finish() { echo "$pass passed, $fail failed"; [ "$fail" -eq 0 ]; exit; } # exits with the test's status

# installed on first use, again when the lock changes (npm writes its stamp on every install)
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund --loglevel=error || { not_ok "npm ci in tests/client"; finish; }
fi
rm -rf dist schema.d.ts

if timeout 60 node gen.mjs >"$TMP/gen.log" 2>&1; then
    ok "schema.d.ts generated from openapi.yaml"
else
    not_ok "schema.d.ts generated from openapi.yaml"; cat "$TMP/gen.log"; finish
fi
if findings=$(node nocasts.mjs walkthrough.ts); then
    ok "no cast, non-null assertion, any or @ts-ignore in the client"
else
    not_ok "no cast, non-null assertion, any or @ts-ignore in the client"; echo "$findings"
fi
if timeout 100 node_modules/.bin/tsc -p . >"$TMP/tsc.log" 2>&1; then
    ok "the client compiles against the contract (tsc --strict)"
else
    not_ok "the client compiles against the contract (tsc --strict)"; head -n 40 "$TMP/tsc.log"; finish
fi
timeout --kill-after=5 60 node dist/walkthrough.js "$base" | tee "$TMP/walk.out"
last=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$TMP/walk.out" | tail -n 1)
if [ -z "$last" ]; then
    not_ok "the walkthrough ran to its end"
else
    pass=$((pass + ${last%% *}))
    fail=$((fail + $(sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/' <<<"$last")))
fi
finish
