#!/usr/bin/env bash
# `make run`: a local PostgreSQL in .pgdata/ (or DATABASE_URL), migrations, demo data, serve.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
mkdir -p .run
if [ -z "${DATABASE_URL:-}" ]; then
    export DATABASE_URL=$(scripts/pg.sh start .pgdata "${SELLERDESK_PG_PORT:-5433}")
    echo "PostgreSQL: local cluster in .pgdata/ ($DATABASE_URL); it keeps running for the next run"
    echo "            (stop it with: scripts/pg.sh stop .pgdata)"
fi
# a secret generated once for this checkout, so tokens survive restarts of `make run`
if [ -z "${SELLERDESK_JWT_SECRET:-}" ]; then
    [ -s .run/jwt_secret ] || { random_secret > .run/jwt_secret; chmod 600 .run/jwt_secret; }
    export SELLERDESK_JWT_SECRET=$(cat .run/jwt_secret)
fi
export SELLERDESK_PORT=${SELLERDESK_PORT:-8080}
bin/sellerdesk migrate
bin/sellerdesk seed --demo
cat <<MSG

sellerdesk is starting on http://localhost:$SELLERDESK_PORT  (Ctrl-C stops it)
Try:
  curl -s http://localhost:$SELLERDESK_PORT/v1/auth/login -H 'Content-Type: application/json' \\
       -d '{"email":"buyer1@demo.sellerdesk.dev","password":"demo-password-1"}'
  curl -s http://localhost:$SELLERDESK_PORT/v1/me -H "Authorization: Bearer <access_token>"
Contract: http://localhost:$SELLERDESK_PORT/openapi.yaml

MSG
exec bin/sellerdesk serve
