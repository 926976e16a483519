#!/usr/bin/env bash
# The rendered contract in a real browser: opens BASE/docs in Debian's headless chromium
# (scripts/deps.sh installs it) with every other host blocked, and checks that every operation
# of the served contract is rendered (check.mjs). playwright-core, pinned in package.json here,
# drives the system's chromium: it downloads no browser of its own. Ends with the
# "N passed, N failed" line of check.mjs.
# Usage: tests/docs/run.sh http://127.0.0.1:PORT
set -uo pipefail
cd "$(dirname "$0")"
base=${1:?usage: tests/docs/run.sh BASE_URL}
export CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$CHROMIUM" ]; then
    echo "not ok - $CHROMIUM is missing (scripts/deps.sh installs Debian's chromium)"
    echo "0 passed, 1 failed"
    exit 1
fi
# installed on first use, again when the lock changes (npm writes its stamp on every install)
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error || {
        echo "not ok - npm ci in tests/docs"
        echo "0 passed, 1 failed"
        exit 1
    }
fi
# the render takes seconds; a hung browser must not hold the whole run
exec timeout --kill-after=10 100 node check.mjs "$base"
