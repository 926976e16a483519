#!/usr/bin/env bash
# bench/sqlfunc-cost.sh — what the JSON-building SQL functions of migrations/ cost inside
# PostgreSQL, one client (pgbench -c 1 -M prepared), against equivalents that PostgreSQL can
# inline. Needs DATABASE_URL of a database filled by bench/gen; creates and drops a scratch
# schema "benchexp" there. Prints one line per query: tps and what was run.
#
#   DATABASE_URL=$(scripts/pg.sh start /tmp/bench-pg 5611) bench/sqlfunc-cost.sh
#
# Variants:
#   *_json as migrated   sd_ts is declared IMMUTABLE but calls to_char(timestamp, text), which
#                        is only STABLE, so the planner never inlines sd_ts (nor the *_json
#                        functions calling it): each call goes through the SQL-function executor
#   benchexp.*_json      the same bodies over an sd_ts declared STABLE: inlined into the query
#   order_json           posting_json has sub-selects, so it is never inlined either
#   inlined order query  order_json's and posting_json's bodies written out as one query
#                        (same output, checked below)
# Then POST /v1/orders' SQL (bench/pgbench/order.sql) at CONNECTIONS clients for T2 seconds,
# as it is and with its final order_json read replaced by the inlined query.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${DATABASE_URL:?set DATABASE_URL to a database filled by bench/gen}"
T=${T:-5}
T2=${T2:-10}
CONNECTIONS=${CONNECTIONS:-16}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; psql "$DATABASE_URL" -qX -c "DROP SCHEMA IF EXISTS benchexp CASCADE" 2>/dev/null || true' EXIT

psql "$DATABASE_URL" -qX -v ON_ERROR_STOP=1 <<'SQL'
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS benchexp CASCADE;
CREATE SCHEMA benchexp;
CREATE FUNCTION benchexp.sd_ts(t timestamptz) RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') $$;
CREATE FUNCTION benchexp.user_json(u users) RETURNS json LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT json_build_object('id', u.id, 'email', u.email, 'role', u.role,
                            'display_name', u.display_name, 'created_at', benchexp.sd_ts(u.created_at)) $$;
CREATE FUNCTION benchexp.product_json(p products) RETURNS json LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT json_build_object('id', p.id, 'seller_id', p.seller_id, 'sku', p.sku,
                            'offer_id', p.offer_id, 'name', p.name, 'description', p.description,
                            'price', p.price, 'stock', p.stock,
                            'created_at', benchexp.sd_ts(p.created_at),
                            'updated_at', benchexp.sd_ts(p.updated_at)) $$;
SQL

read -r umin umax < <(psql "$DATABASE_URL" -AtX -F ' ' -c "select min(id), max(id) from users where role = 'buyer'")
read -r pmin pmax < <(psql "$DATABASE_URL" -AtX -F ' ' -c "select min(id), max(id) from products")
read -r omin omax < <(psql "$DATABASE_URL" -AtX -F ' ' -c "select min(id), max(id) from orders")

read -r -d '' order_inlined <<'SQL' || true
SELECT json_build_object(
    'id', o.id, 'buyer_id', o.buyer_id, 'created_at', benchexp.sd_ts(o.created_at),
    'total', (SELECT coalesce(sum(i.quantity * i.price), 0)
               FROM postings p JOIN posting_items i ON i.posting_id = p.id WHERE p.order_id = o.id),
    'postings', (SELECT coalesce(json_agg(json_build_object(
        'posting_number', p.posting_number, 'order_id', p.order_id,
        'seller_id', p.seller_id, 'buyer_id', p.buyer_id, 'status', p.status,
        'items', (SELECT coalesce(json_agg(json_build_object(
                     'product_id', i.product_id, 'sku', pr.sku, 'offer_id', pr.offer_id,
                     'name', pr.name, 'quantity', i.quantity, 'price', i.price)
                     ORDER BY i.product_id), '[]'::json)
                  FROM posting_items i JOIN products pr ON pr.id = i.product_id WHERE i.posting_id = p.id),
        'created_at', benchexp.sd_ts(p.created_at), 'updated_at', benchexp.sd_ts(p.updated_at),
        'delivering_at', benchexp.sd_ts(p.delivering_at), 'delivered_at', benchexp.sd_ts(p.delivered_at),
        'cancelled_at', benchexp.sd_ts(p.cancelled_at)) ORDER BY p.id), '[]'::json)
      FROM postings p WHERE p.order_id = o.id))
FROM orders o WHERE id =
SQL
order_inlined=${order_inlined%$'\n'}" "

# same output for a sample of orders, or the comparison means nothing
diff <(psql "$DATABASE_URL" -AtX -c "select order_json(o) from orders o where id % 997 = 0 order by id") \
     <(psql "$DATABASE_URL" -AtX -c "select (${order_inlined}x.id) from orders x where x.id % 997 = 0 order by x.id") >/dev/null ||
    { echo "sqlfunc-cost: the inlined order query differs from order_json" >&2; exit 1; }

run() { # label variable range statement
    local f="$tmp/q.sql"
    printf '\\set v random(%s)\n%s:v;\n' "$2" "$3" >"$f"
    local tps
    tps=$(pgbench -n -M prepared -c 1 -j 1 -T "$T" -f "$f" "$DATABASE_URL" 2>&1 | awk '/^tps/ { printf "%.0f", $3 }')
    printf '%8s tps  %s\n' "$tps" "$1"
}
run "SELECT p.* FROM products p WHERE id = \$1   (no JSON)" "$pmin, $pmax" "SELECT p.* FROM products p WHERE id = "
run "SELECT product_json(p) ... (as migrated)" "$pmin, $pmax" "SELECT product_json(p) FROM products p WHERE id = "
run "SELECT benchexp.product_json(p) ... (STABLE sd_ts)" "$pmin, $pmax" "SELECT benchexp.product_json(p) FROM products p WHERE id = "
run "SELECT role, user_json(u) ... (as migrated)" "$umin, $umax" "SELECT role, user_json(u) FROM users u WHERE id = "
run "SELECT role, benchexp.user_json(u) ... (STABLE sd_ts)" "$umin, $umax" "SELECT role, benchexp.user_json(u) FROM users u WHERE id = "
run "SELECT order_json(o) ... (as migrated)" "$omin, $omax" "SELECT order_json(o) FROM orders o WHERE id = "
run "order_json written out as one query (same output)" "$omin, $omax" "$order_inlined"

sed "s|^SELECT order_json(o) FROM orders o WHERE id = :order_id;\$|$(echo "$order_inlined" | tr '\n' ' '):order_id;|" \
    bench/pgbench/order.sql >"$tmp/order_inlined.sql"
grep -q 'benchexp.sd_ts' "$tmp/order_inlined.sql" || { echo "sqlfunc-cost: could not rewrite order.sql" >&2; exit 1; }
for f in bench/pgbench/order.sql "$tmp/order_inlined.sql"; do
    tps=$(pgbench -n -M prepared -c "$CONNECTIONS" -j 2 -T "$T2" -D buyer_min="$umin" -D buyer_max="$umax" \
        -D product_min="$pmin" -D product_max="$pmax" -f "$f" "$DATABASE_URL" 2>&1 | awk '/^tps/ { printf "%.0f", $3 }')
    printf '%8s tps  POST /v1/orders SQL, %d clients, %s\n' "$tps" "$CONNECTIONS" \
        "$([ "$f" = bench/pgbench/order.sql ] && echo "as the server runs it" || echo "order_json replaced by the inlined query")"
done
