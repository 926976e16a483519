#!/usr/bin/env bash
# Lints openapi.yaml with the @redocly/cli version pinned in package.json / package-lock.json,
# using the rules in redocly.yaml. Fails on any error *or* warning (redocly itself only fails
# on errors), and on problems in redocly.yaml itself.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

redocly=node_modules/.bin/redocly
if [[ ! -x $redocly ]]; then
    npm ci --no-audit --no-fund --loglevel=error
fi

# No telemetry, no update or announcement checks: linting needs no network.
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_NOTIFICATIONS=true REDOCLY_SUPPRESS_UPDATE_NOTICE=true

lint=("$redocly" lint openapi.yaml --config=redocly.yaml --lint-config=error)

# Human-readable report (every problem, with code frames).
status=0
"${lint[@]}" --max-problems=10000 || status=$?

# Machine-readable totals decide, so warnings fail too.
report=$(mktemp)
trap 'rm -f "$report"' EXIT
"${lint[@]}" --format=json --max-problems=10000 >"$report" 2>/dev/null || true
read -r errors warnings ignored < <(node -e '
    const t = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).totals;
    console.log(t.errors, t.warnings, t.ignored);' "$report") || {
    echo "lint-openapi: could not read the lint totals" >&2
    exit 1
}
echo "lint-openapi: ${errors} errors, ${warnings} warnings (${ignored} ignored)"
if ((status != 0 || errors != 0 || warnings != 0)); then
    echo "lint-openapi: FAILED" >&2
    exit 1
fi
echo "lint-openapi: OK"
