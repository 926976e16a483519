-- POST /v1/orders without Idempotency-Key, one line (a random product, quantity 1):
-- auth_authenticate's user lookup (src/user_store.c user_q_get), then api/http.c
-- http_idempotent_create: BEGIN; src/order_store.c order_store_create: order_q_lock_products,
-- order_q_create, order_q_get; COMMIT.
-- The server passes the arrays as text parameters ('{123}' for $1::bigint[]); pgbench
-- variables are numbers, so they are written ARRAY[:pid]::bigint[] here (same plan).
\set uid random(:buyer_min, :buyer_max)
\set pid random(:product_min, :product_max)
SELECT role, user_json(u) FROM users u WHERE id = :uid;
BEGIN;
SELECT id, stock FROM products WHERE id = ANY(ARRAY[:pid]::bigint[]) ORDER BY id FOR UPDATE;
WITH x AS (SELECT * FROM unnest(ARRAY[:pid]::bigint[], ARRAY[1]::int[]) AS x(product_id, q)),
 dec AS (UPDATE products p SET stock = p.stock - x.q, updated_at = now() FROM x
         WHERE p.id = x.product_id RETURNING p.id, p.seller_id, p.price),
 o AS (INSERT INTO orders (buyer_id) VALUES (:uid) RETURNING id),
 s AS (SELECT seller_id, row_number() OVER (ORDER BY seller_id) AS n
       FROM (SELECT DISTINCT seller_id FROM dec) d),
 po AS (INSERT INTO postings (posting_number, order_id, seller_id, buyer_id)
        SELECT o.id || '-' || lpad(s.n::text, 4, '0'), o.id, s.seller_id, :uid FROM o, s
        RETURNING id, seller_id),
 it AS (INSERT INTO posting_items (posting_id, seller_id, product_id, quantity, price)
        SELECT po.id, dec.seller_id, dec.id, x.q, dec.price
        FROM dec JOIN x ON x.product_id = dec.id JOIN po ON po.seller_id = dec.seller_id
        RETURNING 1)
 SELECT o.id AS order_id, (SELECT count(*) FROM it) AS items FROM o
\gset
SELECT order_json(o) FROM orders o WHERE id = :order_id;
COMMIT;
